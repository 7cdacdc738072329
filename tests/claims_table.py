"""Load the data-driven claim tables (``tests/claims_cases/*.yaml``) and score the extractors.

Why a module of its own: the pytest table test and ``benchmarks/claims_accuracy.py`` must
count true/false positives in exactly the same way, so both import this.

Case format::

    - text: "It is not approved by the FDA or EMA."
      expect:
        - category: legality
          key: legality:fda:approval          # optional
          value: {authority: FDA, status: not_approved}   # subset match
    - text: "Reading time: 2 min"
      expect: []                              # no claim of any category

Matching: each expected item pairs with a distinct extracted claim of its category whose key
equals the given key (when given) and whose value contains every listed field (floats within
1e-6; a listed list is compared as a set). Pairing is a maximum bipartite matching, so the
order of items never matters. Unpaired expectations are false negatives; unpaired extracted
claims (any category) are false positives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from monitor.claims import extract_claims
from monitor.models import Claim

CASES_DIR = Path(__file__).parent / "claims_cases"


@dataclass(frozen=True)
class Case:
    source: str  # file name, for ids and reports
    text: str
    expect: tuple[dict[str, Any], ...]


@dataclass
class Score:
    """Per-category counts for one case or the whole table."""

    tp: dict[str, int] = field(default_factory=dict)
    fp: dict[str, int] = field(default_factory=dict)
    fn: dict[str, int] = field(default_factory=dict)
    missed: list[dict[str, Any]] = field(default_factory=list)
    surplus: list[Claim] = field(default_factory=list)

    def add(self, other: "Score") -> None:
        for mine, theirs in ((self.tp, other.tp), (self.fp, other.fp), (self.fn, other.fn)):
            for cat, n in theirs.items():
                mine[cat] = mine.get(cat, 0) + n
        self.missed.extend(other.missed)
        self.surplus.extend(other.surplus)

    def categories(self) -> list[str]:
        return sorted(set(self.tp) | set(self.fp) | set(self.fn))

    def precision(self, cat: str) -> float:
        tp, fp = self.tp.get(cat, 0), self.fp.get(cat, 0)
        return tp / (tp + fp) if tp + fp else 1.0

    def recall(self, cat: str) -> float:
        tp, fn = self.tp.get(cat, 0), self.fn.get(cat, 0)
        return tp / (tp + fn) if tp + fn else 1.0

    def f1(self, cat: str) -> float:
        p, r = self.precision(cat), self.recall(cat)
        return 2 * p * r / (p + r) if p + r else 0.0


def load_cases(directory: Path = CASES_DIR) -> list[Case]:
    """Every case of every ``*.yaml`` table, in file then document order."""
    cases: list[Case] = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        for i, item in enumerate(data):
            if not isinstance(item, dict) or "text" not in item:
                raise ValueError(f"{path.name}: case {i} has no 'text'")
            expect = tuple(dict(e) for e in (item.get("expect") or []))
            for e in expect:
                if "category" not in e:
                    raise ValueError(f"{path.name}: case {i} has an expectation without 'category'")
            cases.append(Case(path.name, str(item["text"]), expect))
    return cases


def value_matches(expected: Any, actual: Any) -> bool:
    """Subset match: every expected field is in ``actual`` with an equal value."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and value_matches(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, (list, tuple)):
        if not isinstance(actual, (list, tuple)):
            return False
        try:
            return set(map(_hashable, expected)) == set(map(_hashable, actual))
        except TypeError:
            return sorted(map(repr, expected)) == sorted(map(repr, actual))
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual or expected == actual and type(expected) is type(actual)
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return math.isclose(float(expected), float(actual), abs_tol=1e-6)
    return expected == actual


def _hashable(v: Any) -> Any:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


def claim_matches(expected: dict[str, Any], claim: Claim) -> bool:
    if claim.category != expected["category"]:
        return False
    if "key" in expected and claim.key != expected["key"]:
        return False
    return value_matches(expected.get("value") or {}, claim.value)


def _max_matching(expected: list[dict[str, Any]], claims: list[Claim]) -> dict[int, int]:
    """Maximum bipartite matching expected-index -> claim-index (augmenting paths)."""
    edges = [[j for j, c in enumerate(claims) if claim_matches(e, c)] for e in expected]
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(expected)):
        augment(i, set())
    return {i: j for j, i in owner.items()}


def score_case(case: Case, claims: list[Claim] | None = None) -> Score:
    """Compare one case's expectations with what the extractors return for its text."""
    claims = extract_claims(case.text) if claims is None else claims
    expected = list(case.expect)
    pairs = _max_matching(expected, claims)
    score = Score()
    for i, e in enumerate(expected):
        cat = e["category"]
        if i in pairs:
            score.tp[cat] = score.tp.get(cat, 0) + 1
        else:
            score.fn[cat] = score.fn.get(cat, 0) + 1
            score.missed.append(e)
    used = set(pairs.values())
    for j, c in enumerate(claims):
        if j not in used:
            score.fp[c.category] = score.fp.get(c.category, 0) + 1
            score.surplus.append(c)
    return score


def score_table(cases: list[Case]) -> Score:
    total = Score()
    for case in cases:
        total.add(score_case(case))
    return total


def describe(score: Score) -> str:
    """Human-readable misses and surplus claims, for assertion messages."""
    lines = [f"missed: {m}" for m in score.missed]
    lines += [f"unexpected: {c.category} {c.key} {c.value}" for c in score.surplus]
    return "\n".join(lines)
