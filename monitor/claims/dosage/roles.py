"""What a measured amount *is*: an intake dose, a maximum, a package content or a strength.

Why its own module: the same "500 mg" is a dose in "take 500 mg", a maximum in "do not exceed
500 mg", a composition in "each tablet contains 500 mg" and a product strength in
"Ashwagandha 500 mg Capsules". Only the intake dose may be summed with counts or frequencies;
the others are separate claims (``limit``, ``package``, ``strength``) so that a changed bottle
size never reads as a changed dose, and a changed maximum never hides in the usual dose.
"""

from __future__ import annotations

import re

from monitor.claims.dosage.anchors import Anchor
from monitor.claims.dosage.vocabulary import COUNT_UNIT_ALT, count_unit
from monitor.claims.units import NUMBER, parse_number

_I = re.IGNORECASE
_CONTAINER = (r"(?:bottles?|vials?|ampoules?|ampules?|containers?|packs?|packets?|flasks?|cartridges?|pens?|kits?|"
              r"tubes?|boxe?s?|jars?|tubs?|pouch(?:es)?|blisters?|cartons?|canisters?|inhalers?)")
_CONTAINER_AFTER_RE = re.compile(rf"^[\s-]*(?:[\w-]+[\s-]+){{0,2}}?{_CONTAINER}\b", _I)
_CONTAINER_BEFORE_RE = re.compile(
    rf"\b(?:{_CONTAINER}|package|contents|pack\s+size)\b[^.;]{{0,40}}\b(?:contains?|holds?|has|of|with|provides?|includes?|:)\s*"
    r"(?:about|approximately|approx\.?|roughly|around|~)?\s*$"
    rf"|\b(?:per|each|in\s+(?:each|one|a|the))\s+{_CONTAINER}\s*$"
    rf"|\b{_CONTAINER}\s*[(,:–-]?\s*(?:approx\.?|about|~|roughly)\s*$"
    rf"|\b{_CONTAINER}\s*(?:[×x]|of)\s*$"
    r"|\b(?:vials?|ampoules?|ampules?|ampuls?)\s*[(,:–-]?\s*$"
    r"|\b(?:contents|pack\s+size|contains|comes\s+with|includes)\s*:?\s*(?:about|approximately|approx\.?)?\s*$",
    _I,
)
_CONTAINER_PER_AFTER_RE = re.compile(rf"^\s*(?:per|in\s+(?:each|one|a|the)|each)\s+{_CONTAINER}\b|^\s*(?:count|ct)\b", _I)
_CONTAIN_VERB_RE = re.compile(r"\b(?:contains?|holds?|yields?|provides?|gives?|lasts?\s+for|makes?|enough\s+for|equals?)\b", _I)
SUPPLY_RE = re.compile(rf"\b(?P<n>{NUMBER})[\s-]*(?:-|–)?\s*(?P<u>days?|weeks?|months?)['’]?\s*(?:-|–)?\s*supply\b"
                       rf"|\b(?:lasts|will\s+last|should\s+last|enough\s+for)\s+(?:about\s+|up\s+to\s+)?(?P<n2>{NUMBER})\s*(?P<u2>days?|weeks?|months?)\b", _I)
SERVINGS_PER_RE = re.compile(rf"\bservings?\s+per\s+(?:container|bottle|pack(?:age)?|box|tub|jar)\s*[:|]?\s*(?:about\s+)?(?P<n>{NUMBER})\b", _I)
# "each tablet contains", "each mL of solution contains", "every softgel provides"
_EACH_UNIT_RE = re.compile(
    rf"\b(?:each|every|one|per|1)\s+(?:[\w-]+\s+){{0,2}}?(?P<u>{COUNT_UNIT_ALT}|ml|mL|millilit(?:er|re))\b(?:\s+(?:of|from)\s+(?:the\s+|a\s+)?[\w%.-]+(?:\s+[\w-]+){{0,2}}?)?"
    r"\s*(?:also\s+|only\s+|typically\s+)?(?:contains?|supplies|supply|provides?|delivers?|releases?|dispenses?|has|gives?|equals?|=|:)\s*(?:about|approximately|approx\.?|~)?\s*$",
    _I,
)
_PER_UNIT_AFTER_RE = re.compile(rf"^\s*(?:per|/|in\s+(?:each|every|one|a))\s*(?P<u>{COUNT_UNIT_ALT})\b|^\s*each\b", _I)
_PER_ML_AFTER_RE = re.compile(r"^\s*(?:of\s+(?:[\w-]+\s+){1,2}?)?(?:in\s+(?:each|every|one|1)|per|each)\s+(?:ml|millilit(?:er|re))\b", _I)
# "Loratadine Tablets USP, 10 mg": a pharmacopoeia mark (USP, BP, EP, JP) may stand between the unit word and its strength
_UNIT_WORD_BEFORE_RE = re.compile(rf"\b(?P<u>{COUNT_UNIT_ALT})(?:\s+(?-i:USP|BP|EP|JP))?\s*[,:–-]?\s*$", _I)
# Right after an amount, how it is taken ("0.5 cc IM twice weekly"): a dose, even after "vial:".
DOSE_AFTER_RE = re.compile(r"^\s*(?:(?-i:IM|IV|SC|SQ)\b|sub-?q\b|subcut\w*|intramuscular\w*|subcutaneous\w*|intravenous\w*|"
                           r"once\b|twice\b|daily\b|weekly\b|every\b|per\s+day\b|a\s+day\b|\d+\s*(?:x|times)\b)", _I)
