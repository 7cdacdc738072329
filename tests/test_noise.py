"""The noise rules as pure functions over a hand-made history (no database)."""

from __future__ import annotations

from monitor.claims import EXTRACTOR_VERSION, extract_claims
from monitor.config import Settings
from monitor.models import History
from monitor.noise import plan_version

TEXT = ("Take 300 mcg of Semax intranasally twice daily. It is not approved by the FDA or EMA. "
        "Animal studies suggest neuroprotection. Side effects are mild; nasal irritation has been reported.")


def _version(number: int, text: str, *, held: int = 0, extractor: str = EXTRACTOR_VERSION) -> dict:
    return {"id": number * 10, "number": number, "text_hash": f"h{hash(text)}", "held": held, "text": text,
            "extractor_version": extractor}


def _history(*versions: dict, repeats: frozenset[int] = frozenset()) -> History:
    return History(tuple(sorted(versions, key=lambda v: -v["number"])),
                   {v["id"]: tuple(extract_claims(v["text"])) for v in versions}, repeats)


def test_first_version_has_no_baseline():
    assert plan_version(History(()), Settings(), 1, "h", extract_claims(TEXT)).baseline is None


def test_rewrapped_text_removes_no_fact_so_nothing_is_held():
    rewrapped = TEXT.replace(". ", ".\n").replace("twice daily", "two times a day")
    plan = plan_version(_history(_version(1, TEXT)), Settings(), 2, "new", extract_claims(rewrapped))
    assert plan.status == "active"


def test_large_removal_is_held_and_discarded_when_not_confirmed():
    v1 = _version(1, TEXT)
    plan = plan_version(_history(v1), Settings(), 2, "h2", extract_claims("Semax."))
    assert plan.status == "held"
    v2 = _version(2, "Semax.", held=1)
    plan = plan_version(_history(v1, v2), Settings(), 3, "h3", extract_claims(TEXT + " Take it with food."))
    assert plan.discard_held_of == 2
    assert plan.baseline["number"] == 1


def test_first_flip_back_is_alerted_with_a_note_then_repeats_are_muted():
    other = TEXT.replace("300 mcg", "600 mcg")
    v1, v2 = _version(1, TEXT), _version(2, other)
    plan = plan_version(_history(v1, v2), Settings(), 3, v1["text_hash"], extract_claims(TEXT))
    assert (plan.status, plan.note) == ("active", "reverts to the state of version 1")
    v3 = _version(3, TEXT)
    plan = plan_version(_history(v1, v2, v3), Settings(), 4, v2["text_hash"], extract_claims(other))
    assert plan.status == "repeat"


def test_a_baseline_from_an_older_extractor_is_read_again_with_todays():
    stale = _version(1, TEXT, extractor="0")
    history = History((stale,), {stale["id"]: ()})  # the old extractor stored nothing useful
    plan = plan_version(history, Settings(), 2, "h2", extract_claims(TEXT))
    assert [c.key for c in plan.baseline_claims] == [c.key for c in extract_claims(TEXT)]
