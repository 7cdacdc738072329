"""``monitor run`` as a real subprocess against a fixture site on 127.0.0.1.

Every wait polls (DB rows, server hits, JSON log lines) with a generous timeout; nothing
asserts on wall-clock durations except the grace period bound, which has a wide margin.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import time

import pytest

from fixture_site import BASE_ARTICLE, FixtureSite, page
from test_alerts_support import Receiver
from test_daemon_support import DaemonProc, configure, fetch_count, monitor, poll, query, run_subprocess, wait_for


@pytest.fixture()
def site():
    with FixtureSite() as s:
        yield s


@pytest.fixture()
def daemons():
    started: list[DaemonProc] = []
    yield started
    for d in started:
        d.kill()


@pytest.fixture()
def start(tmp_path, daemons):
    def _start(db, config, *extra: str) -> DaemonProc:
        d = DaemonProc(tmp_path, db, config, *extra)
        daemons.append(d)
        return d

    return _start


def _db(tmp_path):
    return tmp_path / "snap" / "history.db"


def test_edit_gives_new_version_change_and_one_delivered_alert_across_a_kill(tmp_path, site, start):
    receiver = Receiver().start()
    try:
        channel = f"alerts:\n  - name: hook\n    url: {receiver.url('/hook')}\n"
        config = configure(tmp_path / "sources.yaml", site, ["semax"], "1s", channel)
        db = _db(tmp_path)
        d = start(db, config)
        wait_for(lambda: poll(db, "SELECT 1 FROM versions"), what="version 1")
        site.set("/semax", page(BASE_ARTICLE.replace("300mcg to 600mcg", "600mcg to 1200mcg")))
        wait_for(lambda: receiver.requests, what="an alert delivered to the json:// receiver")
        assert [v["number"] for v in query(db, "SELECT number FROM versions ORDER BY number")] == [1, 2]
        changes = query(db, "SELECT category, to_version FROM changes WHERE status = 'active'")
        assert {c["category"] for c in changes} == {"dosage"} and {c["to_version"] for c in changes} == {2}
        wait_for(lambda: poll(db, "SELECT 1 FROM alerts WHERE status = 'sent'"), what="alert marked sent")
        assert "dosage" in receiver.requests[0].body["title"]
        sent_before = len(receiver.requests)

        d.signal(signal.SIGKILL)
        d.wait_exit()
        d2 = start(db, config)
        checks_after = len(d2.checks("semax")) + 3
        wait_for(lambda: len(d2.checks("semax")) >= checks_after, what="three more checks after the restart")
        keys = [r.body["idempotency_key"] for r in receiver.requests]
        assert len(keys) == len(set(keys)) == sent_before  # nothing re-sent, nothing duplicated
        assert query(db, "SELECT COUNT(*) AS n FROM versions")[0]["n"] == 2
    finally:
        receiver.stop()


@pytest.mark.parametrize("grace, finishes", [(15.0, True), (0.5, False)])
def test_sigterm_during_a_slow_fetch_exits_0_and_leaves_a_consistent_db(tmp_path, site, start, grace, finishes):
    config = configure(tmp_path / "sources.yaml", site, ["slow"], "1h")
    site.set("/slow", page(BASE_ARTICLE), delay=3.0)
    db = _db(tmp_path)
    d = start(db, config, "--grace", str(grace))
    wait_for(lambda: site.hits("/slow") >= 1, what="the slow fetch to be in flight")
    d.signal(signal.SIGTERM)
    assert d.wait_exit(timeout=grace + 20) == 0
    assert query(db, "PRAGMA integrity_check")[0]["integrity_check"] == "ok"
    fetches = query(db, "SELECT outcome FROM fetches")
    versions = query(db, "SELECT number FROM versions")
    if finishes:  # the in-flight check completed within the grace period and was stored whole
        assert [f["outcome"] for f in fetches] == ["new_version"] and len(versions) == 1
        assert query(db, "SELECT COUNT(*) AS n FROM claims")[0]["n"] > 0
    else:  # cut off before record(): nothing of it was stored
        assert fetches == [] and versions == []
        assert d.events("cancelled") or any(e.get("outcome") == "cancelled" for e in d.events("check"))
    assert query(db, "SELECT state FROM daemon")[0]["state"] == "stopped"


def test_kill_then_restart_does_not_refetch_and_status_reports_up_and_down(tmp_path, site, start):
    config = configure(tmp_path / "sources.yaml", site, ["a", "b"], "1h")
    db = _db(tmp_path)
    d = start(db, config)
    wait_for(lambda: fetch_count(db, "a") and fetch_count(db, "b"), what="both sources fetched")
    up = monitor("status", "--db", str(db), "--config", str(config), "--json", cwd=tmp_path)
    assert up.returncode == 0, up.stdout + up.stderr
    report = json.loads(up.stdout)
    assert report["daemon"]["up"] and report["daemon"]["pid"] == d.pid
    nxt = {s["id"]: dt.datetime.fromisoformat(s["next_due"]) for s in report["sources"]}
    assert all(t > dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=50) for t in nxt.values())

    d.signal(signal.SIGKILL)
    d.wait_exit()
    down = monitor("status", "--db", str(db), "--config", str(config), "--json", cwd=tmp_path)
    assert down.returncode == 3 and json.loads(down.stdout)["daemon"]["lock_held"] is False
    assert "daemon down" in monitor("status", "--db", str(db), "--config", str(config), cwd=tmp_path).stdout

    d2 = start(db, config)
    beats = set()

    def heartbeats() -> bool:
        rows = poll(db, "SELECT pid, heartbeat_at FROM daemon")
        if rows and rows[0]["pid"] == d2.pid:
            beats.add(rows[0]["heartbeat_at"])
        return len(beats) >= 3  # seconds-precision timestamps: ≥ 2 s of running

    wait_for(heartbeats, what="the restarted daemon to beat for a while")
    assert (site.hits("/a"), site.hits("/b")) == (1, 1)
    assert fetch_count(db, "a") == fetch_count(db, "b") == 1


def test_restart_after_a_day_staggers_the_overdue_checks(tmp_path, site, start):
    ids = ["s1", "s2", "s3", "s4"]
    config = configure(tmp_path / "sources.yaml", site, ids, "1h")
    db = _db(tmp_path)
    assert monitor("check", "--db", str(db), "--config", str(config), cwd=tmp_path).returncode == 0
    conn_rows = query(db, "SELECT id, started_at FROM fetches")
    import sqlite3

    conn = sqlite3.connect(db)
    for r in conn_rows:
        old = dt.datetime.fromisoformat(r["started_at"]) - dt.timedelta(days=1)
        conn.execute("UPDATE fetches SET started_at = ? WHERE id = ?", (old.isoformat(), r["id"]))
    conn.commit()
    conn.close()

    d = start(db, config, "--stagger-window", "4")
    wait_for(lambda: all(fetch_count(db, s) == 2 for s in ids), what="every overdue source checked once")
    fresh = query(db, "SELECT started_at FROM fetches WHERE started_at > ? ORDER BY started_at",
                  ((dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)).isoformat(),))
    times = [dt.datetime.fromisoformat(r["started_at"]) for r in fresh]
    assert len(times) == 4
    assert (times[-1] - times[0]).total_seconds() >= 2  # planned 0, 1, 2, 3 s apart; not a burst
    planned = sorted(dt.datetime.fromisoformat(e["planned"]) for e in d.checks())
    assert (planned[-1] - planned[0]).total_seconds() == pytest.approx(3, abs=0.5)


def test_reload_adds_and_removes_sources_and_a_broken_file_keeps_the_old_config(tmp_path, site, start):
    path = tmp_path / "sources.yaml"
    config = configure(path, site, ["a"], "1s")
    db = _db(tmp_path)
    d = start(db, config)
    wait_for(lambda: fetch_count(db, "a") >= 1, what="source a checked")

    configure(path, site, ["a", "b"], "1s")
    sent = monitor("reload", "--db", str(db), "--config", str(path), cwd=tmp_path)
    assert sent.returncode == 0 and str(d.pid) in sent.stdout
    d.wait_event("reloaded", added=["b"])
    wait_for(lambda: fetch_count(db, "b") >= 1, what="the added source checked")

    good = path.read_text()
    path.write_text(good.replace("interval: 1s", "interval: sometimes", 1))
    refused = monitor("reload", "--db", str(db), "--config", str(path), cwd=tmp_path)
    assert refused.returncode == 2 and "sources.yaml:" in refused.stderr
    d.signal(signal.SIGHUP)  # the daemon itself must survive it too
    failed = d.wait_event("reload_failed")
    assert "sources.yaml:4: sources[0].interval" in failed["error"]
    a, b = fetch_count(db, "a"), fetch_count(db, "b")
    wait_for(lambda: fetch_count(db, "a") >= a + 2 and fetch_count(db, "b") >= b + 2,
             what="both sources still checked on the old config")

    configure(path, site, ["b"], "1s")
    d.signal(signal.SIGHUP)
    d.wait_event("reloaded", removed=["a"])
    a = fetch_count(db, "a")
    b = fetch_count(db, "b")
    wait_for(lambda: fetch_count(db, "b") >= b + 3, what="b checked three more times")
    assert fetch_count(db, "a") <= a + 1  # at most the check already in flight; history kept
    assert query(db, "SELECT COUNT(*) AS n FROM versions WHERE source_id = 'a'")[0]["n"] == 1


def test_a_second_daemon_on_the_same_db_refuses_naming_the_holder(tmp_path, site, start):
    config = configure(tmp_path / "sources.yaml", site, ["a"], "1h")
    db = _db(tmp_path)
    d = start(db, config)
    d.wait_event("start")
    second = run_subprocess("run", "--db", str(db), "--config", str(config), cwd=tmp_path)
    assert second.returncode == 2
    assert f"pid {d.pid}" in second.stderr and "history.db.lock" in second.stderr
    assert d.proc.poll() is None  # the first one is untouched


def test_errors_are_logged_once_per_state_change(tmp_path, site, start):
    config = configure(tmp_path / "sources.yaml", site, ["flaky"], "1s")
    site.set("/flaky", "gone", status=404, content_type="text/plain")
    d = start(_db(tmp_path), config)
    wait_for(lambda: len([c for c in d.checks("flaky") if c["outcome"] == "error"]) >= 3, what="three failures")
    failing = d.events("failing")
    assert len(failing) == 1 and failing[0]["state"] == "error:http_status"
    site.set("/flaky", page(BASE_ARTICLE))
    d.wait_event("recovered", source="flaky")
    n = len(d.checks("flaky")) + 2
    wait_for(lambda: len(d.checks("flaky")) >= n, what="two more checks")
    assert len(d.events("failing")) == 1 and len(d.events("recovered")) == 1
    assert all(c["duration_ms"] is not None and "version" in c for c in d.checks("flaky"))