_UNIT_WORD_AFTER_RE = re.compile(rf"^\s*(?P<u>{COUNT_UNIT_ALT})\b|^\s*(?:[\w-]+\s+){{1,2}}?(?P<u2>capsules?|tablets?|caplets?|softgels?|gumm(?:y|ies)|lozenges?|patch(?:es)?)\b", _I)
_LIMIT_LEAD_RE = re.compile(
    r"(?:\b(?:do\s+not|don['’]t|never|must\s+not|should\s+not|shouldn['’]t|not\s+to|cannot|may\s+not)\s+"
    r"(?:(?:take|use|give|have|apply|inhale|inject|administer|exceed|go\s+(?:over|above|beyond)|consume|chew|swallow)\w*\s+)?"
    r"(?:(?:more\s+than|over|above|beyond|in\s+excess\s+of)\s+)?(?:a\s+total\s+of\s+)?"
    r"|\b(?:no|not)\s+more\s+than\s+|\bmaximum(?:\s+(?:daily|total|single|recommended))?(?:\s+(?:dose|dosage|amount|intake))?(?:\s+(?:is|of)|\s+[^.;:]{0,40}?\s+is)?\s*:?\s*"
    r"|\bmax\.?\s*(?:daily\s+)?(?:dose\s*)?:?\s*|\b(?:up\s+)?to\s+a\s+(?:maximum|max)\s+of\s+|\b(?:upper\s+limit|limit)\s+(?:is|of)\s+"
    r"|\bexceed(?:ing)?\s+)$",
    _I,
)
_LIMIT_IN_ANCHOR_RE = re.compile(r"^(?:no\s+more\s+than|not\s+more\s+than|not\s+(?:to\s+)?exceed(?:ing)?|a\s+maximum\s+of|maximum(?:\s+of)?|max\.?)\b", _I)
_DILUENT_RE = re.compile(r"^\s*(?:of\s+)?(?:\d+(?:[.,]\d+)?\s*%\s+)?(?:(?:sterile|bacteriostatic|bac|cold|warm|plain|still|normal|isotonic)\s+)*"
                         r"(?:water|saline|juice|milk|liquid|fluid|diluent|bac\b|sodium\s+chloride|nacl\b|dextrose|glucose\s+solution|ringer)", _I)
_DILUENT_BEFORE_RE = re.compile(r"\b(?:in|into|with|add(?:ed)?\s+to|reconstitut\w*\s+(?:\w+\s+){0,4}with)\s+(?:about\s+)?$", _I)
_START_RE = re.compile(r"\b(?:start\w*|begin\w*|initial(?:ly)?|first)\b[^.;]{0,40}$", _I)
_INCREASE_RE = re.compile(r"\b(?:increas\w*|titrat(?:e|es|ed|ing)|go(?:ing)?\s+up|went\s+up|mov\w*\s+up|step\w*\s+up|rais\w*|bump\w*\s+up|"
                          r"work\w*\s+up|ramp\w*\s+up|build\w*\s+up|escalat\w*)\b[^.;]{0,30}$", _I)


def clause_start(text: str, pos: int) -> int:
    """Where the clause holding ``pos`` begins (after ";", a sentence stop or a line break)."""
    m = None
    for m in re.finditer(r"[;.!?](?:\s+|$)|\n|\bthen\b|\bbut\b", text[:pos]):
        pass
    return m.end() if m else 0


_FORM = r"(?:solution|drops?|sprays?|nasal|concentration|strength|formulation|vials?|bottles?|ampoules?|injection|gel|cream|liquid|serum|lotion|ointment|w/v|w/w)"
_STRENGTH_AFTER_RE = re.compile(rf"^\s*(?:[\w-]+\s+){{0,2}}?{_FORM}\b", _I)
_STRENGTH_BEFORE_RE = re.compile(rf"(?:\b{_FORM}|\bdilut\w*|\b[A-Z][\w-]+)\s*(?:of|is|at|:|=)?\s*(?:about|approximately|~)?\s*$")


