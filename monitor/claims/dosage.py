"""DOSAGE claims: how much, how often, by which route, for how long, in what package.

Why this shape: a dosing change ("300 mcg" → "900 mcg", "twice" → "six times a day") is the
most dangerous thing a page can change, so each dosing statement becomes one claim whose
``value`` holds only what the text states, in canonical units (mg, ml, minutes → days):

    min_mg, max_mg, per ("dose" | "day" | "week"), per_kg, min_ml, max_ml,
    drops_min, drops_max, sprays_min, sprays_max, per_nostril,
    times_per_day_min, times_per_day_max, times_per_week_min, times_per_week_max,
    interval_minutes (or interval_minutes_min/_max), route, duration_days
    (or duration_days_min/_max), concentration_percent, concentration_mg_per_ml,
    container_ml, container_mg, doses_per_container, drops_per_container, sprays_per_container.

A single amount sets min and max to the same number; "up to 1 mg" sets only max_mg.
"2-3 times" with no period is read as per day (how dosing pages use it). "every 20 minutes"
is stored as ``interval_minutes: 20`` and never converted into times per day: the number of
waking hours a page assumes is not stated, so any conversion would be invented.

Key: ``dosage:<route or "unspecified">:<per-kind>``, per-kind being
``dose`` (amount per administration, also when the page does not say per what),
``day`` / ``week`` (amount per day / week), ``drops`` (drop or spray regimen),
``package`` (container content or concentration), ``frequency`` (frequency only) or
``duration`` (course length only: "a course is 10-14 days").
The key does not contain numbers, so a changed amount aligns with its old version.

What is not a dosage claim: a dose word without a value ("dosage may be lower"), numbers
without a dose unit (dates, counters, "ACTH(4-10)", prices), percentages that are not a
solution strength ("Save 20%"), "2-3 times more potent", a bottle size alone, bibliography.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from monitor.claims import register
from monitor.claims.lexicon import find_subject, is_reference, make_claim
from monitor.claims.units import NUMBER, Quantity, find_quantities, find_times, parse_number, sig6
from monitor.models import Claim, TextUnit

_I = re.IGNORECASE
_CONTAINER = r"(?:bottles?|vials?|ampoules?|ampules?|ampoule|containers?|packs?|flasks?|cartridges?|pens?|kits?|tubes?)"
_CONTAINER_AFTER_RE = re.compile(rf"^[\s-]*(?:\w+[\s-]+)?{_CONTAINER}\b", _I)
_CONTAINER_BEFORE_RE = re.compile(
    rf"\b(?:{_CONTAINER}|package|box)\b[^.;]{{0,40}}\b(?:contains?|holds?|has|of|with|provides?)\s*(?:about|approximately|roughly|around|~)?\s*$"
    rf"|\b(?:per|each|in\s+(?:each|one|a|the))\s+{_CONTAINER}\s*$",
    _I,
)
_CONTAINER_PER_AFTER_RE = re.compile(rf"^\s*(?:per|in\s+(?:each|one|a|the)|each)\s+{_CONTAINER}\b", _I)
_CONTAIN_VERB_RE = re.compile(r"\b(?:contains?|holds?|yields?|provides?|lasts?\s+for|makes?|enough\s+for|equals?)\b", _I)
_FORM = r"(?:solution|drops?|sprays?|nasal|concentration|strength|formulation|vials?|bottles?|ampoules?|injection|gel|cream|liquid)"
_STRENGTH_AFTER_RE = re.compile(rf"^\s*(?:[\w-]+\s+)?{_FORM}\b", _I)
_STRENGTH_BEFORE_RE = re.compile(
    rf"(?:\b{_FORM}|\b(?:semax|selank|noopept|cerebrolysin|bpc-?157|cortexin)|\bdilut\w*)\s*(?:of|is|at|:|=)?\s*(?:about|approximately|~)?\s*$",
    _I,
)
_DOSE_CUE_RE = re.compile(
    r"\b(?:dos(?:e|es|age|ages|ing)|take[ns]?|taking|use[ds]?|using|administ\w+|apply|applied|instil+\w*|"
    r"inject\w*|infus\w*|spray|put|place|give[ns]?|given|recommend\w*|regimen|protocol|start\w*|"
    r"intake|daily|per\s+day|a\s+day|frequency)\b",
    _I,
)
_NOSTRIL_RE = re.compile(r"\b(?:in|into|per|for|up|each)\s+(?:each\s+|every\s+|one\s+|either\s+|the\s+)?nostrils?\b", _I)
_ROUTES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("intranasal", re.compile(r"\b(?:intra-?nasal(?:ly)?|nasal(?:ly)?|nostrils?|nose)\b", _I)),
    ("subcutaneous", re.compile(r"\b(?:sub-?cutaneous(?:ly)?|sub-?q|s\.c\.|s/c)|\bSC\b(?=\s+inject)", _I)),
    ("intramuscular", re.compile(r"\bintra-?muscular(?:ly)?\b|\bi\.m\.|\bIM\b(?=\s+inject)", _I)),
    ("intravenous", re.compile(r"\bintra-?venous(?:ly)?\b|\bi\.v\.|(?<!Type )(?<!Phase )\bIV\b|\binfusions?\b|\bdrip\b")),
    ("sublingual", re.compile(r"\bsub-?lingual(?:ly)?\b|\bunder\s+the\s+tongue\b", _I)),
    ("oral", re.compile(r"\b(?:oral(?:ly)?|by\s+mouth|swallow\w*|capsules?|tablets?|pills?)\b", _I)),
    ("injection", re.compile(r"\b(?:inject(?:ion|ions|ed|ing|able)?|shots?)\b", _I)),
)
_PERIOD = r"(?P<p>day|daily|week|weekly|24\s*h(?:ours?)?)"
_FREQ_RES: tuple[re.Pattern[str], ...] = (
    # "2-3 times a day", "three times daily", "6x per day", "3 times a week", "2 times"
    re.compile(
        rf"(?<![\w.])(?P<a>{NUMBER})(?:\s*(?:-|–|to|or)\s*(?P<b>{NUMBER}))?\s*(?:times|x|×)(?![\w])"
        rf"(?:\s*(?:a|per|each|/|every)?\s*{_PERIOD})?(?!\s+(?:more|less|higher|lower|greater|stronger|weaker|as|the|that|than|faster|slower|better|worse)\b)",
        _I,
    ),
    # "once or twice daily", "twice a day", "once weekly"
    re.compile(
        rf"\b(?P<a>once|twice|thrice)(?:\s*(?:or|to|-)\s*(?P<b>once|twice|thrice|{NUMBER}\s+times))?"
        rf"(?:\s*(?:a|per|each|every)?\s*{_PERIOD})?(?!\s+(?:more|less|as)\b)",
        _I,
    ),
    # "divided into 2 doses", "split into two or three administrations", "in 3 divided doses"
    re.compile(
        rf"\bin\s+(?P<a>{NUMBER})(?:\s*(?:-|–|to|or)\s*(?P<b>{NUMBER}))?\s+(?:divided|separate|equal|split)\s+"
        r"(?:doses|administrations|portions|applications|intakes|injections)\b(?P<p>)",
        _I,
    ),
    re.compile(
        rf"\b(?:divided|split|spread)\s+(?:in|into|over|across)\s+(?P<a>{NUMBER})(?:\s*(?:-|–|to|or)\s*(?P<b>{NUMBER}))?\s+"
        r"(?:equal\s+)?(?:doses|administrations|portions|parts|applications|intakes|injections)\b(?P<p>)",
        _I,
    ),
)
_EVERY_RE = re.compile(r"\bevery\s*$", _I)
_DURATION_BEFORE_RE = re.compile(r"\b(?:for|over|during|lasting|course\s+of|cycles?\s+of|period\s+of)\s+(?:a\s+(?:course|period)\s+of\s+)?(?:up\s+to\s+)?$", _I)
# A duration with no amount is a dosing claim only about a course of use.
_COURSE_CUE_RE = re.compile(r"\b(?:course|cycle|treatment|protocol|regimen|dosing|administ\w+|us(?:e|ed|ing)|tak(?:e|en|ing)|run)\b", _I)
_COURSE_BEFORE_RE = re.compile(r"\b(?:course|cycle|treatment|protocol|regimen)s?\s+(?:\w+\s+)?(?:is|are|lasts?|runs?|of)\s+"
                               r"(?:typically\s+|usually\s+|about\s+|around\s+)?$", _I)
_DURATION_AFTER_RE = re.compile(r"^[\s-]*(?:course|cycle|treatment|protocol|regimen)\b", _I)
_PER_DAY_AFTER_RE = re.compile(r"^\s*(?:,\s*)?(?:daily|every\s+day|each\s+day|(?:per|in|within)\s+(?:any\s+|a\s+)?24[\s-]*h\w*)\b"
                               r"|^\s*(?:a|per|each)\s+day\b", _I)
_PER_WEEK_AFTER_RE = re.compile(r"^\s*(?:,\s*)?(?:weekly|every\s+week|each\s+week)\b|^\s*(?:a|per|each)\s+week\b", _I)
_PER_DAY_BEFORE_RE = re.compile(r"\b(?:daily|a\s+day'?s|per\s+day)\s+(?:dose|dosage|amount|intake|total)\b[^.;]{0,30}$", _I)
_PER_DOSE_NEAR_RE = re.compile(r"\b(?:per|each|a|one|single)\s+(?:dose|administration|injection|application|serving)\b", _I)
_SEPARATOR_RE = re.compile(r"\bor\b|;|\bwhile\b|\bthen\b|\bafter\b|\bbefore\b|\bup\s+to\b|\bincreas\w*|\bwent\b", _I)
_NAMED_RE = re.compile(
    r"\b([A-Z][A-Za-z]{2,}(?:-[A-Z0-9][A-Za-z0-9]*)?)\s+(?:is|contains|dosage|dosing|doses?|should|nasal|spray|drops|injections?)\b"
)
_NOT_NAMES = frozenset(
    "the this that these those each every it its our your their one recommended typical usual standard "
    "maximum minimum daily total suggested adult adults children which what when where how there a an "
    "any some most no this initial starting average".split()
)
_CANDIDATE_RE = re.compile(
    r"\d|%|\b(?:once|twice|thrice|times|drops?|sprays?|puffs?|doses?|\w*grams?|\w*grammes?|\w*lit(?:er|re)s?|"
    r"mcg|µg|μg|ug|ml|every|daily|weekly|days?|weeks?|months?)\b",
    _I,
)
_COUNT_BEFORE_RE = re.compile(rf"(?<![\w.,])(?P<n>{NUMBER})\s*(?:x|×)?\s*$", _I)
_MAX_PLAUSIBLE_MG = 1e5  # 100 g: above this a "mass" is a body weight or a batch, not a dose


@dataclass
class _Regimen:
    anchors: list[Quantity] = field(default_factory=list)
    package: bool = False
    value: dict[str, Any] = field(default_factory=dict)

    @property
    def start(self) -> int:
        return self.anchors[0].start

    @property
    def end(self) -> int:
        return self.anchors[-1].end


@register("dosage")
def extract(units: list[TextUnit]) -> list[Claim]:
    """One claim per dosing statement in ``units`` (see module docstring)."""
    claims: list[Claim] = []
    for unit in units:
        if unit.kind == "heading" or is_reference(unit):
            continue
        for key, value in dosage_values(unit.text, unit.kind == "table_row"):
            claim = make_claim("dosage", key, unit, value)
            if claim.subject is None:
                claim = replace(claim, subject=unknown_subject(unit.text) or unknown_subject(unit.context))
            claims.append(claim)
    return claims


def unknown_subject(text: str) -> str | None:
    """A substance not in the lexicon, named as "<Name> is/contains/dosage …" ("Dihexa-2 is …")."""
    for m in _NAMED_RE.finditer(text or ""):
        if m.group(1).lower() not in _NOT_NAMES:
            return m.group(1)
    return None


def dosage_values(text: str, is_table_row: bool = False) -> list[tuple[str, dict[str, Any]]]:
    """``(key, value)`` for every dosing statement in one unit's text."""
    if not _CANDIDATE_RE.search(text):
        return []  # cheap pre-filter: no number with a unit and no frequency word
    quantities = _with_dose_counts(text, [q for q in find_quantities(text) if _plausible(q)])
    freqs = _frequencies(text)
    regimens = _group(text, quantities, freqs)
    if not regimens:
        only = _frequency_only(text, freqs, is_table_row)
        return [only] if only else []
    _assign_modifiers(text, regimens, freqs)
    out = []
    for reg in regimens:
        key = _key(reg)
        if key:
            out.append((key, {k: reg.value[k] for k in sorted(reg.value)}))
    return out


