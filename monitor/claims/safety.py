"""Safety claims: named side effects, the overall safety profile, and admitted data gaps.

Why: "hair loss is a common side effect" disappearing, or "no serious side effects" turning
into a list of adverse events, is exactly what a reader of a health page must be told.

Claim shapes (one vocabulary for every page):

* ``safety:effect:<name>`` -> ``{effect, stated}``; ``name`` is a snake_case effect
  (nausea, drowsiness, dry_mouth, sweating, hair_loss, nasal_irritation, headache, ...),
  ``stated`` is present | absent ("no hair loss reported") | rare | common. An effect is
  only read where the unit talks about side effects (a trigger word or a Side Effects /
  Safety / Risks heading above it) and not as a benefit ("helps reduce headaches"); effects a
  nootropic is also sold against (anxiety, fatigue, insomnia, ...) need the trigger in their
  own clause. rare/common apply to the coordinated part they stand in ("can cause dizziness,
  and in rare cases seizures": dizziness present, seizures rare).
* ``safety:profile`` -> one claim per unit merging the fields it states:
  serious: none | rare | reported; tolerability: well_tolerated | poorly_tolerated;
  toxicity: none | low | high; addictive: true | false; interactions: none | reported;
  side_effects: none | minimal | mild | rare; safe: true | false.
* ``safety:data`` -> ``{data: limited | established[, term: long_term]}`` for statements
  that safety data are limited, needed, not established or under investigation.
* ``safety:contraindication:<name>``, ``safety:interaction:<name>``, ``safety:monitor:<name>``
  -> ``{contraindication|interaction|monitor: name}`` from the trigger and synonym tables of
  ``monitor.claims.safety_advice`` (a named interaction replaces ``interactions: reported``).
* profile field ``concerns: raised`` when a regulator or author says the substance may present
  significant safety risks; ``toxicity: none`` also from a negated list of toxicity words
  ("no allergenic, embryotoxic or mutagenic properties").

Advice ("speak with your physician", "check interactions with your doctor") and disclaimers
("does not assert that X is safe") are not claims.
"""

from __future__ import annotations

import re

from monitor.claims import register
from monitor.claims.lexicon import EFFECT_RE, clauses, effect_name, is_reference, make_claim, negated_before, segments
from monitor.claims.safety_advice import advice
from monitor.models import Claim, TextUnit

_I = re.IGNORECASE

# Effects a nootropic page also sells as benefits: only read where the clause itself (or the
# heading above) talks about side effects.
_ALSO_BENEFITS = frozenset({"anxiety", "fatigue", "insomnia", "irritability", "mood_changes", "agitation"})

