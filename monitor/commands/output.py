"""Shared CLI conventions: one output flag pair and narrow-terminal-safe key columns.

Output flags: ``check``, ``history``, ``alerts`` and ``status`` grew ``--json`` while ``diff``
and ``claims`` grew ``--format``; a user who learned one guessed wrong on the other. Every
command that prints data now takes both — ``--format FMT`` and ``--json`` as its shorthand — and
the command body receives one resolved ``fmt`` string.

Key columns: claim keys (``dosage:intranasal:frequency``) have no spaces, so a table squeezed
to 80 columns (piped output) folds them mid-word, and a folded key cannot be copied back into
a query. :func:`key_column` reserves the width of the longest key and lets the prose columns
wrap instead.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Callable, Iterable

import click

JSON = "json"


def output_options(choices: tuple[str, ...] = ("text", JSON), default: str = "text",
                   what: str = "the output") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add ``--format`` and ``--json`` to a command; the function gets ``fmt`` (never both flags)."""

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(f)
        def wrapper(*args: Any, fmt: str | None, as_json: bool, **kwargs: Any) -> Any:
            if as_json and fmt not in (None, JSON):
                raise click.UsageError(f"--json and --format {fmt} disagree: give one of them")
            return f(*args, fmt=JSON if as_json else (fmt or default), **kwargs)

        wrapper = click.option("--json", "as_json", is_flag=True, help="Same as --format json.")(wrapper)
        wrapper = click.option("--format", "fmt", type=click.Choice(list(choices)), default=None,
                               help=f"Format of {what} (default {default}).")(wrapper)
        return wrapper

    return decorate


KEY_CAP = 32  # widest a key column gets at 80 columns; longer keys wrap at their ':' separators


def key_column_width(keys: Iterable[str], cap: int = KEY_CAP) -> int:
    """Width that keeps every key on one line, up to ``cap``."""
    return min(cap, max((len(k) for k in keys), default=3))


def longest_word(values: Iterable[str], cap: int = 24) -> int:
    """Width of the longest unbreakable word in ``values`` (capped): the narrowest a wrapping column may get."""
    return min(cap, max((len(w) for v in values for w in str(v).split()), default=1))


def wrap_key(key: str, width: int) -> str:
    """Break a key only after a ':' (``legality:`` / ``russian-ministry-of-health:`` / ``essential_list``).

    A line break at a separator reads as a key and is copied back easily; rich's own folding
    would cut ``russian-ministry-of-hea`` / ``lth``. A single segment wider than ``width`` stays
    whole (the column is sized for it by :func:`add_key_column`).
    """
    if len(key) <= width:
        return key
    lines: list[str] = []
    current = ""
    for part in re.split(r"(?<=:)", key):
        if current and len(current) + len(part) > width:
            lines.append(current)
            current = ""
        current += part
    lines.append(current)
    return "\n".join(lines)


def add_key_column(table: Any, name: str, keys: Iterable[str], cap: int = KEY_CAP) -> Callable[[str], str]:
    """A rich column for keys that are never cut inside a segment; returns the cell formatter to use.

    The column is as wide as the longest key (up to ``cap``) or its longest ':'-segment, whichever
    is wider, and does not wrap; keys wider than that are pre-broken after a ':' by the returned
    function.
    """
    keys = list(keys)
    width = key_column_width(keys, cap)
    width = max(width, max((len(seg) + 1 for k in keys for seg in k.split(":")), default=0))
    table.add_column(name, min_width=width, max_width=max(width, cap), no_wrap=True)
    return functools.partial(wrap_key, width=width)


PIPE_MAX_WIDTH = 240


def widen_for_pipe(console: Any, table: Any) -> None:
    """Piped output: grow the console to the table's minimum width so no word or key is folded.

    A terminal keeps its width (rich wraps at word boundaries there, and a user can widen the
    window); a pipe or file has no width at all, so rich's 80-column default would only squeeze
    a wide table (``claims --compare`` with many sources) into folded words.
    """
    from rich.measure import Measurement

    if console.is_terminal:
        return
    needed = Measurement.get(console, console.options.update(max_width=PIPE_MAX_WIDTH), table).minimum
    if needed <= console.width:
        return
    # rich's measured minimum can be a few columns short of what a table with fixed-width
    # (no_wrap) columns really takes; widen until every rendered row closes its right border.
    for width in range(min(PIPE_MAX_WIDTH, needed), PIPE_MAX_WIDTH + 1):
        console.width = width
        with console.capture() as capture:
            console.print(table)
        rows = [line for line in capture.get().splitlines() if line.strip()]
        if all(line.rstrip()[-1:] in "│┃┓┛┐┘┤┫╗╝║" for line in rows if line[:1] in "│┃┏┗┌└├┣╔╚║"):
            return