# --- anchors and regimens ----------------------------------------------------------------------


def _with_dose_counts(text: str, quantities: list[Quantity]) -> list[Quantity]:
    """Add the count in "ten 200 mcg doses" / "30 x 1 mg doses", which no unit follows directly."""
    out = list(quantities)
    for q in quantities:
        m = _COUNT_BEFORE_RE.search(text[max(0, q.start - 20) : q.start])
        if q.kind == "mass" and m and re.match(r"\s*doses\b", text[q.end :], _I):
            n = parse_number(m.group("n"))
            if n is not None and n >= 1:
                start = q.start - (len(text[max(0, q.start - 20) : q.start]) - m.start("n"))
                out.append(Quantity(n, n, "dose", "count", start, start + len(m.group("n"))))
    return sorted(out, key=lambda q: q.start)


def _plausible(q: Quantity) -> bool:
    if q.kind == "mass" and (q.high or q.low or 0) >= _MAX_PLAUSIBLE_MG:
        return False
    return q.kind != "mass" or q.per not in ("minute", "hour", "month")


def _is_container(text: str, q: Quantity) -> bool:
    if q.kind not in ("volume", "mass"):
        return False
    return bool(
        _CONTAINER_AFTER_RE.match(text[q.end :])
        or _CONTAINER_BEFORE_RE.search(text[: q.start])
        or _CONTAINER_PER_AFTER_RE.match(text[q.end :])
    )


