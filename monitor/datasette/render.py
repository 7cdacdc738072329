"""Pure HTML fragments for the Datasette views: word diffs, value chips, highlighted text.

Everything that came from a fetched page (claim text, version text, titles, summaries built
from page words) is passed through ``markupsafe.escape``; ``Markup`` only ever wraps markup
written here. Nothing from a page is rendered as live HTML.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Iterable, Sequence

from markupsafe import Markup, escape

from monitor.claims.schema import DOSAGE_FIELDS
from monitor.facts import dosage_parts, upgrade_value
from monitor.textdiff import word_diff

# Fields whose value is shown bare (``intranasal``, ``FDA``, ``not approved``).
_BARE = ("authority", "status", "route", "effect", "stated", "kind", "jurisdiction", "country")
_SKIP = ("per",)


def word_diff_html(old: str | None, new: str | None) -> tuple[Markup, Markup]:
    """The side-by-side view of :func:`monitor.textdiff.word_diff`: ``(old, new)`` as escaped
    HTML, removed words in ``<del>``, added ones in ``<ins>``."""
    left: list[str] = []
    right: list[str] = []
    for run in word_diff(old, new):
        old_part = str(escape(run.old))
        new_part = str(escape(run.new))
        if run.op == "equal":
            left.append(old_part)
            right.append(new_part)
            continue
        if old_part:
            left.append(f"<del>{old_part}</del>")
        if new_part:
            right.append(f"<ins>{new_part}</ins>")
    return Markup("".join(left)), Markup("".join(right))


def inline_diff(old: str | None, new: str | None) -> Markup:
    """The inline view of :func:`monitor.textdiff.word_diff`: one line reading old → new,
    unchanged words once, removed in ``<del>``, added in ``<ins>``."""
    out: list[str] = []
    for run in word_diff(old, new):
        if run.op == "equal":
            out.append(str(escape(run.old)))
            continue
        if run.old:
            out.append(f"<del>{escape(run.old)}</del>")
        if run.new:
            out.append(f"<ins>{escape(run.new)}</ins>")
    return Markup("".join(out))


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _words(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_words(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return _num(value).replace("_", " ")


def value_labels(value: dict[str, Any]) -> list[str]:
    """Readable labels for a claim value: ``['0.3–0.6 mg', 'intranasal', '2–3 drops', '2–3×/day']``.

    Dosage facts are worded by the category schema (the same words as the diff summaries and
    alerts); then descriptive fields shown bare (route, authority, status…); anything else as
    ``name: value``, so a field added by a future extractor still shows up.
    """
    facts = dosage_parts(upgrade_value("dosage", value)) if any(f in value for f in DOSAGE_FIELDS) else []
    # every dosage field is worded by its fact; "per" rides on the amount it qualifies
    used: set[str] = set(_SKIP) | (DOSAGE_FIELDS | {"limit", "package", "strength", "phase"} if facts else set())
    labels = [text for _, text, _ in facts]
    bare = [_words(value[k]) for k in _BARE if value.get(k) not in (None, "")]
    used.update(_BARE)
    labels = labels[:1] + bare + labels[1:]
    for key in sorted(value):
        if key not in used and value[key] not in (None, "", []):
            labels.append(f"{key.replace('_', ' ')}: {_words(value[key])}")
    return labels


def chips(value: dict[str, Any]) -> Markup:
    """``value_labels`` as escaped ``<span class="cw-chip">`` elements (empty value → "—")."""
    labels = value_labels(value)
    if not labels:
        return Markup('<span class="cw-chip cw-empty">—</span>')
    return Markup(" ").join(Markup('<span class="cw-chip">{}</span>').format(lbl) for lbl in labels)


def parse_json(raw: Any) -> Any:
    """JSON text → Python value; ``None`` for anything that is not JSON text."""
    if not isinstance(raw, str) or not raw.strip().startswith(("{", "[")):
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def claim_list(items: Sequence[Any]) -> Markup:
    """A JSON list of ``{"text", "value"}`` objects (claims_across_sources) as chips + sentence."""
    parts: list[Markup] = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("value"), dict):
            parts.append(Markup('<div class="cw-claim-item">{}<div class="cw-sentence">{}</div></div>')
                         .format(chips(item["value"]), item.get("text") or ""))
    return Markup("").join(parts)


def says_entries(raw: Any) -> list[dict[str, Any]]:
    """The ``says`` JSON of claims_across_sources as well-formed entries, most-stated first.

    Each entry is ``{"value": dict, "sources": [ids], "text": str}``; malformed items are
    dropped so a bad row never breaks the page.
    """
    parsed = parse_json(raw)
    if not isinstance(parsed, list):
        return []
    entries = [{"value": item["value"], "text": item.get("text") or "",
                "sources": [str(s) for s in item.get("sources") or []]}
               for item in parsed if isinstance(item, dict) and isinstance(item.get("value"), dict)]
    return sorted(entries, key=lambda e: -len(e["sources"]))


def says_table(entries: Sequence[dict[str, Any]], source_href: Callable[[str], str],
               limit: int = 12) -> Markup:
    """A compact value → sources table: one row per stated value (chips, an example sentence),
    its sources as links; past ``limit`` sources a row ends with "+N more"."""
    if not entries:
        return Markup('<span class="cw-chip cw-empty">—</span>')
    sources = {s for e in entries for s in e["sources"]}
    rows: list[Markup] = []
    for entry in entries:
        ids = entry["sources"]
        links = Markup(", ").join(Markup('<a href="{}">{}</a>').format(source_href(s), s) for s in ids[:limit])
        if len(ids) > limit:
            links += Markup(' <span class="cw-more">+{} more</span>').format(len(ids) - limit)
        rows.append(Markup('<tr><td>{}<div class="cw-sentence">{}</div></td><td>{}</td></tr>')
                    .format(chips(entry["value"]), entry["text"], links))
    head = Markup('<div class="cw-says-head">{} source{}, {} value{}</div>').format(
        len(sources), "" if len(sources) == 1 else "s", len(entries), "" if len(entries) == 1 else "s")
    return head + Markup('<table class="cw-says">{}</table>').format(Markup("").join(rows))


def safe_link(url: Any, label: Any | None = None) -> Markup:
    """A link for http(s) URLs only; anything else (``javascript:``, ``data:``) stays plain text."""
    text = str(url or "")
    shown = escape(label if label is not None else text)
    if re.match(r"^https?://[^\s]+$", text, re.IGNORECASE):
        return Markup('<a href="{}" rel="noopener noreferrer nofollow">{}</a>').format(text, shown)
    return Markup("{}").format(shown)


def highlight_spans(text: str, spans: Iterable[tuple[int, int, str]]) -> Markup:
    """Escaped ``text`` with each ``(start, end, css_class)`` span wrapped in ``<mark>``.

    Spans out of range or overlapping an earlier span are skipped: offsets come from the DB
    and a bad row must never break or garble the page.
    """
    out: list[str] = []
    pos = 0
    for start, end, css in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start < pos or end <= start or end > len(text):
            continue
        out.append(str(escape(text[pos:start])))
        out.append(f'<mark class="{escape(css)}">{escape(text[start:end])}</mark>')
        pos = end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def locate(text: str, snippet: str, start: int | None, end: int | None) -> tuple[int, int] | None:
    """Where ``snippet`` sits in ``text``: the stored offsets when they match, else a search."""
    if not snippet:
        return None
    if start is not None and end is not None and 0 <= start < end <= len(text) \
            and text[start:end] == snippet:
        return start, end
    found = text.find(snippet)
    return (found, found + len(snippet)) if found >= 0 else None