_TRIGGER_RE = re.compile(
    r"\bside[- ]effects?\b|\badverse\b|\b(?:may|can|could|might|will|did|does|do)\s+(?:also\s+)?(?:cause|induce|lead\s+to|trigger)\b"
    r"|\bcaus(?:e|es|ed|ing)\b|\breport(?:s|ed)?\b|\bat\s+(?:high|higher|large|larger)\s+doses\b|\bexperienc\w*|\bcomplain\w*|\breactions?\b|\bunwanted\b|\btolerat\w+"
    r"|\bstop\s+(?:taking|using)\b|\bseek\s+(?:urgent\s+|immediate\s+)?(?:medical\s+)?(?:help|attention|advice|care)\b|\bsee\s+a\s+doctor\b"
    r"|\b(?:raises?|raised|increases?|increased|higher|greater|elevated)\s+(?:the\s+)?(?:\w+\s+)?risks?(?:\s+of)?\b|\bsigns?\s+of\b"
    r"|\b(?:had|got|get|getting|having)\s+(?:some|a\s+bit\s+of|bad|mild|a\s+little|a\s+pounding|a\s+bad|terrible)\b"
    r"|\b(?:was|is|were)\s+(?:so\s+|really\s+|pretty\s+)?(?:brutal|bad|terrible|awful|rough|intense|horrible|noticeable|annoying)\b|\blinked\s+to\b|\bcases?\s+of\b"
    r"|\b(?:is|was)\s+(?:so\s+|very\s+)?real\b|\bonly\s+sides?\b|\bsides?\s+(?:was|were|is|are)\b|\bexpect\b|\b(?:also|then|and|just|still|even)\s+(?:got|get|had|have)\b|^\s*(?:had|got|getting|having)\s+(?:a\s+|some\s+|bad\s+|mild\s+)|\b(?:started|began|start)\s+(?:to\s+)?(?:falling|fall|getting|get|having|feeling)\b|\bmade\s+(?:me|him|her|them|us|people|some\s+people)\b|\bmakes?\s+(?:me|him|her|them|us|people|you)\b|\bbrought\s+(?:on\s+)?|\bbrings\s+on\b|\bg(?:ave|ives?|iving)\s+(?:me|us|him|her|them|people|users|some\s+people)\b|\b(?:people|users|folks|guys|some|I|you|we)\s+(?:get|got|gets|getting)\b"
    r"|\b(?:may|can|could|might)\s+(?:also\s+)?(?:occur|happen|develop)\b|\boccur(?:s|red|ring)?\b|\bobserved\b|\bseen\s+in\b"
    r"|\b(?:is|are|was|were)\s+(?:very\s+|quite\s+|fairly\s+)?(?:common|uncommon|rare|frequent|infrequent)\b"
    r"|^\W*(?:(?:very\s+)?(?:common|uncommon|rare|frequent|infrequent)|not\s+known|frequency\s+not\s+known)\s*(?:side\s+effects)?(?:\s*\([^)]{0,60}\))?\s*[:|]"
    r"|\bwithdrawal\s+symptoms\b",
    _I | re.MULTILINE,
)
_SAFETY_CONTEXT_RE = re.compile(r"\bside[- ]effects?\b|\bsafety\b|\brisks?\b|\badverse\b|\bwarnings?\b|\bprecautions?\b|\bcontraindications?\b"
                               r"|^\W*(?:very\s+)?(?:common|uncommon|rare|frequent|infrequent)\b", _I)
# "Common side effects: nausea, constipation", a "Rare" heading: the frequency of every effect listed.
_LABEL_FREQUENCY_RE = re.compile(r"^\W*((?:very\s+)?(?:common|uncommon|rare|frequent|infrequent)|not\s+known|frequency\s+not\s+known)\b(?:\s+(?:side[- ]effects|adverse\s+(?:effects|reactions)))?"
                                 r"(?:\s*\([^)]{0,60}\))?\s*(?:[:|]|$)", _I)
# An effect right after "no" / "zero" is stated absent even with no side-effect word ("no nausea, no headaches").
_BARE_NO_RE = re.compile(r"\b(?:no|zero|without\s+any|without)\s+(?:(?:mild|real|noticeable|major)\s+)?$", _I)
_BENEFIT_RE = re.compile(
    r"\b(?:reduc\w*|reliev\w*|alleviat\w*|treat\w*|lower\w*|eas(?:e|es|ed|ing)|improv\w*|combat\w*|fight\w*|prevent\w*|"
    r"decreas\w*|manag\w*|against|anti|symptoms\s+of|helps|helped|help\s+(?:with|to|for|against|reduce|relieve|ease|calm)|cure\w*|for(?!\s+(?:example|instance|some|a\s+few|most|many|certain|me|us|him|her|them|you|my|our|the\s+first|the\s+next|the\s+last|a\s+(?:while|week|day|month|couple|few|long|short)|long|years?|weeks?|days?|months?|hours?|about|around|over|roughly|approximately|nearly|almost|up\s+to|several|one|two|three|four|five|six|seven|eight|nine|ten|\d))|less|fewer|"
    r"(?:individuals|people|patients|those)\s+with|suffering\s+from|diagnosed\s+with)\b",
    _I,
)
_STRONG_TRIGGER_RE = re.compile(r"\bside[- ]effects?\b|\badverse\b|\bcaus(?:e|es|ed|ing)\b|\binduc\w+|\bunwanted\b", _I)
_RARE_RE = re.compile(r"\brare(?:ly)?\b|\buncommon\b|\binfrequent(?:ly)?\b|\boccasional(?:ly)?\b|\bisolated\s+cases\b"
                      r"|\ba\s+(?:few|small\s+number\s+of|handful\s+of|minority\s+of)\s+(?:users|people|patients|cases|participants|subjects)\b", _I)
