"""Strength-of-evidence claims: stated grades and the kinds of study a page relies on.

Why: a page quietly upgrading "animal studies suggest" to "clinical trials prove", or an
"Evidence: Low" badge becoming "Evidence: Moderate", changes what a reader believes.

Two claim shapes:

* ``evidence:level`` -> ``{level}`` with level in very_low | low | moderate | high, from a
  grade ("Evidence: Low", "Evidence Level" table row, "Graded low", "evidence grade B",
  "strong evidence" -> high, "weak evidence" -> low). Letter grades: A high, B moderate,
  C low, D very_low. A negated strength ("no strong evidence") states no grade: skipped.
* ``evidence:<kind>`` -> ``{kind[, qualifiers]}``, one claim per kind named in a unit.
  Kinds: animal, cell, preclinical, human, rct, anecdotal, clinical_use, meta_analysis,
  observational. Qualifiers (sorted, only those in the same coordinated part of the clause
  as the kind: "extensive animal work, and a few small human trials" keeps them apart):
  limited, large, small, independent, lacking, controlled, early, promising, extensive.

Precision rule: a sentence that only says "studies show", "research suggests" or "in one
study" names no kind and yields no claim; a claim needs a named kind (e.g. "animal studies",
"human trials", "in patients", "clinical use", "anecdotal reports", "preclinical"). A bare
"trial(s)" counts as human (trials are run in people), except "free trial". "Controlled /
randomised / double-blind ... trials" are ``rct`` and the overlapping "human trials" is not
also counted. ``clinical_use`` needs the substance to be used ("used in clinical practice",
"clinical use"), not a setting ("in clinical practice the dose is ..."). "Users report ..."
is anecdotal evidence only when the clause is not a side-effect report ("some users report a
runny nose" is a safety claim); "anecdotal", "testimonials" always are. "Safety data/studies"
are left to the safety extractor. Headings ("Animal Evidence"), questions and bibliography
lines are not claims.
"""

from __future__ import annotations

import re

from monitor.claims import register
from monitor.claims.lexicon import EFFECT_RE, clauses, is_reference, make_claim, negated_before, phrases_re, segments
from monitor.models import Claim, TextUnit
from monitor.segment import labelled_row

_I = re.IGNORECASE
_LEVELS = {"limited": "low", "poor": "low", "thin": "low", "sparse": "low", "scant": "low", "scanty": "low", "good": "moderate", "very low": "very_low", "very-low": "very_low", "low": "low", "weak": "low", "moderate": "moderate",
           "medium": "moderate", "high": "high", "strong": "high", "a": "high", "b": "moderate", "c": "low",
           "d": "very_low", "insufficient": "very_low", "very weak": "very_low", "very-weak": "very_low", "very poor": "very_low"}