def _is_strength(text: str, q: Quantity) -> bool:
    """A solution strength: "1 mg/ml", "0.1% solution", "Semax 1%", "concentration of 0.1 %"."""
    if q.kind == "concentration":
        return True
    if q.kind != "percent" or q.low is None or q.low > 20:
        return False
    after, before = text[q.end : q.end + 30], text[max(0, q.start - 30) : q.start]
    return bool(
        _STRENGTH_AFTER_RE.match(after)
        or find_subject(after[:20])
        or _STRENGTH_BEFORE_RE.search(before)
    )


def _group(text: str, quantities: list[Quantity], freqs: list[tuple[dict[str, float], int, int]]) -> list[_Regimen]:
    regimens: list[_Regimen] = []
    strengths: list[Quantity] = []
    package_cue = any(_is_container(text, q) for q in quantities) or bool(
        re.search(_CONTAINER, text, _I) and _CONTAIN_VERB_RE.search(text)
    )
    for q in quantities:
        if _is_strength(text, q):
            strengths.append(q)
            continue
        if q.kind == "percent" or q.kind == "concentration":
            continue
        container = _is_container(text, q)
        in_package = container or (
            q.kind == "count"
            and q.unit in ("dose", "drop", "spray")
            and package_cue
            and (_after_contain(text, q) or not (freqs or _NOSTRIL_RE.search(text)))
        )
        prev = regimens[-1] if regimens else None
        if in_package:
            if prev and prev.package:
                prev.anchors.append(q)
            else:
                regimens.append(_Regimen([q], package=True))
            continue
        if q.kind == "count" and q.unit not in ("drop", "spray"):
            continue  # "20 injections", "2 capsules": read through frequency/route, not as amounts
        if prev and not prev.package and _joins(text, prev, q):
            prev.anchors.append(q)
        else:
            regimens.append(_Regimen([q]))
    if strengths and not freqs and not _DOSE_CUE_RE.search(text):
        # "Semax 0.1% nasal drops, 3 ml": next to a strength, a bare volume is the pack size
        for reg in regimens:
            if [a.kind for a in reg.anchors] == ["volume"]:
                reg.package = True
    regimens = [r for r in regimens if _has_dose_context(text, r, freqs)]
    for s in strengths:
        target = min(regimens, key=lambda r: _gap(r, s.start, s.end), default=None)
        if target is None:
            target = _Regimen([s], package=True)
            regimens.append(target)
        else:
            target.anchors.append(s)
            target.anchors.sort(key=lambda a: a.start)
    regimens.sort(key=lambda r: r.start)
    for reg in regimens:
        reg.value = _anchor_values(reg)
    return [r for r in regimens if r.value]


