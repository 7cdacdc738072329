"""Assertion filter shared by the legality, evidence and safety extractors (ConText / NegEx style).

Why: a page says many things that *contain* a claim word without *stating* a claim — a question
("Will it become legal next year?"), a section title ("Clinical data"), meta text ("this page has
not been approved by our editors"), a definition ("An approved drug is one whose maker has shown
..."), a hypothetical ("If BPC-157 were approved by the FDA, ...") or a reversed statement ("this
does not imply the data would satisfy FDA requirements"). Each extractor used to guess at these on
its own; here they are trigger terms in tables, each with a **scope**, applied once per unit
before any category reads it.

Scopes (as in ConText):

* ``unit``    — the trigger makes the whole unit non-assertive: it is blanked.
* ``forward`` — from the trigger to the end of its clause is blanked ("does not imply ...").
* ``self``    — only the trigger phrase is blanked (pseudo-triggers: "the approval process" names
  a process, not a status).

Blanking keeps length (characters become spaces), so offsets inside a unit stay valid; the
registry restores the real text on every claim. Title-like units (a few words, no verb, no
value separator: "Clinical data", ``== Clinical trials ==``) are marked as headings so that no
study kind or side effect is read from them; a label with a value ("Evidence: Low") is not a
heading.

negspacy / medspaCy ConText were evaluated against the budget (claims <= 20 ms of CPU for a 70 KB
page): spaCy 3.8's blank English tokenizer alone takes about 50 ms of CPU on a 70 KB page, and a
blank pipeline with an entity ruler, sentencizer and negspacy's Negex about 130 ms (measured on
this machine, 2026-12), before any of our rules run and without a trained model. The triggers
below are plain phrase tables instead, matched through one lowercase gate regex; the whole filter
costs about 25 ms on the same 70 KB page (most units fail the gate at once).
"""

from __future__ import annotations

import dataclasses
import functools
import re

from monitor.models import TextUnit
from monitor.segment import split_cells

# --- trigger tables (phrases; spaces match any whitespace, "…" matches up to 60 characters of one clause) ---

# Meta text and page furniture: about the page, the site or a list's schedule, not the substance.
META_UNIT = (
    "this page has", "this page was", "this page is", "this article has", "this article was", "this article is",
    "this post has", "this post was", "the site's editors", "our editors", "the editors",
    "editorial team", "editorial board", "last updated", "last reviewed", "cookie", "cookies", "newsletter",
    "subscribe", "sign up", "log in", "click here", "read more", "table of contents", "is updated every",
    "are updated every", "is updated annually", "is revised every", "is published every", "meets monthly",
    "meets every", "meets quarterly", "skip to content",
)

# Definitions and general explanations of a term or a process.
DEFINITION_UNIT = (
    "stands for", "refers to", "is defined as", "is the term for", "is a term for", "is the name for",
    "is one whose", "is one that", "is one which", "is a drug whose", "is a drug that has", "is a substance whose",
    "are drugs whose", "are substances whose", "means that a drug", "to be approved, a", "before a drug can",
    "in order to be approved", "for a drug to be", "a drug must", "drugs must", "the approval process",
    "generally means", "in general, approval", "approval generally", "approval usually", "approval typically",
    "typically requires", "usually requires", "how approval works", "how … approval works", "how scheduling works",
    "are those with", "are those that", "are those which", "is one with", "are ones that",
)
# "A controlled substance is a drug ...", "An approved drug is ...": a generic noun defined.
_GENERIC_SUBJECT_RE = re.compile(
    r"\s*(?:an?|the\s+term)\s+(?!(?:[\w-]+\s+){0,2}?(?:side|effects?|dose|doses|study|trial|review)\b)(?:[\w-]+\s+){0,3}?"
    r"(?:is|are|means)\s+(?:an?|one|any|the)\s+(?:[\w-]+\s+){0,2}?(?:that|which|whose|who|where|in\s+which)\b",
    re.IGNORECASE,
)
# "Approved vs compoundable vs research-use": a heading comparing statuses states none of them.
_COMPARISON_RE = re.compile(r"\b(?:vs\.?|versus)\s", re.IGNORECASE)