_LW = r"(very[ -]low|very[ -]weak|very[ -]poor|low|moderate|medium|high|strong|weak|insufficient)"
# A grade given as a value (label or predicate) may also be "limited" ("EVIDENCE GRADE · LIMITED",
# "the evidence is limited"); attributive "limited evidence" is a qualifier of a kind, not a grade.
_LWV = r"(very[ -]low|very[ -]weak|very[ -]poor|low|moderate|medium|high|strong|weak|insufficient|limited|poor|good|thin|sparse|scanty|scant)"
_CONCLUDE = r"(?:support|draw|conclude|recommend|establish|confirm|show|determine|justify|prove)\b"
_LEVEL_RES = (
    # A badge alone in its unit: "LIMITED EVIDENCE", "Weak scientific evidence".
    re.compile(r"^\W*" + _LWV + r"\s+(?:scientific\s+|clinical\s+)?(?:evidence|support)\W*$", _I),
    # A label whose value follows symbols or a glued word: "Evidence strength: ▮▮▯ (limited)", "Scientific supportWeak".
    re.compile(r"\b(?:evidence|scientific\s+support)(?:\s+(?:level|grade|rating|quality|strength))?\s*[:=|·•–—-]?\s*"
               r"[^\w\s]{0,12}\s*\(?" + _LWV + r"\)?\W*$", _I),
    re.compile(
        r"\b(?:evidence(?:\s+(?:level|grade|rating|quality|strength|base|certainty))?|level\s+of\s+evidence|"
        r"quality\s+of\s+(?:the\s+)?evidence|strength\s+of\s+(?:the\s+)?evidence|certainty\s+of\s+(?:the\s+)?evidence)"
        r"\s*(?:[:=\-–—|·•]\s*|\s*\n\s*|(?:\s+(?:here|so\s+far|overall|today|currently|to\s+date|itself|as\s+a\s+whole))?\s+(?:is|are|was|remains|rated|graded|considered)\s+(?:still\s+|very\s+(?!low\b|weak\b|poor\b)|as\s+)?)(?:[\w-]+\s+to\s+)?" + _LWV + r"\b(?!\s+(?:in|by)\b)(?!\s+to\s+(?!" + _CONCLUDE + r"))",
        _I,
    ),
    re.compile(r"\b(?:(?:quality|strength|certainty|level)\s+of\s+(?:the\s+)?)?evidence\s+(?:for|on|behind|supporting|in|that)\s+"
               r"(?:[\w-]+\s+){1,4}?(?:is|are|was|remains)\s+(?:still\s+|very\s+|rather\s+)?" + _LWV + r"\b(?!\s+(?:to|in|by)\b)", _I),
    re.compile(r"(?<!safety\s)\b(?:(?:human|clinical|US|published|available|research|trial|outcome)\s+)?data\s+(?:are|is|remain)\s+"
               r"(?:still\s+|very\s+|rather\s+)?(limited|weak|insufficient|poor)\b(?!\s+(?:to|in|by)\b)", _I),
    re.compile(r"\brated\s+(?:the\s+)?(?:(?:overall|general)\s+)?(?:(?:quality|strength|certainty)\s+of\s+(?:the\s+)?)?evidence\s+(?:[\w-]+\s+){0,8}?as\s+" + _LW + r"\b", _I),
    re.compile(r"\bevidence\b[^.;]{0,60}?\b(?:is|are|was|were)\s+of\s+" + _LW + r"\s+(?:quality|certainty)\b", _I),
    re.compile(r"\b(?:graded|rated)\s*(?:as\s*)?[:\-]?\s*" + _LW + r"\b", _I),
    re.compile(_LW + r"(?:[- ](?:quality|certainty|level|grade))?[- ]evidence\b", _I),
)
_GRADE_RES = (
    re.compile(r"(?i:\b(?:evidence\s+)?grade)\s*[:\-|·•–—]?\s*([A-D])\b(?![-\w])"),
    re.compile(r"(?i:\bgrade)\s+([A-D])\s+(?i:evidence)\b"),
    re.compile(r"(?i:\b(?:graded|rated))\s+(?:as\s+)?(?:grade\s+)?([A-D])\b(?![-\w])"),
    re.compile(r"(?i:\b(?:level\s+of\s+evidence|evidence(?:\s+(?:level|rating))?))\s*[:=|]\s*([A-D])\b(?![-\w])"),
)

