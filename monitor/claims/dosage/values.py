"""Values of a regimen in the CLAIM_MODEL vocabulary: amounts, counts, strengths, conversions.

Why its own module: this is where units meet arithmetic ("2 capsules of 500 mg" is 1,000 mg;
"0.4 ml of a 250 mg/ml solution" is 100 mg; IU of vitamin D to mg), and where a reader checks
that nothing is invented: IU is converted only through the listed factor table, mL only with a
mg/ml concentration stated in the same piece of text, and a per-unit strength only from the
count it was written with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from monitor.claims.dosage import roles
from monitor.claims.dosage.anchors import Anchor
from monitor.claims.dosage.vocabulary import count_unit, iu_factor
from monitor.claims.units import sig6

_I = re.IGNORECASE
_EACH_BEFORE_RE = re.compile(r"(?:[(,;:–—-]|\band\b)\s*(?:each|apiece|per\s+(?:capsule|tablet|softgel|gummy|caplet|cap|tab|piece|unit))"
                             r"\s*(?:one\s+)?(?:(?:is|has|contains|containing|providing|provides|with|of|at|=|:)\s*)?(?:about\s+)?$", _I)
_TIMES_N_RE = re.compile(r"^\s*[x×]\s*(\d+)\b(?!\s*(?:mg|mcg|g|ml|iu|%))", _I)


@dataclass
class Regimen:
    anchors: list[Anchor]
    role: str = "dose"  # dose | limit | package | strength
    value: dict[str, Any] = field(default_factory=dict)

    @property
    def start(self) -> int:
        return self.anchors[0].start

    @property
    def end(self) -> int:
        return self.anchors[-1].end


def gap(reg: Regimen, start: int, end: int) -> int:
    if end <= reg.start:
        return reg.start - end
    if start >= reg.end:
        return start - reg.end
    return 0


def _put(v: dict[str, Any], lo_key: str, hi_key: str, a: Anchor, limit: bool = False) -> None:
    lo, hi = a.low, a.high
    if limit:
        v[hi_key] = hi if hi is not None else lo
        return
    if lo is not None:
        v[lo_key] = lo
    if hi is not None:
        v[hi_key] = hi


def values(text: str, reg: Regimen) -> dict[str, Any]:
    v: dict[str, Any] = {}
    role = reg.role
    if role == "package":
        for a in reg.anchors:
            if a.kind == "volume":
                v["container_ml"] = a.high if a.high is not None else a.low
            elif a.kind == "mass":
                v["container_mg"] = a.high if a.high is not None else a.low
            elif a.kind == "count" and a.unit == "dose":
                v["doses_per_container"] = a.high
            elif a.kind == "count":
                v["container_count"], v["count_unit"] = a.high, a.unit
                if a.each is not None and a.each.kind == "mass" and a.unit in ("vial", "ampoule"):
                    v.setdefault("container_mg", a.each.high if a.each.high is not None else a.each.low)  # "10 × 5 mg vials"
            if a.kind in ("volume", "mass") and "count_unit" not in v:
                unit = roles.container_unit(text, a)
                if unit:
                    v["count_unit"] = unit  # "Each vial contains 5 mg", "10 mL multi-dose vial"
                    times = _TIMES_N_RE.match(text[a.end : a.end + 12])
                    if times:
                        v["container_count"] = float(times.group(1))  # "ampoules 10 ml x 5"
        v["package"] = True
        return v
    limit = role == "limit"
    for a in reg.anchors:
        if a.kind == "percent":
            v["concentration_percent"] = a.low if a.low is not None else a.high
        elif a.kind == "concentration":
            v["concentration_mg_per_ml"] = a.low if a.low is not None else a.high
        elif a.kind == "mass":
            if role == "strength" and roles.each_unit(text, a) not in (None, "ml"):
                v["unit_mg"] = a.high
                v["count_unit"] = count_unit(roles.each_unit(text, a) or "") or v.get("count_unit")
            elif role == "strength" and roles.each_unit(text, a) == "ml":
                v["concentration_mg_per_ml"] = a.high
            elif role == "strength" and roles.unit_word_after(text, a):
                v["unit_mg"] = a.high
                v["count_unit"] = count_unit(roles.unit_word_after(text, a) or "")
            elif role == "strength" and roles.unit_word_before(text, a):
                v["unit_mg"] = a.high  # "Sublingual Lozenges 5000 mcg"
                v["count_unit"] = count_unit(roles.unit_word_before(text, a) or "")
            else:
                _put(v, "min_mg", "max_mg", a, limit)
            if a.per == "kg":
                v["per_kg"] = True
            elif a.per == "m2":
                v["per_m2"] = True
            elif a.per in ("day", "week"):
                v["per"] = a.per
        elif a.kind == "iu":
            _put(v, "min_iu", "max_iu", a, limit)
            word = roles.unit_word_after(text, a) or roles.each_unit(text, a)
            if role == "strength" and word and count_unit(word):
                v["count_unit"] = count_unit(word)
            if a.per in ("day", "week"):
                v["per"] = a.per
        elif a.kind == "volume":
            _put(v, "min_ml", "max_ml", a, limit)
            if a.per in ("day", "week"):
                v["per"] = a.per
        elif a.kind == "count":
            _put(v, "count_min", "count_max", a, limit)
            v["count_unit"] = a.unit
            if a.each is not None:
                key = "unit_mg" if a.each.kind == "mass" else "unit_iu"
                v[key] = a.each.high
    if "count_min" in v or "count_max" in v:
        _count_amounts(text, reg, v)
    if role == "strength":
        v.pop("unit_iu", None)
        v["strength"] = True
    if limit:
        v.pop("unit_iu", None)
        v["limit"] = True
        if v.get("count_unit") in ("dose", "injection") and "count_max" in v:  # "no more than 4 doses in 24 hours"
            n = v.pop("count_max")
            v.pop("count_unit")
            period = "week" if re.search(r"\b(?:a|per|in\s+(?:a|any|one))\s+week\b", text[reg.end : reg.end + 30], _I) else "day"
            v[f"times_per_{period}_max"] = n
            v["per"] = period  # the limit counts doses in a day (a week)
    return v


def _count_amounts(text: str, reg: Regimen, v: dict[str, Any]) -> None:
    """"2 capsules of 500 mg" = 1,000 mg with unit_mg 500; "1 tablet (400 mg)" = 400 mg, unit_mg 400."""
    count = next(a for a in reg.anchors if a.kind == "count")
    lo, hi = v.get("count_min"), v.get("count_max")
    mass = next((a for a in reg.anchors if a.kind == "mass"), None)
    if mass is not None and "unit_mg" not in v:
        between = text[count.end : mass.start]
        each_after = re.match(r"^\s*(?:each|per\s+\w+|apiece)\b", text[mass.end : mass.end + 15], _I)
        each_before = _EACH_BEFORE_RE.search(between)  # "3 caps a day (each 300mg)", "2 tablets, each containing 250 mg"
        if re.match(r"^\s*of\s*$", between) or each_after or each_before:
            v["unit_mg"] = mass.high
            v.pop("min_mg", None), v.pop("max_mg", None)
        elif lo is not None and lo == hi and mass.low == mass.high and mass.high is not None:
            v["unit_mg"] = sig6(mass.high / lo)
    if "unit_mg" in v and "min_mg" not in v and "max_mg" not in v:
        if lo is not None:
            v["min_mg"] = sig6(lo * v["unit_mg"])
        if hi is not None:
            v["max_mg"] = sig6(hi * v["unit_mg"])
    if "unit_iu" in v:
        unit_iu = v.pop("unit_iu")
        if "min_iu" not in v and "max_iu" not in v:
            if lo is not None:
                v["min_iu"] = sig6(lo * unit_iu)
            if hi is not None:
                v["max_iu"] = sig6(hi * unit_iu)


def convert(text: str, reg: Regimen) -> None:
    """mL -> mg with a stated concentration; IU <-> mg only for substances in the factor table."""
    v = reg.value
    conc = v.get("concentration_mg_per_ml")
    if conc and reg.role in ("dose", "limit") and ("min_ml" in v or "max_ml" in v) and "min_mg" not in v and "max_mg" not in v:
        for ml, mg in (("min_ml", "min_mg"), ("max_ml", "max_mg")):
            if ml in v:
                v[mg] = sig6(v[ml] * conc)
    if reg.role == "package":
        return
    window = text[max(0, reg.start - 60) : reg.end + 60]
    factor = iu_factor(window)
    if not factor:
        return
    for iu, mg in (("min_iu", "min_mg"), ("max_iu", "max_mg")):
        if iu in v and mg not in v:
            v[mg] = sig6(v[iu] * factor)
        elif mg in v and iu not in v and "unit_mg" not in v:
            v[iu] = sig6(v[mg] / factor)
