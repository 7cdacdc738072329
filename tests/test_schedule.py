"""Pure parts of the daemon: first-run planning, triggers, the lock, error-state logging."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.config import Source
from monitor.daemon.lock import DaemonLock, LockHeld, probe_lock
from monitor.daemon.logs import ErrorStates, JsonFormatter, state_of
from monitor.schedule import MAX_STEP, first_runs, period, trigger_for

NOW = dt.datetime(2026, 3, 3, 12, 0, tzinfo=dt.timezone.utc)


def src(sid: str, interval: float | None = 3600.0, cron: str | None = None) -> Source:
    return Source(id=sid, url=f"https://example.org/{sid}", name=sid, interval=None if cron else interval, cron=cron)


def test_recently_checked_source_waits_for_the_rest_of_its_interval():
    plan = first_runs([src("a")], {"a": NOW - dt.timedelta(minutes=5)}, NOW, window=60)
    assert plan["a"] == NOW + dt.timedelta(minutes=55)


def test_overdue_sources_are_spread_most_overdue_first():
    sources = [src(f"s{i}") for i in range(4)]
    last = {"s0": NOW - dt.timedelta(days=1), "s1": NOW - dt.timedelta(days=7), "s2": None,
            "s3": NOW - dt.timedelta(hours=2)}
    plan = first_runs(sources, last, NOW, window=8)
    order = sorted(plan, key=plan.get)
    assert order == ["s2", "s1", "s0", "s3"]  # never fetched, then the longest overdue
    assert [(plan[s] - NOW).total_seconds() for s in order] == [0, 2, 4, 6]


def test_stagger_step_is_capped_and_never_exceeds_the_source_period():
    few = first_runs([src("a"), src("b")], {}, NOW, window=600)
    assert sorted((t - NOW).total_seconds() for t in few.values()) == [0, MAX_STEP]
    fast = first_runs([src("a"), src("b", interval=1.0)], {}, NOW, window=600)
    assert (fast["b"] - NOW).total_seconds() <= 1.0


def test_cron_source_first_run_follows_the_cron():
    now = NOW + dt.timedelta(minutes=30)
    plan = first_runs([src("c", cron="0 */6 * * *")], {"c": now - dt.timedelta(minutes=25)}, now, window=60)
    assert plan["c"] == dt.datetime(2026, 3, 3, 18, 0, tzinfo=dt.timezone.utc)
    late = first_runs([src("c", cron="0 */6 * * *")], {"c": now - dt.timedelta(hours=7)}, now, window=60)
    assert late["c"] == now  # missed the 12:00 run: overdue, checked at once
    assert period(src("c", cron="0 */6 * * *"), NOW) == 6 * 3600


def test_triggers_carry_jitter_proportional_to_the_period():
    assert trigger_for(src("a", interval=600), 0.05).jitter == pytest.approx(30)
    assert trigger_for(src("c", cron="*/10 * * * *"), 0.1).jitter == pytest.approx(60)
    assert trigger_for(src("a", interval=600), 0).jitter is None


@given(st.lists(st.one_of(st.none(), st.integers(min_value=0, max_value=30 * 86400)), min_size=1, max_size=30),
       st.floats(min_value=0, max_value=600), st.sampled_from([1.0, 60.0, 3600.0, 86400.0]))
def test_first_runs_are_never_in_the_past_and_never_later_than_due_or_window(ages, window, interval):
    sources = [src(f"s{i}", interval=interval) for i in range(len(ages))]
    last = {f"s{i}": (NOW - dt.timedelta(seconds=a) if a is not None else None) for i, a in enumerate(ages)}
    plan = first_runs(sources, last, NOW, window)
    assert set(plan) == {s.id for s in sources}
    for s in sources:
        t, prev = plan[s.id], last[s.id]
        assert t >= NOW
        due = prev + dt.timedelta(seconds=interval) if prev else NOW
        assert t <= max(due, NOW + dt.timedelta(seconds=min(window, interval)))
    if window >= 0.01:  # no stampede: at most one source starts right away
        assert sum(t == NOW for t in plan.values()) <= 1


def test_lock_refuses_a_second_holder_names_the_pid_and_is_released(tmp_path):
    db = tmp_path / "history.db"
    assert probe_lock(db) == (False, None)
    with DaemonLock(db, wait=0.1):
        held, pid = probe_lock(db)
        assert held and pid is not None
        with pytest.raises(LockHeld, match=rf"pid {pid} .*history\.db\.lock"):
            DaemonLock(db, wait=0.1).acquire()
    assert probe_lock(db)[0] is False
    with DaemonLock(db, wait=0.1):  # released: can be taken again
        pass


def test_error_states_report_only_transitions():
    states = ErrorStates({"a": "ok"})
    assert states.change("a", "ok") == (False, "ok")
    assert states.change("a", state_of("error", "timeout")) == (True, "ok")
    assert states.change("a", state_of("error", "timeout")) == (False, "error:timeout")
    assert states.change("a", state_of("error", "http_status")) == (True, "error:timeout")
    assert states.change("a", state_of("unchanged", None)) == (True, "error:http_status")
    assert states.change("new", "ok") == (False, None)  # first sight of a healthy source: nothing to say
    assert states.change("bad", "blocked:blocked_page") == (True, None)


def test_json_log_lines_carry_the_fields():
    record = logging.LogRecord("claimwatch.daemon", logging.INFO, __file__, 1, "check %s", ("a",), None)
    record.fields = {"source": "a", "outcome": "unchanged", "duration_ms": 12.5}
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "check a" and line["level"] == "info" and line["outcome"] == "unchanged"
    assert line["ts"].endswith("+00:00")