def _after_contain(text: str, q: Quantity) -> bool:
    before = text[max(0, q.start - 60) : q.start]
    return bool(_CONTAIN_VERB_RE.search(before) or re.search(r"\b(?:or|and)\s+(?:about|approximately|roughly|around|~)?\s*$", before, _I))


def _joins(text: str, prev: _Regimen, q: Quantity) -> bool:
    """Another anchor of a different measure close by describes the same dose ("0.3 ml (300 mcg)")."""
    kinds = {a.kind for a in prev.anchors}
    gap = text[prev.end : q.start]
    if q.kind in kinds or len(gap) > 40 or _SEPARATOR_RE.search(gap):
        return False
    return not (q.kind == "count" and kinds & {"count"})


def _has_dose_context(text: str, reg: _Regimen, freqs: list[tuple[dict[str, float], int, int]]) -> bool:
    kinds = {a.kind for a in reg.anchors}
    if reg.package:
        return True
    if "mass" in kinds:
        return True
    if "count" in kinds:  # drops / sprays need a nostril, a frequency or a dosing verb
        return bool(_NOSTRIL_RE.search(text) or freqs or _DOSE_CUE_RE.search(text))
    # a volume: needs a dosing word or a route
    return bool(_DOSE_CUE_RE.search(text) or freqs or any(p.search(text) for _, p in _ROUTES))


