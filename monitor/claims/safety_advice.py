"""Safety advice: contraindications, interactions and monitoring, read from word tables.

Why a module of its own: these are the leaflet sentences a pharmacist writes ("Do not take if
pregnant or breastfeeding", "Do not combine with MAO inhibitors", "Monitor blood pressure during
treatment"), and the claim is the *thing named* after (or before) a trigger phrase. The triggers
and the canonical names below are the whole rule set; the code only cuts the named things out.

Claim shapes (keys ``safety:<aspect>:<name>``):

* ``safety:contraindication:<name>`` -> ``{contraindication: name}``
* ``safety:interaction:<name>``      -> ``{interaction: name}``
* ``safety:monitor:<name>``          -> ``{monitor: name}``

Names are snake_case of the words the page uses, with the synonyms in :data:`CANONICAL` folded
("pregnant" -> pregnancy, "MAOIs" -> mao_inhibitors). A list under a heading such as
"Contraindications" or "Do not take" gives one contraindication per item.
"""

from __future__ import annotations

import re

from monitor.claims.lexicon import EFFECT_RE, effect_name, find_subject, phrases_pattern

# --- trigger tables ----------------------------------------------------------------------------
# Phrase syntax: see ``lexicon.phrase_pattern`` ("…" = a few words). The things named follow the
# trigger, unless the table says they come before it.

CONTRAINDICATION_BEFORE_ITEMS = (
    "contraindicated in", "contraindicated for", "contraindicated during", "contraindicated in patients with",
    "contraindicated in people with", "do not take if", "do not take … if", "do not use if", "do not use … if",
    "don't take if", "don't use if", "don't take … if", "don't use … if", "do not take it if", "do not use it if", "should not be used by", "should not be used in",
    "should not be used during", "should not be taken by", "should not be taken during", "must not be used in",
    "must not be taken by", "not suitable for", "not recommended for", "not recommended during", "not recommended in",
    "not to be used in", "not to be taken by", "not for use in", "not for use by", "not for use during", "avoid if",
    "avoid during", "avoid use during", "avoid use in", "avoid in", "do not give to", "unsafe during", "unsafe in",
    "should be avoided in", "should be avoided by", "should be avoided during", "is not safe during",
    "avoid … if you have", "avoid … if you've got", "skip … if you have", "avoid … if you suffer from",
    # US Drug Facts "Ask a doctor before use if you have": conditions that need a doctor's say first
    "must not be used by", "must not be given to", "should not be given to", "must not be taken in",
    "ask a doctor before use if you have", "ask a doctor before use if you", "ask a doctor or pharmacist before use if you have",
    "consult your physician before use if you are", "consult your doctor before use if you are",
    "consult a doctor before use if you are", "check with your doctor before use if you have",
)
# A medical history asked about ("do not use if you or a family member have ever had X"): read on its own,
# as it overlaps the "do not use if" trigger.
CONTRAINDICATION_HISTORY = ("if you … have ever had", "if you … has ever had", "if you … have a history of",
                            "if you … have ever been diagnosed with", "if you or anyone in your family has had",
                            "if you or a family member has had", "if you or anyone in your family have had")
INTERACTION_BEFORE_ITEMS = (
    "do not combine with", "do not combine … with", "don't combine with", "should not be combined with",
    "must not be combined with", "avoid combining with", "avoid combining … with", "undesirable to combine with", "hours apart from", "hour apart from", "hours before or after", "apart from taking",
    "not be combined with", "undesirable to combine … with", "not to combine … with", "do not take with", "do not take … with", "do not use with", "do not use … with",
    "do not mix with", "do not mix … with", "never be mixed with", "not be mixed with", "should never be mixed with", "dont mix … with", "dont combine … with", "don't mix … with",
 "do not give with", "do not give … with", "should not be given with", "should not be taken with", "should not be used with", "not to be taken with",
    "may interact with", "can interact with", "could interact with", "might interact with", "interacts with",
    "interact with", "interaction with", "interactions with", "contraindicated with", "avoid taking with",
    "dangerous with", "dangerous when combined with", "when combined with", "enhance the effect of",
    "enhance the effects of", "enhances the effect of", "enhances the effects of", "potentiate the effect of",
    "potentiates the effect of", "potentiate", "potentiates", "increase the effect of", "increases the effect of",
    "reduce the effect of", "reduces the effect of", "weaken the effect of", "weakens the effect of",
    "strengthen the effect of", "strengthens the effect of", "change how … works", "increase the … effect of",
    "increases the … effect of", "enhance the … effect of", "enhances the … effect of", "reduce the … effect of",
    "reduces the … effect of", "increase the … effects of", "increases the … effects of",
)
# "People who take blood thinners should avoid BPC-157", "Patients with epilepsy should not use it".
_WHO_TAKE_RE = re.compile(r"\b(?:people|patients|anyone|those|users|adults|men|women)\s+(?:who\s+(?:take|are\s+taking|use|are\s+on)|taking|on)\s+"
                          r"(.{2,50}?)\s+(?:should|must)\s+(?:avoid|not\s+(?:take|use))\b", re.IGNORECASE)
