"""Claim diff invariants and materiality rules."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from monitor.diff import diff_claims
from monitor.models import Claim

_values = st.dictionaries(
    st.sampled_from(["min_mg", "max_mg", "route", "status", "authority", "level", "drops_min"]),
    st.one_of(st.floats(min_value=0.001, max_value=1000, allow_nan=False), st.sampled_from(["a", "b", "FDA"])),
    max_size=4)
_claims = st.lists(st.builds(
    Claim, category=st.sampled_from(["dosage", "legality", "evidence", "safety"]),
    key=st.sampled_from(["k:a", "k:b", "k:c"]), text=st.text(max_size=40), value=_values,
    start=st.integers(0, 500), end=st.integers(0, 500)), max_size=8)


@given(_claims)
def test_diff_of_a_list_with_itself_is_empty(claims):
    assert diff_claims(claims, claims) == []


@given(_claims, _claims)
def test_swapping_sides_swaps_added_and_removed(a, b):
    forward = diff_claims(a, b)
    backward = diff_claims(b, a)
    count = lambda changes, kind: sum(c.kind == kind for c in changes)  # noqa: E731
    assert count(forward, "added") == count(backward, "removed")
    assert count(forward, "removed") == count(backward, "added")
    assert count(forward, "changed") == count(backward, "changed")


@given(_claims, st.randoms(use_true_random=False))
def test_reordering_is_never_material(claims, rnd):
    shuffled = list(claims)
    rnd.shuffle(shuffled)
    assert diff_claims(claims, shuffled) == []


def _dose(text, lo, hi, **kw):
    return Claim("dosage", "dosage:intranasal:dose", text, {"min_mg": lo, "max_mg": hi, "route": "intranasal", **kw})


def test_same_dose_in_other_units_is_reworded_not_material():
    changes = diff_claims([_dose("300-600 mcg", 0.3, 0.6)], [_dose("0.3-0.6 mg", 0.3000000001, 0.6)],
                          include_unchanged=True)
    assert [c.kind for c in changes] == ["reworded"]


def test_dose_change_is_high_with_summary():
    (c,) = diff_claims([_dose("300-600 mcg", 0.3, 0.6)], [_dose("200-900 mcg", 0.2, 0.9)])
    assert (c.kind, c.severity) == ("changed", "high")
    assert c.summary == "dosage (intranasal): 0.3–0.6 mg → 0.2–0.9 mg"


def test_repeated_statement_losing_one_copy_is_not_material():
    fda = lambda t: Claim("legality", "legality:fda:approval", t, {"authority": "FDA", "status": "not_approved"})  # noqa
    assert diff_claims([fda("one"), fda("two"), fda("three")], [fda("two")]) == []


def test_negation_flip_is_a_high_legality_change():
    old = Claim("legality", "legality:fda:approval", "not approved", {"authority": "FDA", "status": "not_approved"})
    new = Claim("legality", "legality:fda:approval", "approved", {"authority": "FDA", "status": "approved"})
    (c,) = diff_claims([old], [new])
    assert (c.kind, c.severity, c.category) == ("changed", "high", "legality")
    assert c.summary == "legality (FDA): FDA: not approved → FDA: approved"


def test_disappearing_claim_is_removed_and_new_one_added():
    old = Claim("safety", "safety:effect:hair_loss", "hair loss is common", {"effect": "hair_loss", "stated": "common"})
    new = Claim("legality", "legality:wada:sport", "banned by WADA", {"authority": "WADA", "status": "prohibited"})
    kinds = sorted((c.category, c.kind) for c in diff_claims([old], [new]))
    assert kinds == [("legality", "added"), ("safety", "removed")]


def test_changes_carry_both_sides():
    (c,) = diff_claims([_dose("300-600 mcg", 0.3, 0.6)], [_dose("200-900 mcg", 0.2, 0.9)])
    assert c.old.text == "300-600 mcg" and c.new.text == "200-900 mcg"
    assert c.to_json()["old"] == {"text": "300-600 mcg", "value": {"min_mg": 0.3, "max_mg": 0.6, "route": "intranasal"}}


def test_one_copy_flipping_while_others_remain_is_a_change():
    low = lambda t: Claim("evidence", "evidence:level", t, {"level": "low"})  # noqa: E731
    old = [low("Evidence: Low"), low("Evidence Level | Low"), low("Graded low")]
    new = [low("Evidence: Low"), Claim("evidence", "evidence:level", "Evidence Level | Moderate", {"level": "moderate"}),
           low("Graded low")]
    (c,) = diff_claims(old, new)
    assert (c.kind, c.old.text, c.new.text) == ("changed", "Evidence Level | Low", "Evidence Level | Moderate")


def test_describe_value_covers_durations_and_sprays():
    from monitor.diff import describe_value

    assert describe_value("dosage", {"duration_days_min": 10, "duration_days_max": 14}) == "for 10–14 days"
    assert describe_value("dosage", {"sprays_min": 1, "sprays_max": 2, "per_nostril": True}) == "1–2 sprays per nostril"


def test_markdown_diff_escapes_page_text_and_keeps_table_rows_on_one_line():
    from monitor.render import diff_markdown

    old = Claim("evidence", "evidence:level", "Evidence Level\n\nLow", {"level": "low"})
    new = Claim("evidence", "evidence:level", "Evidence Level | Moderate <script>x</script>", {"level": "moderate"})
    (c,) = diff_claims([old], [new])
    table_row = diff_markdown("a@1", 1, "a@2", 1, [c]).splitlines()[-1]
    assert "Evidence Level Low" in table_row
    assert "Evidence Level \\| Moderate \\<script\\>x\\</script\\>" in table_row
    assert table_row.count(" | ") == 5, "page text must not add table columns"


def test_a_dose_restated_with_its_titration_step_named_is_minor() -> None:
    """"0.25 mg once a week" on a card and "for the first weeks you take 0.25 mg once a week" in a
    sentence are one dose: naming the step (phase) is presentation, so no removed/added pair."""
    from monitor.claims import extract_claims

    card = extract_claims("Weeks 1–4: 0.25 mg injected under the skin once a week.")
    prose = extract_claims("You start with 0.25 mg injected under the skin once a week.")
    assert any(c.value.get("phase") == "start" for c in prose)
    assert not [c for c in diff_claims(card, prose) if c.category == "dosage" and c.key.endswith((":amount:dose", ":amount:dose:start"))]
    changed = extract_claims("You start with 0.5 mg injected under the skin once a week.")
    assert [c.kind for c in diff_claims(card, changed) if ":amount:" in c.key] != []


def test_timing_words_split_over_sentences_or_joined_are_one_set() -> None:
    from monitor.claims import extract_claims

    split = extract_claims("Take 2 capsules daily. Take them in the evening. Take them with a meal.")
    joined = extract_claims("Take two capsules a day, in the evening, with a meal.")
    moved = extract_claims("Take 2 capsules daily. Take them in the morning. Take them with a meal.")
    assert not diff_claims(split, joined)
    assert [c.summary for c in diff_claims(split, moved)] == ["dosage (oral) timing: evening, with food → morning, with food"]


def test_a_frequency_split_over_two_sentences_or_joined_in_one_is_the_same_fact() -> None:
    from monitor.claims import extract_claims

    split = extract_claims("Take 1 or 2 tablets up to three times a day. Leave at least 4 hours between doses.")
    joined = extract_claims("Take one or two tablets up to 3 times daily, leaving at least four hours between doses.")
    other = extract_claims("Take one or two tablets up to 3 times daily, leaving at least six hours between doses.")
    assert not diff_claims(split, joined)
    changes = diff_claims(split, other)
    assert changes and all(c.category == "dosage" for c in changes) and any("6 h" in c.summary for c in changes)


def test_the_same_dosage_number_read_in_another_role_is_minor_but_a_new_number_is_not() -> None:
    from monitor.claims import extract_claims

    a = extract_claims("Week one on 250 mcg: no headaches at all, just some tiredness.")
    b = extract_claims("Week one on 250 mcg. No headaches at all. Just some tiredness.")
    assert not [c for c in diff_claims(a, b) if c.category == "dosage"]
    c = extract_claims("Week one on 350 mcg. No headaches at all. Just some tiredness.")
    assert [x.category for x in diff_claims(a, c) if x.category == "dosage"]