def _gap(reg: _Regimen, start: int, end: int) -> int:
    if end <= reg.start:
        return reg.start - end
    if start >= reg.end:
        return start - reg.end
    return 0


def _anchor_values(reg: _Regimen) -> dict[str, Any]:
    v: dict[str, Any] = {}
    for q in reg.anchors:
        if q.kind == "percent":
            v["concentration_percent"] = q.low if q.low is not None else q.high
        elif q.kind == "concentration":
            v["concentration_mg_per_ml"] = q.low if q.low is not None else q.high
        elif reg.package and q.kind in ("volume", "mass"):
            v["container_ml" if q.kind == "volume" else "container_mg"] = q.high if q.high is not None else q.low
        elif reg.package and q.kind == "count":
            v[f"{q.unit}s_per_container"] = q.high if q.high is not None else q.low
        elif q.kind == "mass":
            _put_range(v, "min_mg", "max_mg", q)
            if q.per == "kg":
                v["per_kg"] = True
            elif q.per in ("day", "week"):
                v["per"] = q.per
        elif q.kind == "volume":
            _put_range(v, "min_ml", "max_ml", q)
            if q.per in ("day", "week"):
                v["per"] = q.per
        elif q.kind == "count":
            _put_range(v, f"{q.unit}s_min", f"{q.unit}s_max", q)
    if reg.package and not (set(v) - {"container_ml"}):
        return {}  # a bottle size alone says nothing about the amount of substance
    return v


