"""Regimens: anchors grouped into statements, modifiers given to them, values and keys built.

One piece of text (a sentence, a list item, one line of a table) can state several regimens
("0.25-1 mg per day or 2-3 drops in each nostril"; "start with 3 mg, then increase to 7 mg";
"10 mg, 2-3 times daily (maximum 30 mg a day)"). Anchors of different measures that stand
together describe one intake ("1 tablet (400 mg)", "0.1 ml (250 mcg)", "5 drops (400 IU)");
anything after a separator ("or", ";", "then", "increase", "plus") starts another.

Values follow ``benchmarks/blind/CLAIM_MODEL.md``; the key is ``dosage:<route>:<kind>`` with
kind ``dose``/``day``/``week`` (an intake per dose / day / week), ``limit``, ``package``,
``strength``, ``frequency``, ``duration`` or ``cycle`` (those stated with no amount). Keys hold
no numbers, so a changed amount aligns with its old version.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from monitor.claims.dosage import roles, schedule
from monitor.claims.dosage.anchors import Anchor, find_anchors, unglue
from monitor.claims.dosage.schedule import Modifier
from monitor.claims.dosage.values import Regimen, convert, gap, values
from monitor.claims.dosage.vocabulary import COUNT_UNIT_ALT, IMPLIED_ROUTES, ROUTES, THROUGH_SKIN, count_unit
from monitor.claims.units import NUMBER, parse_number, sig6

_I = re.IGNORECASE
_SEPARATOR_RE = re.compile(r"\bor\b|;|\bwhile\b|\bthen\b|\bafter\b|\bbefore\b|\bup\s+to\b|\bincreas\w*|\bwent\b|\bplus\b"
                           r"|\band\b(?!\s+(?:evening|morning|night))|\.\s|\bbut\b|\bvs\.?|\bversus\b", _I)
_DOSE_CUE_RE = re.compile(
    r"\b(?:dos(?:e|es|age|ages|ing)|take[ns]?|taking|took|use[ds]?|using|administ\w+|apply|applied|instil+\w*|inhale\w*|"
    r"inject\w*|infus\w*|spray|put|place|give[ns]?|given|recommend\w*|regimen|protocol|start\w*|chew|dissolve|swallow|"
    r"intake|daily|per\s+day|a\s+day|frequency|serving|suggested|directions|aim|pin|massage|insert|drink|mix|repeat\w*|draw\s+up|dispense|"
    r"i['’]m\s+on|on\s+\d)\b",
    _I,
)
_NOSTRIL_RE = re.compile(r"\b(?:in|into|per|for|up|each)\s+(?:each\s+|every\s+|either\s+|both\s+|the\s+)?nostrils?\b|\bper\s+nostril\b", _I)
_ONE_NOSTRIL_RE = re.compile(r"\b(?:one|a\s+single|the\s+same)\s+nostril\b", _I)
_PER_DAY_AFTER_RE = re.compile(r"^\s*(?:,\s*)?(?:daily|every\s+day|each\s+day|(?:in|within|over)\s+(?:any\s+|a\s+|one\s+|a\s+single\s+)day|(?:per|in|within|over)\s+(?:any\s+|a\s+|one\s+)?24[\s-]*h\w*(?:\s+period)?)\b"
                               r"|^\s*(?:a|per|each|/)\s*(?:day|d|night)\b", _I)
_PER_DOSE_NEAR_RE = re.compile(r"\b(?:per|each|a|one|single)\s+(?:dose|administration|injection|application|serving)\b", _I)
_PER_WEEK_AFTER_RE = re.compile(r"^\s*(?:a|per|each|/)\s*week\b", _I)
_PER_WEEK_BEFORE_RE = re.compile(r"\b(?:weekly|a\s+week'?s|per\s+week|total\s+weekly)\s+(?:dose|dosage|amount|intake|total|allowance)\b[^.;]{0,30}$", _I)
_PER_DAY_BEFORE_RE = re.compile(r"\b(?:daily|a\s+day'?s|per\s+day|total\s+daily)\s+(?:dose|dosage|amount|intake|total|allowance)\b[^.;]{0,30}$", _I)
_COURSE_CUE_RE = re.compile(r"\b(?:course|cycle|treatment|protocol|regimen|dosing|administ\w+|us(?:e|ed|ing)|tak(?:e|en|ing)|run|duration|length|"
                            r"stay(?:s|ed|ing)?\s+on|(?:each|every|per)\s+(?:dose\s+)?(?:step|level))\b", _I)
# Every route pattern contains one of these stems (checked by test_dosage_vocabulary_hint).
_ROUTE_HINT_RE = re.compile(r"lingual|tongue|buccal|cheek|nas|nostril|nose|cut|sub|s\.c|s/c|(?-i:SC|SQ|IM|IV)|skin|muscul|i\.m|muscle|vein|"
                            r"ven|i\.v|infus|drip|inhal|nebuli|rect|suppositor|dermal|topical|area|cream|ointment|lotion|"
                            r"serum|gel|massage|oral|mouth|swallow|p\.o|chew|drink|inject|shot|pin", _I)
_WORD_AND_DIGIT_RE = re.compile(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|twelve)\s*\((\d+)\)", _I)
_COUNT_WORD_RE = re.compile(r"\b(?P<n>\d+)\s*(?:-\s*)?(?:count|ct)\b"
                            r"|\b(?:pack|box|bottle|tub|jar|carton|tin)\s+of\s+(?P<n2>\d+)\b(?![.,]\d|\s*(?:x|×|-|–|mg|mcg|g|ml|iu)\b)", _I)
# A dose form named as a noun ("nasal spray") is no dosing cue.
_FORM_NOUN_RE = re.compile(r"\b(?:nasal|oral|throat|mouth|metered)\s+spray\b", _I)
# A counterfactual ("If you were taking 2 g a day, …") states no dose.
_COUNTERFACTUAL_RE = re.compile(r"^\W*(?:if|suppose|supposing|imagine)\s+(?:you|i|we|they|someone|somebody|one|a\s+person)\s+"
                                r"(?:were|was|had|would)\b|^\W*(?:were|had)\s+(?:you|i|we|they)\s+(?:to|taken|used|been)\b", _I)
# "One microgram of vitamin D3 corresponds to 40 IU": a unit conversion, not an amount.
_CONVERSION_RE = re.compile(r"\b(?:equals?|corresponds?\s+to|(?:is|are)\s+(?:equal|equivalent)\s+to|is\s+the\s+same\s+as|converts?\s+to)\b|=", _I)
_ROUTE_ROW_RE = re.compile(r"^\s*(?:route(?:\s+of\s+administration)?|administration|how\s+(?:to\s+)?(?:take|use))\s*[:|]?\s*", _I)
_COMPOSITION_CONTEXT_RE = re.compile(r"\b(?:supplement\s+facts|nutrition\s+facts|ingredients?|composition|each\s+\w+\s+contains|active\s+substances?|"
                                     r"amount\s+per\s+serving)\b", _I)
_CONTENTS_OF_RE = re.compile(r"\bcontents\s+of\s+(?:one|a|an|1|the|each)\s+$", _I)
# A question inside a longer unit, from the sentence start to its "?" (a decimal point is no stop).
_QUESTION_RE = re.compile(r"(?:^|(?<=[.!?])\s)(?:[^.!?]|\.(?=\d))*\?")
# A dose-form verb with a number of times and no period ("Pump 2 times into your palm", "spray
# twice into each nostril") counts units of that form; "spray 2 times a day" stays a frequency.
_FORM_VERB_HINT_RE = re.compile(r"\b(?:pump|spray|puff|squirt)\s", _I)
_FORM_VERB_TIMES_RE = re.compile(
    rf"(?:^|(?<=[.;:,]\s)|(?<=\band\s)|(?<=\bthen\s))(?P<v>pump|spray|puff|squirt)\s+"
    rf"(?P<n>{NUMBER}(?:\s*(?:-|–|to|or)\s*{NUMBER})?\s+times|once|twice|thrice)\b"
    r"(?!\s*(?:a|per|each|every|in\s+(?:a|one|any)|/)?\s*(?:day|daily|week|weekly|night|nightly|24|hours?)\b)",
    _I,
)
_THRESHOLD_BEFORE_RE = re.compile(r"\b(?:above|over|below|under|exceeding|beyond|(?:more|higher|greater|less|lower)\s+than|up\s+to)\s*$", _I)
_TIMES_WORDS = {"once": "1", "twice": "2", "thrice": "3"}
# The predicate of a legal or availability sentence ("… is a prescription-only medicine",
# "… is available without prescription", "… is a pharmacy medicine", "… needs a prescription").
_LEGAL_PREDICATE_RE = re.compile(
    r"\b(?:is|are|was|were|remains?|became|becomes)\s+(?:now\s+|still\s+|only\s+|not\s+)?(?:an?\s+)?(?:(?:schedule\s+\w+|prescription[\s-]only|pharmacy[\s-]only|pharmacy|"
    r"over[\s-]the[\s-]counter|otc|general[\s-]sale|controlled|scheduled|unscheduled|licensed|unlicensed|approved|unapproved|banned|illegal|legal|"
    r"prohibited|registered|restricted)\b|(?:available|sold|supplied)\s+(?:only\s+)?(?:without|on|over|by|with)\s+(?:a\s+)?(?:prescription|the\s+counter|pharmacists?))"
    r"|\b(?:needs?|requires?|need)\s+a\s+prescription\b|\bprescription[\s-]only\s+medicine\b",
    _I,
)


_DIGIT_WORDS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
# "five hundred mcg", "two thousand IU": a number word times hundred/thousand is that number.
_HUNDREDS_RE = re.compile(r"\b(?P<n>a|one|two|three|four|five|six|seven|eight|nine)[\s-]+(?P<m>hundred|thousand)\b", _I)
# "after five nights", "5 nights on, 2 off": a night counted is a day of the course.
_NIGHTS_RE = re.compile(r"(?<![\w.,])(?P<n>\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen|twenty|thirty)"
                        r"[\s-]+nights?\b(?!\s+(?:a|per|each)\s+week)", _I)
# "each 0.1 mL then contains 0.5 mg", "every 0.5 ml holds 250 mcg": after reconstitution a volume
# holds an amount, which is a strength (mg per ml), however the units are written.
_VOLUME_HOLDS_RE = re.compile(
    r"\b(?:each|every|per|one)\s+$", _I)
_HOLDS_VERB_RE = re.compile(
    r"^\s*(?:of\s+(?:the\s+|this\s+|your\s+)?(?:[\w-]+\s+)?(?:solution|suspension|syrup|mixture|liquid|elixir|reconstituted\s+\w+)\s+)?"
    r"(?:(?:spoonful|spoon|measure|syringe)\s+)?(?:then\s+|now\s+|will\s+)?"
    r"(?:contains?|holds?|provides?|gives?|delivers?|has|equals?|=|will\s+(?:contain|hold|give|provide|deliver))\s*"
    r"(?:about\s+|approximately\s+|roughly\s+|~\s*)?$", _I)


def _volume_holds(text: str, anchors: list[Anchor]) -> list[Anchor]:
    """"each 0.1 mL then contains 0.5 mg" -> one concentration anchor (5 mg/ml) in place of both."""
    out: list[Anchor] = []
    i = 0
    while i < len(anchors):
        a = anchors[i]
        b = anchors[i + 1] if i + 1 < len(anchors) else None
        if (b is not None and a.kind == "volume" and b.kind == "mass" and a.low and a.low == a.high and b.low == b.high
                and b.low is not None and _VOLUME_HOLDS_RE.search(text[max(0, a.start - 12) : a.start])
                and _HOLDS_VERB_RE.match(text[a.end : b.start])):
            conc = sig6(b.low / a.low)
            out.append(Anchor("concentration", conc, conc, "mg/ml", a.start, b.end))
            i += 2
            continue
        out.append(a)
        i += 1
    return out


def _form_count(m: re.Match[str]) -> str:
    n = re.sub(r"\s+times$", "", m.group("n"), flags=_I)
    out = f"{_TIMES_WORDS.get(n.lower(), n)} {m.group('v').lower()}s"
    return out + " " * (len(m.group(0)) - len(out)) if len(out) <= len(m.group(0)) else m.group(0)


def read(text: str, context: str = "", is_row: bool = False) -> list[tuple[str, dict[str, Any]]]:
    """``(key, value)`` for every dosing statement in one piece of text."""
    text = re.sub(r"\s", " ", unglue(text))
    text = _WORD_AND_DIGIT_RE.sub(lambda m: m.group(2) + " " * (len(m.group(0)) - len(m.group(2))), text)
    if "?" in text:  # "would a 5 mg vial even last a month? asking before I buy": a question states nothing
        text = _QUESTION_RE.sub(lambda m: " " * len(m.group(0)), text)
    if _FORM_VERB_HINT_RE.search(text):
        text = _FORM_VERB_TIMES_RE.sub(_form_count, text)
    if text[:12].lstrip(" \t\u2022*-").lower().startswith(("if", "supp", "imag", "were", "had")) and _COUNTERFACTUAL_RE.match(text):
        return []
    if _HUNDREDS_RE.search(text):
        text = _HUNDREDS_RE.sub(lambda m: str(_DIGIT_WORDS[m.group("n").lower()] * (100 if m.group("m").lower() == "hundred" else 1000)), text)
    if "night" in text.lower():
        text = _NIGHTS_RE.sub(lambda m: m.group("n") + " days", text)
    anchors = _volume_holds(text, [a for a in find_anchors(text) if not roles.is_diluent(text, a)])
    named = [a for a in anchors if _article_amount(text, a)]
    if named and _CONVERSION_RE.search(text[named[0].end :]) and not _DOSE_CUE_RE.search(text):
        return []  # a unit being converted ("one microgram equals 40 IU")
    anchors = [a for a in anchors if a not in named]
    freqs = schedule.frequencies(text)
    if not freqs and _LEGAL_PREDICATE_RE.search(text) and not roles.INTAKE_VERB_RE.search(text):
        # "Ibuprofen 200 mg is available without prescription", "melatonin above 2 mg is a
        # prescription-only medicine": the strength names the product (or the threshold) whose
        # legal status the sentence states; it is no intake. "500 mg tablets" stays a strength.
        cue = bool(_DOSE_CUE_RE.search(text))
        anchors = [a for a in anchors if a.kind not in ("mass", "iu") or a.per or roles.each_unit(text, a)
                   or roles.unit_word_after(text, a) or roles.is_container(text, a) or roles.is_limit(text, a)
                   or cue and not _THRESHOLD_BEFORE_RE.search(text[max(0, a.start - 25) : a.start])]
    regimens = _group(text, anchors, freqs, context)
    cue = bool(_DOSE_CUE_RE.search(text) or _DOSE_CUE_RE.search(context))
    durations = schedule.durations(text, bool(_COURSE_CUE_RE.search(text) or _COURSE_CUE_RE.search(context)))
    cycles = schedule.cycles(text)
    limits = [m for m in freqs + durations if roles.limit_lead(text, m.start)]
    out: list[tuple[str, dict[str, Any]]] = []
    for m in limits:
        fields = {k.replace("_min", "_max"): v for k, v in m.fields.items() if k.endswith(("_max", "_min"))}
        if any(r.role == "limit" for r in regimens if gap(r, m.start, m.end) < 25):
            continue
        fields = {k: v for k, v in fields.items() if not k.startswith("interval")}
        if fields:
            value = {"limit": True, **fields}
            out.append((f"dosage:{_route_of(text, value)}:limit", _sorted(value)))
    max_days = roles.limit_duration(text)
    if max_days is not None and not any(k.endswith(":limit") and "duration_days_max" in v for k, v in out):
        value = {"limit": True, "duration_days_max": max_days}
        out.append((f"dosage:{_route_of(text, value)}:limit", _sorted(value)))
        durations = [m for m in durations if not re.search(r"\bthan\s*$", text[max(0, m.start - 10) : m.start])]
    freqs = [m for m in freqs if m not in limits]
    durations = [m for m in durations if m not in limits]
    doses = [r for r in regimens if r.role == "dose"]
    _package_extras(text, regimens)
    if not doses and not any(r.role == "package" for r in regimens):
        course = bool(_COURSE_CUE_RE.search(text) or _COURSE_CUE_RE.search(context))
        only = _schedule_only(text, freqs, durations if course or freqs else [], cycles, cue or is_row or course)
        if only:
            for reg in regimens:  # "apply a 2% cream twice daily": the strength is part of the dose
                if reg.role == "strength" and set(reg.value) <= {"concentration_percent", "concentration_mg_per_ml", "strength"}:
                    only = (only[0], _sorted({**only[1], **{k: x for k, x in reg.value.items() if k != "strength"}}))
                    reg.value = {}
            out.append(only)
        elif not regimens and not out:
            at = roles.route_only_at(text)
            near = [mm for mm in _route_mentions(text) if at is not None and 0 <= mm[1] - at <= 40]
            near = [mm for mm in near if mm[0] != "injection"] or near  # "an injection under the skin"
            route = min(near, key=lambda mm: mm[1])[0] if near else "unspecified"
            if route != "unspecified":
                out.append((f"dosage:{route}:route", {"route": route}))
    elif doses:
        _assign(text, doses, freqs, durations, cycles)
    _assign_concentration(text, regimens)
    _assign_unit_strength(text, regimens)
    _assign_phases(text, doses)
    _assign_step_wait(text, doses)
    strengths = any(r.role == "strength" and r.value for r in regimens)
    regimens = [r for r in regimens if r.value]
    kept = []
    for reg in regimens:
        if not reg.value or (reg.role == "package" and set(reg.value) == {"container_ml", "package"} and not strengths):
            continue  # a bottle size alone says nothing about the amount of substance
        if reg.role in ("dose", "limit"):
            _assign_per(text, reg)
        if reg.role == "limit":
            _limit_nostril(text, reg)
        _assign_route(text, reg, regimens)
        kept.append(reg)
    _carry_step_route(kept)
    for reg in kept:
        convert(text, reg)
        if reg.value:
            out.append((_key(reg), _sorted(reg.value)))
    out.extend(_bare_count_limits(text, kept))
    return out


# "Take 2 tablets when needed, up to 6 a day": a bare number after a counted dose is a maximum of
# the same units ("no more than 8 in 24 hours", "max 4 a day").
_BARE_LIMIT_RE = re.compile(
    rf"\b(?:up\s+to|no\s+more\s+than|not\s+more\s+than|never\s+more\s+than|max(?:imum)?(?:\s+of)?|at\s+most)\s+(?P<n>{NUMBER})"
    r"\s+(?:(?:a|per|each)\s+(?P<p>day|24\s*h(?:ours?|rs?)?|week)|in\s+(?:a\s+|any\s+|one\s+)?(?P<p2>day|24\s*h(?:ours?|rs?)?|week))\b", _I)


def _bare_count_limits(text: str, regimens: list[Regimen]) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for m in _BARE_LIMIT_RE.finditer(text):
        n = parse_number(m.group("n"))
        if n is None or n <= 1 or any(r.start < m.end() and m.start() < r.end for r in regimens):
            continue
        counted = [r for r in regimens if r.role == "dose" and r.end <= m.start() and r.value.get("count_unit")
                   and not _SENTENCE_STOP_RE.search(text[r.end : m.start()])]
        if not counted:
            continue
        dose = counted[-1].value
        period = (m.group("p") or m.group("p2") or "day").lower()
        value: dict[str, Any] = {"limit": True, "count_max": sig6(n), "count_unit": dose["count_unit"],
                                 "per": "week" if period.startswith("week") else "day"}
        if dose.get("route"):
            value["route"] = dose["route"]
        out.append((f"dosage:{value.get('route', 'unspecified')}:limit", _sorted(value)))
    return out


def _carry_step_route(regimens: list[Regimen]) -> None:
    """"Inject 0.25 mg weekly for 4 weeks, then increase to 0.5 mg": the steps of one titration are
    taken the same way, so a route stated for one step (and no other) holds for the later ones."""
    steps = [r for r in regimens if r.role == "dose" and r.value.get("phase")]
    routes = {r.value["route"] for r in steps if r.value.get("route")}
    if len(steps) < 2 or len(routes) != 1:
        return
    route = routes.pop()
    first = next(i for i, r in enumerate(steps) if r.value.get("route"))
    for reg in steps[first + 1 :]:
        reg.value.setdefault("route", route)


def _package_extras(text: str, regimens: list[Regimen]) -> None:
    """Supply days and servings per container belong to the package claim (made when missing)."""
    extra: dict[str, Any] = {}
    days = roles.supply_days(text)
    if days is not None:
        extra["supply_days"] = days
    c = _COUNT_WORD_RE.search(text)
    if c:
        unit = next((count_unit(w) for w in re.findall(r"[A-Za-z-]+", text) if count_unit(w) not in (None, "dose", "injection")), None)
        extra["container_count"] = float(c.group("n") or c.group("n2"))
        if unit:
            extra["count_unit"] = unit
    m = roles.SERVINGS_PER_RE.search(text)
    if m:
        n = parse_number(m.group("n"))
        if n is not None:
            extra["doses_per_container"] = n
    if not extra:
        return
    pack = next((r for r in regimens if r.role == "package" and r.value), None)
    if pack is None:
        at = (m or c).start() if (m or c) else 0
        pack = Regimen([Anchor("count", None, None, "dose", at, at + 1)], "package", {"package": True})
        regimens.append(pack)
    for k, x in extra.items():
        pack.value.setdefault(k, x)


def _article_amount(text: str, a: Anchor) -> bool:
    """"a gram", "a milligram": a unit being named or defined, not an amount."""
    return a.kind in ("mass", "volume", "iu") and bool(re.match(r"(?:an?|one)\s", text[a.start : a.end], _I)) \
        and not re.search(r"\d", text[a.start : a.end]) and not \
        _DOSE_CUE_RE.search(text[max(0, a.start - 25) : a.start])


def _sorted(value: dict[str, Any]) -> dict[str, Any]:
    return {k: value[k] for k in sorted(value)}


# --- grouping ----------------------------------------------------------------------------------


def _role(text: str, a: Anchor, freqs: list[Modifier], context: str) -> str:
    if roles.is_limit(text, a):
        return "limit"
    if a.kind in ("percent", "concentration"):
        return "strength" if roles.is_solution_strength(text, a) else "skip"
    if a.kind in ("mass", "iu") and roles.each_unit(text, a):
        return "strength"
    if roles.is_container(text, a) and not roles.intake_count(text, a):
        return "package"
    if a.kind == "count":
        if a.unit == "dose" and (roles.after_contain(text, a) or roles.package_cue(text)):
            return "package"
        if a.unit in ("dose", "injection"):
            return "limit" if roles.is_limit(text, a) else "skip"  # "a course of 20 injections", "4 doses": a frequency or a course, not an amount
        if roles.package_cue(text) and (roles.after_contain(text, a) or not (freqs or _DOSE_CUE_RE.search(text))):
            return "package"
        if (a.high or 0) >= 10 and a.unit not in ("drop",) and not (freqs or _DOSE_CUE_RE.search(text)):
            return "package"  # "120 softgels", "Ashwagandha … – 90 Count"
        return "dose"
    if a.kind in ("mass", "iu"):
        if roles.each_unit(text, a):
            return "strength"
        if _composition(text, a):
            return "strength"
        if (roles.unit_word_after(text, a) or roles.unit_word_before(text, a)) and not re.search(
                r"\b(?:take|use|inject|apply|chew|swallow)\b", text, _I):
            return "strength"  # "Ashwagandha 500 mg Capsules", "Loratadine Tablets USP, 10 mg"
        if _ingredient_line(text, a, freqs, context):
            return "strength"
    return "dose"


# What one unit (or serving) is made of: "Each softgel contains: fish oil 1,000 mg, providing EPA
# 360 mg", "Each capsule: CoQ10 100 mg", "Glucosamine 1500 mg per serving (3 tablets)".
_COMPOSITION_LEAD_RE = re.compile(
    rf"\b(?:each|every|per|one)\s+(?:[\w-]+\s+){{0,2}}?(?:{COUNT_UNIT_ALT})\s*(?:contains?|provides?|supplies|delivers?)?\s*:"
    r"|\b(?:contains|ingredients?|composition|supplement\s+facts|nutrition\s+facts|amount\s+per\s+serving)\s*:?(?=\s)", _I)
_SERVING_RESTATED_RE = re.compile(r"\b(?:per|each|a)\s+serving\s*[(\[]\s*$", _I)
_PER_SERVING_AFTER_RE = re.compile(r"^\s*(?:per|each|a|in\s+(?:each|one|a))\s+serving\b", _I)


def composition_header(text: str) -> bool:
    """A table header or label line that opens a composition ("Amount per serving", "Supplement Facts")."""
    return bool(_COMPOSITION_CONTEXT_RE.search(text)) and not re.search(r"\d", text)


def _composition(text: str, a: Anchor) -> bool:
    """An amount in a composition statement (see ``_COMPOSITION_LEAD_RE``), with no intake verb."""
    lo = max((m.end() for m in _SENTENCE_STOP_RE.finditer(text, 0, a.start)), default=0)
    sentence = text[lo : a.start]
    if roles.INTAKE_VERB_RE.search(sentence):
        return False
    if _PER_SERVING_AFTER_RE.match(text[a.end : a.end + 20]):
        return not roles.INTAKE_VERB_RE.search(text[a.end : a.end + 40].split(".")[0])
    return bool(_COMPOSITION_LEAD_RE.search(sentence))


def _ingredient_line(text: str, a: Anchor, freqs: list[Modifier], context: str) -> bool:
    """"Magnesium (as magnesium glycinate) 240 mg" on a label: composition, not an intake; so is
    each amount under an "Amount per serving" header (in the row's text or its table's context)."""
    stop = _SENTENCE_STOP_RE.search(text, a.end)
    if stop and not any(f.start >= stop.start() for f in freqs):
        text = text[: stop.start() + 1]  # "Iron (as …) 14mg. Accidental overdose …": the amount's own sentence
    comp = _COMPOSITION_CONTEXT_RE.search(context) or _COMPOSITION_CONTEXT_RE.search(text[: a.start])
    if freqs or a.per or comp and roles.INTAKE_VERB_RE.search(text):
        return False
    if not comp and (_DOSE_CUE_RE.search(text) or _DOSE_CUE_RE.search(context)):
        return False
    before = text[: a.start]
    if not re.search(r"[A-Za-z]{3}", before) or len(text.split()) > 12:
        return False
    return bool(_COMPOSITION_CONTEXT_RE.search(context) or re.search(r"\(\s*as\s+[\w\s-]+\)\s*$", before, _I)
                or re.match(r"^[A-Z][\w-]*(?:\s+[\w()-]+){0,5}\s*$", before) and not re.search(r"[.!?]", before))


def _group(text: str, anchors: list[Anchor], freqs: list[Modifier], context: str) -> list[Regimen]:
    regimens: list[Regimen] = []
    for a in anchors:
        role = _role(text, a, freqs, context)
        if regimens and re.match(r"^\s*[(\[]\s*(?:=\s*|approx\.?\s*|about\s*)?$", text[regimens[-1].end : a.start]):
            role = regimens[-1].role  # "50 mcg (2,000 IU)": the same amount restated in other units
            if a.kind in ("mass", "volume") and [x.kind for x in regimens[-1].anchors][-1] == a.kind:
                continue  # "300 milligrams (0.3 g)": the same measure again, nothing new
        if role == "skip":
            continue
        if a.kind == "count" and _SERVING_RESTATED_RE.search(text[max(0, a.start - 25) : a.start]):
            continue  # "1500 mg per serving (3 tablets)": the serving the amount is counted in
        contents = _CONTENTS_OF_RE.search(text[max(0, a.start - 30) : a.start]) if a.kind in ("volume", "mass") else None
        unit = roles.container_unit(text, a) if contents and role == "package" and _DOSE_CUE_RE.search(text) else None
        if unit:  # "the contents of one 2 ml ampoule are injected": one ampoule of 2 ml is the dose
            at = a.start - (30 - contents.start() if a.start >= 30 else a.start - contents.start())
            regimens.append(Regimen([Anchor("count", 1.0, 1.0, unit, at, a.start), a], "dose"))
            continue
        if role == "package" and a.kind == "count" and a.unit in ("vial", "ampoule", "sachet") and re.search(
                r"\bcontents\s+of\s+(?:\w+\s+)?$", text[max(0, a.start - 20) : a.start], _I) and _DOSE_CUE_RE.search(text):
            role = "dose"  # "inject the contents of one vial"
        if a.kind == "count" and a.unit == "dose" and a.each is not None and role == "package":
            # "ten 200 mcg doses": the package holds ten doses, each dose is 200 mcg
            e = a.each
            pack = next((r for r in reversed(regimens) if r.role == "package"), None)
            if pack and _joins(text, pack, a, role):
                pack.anchors.append(a)
            else:
                regimens.append(Regimen([a], role))
            regimens.append(Regimen([Anchor(e.kind, e.low, e.high, e.unit, e.start, e.end)], "dose"))
            continue
        prev = regimens[-1] if regimens else None
        if role == "package":
            prev = next((r for r in reversed(regimens) if r.role == "package"), None)
        if prev and prev.role == role and _joins(text, prev, a, role):
            prev.anchors.append(a)
        else:
            regimens.append(Regimen([a], role))
    doses = [r for r in regimens if r.role == "dose"]
    if not freqs and not _NOSTRIL_RE.search(text) and not _DOSE_CUE_RE.search(_FORM_NOUN_RE.sub(" ", text)) and any(r.role in ("strength", "package") for r in regimens):
        for reg in doses:  # "Semax 0.1% nasal drops, 3 ml": next to a strength, a bare volume is the pack size
            if [a.kind for a in reg.anchors] == ["volume"]:
                reg.role = "package"
    for reg in regimens:
        reg.value = values(text, reg)
    return [r for r in regimens if r.value and (r.role != "dose" or _has_dose_context(text, r, freqs, context))]


def _joins(text: str, prev: Regimen, a: Anchor, role: str) -> bool:
    kinds = {x.kind for x in prev.anchors}
    between = text[prev.end : a.start]
    if role == "package":
        return len(between) < 60 and not re.search(r";|\.\s+[A-Z]", between)
    if a.kind in kinds or len(between) > 40 or _SEPARATOR_RE.search(between):
        return False
    return True


def _has_dose_context(text: str, reg: Regimen, freqs: list[Modifier], context: str) -> bool:
    kinds = {a.kind for a in reg.anchors}
    if kinds & {"mass", "iu"}:
        return True
    if "count" in kinds:
        return bool(_NOSTRIL_RE.search(text) or freqs or _DOSE_CUE_RE.search(text) or _DOSE_CUE_RE.search(context)
                    or schedule.timings(text)
                    or re.search(r"\bserving\s+size\b", text + " " + context, _I))
    return bool(_DOSE_CUE_RE.search(text) or freqs or any(p.search(text) for _, p in ROUTES))


# --- modifiers -------------------------------------------------------------------------------------


def _target(regs: list[Regimen], m: Modifier, text: str, prefer_before: bool = True) -> Regimen:
    lo = roles.clause_start(text, m.start)
    before = [r for r in regs if r.end <= m.start and r.start >= lo]
    if prefer_before and before:
        return before[-1]
    return min(regs, key=lambda r: (gap(r, m.start, m.end), r.start > m.start))


def _assign(text: str, doses: list[Regimen], freqs: list[Modifier], durations: list[Modifier], cycles: list[Modifier]) -> None:
    for m in freqs:
        target = min(doses, key=lambda r: (gap(r, m.start, m.end), r.start > m.start))
        for k, x in m.fields.items():
            target.value.setdefault(k, x)
    for m in schedule.timings(text):
        # the nearest dose of the same step: "0.5 mg half an hour before bed and move up to 3 mg"
        target = min(doses, key=lambda r: (_crosses_step(text, r, m.start, m.end), gap(r, m.start, m.end), r.start > m.start))
        target.value["timing"] = schedule.merge_timing(target.value.get("timing", []), m.fields["timing"])
    for m in durations + cycles:
        target = _target(doses, m, text)
        for k, x in m.fields.items():
            target.value.setdefault(k, x)
    for m in _NOSTRIL_RE.finditer(text):
        reg = min(doses, key=lambda r: (gap(r, m.start(), m.end()), r.start > m.start()))
        if reg.value.get("count_unit") in ("drop", "spray", "puff") and not _ONE_NOSTRIL_RE.search(text[m.start() : m.end()]):
            reg.value["per_nostril"] = True


def _crosses_step(text: str, reg: Regimen, start: int, end: int) -> bool:
    """A separator ("and", "then", "or", ";", a sentence stop) between a dose and a modifier."""
    lo, hi = (reg.end, start) if reg.end <= start else (end, reg.start)
    return lo < hi and bool(_SEPARATOR_RE.search(text[lo:hi]))


_SENTENCE_STOP_RE = re.compile(r"[.!?]\s+(?=[A-Z])")


def _assign_concentration(text: str, regimens: list[Regimen]) -> None:
    """A strength written next to a dose ("0.15% nasal drops: instil 2-3 drops") is part of the dose;
    one in a sentence of its own ("Testosterone cypionate 200 mg/mL. Typical dose: …") stays a
    strength claim, whether or not the segmenter split the sentences (it reads "mL." as an abbreviation)."""
    doses = [r for r in regimens if r.role == "dose"]
    if not doses:
        return
    for reg in [r for r in regimens if r.role == "strength" and set(r.value) <= {"concentration_percent", "concentration_mg_per_ml", "strength"}]:
        near = [r for r in doses if not _SENTENCE_STOP_RE.search(text[min(r.end, reg.end) : max(r.start, reg.start)])]
        if not near:
            continue
        target = min(near, key=lambda r: gap(r, reg.start, reg.end))
        for k, x in reg.value.items():
            if k != "strength":
                target.value.setdefault(k, x)
        reg.value = {}


def _assign_unit_strength(text: str, regimens: list[Regimen]) -> None:
    """"Take 2 softgels daily, 400 mg per softgel": a per-unit strength in the clause of a count of
    the same unit is that count's unit_mg (the dose is 800 mg), not a separate strength claim."""
    for reg in [r for r in regimens if r.role == "strength" and "unit_mg" in r.value and r.value.get("count_unit")]:
        if set(reg.value) - {"unit_mg", "count_unit", "strength"}:
            continue
        counts = [r for r in regimens if r.role == "dose" and r.value.get("count_unit") == reg.value["count_unit"]
                  and not {"unit_mg", "min_mg", "max_mg"} & set(r.value)
                  and not _SENTENCE_STOP_RE.search(text[min(r.end, reg.end) : max(r.start, reg.start)])
                  and not _SEPARATOR_RE.search(text[min(r.end, reg.end) : max(r.start, reg.start)])]
        if len(counts) != 1:
            continue
        dose, unit = counts[0].value, reg.value["unit_mg"]
        dose["unit_mg"] = unit
        if "count_min" in dose:
            dose["min_mg"] = sig6(dose["count_min"] * unit)
        if "count_max" in dose:
            dose["max_mg"] = sig6(dose["count_max"] * unit)
        reg.value = {}


