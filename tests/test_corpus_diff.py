"""The labelled corpus: every transition's material changes found, cosmetic edits silent."""

from __future__ import annotations

import pytest

from monitor.corpus import load_corpus
from monitor.quality import evaluate, evaluate_source

SOURCES = load_corpus()


@pytest.mark.parametrize("source", SOURCES, ids=[s.id for s in SOURCES])
def test_every_transition_matches_its_label(source):
    problems = []
    for r in evaluate_source(source):
        if not r.ok:
            problems.append(f"v{r.number} ({r.label}: {r.note}): missed {[(e['category'], e['kind']) for e in r.missed]}"
                            f", false alerts {[c.summary for c in r.false_alerts]}")
    assert not problems, "\n".join(problems)


def test_quality_targets_and_baseline_comparison():
    _, s = evaluate(SOURCES)
    assert s.material_transitions >= 25 and s.cosmetic_transitions >= 25
    assert s.recall >= 0.95
    assert s.precision >= 0.95
    assert s.false_alert_rate <= 0.02
    # the text-diff baseline alerts on (nearly) every cosmetic edit: that is the noise we remove
    assert s.baseline_false_alert_rate > 0.5