_COMMON_RE = re.compile(r"\bcommon(?:ly|est)?\b|\bmost\s+common\b|\bfrequent(?:ly)?\b|\boften\b|\bmost\s+(?:users|people)\b|\bmain\s+complaint\b|\bchief\s+complaint\b", _I)
_ADVICE_RE = re.compile(r"\b(?:ask|consult|speak|talk|check|discuss|make\s+sure|visit|tell|inform)\b", _I)

_SERIOUS_RE = re.compile(r"\b(?:serious|severe|major)\s+(?:side[- ]effects?|adverse\s+(?:effects?|events?|reactions?)|complications|safety\s+(?:concerns?|issues?)"
                         r"|(?:cases|reports|instances|episodes)\s+of|harm|(?:liver|kidney|heart)\s+(?:injury|damage|problems|failure))\b"
                         r"|\breports?\s+of\s+(?:serious|severe)\b|\bhospitali[sz](?:ation|ations|ed)\b|\blife-threatening\b|\bfatal\b|\bdeaths?\b", _I)
_SIDE_LEVEL_RES = (
    re.compile(r"\b(no|zero|without(?:\s+any)?(?:\s+(?:notable|significant|known|noticeable|reported))?|minimal|mild|minor|few|rare|negligible)\s+(?:[\w-]+\s+)?side[- ]effects?\b", _I),
    re.compile(r"\b(no|zero|without(?:\s+any)?|minimal|mild|minor|few|rare|negligible)\s+(?:(?!serious|severe|major)[\w-]+\s+)?adverse\s+(?:effects?|reactions?)\b", _I),
    re.compile(r"\bside[- ]effects?\s*[:|]\s*(none|no|minimal|mild|rare|few|common|severe)\b", _I),
    re.compile(r"\b(no|zero|minimal|mild|minor|few)\s+sides\b", _I),
    re.compile(r"\bside[- ]effects?\s+(?:can|could|may|might|will)\s+be\s+(?:\w+\s+)?(severe|mild|minor|minimal|rare|common)\b", _I),
    # the level is the predicate ("are mild and rare"), not an adjective of a named effect ("is mild headache")
    re.compile(r"\bside[- ]effects?\s+(?:(?:of|from|with|at|in|on)\s+[^.;,:]{1,40}?\s+)?(?:are|were|is|remain|appear)\s+(?:\w+\s+)?(minimal|mild|minor|rare|few|negligible|uncommon|absent"
               r"|common|frequent|severe)\b(?=\s*(?:[,.;:!)]|$)|\s+(?:and|or|but|in|for|at|with|when|if|to|overall|at\s+most)\b)", _I),
    re.compile(r"\bside[- ]effects?\s+(?:don't|do\s+not|rarely|seldom)\s+(?:happen|occur|appear)(?:\s+(?:often|frequently|much))?\b()", _I),
)
_SIDE_LEVELS = {"none": "none", "zero": "none", "no": "none", "without": "none", "absent": "none", "minimal": "minimal", "negligible": "minimal", "few": "minimal",
                "mild": "mild", "minor": "mild", "rare": "rare", "uncommon": "rare", "common": "common",
                "frequent": "common", "severe": "severe"}
_TOL_RE = re.compile(
    r"(?:^\s*|[|:;,]\s*|\b(?:is|are|was|were|been|be|being|generally|usually|typically|very|also|remarkably|it|them|find|found)\s+(?:[\w-]+\s+){0,2}?)(well|poorly)[- ]tolerated\b"
    r"|\b(good|excellent|poor)\s+tolerability\b|\btolerated\s+(?:[\w-]+\s+){0,3}?(well|poorly|badly|fine)\b"
    r"|\btolerates?\s+(?:[\w-]+\s+){0,3}?(well|poorly|badly|fine)\b",
    _I,
)
_TOX_RE = re.compile(r"\b(low|minimal|no|negligible|high|significant|severe)\s+(?:\w+\s+)?toxicity\b(?!\s+(?:data|stud|information|testing|reports|findings))|\b(non)-?toxic\b"
                     r"|\btoxicity\s+(?:is|was|appears|seems|remains)\s+(?:\w+\s+)?(low|minimal|negligible|high|significant|rare|uncommon)\b", _I)