def is_solution_strength(text: str, a: Anchor) -> bool:
    """A percentage that is a solution strength ("0.1% solution", "Semax 1%"), not "Save 20%"."""
    if a.kind == "concentration":
        return True
    if a.kind != "percent" or a.low is None or a.low > 20:
        return False
    after, before = text[a.end : a.end + 30], text[max(0, a.start - 30) : a.start]
    if re.match(r"^\s*(?:off|discount|of\s+(?:customers|users|people|patients|orders))\b", after, _I) or re.search(
            r"\b(?:save|off|over|discount|up\s+to)\s*$", before, _I):
        return False
    return bool(_STRENGTH_AFTER_RE.match(after) or _STRENGTH_BEFORE_RE.search(before))


def is_limit(text: str, a: Anchor) -> bool:
    lead = text[clause_start(text, a.start) : a.start]
    return bool(_LIMIT_LEAD_RE.search(lead) or _LIMIT_IN_ANCHOR_RE.match(text[a.start : a.end]))


def limit_lead(text: str, start: int) -> bool:
    """A limit cue right before ``start`` (for frequencies and durations: "no more than 4 times")."""
    return bool(_LIMIT_LEAD_RE.search(text[clause_start(text, start) : start]))


def is_diluent(text: str, a: Anchor) -> bool:
    """A volume of water/saline to dissolve or reconstitute in: not a dose."""
    return a.kind == "volume" and bool(_DILUENT_RE.match(text[a.end : a.end + 40])) and (
        bool(_DILUENT_BEFORE_RE.search(text[max(0, a.start - 60) : a.start])) or "water" in text[a.end : a.end + 30].lower())


# "30 mg | lyophilized powder": the dry powder a vial holds is its content.
_POWDER_AFTER_RE = re.compile(r"^[\s|,(–-]*(?:of\s+)?(?:lyophili[sz]ed|freeze[\s-]dried)\s+(?:[\w-]+\s+)?powder\b", _I)


def is_container(text: str, a: Anchor) -> bool:
    if a.kind not in ("volume", "mass", "count"):
        return False
    if a.kind == "mass" and _POWDER_AFTER_RE.match(text[a.end : a.end + 50]):
        return True
    if a.kind in ("volume", "mass") and DOSE_AFTER_RE.match(text[a.end : a.end + 20]) and not _CONTAINER_AFTER_RE.match(text[a.end :]):
        return False
    return bool(_CONTAINER_AFTER_RE.match(text[a.end :]) if a.kind != "count" else False) or bool(
        _CONTAINER_BEFORE_RE.search(text[max(0, a.start - 60) : a.start]) or _CONTAINER_PER_AFTER_RE.match(text[a.end :])
    )


_VIAL_WORD_RE = re.compile(r"\b(?P<u>vials?|ampoules?|ampules?|ampuls?)\b", _I)
# An intake verb: the amount it governs is taken, not sold, stocked or regulated.
INTAKE_VERB_RE = re.compile(r"\b(?:take[ns]?|taking|took|use[ds]?|using|administ\w+|apply|applied|instil+\w*|inhale\w*|inject\w*|"
                            r"infus\w*|spray|puff|chew|dissolve|swallow|give[ns]?|given|drink|insert)\b", _I)


def container_unit(text: str, a: Anchor) -> str | None:
    """The vial or ampoule a package amount is the content of ("Each vial contains 5 mg", "5mg
    vial", "10 mL multi-dose vial", "ampoules 10 ml x 5"), else None (a bottle is no count unit)."""
    after = _CONTAINER_AFTER_RE.match(text[a.end :])
    if after:
        m = _VIAL_WORD_RE.search(after.group(0))
        return count_unit(m.group("u")) if m else None
    before = text[max(0, a.start - 60) : a.start]
    if _CONTAINER_BEFORE_RE.search(before):
        found = list(re.finditer(rf"\b{_CONTAINER}\b", before, _I))
        if found:
            m = _VIAL_WORD_RE.fullmatch(found[-1].group(0))
            return count_unit(m.group("u")) if m else None
    return None


def intake_count(text: str, a: Anchor) -> bool:
    """"Use the inhaler: 1 to 2 puffs when required": a count taken (an intake verb in its clause,
    or a timing or frequency right after it) is a dose even after a container word."""
    if a.kind != "count" or count_unit(a.unit) in ("vial", "ampoule", "dose", "injection") or after_contain(text, a):
        return False
    if INTAKE_VERB_RE.search(text[clause_start(text, a.start) : a.start]):
        return True
    from monitor.claims.dosage import schedule

    return any(0 <= m.start - a.end <= 3 for m in [*schedule.timings(text), *schedule.frequencies(text)])


