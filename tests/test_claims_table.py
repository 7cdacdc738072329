"""Data-driven claim tests: one test per case in tests/claims_cases/*.yaml, plus table-wide
precision/recall per category (the extractors are judged on the whole table, and a single
case test shows exactly which sentence regressed)."""

from __future__ import annotations

import pytest

from claims_table import describe, load_cases, score_case, score_table

CASES = load_cases()
TARGET = 0.95


def _case_id(case) -> str:
    text = " ".join(case.text.split())
    return f"{case.source.removesuffix('.yaml')}: {text[:70]}"


def test_table_is_not_empty() -> None:
    assert len(CASES) >= 50
    assert {c.source for c in CASES} >= {"legality.yaml", "evidence.yaml", "safety.yaml", "negative.yaml"}


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_case(case) -> None:
    score = score_case(case)
    assert not score.missed and not score.surplus, f"{case.text!r}\n{describe(score)}"


def test_precision_and_recall_per_category() -> None:
    score = score_table(CASES)
    report = {cat: (round(score.precision(cat), 3), round(score.recall(cat), 3)) for cat in score.categories()}
    for cat in score.categories():
        assert score.precision(cat) >= TARGET, f"{cat} precision {report}\n{describe(score)}"
        assert score.recall(cat) >= TARGET, f"{cat} recall {report}\n{describe(score)}"