# "shows no allergenic, embryotoxic or mutagenic properties": a negated list of toxicity words.
TOXICITY_WORDS = ("toxic", "embryotoxic", "mutagenic", "carcinogenic", "teratogenic", "genotoxic", "allergenic",
                  "cytotoxic", "hepatotoxic", "nephrotoxic", "neurotoxic", "immunotoxic", "fetotoxic")
_TOX_LIST_RE = re.compile(r"\b(?:no|not|nor|without|lacks?|free\s+of|devoid\s+of)\s+(?:[\w-]+,?\s+(?:or\s+|and\s+)?){0,5}?(?:"
                          + "|".join(TOXICITY_WORDS) + r")\b", _I)
# A regulator or author raising a safety concern.
CONCERN_PHRASES = ("significant safety risks", "serious safety risks", "significant safety concerns", "serious safety concerns",
                   "safety concerns", "safety risks", "is concerned that", "are concerned that", "raised concerns",
                   "raises concerns", "poses a risk", "pose a risk", "poses risks", "safety signal", "warns consumers",
                   "warned consumers", "warns against", "warned against", "issued a warning", "issues a warning",
                   "safety warning", "safety alert", "safety communication", "warning that",
                   "significant risks", "serious risks", "may be contaminated", "could be contaminated", "risks to your health",
                   "serious health risks", "considerable health risks", "significant health risks", "health risks",
                   "concerns about", "concerns over", "because of concerns", "harmful impurities")
_CONCERN_RE = re.compile("|".join(r"\b" + r"\s+".join(map(re.escape, p.split())) + r"\b" for p in CONCERN_PHRASES), _I)
_ADDICT_RE = re.compile(r"\b(non-?)?(?:addictive|habit[- ]forming)\b|\baddiction\b|\bdependence\b", _I)
# "Addiction liability: None", "Dependence potential | low": a label with a nil value.
_ADDICT_NIL_RE = re.compile(r"\s*(?:liability|potential|risk)?\s*[:|=–—-]?\s*(?:none|nil|no|low|minimal|negligible|not\s+known)\b", _I)
_INTERACT_RE = re.compile(
    r"\binteract(?:s|ions?|ing)?\b[^.;]{0,40}\b(?:drugs?|medications?|medicines?|substances)\b|\b(?:drug|medication)\s+interactions?\b"
    r"|\b(?:known\s+)?interactions?\s+between\b", _I
)
_SAFE_RE = re.compile(
    r"\b(?:is|are|be|been|considered|deemed|regarded\s+as|appears?|seems?|proven|indicate\s+(?:\w+\s+){0,3}as)\s+(?:\w+\s+){0,2}?(un)?safe\b(?!\s+to\s+say)"
    r"|\b(?:strong|good|excellent|favou?rable|solid|clean)\s+safety\s+(?:profile|record)\b|\b(poor|concerning|worrying)\s+safety\s+(?:profile|record)\b"
    r"|\b(dangerous|unsafe)\b",
    _I,
)
_DISCLAIM_RE = re.compile(r"\b(?:not|no)\s+(?:assert|claim|imply|guarantee|suggest|represent|warrant)\w*\b", _I)
_DATA_TOPIC_RE = re.compile(r"\bsafety\b|\bside[- ]effects?\b|\blong[- ]term\s+effects?\b|\badverse\b|\btoxicity\b|\bsafe\s+to\s+use\b|\bis\s+safe\b", _I)
_DATA_GAP_RE = re.compile(
    r"\blimited\b|\black(?:ing|s)?\b|\bnecessary\b|\bneeded\b|\brequired\b|\binsufficient\b|\bunknown\b|\bunclear\b|\bscarce\b"
    r"|\bsparse\b|\bscant(?:y)?\b|\bthin\b|\bmeagre\b|\bmeager\b|\bfew\s+(?:\w+\s+)?(?:data|studies|trials)\b|\b(?:are|remain)\s+(?:still\s+|very\s+)?few\b"
    r"|\bpoorly\s+(?:understood|characteri[sz]ed|studied|documented|defined)\b|\buncharacteri[sz]ed\b|\bunstudied\b"
    r"|\b(?:not|never)\s+(?:been\s+)?(?:yet\s+|well\s+|fully\s+|properly\s+)?(?:characteri[sz]ed|established|known|understood|studied|evaluated|determined|assessed)\b"
    r"|\bunder\s+(?:ongoing\s+)?investigation\b|\b(?:further|more)\s+research\b"
    r"|\b(?:not|no\s+longer)\s+(?:yet\s+)?available\b|\bunavailable\b|\bnot\s+(?:been\s+)?(?:adequately|properly|sufficiently|thoroughly|systematically|rigorously)\s+(?:studied|tested|evaluated|assessed|characteri[sz]ed)\b"
    r"|\bno\s+(?:[\w-]+\s+){0,3}?(?:safety\s+)?(?:data|information)\b|\b(?:nobody|no\s+one)\s+knows\b|\b(?:it\s+is\s+)?(?:not\s+known|unknown)\s+whether\b"
    r"|\bremains\s+to\s+be\s+(?:seen|established|determined)\b",
    _I,
)
_DATA_OK_RE = re.compile(r"\bsafety\s+(?:has\s+been|is|was)\s+(?:well[- ])?established\b|\b(?:extensive|robust|ample)\s+safety\s+data\b", _I)
_LONG_RE = re.compile(r"\blong[- ]term\b", _I)


