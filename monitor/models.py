"""Plain data types passed between pipeline stages.

Every stage takes and returns these (or plain dicts of JSON-able values), so each stage can
be tested and re-run alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

CATEGORIES = ("dosage", "legality", "evidence", "safety")
SEVERITIES = ("low", "medium", "high")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}  # higher is more urgent


@dataclass(frozen=True)
class TextUnit:
    """One unit of main text: a sentence, a list item, a table row or a FAQ answer.

    ``start``/``end`` are character offsets into the normalised main text, so a claim can
    always be shown in context.
    """

    text: str
    start: int
    end: int
    kind: str = "sentence"  # sentence | list_item | table_row | heading | faq
    context: str = ""  # nearest heading / FAQ question above the unit, "" when none


@dataclass(frozen=True)
class Claim:
    """One statement in one category.

    ``key`` aligns the same claim across versions even when reworded
    (``dosage:intranasal:dose``, ``legality:fda``, ``evidence:level``, ``safety:hair_loss``).
    ``value`` holds only the fields the text states (JSON-able: str, int, float, bool, list).
    """

    category: str
    key: str
    text: str
    value: dict[str, Any]
    start: int = 0
    end: int = 0
    subject: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Claim":
        return cls(
            category=data["category"],
            key=data["key"],
            text=data["text"],
            value=dict(data.get("value") or {}),
            start=int(data.get("start") or 0),
            end=int(data.get("end") or 0),
            subject=data.get("subject"),
        )


@dataclass(frozen=True)
class Change:
    """A claim-level difference between two versions.

    ``kind`` is ``added | removed | changed`` (material) or ``minor | reworded | unchanged``
    (shown only with ``--all``; ``minor`` is a wording-level fact change, e.g. an evidence
    qualifier, that the category schema does not alert on).
    """

    category: str
    kind: str
    key: str
    severity: str
    summary: str
    old: Claim | None = None
    new: Claim | None = None
    note: str = ""
    statement: str = ""  # the sentence stating it (new side, else old): facts of one sentence alert together

    @property
    def material(self) -> bool:
        return self.kind in ("added", "removed", "changed")

    def to_json(self) -> dict[str, Any]:
        def side(c: Claim | None) -> dict[str, Any] | None:
            return None if c is None else {"text": c.text, "value": c.value}

        data: dict[str, Any] = {
            "category": self.category,
            "kind": self.kind,
            "severity": self.severity,
            "key": self.key,
            "summary": self.summary,
            "old": side(self.old),
            "new": side(self.new),
        }
        if self.note:
            data["note"] = self.note
        return data


@dataclass(frozen=True)
class HttpExchange:
    """The final HTTP request/response of a fetch, as a WARC record needs it (issue 18).

    Kept apart from the parsed fields of :class:`FetchResult` because evidence must show the
    exchange *as it happened*: header names in their received case, order and duplicates kept,
    the status line with the server's own reason phrase, and the IP the socket was connected to.
    Secret-bearing request headers are never kept; ``withheld`` names the ones left out.
    """

    method: str
    url: str  # the URL requested on the final hop (credentials in userinfo removed)
    request_headers: tuple[tuple[str, str], ...]
    withheld: tuple[str, ...]  # names of request headers sent but not recorded (secrets)
    http_version: str  # "HTTP/1.1"
    status_line: str  # "HTTP/1.1 200 OK"
    response_headers: tuple[tuple[str, str], ...]
    peer_ip: str | None


@dataclass
class FetchResult:
    """What the fetcher hands to the snapshot/store stages for one successful request."""

    url: str
    final_url: str
    status_code: int
    body: bytes  # decoded from Content-Encoding, raw charset bytes
    text: str  # body decoded to str with the right charset
    content_type: str
    charset: str
    headers: dict[str, str] = field(default_factory=dict)
    redirects: list[str] = field(default_factory=list)
    elapsed_ms: float = 0.0
    not_modified: bool = False  # 304: body/text are empty
    exchange: HttpExchange | None = None  # final request/response as sent and received


@dataclass(frozen=True)
class History:
    """What the rules need to know about a source's recent past (newest version first)."""

    versions: tuple[dict[str, Any], ...]  # version rows: id, number, text_hash, held, text, extractor_version
    claims: dict[int, tuple[Claim, ...]] = field(default_factory=dict)  # version id -> stored claims
    repeat_versions: frozenset[int] = frozenset()  # version numbers whose changes were stored as repeat
