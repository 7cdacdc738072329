"""The one word-level diff under every view that shows text changes (terminal, HTML, inline).

Why one: the CLI's ``--text`` diff and the Datasette pages used to tokenise and diff on their
own, so the same two sentences differed differently in the terminal and in the browser. Now
:func:`word_diff` says what changed, once; ``monitor.render.word_diff_text`` and
``monitor.datasette.render.word_diff_html`` / ``inline_diff`` only paint its runs.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

# Words, runs of whitespace and single punctuation marks: "0.3–0.6 mg" → 0 . 3 – 0 . 6 ␠ mg,
# so a changed number is marked alone and the text joins back exactly.
_TOKEN = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


def tokens(text: str | None) -> list[str]:
    """The units of the word diff; ``"".join(tokens(t)) == t``."""
    return _TOKEN.findall(text or "")


@dataclass(frozen=True)
class Run:
    """One stretch of the diff: ``op`` is equal | replace | delete | insert; ``old`` / ``new`` the
    text of that stretch on each side (equal runs: the same text twice)."""

    op: str
    old: str
    new: str


def word_diff(old: str | None, new: str | None) -> list[Run]:
    """The runs that turn ``old`` into ``new``; joining each side's parts gives the texts back."""
    a, b = tokens(old), tokens(new)
    return [Run(op, "".join(a[i1:i2]), "".join(b[j1:j2]))
            for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()]