def _is_benefit(before: str) -> bool:
    """A benefit or condition word earlier in the clause with no side-effect word after it."""
    last = None
    for last in _BENEFIT_RE.finditer(before):
        pass
    return last is not None and not _STRONG_TRIGGER_RE.search(before, last.end())


# "hair loss has not been reported", "nausea was never observed", "headache is not a known side effect"
_NEGATED_AFTER_RE = re.compile(
    r"\s*(?:(?:is|are|was|were|has|have|had)\s+(?:not|never)\b|(?:isn't|aren't|wasn't|weren't|hasn't|haven't)\b"
    r"|(?:has|have)\s+yet\s+to\s+be\s+(?:reported|observed|seen|documented))", re.I)


# A frequency in brackets right after an effect belongs to that effect only.
_OWN_FREQUENCY_RE = re.compile(r"\s*\((?:very\s+)?(?:rare|rarely|uncommon|common|frequent|infrequent|occasional)\)", _I)


def _frequency(part: str) -> str | None:
    if _RARE_RE.search(part):
        return "rare"
    if _COMMON_RE.search(part):
        return "common"
    return None


def _label_frequency(label: str) -> str:
    """The frequency a list label gives its effects ("Uncommon:" rare; "Not known:" only present)."""
    if re.search(r"not\s+known", label, _I):
        return "present"
    return "rare" if re.search(r"rare|uncommon|infrequent", label, _I) else "common"


# Local reactions named before "at the injection site" are one injection-site reaction.
_SITE_RE = re.compile(r"\bat\s+the\s+(?:injection|application)\s+site\b|\bwhere\s+(?:the\s+)?(?:injection|cream|gel|patch)\s+(?:is|was)\s+(?:given|applied)\b", _I)
_LOCAL_REACTIONS = frozenset({"swelling", "itching", "rash", "burning", "pain"})


