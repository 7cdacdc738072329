"""Claim extractors, one module per category, found through a small registry.

Each category module defines a pure function ``extract(units) -> list[Claim]`` decorated with
``@register("name")``. ``extract_claims(text)`` segments main text into units and runs every
registered extractor; nothing here touches the network or the DB.

Bump ``EXTRACTOR_VERSION`` whenever a change to any extractor can change its output: stored
claims are tagged with it and ``monitor reextract`` rebuilds older ones from raw bodies.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Iterable

from monitor.models import Claim, TextUnit

EXTRACTOR_VERSION = "14"

# Categories that read units through the shared assertion filter (``monitor.claims.assertion``):
# questions, meta text, definitions, hypotheticals and reversed statements state none of their claims.
# Dosage reads raw units (conditional dose advice such as "if you weigh over 80 kg, take 2" is a claim).
ASSERTION_FILTERED = frozenset({"legality", "evidence", "safety"})

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


def extract_claims(text: str, categories: Iterable[str] | None = None) -> list[Claim]:
    """All claims in normalised main text, ordered by position then category."""
    from monitor.claims.assertion import views
    from monitor.claims.lexicon import find_subject
    from monitor.segment import segment

    _load_builtin()
    units = segment(text)
    wanted = set(categories) if categories else None
    claims: list[Claim] = []
    viewed: list[TextUnit] | None = None
    for name, fn in REGISTRY.items():
        if wanted is not None and name not in wanted:
            continue
        if name not in ASSERTION_FILTERED:
            claims.extend(fn(units))
            continue
        if viewed is None:
            viewed = views(units)
        original = {(u.start, u.end): u.text for u in units}
        for c in fn(viewed):
            text = original.get((c.start, c.end), c.text)
            claims.append(c if text == c.text else dataclasses.replace(c, text=text, subject=c.subject or find_subject(text)))
    claims.sort(key=lambda c: (c.start, c.category, c.key))
    return claims


def categories() -> list[str]:
    _load_builtin()
    return list(REGISTRY)