# "raises the risk of bleeding, especially in people taking warfarin": a drug of the people at risk.
_AT_RISK_TAKING_RE = re.compile(r"\b(?:especially|particularly|notably)\s+(?:in|for|among)\s+(?:people|patients|those|anyone|users|adults)\s+"
                                r"(?:who\s+(?:take|are\s+taking|use|are\s+on)|taking|on|using)\s+(.{2,50}?)(?=[.;,)]|$)", re.IGNORECASE)
# "It can make ACE inhibitors and diuretics work less well": the drugs whose effect changes.
_MAKE_WORK_RE = re.compile(r"\bmakes?\s+(.{2,60}?)\s+(?:(?:work|act)\s+(?:less|more|better|worse)|less\s+effective|ineffective|stop\s+working)\b", re.IGNORECASE)
# "If you are pregnant, nursing, or have a medical condition, consult your physician before use."
_IF_THEN_CONSULT_RE = re.compile(r"^\W*(?:warnings?:?\s*|caution:?\s*)?if\s+you\s+(?:are\s+)?(.{2,160}?),?\s+(?:consult|ask|check\s+with|talk\s+to|speak\s+to)\s+"
                                 r"(?:your|a)\s+(?:physician|doctor|pharmacist|healthcare\s+(?:provider|professional))", re.IGNORECASE)
# "If you have kidney disease, skip it": the condition stands between "if you have" and the advice.
_IF_HAVE_RE = re.compile(r"\bif\s+you\s+(?:have|suffer\s+from|have\s+had|are\s+living\s+with)\s+(.{2,50}?)\s*,\s*"
                         r"(?:skip|avoid|do\s+not|don't|never|stop|steer\s+clear)\b", re.IGNORECASE)
_WHO_HAVE_RE = re.compile(r"\b(?:people|patients|anyone|those|users|adults|men|women)\s+(?:with|who\s+have|suffering\s+from)\s+"
                          r"(.{2,80}?)\s+(?:should|must)\s+(?:avoid|not\s+(?:take|use|be\s+given|receive))\b", re.IGNORECASE)
# "Avoid alcohol while taking this medicine": the thing avoided stands between "avoid" and "while".
INTERACTION_AVOID = ("avoid", "do not drink", "don't drink", "limit")
INTERACTION_AVOID_UNTIL = ("while taking", "while using", "while on", "during treatment", "when taking", "with this medicine")
# "Tell your doctor if you take SSRIs, as serotonin syndrome can occur when they are combined ...".
INTERACTION_IF_YOU_TAKE = ("if you take", "if you are taking", "if you use", "if you're taking", "if you are on",
                           "if you also take", "if you are also taking", "if you also use")
INTERACTION_CONTEXT = ("combined", "combine", "together", "interact", "interaction", "at the same time",
                       "consult your", "ask your doctor", "ask your pharmacist", "talk to your doctor", "check with your",
                       "speak to your", "speak with your", "before use if", "before using if", "your doctor", "your pharmacist",
                       "raise … levels", "increase … levels", "lower … levels", "levels of")