_KINDS: tuple[tuple[str, str], ...] = (
    ("meta_analysis", r"\bmeta-?analys[ie]s\b|\bsystematic\s+reviews?\b|\bCochrane\s+(?:review|analysis)\b|\bpooled\s+analys[ie]s\b|\bumbrella\s+review\b"),
    ("rct", r"\b(?:randomi[sz]ed|placebo[- ]controlled|double[- ]blind(?:ed)?|controlled)\b(?:[\s,]+[\w-]+){0,3}?\s+"
            r"(?:trials?|stud(?:y|ies|ys))\b|(?-i:\bRCTs?\b)"),
    ("observational", r"\bobservational\b|\bcohort\s+stud(?:y|ies|ys)\b|\bpost-?marketing\b"),
    ("clinical_use", r"\bclinical\s+use\b|\bused\s+(?:\w+\s+)?in\s+(?:traditional|ayurvedic|chinese|folk|herbal|kampo|unani)\s+(?:\w+\s+)?medicine\b|\bused\s+clinically\b|\bclinically\s+used\b|\bused\s+in\s+(?:\w+\s+)?hospitals\b"
                     r"|\b(?:used|prescribed|employed|established|adopted)\s+(?:\w+\s+){0,3}?in\s+(?:[\w-]+\s+){0,2}?(?:clinical\s+)?(?:practice|settings?)\b"
                     r"|\bclinical\s+experience\b|\b(?:doctors|physicians|clinicians|neurologists|psychiatrists)\s+(?:in\s+[\w-]+\s+)?(?:prescribe|use|recommend)\b"
                     r"|\bclinical\s+practice\s+(?:has|have|uses?|relies|shows?)\b"),
    ("anecdotal", r"\banecdot\w*|\bbro-?science\b|\bn\s?=\s?1\b|\bself[- ]experiment\w*|\busers?\s+(?:on\s+\w+\s+|\w+\s+)?(?:report|reported|reporting|describe)\b|\buser\s+(?:reports|experiences|testimonials)\b"
                  r"|\btestimonials?\b|\bforum\s+(?:reports|posts|logs)\b|\b(?:customers|clients|buyers|reviewers)\s+(?:\w+\s+)?(?:tell|report|say|swear|rave)\w*|\breddit\s+(?:posts|threads|reports)\b"
                  r"|\b(?:guys|folks|people|members|posters|many\s+of\s+us)\s+(?:on\s+(?:here|the\s+forum|reddit)\s+|here\s+)(?:report|say|swear|claim|describe)\w*"),
    ("human", r"\b(?:human|clinical)(?:\s*(?:,|and|or|&)\s*(?:pre-?clinical|animal|human|clinical))*\s+(?!safety\b)(?:[\w-]+\s+)?"
              r"(?:trials?|stud(?:y|ies|ys)|data|evidence|outcomes|results|subjects|volunteers)\b(?!\s+(?:rating|grade|level|score)\b)|\bhuman\s+research\b"
              r"|\bin\s+(?:healthy\s+|actual\s+|real\s+|living\s+)?(?:humans|volunteers|human\s+subjects)\b"
              r"|\b(?:tested|studied|trialled|trialed|evaluated)\s+in\s+(?:people|humans|patients)\b"
              r"|\b(?:stud(?:y|ies|ys)|trials?|reviews?|series|surveys?|analys[ie]s|experiments?|data|records|registr(?:y|ies))\s+(?:of|in|with|among|involving|on|from)\s+"
              r"(?:about\s+|over\s+|nearly\s+|some\s+|just\s+|only\s+)?(?:\d[\d,]*\s+|a\s+(?:group|cohort|handful|few|number|sample)\s+of\s+"
              r"|a\s+few\s+|several\s+|a\s+)?(?:[\w-]+\s+){0,3}?(?:patients|volunteers|participants|adults|subjects|men|women|"
              r"workers|people|children|individuals|athletes|students|humans|smokers|veterans|employees|nurses|residents|infants|users)\b"
              r"|\bretrospective\s+(?:review|analysis|chart\s+review|study)\b|\bcase\s+(?:reports?|series)\b"
              r"|\b(?:open[- ]label|uncontrolled|single[- ]arm|pilot|crossover|phase\s+(?:I{1,3}|[123]))\s+(?:[\w-]+\s+)?(?:stud(?:y|ies|ys)|trials?)\b"
              r"|\benrolled\s+(?:more\s+than\s+|over\s+|about\s+|nearly\s+|some\s+)?[\d,]+\s+(?:participants|patients|adults|people|subjects|volunteers|women|men)\b"
              r"|\bclinical(?:ly)?\s+(?:tested|proven|studied)\b|(?<!free\s)\btrials?\b(?!\s+(?:size|pack|offer|version))"
              r"|\bin\s+(?:healthy\s+)?patients\b|\bpatients?\s+(?:with|suffering|recovering)\b"),
    ("animal", r"\banimals?\s+(?:[\w-]+\s+)?(?:stud(?:y|ies|ys)|models?|research|experiments?|data|work|evidence|trials?)\b"
               r"|\banimal\s+(?:and|or|&)\s+(?=(?:cell|cellular|human|clinical|in\s+vitro|laboratory)\b)"
               r"|\b(?:rodents?|rats?|mice|mouse|murine|rabbits?|primates?|monkeys?|dogs?|pigs?|zebrafish|horses?|equine)\s+(?:[\w-]+\s+)?(?:stud(?:y|ies|ys)|models?|experiments?|data|work|research|trials?)\b"
               r"|\b(?:rats?|mice|mouse|rodents?|animals?)\s+(?:and|or|&)\s+(?:[\w-]+\s+){0,2}?(?:stud(?:y|ies|ys)|experiments?|models?|data|work|research)\b"
               r"|\bin\s+(?:rats|mice|rodents|animals|monkeys|dogs|pigs|zebrafish|(?:a\s+)?(?:rat|mouse|rodent|animal)\s+models?|(?:rat|mouse|rodent|animal)\s+(?=(?:and|or|&)\s+[\w-]+\s+models?\b))"
               r"|\b(?:mice|rats|rodents|animals)\s+(?:that\s+(?:were|received|got)|treated|given|injected|dosed|fed|receiving)\b"
               r"|\b(?:limited|confined|restricted)\s+to\s+(?:rodents|rats|mice|animals)\b"
               r"|\b(?:used|using|involved|involving|enrolled)\s+(?:lab(?:oratory)?\s+|healthy\s+|young\s+|aged\s+)?(?:mice|rats|rodents|rabbits|dogs|pigs|monkeys|primates|zebrafish|animals)\b"),
    ("cell", r"(?<!for\s)\bin[\s-]+vitro\b(?!\s+(?:fertili|diagnos|use\s+only))|\b(?:shown|demonstrated|observed|found|tested)\s+in\s+vitro\b|\bcell(?:ular)?[- ](?:cultures?|stud(?:y|ies|ys)|models?|evidence|lines?|experiments?|based)\b|\bcultured\s+(?:[\w-]+\s+){0,2}?(?:cells|neurons|neurones|tissues?|fibroblasts|hepatocytes|myocytes|cardiomyocytes|keratinocytes|astrocytes)\b"),
    ("preclinical", r"\bpre-?clinical(?:ly)?\b"),
)
_KIND_RES = tuple((k, re.compile(p, _I)) for k, p in _KINDS)

