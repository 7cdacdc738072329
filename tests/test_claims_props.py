"""Invariants of the claim engine on arbitrary input: it never raises, it is deterministic,
every claim points at a span of the text that contains the claim's text, and values are
JSON-able with sorted lists. Pages in the wild contain anything; a crash here would stop
a whole watch run."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from monitor.claims import extract_claims
from monitor.models import CATEGORIES

# Fragments that steer generated text into the extractors' interesting paths.
_WORDS = [
    "Semax", "Selank", "BPC-157", "not", "no", "approved", "FDA", "EMA", "by the", "in Russia", "WADA",
    "banned", "prescription-only", "research use only", "Evidence:", "Low", "grade B", "animal studies",
    "human trials", "limited", "independent", "side effects", "nausea", "hair loss", "rare", "common",
    "well tolerated", "safety data", "300 mcg", "2-3 drops", "twice a day", ",", ".", ";", ":", "?", "\n",
    "\n\n", "•", "-", "|", "but", "nor", "U.S.", "the country's", "List of Vital and Essential Drugs",
    "<p>", "</p>", "<li>", "&nbsp;", "doi:10.1/x", "et al. (1997)",
]
_fragments = st.lists(st.sampled_from(_WORDS) | st.text(max_size=12), max_size=40).map(" ".join)
_html = st.recursive(
    st.text(max_size=20),
    lambda inner: st.tuples(st.sampled_from(["p", "li", "td", "h2", "div"]), inner).map(
        lambda t: f"<{t[0]}>{t[1]}</{t[0]}>"
    )
    | st.lists(inner, max_size=4).map("\n".join),
    max_leaves=15,
)


def _check(text: str) -> None:
    first = extract_claims(text)
    assert extract_claims(text) == first  # deterministic
    for claim in first:
        assert claim.category in CATEGORIES
        assert claim.key.startswith(claim.category + ":")
        assert 0 <= claim.start <= claim.end <= len(text)
        assert claim.text and claim.text.strip() in text[claim.start : claim.end]
        json.dumps(claim.value)
        for v in claim.value.values():
            if isinstance(v, list):
                assert v == sorted(v)


@given(st.text(max_size=300))
def test_arbitrary_text(text: str) -> None:
    _check(text)


@given(_fragments)
def test_claim_like_text(text: str) -> None:
    _check(text)


@given(_html)
def test_html_ish_text(text: str) -> None:
    _check(text)


def test_positions_point_at_the_statement() -> None:
    text = "Semax overview\n\nPrice: $40\n\nIt is not approved by the FDA. Hair loss is a common side effect."
    claims = extract_claims(text)
    by_cat = {c.category: c for c in claims}
    assert text[by_cat["legality"].start : by_cat["legality"].end] == "It is not approved by the FDA."
    assert text[by_cat["safety"].start : by_cat["safety"].end] == "Hair loss is a common side effect."
    assert by_cat["legality"].subject == "Semax"  # named by the heading above
    assert by_cat["safety"].value == {"effect": "hair_loss", "stated": "common"}