_STEP_WAIT_RE = re.compile(r"^\s*(?:,\s*)?(?:once\s+(?:a|per)\s+week\s+|weekly\s+|daily\s+)?after\s+(?:about\s+|around\s+|roughly\s+)?$", _I)


_WAIT_BEFORE_RE = re.compile(r"\bafter\s+(?:about\s+|around\s+|roughly\s+)?$", _I)
_STEP_UP_AFTER_RE = re.compile(r"^\s*,?\s*(?:then\s+|you\s+can\s+|you\s+may\s+)?(?:increas\w*|go(?:es)?|mov\w*|step\w*|rais\w*|"
                               r"bump\w*|titrat\w*|add)(?:\s+up)?\b[^.;]{0,25}$", _I)
_FIRST_WAIT_RE = re.compile(r"\bafter\s+(?:the\s+)?first\s+(?P<u>day|week|month)\b", _I)


def _assign_step_wait(text: str, doses: list[Regimen]) -> None:
    """"start at 0.25 mg and move up to 0.5 mg after four weeks", "take 1 capsule; after five
    nights, increase to 2", "raised to 500 mcg after the first week": the wait before a step-up is
    how long the step before it lasts (its course length)."""
    if len(doses) < 2 or not any(r.value.get("phase") == "increase" for r in doses):
        return
    days = {"d": 1, "w": 7, "m": 30}
    spans = [(t.start, t.end, t.low, t.high, False) for t in schedule.find_times(text) if t.low is not None and t.high is not None]
    spans += [(m.start(), m.end(), 1440.0 * days[m.group("u")[0].lower()], 1440.0 * days[m.group("u")[0].lower()], True)
              for m in _FIRST_WAIT_RE.finditer(text)]  # "after the first week": the "after" is in the span
    for start, end, low, high, first in spans:
        if low < 1440:
            continue
        for i, reg in enumerate(doses[1:], 1):
            if reg.value.get("phase") != "increase":
                continue
            between = text[reg.end : start] if reg.end <= start else None
            after_step = between is not None and (_STEP_WAIT_RE.match(between + (" after " if first else "")))
            before_step = not first and doses[i - 1].end <= start and end <= reg.start \
                and _WAIT_BEFORE_RE.search(text[max(0, start - 25) : start]) and _STEP_UP_AFTER_RE.match(text[end : reg.start])
            if after_step or before_step:
                prev = doses[i - 1].value
                if "duration_days_min" not in prev and "duration_days_max" not in prev:
                    prev["duration_days_min"], prev["duration_days_max"] = sig6(low / 1440), sig6(high / 1440)