MONITOR_BEFORE_ITEMS = (
    "monitor", "monitor your", "monitor their", "monitoring of", "regular monitoring of", "check", "check your", "checks of",
    "test your", "will test your", "measure your", "will check your", "may check your",
    "regular checks of", "keep track of", "keep an eye on", "regularly check",
)
MONITOR_AFTER_ITEMS = (
    "will be monitored", "will be checked", "will be measured", "will be tested", "is monitored", "are monitored",
    "is checked", "are checked", "is measured", "are measured", "are regularly checked", "is regularly checked",
    "should be monitored", "must be monitored", "should be checked", "must be checked", "needs to be monitored",
    "need to be monitored", "needs to be checked", "need to be checked", "should be measured", "should be tested",
    "checked regularly", "should be watched", "should be regularly monitored", "should be closely monitored",
)
# "Men on testosterone should have their hematocrit and PSA monitored."
_HAVE_MONITORED = r"\bhave\s+(?:your|their|his|her)\s+(.{2,60}?)\s+(?:monitored|checked|tested|measured)\b"

# Where the list of things named ends.
ITEM_STOPS = (
    "if", "during", "while", "when", "before", "after", "closely", "regularly",
    "carefully", "every", "at least", "as", "because", "since", "or within", "and within", "within", "unless",
    "for at least", "for the first", "until", "throughout", "at the start", "at baseline", "periodically", "daily",
    "more often", "more frequently", "often", "frequently", "at every", "at each", "at regular", "at your", "on every",
    "on each", "at all",
    "weekly", "monthly", "in the first", "over the", "to make sure", "so that", "without", "on a regular basis",
)
# Words dropped from the start of a named thing.
ITEM_LEADS = (
    "in", "you are", "you have", "you're", "you've", "you", "are", "have", "has", "had", "being", "is", "people with",
    "patients with", "those with", "anyone with", "women who are", "women", "a history of", "history of", "any",
    "known", "the", "a", "an", "your", "their", "his", "her", "other", "existing", "pre-existing", "other drugs such as",
    "drugs such as", "medicines such as", "medications such as", "such as", "including", "e.g.", "especially",
    "particularly", "taking", "using", "are taking", "currently", "this medicine with", "it with", "them with",
    "for", "people who have had", "people who have", "people who are", "those who have had", "those who have",
    "anyone who has had", "anyone who has", "who have had", "who have", "who are", "who has",
    "signs of", "symptoms of", "signs and symptoms of", "any signs of", "any symptoms of", "early signs of",
    "a family history of", "family history of", "a personal or family history of", "a personal history of",
    "men with", "women with", "women who are", "known or suspected", "known", "suspected", "by men with", "by women with",
    "by women who are", "by people with", "by anyone with", "by", "ever had", "have ever had", "or have ever had",
)
# Items that name nothing.
ITEM_EMPTY = frozenset({
    "it", "them", "this", "you", "this medicine", "this product", "these", "other", "others", "anything", "each other",
    "other drugs", "other medicines", "other medications", "other substances", "drugs", "medicines", "medications",
    "or", "and", "missing", "broken", "damaged", "opened", "open", "ever had", "a medical condition", "any medical condition",
    "medical condition", "any medication", "any medications", "taking any medication", "a condition", "any condition",
    "medication", "medicine", "the drug", "stopping them", "it together", "other products", "any condition",
})

