"""Word lists and small text helpers shared by the legality, evidence and safety extractors.

Why a shared module: all three categories must agree on what a substance name looks like,
on which units are bibliography lines (never claims), on where a clause ends (negation and
qualifiers must not leak across "but" or ";") and on what counts as a negator. Keeping these
in one place makes the three extractors behave consistently on wordings never seen.

Everything here is a pure function over strings; no module-level mutable state.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from monitor.models import Claim, TextUnit

# Substances the tool knows by name; the canonical spelling is what ``Claim.subject`` holds.
_SUBJECTS: tuple[tuple[str, str], ...] = (
    ("Semax", r"sem[ae]x"),
    ("Selank", r"selank"),
    ("Noopept", r"noopept"),
    ("BPC-157", r"bpc[- ]?157"),
    ("TB-500", r"tb[- ]?500"),
    ("Cerebrolysin", r"cerebrolysin"),
    ("Cortexin", r"cortexin"),
    ("Piracetam", r"piracetam"),
    ("Phenylpiracetam", r"phenylpiracetam|phenotropil"),
    ("Dihexa", r"dihexa"),
    ("Epitalon", r"epitha?lon"),
    ("MOTS-c", r"mots[- ]c"),
    ("P21", r"p21"),
    ("Modafinil", r"modafinil"),
)
_SUBJECT_RE = re.compile(
    "|".join(f"(?P<s{i}>\\b(?:{pat})\\b)" for i, (_, pat) in enumerate(_SUBJECTS)), re.IGNORECASE
)

# A unit under one of these headings is a bibliography entry, not a statement.
_REFERENCE_CONTEXT_RE = re.compile(
    r"\b(references?|bibliography|sources|citations|further reading|dive into the research|literature cited)\b",
    re.IGNORECASE,
)
_REFERENCE_LINE_RE = re.compile(
    r"\bdoi\s*:|doi\.org/|\bPMID\b|\bPMC\d|\bet al\.?,? ?\(?\d{4}|\bet al\.|\b(?:19|20)\d\d\)?\s*[;:]\s*\d+\s*\(|\bISSN\b",
    re.IGNORECASE,
)

# Where one clause ends and the next begins: negation and qualifiers stay inside a clause.
_CLAUSE_BREAK_RE = re.compile(
    r"(?:[;:]\s+|(?<!\.[A-Za-z])(?<!\b[A-Z])(?<!\bDr)(?<!\bMr)(?<!\bvs)(?<!\bal)[.!?]\s+(?=[A-Z(\"'“])|,?\s+\b(?:but|whereas|while|although|though|however)\b\s+|,\s*yet\s+(?!(?:to|again|another)\b)|,\s+and\s+(?=(?:it|its|they|the|this|independent|there)\b))",
    re.IGNORECASE,
)

# Named adverse effects (safety reads them; evidence uses them to tell a side-effect report
# from a statement about the evidence base). ``effect_name`` maps a match to its snake_case name.
EFFECTS: tuple[tuple[str, str], ...] = (
    ("nausea", r"nausea|nauseous|queasiness|feeling\s+sick|feel\s+sick"),
    ("vomiting_blood", r"vomit(?:ing)?\s+(?:up\s+)?blood"),
    ("vomiting", r"vomit(?:ing)?"),
    ("drowsiness", r"drowsiness|drowsy|sleepiness|somnolence|groggy|grogginess|feeling\s+sleepy"),
    ("hangover", r"hangover|hung\s?over"),
    ("fainting", r"fainting|faint|syncope|passing\s+out"),
    ("confusion", r"confusion|confused|disorientation"),
    ("bloating", r"bloating|bloated|abdominal\s+distension"),
    ("vivid_dreams", r"vivid\s+dreams|nightmares|weird\s+dreams|strange\s+dreams"),
    ("sedation", r"sedation|sedated"),
    ("dry_mouth", r"dry\s+mouth|dryness\s+of\s+the\s+mouth|xerostomia"),
    ("sweating", r"sweating|sweats|perspiration|hyperhidrosis"),
    ("hair_loss", r"hair\s+loss|hair\s+thinning|thinning\s+(?:of\s+the\s+)?hair|alopecia|losing\s+hair"
                  r"|hair\s+(?:started\s+|began\s+|was\s+|is\s+)?(?:falling|fell|coming|came)\s+out|lost\s+(?:some\s+|a\s+lot\s+of\s+)?hair"),
    ("nasal_dryness", r"nasal\s+dryness|dry(?:ness\s+of\s+the)?\s+nose|dry\s+nostrils"),
    ("nasal_irritation", r"nasal\s+(?:irritation|discomfort|burning|stinging)|(?:nose|nostril)\s+irritation"
                         r"|irritation\s+(?:of|in)\s+the\s+(?:nose|nostrils?|nasal\s+\w+)"
                         r"|irritation\s+(?:from|after|with)\s+(?:the\s+)?(?:intra)?nasal\s+\w+|burning\s+(?:sensation\s+)?in\s+the\s+nose"),
    ("headache", r"headaches?|migraines?"),
    ("insomnia", r"insomnia|sleeplessness|(?:trouble|difficulty)\s+sleeping|sleep\s+disturbances?"),
    ("dizziness", r"dizziness|dizzy|light-?headedness|vertigo"),
    ("fatigue", r"fatigue|tiredness|lethargy"),
    ("irritability", r"irritability|irritable"),
    ("anxiety", r"anxiety|nervousness|jitteriness|restlessness"),
    ("agitation", r"agitation|over-?stimulation|hyperactivity"),
    ("allergic_reaction", r"allergic\s+reactions?|hypersensitivity(?:\s+reactions?)?|anaphylaxis"),
    ("rash", r"(?:skin\s+)?rash(?:es)?|hives"),
    ("itching", r"itching|itchiness|itchy\s+skin|pruritus"),
    ("injection_site_reaction", r"injection[- ]site\s+(?:reactions?|pain|redness|swelling|irritation)"
                                r"|(?:redness|swelling|pain|irritation)\s+at\s+the\s+injection\s+site"),
    ("diarrhea", r"diarrho?ea|loose\s+stools?|loose\s+bowel\s+movements|the\s+runs"),
    ("stomach_bleeding", r"stomach\s+bleeding|gastrointestinal\s+bleeding|(?:GI|gastric)\s+bleeding|bleeding\s+(?:in|from)\s+the\s+stomach"),
    ("gastrointestinal_upset", r"gastrointestinal\s+(?:upset|discomfort|issues|problems|side\s+effects)|GI\s+(?:upset|discomfort|issues|problems)|digestive\s+(?:issues|problems|upset)"),
    ("stomach_upset", r"stomach\s+upset|upset\s+stomach|abdominal\s+(?:pain|discomfort)|stomach\s+(?:started\s+|began\s+)?hurting|stomach\s+hurt"),
    ("constipation", r"constipation|constipated"),
    ("brain_fog", r"brain\s+fog|mental\s+fog|foggy\s+head(?:ed)?"),
    ("burning", r"burning(?:\s+sensation)?|stinging"),
    ("hypercalcemia", r"hypercalc(?:a)?emia|high\s+(?:blood\s+)?calcium(?:\s+levels)?"),
    ("thrombocytopenia", r"thrombocytopenia|low\s+platelets?(?:\s+counts?)?"),
    ("black_tarry_stools", r"black,?\s+tarry\s+stools|black\s+stools|tarry\s+stools"),
    ("heartburn", r"heartburn|acid\s+reflux|indigestion|dyspepsia"),
    ("stomach_discomfort", r"stomach\s+(?:discomfort|ache|pain|cramps?)|stomach-?ache|tummy\s+(?:ache|upset|trouble)"),
    ("miscarriage", r"miscarriages?|pregnancy\s+loss"),
    ("bone_fractures", r"bone\s+fractures?|fractures?"),
    ("bleeding", r"(?<!stomach\s)(?<!nasal\s)bleeding|haemorrhage|hemorrhage"),
    ("liver_damage", r"liver\s+(?:damage|injury|toxicity|failure|problems)|hepatotoxicity|hepatic\s+injury"),
    ("jaundice", r"jaundice|yellowing\s+of\s+(?:the\s+)?(?:skin|eyes)(?:\s+(?:or|and)\s+(?:the\s+)?(?:skin|eyes))?"),
    ("dark_urine", r"dark\s+urine"),
    ("gallstones", r"gallstones?|gallbladder\s+(?:problems|disease|inflammation)"),
    ("wheezing", r"wheez(?:ing|e)"),
    ("pancreatitis", r"pancreatitis"),
    ("kidney_damage", r"kidney\s+(?:damage|injury|failure)|renal\s+(?:damage|injury|failure)|nephrotoxicity|harm\s+(?:to\s+)?the\s+kidneys"),
    ("serotonin_syndrome", r"serotonin\s+syndrome"),
    ("withdrawal_symptoms", r"withdrawal\s+(?:symptoms|effects|syndrome)"),
    ("fishy_aftertaste", r"fishy\s+(?:aftertaste|after-taste|taste|burps)"),
    ("hypoglycemia", r"hypoglyc(?:a)?emia|low\s+blood\s+sugar"),
    ("flushing", r"flushing|facial\s+flushing"),
    ("water_retention", r"water\s+retention|fluid\s+retention|oedema|edema"),
    ("acne", r"acne"),
    ("joint_pain", r"joint\s+pain|arthralgia"),
    ("muscle_pain", r"muscle\s+(?:pain|aches?)|myalgia"),
    ("weight_gain", r"weight\s+gain"),
    ("tingling", r"tingling|pins\s+and\s+needles|paresthesias?"),
    ("runny_nose", r"runny\s+nose|rhinorrh?oea|rhinorrhea"),
    ("nosebleed", r"nose\s?bleeds?|epistaxis"),
    ("blood_pressure_increase", r"(?:increased|elevated|raised|higher)\s+blood\s+pressure|hypertension|blood\s+pressure\s+(?:increases?|spikes?)"),
    ("palpitations", r"palpitations|(?:rapid|fast|irregular|fast\s+or\s+irregular|fast/irregular|pounding)\s+heart\s?beats?|tachycardia|racing\s+heart"),
    ("mood_changes", r"mood\s+(?:swings|changes)"),
    ("seizures", r"seizures?|convulsions?"),
    ("serious_skin_reaction", r"(?:serious|severe)\s+skin\s+reactions?|skin\s+blistering|blistering\s+(?:or|and)\s+peeling(?:\s+of\s+the\s+skin)?"),
    ("facial_swelling", r"swelling\s+of\s+(?:the\s+)?(?:face|lips|tongue|throat)|facial\s+swelling|swollen\s+(?:face|lips|tongue)"),
    ("swelling", r"swelling|swollen\s+(?:ankles|legs|feet)"),
)
# One leading \b outside the alternation (not one per alternative) lets the regex engine skip
# positions quickly: about four times faster on a page, same matches.
EFFECT_RE = re.compile(r"\b(?:" + "|".join(f"(?P<e{i}>(?:{p})\\b)" for i, (_, p) in enumerate(EFFECTS)) + ")", re.IGNORECASE)

# Where a coordinated part of a clause may begin (see ``segments``).
_SEGMENT_BREAK_RE = re.compile(
    r",\s*(?:and|or|plus|with|while|whereas)\s+|\s+(?:and|or),\s+|\s+(?:while|whereas)\s+"
    r"|,\s+(?=(?:in|with|at)\s+(?:rare|isolated|some|a\s+few|occasional|most|many)\b)"
    r"|\s+(?:and|or)\s+(?=(?:in\s+)?(?:an?|rare|isolated|some|a\s+few|occasional|more|most|many|several|one|two|three|\d+)\b)",
    re.IGNORECASE,
)
_INTENSITY_RE = re.compile(
    r"(?:(?:an?|the)\s+)?(?:(?:mild|slight|transient|brief|temporary|severe|minor|moderate|short-lived)\s+)?", re.IGNORECASE
)

NEGATOR_RE = re.compile(
    r"\b(?:not|never|nor|no|zero|none|neither|without|lacks?|lacking|cannot|can't|isn't|aren't|wasn't|"
    r"weren't|hasn't|haven't|hadn't|doesn't|don't|didn't|won't|has yet to|have yet to|is yet to|free (?:from|of))\b",
    re.IGNORECASE,
)


def phrase_pattern(phrase: str, lead: bool = True) -> str:
    """Regex for a readable phrase: words separated by any whitespace, ``…`` = up to 5 words, ``#`` = a number.

    Lets word lists stay lists of words ("never … submitted for approval") rather than regexes.
    Words may end in ``*`` (any ending: ``compound*``).
    """
    out = []
    for w in phrase.split():
        if w == "…":
            out.append(r"(?:[\w'’.-]+\s+){0,5}?")
            continue
        if w == "#":
            part = r"\d+"
        elif w.endswith("*"):
            part = re.escape(w[:-1]) + r"[\w-]*"
        else:
            part = re.escape(w)
        out.append(part + r"\s+")
    body = "".join(out)
    body = body[: -len(r"\s+")] if body.endswith(r"\s+") else body
    return (r"(?<![\w-])" if lead else "") + body + (r"(?![\w])" if phrase[-1:].isalnum() or phrase.endswith("*") else "")


def phrases_pattern(phrases: tuple[str, ...] | list[str]) -> str:
    """Regex source matching any of ``phrases``; the word-start check stands once, before the
    alternation (one check per position instead of one per phrase: several times faster)."""
    ordered = sorted(phrases, key=len, reverse=True)
    return r"(?<![\w-])(?:" + "|".join(phrase_pattern(p, lead=False) for p in ordered) + ")"


def phrases_re(phrases: tuple[str, ...] | list[str]) -> re.Pattern[str]:
    """One case-insensitive regex matching any of ``phrases`` (see :func:`phrase_pattern`)."""
    return re.compile(phrases_pattern(phrases), re.IGNORECASE)


class LowerGate:
    """A prefilter regex of lowercase word stems matched on the lowercased text, without IGNORECASE
    (several times faster than a case-insensitive alternation); ``search`` answers like ``re``'s."""

    def __init__(self, words: tuple[str, ...] | list[str]) -> None:
        self.pattern = re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))))

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text.lower())