def _limit_nostril(text: str, reg: Regimen) -> None:
    """"Maximum 4 sprays per nostril per day": a limit counted in drops/sprays per nostril."""
    if reg.value.get("count_unit") in ("drop", "spray", "puff") and _NOSTRIL_RE.match(text[reg.end : reg.end + 30].lstrip()) \
            and not _ONE_NOSTRIL_RE.search(text[reg.end : reg.end + 30]):
        reg.value["per_nostril"] = True


_STEP_BOUNDARY_RE = re.compile(r"\bthen\b|\bafter\s+that\b|\bnext\b|;", _I)
_DECREASE_RE = re.compile(r"\b(?:reduc\w*|decreas\w*|lower\w*|drop\w*|tap\w*|cut\w*|down)\b", _I)


def _amount(reg: Regimen) -> float | None:
    v = reg.value
    for k in ("max_mg", "max_iu", "max_ml", "count_max"):
        if k in v:
            return float(v[k])
    return None


def _assign_phases(text: str, doses: list[Regimen]) -> None:
    """Titration: "start/first" marks the first step, "increase/move up to" a later one; a later
    step after "then" / "after that" is an increase when its amount is larger. Only the words after
    the last step boundary count ("… for the first 4 weeks, then 0.5 mg": not a start)."""
    prev_end = 0
    for i, reg in enumerate(doses):
        lo = max(prev_end, reg.start - 50)
        bounds = list(_STEP_BOUNDARY_RE.finditer(text[lo : reg.start])) if i else []
        if bounds:
            lo += bounds[-1].end()
        phase = roles.phase_before(text, reg.start, lo)
        if bounds and phase is None and bounds[-1].group(0) != ";" and not _DECREASE_RE.search(text[lo : reg.start]):
            now, before = _amount(reg), _amount(doses[i - 1])
            if now is not None and before is not None and now > before and \
                    {k for k in reg.value if k.startswith(("max_", "count_max"))} == {k for k in doses[i - 1].value if k.startswith(("max_", "count_max"))}:
                phase = "increase"
        if phase:
            reg.value["phase"] = phase
        prev_end = reg.end
    if any(r.value.get("phase") == "increase" for r in doses):
        first = doses[0]
        if "phase" not in first.value:
            first.value["phase"] = "start"


