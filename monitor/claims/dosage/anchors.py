"""Anchors: the measured things a dose statement is built around, found in one piece of text.

An anchor is an amount (mass in mg, IU, a volume in ml), a strength (a percentage, mg/ml) or a
count of units ("2 capsules", "1-2 puffs", "one 10 mg tablet"). Everything else a statement
says (how often, how long, by which route, whether it is a maximum) is a modifier of the
anchors it stands next to (``schedule``, ``roles``, ``regimen``).

Why counts are found here and not in ``units``: a count is only a dose with the grammar around
it (an article is a count only after an intake verb — "take a capsule", not "as a nasal
spray"; adjectives may sit between number and unit — "20 film-coated tablets"; a per-unit
strength may sit inside — "one 50,000 IU capsule").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.claims.dosage.vocabulary import COUNT_UNIT_ALT, COUNT_WORDS, GLUE, count_unit
from monitor.claims.units import NUMBER, UNIT_WORDS_ALT, Quantity, find_quantities, parse_number, sig6

_I = re.IGNORECASE
_SEP = r"\s*(?:-|–|—|‐|to|or)\s*"
_NOT_ADJ = rf"(?:of|the|to|and|or|per|a|an|in|into|for|times|x|each|every|days?|weeks?|months?|hours?|minutes?|{COUNT_UNIT_ALT}|{UNIT_WORDS_ALT})\b"
_COUNT_RE = re.compile(
    rf"(?<![\w.,$€£/])(?P<lo>{NUMBER})(?!\d)(?:{_SEP}(?P<hi>{NUMBER})(?!\d))?\s*(?:x|×|-(?=[a-z]))?\s*"
    rf"(?:(?<![\d.,])(?P<each>(?:{NUMBER})\s*(?:mg|mcg|µg|μg|ug|g|iu|i\.u\.))\s+)?"
    rf"(?P<adj>(?:(?!{_NOT_ADJ})[a-z][a-z-]{{2,}}\s+){{0,2}})"
    rf"(?P<u>{COUNT_UNIT_ALT})(?![\w])",
    _I,
)
_NOT_A_DOSE_COUNT_RE = re.compile(r"\b(?:double|extra|missed|forgotten|additional|further|next|second)\b", _I)
# An article or "single" is a count only as the object of an intake verb.
_ARTICLE = frozenset({"a", "an", "single", "a single"})
_INTAKE_VERB_BEFORE_RE = re.compile(
    r"\b(?:take|takes|taking|use|apply|applies|chew|dissolve|swallow|place|put|insert|inhale|give|instil+|"
    r"inject|administer|mix|add|empty|spray|suck|drink|wear|dispense)\s+$",
    _I,
)
# Where glued table text ("Dose200 mcg", "weeksRecommended") needs a space back.
_GLUE_RE = re.compile(r"(?<=[A-Za-z][a-z]{2})(?=\d)|(?<=[a-z]{2})(?=[A-Z][a-z])")  # "Use3 softgels", "Dose200 mcg"
# A frequency word or a unit glued to the next lower-case word ("dailyon an empty stomach",
# "1mgper injection"); the glued words are data in vocabulary.yaml (glue_before / glue_after).
_GLUE_WORDS_RE = re.compile(
    r"(?:" + "|".join(rf"(?<={re.escape(w)})" for w in GLUE["after_words"]) + r")(?=(?:" + "|".join(GLUE["next_words"]) + r")\b)"
    r"|(?<=\d)(?:" + "|".join(GLUE["units"]) + r")(?=(?:" + "|".join(GLUE["next_words"]) + r")\b)",
    _I,
)
MAX_PLAUSIBLE_MG = 1e5  # 100 g: above this a "mass" is a body weight or a batch, not a dose


@dataclass(frozen=True)
class Anchor:
    """One measured thing; ``unit`` is mg, IU, ml, %, mg/ml or a count unit (capsule, drop …)."""

    kind: str  # mass | iu | volume | percent | concentration | count
    low: float | None
    high: float | None
    unit: str
    start: int
    end: int
    per: str | None = None  # kg, m2, day, week … as written with the unit ("mg/kg", "mcg/day")
    each: Quantity | None = None  # a count's per-unit strength written inside it ("one 10 mg tablet")


def unglue(text: str) -> str:
    """Put back the spaces a flattened HTML table lost ("Dose200 mcg" -> "Dose 200 mcg")."""
    text = _GLUE_RE.sub(" ", text)
    return _GLUE_WORDS_RE.sub(lambda m: m.group(0) + " ", text) if _GLUE_WORDS_RE.search(text) else text


def find_anchors(text: str) -> list[Anchor]:
    """Every amount, strength and count in ``text``, left to right, non-overlapping."""
    counts = _counts(text)
    out = list(counts)
    for q in find_quantities(text):
        if q.kind == "count" or not _plausible(q):
            continue
        if any(c.start <= q.start < c.end for c in counts):
            continue  # the per-unit strength inside a count
        out.append(Anchor(q.kind, q.low, q.high, q.unit, q.start, q.end, q.per))
    return sorted(out, key=lambda a: a.start)


def _plausible(q: Quantity) -> bool:
    if q.kind == "mass" and (q.high or q.low or 0) >= MAX_PLAUSIBLE_MG:
        return False
    return q.kind != "mass" or q.per not in ("minute", "hour", "month")


_COUNT_HINTS = frozenset(w.split()[-1] for w in COUNT_WORDS)
_WORD_RE = re.compile(r"[a-z]+")


def _counts(text: str) -> list[Anchor]:
    out: list[Anchor] = []
    if _COUNT_HINTS.isdisjoint(_WORD_RE.findall(text.lower())):
        return out  # cheap: no count word at all
    for m in _COUNT_RE.finditer(text):
        unit = count_unit(m.group("u"))
        lo_raw = m.group("lo").lower()
        if unit is None:
            continue
        if re.sub(r"\s+", " ", lo_raw) in _ARTICLE and not (
            m.group("hi") is None and _INTAKE_VERB_BEFORE_RE.search(text[max(0, m.start() - 20) : m.start()])
        ):
            continue
        if unit == "dose" and _NOT_A_DOSE_COUNT_RE.search(m.group("adj")):
            continue  # "do not take a double dose", "an extra dose": no number of doses
        lo = parse_number(m.group("lo"))
        hi = parse_number(m.group("hi")) if m.group("hi") else lo
        if lo is None or hi is None or lo > hi or lo <= 0 or hi > 10000:
            continue
        each = None
        if m.group("each"):
            found = find_quantities(m.group("each"))
            if found and found[0].kind in ("mass", "iu"):
                q = found[0]
                each = Quantity(q.low, q.high, q.unit, q.kind, m.start("each"), m.end("each"))
        out.append(Anchor("count", sig6(lo), sig6(hi), unit, m.start(), m.end(), None, each))
    return out