# Synonyms folded onto one name (keys are lowercase words as written).
CANONICAL = {
    "pregnant": "pregnancy", "pregnant women": "pregnancy", "during pregnancy": "pregnancy",
    "breast-feeding": "breastfeeding", "nursing": "breastfeeding", "breastfeeding women": "breastfeeding",
    "lactating": "lactation", "maois": "mao_inhibitors", "mao inhibitors": "mao_inhibitors",
    "maoi": "mao_inhibitors", "monoamine oxidase inhibitors": "mao_inhibitors",
    "ssri": "ssris", "ssri antidepressants": "ssris", "selective serotonin reuptake inhibitors": "ssris",
    "blood thinners": "anticoagulants", "blood-thinning medicines": "anticoagulants", "anticoagulant": "anticoagulants",
    "alcoholic drinks": "alcohol", "drinking alcohol": "alcohol", "children": "children", "kids": "children",
    "thyroid medications": "thyroid_medication", "thyroid medicines": "thyroid_medication",
    "psa": "psa", "prostate-specific antigen": "psa", "blood sugar": "blood_glucose", "blood glucose levels": "blood_glucose",
    "blood sugar levels": "blood_glucose", "blood pressure levels": "blood_pressure",
    "breast-feeding women": "breastfeeding", "breastfeeding mothers": "breastfeeding", "nursing mothers": "breastfeeding",
    "nursing women": "breastfeeding", "breast feeding": "breastfeeding", "breast-feeding mothers": "breastfeeding",
    "pregnant women or breastfeeding": "pregnancy", "allergic to any of its ingredients": "hypersensitivity",
    "allergic to any of the ingredients": "hypersensitivity", "allergic to any ingredient": "hypersensitivity",
    "hypersensitive to any of the ingredients": "hypersensitivity", "allergic to it": "hypersensitivity",
    "hypersensitivity to the product": "hypersensitivity", "hypersensitivity to any of the ingredients": "hypersensitivity",
    "hypersensitivity to the active substance": "hypersensitivity", "red blood cell count": "hematocrit",
    "haematocrit": "hematocrit", "alcoholic drinks every day": "alcohol", "contraceptive pill": "oral_contraceptives",
    "men2": "multiple_endocrine_neoplasia_type_2", "men 2": "multiple_endocrine_neoplasia_type_2",
    "multiple endocrine neoplasia syndrome type 2": "multiple_endocrine_neoplasia_type_2",
    "multiple endocrine neoplasia type 2": "multiple_endocrine_neoplasia_type_2",
    "medullary thyroid cancer": "medullary_thyroid_carcinoma", "mtc": "medullary_thyroid_carcinoma",
    "the contraceptive pill": "oral_contraceptives", "combined pill": "oral_contraceptives", "the combined pill": "oral_contraceptives", "the pill": "oral_contraceptives", "birth control pills": "oral_contraceptives",
    "oral contraceptives": "oral_contraceptives", "birth control": "oral_contraceptives", "hormonal contraceptives": "oral_contraceptives",
    "a blood thinning": "anticoagulants", "blood thinning": "anticoagulants", "blood-thinning": "anticoagulants",
    "liver enzymes": "liver_function", "liver function tests": "liver_function", "kidney function tests": "kidney_function",
    "renal function": "kidney_function", "hepatic function": "liver_function",
}

# Headings above a list of contraindications ("Contraindications", "Do not take", "Who should not use it").
CONTRAINDICATION_HEADINGS = (
    "contraindications", "contraindication", "do not take", "do not use", "who should not", "who should avoid",
    "not suitable for", "do not take this medicine if", "do not use if", "do not take if", "when not to use",
)
INTERACTION_HEADINGS = ("interactions", "drug interactions", "do not combine with", "do not take with")
MONITOR_HEADINGS = ("monitoring", "what to monitor", "monitor", "lab monitoring", "tests to monitor")


def _alt(phrases: tuple[str, ...]) -> str:
    return phrases_pattern(phrases)


_I = re.IGNORECASE
_CONTRA_RE = re.compile(_alt(CONTRAINDICATION_BEFORE_ITEMS), _I)
_INTER_RE = re.compile(_alt(INTERACTION_BEFORE_ITEMS), _I)
_HISTORY_RE = re.compile(_alt(CONTRAINDICATION_HISTORY), _I)
# "Talk to your pharmacist before using it together with warfarin": "together with" names an
# interaction only inside advice ("given together with other treatment" is co-therapy).
_TOGETHER_RE = re.compile(r"\b(?:together\s+with|at\s+the\s+same\s+time\s+as|alongside)\s+", re.IGNORECASE)
_ADVICE_WORDS_RE = re.compile(r"\b(?:talk|ask|consult|check\s+with|speak|avoid|do\s+not|don't|dont|should\s+not|must\s+not|never|caution|especially|particularly)\b",
                              re.IGNORECASE)