# Hypotheticals: the whole sentence states no present fact.
HYPOTHETICAL_UNIT = (
    "if … were", "if … had been", "if … was ever", "if … ever", "if … become", "if … becomes", "should the fda",
    "should the ema", "should regulators", "were it to", "were the fda", "were the ema", "would be approved",
    "could be approved", "might be approved", "may be approved", "will … become", "could become", "might become",
    "would become", "may one day", "could one day", "might one day", "could eventually", "may eventually",
    "were … to", "hypothetically", "imagine", "suppose", "in theory", "if approved", "once approved", "if … is approved",
    "if … are approved", "would need to", "would have to", "would require",
    # an inverted conditional ("Should the MHRA grant a licence, ...") and a rule's condition
    # ("a bulk substance can be compounded only if it meets one of three criteria")
    "should the", "should it", "should they", "should any", "should regulators", "had the … approved",
    "is it legal", "is it even legal", "is this legal", "anyone know if", "anyone know whether", "does anyone know",
    "asking for a friend",
    "only if", "only where", "provided that", "as long as it", "unless it is", "unless they are",
    # questions inside a sentence
    "ask whether", "asks whether", "asked whether", "ask if", "asks if", "wonder whether", "wonder if",
    "wondering whether", "wondering if", "question of whether", "questions about whether",
)

# Reversed meaning: the rest of the clause is not asserted.
REVERSED_FORWARD = (
    "does not imply", "do not imply", "doesn't imply", "did not imply", "does not mean", "doesn't mean",
    "do not mean", "is not to say", "does not suggest", "doesn't suggest", "does not indicate", "should not be taken as",
    "is no guarantee", "is not a guarantee", "does not guarantee", "does not establish", "would satisfy",
    "would meet", "would pass", "would qualify", "is not an endorsement", "not … an endorsement", "does not constitute",
)

# Pseudo-triggers: a claim word inside a phrase that names a process or a requirement.
PSEUDO_SELF = (
    "approval process", "process of approval", "requirements for approval", "approval requirements",
    "standards for approval", "path to approval", "road to approval", "approval pathway", "approval pathways",
    "fda requirements", "ema requirements", "regulatory requirements", "fda standards", "ema standards",
    "prohibited list is", "the prohibited list itself", "approved payment", "approved payment methods",
    "approved vendors", "approved vendor", "approved suppliers", "approved supplier", "approved retailers",
    "approved resellers", "approved partners", "approved couriers", "approved reviews",
)


def _compile(phrases: tuple[str, ...], flags: int = re.IGNORECASE) -> re.Pattern[str]:
    # "…" here stands for up to 60 characters of one clause (a subject: "if … were").
    parts = []
    for p in sorted(phrases, key=len, reverse=True):
        words = [re.escape(w) if w != "…" else r"[^.;:!?]{1,60}?" for w in p.split()]
        parts.append(r"\s+".join(words) + (r"\b" if p[-1].isalnum() else ""))
    return re.compile(r"\b(?:" + "|".join(parts) + ")", flags)


_META_RE = _compile(META_UNIT)
_DEFINITION_RE = _compile(DEFINITION_UNIT)
_HYPOTHETICAL_RE = _compile(HYPOTHETICAL_UNIT)
# "if you have ever had X" asks about a medical history (a contraindication), not a hypothetical.
_PAST_HISTORY_RE = re.compile(r"\b(?:have|has)\s+ever\s+(?:had|been\s+diagnosed|suffered|experienced)\b", re.IGNORECASE)
_REVERSED_RE = _compile(REVERSED_FORWARD)
_PSEUDO_RE = _compile(PSEUDO_SELF)
_SENTENCE_STOP_RE = re.compile(r"[.!?](?:\[[^\]]{1,20}\])*\s+(?=[A-Z])")
_CLAUSE_END_RE = re.compile(r"[.;!?]\s|[.;!?]$|,\s+(?:but|while|whereas|although|though|however)\b|\s+but\s+", re.IGNORECASE)
# The gate: every trigger at once, matched on the lowercased text (no IGNORECASE: several times faster).
_ANY_LOWER_RE = _compile(META_UNIT + DEFINITION_UNIT + HYPOTHETICAL_UNIT + REVERSED_FORWARD + PSEUDO_SELF, 0)


class _Gate:
    @staticmethod
    def search(text: str) -> bool:
        return bool(_ANY_LOWER_RE.search(text.lower()))


_ANY_RE = _Gate()

