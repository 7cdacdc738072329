"""Legal and regulatory status claims: who (authority) says what (status) about a substance.

Why: the most consequential edits to a health page are regulatory ("not FDA-approved" becoming
"FDA-approved", a supplement disclaimer disappearing, "for research use only" being dropped).

Output per statement: ``value = {authority, status[, scope][, year]}``, key
``legality:<authority-slug>:<status-family>``. Negation is folded into ``status`` so that a
flip ("approved" <-> "not approved") is a value change on the same key. Status families:

* ``approval``       approved (also registered / licensed / authorised) | not_approved | withdrawn ("no longer
                     approved", "withdrawn") | not_submitted ("never submitted for regulatory review")
* ``evaluation``     evaluated | not_evaluated (e.g. the US supplement disclaimer)
* ``sport``          prohibited | permitted (WADA by default)
* ``schedule``       prescription_only | otc | controlled | unscheduled
* ``research``       research_use_only ("for research use only", "not for human consumption") |
                     research_chemical ("sold as / classified as a research chemical")
* ``availability``   available ("prescribed in Russia", "sold in pharmacies across Belarus") | not_available
* ``compounding``    US 503A/503B compounding, FDA by default: compoundable | not_compoundable ("no
                     compounding pathway", removed from the bulks list) | category_1 | category_2 |
                     under_review (referred to the Pharmacy Compounding Advisory Committee)
* ``import``         legal_to_import | illegal_to_import
* ``legal``          legal | illegal (plain legality, bans outside sport)
* ``essential_list`` essential_drug_list | not_essential_drug_list

Choices: "not approved by the FDA or EMA" gives one claim per authority (each can flip alone).
"not approved nor evaluated by the FDA" gives both FDA not_approved and FDA not_evaluated.
"not an over-the-counter or prescribed medication in the U.S." means no marketing route at
all, so it is reported as ``US not_approved``. Authorities: agencies by short name (FDA, EMA,
WADA, TGA, MHRA, Health Canada, ...); "Russia" -> "Russia" (the ministry only when it is named); a country with
no agency ("in the US") -> the country ("US", "EU", "UK", ...), but never a place where the
substance was made or studied ("trials carried out in Russia") nor one named after ", so /
which / because"; a comma aside ("is not, however, approved") keeps the negation; a country is dropped when its
own agency is also named; "globally" -> "global"; none named -> "unspecified" (evaluation
statements without an authority are skipped: "evaluated to have no addictive effects").
Questions, definitions, hypotheticals and reversed statements are filtered before this module reads
a unit (``monitor.claims.assertion``). Status phrases added for real pages are word tables
(``STATUS_PHRASES``), not regexes.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from monitor.claims import register
from monitor.claims.lexicon import LowerGate, clauses, find_subject, is_reference, make_claim, phrases_pattern, slug
from monitor.models import Claim, TextUnit
from monitor.segment import cells, labelled_row

_I = re.IGNORECASE

# (canonical name, pattern, jurisdiction). Agencies first: a country inside an agency's own
# name ("U.S. Food and Drug Administration") is consumed by the agency match.
_AUTHORITIES: tuple[tuple[str, str, str], ...] = (
    ("FDA", r"(?:\bU\.?S\.?\s+)?Food\s+and\s+Drug\s+(?:Administration|Association)|(?-i:\bFDA\b)", "US"),
    ("DEA", r"Drug\s+Enforcement\s+Administration|(?-i:\bDEA\b)|(?:U\.?S\.?\s+)?Controlled\s+Substances\s+Act|(?-i:\bCSA\b)",
     "US"),
    ("EMA", r"European\s+Medicines\s+Agency|(?-i:\bEMA\b)", "EU"),
    ("WADA", r"World\s+Anti-?Doping\s+Agency|(?-i:\bWADA\b)", "sport"),
    ("Health Canada", r"\bHealth\s+Canada\b", "Canada"),
    ("TGA", r"Therapeutic\s+Goods\s+Administration|(?-i:\bTGA\b)", "Australia"),
    ("MHRA", r"Medicines\s+and\s+Healthcare\s+products\s+Regulatory\s+Agency|(?-i:\bMHRA\b)", "UK"),
    ("PMDA", r"(?-i:\bPMDA\b)", "Japan"),
    ("ANVISA", r"(?-i:\bANVISA\b)", "Brazil"),
    ("Swissmedic", r"\bSwissmedic\b", "Switzerland"),
    ("WHO", r"World\s+Health\s+Organi[sz]ation|(?-i:\bWHO\b)", "global"),
    ("Russian Ministry of Health",
     r"Russian\s+Ministry\s+of\s+Health|Ministry\s+of\s+Health\s+of\s+(?:the\s+)?Russia(?:n\s+Federation)?|\bMinzdrav\b",
     "Russia"),
    ("Russia",
     r"(?:the\s+)?Russian\s+Federation|\bRussia(?:'s)?\b|(?-i:\bRU\b)"
     r"|\bRussian(?=\s+(?:list|register|registry|state|government|pharmacies|pharmacy|market|law|regulators?|authorities|doctors|physicians|clinics|hospitals|prescriptions?|medicine|medicines)\b)",
     "Russia"),
    ("US", r"(?-i:\b(?:the\s+)?(?:U\.S\.(?:A\.)?|USA\b|US\b))|\b(?:the\s+)?United\s+States\b|\bAmerica\b", "US"),
    ("EU", r"(?-i:\bEU\b)|\bEuropean\s+Union\b|\bEurope\b", "EU"),
    ("UK", r"(?-i:\bUK\b)|\bUnited\s+Kingdom\b|\b(?:Great\s+)?Britain\b", "UK"),
    ("Canada", r"\bCanada\b", "Canada"),
    # A nationality before a word of the health system names the country ("Ukrainian pharmacies").
    *((country, rf"\b{adjective}(?=\s+(?:pharmacies|pharmacy|hospitals|clinics|doctors|physicians|market|law|government|authorities|regulators?)\b)", country)
      for country, adjective in (("Ukraine", "Ukrainian"), ("Belarus", "Belarusian"), ("Kazakhstan", "Kazakh(?:stani)?"),
                                 ("Germany", "German"), ("France", "French"), ("Japan", "Japanese"), ("China", "Chinese"),
                                 ("Mexico", "Mexican"), ("Brazil", "Brazilian"), ("India", "Indian"), ("Canada", "Canadian"),
                                 ("UK", "British"), ("Switzerland", "Swiss"), ("Georgia", "Georgian"), ("Poland", "Polish"))),
    ("Australia", r"\bAustralia\b|(?-i:(?<=\()AU(?=\))|\bAU\b(?=\s*:|\s+(?:S\d|Schedule|Rx|OTC|Prescription|Unscheduled|Not|Approved)))|\bAustralian(?=\s+(?:Register|market|law|pharmacies|pharmacy|government|authorities|regulators?)\b)", "Australia"),
    ("Japan", r"\bJapan\b", "Japan"),
    ("China", r"\bChina\b", "China"),
    ("Ukraine", r"\bUkraine\b", "Ukraine"),
    ("Kazakhstan", r"\bKazakhstan\b", "Kazakhstan"),
    ("Belarus", r"\bBelarus\b", "Belarus"),
    ("Germany", r"\bGermany\b", "Germany"),
    ("Austria", r"\bAustria\b", "Austria"),
    ("Belgium", r"\bBelgium\b", "Belgium"),
    ("Portugal", r"\bPortugal\b", "Portugal"),
    ("Greece", r"\bGreece\b", "Greece"),
    ("Czech Republic", r"\bCzech\s+Republic\b|\bCzechia\b", "Czech Republic"),
    ("Hungary", r"\bHungary\b", "Hungary"),
    ("Romania", r"\bRomania\b", "Romania"),
    ("Bulgaria", r"\bBulgaria\b", "Bulgaria"),
    ("France", r"\bFrance\b", "France"),
    ("Italy", r"\bItaly\b", "Italy"),
    ("Spain", r"\bSpain\b", "Spain"),
    ("Poland", r"\bPoland\b", "Poland"),
    ("Netherlands", r"\bNetherlands\b", "Netherlands"),
    ("Sweden", r"\bSweden\b", "Sweden"),
    ("Norway", r"\bNorway\b", "Norway"),
    ("Finland", r"\bFinland\b", "Finland"),
    ("Denmark", r"\bDenmark\b", "Denmark"),
    ("Ireland", r"\bIreland\b", "Ireland"),
    ("Switzerland", r"\bSwitzerland\b", "Switzerland"),
    ("Brazil", r"\bBrazil\b", "Brazil"),
    ("India", r"\bIndia\b", "India"),
    ("Mexico", r"\bMexico\b", "Mexico"),
    ("Israel", r"\bIsrael\b", "Israel"),
    ("South Korea", r"\bSouth\s+Korea\b", "South Korea"),
    ("New Zealand", r"\bNew\s+Zealand\b", "New Zealand"),
    ("Singapore", r"\bSingapore\b", "Singapore"),
    ("Thailand", r"\bThailand\b", "Thailand"),
    ("Georgia", r"\bGeorgia\b", "Georgia"),
    ("Armenia", r"\bArmenia\b", "Armenia"),
    ("Moldova", r"\bMoldova\b", "Moldova"),
    ("Uzbekistan", r"\bUzbekistan\b", "Uzbekistan"),
    ("Latvia", r"\bLatvia\b", "Latvia"),
    ("Lithuania", r"\bLithuania\b", "Lithuania"),
    ("Estonia", r"\bEstonia\b", "Estonia"),
    ("Turkey", r"\bTurkey\b", "Turkey"),
    ("Argentina", r"\bArgentina\b", "Argentina"),
    ("South Africa", r"\bSouth\s+Africa\b", "South Africa"),
    ("global", r"\b(?:globally|worldwide|internationally|everywhere|anywhere\s+in\s+the\s+world|(?:anywhere|in\s+any\s+country)(?!\s+(?:in|on|across|within|outside|i|we|that\s+i)\b))\b", "global"),
)
# Every authority pattern starts at a word start, so one \b before the alternation lets the engine
# skip other positions at once: same matches, over twice as fast on a page.
_AUTH_RE = re.compile(r"\b(?:" + "|".join(f"(?P<a{i}>{p})" for i, (_, p, _) in enumerate(_AUTHORITIES)) + ")", _I)
_JURISDICTION = {name: j for name, _, j in _AUTHORITIES}
# Places that are their own jurisdiction (a country or region, not an agency).
_COUNTRY_OF = {name: name for name, _, j in _AUTHORITIES if name == j}
# "developed in Russia" names a place of origin, not a regulator.
_ORIGIN_RE = re.compile(
    r"\b(?:developed|created|invented|synthesi[sz]ed|originated|made|studied|researched|used|popular|imported\s+from|shipped\s+from|sourced\s+from|"
    r"manufactured|produced|origins?|research|groups?|scientists|researchers|conducted|performed|carried\s+out|done|run|"
    r"held|tested|trials?|stud(?:y|ies)|experiments?|labs?|laboratories|institutes?|universities|clinics)"
    r"\s+(?:\w+\s+)?(?:in|from|by|at)\s+(?:the\s+)?$",
    _I,
)


def phrase_pattern_any(phrases: tuple[str, ...]) -> str:
    return phrases_pattern(phrases)


@dataclass(frozen=True)
class _Cue:
    family: str
    start: int
    end: int
    positive: str
    negative: str
    negatable: bool = True
    needs_authority: bool = False
    default: str = "unspecified"


# (family, pattern, positive status, negated status, negatable, needs authority, default authority)
# "legal" states a status only when predicative ("is legal in Russia", "legal to import", "legal."):
# attributive uses ("Legal status", "legal peptides", "legal notice") are labels, not claims.
_PREDICATIVE = (r"(?=\s*(?:$|[.,;:!)]|\s(?:to|in|for|under|without|with|and|or|but|if|as|across|throughout|"
                r"everywhere|here|there|now|again|today|worldwide|globally|nationwide|since|until|at)\b))")
_CUES: tuple[tuple[str, str, str, str, bool, bool, str], ...] = (
    ("approval", r"\bnot\s+(?:an?\s+)?(?:over[- ]the[- ]counter|OTC)\s+(?:or|nor)\s+(?:a\s+)?prescri(?:bed|ption)\b",
     "not_approved", "not_approved", False, False, "unspecified"),
    ("approval", r"\bno\s+longer\s+(?:be\s+)?approved\b|\bwithdrew\s+(?:its\s+|the\s+|all\s+)?(?:marketing\s+)?(?:approvals?|authori[sz]ations?|licen[cs]es?|registrations?)\b"
     r"|\b(?:authori[sz]ations?|licen[cs]es?|registrations?)\s+(?:[\w-]+\s+){0,4}?(?:was\s+|were\s+|has\s+been\s+|have\s+been\s+|had\s+been\s+)?(?:withdrawn|revoked|cancelled|suspended)\b|\bwithdrawn\s+from\s+(?:the\s+)?(?:[\w-]+\s+)?market\b|\bapproval\s+(?:was\s+)?(?:withdrawn|revoked)\b",
     "withdrawn", "withdrawn", False, False, "unspecified"),
    ("approval", r"\b(?:un|non-?)approved\b|\b(?:is|are|was|were|remains?|be|been)\s+(?:still\s+)?(?:un|non-?)(?:registered|licen[sc]ed|authori[sz]ed)\b|\b(?:pending|awaiting|seeking)\s+(?:\w+\s+)?approval\b",
     "not_approved", "not_approved", False, False, "unspecified"),
    ("approval", r"\bapprov(?:ed|al)\b|\bmarketing\s+authori[sz]ation\b(?!\s+holders?\b)|\blicen[sc]ed\s+(?:\w+\s+)?(?:as|in|by|for)\b|\b(?:is|are|was|were|been|be|has|have|not)\s+licen[sc]ed\b|\bregistered\s+(?:as\s+a\s+(?:drug|medicine)|in|with)\b",
     "approved", "not_approved", True, False, "unspecified"),
    ("evaluation", r"\bevaluated\b|\b(?:reviewed|assessed)\s+by\b", "evaluated", "not_evaluated", True, True, "unspecified"),
    ("sport", r"\bProhibited\s+List\b|\b(?:banned|prohibited|forbidden)\b(?=[^.;]*\b(?:WADA|sports?|athletes?|competition|anti-?doping)\b)"
     r"|\b(?:WADA|sports?|athletes?|competition|anti-?doping)\b[^.;]*\b(?:banned|prohibited|forbidden)\b",
     "prohibited", "permitted", True, False, "WADA"),
    ("schedule", r"\bprescription[- ]only\b|\bRx[- ]only\b|\b(?:requires?|needs?|with|by|on|under)\s+(?:a\s+)?(?:medical\s+|doctor's\s+)?prescription\b"
     r"|℞(?:[- ]only)?|\bRx\s+(?:medicine|drug|medication|product)s?\b|\b(?<!non-)(?<!non\s)prescription\s+(?:[\w]+-[\w]+\s+)?(?:aid|drug|medicine|medication|product|anxiolytic|antidepressant|painkiller|analgesic|nootropic|peptide|treatment|stimulant|hormone)s?\b|\b(?:needs?|requires?)\s+a\s+script\b|\bSchedule\s+4\b|(?-i:\bS4\b)",
     "prescription_only", "otc", True, False, "unspecified"),
    ("schedule", r"\bover[- ]the[- ]counter\b|(?-i:\bOTC\b)|\bnon-?\s?prescription\b|\bwithout\s+(?:a\s+)?prescription\b",
     "otc", "prescription_only", True, False, "unspecified"),
    ("schedule", r"\bunscheduled\b", "unscheduled", "unscheduled", False, False, "unspecified"),
    ("schedule", r"\bcontrolled\s+(?:substance|drug)s?\b|\bscheduled\s+(?:substance|drug)s?\b|(?-i:\bSchedule\s+(?:I{1,3}|IV|V|[1235])\b)",
     "controlled", "unscheduled", True, False, "unspecified"),
    ("research", r"\bresearch\s+(?:use|purposes?)\s+only\b|\bfor\s+(?:laboratory\s+|scientific\s+)?research\s+(?:use|purposes?)\b|(?-i:\bRUO\b)"
     r"|\bnot\s+(?:intended\s+)?for\s+human\s+(?:consumption|use)\b|\bintended\s+(?:strictly\s+|solely\s+|only\s+)?for\s+(?:laboratory|research|in\s+vitro)\b"
     r"|\b(?:is|are|as)\s+(?:an?\s+)?research\s+chemicals?\b(?!-)|\blaboratory\s+(?:use|research)\s+only\b",
     "research_use_only", "research_use_only", False, False, "unspecified"),
    ("import", r"\bimport(?:ed|ing|ation)?\b(?!\s+(?:from|guidance|rules|regulations?|guidelines|dut(?:y|ies)|tax(?:es)?|polic(?:y|ies)|alerts?|records|data|statistics|figures))|\b(?:bring(?:ing|s)?|carry(?:ing)?|carries)\s+(?:[\w-]+\s+){0,5}?into\b", "legal_to_import", "illegal_to_import", True, False, "unspecified"),
    ("legal", r"\billegally\b|\b(?:illegal|unlawful)\b" + _PREDICATIVE + r"|\bbanned\b|\bto\s+ban\b|\bbans\b|\b(?:is|are|was|be)\s+an?\s+(?:criminal\s+)?(?:offen[cs]e|crime)\b", "illegal", "legal", True, False,
     "unspecified"),
    ("legal", r"\blegally\b|\bdecriminali[sz]ed\b|\blegali[sz]ed\b|\b(?:legal|lawful)\b" + _PREDICATIVE, "legal", "illegal", True, False, "unspecified"),
    ("essential_list", r"\b(?:list\s+of\s+)?(?:vital\s+and\s+)?essential\s+(?:drugs|medicines|medicinal\s+products)(?:\s+list)?\b|\bVED\s+list\b",
     "essential_drug_list", "not_essential_drug_list", True, False, "unspecified"),
)

# Status phrases as word lists (see ``lexicon.phrase_pattern``: "…" = a few words, "*" = any ending).
# Read before the patterns above, so a longer phrase ("never submitted for approval") wins over the
# word inside it ("approval"). Columns: family, status, status when negated, negatable, needs an
# authority named in the clause, default authority, phrases.
STATUS_PHRASES: tuple[tuple[str, str, str, bool, bool, str, tuple[str, ...]], ...] = (
    # US pharmacy compounding (503A / 503B bulk drug substances lists); the authority is the FDA.
    ("compounding", "category_1", "category_1", False, False, "FDA", ("category 1", "category one", "category i")),
    ("compounding", "category_2", "category_2", False, False, "FDA", ("category 2", "category two", "category ii")),
    ("compounding", "under_review", "under_review", False, False, "FDA", (
        "pharmacy compounding advisory committee", "PCAC", "referred … to the advisory committee",
        "under review for compounding", "nominated for the bulks list", "nominated for the 503a bulks list")),
    ("compounding", "not_compoundable", "not_compoundable", False, False, "FDA", (
        "no compounding pathway", "no … compounding pathway", "no longer be compounded", "can no longer be compounded", "removed … from the … bulks list",
        "taken off the … bulks list", "excluded from compounding", "not eligible for compounding", "may not be compounded",
        "cannot be compounded", "can't be compounded", "must not be compounded", "not be compounded", "not on the … bulks list",
        "may not compound", "cannot compound", "can't compound", "not allowed to compound", "voted against",
        "recommended against", "advised against", "decided against")),
    ("compounding", "compoundable", "not_compoundable", True, False, "FDA", (
        "may be compounded", "can be compounded", "may still be compounded", "can still be compounded", "may compound", "can compound", "eligible for compounding",
        "allowed to compound", "permitted to compound", "on the … bulks list", "added to the … bulks list")),
    # Research chemical / research use.
    ("research", "research_chemical", "research_chemical", False, False, "unspecified", (
        "sold as a research chemical", "sold only as a research chemical", "sold strictly as a research chemical",
        "sold … as research chemicals", "sold … as a research chemical", "classified as a research chemical",
        "marketed as a research chemical", "is a research chemical", "are research chemicals", "as research chemicals",
        "as a research chemical", "research chemical only", "a research chemical,")),
    ("research", "research_use_only", "research_use_only", False, False, "unspecified", (
        "not for human or veterinary use", "not for human or animal use", "not for human … use", "for in vitro use only",
        "not for human consumption")),
    # Approval: never submitted; other ways of saying approved / licensed / authorised.
    ("approval", "not_submitted", "not_submitted", False, False, "unspecified", (
        "never … submitted for … approval", "never … submitted for … review", "never … submitted to",
        "never submitted … for … review", "never submitted … for … approval", "not submitted … for … approval",
        "never … filed for … approval", "never filed for", "never applied for", "not … submitted for … approval",
        "not … submitted for … review", "no application … has been filed", "no application … has been submitted",
        "has not applied for", "never sought approval", "never sought … approval", "not … submitted to",
        "not been submitted to", "no application … has ever been submitted", "no application … has ever been filed",
        "has never been submitted")),
    ("approval", "approved", "not_approved", True, False, "unspecified", (
        "is authorised", "is authorized", "are authorised", "are authorized", "was authorised", "was authorized",
        "been authorised", "been authorized", "has authorised", "has authorized", "have authorised", "have authorized",
        "not authorised", "not authorized", "authorised for", "authorized for", "licenses", "licences",
        "granted a licence", "granted a license", "granted … marketing", "granted … registration",
        "granted … authorisation", "granted … authorization", "granted … licence", "granted … license",
        "registered medicine in", "registered drug in", "licensed medicine in", "registered as a … medicine",
        "registered as a … drug", "has not registered", "have not registered", "not registered any", "never registered",
        "registered as a medicine",
        "registered as a drug", "registered as a medicinal product", "holds a registration", "registered … in #",
        "has registered", "have registered", "have … authorised", "have … authorized", "has … authorised",
        "has … authorized", "is a registered medicine", "is a registered drug", "is a licensed medicine",
        "registered medicine", "registered drug")),
    ("approval", "not_approved", "not_approved", False, False, "unspecified", (
        "without … approval", "without approval", "without a marketing authorisation", "without a marketing authorization",
        "without marketing authorisation", "without marketing authorization", "without a licence", "without a license")),
    # Schedule words of pharmacy law that carry no "prescription" / "counter": a pharmacy (P) or
    # general-sale medicine is sold without a prescription; "not scheduled" is unscheduled.
    ("schedule", "otc", "prescription_only", True, False, "unspecified", (
        "pharmacy medicine", "pharmacy-only medicine", "pharmacy only medicine", "pharmacist-only medicine",
        "pharmacist only medicine", "general sales list", "general sale list", "GSL medicine", "behind the counter",
        "behind-the-counter")),
    # ... and said with its own negation (so not negatable again): "no rx needed", "without a script".
    ("schedule", "otc", "otc", False, False, "unspecified", (
        "no rx needed", "no rx required", "no prescription needed", "no prescription required", "no script needed",
        "no script required", "without a script", "without script", "without recipe", "without a recipe",
        "without any prescription", "prescription-free", "prescription free")),
    ("schedule", "unscheduled", "unscheduled", False, False, "unspecified", (
        "not scheduled", "isn't scheduled", "isnt scheduled", "is not scheduled", "aren't scheduled", "arent scheduled",
        "are not scheduled",
        "not currently scheduled", "never been scheduled", "not a scheduled substance", "not a scheduled drug")),
    # Availability (on the market / in pharmacies / prescribed there); needs the place named.
    ("availability", "available", "not_available", True, True, "unspecified", (
        "prescribed in", "prescribed for … in", "prescribed by doctors in", "prescribed by physicians in", "widely prescribed in",
        "walk into a pharmacy", "walk into any pharmacy", "in every pharmacy", "in any pharmacy", "in every apteka",
        "sold as a dietary supplement", "sold as a supplement", "marketed as a dietary supplement", "marketed as a supplement",
        "sold as a food supplement", "available as a dietary supplement", "available as a supplement",
        "commonly prescribed in", "in … pharmacies", "at … pharmacies", "in … pharmacy", "at … pharmacy",
        "pharmacies across", "pharmacies in", "over pharmacy counters", "over the pharmacy counter",
        "on pharmacy shelves", "on the market in", "marketed in", "is available in", "are available in",
        "isn't available", "is not available", "not available in", "not sold in", "available here",
        "doctors in … prescribe", "physicians in … prescribe", "won't find … in … pharmacies", "wont find … in … pharmacies",
        "won't find … in … pharmacy", "wont find … in … pharmacy")),
    # Import bans said with a noun ("a prohibited import").
    ("import", "illegal_to_import", "illegal_to_import", False, False, "unspecified", (
        "prohibited import", "banned import", "illegal import", "import is prohibited", "import is banned",
        "import is illegal", "cannot be imported", "may not be imported", "must not be imported", "importation is prohibited")),
    # Sport: on / not on the anti-doping list.
    ("sport", "prohibited", "permitted", True, False, "WADA", (
        "on the wada list", "on the banned list", "on the banned substances list", "on the prohibited substances list")),
)
_PHRASE_CUES = tuple((fam, phrase_pattern_any(phrases), pos, neg, n, na, d)
                     for fam, pos, neg, n, na, d, phrases in STATUS_PHRASES)
_CUE_RES = tuple((fam, re.compile(p, _I), pos, neg, n, na, d) for fam, p, pos, neg, n, na, d in _PHRASE_CUES + _CUES)
# A unit none of whose words is a status cue cannot yield a claim: one search rules it out.
_ANY_CUE_RE = re.compile("|".join(f"(?:{p})" for _, p, *_ in _PHRASE_CUES + _CUES), _I)
# Cheaper still, checked first: a stem every cue pattern above contains (keep in step with the cues),
# matched on the lowercased text.
CUE_HINT_WORDS = ("approv", "withdrawn", "authoris", "authoriz", "licens", "licenc", "registered", "evaluated", "reviewed",
                  "prohibit", "banned", "forbidden", "prescri", "rx", "schedul", "s4", "counter", "otc", "controlled",
                  "research", "ruo", "human", "intended", "laboratory", "import", "legal", "lawful", "essential", "ved",
                  "categor", "compound", "pcac", "chemical", "submitted", "filed", "applied", "sought", "pharmac", "market",
                  "available", "sold", "bulk", "503", "504", "against", "committee", "withdrew", "assessed", "script",
                  "offence", "offense", "crime", "bring", "carry", "carri", "list", "doctors", "physicians", "registration",
                  "gsl", "granted", "script", "recipe", "apteka", "ban", "℞", "supplement", "decriminali", "legali")
_CUE_HINT_RE = LowerGate(CUE_HINT_WORDS)

_NEG_RE = re.compile(
    r"\b(?:not|never|nor|no|none\s+of|neither|lacks?|lacking|cannot|can't|isn't|aren't|wasn't|hasn't|haven't|doesn't|"
    r"don't|won't|wont|dont|doesnt|isnt|arent|cant|wasnt|hasnt|havent|has\s+yet\s+to|have\s+yet\s+to|is\s+yet\s+to|yet\s+to\s+be)\b",
    _I,
)
_NEG_RESET_RE = re.compile(r"\b(?:and|or)\s+(?:is|was|has|it|are|can|may)\b|,", _I)
_ASIDE_RE = re.compile(
    r",\s*(?:however|though|currently|presently|yet|still|therefore|thus|as\s+yet|so\s+far|to\s+date|at\s+present|"
    r"at\s+this\s+time|as\s+of\s+(?:now|today|\w+\s+)?(?:19|20)?\d*|in\s+fact|of\s+course|officially|formally)\s*,",
    _I,
)
# Where a new, dependent statement starts: an authority named after it is not the cue's.
_CONSEQUENCE_RE = re.compile(r",\s*(?:so|which|because|since|hence|thus|therefore|meaning|as\s+a\s+result)\b", _I)
_SCOPE_RE = re.compile(
    r"^[^.;]{0,40}?\bfor\s+(?:any\s+|all\s+|the\s+|its\s+|a\s+)?((?:[a-z-]+\s+){0,3}?)(uses|use|usage|purposes?)\b", _I
)
_TREAT_RE = re.compile(r"^[^.;]{0,40}?\bfor\s+(?:the\s+)?(treatment\s+of\s+[a-z' -]{2,40}?)(?=[,.;)]|\s+(?:in|and|by|but)\b|$)", _I)
_YEAR_RE = re.compile(r"^[^.;]{0,60}?\bin\s+((?:19|20)\d\d)\b")
_THE_COUNTRY_RE = re.compile(r"\b(?:the|this|that)\s+country\b", _I)
_IMPLY_RE = re.compile(r"\b(?:imply|implies|implied|suggest|suggests|indicate|indicates|assert|asserts)\s+(?:an?\s+)?$", _I)


# A place hyphenated to a word that describes a person or firm, not a product's status.
_ATTRIBUTE_RE = re.compile(r"-(?:based|made|manufactured|sourced|headquartered|owned|trained|born|educated|accredited"
                           r"|licensed(?=\s+(?:providers?|doctors?|physicians?|pharmacists?|pharmacies|clinicians?|prescribers?"
                           r"|professionals?|practitioners?|nurses?|clinics?|telehealth)\b))\b", _I)


def _authority_name(m: re.Match[str]) -> str:
    """The canonical name of the authority an ``_AUTH_RE`` match found."""
    return next(name for i, (name, _, _) in enumerate(_AUTHORITIES) if m.group(f"a{i}"))


def _authorities(text: str) -> list[tuple[str, int, int, bool]]:
    """(name, start, end, is_origin) for every authority/place named in ``text``."""
    found = []
    for m in _AUTH_RE.finditer(text):
        if _ATTRIBUTE_RE.match(text, m.end()):  # "US-based", "a US-licensed provider": the place describes someone
            continue
        origin = bool(_ORIGIN_RE.search(text[max(0, m.start() - 40) : m.start()]))
        found.append((_authority_name(m), m.start(), m.end(), origin))
    return found


# "Our support team is available in the UK": availability is a claim about a medicine or product.
_AVAILABILITY_CONTEXT_RE = re.compile(r"\b(?:peptides?|products?|medicines?|drugs?|medications?|pharmac\w*|prescri\w*|market\w*|"
                                      r"tablets?|capsules?|sprays?|drops|nootropics?|supplements?|substances?|compounds?|injections?)\b", _I)
_COMPOUNDING_CONTEXT_RE = re.compile(r"\b50[34]\s?[AB]\b|\bbulks?\b|\bcompound\w*|\bPCAC\b|\boutsourcing\b|(?-i:\bFDA\b)"
                                     r"|\bsignificant\s+safety\s+risks\b", _I)


def _cues(clause: str, unit_text: str = "") -> list[_Cue]:
    cues: list[_Cue] = []
    found: list[_Cue] = []
    for fam, rx, pos, neg, negatable, needs, default in _CUE_RES:
        if fam == "compounding" and not _COMPOUNDING_CONTEXT_RE.search(unit_text or clause):
            continue  # "Category 2" of anything else (a carcinogen class, a WADA section) is not compounding
        if fam == "availability" and not (_AVAILABILITY_CONTEXT_RE.search(unit_text or clause) or find_subject(unit_text or clause)):
            continue
        for m in rx.finditer(clause):
            if fam == "approval" and pos == "approved" and _IMPLY_RE.search(clause[: m.start()]):
                continue
            if fam == "approval" and _attributive(clause, m.start(), m.end()):
                continue
            found.append(_Cue(fam, m.start(), m.end(), pos, neg, negatable, needs, default))
    # Overlapping readings: the first reading of the table order wins between families (a status
    # phrase over the word inside it), the longest within one family ("licences ... were revoked"
    # over "licences").
    for cue in found:
        rivals = [c for c in found if c is not cue and cue.start < c.end and c.start < cue.end]
        if any(c.family == cue.family and (c.end - c.start, -c.start) > (cue.end - cue.start, -cue.start) for c in rivals):
            continue
        if any(c.family != cue.family and found.index(c) < found.index(cue) and c in cues for c in rivals):
            continue
        cues.append(cue)
    cues = [c for c in cues if not (c.family == "research" and _QUOTED_LABEL_RE.search(clause[max(0, c.start - 30) : c.start + 1]))]
    if any(c.family == "research" for c in cues):  # "legally available for research" is research-only
        cues = [c for c in cues if c.family not in ("legal", "availability")]
    for later in cues:  # "reclassified from prescription-only to pharmacy medicine": only the new status holds
        if re.search(r"\bto\s+(?:an?\s+|the\s+)?$", clause[max(0, later.start - 12) : later.start], _I):
            cues = [c for c in cues if not (c is not later and c.family == later.family and c.end <= later.start
                                            and re.search(r"\bfrom\s+(?:an?\s+|the\s+)?$", clause[max(0, c.start - 12) : c.start], _I))]
    if any(c.positive == "not_compoundable" for c in cues):  # "voted against including it on the bulks list"
        cues = [c for c in cues if c.positive != "compoundable"]
    if any(c.family == "compounding" and c.positive != "under_review" for c in cues):
        cues = [c for c in cues if c.positive != "under_review"]  # "the committee reviewed it and voted against": decided
    if any(c.family == "legal" and c.positive == "illegal" for c in cues):  # "possession without a prescription is illegal"
        cues = [c for c in cues if not (c.family == "schedule" and c.positive == "otc")]
    imports = [c for c in cues if c.family == "import"]
    legal = [c for c in cues if c.family == "legal"]
    if imports and legal:  # "importing X is illegal": one import claim, polarity from the legal word
        flip = legal[0].positive == "illegal"
        imp = imports[0]
        cues = [c for c in cues if c.family not in ("legal", "import")]  # "bringing X in without an import permit"
        cues.append(_Cue("import", imp.start, imp.end, "illegal_to_import" if flip else "legal_to_import",
                         "legal_to_import" if flip else "illegal_to_import"))
    return _one_per_statement(clause, sorted(cues, key=lambda c: c.start))


# Between two cues of one statement ("not sold in pharmacies in Japan"): no conjunction or comma.
_STATEMENT_BREAK_RE = re.compile(r"[,;]|\b(?:and|or|but|nor|while|whereas|although|though)\b", _I)


# "products sold as 'research chemicals' or labelled 'not for human consumption'": the words are
# quoted as somebody's label (a regulator warning about them), not this page's own disclaimer.
_QUOTED_LABEL_RE = re.compile(r"\b(?:label(?:l)?ed|marked|sold\s+as|marketed\s+as|branded|described\s+as|called)\s+(?:as\s+)?['\"‘“]", _I)


def _one_per_statement(clause: str, cues: list[_Cue]) -> list[_Cue]:
    """Two cues of one family a few words apart are one statement: the first one's polarity rules it.

    Why: "is not sold in pharmacies in Japan" holds two availability cues ("not sold in",
    "in … pharmacies"); read apart, the second looks un-negated and gives a false "available".
    """
    kept: list[_Cue] = []
    for cue in cues:
        prev = kept[-1] if kept else None
        if prev and prev.family == cue.family and cue.start - prev.end <= 25 \
                and not _STATEMENT_BREAK_RE.search(clause, prev.end, cue.start):
            continue
        kept.append(cue)
    return kept


# "a component of an approved drug", "non-approved substances": the adjective sorts a class of
# products; it says nothing of this one. "is an approved drug", "no approved medical use" do.
_GENERIC_PRODUCT_RE = re.compile(r"\s+(?:drugs?|medicines?|medications?|products?|substances?|treatments?|therap(?:y|ies)|compounds?|peptides?)\b", _I)
_PREDICATE_BEFORE_RE = re.compile(r"\b(?:is|are|was|were|be|been|as|remains?|becomes?|became|not|no|never|without|only|first|its)\s+"
                                  r"(?:(?:an?|the|still|also|now|fully|officially|formally|currently|already)\s+)*$", _I)


# "a component of a drug product approved by FDA": a generic product with its approval after it.
_GENERIC_BEFORE_RE = re.compile(r"\b(an?|any|other|some|all)\s+(?:[\w-]+\s+){0,2}?(?:drugs?|medicines?|medications?|products?|substances?|"
                                r"treatments?|therap(?:y|ies)|compounds?)\s+$", _I)


def _attributive(clause: str, start: int, end: int) -> bool:
    word = clause[start:end].lower()
    if not word.endswith("approved"):
        return False
    before = clause[max(0, start - 60) : start]
    if _GENERIC_PRODUCT_RE.match(clause, end):
        return not _PREDICATE_BEFORE_RE.search(before)
    generic = _GENERIC_BEFORE_RE.search(before)
    return bool(generic) and not _PREDICATE_BEFORE_RE.search(before[: generic.start()] + generic.group(1) + " ")


_NEGATED_AFTER_RE = re.compile(r"\s*(?:by|in|from)\s+(?:neither|none\s+of|no)\b|\s+nowhere\b", _I)


def _is_negated(clause: str, cue: _Cue, prev_end: int) -> bool:
    if _NEGATED_AFTER_RE.match(clause, cue.end):  # "approved by neither the FDA nor the EMA"
        return True
    lo = max(prev_end, cue.start - (100 if re.match(r"\s*(?:none\s+of|no)\b", clause, _I) else 45))
    # "is not, however, approved": a comma-enclosed aside is blanked so its commas reset nothing.
    masked = _ASIDE_RE.sub(lambda m: " " * len(m.group(0)), clause)
    cut = lo
    for reset in _NEG_RESET_RE.finditer(masked, lo, cue.start):
        cut = reset.end()
    return bool(_NEG_RE.search(masked, cut, cue.end))


def _next_row(clause: str, end: int, start: int) -> bool:
    """Whether the authority at ``start`` begins a later line of a table ("WADA  Prohibited\nTGA  Schedule 4")."""
    nl = clause.rfind("\n", end, start)
    if nl < 0 or clause[nl + 1 : start].strip():
        return False
    prev_line = clause[clause.rfind("\n", 0, nl) + 1 : nl].rstrip()
    return not re.search(r"\b(?:by|the|of|in|from|and|or|to|with|for|under)$", prev_line, _I)


def _assign(clause: str, cues: list[_Cue], auths: list[tuple[str, int, int, bool]]) -> list[list[str]]:
    """Authorities per cue: named after the cue (up to the next cue) or directly before it."""
    out: list[list[str]] = [[] for _ in cues]
    taken: set[int] = set()
    for i, cue in enumerate(cues):
        nxt = cues[i + 1].start if i + 1 < len(cues) else len(clause)
        stop = _CONSEQUENCE_RE.search(clause, cue.end, nxt)
        nxt = stop.start() if stop else nxt
        for j, (name, s, e, origin) in enumerate(auths):
            if origin or j in taken:
                continue
            after = cue.start <= s < nxt and not _next_row(clause, cue.end, s)
            gap = clause[e : cue.start] if e <= cue.start else None
            before = gap is not None and len(gap) <= 30 and "," not in gap
            if after or before:
                out[i].append(name)
                taken.add(j)
    for i, names in enumerate(out):  # "not approved nor evaluated by the FDA": share the authority
        # A seller's disclaimer (research use) is nobody's ruling; a status that needs its place named
        # takes only a place named before it ("In Russia, ... over the counter in most pharmacies").
        if not names and cues[i].family != "research":
            later = () if cues[i].needs_authority else range(i + 1, len(out))
            donor = next((out[k] for k in later if out[k]), None) or next(
                (out[k] for k in range(i - 1, -1, -1) if out[k]), None
            )
            if donor:
                names.extend(donor)
            else:
                names.extend(a[0] for j, a in enumerate(auths) if j not in taken and not a[3])
    return out


def _dedupe(names: list[str]) -> list[str]:
    agencies = {_JURISDICTION[n] for n in names if n not in _COUNTRY_OF and n in _JURISDICTION}
    kept: list[str] = []
    for n in names:
        if n in _COUNTRY_OF and _JURISDICTION.get(n) in agencies:
            continue
        if n not in kept:
            kept.append(n)
    return kept


def _scope(tail: str) -> str | None:
    m = _TREAT_RE.search(tail)
    if m:
        return " ".join(m.group(1).lower().split())
    m = _SCOPE_RE.search(tail)
    if not m or "research" in m.group(1).lower():
        return None
    noun = m.group(2).lower()
    noun = "uses" if noun == "uses" else "use"
    return " ".join((m.group(1).lower() + noun).split())


def _place_for_country(unit_text: str, prior: str) -> str | None:
    for text in (unit_text, prior):
        names = [a[0] for a in _authorities(text) if a[0] != "global"]
        for n in names:
            j = _JURISDICTION[n]
            return n if n in _COUNTRY_OF else j
    return None


# "WADA status: Prohibited", "US: Unscheduled": a short label before a colon belongs to its value's clause.
_LABEL_COLON_RE = re.compile(r"(?:^|(?<=[|;.]\s)|(?<=[|;]))(\s*[^\s:|;.][^:|;.]{0,30}?):(?=\s|[A-Z])")
_CELL_BREAK_RE = re.compile(r"\s*\|\s*")
# A place named in one clause carries into the next of the same sentence for these families
# ("in Australia, 200 mg tablets are OTC, while higher strengths are prescription-only").
_CARRY_FAMILIES = frozenset({"schedule", "approval", "availability", "legal", "import"})


def _label_text(text: str) -> str:
    """Colons after short labels and table-cell pipes read as plain separators (same length)."""
    text = _LABEL_COLON_RE.sub(lambda m: m.group(1) + " ", text)
    return _CELL_BREAK_RE.sub(lambda m: ";" + " " * (len(m.group(0)) - 1), text) if "|" in text else text


# A ruling an agency makes: a sentence naming one agency credits it with these statuses, and a
# country named beside its own agency is the agency's ("Health Canada warned ... not authorized for
# sale in Canada"). Sellers' disclaimers (research use) and plain availability stay where they are.
_AGENCY_FAMILIES = frozenset({"approval", "evaluation", "schedule"})
_SENTENCE_END_RE = re.compile(r"[.!?](?:\s+|$)")


def sentence_agencies(text: str, pos: int) -> list[str]:
    """Agencies (not countries) named, not as a place of origin, earlier in the sentence than ``pos``.

    Only earlier ones: the agency whose ruling a sentence reports is its subject ("Health Canada
    has warned that ... is not authorized for sale in Canada"); one named later belongs to a later
    statement ("not scheduled anywhere in Europe, but not approved by the EMA either").
    """
    start = max((m.end() for m in _SENTENCE_END_RE.finditer(text, 0, pos)), default=0)
    names = [a[0] for a in _authorities(text[start:pos]) if not a[3]]
    return _dedupe([n for n in names if n not in _COUNTRY_OF and n != "global"])


def _agency_for(names: list[str], agencies: list[str]) -> list[str]:
    if len(agencies) != 1:
        return names
    agency = agencies[0]
    if not names:
        return [agency]
    return [agency if n in _COUNTRY_OF and _JURISDICTION.get(agency) == n else n for n in names]


def _row_place(unit: TextUnit) -> str | None:
    """The authority a table row is about, when its first cell names only that ("Russia | Rx medicine")."""
    if unit.kind != "table_row" or "|" not in unit.text:
        return None
    m = _AUTH_RE.fullmatch(cells(unit.text)[0])
    return _authority_name(m) if m else None


def _unit_claims(unit: TextUnit, prior: str) -> list[Claim]:
    text = _label_text(labelled_row(unit) or unit.text)
    row_place = _row_place(unit)
    claims: list[Claim] = []
    seen: set[tuple[str, str, str]] = set()
    prev_auths: list[str] = []
    carry: list[str] = []
    prev_ce = 0
    for cs, ce in clauses(text):
        if re.search(r"[.:!?]", text[prev_ce:cs]) or "|" in unit.text[prev_ce:cs]:
            carry = []  # a new sentence or a new table cell names its own place; a clause after ";" keeps it
        clause = text[cs:ce]
        cues = _cues(clause, text + "\n" + (unit.context or ""))
        auths = _authorities(clause)
        if not cues:
            claims.extend(_elliptical(unit, clause, auths, claims, seen))
            prev_auths = [a[0] for a in auths if not a[3]] or prev_auths
            carry = _dedupe([a[0] for a in auths if not a[3] and a[0] != "global"]) or carry  # "In Ukraine and Kazakhstan, ..."
            prev_ce = ce
            continue
        assigned = _assign(clause, cues, auths)
        prev_end = 0
        for cue, names in zip(cues, assigned):
            neg = cue.negatable and _is_negated(clause, cue, prev_end)
            prev_end = cue.end
            status = cue.negative if neg else cue.positive
            names = _dedupe(names)
            if not names and (_THE_COUNTRY_RE.search(clause) or cue.family == "essential_list"):
                place = _place_for_country(clause, "") or (
                    _COUNTRY_OF.get(_JURISDICTION.get(prev_auths[0], ""), None) if prev_auths else None
                ) or _place_for_country(text, prior)
                names = [place] if place else []
            if not names and carry and cue.family in _CARRY_FAMILIES and unit.kind != "table_row":
                names = list(carry)
            if cue.family in _AGENCY_FAMILIES:
                names = _agency_for(names, sentence_agencies(text, cs + cue.start))
            if cue.family == "availability":  # a product is on a country's market, not on an agency's
                names = _dedupe([_JURISDICTION.get(n, n) if n not in _COUNTRY_OF and _JURISDICTION.get(n) not in (None, "global", "sport") else n
                                 for n in names])
            if not names and row_place:
                names = [row_place]
            if not names:
                if cue.needs_authority:
                    continue
                names = [cue.default]
            tail = clause[cue.end :]
            for name in names:
                value: dict[str, object] = {"authority": name, "status": status}
                if cue.family in ("approval", "import", "legal", "schedule"):
                    scope = _scope(tail)
                    if scope:
                        value["scope"] = scope
                if cue.family == "approval" and status == "approved":
                    y = _YEAR_RE.search(clause[cue.start :])
                    if y:
                        value["year"] = int(y.group(1))
                sig = (name, cue.family, status)
                if sig in seen:
                    continue
                seen.add(sig)
                claims.append(make_claim("legality", f"legality:{slug(name)}:{cue.family}", unit, value))
        prev_auths = [a[0] for a in auths if not a[3]] or prev_auths
        carry = _dedupe([a[0] for a in auths if not a[3] and a[0] != "global"]) or carry
        prev_ce = ce
    return claims


_ELLIPSIS_RE = re.compile(r"^\s*(?:(?:but|and|or)\s+)?(not|also)\b[^;]{0,40}$", _I)
_FLIP = {"approved": "not_approved", "not_approved": "approved", "prohibited": "permitted", "permitted": "prohibited",
         "legal": "illegal", "illegal": "legal", "otc": "prescription_only", "prescription_only": "otc"}


def _elliptical(unit: TextUnit, clause: str, auths: list, done: list[Claim], seen: set) -> list[Claim]:
    """"approved in Russia, but not in the US": a bare "not in X" clause repeats the last status."""
    m = _ELLIPSIS_RE.match(clause)
    if not m or not done or not auths:
        return []
    last = done[-1]
    status = last.value["status"]
    if m.group(1).lower() == "not":
        status = _FLIP.get(status, status)
    family = last.key.rsplit(":", 1)[1]
    out = []
    for name in _dedupe([a[0] for a in auths if not a[3]]):
        if (name, family, status) not in seen:
            seen.add((name, family, status))
            out.append(make_claim("legality", f"legality:{slug(name)}:{family}", unit, {"authority": name, "status": status}))
    return out


_YES_NO_RE = re.compile(r"^\W*(?:A:\s*)?(yes|no)\b\s*[.,!;:—–-]", _I)


def _answered(unit: TextUnit) -> list[Claim]:
    """A bare "No." / "Yes." answering a status question states the question's status, negated or not.

    "Q: Is Selank approved by the FDA?" + "A: No. It has never been submitted ..." says FDA:
    not approved. The question is read as a statement ("not" put before its status word for a
    "No"); the claims are located on the answer.
    """
    question = (unit.context or "").strip()
    m = _YES_NO_RE.match(unit.text)
    if not m or not question.endswith("?"):
        return []
    statement = re.sub(r"^\W*(?:Q:\s*)?", "", question).rstrip("?").strip()
    cues = _cues(statement, statement)
    if not cues:
        return []
    if m.group(1).lower() == "no":
        if not cues[0].negatable:
            return []
        statement = statement[: cues[0].start] + "not " + statement[cues[0].start :]
    return [dataclasses.replace(c, text=unit.text) for c in _unit_claims(dataclasses.replace(unit, text=statement, context=""), "")]


@register("legality")
def extract(units: list[TextUnit]) -> list[Claim]:
    """Legality claims of every unit (see module docstring); failures are contained by the registry."""
    out: list[Claim] = []
    for i, unit in enumerate(units):
        if is_reference(unit) or unit.text.rstrip().endswith("?") or not _CUE_HINT_RE.search(unit.text) \
                or not _ANY_CUE_RE.search(unit.text):
            continue
        prior = " ".join(u.text for u in units[max(0, i - 3) : i])
        out.extend(_unit_claims(unit, prior))
    for unit in units:  # answers to status questions ("Is it approved? — No.")
        if unit.context and unit.context.rstrip().endswith("?") and _YES_NO_RE.match(unit.text):
            own = [c for c in out if unit.start <= c.start <= unit.end + 400]  # the answer's own sentences
            if any(c.key.endswith(":research") for c in own):
                continue  # "Yes, legally available for research": the answer narrows the question
            seen = {(c.key, c.value.get("status")) for c in own}
            out.extend(c for c in _answered(unit) if (c.key, c.value.get("status")) not in seen)
    return out
