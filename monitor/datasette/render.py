"""Pure HTML fragments for the Datasette views: word diffs, value chips, highlighted text.

Everything that came from a fetched page (claim text, version text, titles, summaries built
from page words) is passed through ``markupsafe.escape``; ``Markup`` only ever wraps markup
written here. Nothing from a page is rendered as live HTML.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any, Callable, Iterable, Sequence
from urllib.parse import quote

from markupsafe import Markup, escape

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)

# (min field, max field, unit suffix) rendered as one range chip, in this order.
_RANGES: tuple[tuple[str, str, str], ...] = (
    ("min_mg", "max_mg", " mg"),
    ("mg_min", "mg_max", " mg"),
    ("min_iu", "max_iu", " IU"),
    ("min_ml", "max_ml", " ml"),
    ("count_min", "count_max", ""),  # the count's unit follows (" capsules", " drops")
    ("drops_min", "drops_max", " drops"),
    ("sprays_min", "sprays_max", " sprays"),
    ("times_per_day_min", "times_per_day_max", "×/day"),
    ("times_per_week_min", "times_per_week_max", "×/week"),
    ("interval_hours_min", "interval_hours_max", " h apart"),
    ("duration_days_min", "duration_days_max", " days"),
    ("days_min", "days_max", " days"),
    ("weeks_min", "weeks_max", " weeks"),
)
# Fields whose value is shown bare (``intranasal``, ``FDA``, ``not approved``).
_BARE = ("authority", "status", "route", "effect", "stated", "kind", "jurisdiction", "country")
_SKIP = ("per",)


def tokens(text: str) -> list[str]:
    """Words, runs of whitespace and single punctuation marks: the units of the word diff."""
    return _TOKEN.findall(text or "")


def word_diff(old: str | None, new: str | None) -> tuple[Markup, Markup]:
    """``(old, new)`` as escaped HTML with removed words in ``<del>`` and added ones in ``<ins>``."""
    a, b = tokens(old or ""), tokens(new or "")
    left: list[str] = []
    right: list[str] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        old_part = str(escape("".join(a[i1:i2])))
        new_part = str(escape("".join(b[j1:j2])))
        if op == "equal":
            left.append(old_part)
            right.append(new_part)
            continue
        if old_part:
            left.append(f"<del>{old_part}</del>")
        if new_part:
            right.append(f"<ins>{new_part}</ins>")
    return Markup("".join(left)), Markup("".join(right))


def inline_diff(old: str | None, new: str | None) -> Markup:
    """One line reading old → new: unchanged words once, removed in ``<del>``, added in ``<ins>``."""
    a, b = tokens(old or ""), tokens(new or "")
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(str(escape("".join(a[i1:i2]))))
            continue
        if i2 > i1:
            out.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if j2 > j1:
            out.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
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


def _range(lo: Any, hi: Any, suffix: str) -> str:
    if lo is not None and hi is not None and lo != hi:
        return f"{_num(lo)}–{_num(hi)}{suffix}"
    if lo is not None or hi is not None:
        single = lo if lo is not None else hi
        prefix = "" if lo is not None and hi is not None else ("≥ " if lo is not None else "≤ ")
        return f"{prefix}{_num(single)}{suffix}"
    return ""


def value_labels(value: dict[str, Any]) -> list[str]:
    """Readable labels for a claim value: ``['0.3–0.6 mg', 'intranasal', '2–3 drops', '2–3×/day']``.

    Amounts first, then descriptive fields shown bare (route, authority, status…), then counts
    and frequencies; anything else as ``name: value``, so a field added by a future extractor
    still shows up.
    """
    amounts: list[str] = []
    counts: list[str] = []
    used: set[str] = set(_SKIP)
    for lo_key, hi_key, suffix in _RANGES:
        if lo_key in value or hi_key in value:
            if lo_key == "count_min":
                unit = str(value.get("count_unit") or "unit")
                suffix = " " + (unit if value.get(lo_key) == value.get(hi_key) == 1 else unit + ("es" if unit.endswith(("ch", "sh")) else "s"))
                used.add("count_unit")
            text = _range(value.get(lo_key), value.get(hi_key), suffix)
            if text:
                (amounts if suffix == " mg" else counts).append(text)
            used.update((lo_key, hi_key))
    if "mg" in value and "mg" not in used:
        amounts.append(f"{_num(value['mg'])} mg")
        used.add("mg")
    if amounts and value.get("per") not in (None, "dose"):
        amounts[-1] += f" per {_words(value['per'])}"
    elif value.get("per") not in (None, "dose"):
        counts.append(f"per {_words(value['per'])}")
    bare = [_words(value[k]) for k in _BARE if value.get(k) not in (None, "")]
    used.update(_BARE)
    labels = amounts + bare + counts
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


def diff_path(source_id: str, a: int, b: int) -> str:
    return f"/-/claimwatch/diff/{quote(str(source_id), safe='')}/{int(a)}..{int(b)}"


def change_path(change_id: int) -> str:
    return f"/-/claimwatch/change/{int(change_id)}"


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