# --- title-like units ---------------------------------------------------------------------------
_WIKI_HEADING_RE = re.compile(r"^\s*=+[^=\n]+=+\s*$")
_VERB_RE = re.compile(
    r"\b(?:is|are|was|were|be|been|has|have|had|do|does|did|may|can|could|might|must|should|will|would|shows?|"
    r"showed|reports?|reported|suggests?|found|causes?|caused|take|use|contains?)\b|\w{3,}ed\b",
    re.IGNORECASE,
)
_SEPARATOR_RE = re.compile(r"[:|=·•—–\d()]")
_TITLE_MAX_WORDS = 5
_NEGATOR_RE = re.compile(r"\b(?:no|not|non|without|never|none|only)\b|\bnon-", re.IGNORECASE)


def _title_like(text: str) -> bool:
    s = text.strip()
    if _WIKI_HEADING_RE.match(s):
        return True
    if not s or s[-1] in ".!?;," or _SEPARATOR_RE.search(s) or "\n" in s:
        return False
    return len(s.split()) <= _TITLE_MAX_WORDS and not _VERB_RE.search(s) and not _NEGATOR_RE.search(s)


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        for i in range(a, b):
            if chars[i] not in "\n":
                chars[i] = " "
    return "".join(chars)


def non_assertive(text: str) -> str | None:
    """Why the whole of ``text`` states no claim (question, meta, definition, hypothetical), else None."""
    s = text.strip()
    if not s:
        return "empty"
    if s.endswith("?"):
        return "question"
    if _GENERIC_SUBJECT_RE.match(s):
        return "definition"
    if _COMPARISON_RE.search(s) and len(s.split()) <= 12 and s[-1] not in ".!;":
        return "comparison"
    if not _ANY_RE.search(s):
        return None
    if _META_RE.search(s):
        return "meta"
    if _DEFINITION_RE.search(s):
        return "definition"
    if _HYPOTHETICAL_RE.search(_PAST_HISTORY_RE.sub(" ", s)) and not _SENTENCE_STOP_RE.search(s):
        return "hypothetical"
    return None


def mask(text: str) -> str:
    """``text`` with reversed-meaning scopes and pseudo-triggers blanked (same length)."""
    spans: list[tuple[int, int]] = []
    for m in _REVERSED_RE.finditer(text):
        end = _CLAUSE_END_RE.search(text, m.end())
        spans.append((m.start(), end.start() if end else len(text)))
    spans.extend(m.span() for m in _PSEUDO_RE.finditer(text))
    if _SENTENCE_STOP_RE.search(text):  # a unit of several sentences: blank the hypothetical one only
        for m in _HYPOTHETICAL_RE.finditer(text):
            starts = [0] + [x.end() for x in _SENTENCE_STOP_RE.finditer(text, 0, m.start() + 1)]
            end = _SENTENCE_STOP_RE.search(text, m.end())
            spans.append((starts[-1], end.start() + 1 if end else len(text)))
    return _blank(text, spans) if spans else text


# A sentence that only continues the one before it ("For example, by appearing on the bulks list.").
_CONTINUATION_RE = re.compile(r"^\W*(?:for\s+example|for\s+instance|e\.\s?g\.|such\s+as|that\s+is|i\.\s?e\.|in\s+other\s+words)\b", re.IGNORECASE)


def views(units: list[TextUnit]) -> list[TextUnit]:
    """:func:`view` of every unit; a continuation of a non-assertive sentence is not asserted either."""
    out: list[TextUnit] = []
    for unit in units:
        seen = view(unit)
        if out and not out[-1].text and unit.text.strip() and seen.text and _CONTINUATION_RE.match(unit.text) \
                and non_assertive(units[len(out) - 1].text) in ("hypothetical", "definition"):
            seen = dataclasses.replace(unit, text="")
        out.append(seen)
    return out


@functools.lru_cache(maxsize=8192)
def view(unit: TextUnit) -> TextUnit:
    """The unit as the claim extractors should read it (see module docstring); cached, pure."""
    why = non_assertive(unit.text)
    if why:
        return dataclasses.replace(unit, text="")
    text = split_cells(unit.text)
    text = mask(text) if _ANY_RE.search(text) else text
    kind = "heading" if unit.kind in ("sentence", "faq") and _title_like(text) else unit.kind
    if text is unit.text and kind == unit.kind:
        return unit
    return dataclasses.replace(unit, text=text, kind=kind)