_AVOID_SUBSTANCE_RE = re.compile(r"\b(?:avoid|limit|do\s+not\s+drink|don't\s+drink|no)\s+(alcohol(?:ic\s+drinks|ic\s+beverages)?|grapefruit(?:\s+juice)?|caffeine)\b", re.IGNORECASE)
_AVOID_RE = re.compile(r"(?:" + _alt(INTERACTION_AVOID) + r")\s+(.{2,40}?)\s+(?:" + _alt(INTERACTION_AVOID_UNTIL) + ")", _I)
_IF_TAKE_RE = re.compile(_alt(INTERACTION_IF_YOU_TAKE), _I)
_INTER_CONTEXT_RE = re.compile(_alt(INTERACTION_CONTEXT), _I)
_MON_BEFORE_RE = re.compile(r"(?:" + _alt(MONITOR_BEFORE_ITEMS) + r")(?!\s+(?:for|you|yourself|closely)\b)", _I)
_MON_AFTER_RE = re.compile(_alt(MONITOR_AFTER_ITEMS), _I)
_MON_FOR_RE = re.compile(r"\b(?:monitor(?:ing|ed)?|(?:be|been|being|get|gets)\s+(?:regularly\s+|closely\s+)?(?:checked|watched|screened|observed))\s+(?:\w+\s+)?for\b", _I)
_STOP_RE = re.compile(r"\s+(?:" + _alt(ITEM_STOPS) + r")(?=[\s.,;:!?)]|$)|[.;:!?()]|,\s+(?:as|because|since|so|which|and\s+(?:it|this|they|you|do|seek|stop|tell))\b"
                      r"|\s+(?:but|then|and\s+(?:do|seek|stop|tell|talk|consult|call))\b", _I)
_LEAD_RE = re.compile(r"^(?:(?:" + _alt(ITEM_LEADS) + r")(?:\s+|$))+", _I)
# "Do not take it if you are already taking SSRIs": a drug the reader takes is an interaction.
_TAKING_NOW_RE = re.compile(r"\s*(?:you\s+are|you're|you)\s+(?:already\s+|currently\s+|now\s+|also\s+)?(?:taking|using|on|take|use)\s", _I)
# People, not things, stand before "should be monitored" when the thing follows "for".
_PEOPLE_RE = re.compile(r"\b(?:patients|people|persons|users|those|anyone|adults|children|men|women|individuals|"
                        r"anybody|everyone|you|athletes|elderly|infants|babies)\b", _I)
_SPLIT_RE = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|nor|and/or|&)(?:\s+|$)|\s*/\s*", _I)
_HEAD_CONTRA_RE = re.compile(r"^\W*(?:" + _alt(CONTRAINDICATION_HEADINGS) + r")", _I)
_HEAD_INTER_RE = re.compile(r"^\W*(?:" + _alt(INTERACTION_HEADINGS) + r")\W*$", _I)
_HEAD_MON_RE = re.compile(r"^\W*(?:" + _alt(MONITOR_HEADINGS) + r")\W*$", _I)
_SUBJECT_BEFORE_RE = re.compile(r"(?:^|[;,:]\s*|\b(?:and|but)\s+)((?:[\w'-]+\s+){0,4}?[\w'-]+)\s+$", _I)
_LABEL_LIST_RE = re.compile(r"^\W*(contraindications?|(?:drug\s+)?interactions|monitoring)\s*[:|]\s*", re.IGNORECASE)
_NO_INTERACTION_RE = re.compile(r"\b(?:no|not|never|without|none)\b", _I)
_NEGATED_TRIGGER_RE = re.compile(r"\b(?:no\s+need\s+to|not\s+necessary\s+to|need\s+not|needn't)\s+$", _I)
_ANY_RE = re.compile(r"\bshould\s+avoid\b|\bapart\b|\btogether\b|\balongside\b|\bat\s+the\s+same\s+time\b|\bdont\b|\btest\s+your\b|\bmeasure\b|\bask\s+a\s+doctor\b|\bconsult\b|\bno\s+(?:alcohol|grapefruit|caffeine)\b|\bespecially\b|\bparticularly\b|\bnotably\b|\bmakes?\b|\benhanc|\bpotentiat|\beffects?\s+of\b|\bhow\s+\w+\s+works\b|contraindicat|\bdo\s+not\b|\bdon't\b|\bshould\s+not\b|\bmust\s+not\b|\bnot\s+(?:suitable|recommended|to\s+be|for\s+use)"
                     r"|\bavoid|\binteract|\bcombin|\bmonitor|\bcheck|\bkeep\b|\bhave\s+(?:your|their)\b|\bif\s+you\b|\bunsafe\b"
                     r"|\bnot\s+safe\b|\blimit\b|\bdangerous\b|\bmeasured\b|\btested\b|\bwatched\b|\bskip\b", _I)