_QUALIFIERS: tuple[tuple[str, str], ...] = (
    ("limited", r"\blimited\b|\bfew\b|\bscarce\b|\bsparse\b|\bthin\b|\bscant(?:y)?\b|\bmeag(?:re|er)\b|\binsufficient\b|\bsmall\s+number\b|\bnot\s+well[- ](?:studied|characteri[sz]ed)\b"),
    ("large", r"\b(?:large|big)(?:[- ]scale)?\b"),
    ("small", r"\bsmall(?:[- ]scale)?\b(?!\s+number)|\bpilot\b"),
    ("independent", r"\bindependent(?:ly)?\b"),
    ("lacking", r"\black(?:ing|s)?\b|\babsent\b|\bmissing\b|\bno\s+(?:[\w-]+\s+){0,4}?(?:trials|studies|data|evidence)\b"
                r"|\bnot\s+(?:been\s+|yet\s+)?(?:conducted|performed|confirmed|replicated)\b"),
    ("controlled", r"\bcontrolled\b"),
    ("early", r"\bearly\b|\bpreliminary\b"),
    ("promising", r"\bpromising\b|\bencouraging\b"),
    ("extensive", r"\bextensive(?:ly)?\b|\bnumerous\b"),
)
_QUAL_RES = tuple((q, re.compile(p, _I)) for q, p in _QUALIFIERS)