def _assign_per(text: str, reg: Regimen) -> None:
    v = reg.value
    if "per" in v or not ({"min_mg", "max_mg", "min_ml", "max_ml", "min_iu", "max_iu", "count_min", "count_max"} & set(v)):
        return
    main = reg.anchors[-1]
    after = _after_amount(text, main)
    if not (_PER_DAY_AFTER_RE.match(after) or _PER_WEEK_AFTER_RE.match(after)):
        # "3 softgels daily …, providing 1,800 mg", "3 caps of ashwa a day (each 300mg)"
        lead = next((_after_amount(text, a) for a in reg.anchors[:-1] if a.kind == "count"), "")
        if _PER_DAY_AFTER_RE.match(lead) or _PER_WEEK_AFTER_RE.match(lead):
            after = lead
    if _PER_DAY_AFTER_RE.match(after) or _PER_DAY_BEFORE_RE.search(text[max(0, reg.start - 60) : reg.start]):
        if not re.match(r"^\s*(?:every|each)\s+day\b", after, _I) or not any(k.startswith("times_per") for k in v):
            v["per"] = "day"
    elif _PER_WEEK_AFTER_RE.match(after) or _PER_WEEK_BEFORE_RE.search(text[max(0, reg.start - 60) : reg.start]):
        if not re.match(r"^\s*each\s+week\b", after, _I) or not any(k.startswith("times_per_week") for k in v):
            v["per"] = "week"  # "0.5 mg each week" is the weekly dose, read like "every week" / "once weekly"
    elif _PER_DOSE_NEAR_RE.search(text[max(0, reg.start - 30) : main.end + 30]):
        v["per"] = "dose"