# Groups that a rule (not a medical reason) keeps off a substance, and generic "other medicines".
NOT_MEDICAL = frozenset({"athletes", "competitive athletes", "competitors", "tested athletes", "sportspeople"})
# Shop furniture that a trigger can precede ("monitor your order status", "do not combine discount codes").
COMMERCE_WORDS = frozenset("order orders account email inbox spam shipping delivery package parcel tracking cart "
                           "checkout discount discounts code codes coupon coupons offer offers promotion promotions "
                           "voucher vouchers subscription password login basket newsletter seal packaging carton tamper "
                           "wrapper blister foil".split())
# Words of a clause, not of a named condition or drug.
_CLAUSE_WORDS = frozenset("i me my we us felt learned learnt was were got thought tried that's it's".split())
_GENERIC_DRUGS_RE = re.compile(r"^(?:other|any|all|prescription|your)\b|^(?:medications?|medicines?|drugs?)\s+(?:you|that|which)\b", _I)


_PREGNANCY_PART_RE = re.compile(r"(?:(?:are|being)\s+)?(?:in\s+)?(?:the\s+)?(?:first|second|third|last|final|early|late)\s+"
                                r"(?:(?:\w+\s+){0,2}(?:months|weeks)\s+of\s+pregnancy|trimester(?:\s+of\s+pregnancy)?|pregnancy)", _I)


_CONTAINING_RE = re.compile(r"(?:any\s+|all\s+)?(?:other\s+)?(?:medicines?|medications?|products?|drugs?|remedies)\s+(?:(?:that|which)\s+"
                            r"(?:also\s+)?contains?|containing)\s+([\w-]+)|(?:any\s+|all\s+)?(?:other\s+)?([\w]+)-containing\s+(?:medicines|medications|products|drugs)", _I)


_CONDITION_OF_RE = re.compile(r"^(?:an?\s+)?(?:(?:rare|serious|severe|known)\s+)?(?:(?:hereditary|inherited|genetic|congenital)\s+)?"
                              r"(?:problem|condition|disorder|disease|illness)\s+(?:of|with|called|known\s+as)\s+", re.IGNORECASE)


_AGE = {w: str(i) for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}


def _name(item: str) -> str | None:
    item = " ".join(item.split()).strip(" ,.-–—'\"")
    item = _LEAD_RE.sub("", item).strip(" ,.-–—")
    item = _CONDITION_OF_RE.sub("", item)  # "a rare hereditary problem of galactose intolerance"
    low = item.lower()
    if low in CANONICAL:
        return CANONICAL[low]
    allergy = re.fullmatch(r"(?:people\s+|those\s+|anyone\s+)?(?:who\s+are\s+)?allergic\s+to\s+([\w -]{2,30})", low)
    if allergy and re.match(r"(?:any|all)\s+of\s+(?:its|the)\b", allergy.group(1)):
        return "hypersensitivity"
    if allergy and allergy.group(1) not in ("it", "any of its ingredients", "any of the ingredients"):
        return re.sub(r"[^a-z0-9]+", "_", allergy.group(1)).strip("_") + "_allergy"
    if not low or low in ITEM_EMPTY or low in NOT_MEDICAL or len(low.split()) > 5 or not re.search(r"[a-z]", low):
        return None
    m = _CONTAINING_RE.fullmatch(low)  # "any other medicine that contains paracetamol"
    if m:
        return re.sub(r"[^a-z0-9]+", "_", (m.group(1) or m.group(2))).strip("_") + "_containing_medicines"
    if _GENERIC_DRUGS_RE.search(low) or find_subject(low):  # "other medications you take", the substance itself
        return None
    if COMMERCE_WORDS.intersection(re.findall(r"[a-z]+", low)):
        return None
    if _CLAUSE_WORDS.intersection(re.findall(r"[a-z']+", low)):  # "learned that the hard way", "felt super dizzy"
        return None
    if low in CANONICAL:
        return CANONICAL[low]
    if low.endswith((" levels", " level")) and " " in low:  # "IGF-1 levels" is IGF-1
        return _name(low.rsplit(" ", 1)[0])
    if low.endswith(" counts"):  # "platelet counts" is the platelet count
        low = low[:-1]
    if re.fullmatch(r"(?:a\s+)?(?:long\s+)?(?:list|number|range|variety|host)\s+of\s+(?:other\s+)?(?:drugs|medicines|medications|substances)", low):
        return None
    young = re.fullmatch(r"(?:children\s+|kids\s+|anyone\s+)?(?:under|below|younger\s+than)[- ](\w+?)s?(?:\s+years?(?:\s+of\s+age|\s+old)?)?", low)
    if young and _AGE.get(young.group(1), young.group(1)).isdigit():  # "under-18s", "children under two"
        return f"children_under_{_AGE.get(young.group(1), young.group(1))}"
    if _PREGNANCY_PART_RE.fullmatch(low):  # "the last three months of pregnancy", "the first trimester"
        return "pregnancy"
    m = EFFECT_RE.fullmatch(low)
    if m:
        return effect_name(m)
    return re.sub(r"[^a-z0-9]+", "_", low).strip("_") or None