def package_cue(text: str) -> bool:
    return bool(re.search(rf"\b{_CONTAINER}\b", text, _I) and _CONTAIN_VERB_RE.search(text)) or supply_days(text) is not None \
        or bool(SERVINGS_PER_RE.search(text))


def after_contain(text: str, a: Anchor) -> bool:
    before = text[max(0, a.start - 60, clause_start(text, a.start)) : a.start]  # in the amount's own clause
    return bool(_CONTAIN_VERB_RE.search(before) or re.search(r"\b(?:or|and)\s+(?:about|approximately|roughly|around|~)?\s*$", before, _I))


def each_unit(text: str, a: Anchor) -> str | None:
    """"each tablet contains 500 mg" -> "tablet"; "each mL contains 3 mg" -> "ml"; else None."""
    m = _EACH_UNIT_RE.search(text[max(0, a.start - 80) : a.start])
    if m:
        u = m.group("u").lower()
        if u.startswith(("vial", "ampoule", "ampule", "ampul")) or count_unit(u) in ("dose", "injection"):
            return None  # "each vial contains 10 mg": a package content
        return "ml" if u.startswith(("ml", "millilit")) else u
    if a.kind == "mass" and _PER_ML_AFTER_RE.match(text[a.end : a.end + 50]):
        return "ml"  # "50 mg of amoxicillin in each ml"
    m = _PER_UNIT_AFTER_RE.match(text[a.end : a.end + 30])
    if m and a.kind in ("mass", "iu") and count_unit(m.group("u") or "x") not in ("dose", "injection", "vial", "ampoule"):
        return m.group("u").lower() if m.group("u") else None
    return None


def unit_word_before(text: str, a: Anchor) -> str | None:
    """"Sublingual Lozenges 5000 mcg": the count unit a title names right before its strength."""
    m = _UNIT_WORD_BEFORE_RE.search(text[max(0, a.start - 30) : a.start])
    if not m or count_unit(m.group("u")) in (None, "dose", "injection", "vial", "ampoule", "scoop", "drop", "spray", "puff"):
        return None
    return m.group("u")


def unit_word_after(text: str, a: Anchor) -> str | None:
    """"500 mg Capsules": the count unit right after an amount (a product strength)."""
    m = _UNIT_WORD_AFTER_RE.match(text[a.end : a.end + 40])
    return (m.group("u") or m.group("u2")) if m else None


def supply_days(text: str) -> float | None:
    """"a 30-day supply", "lasts 2 months" -> days; None when not stated."""
    low = text.lower()
    if "suppl" not in low and "last" not in low and "enough" not in low:
        return None  # cheap: SUPPLY_RE needs one of these words
    m = SUPPLY_RE.search(text)
    if not m:
        return None
    n = parse_number(m.group("n") or m.group("n2"))
    unit = (m.group("u") or m.group("u2") or "day").lower()
    return None if n is None else n * {"d": 1, "w": 7, "m": 30}[unit[0]]


def phase_before(text: str, start: int, lo: int) -> str | None:
    lead = text[lo:start]
    if re.match(r"up\s+to\b", text[start : start + 6], _I):
        lead += " up"  # "bumped up to 0.5 mg": the range anchor holds the "up"
    if _INCREASE_RE.search(lead):
        return "increase"
    if _START_RE.search(lead):
        return "start"
    return None


_ROUTE_ONLY_RE = re.compile(
    r"\b(?:administered|given|taken|used|delivered|applied|dosed|supplied)\s+(?:as|by|via|through|in|with)\s+(?:an?\s+|the\s+)?", _I)
_LIMIT_DURATION_RE = re.compile(
    rf"\b(?:do\s+not|don['’]t|never|must\s+not|should\s+not)\s+(?:use|take|continue|apply|give)\w*\b[^.;]{{0,40}}?"
    rf"\bfor\s+(?:more|longer)\s+than\s+(?P<n>{NUMBER})\s*(?P<u>days?|weeks?|months?)\b", _I)


def route_only_at(text: str) -> int | None:
    """Where "administered as a nasal spray" names a way of taking it (a route alone), else None."""
    m = _ROUTE_ONLY_RE.search(text)
    if not m or re.search(r"\b(?:also|alternatively|instead|rather|rarely|sometimes|occasionally)\b", text[: m.start()], _I):
        return None  # "can also be given as an injection": an alternative, not the way it is taken
    return m.end()


def limit_duration(text: str) -> float | None:
    """"Do not use for more than 3 days" -> 3 (a maximum course length, in days)."""
    m = _LIMIT_DURATION_RE.search(text)
    if not m:
        return None
    n = parse_number(m.group("n"))
    return None if n is None else n * {"d": 1, "w": 7, "m": 30}[m.group("u")[0].lower()]