_ANY_KIND_RE = re.compile("|".join(f"(?:{p})" for _, p in _KINDS), _I)
# Anecdote as a description of the evidence base, whatever the clause is about.
_EVIDENCE_BASE_ANECDOTE_RE = re.compile(r"\banecdot\w*|\btestimonials?\b|\bforum\s+(?:reports|posts)\b|\buser\s+(?:reports|experiences|testimonials)\b", _I)
_SIDE_EFFECT_TOPIC_RE = re.compile(r"\bside[- ]effects?\b|\badverse\b|\bunwanted\b", _I)
_SAFETY_TOPIC_RE = re.compile(r"\b(?:safety|toxicity|toxicology)\b", _I)
# "safety data/studies" are about safety (the safety extractor reads them), not the evidence base.
_SAFETY_NOUN_RE = re.compile(r"\b(?:safety|toxicity|toxicology)\s+(?:(?!and\b|or\b)[\w-]+\s+)?(?:trials?|stud(?:y|ies|ys)|evidence|data|research|reports?|outcomes|results|findings)\b", _I)
_STUDY_NOUN_RE = re.compile(r"\b(?:trials?|stud(?:y|ies|ys)|evidence|data|research|models?|experiments?|reports?|outcomes|results|findings)\b", _I)


_LEVEL_GATE_RE = re.compile(r"evidence|grade|rated|data|support")  # every level pattern contains one (lowercased text)


# "The evidence is, frankly, weak": a comment word between commas does not part the grade from its subject.
_ASIDE_RE = re.compile(r",\s*(?:frankly|honestly|admittedly|however|though|overall|so\s+far|to\s+date|at\s+best|at\s+present|"
                       r"in\s+short|in\s+truth|to\s+be\s+fair|still)\s*,\s*", _I)


def _level(text: str) -> str | None:
    if not _LEVEL_GATE_RE.search(text.lower()):
        return None
    text = _ASIDE_RE.sub(" ", text)
    for rx in _GRADE_RES:
        m = rx.search(text)
        if m:
            return _LEVELS[m.group(1).lower()]
    for rx in _LEVEL_RES:
        for m in rx.finditer(text):
            if negated_before(text, m.start(), 12):
                continue
            return _LEVELS[m.group(1).lower().replace("-", " ")]
    return None


# Word starts one of which every kind pattern contains (checked on the lowercased clause first: a
# clause without any of them names no kind, and this one search is far cheaper than nine).
_KIND_GATE_RE = re.compile(
    r"\b(?:meta|systematic|cochrane|pooled|umbrella|randomi|placebo|double|controlled|rct|observational|cohort|case|"
    r"post|clinical|used|prescribed|employed|established|adopted|anecdot|bro|n=|n =|self|enrol|horse|equine|users?|testimonial|forum|reddit|guys|folks|"
    r"people|members|posters|many|human|vitro|volunteer|subjects|tested|studied|trialled|trialed|evaluated|stud|trial|review|series|survey|"
    r"analys|experiment|retrospective|patient|animal|rodent|rat|mice|mouse|murine|rabbit|primate|monkey|dog|pig|"
    r"zebrafish|cell|cultured|pre-?clinical|data|records|registr|doctors|physicians|clinicians|neurologists|psychiatrists|customers|clients|buyers|reviewers|actual|real|living)")


def _kinds(clause: str) -> list[tuple[str, int, int]]:
    """(kind, start, end) of every kind named in ``clause``, in text order; overlaps count once."""
    kinds: list[tuple[str, int, int]] = []
    if not _KIND_GATE_RE.search(clause.lower()):
        return kinds
    for kind, rx in _KIND_RES:
        for m in rx.finditer(clause):
            if any(m.start() < e and s < m.end() for _, s, e in kinds):
                continue
            kinds.append((kind, m.start(), m.end()))
    return sorted(kinds, key=lambda k: k[1])