def _items(text: str) -> list[str]:
    """Names in a list that starts at the beginning of ``text`` and ends at the first stop."""
    text = re.sub(r"\s*\([^()]{1,60}\)", "", text)  # "red blood cell count (haematocrit) and PSA": the aside is a gloss
    stop = _STOP_RE.search(text)
    chunk = text[: stop.start()] if stop else text
    chunk = re.sub(r"\b(?:an?\s+)?personal\s+(?:or|and/or|and)\s+family\s+history\s+of\b", "history of", chunk, flags=_I)
    allergy = re.match(r"\s*(?:(?:you\s+)?(?:are|'re)\s+)?allergic\s+to\s+", chunk, _I)
    if allergy:  # "allergic to ibuprofen or aspirin": each named thing is an allergy ("any of the ingredients": hypersensitivity)
        return list(dict.fromkeys(n for part in _SPLIT_RE.split(chunk[allergy.end():])
                                  if part.strip() and (n := _name("allergic to " + part))))
    names = []
    for part in _SPLIT_RE.split(chunk):
        if re.match(r"\s*(?:within|during|for\s+(?:at\s+least|the\s+first|up\s+to|more\s+than|\d))\b", part, _I) and names:
            continue
        n = _name(part)
        if n and n not in names:
            names.append(n)
    return names


# A list item that names a drug the reader takes ("..., are taking blood thinners, or ...").
_TAKING_ITEM_RE = re.compile(r"\s*(?:(?:or|and)\s+)?(?:you\s+)?(?:are|'re)?\s*(?:already\s+|currently\s+)?(?:taking|using|on)\s+(?=\w)", _I)
# "... if you are allergic to X or if you have severe liver disease": the list goes on after "or if".
_OR_IF_RE = re.compile(r"\b(?:or|and)\s+if\s+you(?:'ve|'re|\s+have|\s+are|\s+suffer\s+from|\s+have\s+had)\s+", _I)


def _list_parts(text: str) -> list[str]:
    """The comma parts of a contraindication list, up to its stop (so each can be read alone)."""
    stop = _STOP_RE.search(text)
    chunk = text[: stop.start()] if stop else text
    return [re.sub(r"^\s*(?:and|or)\s+", "", p) for p in re.split(r",\s*", chunk) if p.strip()]


def _subject_before(text: str, end: int) -> list[str]:
    m = _SUBJECT_BEFORE_RE.search(text[:end])
    return _items(m.group(1)) if m else []


