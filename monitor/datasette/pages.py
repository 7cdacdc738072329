"""The plugin's own pages: two versions side by side, and one change in context.

``/-/claimwatch/diff/{source}/{a}..{b}`` shows version ``a`` (0 = before the first version)
and version ``b`` of a source with every claim highlighted where it sits in the text:
removed or changed on the left, added or changed on the right. ``/-/claimwatch/change/{id}``
shows one recorded change (linked from the alerts table and queue). Both pages send a strict
Content-Security-Policy and render page text escaped, never as HTML.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from monitor import links
from monitor.datasette import render
from monitor.diff import diff_claims
from monitor.models import Change, Claim

PAGE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
CONTEXT_CHARS = 240
_TEMPLATES = Path(__file__).parent


def template_source(name: str) -> str:
    return (_TEMPLATES / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class ClaimRow:
    category: str
    key: str
    text: str
    value: dict[str, Any]
    start: int | None
    end: int | None

    @property
    def ident(self) -> tuple[str, str]:
        return self.category, self.key

    @property
    def value_json(self) -> str:
        return json.dumps(self.value, sort_keys=True)


def claim_rows(rows: list[Any]) -> list[ClaimRow]:
    out = []
    for r in rows:
        value = render.parse_json(r["value"])
        out.append(ClaimRow(r["category"] or "", r["key"] or "", r["text"] or "",
                            value if isinstance(value, dict) else {}, r["start"], r["end"]))
    return out


def _claims(rows: list[ClaimRow]) -> list[Claim]:
    return [Claim(c.category, c.key, c.text, c.value, c.start or 0, c.end or 0) for c in rows]


def _changes(old: list[ClaimRow], new: list[ClaimRow]) -> list[Change]:
    """The material changes between two sides: the same ``diff_claims`` the pipeline runs."""
    return diff_claims(_claims(old), _claims(new))


def classify(old: list[ClaimRow], new: list[ClaimRow]) -> tuple[dict[int, str], dict[int, str]]:
    """Per claim index, ``same | changed | removed`` on the old side, ``same | changed | added`` on the new."""
    changes = _changes(old, new)

    def side(claims: list[ClaimRow], pick: str, gone: str) -> dict[int, str]:
        touched: dict[tuple[int, str], str] = {}
        for ch in changes:
            claim = getattr(ch, pick)
            if claim is not None:
                mark = "changed" if ch.kind == "changed" else gone
                touched.setdefault((claim.start, claim.text), mark)
        return {i: touched.get((c.start or 0, c.text), "same") for i, c in enumerate(claims)}

    return side(old, "old", "removed"), side(new, "new", "added")


def highlighted(text: str, claims: list[ClaimRow], marks: dict[int, str]) -> Markup:
    spans = []
    for i, c in enumerate(claims):
        where = render.locate(text, c.text, c.start, c.end)
        if where:
            spans.append((where[0], where[1], f"cw-{marks[i]}"))
    return render.highlight_spans(text, spans)


def key_differences(old: list[ClaimRow], new: list[ClaimRow]) -> list[dict[str, Any]]:
    """The facts that differ between the two sides, with chips for each side."""
    return [{
        "category": ch.category, "key": ch.key, "severity": ch.severity, "summary": ch.summary,
        "old": render.chips(ch.old.value) if ch.old else None,
        "new": render.chips(ch.new.value) if ch.new else None,
        "old_text": ch.old.text if ch.old else "",
        "new_text": ch.new.text if ch.new else "",
    } for ch in _changes(old, new)]


def change_view(row: Any) -> dict[str, Any]:
    """Template fields for one changes row: word diff of old/new text and value chips."""
    old_html, new_html = render.word_diff_html(row["old_text"], row["new_text"])
    old_value = render.parse_json(row["old_value"])
    new_value = render.parse_json(row["new_value"])
    return {
        "id": row["id"], "severity": row["severity"], "category": row["category"], "kind": row["kind"],
        "key": row["key"], "summary": row["summary"], "status": row["status"], "note": row["note"],
        "detected_at": row["detected_at"], "source_id": row["source_id"],
        "from_version": row["from_version"], "to_version": row["to_version"],
        "old_html": old_html if row["old_text"] is not None else None,
        "new_html": new_html if row["new_text"] is not None else None,
        "inline_html": render.inline_diff(row["old_text"], row["new_text"]),
        "old_chips": render.chips(old_value) if isinstance(old_value, dict) else None,
        "new_chips": render.chips(new_value) if isinstance(new_value, dict) else None,
        "href": links.change_path(row["id"]),
        "diff_href": links.diff_path(row["source_id"], row["from_version"] or 0, row["to_version"]),
        "evidence_path": links.evidence_path(row["id"]),
    }


def in_context(text: str | None, snippet: str | None, css: str,
               start: int | None = None, end: int | None = None) -> Markup | None:
    """The snippet highlighted inside ±CONTEXT_CHARS of its version's text (None when not found)."""
    if not text or not snippet:
        return None
    where = render.locate(text, snippet, start, end)
    if where is None:
        return None
    lo = max(0, where[0] - CONTEXT_CHARS)
    hi = min(len(text), where[1] + CONTEXT_CHARS)
    body = render.highlight_spans(text[lo:hi], [(where[0] - lo, where[1] - lo, css)])
    return Markup("{}{}{}").format("… " if lo else "", body, " …" if hi < len(text) else "")