# Two kind mentions joined like "preclinical and early clinical studies" share their qualifiers.
_COORDINATED_RE = re.compile(r"\s*,?\s*(?:and|or|&|as\s+well\s+as)\s+(?:[\w-]+\s+)?", _I)


def _side_effect_report(unit: TextUnit, clause: str) -> bool:
    """"Some users report a runny nose" reports a side effect, not the evidence base."""
    return bool(EFFECT_RE.search(clause) or _SIDE_EFFECT_TOPIC_RE.search(clause) or _SIDE_EFFECT_TOPIC_RE.search(unit.context or ""))


# "in patients", "patients with ...", a bare "trial": a population or a setting, evidence only when the
# clause reports a finding or a study ("kidney function should be monitored in patients" is advice).
_POPULATION_RE = re.compile(r"^(?:in\s+(?:healthy\s+)?patients|patients?\s|in\s+(?:healthy\s+|actual\s+|real\s+|living\s+)?humans\b)", _I)
# "No hair loss was reported during the trial": the trial is when, not what the evidence is.
_SETTING_RE = re.compile(r"\b(?:during|throughout|over\s+the\s+course\s+of|after|before|since)\s+(?:the|this|that|our)\s+$", _I)
_FINDING_RE = re.compile(
    r"\b(?:stud(?:y|ies|ys)|trials?|data|evidence|results?|outcomes?|shown|showed|shows|found|finds|improv\w*|reported\s+(?:improv|better|benefit|fewer|less|faster)\w*"
    r"|associated|effective|efficacy|benefit\w*|demonstrated|tried|tested|studied|investigated|observed\s+(?:improv|better|benefit)\w*|recovery|response|randomi[sz]ed|enrolled)\b", _I)


# A study only planned or hoped for is not evidence ("they plan to start a trial next year").
PLANNED_WORDS = ("hope to", "hopes to", "hoping to", "plan to", "plans to", "planning to", "planned", "aim to", "aims to",
                 "intend to", "intends to", "will begin", "will start", "will launch", "upcoming", "is expected to start",
                 "are expected to start", "set to begin", "set to start")
_PLANNED_RE = phrases_re(PLANNED_WORDS)


def _clause_kinds(unit: TextUnit, clause: str) -> dict[str, set[str]]:
    kinds = _kinds(clause)
    if kinds and _PLANNED_RE.search(clause):
        kinds = [k for k in kinds if k[0] not in ("human", "rct")]
    if not kinds:  # everything below only filters or qualifies kinds
        return {}
    kinds = [k for k in kinds if not (k[0] == "human" and (
        _SETTING_RE.search(clause, max(0, k[1] - 25), k[1]) and clause[k[1]:k[2]].lower().startswith("trial")
        or _POPULATION_RE.match(clause[k[1]:k[2]]) and not clause[k[1]:k[2]].lower().startswith("trial")
        and not _FINDING_RE.search(clause[: k[1]] + " " + clause[k[2]:])))]
    if not kinds:
        return {}
    names = {k for k, _, _ in kinds}
    if "rct" in names and "human" in names:  # a controlled trial is a human study: count it once
        rcts = [k for k in kinds if k[0] == "rct"]
        # ... unless the human mention is a study of its own ("two uncontrolled pilot studies and one RCT")
        kinds = [k for k in kinds if k[0] != "human" or not any(_same_study(clause, r, k) for r in rcts)]
    if _SAFETY_TOPIC_RE.search(clause) and not _STUDY_NOUN_RE.search(_SAFETY_NOUN_RE.sub(" ", clause)):
        # "the long-term safety of X in humans is unknown", "safety data in humans are sparse"; a kind
        # coordinated apart from the safety words stays ("tested only in animals, and its safety is unknown")
        kinds = [k for k in kinds if not _beside_safety(clause, k)]
        if not kinds:
            return {}
    if not _EVIDENCE_BASE_ANECDOTE_RE.search(clause) and _side_effect_report(unit, clause):
        kinds = [k for k in kinds if k[0] != "anecdotal"]

    found: dict[str, set[str]] = {}
    for a, b in segments(clause, _ANY_KIND_RE):
        in_part = [k for k in kinds if a <= k[1] < b]
        for kind, _, _ in in_part:
            found.setdefault(kind, set())
        if not in_part:
            continue
        groups = _coordinated_groups(clause, in_part)
        for qualifier, rx in _QUAL_RES:
            for m in rx.finditer(clause, a, b):
                for kind in groups[_described(clause, in_part, m.start(), m.end())]:
                    found[kind].add(qualifier)
    return found


