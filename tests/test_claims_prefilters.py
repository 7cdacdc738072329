"""Speed-ups in the extractors are exact: a prefilter never rejects what the full pattern accepts."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

from monitor.claims import legality
from monitor.corpus import load_corpus
from monitor.extract import extract_main_text
from monitor.segment import segment

_CASES = Path(__file__).parent / "claims_cases"


def _texts() -> list[str]:
    texts = [c["text"] for f in sorted(_CASES.glob("*.yaml")) for c in yaml.safe_load(f.read_text())]
    for source in load_corpus():
        for version in source.versions:
            texts.extend(u.text for u in segment(extract_main_text(version.html).text))
    return texts


def test_legality_cue_hint_is_implied_by_every_cue_on_real_text():
    texts = _texts()
    hits = [t for t in texts if legality._ANY_CUE_RE.search(t)]
    assert len(hits) > 100
    assert all(legality._CUE_HINT_RE.search(t) for t in hits)


_CUE_WORDS = ["approved", "unapproved", "approval", "marketing authorisation", "licensed in", "registered with",
              "evaluated", "reviewed by", "Prohibited List", "banned", "prohibited in sports", "prescription-only",
              "Rx-only", "Schedule 4", "S4", "over-the-counter", "OTC", "without a prescription", "unscheduled",
              "controlled substance", "Schedule II", "research use only", "RUO", "not for human consumption",
              "intended for laboratory", "research chemical", "imported", "illegal", "unlawful", "legal.", "lawful",
              "essential medicines", "VED list", "withdrawn from the market", "no longer approved"]


@given(st.lists(st.sampled_from(_CUE_WORDS + ["Semax", "is", "the", "FDA", "in", "not", "WADA"]), max_size=10))
def test_legality_cue_hint_is_implied_by_every_cue_on_generated_text(words):
    text = " ".join(words)
    if legality._ANY_CUE_RE.search(text):
        assert legality._CUE_HINT_RE.search(text), text
