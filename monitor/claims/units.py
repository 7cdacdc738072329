"""Numbers, ranges and units as health pages write them, normalised for every extractor.

Why a small table instead of pint or quantulum3: pages use a handful of units (µg … g, ml,
%, mg/ml, drops, sprays, minutes … months), but write them in many ways — "300mcg to
600mcg", ".25–1 mg", "0,5 g", "between 200 and 900 µg", "two to three drops", "up to 1 mg".
The hard part is the wording around the unit, not unit algebra; pint would add import time
and still need all of this. Everything here is a pure function over strings.

>>> [ (q.low, q.high, q.unit) for q in find_quantities("from 300mcg to 600mcg or .25-1 mg") ]
[(0.3, 0.6, 'mg'), (0.25, 1.0, 'mg')]
>>> parse_number("0,25"), parse_number("1,000"), parse_number("twice"), parse_number(".5")
(0.25, 1000.0, 2.0, 0.5)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Factor to the canonical unit of each kind: mass → mg, volume → ml, time → minutes.
MASS_TO_MG: dict[str, float] = {
    "kg": 1e6, "kilogram": 1e6, "kilograms": 1e6,
    "g": 1e3, "gm": 1e3, "gram": 1e3, "grams": 1e3, "gramme": 1e3, "grammes": 1e3,
    "mg": 1.0, "milligram": 1.0, "milligrams": 1.0, "milligramme": 1.0, "milligrammes": 1.0,
    "mcg": 1e-3, "µg": 1e-3, "μg": 1e-3, "ug": 1e-3, "microgram": 1e-3, "micrograms": 1e-3,
    "microgramme": 1e-3, "microgrammes": 1e-3,
    "ng": 1e-6, "nanogram": 1e-6, "nanograms": 1e-6,
}  # fmt: skip
VOLUME_TO_ML: dict[str, float] = {
    "ml": 1.0, "milliliter": 1.0, "milliliters": 1.0, "millilitre": 1.0, "millilitres": 1.0, "cc": 1.0,
    "µl": 1e-3, "μl": 1e-3, "ul": 1e-3, "microliter": 1e-3, "microliters": 1e-3, "microlitre": 1e-3,
    "microlitres": 1e-3,
}  # fmt: skip
PERCENT_UNITS = ("%", "percent", "per cent", "pct")
# International units measure activity, not mass: kept as their own kind, never converted here.
IU_UNITS = ("iu", "i.u.", "international units", "international unit")
COUNT_UNITS: dict[str, str] = {
    "drop": "drop", "drops": "drop", "spray": "spray", "sprays": "spray", "puff": "spray",
    "puffs": "spray", "dose": "dose", "doses": "dose", "capsule": "capsule", "capsules": "capsule",
    "tablet": "tablet", "tablets": "tablet", "injection": "injection", "injections": "injection",
}  # fmt: skip
TIME_TO_MIN: dict[str, float] = {
    "min": 1, "mins": 1, "minute": 1, "minutes": 1, "h": 60, "hr": 60, "hrs": 60, "hour": 60,
    "hours": 60, "day": 1440, "days": 1440, "week": 10080, "weeks": 10080, "wk": 10080,
    "wks": 10080, "month": 43200, "months": 43200,
}  # fmt: skip
NUMBER_WORDS: dict[str, float] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "hundred": 100,
    "a hundred": 100, "a dozen": 12, "dozen": 12, "half": 0.5, "a half": 0.5, "a single": 1,
    "single": 1, "a": 1, "an": 1, "once": 1, "twice": 2, "thrice": 3, "a couple of": 2,
    "a couple": 2, "couple of": 2, "a few": 3,
}  # fmt: skip

_WORDS_ALT = "|".join(sorted((re.escape(w).replace(r"\ ", r"\s+") for w in NUMBER_WORDS), key=len, reverse=True))
NUMBER = rf"(?:\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:[.,]\d+)?|\.\d+|\b(?:{_WORDS_ALT})\b)"
_NUMBER_RE = re.compile(NUMBER, re.IGNORECASE)


def _alt(names: object) -> str:
    return "|".join(sorted((re.escape(n).replace(r"\ ", r"\s") for n in names), key=len, reverse=True))  # type: ignore[attr-defined]


_UNIT_ALT = _alt([*MASS_TO_MG, *VOLUME_TO_ML, *PERCENT_UNITS, *IU_UNITS, *COUNT_UNITS])
# Every unit word the quantity pattern knows (a count's adjectives must not be one of them).
UNIT_WORDS_ALT = _UNIT_ALT
_ADJ = r"(?:(?:small|large|big|full|single|equal|separate|metered|nasal|individual|standard)\s+)?"
UNIT = rf"{_ADJ}(?:{_UNIT_ALT})(?![A-Za-z])(?!\s*/\s*(?:mol|dl|l)\b)"  # not g/mol, mg/dl, mg/l
_TIME_ALT = _alt(TIME_TO_MIN)
_SEP = r"\s*(?:-|–|—|‐|to|or)\s*"
_OPEN_HIGH = r"(?:up\s+to|no\s+more\s+than|not\s+more\s+than|not\s+(?:to\s+)?exceed(?:ing)?|a\s+maximum\s+of|maximum\s+of|maximum|max\.?|≤|<=|<|below|under)"
_OPEN_LOW = r"(?:at\s+least|a\s+minimum\s+of|minimum\s+of|minimum|min\.?|no\s+less\s+than|not\s+less\s+than|≥|>=|>|over|more\s+than)"
_QUANTITY_RE = re.compile(
    rf"""(?<![\w.,$€£])(?:
        (?:between|from)\s+(?P<b_lo>{NUMBER})\s*(?P<b_u1>{UNIT})?\s*(?:and|to|-|–)\s*(?P<b_hi>{NUMBER})\s*(?P<b_u2>{UNIT})
      | (?P<r_lo>{NUMBER})\s*(?P<r_u1>{UNIT})?{_SEP}(?P<r_hi>{NUMBER})\s*(?P<r_u2>{UNIT})
      | (?P<oh>{_OPEN_HIGH})\s+(?:of\s+)?(?P<oh_n>{NUMBER})\s*(?P<oh_u>{UNIT})
      | (?P<ol>{_OPEN_LOW})\s+(?:of\s+)?(?P<ol_n>{NUMBER})\s*(?P<ol_u>{UNIT})
      | (?P<s_n>{NUMBER})\s*(?P<s_u>{UNIT})
    )(?:\s*(?:/|per\s+|a\s+|an\s+)(?P<per>kg|ml|mL|kilogram|m2\b|m²|square\s+met(?:er|re)|{_TIME_ALT})(?![A-Za-z]))?""",
    re.IGNORECASE | re.VERBOSE,
)
_CLIMB_RE = re.compile(
    r"\b(?:went|go|goes|going|gone|titrat\w*|increas\w*|mov\w*|work\w*|buil\w*|ramp\w*|step\w*|bump\w*|rais\w*|climb\w*)\s*$",
    re.IGNORECASE,
)
_SINGLE_RE = re.compile(rf"(?P<s_n>{NUMBER})\s*(?P<s_u>{UNIT})", re.IGNORECASE)
_TIME_RE = re.compile(
    rf"(?<![\w.,])(?:(?P<lo>{NUMBER})\s*(?:-|–|—|to|or)\s*)?(?P<n>{NUMBER})[\s-]*(?P<u>{_TIME_ALT})\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Quantity:
    """An amount or a range found in text, in canonical units.

    ``kind`` is mass (mg), iu (IU), volume (ml), percent, concentration (mg/ml), count (unit names the
    thing counted: drop, spray, dose, capsule, tablet, injection) or time (minutes).
    ``low``/``high`` are None for an open end ("up to 1 mg" has low None).
    ``per`` is the denominator written with the unit ("50 µg/kg" → "kg", "mg/day" → "day").
    """

    low: float | None
    high: float | None
    unit: str
    kind: str
    start: int
    end: int
    per: str | None = None


def sig6(x: float) -> float:
    """Round to 6 significant digits so 300 mcg is exactly 0.3 mg."""
    return float(f"{x:.6g}")


def parse_number(token: str) -> float | None:
    """A number as written: "12", ".25", "0,25" (decimal comma), "1,000", "two", "twice", "a dozen"."""
    s = re.sub(r"\s+", " ", (token or "").strip().lower())
    if s in NUMBER_WORDS:
        return float(NUMBER_WORDS[s])
    if re.fullmatch(r"\d+(?:,\d+)+(?:\.\d+)?", s):
        # "1,000" / "12,500.5" are thousands; "0,25" / "1,5" / "0,250" are decimal commas.
        thousands = re.fullmatch(r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?", s)
        if thousands:
            return float(s.replace(",", ""))
        if s.count(",") == 1 and "." not in s:
            return float(s.replace(",", "."))
        return None
    try:
        return float(s)
    except ValueError:
        return None


def mass_to_mg(value: float, unit: str) -> float | None:
    factor = MASS_TO_MG.get(unit.lower())
    return None if factor is None else sig6(value * factor)


def unit_kind(unit: str) -> tuple[str, str, float] | None:
    """``(kind, canonical unit, factor)`` for a unit as written, None when unknown."""
    u = re.sub(r"\s+", " ", unit.strip()).lower()
    u = re.sub(r"^(?:small|large|big|full|single|equal|separate|metered|nasal|individual|standard) ", "", u)
    if u in MASS_TO_MG and unit.strip() != "G":
        return "mass", "mg", MASS_TO_MG[u]
    if u in VOLUME_TO_ML:
        return "volume", "ml", VOLUME_TO_ML[u]
    if u in PERCENT_UNITS:
        return "percent", "%", 1.0
    if u in IU_UNITS:
        return "iu", "IU", 1.0
    if u in COUNT_UNITS:
        return "count", COUNT_UNITS[u], 1.0
    return None


def find_quantities(text: str) -> list[Quantity]:
    """Every amount/range with a unit in ``text``, left to right, non-overlapping."""
    out: list[Quantity] = []
    pos = 0
    while True:
        m = _QUANTITY_RE.search(text, pos)
        if not m:
            return out
        q = _from_match(m) or _single_at(text, m.start())
        if q is not None and m.group("oh") and _CLIMB_RE.search(text[max(0, m.start() - 25) : m.start()]):
            # "went up to 900 µg" reports a step, not an upper limit
            q = Quantity(q.high, q.high, q.unit, q.kind, q.start, q.end, q.per)
        if q is None:
            pos = m.start() + 1
            continue
        out.append(q)
        pos = max(q.end, m.start() + 1)


def _single_at(text: str, start: int) -> Quantity | None:
    m = _SINGLE_RE.match(text, start)
    if not m:
        return None
    return _build(m.group("s_n"), m.group("s_n"), m.group("s_u"), None, m.start(), m.end(), None)


def _from_match(m: re.Match[str]) -> Quantity | None:
    g = m.group
    per = g("per")
    if g("b_lo"):
        return _build(g("b_lo"), g("b_hi"), g("b_u2"), g("b_u1"), m.start(), m.end(), per)
    if g("r_lo"):
        return _build(g("r_lo"), g("r_hi"), g("r_u2"), g("r_u1"), m.start(), m.end(), per)
    if g("oh"):
        return _build(None, g("oh_n"), g("oh_u"), None, m.start(), m.end(), per)
    if g("ol"):
        return _build(g("ol_n"), None, g("ol_u"), None, m.start(), m.end(), per)
    return _build(g("s_n"), g("s_n"), g("s_u"), None, m.start(), m.end(), per)


def _build(
    lo: str | None, hi: str | None, unit: str, lo_unit: str | None, start: int, end: int, per: str | None
) -> Quantity | None:
    info = unit_kind(unit)
    if info is None:
        return None
    kind, canon, factor = info
    lo_factor = factor
    if lo_unit:
        lo_info = unit_kind(lo_unit)
        if lo_info is None or lo_info[0] != kind or lo_info[1] != canon:
            return None
        lo_factor = lo_info[2]
    low = parse_number(lo) if lo is not None else None
    high = parse_number(hi) if hi is not None else None
    if (lo is not None and low is None) or (hi is not None and high is None):
        return None
    low = None if low is None else sig6(low * lo_factor)
    high = None if high is None else sig6(high * factor)
    if low is not None and high is not None and low > high:
        return None
    per_norm = _norm_per(per)
    if kind == "mass" and per_norm == "ml":
        kind, canon, per_norm = "concentration", "mg/ml", None
    return Quantity(low, high, canon, kind, start, end, per_norm)


def _norm_per(per: str | None) -> str | None:
    if not per:
        return None
    p = per.lower()
    if p in ("kg", "kilogram"):
        return "kg"
    if p in ("m2", "m²") or p.startswith("square"):
        return "m2"
    if p == "ml":
        return "ml"
    minutes = TIME_TO_MIN.get(p)
    return {1: "minute", 60: "hour", 1440: "day", 10080: "week", 43200: "month"}.get(int(minutes or 0))


def find_times(text: str) -> list[Quantity]:
    """Time spans ("20 minutes", "10-14 days", "2 weeks", "3-4 hours") in minutes, kind "time"."""
    out = []
    for m in _TIME_RE.finditer(text):
        n = parse_number(m.group("n"))
        lo = parse_number(m.group("lo")) if m.group("lo") else n
        if n is None or lo is None or m.group("n").lower() in ("a", "an") and m.group("lo"):
            continue
        factor = TIME_TO_MIN[m.group("u").lower()]
        if lo > n:
            continue
        out.append(Quantity(sig6(lo * factor), sig6(n * factor), "min", "time", m.start(), m.end()))
    return out


def find_numbers(text: str) -> list[tuple[float, int, int]]:
    """Bare numbers (digits or words) with their spans."""
    out = []
    for m in _NUMBER_RE.finditer(text):
        value = parse_number(m.group(0))
        if value is not None:
            out.append((value, m.start(), m.end()))
    return out
