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

from monitor.datasette import render

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


def classify(old: list[ClaimRow], new: list[ClaimRow]) -> tuple[dict[int, str], dict[int, str]]:
    """Per claim index, ``same | changed | removed`` on the old side, ``same | changed | added`` on the new."""
    old_by = {c.ident: {x.value_json for x in old if x.ident == c.ident} for c in old}
    new_by = {c.ident: {x.value_json for x in new if x.ident == c.ident} for c in new}

    def side(claims: list[ClaimRow], other: dict[tuple[str, str], set[str]], gone: str) -> dict[int, str]:
        marks = {}
        for i, c in enumerate(claims):
            if c.ident not in other:
                marks[i] = gone
            else:
                marks[i] = "same" if c.value_json in other[c.ident] else "changed"
        return marks

    return side(old, new_by, "removed"), side(new, old_by, "added")


def highlighted(text: str, claims: list[ClaimRow], marks: dict[int, str]) -> Markup:
    spans = []
    for i, c in enumerate(claims):
        where = render.locate(text, c.text, c.start, c.end)
        if where:
            spans.append((where[0], where[1], f"cw-{marks[i]}"))
    return render.highlight_spans(text, spans)


def key_differences(old: list[ClaimRow], new: list[ClaimRow]) -> list[dict[str, Any]]:
    """Claim keys whose values differ between the two sides, with chips for each side."""
    out = []
    idents = sorted({c.ident for c in old} | {c.ident for c in new})
    for ident in idents:
        before = sorted({c.value_json for c in old if c.ident == ident})
        after = sorted({c.value_json for c in new if c.ident == ident})
        if before == after:
            continue
        out.append({
            "category": ident[0], "key": ident[1],
            "old": Markup("<br>").join(render.chips(json.loads(v)) for v in before) if before else None,
            "new": Markup("<br>").join(render.chips(json.loads(v)) for v in after) if after else None,
            "old_text": " / ".join(c.text for c in old if c.ident == ident),
            "new_text": " / ".join(c.text for c in new if c.ident == ident),
        })
    return out


def change_view(row: Any) -> dict[str, Any]:
    """Template fields for one changes row: word diff of old/new text and value chips."""
    old_html, new_html = render.word_diff(row["old_text"], row["new_text"])
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
        "href": render.change_path(row["id"]),
        "diff_href": render.diff_path(row["source_id"], row["from_version"] or 0, row["to_version"]),
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