def _put_range(v: dict[str, Any], lo_key: str, hi_key: str, q: Quantity) -> None:
    if q.low is not None:
        v[lo_key] = q.low
    if q.high is not None:
        v[hi_key] = q.high


# --- modifiers: frequency, route, per, duration, interval ---------------------------------------


def _frequencies(text: str) -> list[tuple[dict[str, float], int, int]]:
    found: list[tuple[dict[str, float], int, int]] = []
    taken: list[tuple[int, int]] = []
    for rx in _FREQ_RES:
        for m in rx.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            value = _freq_value(m)
            if value:
                found.append((value, m.start(), m.end()))
                taken.append((m.start(), m.end()))
    return sorted(found, key=lambda f: f[1])


def _freq_value(m: re.Match[str]) -> dict[str, float]:
    a = parse_number(m.group("a"))
    b_raw = m.group("b")
    b = parse_number(re.sub(r"\s+times$", "", b_raw, flags=_I)) if b_raw else a
    if a is None or b is None or a <= 0 or a > b or b > 48 or a != int(a) and a != 0.5:
        return {}
    period = (m.group("p") or "").lower()
    unit = "week" if period.startswith("week") else "day"
    return {f"times_per_{unit}_min": sig6(a), f"times_per_{unit}_max": sig6(b)}


def _assign_modifiers(text: str, regimens: list[_Regimen], freqs: list[tuple[dict[str, float], int, int]]) -> None:
    def nearest(start: int, end: int) -> _Regimen:
        return min(regimens, key=lambda r: (_gap(r, start, end), r.start > start))

    dosing = [r for r in regimens if not r.package] or regimens
    for value, s, e in freqs:
        target = min(dosing, key=lambda r: (_gap(r, s, e), r.start > s))
        for k, x in value.items():
            target.value.setdefault(k, x)
    for t in find_times(text):
        before, after = text[max(0, t.start - 40) : t.start], text[t.end : t.end + 20]
        if _EVERY_RE.search(before):
            _put_span(nearest(t.start, t.end).value, "interval_minutes", t.low, t.high, 1)
        elif _DURATION_BEFORE_RE.search(before) or _DURATION_AFTER_RE.match(after):
            if not any(t.start < q.end and q.start < t.end for r in regimens for q in r.anchors):
                _put_span(nearest(t.start, t.end).value, "duration_days", t.low, t.high, 1440)
    for m in _NOSTRIL_RE.finditer(text):
        reg = nearest(m.start(), m.end())
        if any(k.startswith(("drops_", "sprays_")) for k in reg.value):
            reg.value["per_nostril"] = True
    _assign_routes(text, regimens)
    for reg in dosing:
        _assign_per(text, reg)


def _put_span(v: dict[str, Any], key: str, low: float | None, high: float | None, divisor: float) -> None:
    if low is None or high is None or key in v or f"{key}_min" in v:
        return
    if low == high:
        v[key] = sig6(low / divisor)
    else:
        v[f"{key}_min"], v[f"{key}_max"] = sig6(low / divisor), sig6(high / divisor)


def _assign_routes(text: str, regimens: list[_Regimen]) -> None:
    mentions: list[tuple[str, int, int]] = []
    for name, rx in _ROUTES:
        for m in rx.finditer(text):
            if not any(m.start() < e and s < m.end() for _, s, e in mentions):
                mentions.append((name, m.start(), m.end()))
    for reg in regimens:
        if len(regimens) == 1:
            near = mentions
        else:
            near = [mm for mm in mentions if min(regimens, key=lambda r: (_gap(r, mm[1], mm[2]), r.start > mm[1])) is reg]
        specific = [mm for mm in near if mm[0] != "injection"] or near
        if specific:
            reg.value["route"] = min(specific, key=lambda mm: _gap(reg, mm[1], mm[2]))[0]