def advice(text: str, context: str = "", kind: str = "sentence") -> list[tuple[str, str]]:
    """``(aspect, name)`` pairs stated in ``text``; aspect is contraindication | interaction | monitor."""
    out: list[tuple[str, str]] = []

    def add(aspect: str, names: list[str]) -> None:
        for n in names:
            if (aspect, n) not in out:
                out.append((aspect, n))

    label = _LABEL_LIST_RE.match(text)
    if label and not _ANY_RE.search(text, label.end()):  # "Contraindications: pregnancy, epilepsy."
        aspect = "contraindication" if label.group(1).lower().startswith("contra") else (
            "interaction" if label.group(1).lower().startswith("interact") else "monitor")
        add(aspect, _items(text[label.end():].replace(",", " , ")))
        return out
    if kind == "faq" and context and _HEAD_CONTRA_RE.search(context.strip()) and not _ANY_RE.search(text):
        for part in _list_parts(text):  # "Who should not take it?" — "People with X, people with Y, and ..."
            add("contraindication", _items(part))
        return out
    if kind == "list_item" and context:  # a list under a Contraindications / Interactions / Monitoring heading
        for rx, aspect in ((_HEAD_CONTRA_RE, "contraindication"), (_HEAD_INTER_RE, "interaction"), (_HEAD_MON_RE, "monitor")):
            if rx.search(context.strip()) and not _ANY_RE.search(text):
                add(aspect, _items(text))
                return out
    if not _ANY_RE.search(text):
        return out
    for m in _INTER_RE.finditer(text):
        if not _NO_INTERACTION_RE.search(text, max(0, m.start() - 30), m.start()):  # "no known interactions with"
            add("interaction", _items(text[m.end():]))
    for m in _CONTRA_RE.finditer(text):
        if any(a == "interaction" for a, _ in out) and re.match(r"\s*with\b", text[m.end():], _I):
            continue
        taking = _TAKING_NOW_RE.match(text, m.end())
        if taking:
            add("interaction", _items(text[taking.end():]))
            continue
        for part in _list_parts(text[m.end():]):
            drug = _TAKING_ITEM_RE.match(part)
            add("interaction" if drug else "contraindication", _items(part[drug.end():] if drug else part))

    for rx in (_WHO_TAKE_RE, _AT_RISK_TAKING_RE, _MAKE_WORK_RE):
        for m in rx.finditer(text):
            add("interaction", _items(m.group(1)))
    for m in _HISTORY_RE.finditer(text):
        add("contraindication", _items(text[m.end():]))
    for m in _IF_HAVE_RE.finditer(text):
        add("contraindication", _items(m.group(1)))
    for m in _WHO_HAVE_RE.finditer(text):
        add("contraindication", _items(m.group(1)))
    for m in _AVOID_RE.finditer(text):
        add("interaction", _items(m.group(1)))
    for m in _AVOID_SUBSTANCE_RE.finditer(text):
        add("interaction", _items(m.group(1)))
    if _ADVICE_WORDS_RE.search(text):
        for m in _TOGETHER_RE.finditer(text):
            add("interaction", _items(text[m.end():]))
    for m in _IF_THEN_CONSULT_RE.finditer(text):
        for part in _list_parts(m.group(1)):
            drug = _TAKING_ITEM_RE.match(part)
            add("interaction" if drug else "contraindication", _items(part[drug.end():] if drug else part))
    if any(a == "contraindication" for a, _ in out):  # "..., or if you have MEN2": the list goes on
        for more in _OR_IF_RE.finditer(text):
            add("contraindication", _items(text[more.end():]))
    if _INTER_CONTEXT_RE.search(text):
        for m in _IF_TAKE_RE.finditer(text):
            add("interaction", _items(text[m.end():]))
    for m in _MON_AFTER_RE.finditer(text):
        if _NEGATED_TRIGGER_RE.search(text[: m.start()]):
            continue
        if re.match(r"\s+(?:\w+\s+)?for\b", text[m.end():], _I):  # "patients ... should be monitored for X"
            before = _SUBJECT_BEFORE_RE.search(text[: m.start()])
            if before is None or _PEOPLE_RE.search(before.group(1)) or _PEOPLE_RE.match(text.lstrip()):
                continue  # the thing monitored follows "for" (read below)
        add("monitor", _subject_before(text, m.start()))
    for m in re.finditer(_HAVE_MONITORED, text, _I):
        add("monitor", _items(m.group(1)))
    for m in _MON_BEFORE_RE.finditer(text):
        if _NEGATED_TRIGGER_RE.search(text[: m.start()]) or _MON_AFTER_RE.match(text, m.start()):
            continue
        rest = text[m.end():]
        if re.match(r"\s*(?:monitored|checked|tested)\b", rest):
            continue
        if m.group(0).lower().startswith("check") and not re.search(r"\b(?:monitored|checked|tested|measured)\b|\bregularly\b|\bevery\b"
                                                                     r"|\bmore\s+often\b|\bbefore\s+and\s+during\b|\bthroughout\b|\bblood\s+tests?\b", rest, _I):
            continue
        add("monitor", _items(re.split(r"\s+(?:with|using|via|by\s+means\s+of)\s+", rest, maxsplit=1)[0]))
    for m in _MON_FOR_RE.finditer(text):
        add("monitor", _items(text[m.end():]))
    return out