def _same_study(clause: str, rct: tuple[str, int, int], human: tuple[str, int, int]) -> bool:
    """Whether a human mention describes the controlled trial itself ("RCTs in patients", "human RCTs")."""
    lo, hi = (rct[2], human[1]) if rct[2] <= human[1] else (human[2], rct[1])
    gap = clause[lo:max(lo, hi)]
    return len(gap) <= 20 and not re.search(r"[,;]|\b(?:and|or|but|plus)\b", gap, _I) \
        or not re.search(r"\b(?:stud(?:y|ies)|trials?|reviews?|series|data)\b", clause[human[1]:human[2]], _I)


_PART_BREAK_RE = re.compile(r"[,;]|\b(?:and|but|while|whereas|although|though)\b", _I)


def _beside_safety(clause: str, kind: tuple[str, int, int]) -> bool:
    """Whether a safety word shares the kind mention's coordinated part of the clause."""
    for m in _SAFETY_TOPIC_RE.finditer(clause):
        lo, hi = (kind[2], m.start()) if kind[2] <= m.start() else (m.end(), kind[1])
        if not _PART_BREAK_RE.search(clause, lo, max(lo, hi)):
            return True
    return False


def _described(clause: str, mentions: list[tuple[str, int, int]], start: int, end: int) -> int:
    """Index of the kind mention a qualifier at [start, end) describes.

    Attributive first: the next mention when only a few words (no comma) stand between
    ("a few small human trials"); else predicative: the closest mention before it ("human
    trials are limited"); else the closest after it.
    """
    inside = [i for i, (_, s, e) in enumerate(mentions) if s <= start and end <= e]
    if inside:  # "controlled" in "randomized controlled trials"
        return inside[0]
    following = [i for i, (_, s, _) in enumerate(mentions) if s >= end]
    if following:
        i = following[0]
        between = clause[end:mentions[i][1]]
        if not re.search(r"[,;:]", between) and len(between.split()) <= 3:
            return i
    preceding = [i for i, (_, s, _) in enumerate(mentions) if s < start]
    if preceding:
        return preceding[-1]
    return following[0] if following else 0


def _coordinated_groups(clause: str, mentions: list[tuple[str, int, int]]) -> list[set[str]]:
    """For each mention, the kinds coordinated with it ("preclinical and early clinical studies")."""
    groups: list[set[str]] = []
    for i, (kind, _, _) in enumerate(mentions):
        if i and _COORDINATED_RE.fullmatch(clause, mentions[i - 1][2], mentions[i][1]):
            groups[-1].add(kind)
            groups.append(groups[-1])
        else:
            groups.append({kind})
    return groups


# A table cell naming the study types ("Study types | Animal, in vitro"): bare kind words count.
_KIND_LABEL_RE = re.compile(r"\b(?:stud(?:y|ies|ys)\s+types?|types?\s+of\s+(?:evidence|stud(?:y|ies|ys)|data)|evidence\s+(?:types?|base|from)"
                            r"|data\s+types?|study\s+design|supporting\s+(?:studies|evidence|data|research))\s*(?:[:|·•—–-]\s*|\n\s*)", _I)