def _effects(unit: TextUnit, text: str) -> list[Claim]:
    heading_says_safety = bool(_SAFETY_CONTEXT_RE.search(unit.context or ""))
    label = _LABEL_FREQUENCY_RE.match(text) or _LABEL_FREQUENCY_RE.match((unit.context or "").strip())
    label_stated = _label_frequency(label.group(1)) if label else None
    bare = not (_TRIGGER_RE.search(text) or heading_says_safety)
    if bare and not re.search(r"\b(?:no|zero|without)\s|\b(?:has|have|had|was|were)\s+(?:not|never)\s+been\s+(?:reported|confirmed|observed|seen|found)\b", text, _I):
        return []
    found: dict[str, str] = {}
    for cs, ce in clauses(text):
        clause = text[cs:ce]
        parts = segments(clause, EFFECT_RE)
        for m in EFFECT_RE.finditer(clause):
            name = effect_name(m)
            # "Common: headache\nUncommon: irritability": a frequency label at the start of the effect's own line
            line_start = text.rfind("\n", 0, cs + m.start()) + 1
            line_label = _LABEL_FREQUENCY_RE.match(text[line_start:]) if line_start else None
            line_stated = _label_frequency(line_label.group(1)) if line_label else None
            if bare and (name in _ALSO_BENEFITS or not (_BARE_NO_RE.search(clause, max(0, m.start() - 25), m.start())
                                                        or _NEGATED_AFTER_RE.match(clause, m.end()))):
                continue
            if _is_benefit(clause[: m.start()]):
                continue
            if name in _ALSO_BENEFITS and not (heading_says_safety or line_label or label or _TRIGGER_RE.search(clause)):
                continue  # "improves anxiety" elsewhere on the page is not a side effect
            if negated_before(clause, m.start(), 50) or _NEGATED_AFTER_RE.match(clause, m.end()):
                stated = "absent"
            else:
                own = _OWN_FREQUENCY_RE.match(clause, m.end())  # "headache (rare), nasal irritation"
                part = next((clause[a:b] for a, b in parts if a <= m.start() < b), clause)
                stated = (_frequency(own.group(0)) if own else None) or _frequency(_OWN_FREQUENCY_RE.sub(" ", part)) \
                    or line_stated or label_stated or "present"
            if name in _LOCAL_REACTIONS and _SITE_RE.search(clause, m.end()) and "injection" in clause.lower():
                name = "injection_site_reaction"
            found.setdefault(name, stated)
    return [make_claim("safety", f"safety:effect:{n}", unit, {"effect": n, "stated": s}) for n, s in found.items()]


def _negated(clause: str, start: int, window: int = 40) -> bool:
    """A negator within ``window`` before ``start``, not across a comma ("not FDA-approved, and serious ...")."""
    lo = max(0, start - window)
    comma = clause.rfind(",", lo, start)
    return negated_before(clause[: start], start, start - max(lo, comma + 1)) if start > max(lo, comma + 1) else False


# "whether X is safe", "if it is safe": a question inside a sentence states no safety.
_WHETHER_RE = re.compile(r"\b(?:whether|if)\b", _I)


_ORGAN_RE = re.compile(r"\b(?:liver|kidney|heart)\b", _I)
_CONDITION_CONTEXT_RE = re.compile(r"\bif\s+you\b|\bdo\s+not\b|\bdon't\b|\bnot\s+(?:suitable|recommended)\b|\bshould\s+not\b|\bmust\s+not\b"
                                   r"|\bavoid\b|\bpeople\s+with\b|\bpatients\s+with\b|\bcontraindicated\b|\bhistory\s+of\b", _I)


def _profile_clause(clause: str, value: dict[str, object]) -> None:
    m = _SERIOUS_RE.search(clause)
    if m and _ORGAN_RE.search(m.group(0)) and _CONDITION_CONTEXT_RE.search(clause):
        m = None  # "do not use if you have severe heart failure": a condition named, not a harm reported
    if m:
        nil = re.match(r"\s*[:|=–—-]?\s*(?:none|nil|zero|0)\b|\s+(?:were|was|have\s+been|has\s+been)\s+(?:not|never)\b", clause[m.end():], _I)
        value.setdefault("serious", "none" if nil or _negated(clause, m.start()) else "rare" if _RARE_RE.search(clause) else "reported")
    for rx in _SIDE_LEVEL_RES:
        m = rx.search(clause)
        if m:
            value.setdefault("side_effects", _SIDE_LEVELS[m.group(1).split()[0].lower()] if m.group(1) else "rare")
    m = _TOL_RE.search(clause)
    if m:
        word = next(g for g in m.groups() if g).lower()
        good = (word in ("well", "good", "excellent", "fine")) != _negated(clause, m.start(), 15)
        value.setdefault("tolerability", "well_tolerated" if good else "poorly_tolerated")
    m = _TOX_RE.search(clause)
    if m:
        word = (m.group(1) or m.group(2) or m.group(3)).lower()
        value.setdefault("toxicity", {"no": "none", "non": "none", "minimal": "low", "negligible": "low", "low": "low", "rare": "low", "uncommon": "low"}.get(word, "high"))
    m = _ADDICT_RE.search(clause)
    if m:
        value.setdefault("addictive", not (m.group(1) or _negated(clause, m.start()) or _ADDICT_NIL_RE.match(clause, m.end())
                                           or re.search(r"\blow\s+(?:risk|potential)\b", clause[max(0, m.start() - 25) : m.start()], _I)))
    m = _INTERACT_RE.search(clause)
    if m and not _ADVICE_RE.search(clause):
        value.setdefault("interactions", "none" if _negated(clause, m.start()) else "reported")
    m = _TOX_LIST_RE.search(clause)
    if m:
        value.setdefault("toxicity", "none")
    m = _CONCERN_RE.search(clause)
    if m and not _negated(clause, m.start(), 25):
        value.setdefault("concerns", "raised")
    m = _SAFE_RE.search(clause)
    if m and not _DISCLAIM_RE.search(clause[: m.start()]) and not _WHETHER_RE.search(clause, max(0, m.start() - 40), m.start()):
        negated = _negated(clause, m.start(), 20) or bool(re.search(r"\b(?:not|never|n't)\b", clause[m.start() : m.end()], _I))
        bad = bool(m.group(1) or m.group(2) or m.group(3)) != negated
        value.setdefault("safe", not bad)


