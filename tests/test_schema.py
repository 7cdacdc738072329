"""Every value field of the category schema reaches a summary that shows it and a severity.

Why: a field missing from the summary wording is how "1×/week → 1×/week" at medium severity
was shown for a tenfold volume increase. This walks each field through the real diff.
"""

from __future__ import annotations

import pytest

from monitor.claims import schema
from monitor.diff import diff_claims
from monitor.models import Claim

_BASE: dict[str, dict] = {
    "amount": {"min_mg": 1, "max_mg": 2},
    "iu": {"min_iu": 1000, "max_iu": 1000},
    "volume": {"min_ml": 0.25, "max_ml": 0.25},
    "count": {"count_min": 2, "count_max": 2, "count_unit": "capsule"},
    "unit_strength": {"unit_mg": 500, "count_unit": "capsule"},
    "concentration": {"concentration_percent": 1, "concentration_mg_per_ml": 10},
    "frequency": {"times_per_day_min": 2, "times_per_day_max": 2, "times_per_week_min": 1, "times_per_week_max": 1,
                  "every_days": 2, "interval_hours_min": 4, "interval_hours_max": 6},
    "timing": {"timing": ["morning"]},
    "duration": {"duration_days_min": 10, "duration_days_max": 14},
    "cycle": {"cycle_on_days": 5, "cycle_off_days": 2},
}
_SPECIAL = {"limit": {"limit": True, "max_mg": 4000, "max_iu": 4000, "max_ml": 10, "count_max": 8,
                      "count_unit": "tablet", "per": "day"},
            "package": {"package": True, "container_count": 120, "count_unit": "capsule", "container_ml": 30,
                        "container_mg": 500, "supply_days": 30, "doses_per_container": 60,
                        "drops_per_container": 600, "sprays_per_container": 200},
            "strength": {"strength": True, "unit_mg": 500, "count_unit": "capsule", "min_mg": 500, "max_mg": 500,
                         "min_iu": 10, "max_iu": 10, "concentration_percent": 0.1, "concentration_mg_per_ml": 1}}


# Field names only older extractor versions wrote; they are read as today's (test below).
LEGACY = {"interval_minutes", "interval_minutes_min", "interval_minutes_max", "duration_days"}


def _bumped(value):
    return value * 3 if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def _cases():
    for aspect in schema.DOSAGE_INTAKE:
        base = _BASE[aspect.name]
        for name in aspect.fields:
            if name in base and name not in LEGACY:
                yield aspect, base, name
        assert not [f for f in aspect.fields if f not in base and f not in LEGACY and f != "per_nostril"
                    and f not in ("per_kg", "per_m2")], f"{aspect.name}: a field without a case"
    for aspect in (schema.DOSAGE_LIMIT, schema.DOSAGE_PACKAGE, schema.DOSAGE_STRENGTH):
        base = _SPECIAL[aspect.name]
        for name in aspect.fields:
            if name in base and name != "count_unit":
                yield aspect, base, name


@pytest.mark.parametrize("aspect,base,name", list(_cases()), ids=lambda x: getattr(x, "name", x if isinstance(x, str) else ""))
def test_each_dosage_field_changes_with_its_schema_severity_and_a_visible_summary(aspect, base, name):
    old = Claim("dosage", "dosage:oral:dose", "old sentence", {"route": "oral", **base})
    if name == "timing":
        changed = {**base, name: ["bedtime"]}
    elif name == "per_nostril":
        changed = {**base, name: True}
    else:
        changed = {**base, name: _bumped(base[name])}
    new = Claim("dosage", "dosage:oral:dose", "new sentence", {"route": "oral", **changed})
    changes = diff_claims([old], [new])
    assert len(changes) == 1, [c.summary for c in changes]
    (c,) = changes
    assert c.severity == aspect.severity
    before, _, after = c.summary.partition(": ")[2].partition(" → ")
    assert after and before != after, c.summary


def test_route_change_is_high_and_named():
    old = Claim("dosage", "dosage:oral:dose", "Take 5 mg by mouth.", {"route": "oral", "min_mg": 5, "max_mg": 5})
    new = Claim("dosage", "dosage:sublingual:dose", "Take 5 mg under the tongue.",
                {"route": "sublingual", "min_mg": 5, "max_mg": 5})
    (c,) = diff_claims([old], [new])
    assert (c.kind, c.severity) == ("changed", "high")
    assert "oral" in c.summary and "sublingual" in c.summary


@pytest.mark.parametrize("field,before,after,material", [
    ("side_effects", "mild", "minimal", False), ("side_effects", "mild", "common", True),
    ("tolerability", "well_tolerated", "poorly_tolerated", True), ("toxicity", "none", "low", False),
    ("serious", "none", "reported", True)])
def test_safety_profile_is_material_only_when_its_class_changes(field, before, after, material):
    old = Claim("safety", "safety:profile", "a", {field: before})
    new = Claim("safety", "safety:profile", "b", {field: after})
    assert bool(diff_claims([old], [new])) is material
    assert len(diff_claims([old], [new], include_unchanged=True)) == 1