def _after_amount(text: str, a: Anchor) -> str:
    """Text after an amount with what names the substance or the nostril skipped ("200 mcg of
    BPC-157 per day", "4 sprays per nostril per day")."""
    after = text[a.end : a.end + 60]
    words = re.match(r"^[\s,)]*(?:of\b)?(?:[\s,)]+[\w()-]+){0,4}?[\s,)]*(?=(?:daily|every|each|per|a|in|within|/)\b|/)", after, _I)
    if words and not re.search(r"\b(?:once|twice|thrice|times|every\s+\d|after|before|for|over|until|than)\b|\d\s*[x×]", words.group(0), _I):
        after = after[words.end() :]  # "200 mcg of BPC-157 per day" (not "2 tablets after a week")
    nostril = _NOSTRIL_RE.match(after.lstrip())
    return after.lstrip()[nostril.end() :] if nostril else after


@functools.lru_cache(maxsize=512)
def _route_mentions(text: str) -> tuple[tuple[str, int, int], ...]:
    """Route words in ``text`` (first pattern wins where two overlap); cached: asked per regimen."""
    if not _ROUTE_HINT_RE.search(text):
        return ()
    mentions: list[tuple[str, int, int]] = []
    for name, rx in ROUTES:
        for m in rx.finditer(text):
            if not any(m.start() < e and s < m.end() for _, s, e in mentions):
                mentions.append((name, m.start(), m.end()))
    return tuple(mentions)