# Word stems one of which every profile pattern contains; checked once per unit on the lowercased
# text before the dozen profile patterns run per clause.
_PROFILE_GATE_RE = re.compile(r"serious|severe|major|side|effect|toleran|tolerat|toxic|addict|habit|dependen|interact|"
                              r"safe|danger|concern|risk|signal|mutagen|carcino|teratogen|allergen|warn|adverse|contamin|fatal|hospital|death|life-threat")


# "Serious adverse reactions: none", "Serious side effects | None reported": a label with a nil value.
_SERIOUS_NIL_RE = re.compile(r"^\W*(?:serious|severe|major)\s+(?:side[- ]effects?|adverse\s+(?:effects?|events?|reactions?))\s*[:|=–—-]\s*(?:none|nil|zero|0)\b", _I)


def _profile(unit: TextUnit, text: str) -> list[Claim]:
    if not _PROFILE_GATE_RE.search(text.lower()):
        return []
    value: dict[str, object] = {"serious": "none"} if _SERIOUS_NIL_RE.match(text) else {}
    for cs, ce in clauses(text):
        _profile_clause(text[cs:ce], value)
    return [make_claim("safety", "safety:profile", unit, value)] if value else []


def _data(unit: TextUnit, text: str) -> list[Claim]:
    if _DATA_OK_RE.search(text):
        value: dict[str, object] = {"data": "established"}
    elif _DATA_TOPIC_RE.search(text) and _DATA_GAP_RE.search(text):
        value = {"data": "limited"}
    else:
        return []
    if _LONG_RE.search(text):
        value["term"] = "long_term"
    return [make_claim("safety", "safety:data", unit, value)]


def _without(claim: Claim, field: str) -> Claim | None:
    value = {k: v for k, v in claim.value.items() if k != field}
    return make_claim("safety", claim.key, TextUnit(claim.text, claim.start, claim.end), value) if value else None


@register("safety")
def extract(units: list[TextUnit]) -> list[Claim]:
    """Safety claims of every unit (see module docstring); failures are contained by the registry."""
    out: list[Claim] = []
    intro = ""  # "Do not take this medicine if you:" above a list is the list's heading
    for unit in units:
        text = unit.text
        if unit.kind != "list_item":
            intro = text.strip() if text.rstrip().endswith(":") else ""
        if is_reference(unit) or text.rstrip().endswith("?") or unit.kind == "heading":
            continue
        named = [make_claim("safety", f"safety:{aspect}:{name}", unit, {aspect: name})
                 for aspect, name in advice(text, intro if unit.kind == "list_item" and intro else unit.context or "", unit.kind)]
        profile = _profile(unit, text)
        if any(c.key.startswith("safety:interaction:") for c in named):  # the named interaction says it
            profile = [p for p in (_without(c, "interactions") for c in profile) if p]
        out.extend(_effects(unit, text) + profile + _data(unit, text) + named)
    return out