def find_subject(text: str) -> str | None:
    """Canonical name of the first known substance named in ``text``, else None."""
    m = _SUBJECT_RE.search(text or "")
    if not m:
        return None
    for i, (name, _) in enumerate(_SUBJECTS):
        if m.group(f"s{i}"):
            return name
    return None


def effect_name(m: re.Match[str]) -> str:
    """snake_case name of the effect an ``EFFECT_RE`` match found."""
    return next(name for i, (name, _) in enumerate(EFFECTS) if m.group(f"e{i}"))


@functools.lru_cache(maxsize=8192)
def is_reference(unit: TextUnit) -> bool:
    """True for bibliography/citation lines and anything listed under a References heading.

    Cached: every extractor asks it of every unit (TextUnit is frozen, so hashable).
    """
    if _REFERENCE_LINE_RE.search(unit.text):
        return True
    return unit.kind != "heading" and bool(_REFERENCE_CONTEXT_RE.search(unit.context or ""))


@functools.lru_cache(maxsize=4096)
def clauses(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of the clauses of ``text`` (offsets into ``text``), in order, covering all of it (cached)."""
    return tuple(_clauses(text))


def _clauses(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _CLAUSE_BREAK_RE.finditer(text):
        if m.start() > pos:
            spans.append((pos, m.start()))
        pos = m.end()
    if pos < len(text) or not spans:
        spans.append((pos, len(text)))
    return spans


def segments(clause: str, item_re: re.Pattern[str]) -> list[tuple[int, int]]:
    """Spans of the coordinated parts of ``clause`` (offsets into it), covering all of it.

    A frequency word or qualifier describes the part it stands in, not the whole clause:
    "can cause dizziness, and in rare cases seizures" has two parts. A conjunction that only
    continues a list ("nausea, dizziness, and headache": the next word is an item that
    ``item_re`` matches, after at most one intensity word) does not start a new part.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _SEGMENT_BREAK_RE.finditer(clause):
        nxt = _INTENSITY_RE.match(clause, m.end())
        if item_re.match(clause, nxt.end() if nxt else m.end()):
            continue
        if m.start() > pos:
            spans.append((pos, m.start()))
        pos = m.end()
    if pos < len(clause) or not spans:
        spans.append((pos, len(clause)))
    return spans


def negated_before(clause: str, pos: int, window: int = 60) -> bool:
    """Whether a negator occurs in ``clause`` within ``window`` characters before ``pos``."""
    # Search in place (not on a slice) so a window never starts inside a word ("mi|nor").
    return bool(NEGATOR_RE.search(clause, max(0, pos - window), pos))


def make_claim(category: str, key: str, unit: TextUnit, value: dict[str, Any]) -> Claim:
    """A claim located on ``unit``: offsets and text come from the unit, lists are sorted."""
    clean = {k: (sorted(set(v)) if isinstance(v, (list, set, tuple)) else v) for k, v in value.items()}
    subject = find_subject(unit.text) or find_subject(unit.context or "")
    return Claim(
        category=category,
        key=key,
        text=unit.text,
        value=clean,
        start=unit.start,
        end=unit.end,
        subject=subject,
    )


def slug(name: str) -> str:
    """``"Health Canada"`` -> ``"health-canada"`` for use inside claim keys."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "unspecified"
