"""The one word-level diff under every view that shows text changes (terminal, HTML, inline).

Why one: the CLI's ``--text`` diff and the Datasette pages used to run their own
``SequenceMatcher`` loops; they now differ only in how they paint the same operations.
"""

from __future__ import annotations

import difflib
from typing import Iterator


def word_ops(old: list[str], new: list[str]) -> Iterator[tuple[str, list[str], list[str]]]:
    """``(op, old tokens, new tokens)`` per run, op in equal | replace | delete | insert."""
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        yield op, old[i1:i2], new[j1:j2]