def _assign_route(text: str, reg: Regimen, regimens: list[Regimen]) -> None:
    mentions = _route_mentions(text)
    if len(regimens) > 1:
        mentions = [mm for mm in mentions if min(regimens, key=lambda r: (gap(r, mm[1], mm[2]), r.start > mm[1])) is reg]
    specific = [mm for mm in mentions if mm[0] != "injection"] or mentions
    if specific:
        reg.value["route"] = min(specific, key=lambda mm: gap(reg, mm[1], mm[2]))[0]
        if reg.value["route"] == "topical" and reg.value.get("count_unit") in THROUGH_SKIN:
            reg.value["route"] = "transdermal"  # a patch put on the skin acts through it
    elif reg.value.get("count_unit") in IMPLIED_ROUTES and reg.role in ("dose", "limit"):
        reg.value["route"] = IMPLIED_ROUTES[reg.value["count_unit"]]
    elif reg.role == "dose" and re.search(r"\bsprays?\b", text, _I) and not re.search(r"\b(?:throat|oral|mouth)\s+spray", text, _I):
        reg.value["route"] = "intranasal"


def _route_of(text: str, value: dict[str, Any]) -> str:
    mentions = _route_mentions(text)
    specific = [mm for mm in mentions if mm[0] != "injection"] or mentions
    if specific:
        value["route"] = specific[0][0]
        return specific[0][0]
    if re.search(r"\bsprays?\b", text, _I) and not re.search(r"\b(?:throat|oral|mouth)\s+spray", text, _I):
        value["route"] = "intranasal"
        return "intranasal"
    return "unspecified"