def test_evidence_qualifier_wording_is_minor_but_lacking_evidence_is_material():
    old = Claim("evidence", "evidence:human", "Limited human trials exist.", {"kind": "human", "qualifiers": ["limited"]})
    reworded = Claim("evidence", "evidence:human", "Small human trials exist.", {"kind": "human", "qualifiers": ["small"]})
    lacking = Claim("evidence", "evidence:human", "Human trials are lacking.", {"kind": "human", "qualifiers": ["lacking"]})
    assert diff_claims([old], [reworded]) == []
    assert sorted(c.kind for c in diff_claims([old], [reworded], include_unchanged=True)) == ["minor", "reworded"]
    (c,) = diff_claims([old], [lacking])
    assert (c.kind, c.severity) == ("changed", "medium")


def test_an_authority_dropped_from_a_joint_statement_is_one_removed_fact():
    both = [Claim("legality", "legality:fda:approval", "Not approved by the FDA or EMA.", {"authority": "FDA", "status": "not_approved"}),
            Claim("legality", "legality:ema:approval", "Not approved by the FDA or EMA.", {"authority": "EMA", "status": "not_approved"})]
    (c,) = diff_claims(both, both[:1])
    assert (c.kind, c.key, c.severity) == ("removed", "legality:ema:approval", "high")


def test_a_route_named_more_precisely_is_minor_but_another_route_is_high():
    im = Claim("dosage", "dosage:intramuscular:dose", "Inject 0.5 mL IM weekly.",
               {"route": "intramuscular", "min_ml": 0.5, "max_ml": 0.5, "times_per_week_min": 1, "times_per_week_max": 1})
    generic = Claim("dosage", "dosage:injection:dose", "Inject 0.5 mL weekly.", {**im.value, "route": "injection"})
    sc = Claim("dosage", "dosage:subcutaneous:dose", "Inject 0.5 mL under the skin weekly.",
               {**im.value, "route": "subcutaneous"})
    assert diff_claims([im], [generic]) == []
    assert {c.severity for c in diff_claims([im], [sc])} == {"high"}
    tenfold = Claim(generic.category, generic.key, generic.text, {**generic.value, "min_ml": 5, "max_ml": 5})
    assert [c.severity for c in diff_claims([im], [tenfold])] == ["high"]


def test_research_use_only_reworded_as_research_chemical_is_minor_but_approval_is_high():
    ruo = Claim("legality", "legality:unspecified:research", "For research use only.",
                {"authority": "unspecified", "status": "research_use_only"})
    chem = Claim("legality", "legality:unspecified:research", "Sold as a research chemical.",
                 {"authority": "unspecified", "status": "research_chemical"})
    assert diff_claims([ruo], [chem]) == []
    approved = Claim("legality", "legality:fda:approval", "Approved by the FDA.", {"authority": "FDA", "status": "approved"})
    changes = diff_claims([ruo], [approved])
    assert {(c.kind, c.severity) for c in changes} == {("removed", "high"), ("added", "high")}


def test_a_regulator_safety_concern_appearing_is_material():
    before = Claim("safety", "safety:profile", "Generally well tolerated.", {"tolerability": "well_tolerated"})
    after = Claim("safety", "safety:profile", "Generally well tolerated, but the FDA says it may present "
                  "significant safety risks.", {"tolerability": "well_tolerated", "concerns": "raised"})
    (c,) = diff_claims([before], [after])
    assert (c.kind, c.key) == ("added", "safety:profile:concerns")


@pytest.mark.parametrize("legacy,today", [
    ({"interval_minutes": 30}, {"interval_hours_min": 0.5, "interval_hours_max": 0.5}),
    ({"duration_days": 14}, {"duration_days_min": 14, "duration_days_max": 14}),
    ({"drops_min": 2, "drops_max": 3}, {"count_min": 2, "count_max": 3, "count_unit": "drop"})])
def test_values_stored_by_older_extractors_equal_todays_and_still_change(legacy, today):
    old = Claim("dosage", "dosage:oral:dose", "a", {"route": "oral", "min_mg": 1, "max_mg": 1, **legacy})
    same = Claim("dosage", "dosage:oral:dose", "b", {"route": "oral", "min_mg": 1, "max_mg": 1, **today})
    assert diff_claims([old], [same]) == []
    bumped = {k: v * 3 if isinstance(v, (int, float)) else v for k, v in today.items()}
    changed = Claim("dosage", "dosage:oral:dose", "c", {"route": "oral", "min_mg": 1, "max_mg": 1, **bumped})
    assert len(diff_claims([old], [changed])) == 1


def test_an_unrouted_frequency_merged_into_a_routed_line_is_not_a_removal():
    routed = Claim("dosage", "dosage:intravenous:dose", "Infuse 10 ml intravenously once daily.",
                   {"route": "intravenous", "min_ml": 10, "max_ml": 10, "times_per_day_min": 1, "times_per_day_max": 1})
    oral = Claim("dosage", "dosage:oral:dose", "Or take 5 mg by mouth.", {"route": "oral", "min_mg": 5, "max_mg": 5})
    unrouted = Claim("dosage", "dosage:unspecified:frequency", "Give it once daily.",
                     {"times_per_day_min": 1, "times_per_day_max": 1})
    assert diff_claims([routed, oral, unrouted], [routed, oral]) == []
    kinds = [c.kind for c in diff_claims([routed, oral, unrouted], [routed, oral], include_unchanged=True)]
    assert "minor" in kinds
