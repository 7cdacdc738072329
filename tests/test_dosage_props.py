"""Dose changes through the whole engine: extraction -> facts -> diff.

* Replacing the number of a dose by another always gives exactly one material, high-severity
  change (never silence, never a pile of side effects).
* Every dosage value field, changed alone, gives one change whose summary names it differently
  on both sides, at the severity the schema declares for its aspect.
* Extraction never raises, whatever the text.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.claims import extract_claims, schema
from monitor.diff import diff_claims
from monitor.models import Claim

# One measured number per sentence ({n}); wordings of supplements, OTC medicines, peptides, injectables.
TEMPLATES = [
    "Take {n} capsules twice daily with food.",
    "Adults: swallow {n} tablets every 6 hours.",
    "Chew {n} gummies a day.",
    "Inject {n} mg subcutaneously once a week.",
    "BPC-157 is typically dosed at {n} mcg per day.",
    "Give {n} IU by intramuscular injection every other day.",
    "Take {n} ml of the syrup three times a day.",
    "Instil {n} drops into each nostril in the morning.",
    "Use {n} sprays of Selank per nostril at bedtime.",
    "Do not exceed {n} mg in 24 hours.",
    "Never take more than {n} tablets a day.",
    "Children: {n} mg/kg every 8 hours.",
    "Take 2 capsules {n} times a day.",
    "Take 1 tablet every {n} hours as needed.",
    "Semaglutide {n} mg, injected once weekly for four weeks.",
    "Apply {n} pumps of the gel to the shoulders each morning.",
]


def _dosage(text: str) -> list[Claim]:
    return extract_claims(text, categories=["dosage"])


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(TEMPLATES), st.integers(1, 400), st.integers(1, 400))
def test_a_changed_dose_number_is_one_high_change(template: str, a: int, b: int) -> None:
    if "times a day" in template or "every {n} hours" in template:
        a, b = 1 + a % 12, 1 + b % 12
    if a == b:
        return
    old, new = _dosage(template.format(n=a)), _dosage(template.format(n=b))
    assert old and new, template
    changes = [c for c in diff_claims(old, new) if c.material]
    assert len(changes) == 1, (template, a, b, [c.summary for c in changes])
    assert changes[0].severity == "high", changes[0].summary
    before, _, after = changes[0].summary.partition(" → ")
    assert before.split(": ", 1)[-1] != after, changes[0].summary


# (aspect kind, base value, field, changed value)
FIELD_CASES: list[tuple[str, dict[str, Any], str, Any]] = [
    ("intake", {"min_mg": 1, "max_mg": 1}, "max_mg", 2),
    ("intake", {"min_mg": 1, "max_mg": 1, "per_kg": True}, "min_mg", 0.5),
    ("intake", {"min_iu": 400, "max_iu": 400}, "max_iu", 800),
    ("intake", {"min_ml": 1, "max_ml": 1}, "min_ml", 0.5),
    ("intake", {"count_min": 1, "count_max": 1, "count_unit": "capsule"}, "count_max", 2),
    ("intake", {"count_min": 2, "count_max": 2, "count_unit": "drop", "per_nostril": True}, "per_nostril", False),
    ("intake", {"count_min": 1, "count_max": 1, "count_unit": "tablet", "unit_mg": 200}, "unit_mg", 400),
    ("intake", {"min_mg": 1, "max_mg": 1, "concentration_percent": 0.1}, "concentration_percent", 1),
    ("intake", {"min_mg": 1, "max_mg": 1, "concentration_mg_per_ml": 1}, "concentration_mg_per_ml", 10),
    ("intake", {"min_mg": 1, "max_mg": 1, "times_per_day_min": 2, "times_per_day_max": 2}, "times_per_day_max", 3),
    ("intake", {"min_mg": 1, "max_mg": 1, "times_per_week_min": 1, "times_per_week_max": 1}, "times_per_week_min", 2),
    ("intake", {"min_mg": 1, "max_mg": 1, "every_days": 2}, "every_days", 3),
    ("intake", {"min_mg": 1, "max_mg": 1, "interval_hours_min": 4, "interval_hours_max": 6}, "interval_hours_min", 6),
    ("intake", {"min_mg": 1, "max_mg": 1, "timing": ["morning"]}, "timing", ["bedtime"]),
    ("intake", {"min_mg": 1, "max_mg": 1, "duration_days_min": 14, "duration_days_max": 14}, "duration_days_max", 28),
    ("intake", {"min_mg": 1, "max_mg": 1, "cycle_on_days": 5, "cycle_off_days": 2}, "cycle_off_days", 3),
    ("intake", {"min_mg": 1, "max_mg": 1, "route": "subcutaneous"}, "route", "intramuscular"),
    ("limit", {"limit": True, "max_mg": 4000, "per": "day"}, "max_mg", 3000),
    ("limit", {"limit": True, "count_max": 8, "count_unit": "tablet", "per": "day"}, "count_max", 12),
    ("limit", {"limit": True, "max_iu": 4000, "per": "day"}, "max_iu", 10000),
    ("limit", {"limit": True, "max_ml": 10, "per": "day"}, "max_ml", 20),
    ("limit", {"limit": True, "times_per_day_max": 4}, "times_per_day_max", 6),
    ("limit", {"limit": True, "duration_days_max": 3}, "duration_days_max", 7),
    ("package", {"package": True, "container_count": 60, "count_unit": "capsule"}, "container_count", 90),
    ("package", {"package": True, "container_ml": 10}, "container_ml", 30),
    ("package", {"package": True, "container_mg": 5}, "container_mg", 10),
    ("package", {"package": True, "supply_days": 30}, "supply_days", 60),
    ("package", {"package": True, "doses_per_container": 60}, "doses_per_container", 90),
    ("strength", {"strength": True, "unit_mg": 500, "count_unit": "tablet"}, "unit_mg", 250),
    ("strength", {"strength": True, "min_mg": 240, "max_mg": 240}, "max_mg", 120),
    ("strength", {"strength": True, "min_iu": 1000, "max_iu": 1000}, "min_iu", 2000),
    ("strength", {"strength": True, "concentration_mg_per_ml": 1}, "concentration_mg_per_ml", 3),
    ("strength", {"strength": True, "concentration_percent": 0.1}, "concentration_percent", 1),
]


def _aspect_of(kind: str, field_name: str) -> schema.Aspect:
    table = {"limit": (schema.DOSAGE_LIMIT,), "package": (schema.DOSAGE_PACKAGE,),
             "strength": (schema.DOSAGE_STRENGTH,)}.get(kind, (*schema.DOSAGE_INTAKE, schema.DOSAGE_ROUTE))
    return next(a for a in table if field_name in a.fields)


@pytest.mark.parametrize("kind, base, field_name, changed", FIELD_CASES, ids=[f"{c[0]}-{c[2]}" for c in FIELD_CASES])
def test_every_dosage_field_has_a_summary_and_a_severity(kind: str, base: dict[str, Any], field_name: str,
                                                         changed: Any) -> None:
    old = Claim("dosage", "dosage:unspecified:dose", "old sentence", dict(base))
    new = Claim("dosage", "dosage:unspecified:dose", "new sentence", {**base, field_name: changed})
    changes = [c for c in diff_claims([old], [new]) if c.material]
    assert len(changes) == 1, [c.summary for c in changes]
    change = changes[0]
    before, _, after = change.summary.partition(" → ")
    assert after and before.split(": ", 1)[-1] != after, change.summary
    expected = "high" if field_name == "route" else _aspect_of(kind, field_name).severity
    assert change.severity == expected, (change.summary, change.severity)


def test_duration_and_package_are_medium_amounts_and_maxima_high() -> None:
    assert _aspect_of("intake", "duration_days_min").severity == "medium"
    assert _aspect_of("package", "container_count").severity == "medium"
    for kind, f in (("intake", "max_mg"), ("intake", "count_max"), ("intake", "max_iu"), ("intake", "max_ml"),
                    ("intake", "times_per_day_max"), ("limit", "max_mg")):
        assert _aspect_of(kind, f).severity == "high"


_WORDS = ["Take", "2", "0.5", "1,000", "one", "two", "a", "capsules", "tablet", "softgels", "gummies", "drops",
          "sprays", "puffs", "patch", "scoop", "IU", "mg", "mcg", "ml", "cc", "mg/kg", "mg/ml", "%", "per", "kg",
          "day", "daily", "weekly", "every", "other", "hours", "days", "weeks", "on", "off", "for", "then",
          "increase", "to", "start", "with", "do", "not", "exceed", "more", "than", "in", "24", "each", "contains",
          "bottle", "supply", "servings", "container", "nostril", "morning", "bedtime", "food", "as", "needed",
          "(", ")", ",", ";", ".", "-", "–", "\n", "|", ":", "?", "vitamin D3", "subcutaneously", "IM", "nasal spray"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=40).map(" ".join) | st.text(max_size=300))
def test_extraction_never_raises_and_diff_of_itself_is_silent(text: str) -> None:
    claims = extract_claims(text)
    assert claims == extract_claims(text)
    assert [c for c in diff_claims(claims, claims) if c.material] == []
    for claim in claims:
        assert text[claim.start : claim.end] == claim.text


# Two wordings of the same dose: the diff must be silent (issue 13, "one value for equivalent wordings").
EQUIVALENT = [
    ("Take 2 capsules twice daily.", "Take two capsules two times a day."),
    ("Take 2 capsules twice daily.", "Take 2 capsules 2x/day."),
    ("Inject 300 mcg subcutaneously.", "Inject 0.3 mg subcutaneously."),
    ("Inject 300 mcg subcutaneously.", "Inject 300 µg subcutaneously."),
    ("Use 4–6 mg per day.", "Use 4 to 6 mg per day."),
    ("Use 4-6 mg per day.", "Use 4–6 mg per day."),
    ("Take 1,000 mg daily.", "Take 1000 mg daily."),
    ("Give 10 mg per kg of body weight.", "Give 10 mg/kg."),
    ("Inject 2 mg on alternate days.", "Inject 2 mg every other day."),
    ("Draw up 0.5 mL.", "Draw up 0.5 ml."),
    ("Draw up 0.5 mL and inject it.", "Draw up 0.5 cc and inject it."),
    ("Take 1 tablet every 4 to 6 hours.", "Take one tablet every 4-6 hours."),
    ("Use it for 2 weeks at 1 mg a day.", "Use it for fourteen days at 1 mg a day."),
    ("Do not exceed 4 g in 24 hours.", "Do not take more than 4,000 mg in any 24-hour period."),
    ("Take 1 softgel with a meal.", "Take one softgel with food."),
    ("Take 1,000 IU of vitamin D3 daily.", "Take 1000 IU of vitamin D3 daily."),
    ("Take 2 capsules in the morning.\nEach capsule contains 500 mg.",
     "Each capsule contains 500 mg.\nTake 2 capsules in the morning."),
    ("Take 10 mg by mouth once a day for 7 days, then stop.",
     "Take 10 mg\nby mouth once a day for 7 days, then stop."),
]


@pytest.mark.parametrize("old, new", EQUIVALENT, ids=[f"{a[:30]}|{b[:30]}" for a, b in EQUIVALENT])
def test_rephrasing_the_same_dose_is_silent(old: str, new: str) -> None:
    a, b = _dosage(old), _dosage(new)
    assert a and b
    assert [c.summary for c in diff_claims(a, b) if c.material] == []