_BARE_KINDS: tuple[tuple[str, str], ...] = (
    ("animal", r"\b(?:animals?|rodents?|rats?|mice|mouse|murine)\b"), ("cell", r"\bin\s+vitro\b|\bcells?\b|\bcellular\b"),
    ("human", r"\bhumans?\b|\bclinical\b|\bpatients\b|\bvolunteers\b"), ("preclinical", r"\bpre-?clinical\b"),
    ("rct", r"\bRCTs?\b|\brandomi[sz]ed\b|\bdouble[- ]blind(?:ed)?\b|\bplacebo[- ]controlled\b"), ("anecdotal", r"\banecdot\w*|\buser\s+reports\b"),
    ("observational", r"\bobservational\b|\bcohort\b"), ("meta_analysis", r"\bmeta-?analys[ie]s\b|\bsystematic\s+reviews?\b"),
)
_BARE_KIND_RES = tuple((k, re.compile(p, _I)) for k, p in _BARE_KINDS)


# Column names of a study table whose cells name the study kind or its population.
STUDY_COLUMNS = frozenset({"design", "study design", "type", "study type", "participants", "population", "subjects",
                           "model", "evidence", "evidence type", "study"})


_POPULATION_COUNT_RE = re.compile(r"\b\d[\d,]*\s+(?:adults|participants|people|subjects|women|men|children|volunteers)\b", _I)


def _column_kinds(row: str) -> dict[str, set[str]]:
    """Kinds named in the study-kind columns of a table row read with its header ("Design: randomized").

    A row naming a controlled design and its participants is one controlled trial: counted once.
    """
    found: dict[str, set[str]] = {}
    for cell in row.split(" | "):
        head, _, value = cell.partition(": ")
        if head.strip().lower() not in STUDY_COLUMNS:
            continue
        for kind in _bare_kinds(value):
            found.setdefault(kind, set())
        if _POPULATION_COUNT_RE.search(value):  # "120 adults": a study in people
            found.setdefault("human", set())
    if "rct" in found:
        found.pop("human", None)
    return found


def _labelled_kinds(text: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for m in _KIND_LABEL_RE.finditer(text):
        end = text.find("|", m.end())
        for kind in _bare_kinds(text[m.end() : end if end >= 0 else len(text)]):
            found.setdefault(kind, set())
    return found


def _bare_kinds(cell: str) -> list[str]:
    """Kinds a table cell names by bare words ("Animal, in vitro"), in kind order."""
    return [kind for kind, rx in _BARE_KIND_RES if rx.search(cell)]


def _unit_claims(unit: TextUnit) -> list[Claim]:
    text = unit.text
    claims: list[Claim] = []
    level = _level(text)
    if level:
        claims.append(make_claim("evidence", "evidence:level", unit, {"level": level}))
    if unit.kind == "heading":
        return claims
    found: dict[str, set[str]] = _labelled_kinds(text) if _KIND_LABEL_RE.search(text) else {}
    row = labelled_row(unit)
    if row:
        for kind, quals in _column_kinds(row).items():
            found.setdefault(kind, set()).update(quals)
    for s, e in clauses(text):
        for kind, quals in _clause_kinds(unit, text[s:e]).items():
            found.setdefault(kind, set()).update(quals)
    for kind, quals in found.items():
        value: dict[str, object] = {"kind": kind}
        if quals:
            value["qualifiers"] = sorted(quals)
        claims.append(make_claim("evidence", f"evidence:{kind}", unit, value))
    return claims


@register("evidence")
def extract(units: list[TextUnit]) -> list[Claim]:
    """Evidence claims of every unit (see module docstring); failures are contained by the registry."""
    out: list[Claim] = []
    for unit in units:
        if is_reference(unit) or unit.text.rstrip().endswith("?"):
            continue
        out.extend(_unit_claims(unit))
    return out