def route_row(text: str) -> str | None:
    """The route a "Route | subcutaneous" row states, else None."""
    m = _ROUTE_ROW_RE.match(text)
    if not m:
        return None
    mentions = _route_mentions(text[m.end() :])
    names = {mm[0] for mm in mentions}
    if len(names) == 2 and "injection" in names:  # "Route: subcutaneous injection"
        names.discard("injection")
    return names.pop() if len(names) == 1 else None


def _schedule_only(text: str, freqs: list[Modifier], durations: list[Modifier], cycles: list[Modifier],
                   cue: bool) -> tuple[str, dict[str, Any]] | None:
    """A frequency, course or cycle with no amount is a claim only with a dosing cue."""
    if not cue:
        return None
    value: dict[str, Any] = {}
    periodic = [f for f in freqs if f.extra.get("period")]
    if periodic:
        value.update(periodic[0].fields)
    for t in schedule.timings(text):
        if value:
            value["timing"] = schedule.merge_timing(value.get("timing", []), t.fields["timing"])
    kind = "frequency"
    for m in cycles[:1]:
        value.update(m.fields)
        kind = kind if periodic else "cycle"
    for m in durations[:1]:
        value.update(m.fields)
        kind = kind if periodic or cycles else "duration"
    if not value:
        return None
    route = _route_of(text, value)
    return f"dosage:{route}:{kind}", _sorted(value)


def _key(reg: Regimen) -> str:
    v = reg.value
    route = v.get("route") or "unspecified"
    if reg.role in ("package", "strength", "limit"):
        kind = reg.role
    elif v.get("per") in ("day", "week"):
        kind = v["per"]
    else:
        kind = "dose"
    return f"dosage:{route}:{kind}"