def _assign_per(text: str, reg: _Regimen) -> None:
    v = reg.value
    if "per" in v or not ({"min_mg", "max_mg", "min_ml", "max_ml"} & set(v)):
        return
    main = next((a for a in reg.anchors if a.kind in ("mass", "volume")), None)
    if main is None:
        return
    after = text[main.end : main.end + 40]
    words = re.match(r"^(?:\s+of)?(?:\s+[\w-]+){0,3}?\s*(?=,?\s*(?:daily|every|each|per|a|in|within|/)\b)", after, _I)
    if words and not re.search(r"\b(?:once|twice|thrice|times)\b", words.group(0), _I):
        after = after[words.end() :]  # "200 mcg of BPC-157 per day"
    if _PER_DAY_AFTER_RE.match(after) or _PER_DAY_BEFORE_RE.search(text[max(0, main.start - 60) : main.start]):
        v["per"] = "day"
    elif _PER_WEEK_AFTER_RE.match(after):
        v["per"] = "week"
    elif _PER_DOSE_NEAR_RE.search(text[max(0, main.start - 30) : main.end + 30]):
        v["per"] = "dose"


def _frequency_only(
    text: str, freqs: list[tuple[dict[str, float], int, int]], is_table_row: bool
) -> tuple[str, dict[str, Any]] | None:
    """A frequency with no amount is a claim only with an explicit period and a dosing cue."""
    explicit = [f for f in freqs if any(k.startswith(("times_per_day", "times_per_week")) for k in f[0])]
    value: dict[str, Any] = {}
    periodic = [f for f in explicit if re.search(r"day|daily|week|24", text[f[1] : f[2]], _I)]
    if periodic and (_DOSE_CUE_RE.search(text) or is_table_row):
        value.update(periodic[0][0])
    duration: dict[str, Any] = {}
    for t in find_times(text):
        before, after = text[max(0, t.start - 40) : t.start], text[t.end : t.end + 20]
        if _EVERY_RE.search(before) and _DOSE_CUE_RE.search(text):
            _put_span(value, "interval_minutes", t.low, t.high, 1)
        elif not duration and _COURSE_CUE_RE.search(text) and (
                _DURATION_BEFORE_RE.search(before) or _COURSE_BEFORE_RE.search(before) or _DURATION_AFTER_RE.match(after)):
            _put_span(duration, "duration_days", t.low, t.high, 1440)
    kind = "frequency"
    if not value and duration:  # "a course lasts 10–14 days": how long to dose is a dosing claim too
        value, kind = duration, "duration"
    if not value:
        return None
    reg = _Regimen([], value=value)
    _assign_routes_frequency(text, reg)
    route = reg.value.get("route", "unspecified")
    return f"dosage:{route}:{kind}", {k: reg.value[k] for k in sorted(reg.value)}


def _assign_routes_frequency(text: str, reg: _Regimen) -> None:
    names = [name for name, rx in _ROUTES if rx.search(text)]
    specific = [n for n in names if n != "injection"] or names
    if specific:
        reg.value["route"] = specific[0]


def _key(reg: _Regimen) -> str:
    v = reg.value
    route = v.get("route") or "unspecified"
    if reg.package:
        kind = "package"
    elif {"min_mg", "max_mg", "min_ml", "max_ml"} & set(v):
        kind = v.get("per") if v.get("per") in ("day", "week") else "dose"
    elif any(k.startswith(("drops_", "sprays_")) for k in v):
        kind = "drops"
    else:
        kind = "frequency"
    return f"dosage:{route}:{kind}"
