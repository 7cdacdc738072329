"""Word lists and small text helpers shared by the legality, evidence and safety extractors.

Why a shared module: all three categories must agree on what a substance name looks like,
on which units are bibliography lines (never claims), on where a clause ends (negation and
qualifiers must not leak across "but" or ";") and on what counts as a negator. Keeping these
in one place makes the three extractors behave consistently on wordings never seen.

Everything here is a pure function over strings; no module-level mutable state.
"""

from __future__ import annotations

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
    r"(?:[;:]\s+|(?<!\.[A-Za-z])(?<!\b[A-Z])(?<!\bDr)(?<!\bMr)(?<!\bvs)(?<!\bal)[.!?]\s+(?=[A-Z(\"'“])|,?\s+\b(?:but|whereas|while|although|though|however)\b\s+|,\s+and\s+(?=(?:it|its|they|the|this|independent|there)\b))",
    re.IGNORECASE,
)

NEGATOR_RE = re.compile(
    r"\b(?:not|never|nor|no|none|neither|without|lacks?|lacking|cannot|can't|isn't|aren't|wasn't|"
    r"weren't|hasn't|haven't|hadn't|doesn't|don't|didn't|won't|has yet to|have yet to|is yet to|free (?:from|of))\b",
    re.IGNORECASE,
)


def find_subject(text: str) -> str | None:
    """Canonical name of the first known substance named in ``text``, else None."""
    m = _SUBJECT_RE.search(text or "")
    if not m:
        return None
    for i, (name, _) in enumerate(_SUBJECTS):
        if m.group(f"s{i}"):
            return name
    return None


def is_reference(unit: TextUnit) -> bool:
    """True for bibliography/citation lines and anything listed under a References heading."""
    if _REFERENCE_LINE_RE.search(unit.text):
        return True
    return unit.kind != "heading" and bool(_REFERENCE_CONTEXT_RE.search(unit.context or ""))


def clauses(text: str) -> list[tuple[int, int]]:
    """Spans of the clauses of ``text`` (offsets into ``text``), in order, covering all of it."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _CLAUSE_BREAK_RE.finditer(text):
        if m.start() > pos:
            spans.append((pos, m.start()))
        pos = m.end()
    if pos < len(text) or not spans:
        spans.append((pos, len(text)))
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
