"""The dose vocabulary (``vocabulary.yaml``) compiled into patterns, loaded once at import.

Why data: the words for dose forms, routes and timing are what a pharmacist reviews and
extends ("add 'caplet' as a tablet"); keeping them out of the code lets that happen without
reading regexes. Only the grammar around the words (numbers, ranges, cues) stays in code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

_I = re.IGNORECASE
_DATA = yaml.safe_load((Path(__file__).parent / "vocabulary.yaml").read_text(encoding="utf-8"))


def _alt(words: list[str]) -> str:
    return "|".join(sorted((re.escape(w).replace(r"\ ", r"\s+").replace(r"\-", "-") for w in words),
                           key=len, reverse=True))


# spelling (lower case, single spaces) -> canonical count unit
COUNT_WORDS: dict[str, str] = {w.lower(): unit for unit, words in _DATA["count_units"].items() for w in words}
COUNT_UNIT_ALT = _alt(list(COUNT_WORDS))
IMPLIED_ROUTES: dict[str, str] = dict(_DATA["implied_routes"])
THROUGH_SKIN: frozenset[str] = frozenset(_DATA["through_skin"])
GLUE: dict[str, list[str]] = {k: list(v) for k, v in _DATA["glue"].items()}


def count_unit(word: str) -> str | None:
    """Canonical count unit of a spelling as written ("Softgels" -> "softgel")."""
    return COUNT_WORDS.get(re.sub(r"\s+", " ", word.strip().lower()))


def _compiled(table: dict[str, list[str]]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((name, re.compile(r"(?<![\w-])(?:" + "|".join(pats) + r")(?![\w])", _I)) for name, pats in table.items())


ROUTES: tuple[tuple[str, re.Pattern[str]], ...] = _compiled(_DATA["routes"])
TIMING: tuple[tuple[str, re.Pattern[str]], ...] = _compiled(_DATA["timing"])
TIMING_ORDER = [name for name, _ in TIMING]


@dataclass(frozen=True)
class IUFactor:
    substance: str
    pattern: re.Pattern[str]
    mg_per_iu: float


IU_FACTORS: tuple[IUFactor, ...] = tuple(
    IUFactor(f["substance"], re.compile(r"\b(?:" + f["pattern"] + r")\b", _I), float(f["mg_per_iu"]))
    for f in _DATA["iu_factors"]
)


def iu_factor(text: str) -> float | None:
    """mg per IU of the substance named in ``text``, when exactly one listed substance is named."""
    found = {f.mg_per_iu for f in IU_FACTORS if f.pattern.search(text)}
    return found.pop() if len(found) == 1 else None


# --- misspellings ------------------------------------------------------------------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_NOT_TYPOS: frozenset[str] = frozenset(w.lower() for w in _DATA.get("not_typos", []))
_TARGETS: tuple[str, ...] = tuple(w.lower() for w in _DATA.get("typo_targets", []))


def _edits1(word: str) -> set[str]:
    """Every string one edit from ``word`` (delete, swap of neighbours, change, insert)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return ({a + b[1:] for a, b in splits if b}
            | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
            | {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
            | {a + c + b for a, b in splits for c in _LETTERS})


def _typo_table() -> dict[str, str]:
    table: dict[str, str] = {}
    known = set(_TARGETS) | _NOT_TYPOS
    for target in _TARGETS:
        if len(target) < 5:
            continue
        for typo in _edits1(target):
            if len(typo) >= 5 and typo not in known:
                table.setdefault(typo, target)  # the first target listed wins ("capsule" before "capsules")
    return table


TYPOS: dict[str, str] = _typo_table()
_WORD5_RE = re.compile(r"(?<![\w-])[A-Za-z]{5,}(?![\w-])")


def fix_typos(text: str) -> str:
    """``text`` with misspelt unit and frequency words read as meant ("Take one sofgel twise
    dayly" -> "Take one softgel twice daily"); other words untouched. Data: typo_targets and
    not_typos in vocabulary.yaml."""
    def repl(m: re.Match[str]) -> str:
        word = m.group(0)
        fixed = TYPOS.get(word.lower())
        if fixed is None:
            return word
        if word.isupper():
            return fixed.upper()
        return fixed.capitalize() if word[0].isupper() else fixed

    return _WORD5_RE.sub(repl, text)
