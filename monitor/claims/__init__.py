"""Claim extractors, one module per category, found through a small registry.

Each category module defines a pure function ``extract(units) -> list[Claim]`` decorated with
``@register("name")``. ``extract_claims(text)`` segments main text into units and runs every
registered extractor; nothing here touches the network or the DB.

An extractor that raises is contained HERE, in :func:`run_extractors`, and nowhere else: the
page's other claims are still extracted, and every unit it fails on is logged at WARNING
(category, position, first 80 characters) and counted in :attr:`Extraction.failures`, which
the pass summary shows. Extractors themselves do not catch exceptions: a bug must be seen,
not turned into a silently missing claim.

Bump ``EXTRACTOR_VERSION`` whenever a change to any extractor can change its output: stored
claims are tagged with it and ``monitor reextract`` rebuilds older ones from raw bodies.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Callable, Iterable

from monitor.models import Claim, TextUnit

log = logging.getLogger("claimwatch.claims")

EXTRACTOR_VERSION = "15"

# Categories that read units through the shared assertion filter (``monitor.claims.assertion``):
# questions, meta text, definitions, hypotheticals and reversed statements state none of their claims.
# Dosage reads raw units (conditional dose advice such as "if you weigh over 80 kg, take 2" is a claim).
ASSERTION_FILTERED = frozenset({"legality", "evidence", "safety"})
# Units before a failing one given again as context when units are re-run one at a time
# (legality reads the 3 units before a sentence, safety the list intro).
CONTEXT_UNITS = 8

Extractor = Callable[[list[TextUnit]], list[Claim]]
REGISTRY: dict[str, Extractor] = {}


def register(category: str) -> Callable[[Extractor], Extractor]:
    """Class-free registry in the spirit of urlwatch's ``__kind__``: add a category by decorating."""

    def inner(fn: Extractor) -> Extractor:
        REGISTRY[category] = fn
        return fn

    return inner


def _load_builtin() -> None:
    # Imported for their @register side effect; the import list is the only hand-kept list.
    from monitor.claims import dosage, evidence, legality, safety  # noqa: F401


@dataclasses.dataclass(frozen=True)
class Extraction:
    """The claims of a text, and how many (category, unit) runs raised (each logged)."""

    claims: list[Claim]
    failures: int = 0


def _within(claim: Claim, unit: TextUnit) -> bool:
    return unit.start <= claim.start and claim.end <= unit.end


def _guarded(name: str, fn: Extractor, units: list[TextUnit]) -> tuple[list[Claim], int]:
    """``fn(units)``; if it raises, each unit again on its own (with the units before it as
    context, then alone), so one odd sentence costs only its own claims. Returns the claims and
    the number of units that still raised, each logged with its position and text."""
    try:
        return fn(units), 0
    except Exception:
        pass
    claims: list[Claim] = []
    failures = 0
    for i, unit in enumerate(units):
        try:
            claims.extend(c for c in fn(units[max(0, i - CONTEXT_UNITS): i + 1]) if _within(c, unit))
            continue
        except Exception:
            pass
        try:
            claims.extend(fn([unit]))
        except Exception:
            failures += 1
            log.warning("the %s extractor failed on the unit at %d–%d (%r); its claims are missing",
                        name, unit.start, unit.end, unit.text[:80], exc_info=True)
    return claims, failures


def run_extractors(text: str, categories: Iterable[str] | None = None) -> Extraction:
    """All claims in normalised main text, ordered by position then category, with the failures."""
    from monitor.claims.assertion import views
    from monitor.claims.lexicon import find_subject
    from monitor.segment import segment

    _load_builtin()
    units = segment(text)
    wanted = set(categories) if categories else None
    claims: list[Claim] = []
    failures = 0
    viewed: list[TextUnit] | None = None
    for name, fn in REGISTRY.items():
        if wanted is not None and name not in wanted:
            continue
        if name not in ASSERTION_FILTERED:
            found, failed = _guarded(name, fn, units)
            claims.extend(found)
            failures += failed
            continue
        if viewed is None:
            viewed = views(units)
        original = {(u.start, u.end): u.text for u in units}
        found, failed = _guarded(name, fn, viewed)
        failures += failed
        for c in found:
            text = original.get((c.start, c.end), c.text)
            claims.append(c if text == c.text else dataclasses.replace(c, text=text, subject=c.subject or find_subject(text)))
    claims.sort(key=lambda c: (c.start, c.category, c.key))
    return Extraction(claims, failures)


def extract_claims(text: str, categories: Iterable[str] | None = None) -> list[Claim]:
    """All claims in normalised main text, ordered by position then category (failures logged)."""
    return run_extractors(text, categories).claims


def categories() -> list[str]:
    _load_builtin()
    return list(REGISTRY)
