"""Render claim diffs and claim lists as text (git-diff-like), JSON (the stable contract) or Markdown.

Text output is coloured only on a terminal (click strips styles when piped).
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable

import click
from rich.text import Text

from monitor.diff import describe_value
from monitor.textdiff import word_diff
from monitor.models import Change, Claim

_MARK = {"changed": "~", "removed": "-", "added": "+", "reworded": "=", "unchanged": " "}
_COLOR = {"changed": "yellow", "removed": "red", "added": "green", "reworded": "cyan", "unchanged": None}


def diff_json(old_ref: str, old_count: int, new_ref: str, new_count: int, changes: Iterable[Change]) -> str:
    doc = {"old": {"ref": old_ref, "claims": old_count}, "new": {"ref": new_ref, "claims": new_count},
           "changes": [c.to_json() for c in changes]}
    return json.dumps(doc, indent=2, ensure_ascii=False)


def diff_text(old_ref: str, old_count: int, new_ref: str, new_count: int, changes: list[Change],
              links: dict[int, str] | None = None) -> str:
    lines = [click.style(f"claimwatch diff {old_ref} → {new_ref}", bold=True)
             + f"   ({old_count} → {new_count} claims)"]
    material = [c for c in changes if c.material]
    if not material:
        lines.append("no material change")
    for c in changes:
        sev = f"[{c.severity}] " if c.material else ""
        lines.append(click.style(f"{_MARK[c.kind]} {sev}{c.summary}", fg=_COLOR[c.kind], bold=c.material))
        if c.note:
            lines.append(click.style(f"    note: {c.note}", dim=True))
        if c.old is not None and (c.kind != "unchanged"):
            lines.append(click.style(f"    - {c.old.text}", fg="red"))
        if c.new is not None:
            lines.append(click.style(f"    + {c.new.text}", fg="green"))
    return "\n".join(lines)


_MD_SPECIALS = re.compile(r"([\\`*_{}\[\]()!|<>~&])")
_MD_LINE_START = re.compile(r"^(\s*)([#+\-=]|\d+(?=[.)]))", re.M)
_SPACES = re.compile(r" {2,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: object) -> str:
    """Page text made safe to carry: control characters removed (they break XML and terminals)."""
    return _CONTROL.sub("", "" if text is None else str(text))


def rich_text(value: object, style: str = "") -> Text:
    """Page or config text for a Rich table or line, shown as it is.

    Rich parses plain strings as markup and emoji shortcodes, so a page saying ``[/b]`` crashed
    ``monitor history`` and ``:pill:`` became an emoji. A ``Text`` is never parsed; control
    characters (terminal escapes) are dropped as well.
    """
    return Text(clean(value), style=style)


def md_escape(text: str) -> str:
    """Backslash-escape Markdown specials; block markers (#, -, +, '1.') only where they start a line.

    Page text is data: escaped, never interpreted (used by ``diff --format markdown`` and alerts).
    """
    escaped = _MD_SPECIALS.sub(r"\\\1", clean(text))
    return _MD_LINE_START.sub(lambda m: m.group(1) + (m.group(2) + "\\" if m.group(2)[0].isdigit()
                                                      else "\\" + m.group(2)), escaped)


def _md_cell(text: str) -> str:
    """A Markdown table cell: escaped, on one line (a two-line table row would break the table)."""
    return md_escape(" ".join(text.split()))


def diff_markdown(old_ref: str, old_count: int, new_ref: str, new_count: int, changes: list[Change]) -> str:
    lines = [f"## claimwatch diff `{old_ref}` → `{new_ref}`", "",
             f"{old_count} → {new_count} claims; {sum(c.material for c in changes)} material changes.", ""]
    if changes:
        lines += ["| change | severity | category | summary | before | after |", "|---|---|---|---|---|---|"]
        for c in changes:
            lines.append("| " + " | ".join([
                c.kind, c.severity if c.material else "", c.category, _md_cell(c.summary),
                _md_cell(c.old.text) if c.old else "", _md_cell(c.new.text) if c.new else ""]) + " |")
    return "\n".join(lines)


def _flat(text: str, keep: int | None = None) -> str:
    """``text`` on one line (whitespace runs become one space, ends kept); with ``keep``, only
    the first and last ``keep`` words of a longer stretch, joined by an ellipsis."""
    words = text.split()
    if keep is not None and len(words) > 2 * keep + 2:
        words = words[:keep] + ["…"] + words[-keep:]
    body = " ".join(words)
    lead = " " if text[:1].isspace() and body else ""
    trail = " " if text[-1:].isspace() and body else ""
    return lead + body + trail if body else (" " if text else "")


def word_diff_text(old_text: str, new_text: str) -> str:
    """The terminal view of :func:`monitor.textdiff.word_diff`: ``[-removed-]{+added+}`` in place,
    long unchanged stretches trimmed to their first and last five words."""
    out: list[str] = []
    for run in word_diff(old_text, new_text):
        if run.op == "equal":
            out.append(_flat(run.old, keep=5))
            continue
        # whitespace at a changed stretch's ends stays outside the brackets: "is {+not+} legal"
        out.append(" " if run.old[:1].isspace() or run.new[:1].isspace() else "")
        if run.old.strip():
            out.append(click.style("[-" + _flat(run.old).strip() + "-]", fg="red"))
        if run.new.strip():
            out.append(click.style("{+" + _flat(run.new).strip() + "+}", fg="green"))
        out.append(" " if run.old[-1:].isspace() or run.new[-1:].isspace() else "")
    return _SPACES.sub(" ", "".join(out)).strip()


def claims_json(ref: str, claims: list[Claim]) -> str:
    return json.dumps({"ref": ref, "claims": [
        {"category": c.category, "key": c.key, "text": c.text, "value": c.value, "start": c.start, "end": c.end,
         **({"subject": c.subject} if c.subject else {})} for c in claims]}, indent=2, ensure_ascii=False)


def claims_rows(claims: list[Claim]) -> list[dict[str, Any]]:
    """Claims grouped by category (registry order), with a readable value."""
    order = {"dosage": 0, "legality": 1, "evidence": 2, "safety": 3}
    return [{"category": c.category, "key": c.key, "value": describe_value(c.category, c.value), "text": c.text}
            for c in sorted(claims, key=lambda c: (order.get(c.category, 9), c.start))]
