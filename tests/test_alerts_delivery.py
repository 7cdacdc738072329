"""Delivery through real receivers on 127.0.0.1: SMTP (aiosmtpd) and an HTTP json:// endpoint.

Time is moved by passing ``now`` to ``deliver_pending`` (backoff, leases, quiet hours, hourly
digests), so nothing here sleeps for a fixed time.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import secrets
import signal
import subprocess
import sys

import pytest
from click.testing import CliRunner

from monitor.alerts import Backoff, deliver_pending
from monitor.cli import cli
from test_alerts_support import (Receiver, SMTPSink, add_changes, alert_rows, dosage_change, legality_change,
                                 make_db, wait_for, write_config)

HOSTILE_NEW = "Now <script>alert(1)</script> says {{ 7*7 }}: 0.2–0.9 mg per dose."
TINY = Backoff(base=0.01, factor=2, cap=0.05, lease=60)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


def test_mail_for_a_dosage_change_arrives_with_subject_body_and_escaped_html(tmp_path):
    with SMTPSink() as smtp:
        config = write_config(tmp_path, [{"name": "mail", "url": smtp.url()}])
        db = make_db(tmp_path, config)
        add_changes(db, config, "semax-wiki", [dosage_change(new=HOSTILE_NEW)])
        report = deliver_pending(db, config)
        assert (report.sent, report.failed) == (1, 0)
        mail = wait_for(lambda: smtp.messages, what="mail")[0]
    assert mail["Subject"] == "claimwatch: dosage changed on Semax wiki page (high)"
    assert mail["X-Claimwatch-Idempotency-Key"] == "claimwatch-alert-1"
    plain = mail.get_body(("plain",)).get_content()
    html_part = mail.get_body(("html",)).get_content()
    for needle in ("dosage (intranasal): 0.3–0.6 mg → 0.2–0.9 mg per dose",
                   "The usual intranasal dose is 0.3–0.6 mg per dose.", HOSTILE_NEW,
                   "https://semax.example.org/wiki", "https://data.example.org/-/claimwatch/change/1",
                   "https://data.example.org/history/versions?source_id=semax-wiki", "claimwatch-alert-1"):
        assert needle in plain
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_part and "<script>" not in html_part
    assert "{{ 7*7 }}" in html_part
    assert alert_rows(db)[0]["status"] == "sent"


def test_json_payload_is_literal_and_carries_the_idempotency_key(tmp_path, receiver):
    config = write_config(tmp_path, [{"name": "hook", "url": receiver.url("/claims")}])
    db = make_db(tmp_path, config)
    add_changes(db, config, "semax-wiki", [dosage_change(new=HOSTILE_NEW)])
    assert deliver_pending(db, config).sent == 1
    (req,) = receiver.requests
    assert req.path == "/claims"
    assert HOSTILE_NEW in req.body["message"]
    # {{ 7*7 }} was not evaluated (timestamps removed first: the clock may read :49)
    assert "49" not in re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[+-]\d\d:\d\d|Z)?", "", req.body["message"])
    assert req.body["title"] == "claimwatch: dosage changed on Semax wiki page (high)"
    assert req.body["idempotency_key"] == req.headers["X-Claimwatch-Idempotency-Key"] == "claimwatch-alert-1"
    assert deliver_pending(db, config).sent == 0  # a sent alert is never sent again
    assert len(receiver.requests) == 1


def test_receiver_down_backs_off_then_delivers_once_when_back(tmp_path):
    down = Receiver()  # port reserved, nothing listening yet
    config = write_config(tmp_path, [{"name": "hook", "url": down.url()}])
    db = make_db(tmp_path, config)
    add_changes(db, config, "semax-wiki", [dosage_change()])
    t0 = _now()
    backoff = Backoff(base=30, factor=2, cap=3600)
    r1 = deliver_pending(db, config, now=t0, backoff=backoff)
    row = alert_rows(db)[0]
    assert (r1.failed, row["status"], row["attempts"]) == (1, "failed", 1)
    assert row["next_attempt_at"] == (t0 + dt.timedelta(seconds=30)).replace(microsecond=0).isoformat()
    assert "hook" in row["last_error"]
    # not due yet: nothing is attempted
    assert deliver_pending(db, config, now=t0 + dt.timedelta(seconds=10), backoff=backoff).failed == 0
    assert alert_rows(db)[0]["attempts"] == 1
    r2 = deliver_pending(db, config, now=t0 + dt.timedelta(seconds=31), backoff=backoff)
    row = alert_rows(db)[0]
    assert (r2.failed, row["attempts"]) == (1, 2)
    assert row["next_attempt_at"] == (t0 + dt.timedelta(seconds=31 + 60)).replace(microsecond=0).isoformat()
    down.start()
    try:
        r3 = deliver_pending(db, config, now=t0 + dt.timedelta(seconds=200), backoff=backoff)
        assert r3.sent == 1 and alert_rows(db)[0]["status"] == "sent"
        assert deliver_pending(db, config, now=t0 + dt.timedelta(hours=5), backoff=backoff).sent == 0
        assert down.keys() == ["claimwatch-alert-1"]
    finally:
        down.stop()


def test_max_attempts_makes_the_alert_dead_with_its_reason(tmp_path, receiver):
    receiver.status = 500
    config = write_config(tmp_path, [{"name": "hook", "url": receiver.url(), "max_attempts": 3}])
    db = make_db(tmp_path, config)
    add_changes(db, config, "semax-wiki", [dosage_change()])
    now = _now()
    outcomes = []
    for step in range(5):
        report = deliver_pending(db, config, now=now + dt.timedelta(seconds=step), backoff=TINY)
        outcomes.append((report.failed, report.dead))
    assert outcomes == [(1, 0), (1, 0), (0, 1), (0, 0), (0, 0)]
    row = alert_rows(db)[0]
    assert row["status"] == "dead" and row["attempts"] == 3
    assert row["last_error"].startswith("gave up after 3 attempts: channel 'hook'")
    assert "500" in row["last_error"]
    assert len(receiver.requests) == 3


def test_quiet_hours_hold_alerts_until_the_window_ends(tmp_path, receiver):
    now = _now()
    local = now.astimezone()
    window = f"{(local - dt.timedelta(hours=1)):%H:%M}-{(local + dt.timedelta(hours=1)):%H:%M}"
    config = write_config(tmp_path, [{"name": "hook", "url": receiver.url(), "quiet_hours": window}])
    db = make_db(tmp_path, config)
    add_changes(db, config, "semax-wiki", [dosage_change()])
    now = _now()  # after the row exists: its next_attempt_at (second precision) must not be ahead of 'now'
    held = deliver_pending(db, config, now=now)
    assert (held.held, held.sent) == (1, 0) and receiver.requests == []
    assert alert_rows(db)[0]["status"] == "pending"
    after = deliver_pending(db, config, now=now + dt.timedelta(hours=1, minutes=2))
    assert after.sent == 1 and len(receiver.requests) == 1


def test_pass_digest_groups_changes_into_one_message(tmp_path, receiver):
    config = write_config(tmp_path, [{"name": "hook", "url": receiver.url(), "digest": "pass"}])
    db = make_db(tmp_path, config)
    add_changes(db, config, "semax-wiki", [dosage_change(), legality_change()])
    add_changes(db, config, "shop", [dosage_change(key="dosage:oral:dose")], version=4)
    report = deliver_pending(db, config)
    assert (report.sent, report.messages) == (3, 1)
    (req,) = receiver.requests
    assert req.body["title"] == "claimwatch digest: 3 changes on 2 sources"
    assert req.body["alert_keys"] == "claimwatch-alert-1,claimwatch-alert-2,claimwatch-alert-3"
    for key in ("claimwatch-alert-1", "claimwatch-alert-2", "claimwatch-alert-3", "FDA approved"):
        assert key in req.body["message"]


def test_hourly_digest_waits_for_the_oldest_alert_to_be_an_hour_old(tmp_path, receiver):
    config = write_config(tmp_path, [{"name": "hook", "url": receiver.url(), "digest": "hourly"}])
    db = make_db(tmp_path, config)
    add_changes(db, config, "semax-wiki", [dosage_change(), legality_change()])
    now = _now()
    early = deliver_pending(db, config, now=now + dt.timedelta(minutes=30))
    assert (early.waiting, early.sent) == (2, 0) and receiver.requests == []
    late = deliver_pending(db, config, now=now + dt.timedelta(minutes=61))
    assert (late.sent, late.messages) == (2, 1) and len(receiver.requests) == 1


def test_secret_never_reaches_db_logs_or_cli_output(tmp_path, caplog, monkeypatch):
    secret = "cw-" + secrets.token_hex(12)
    monkeypatch.setenv("CW_TEST_SECRET", secret)
    caplog.set_level(logging.DEBUG)
    rec = Receiver()  # down at first: the connection error names the URL (with the secret in it)
    url = (f"json://bot:${{CW_TEST_SECRET}}@127.0.0.1:{rec.port}/hook/${{CW_TEST_SECRET}}"
           "?:token=${CW_TEST_SECRET}")
    config = write_config(tmp_path, [{"name": "hook", "url": url}])
    db = make_db(tmp_path, config)
    add_changes(db, config, "semax-wiki", [dosage_change()])
    failed = deliver_pending(db, config, backoff=TINY)
    assert failed.failed == 1 and "${CW_TEST_SECRET}" in alert_rows(db)[0]["last_error"]
    rec.start()
    try:
        rec.status = 500
        assert deliver_pending(db, config, now=_now() + dt.timedelta(seconds=5), backoff=TINY).failed == 1
        rec.status = 200
        assert deliver_pending(db, config, now=_now() + dt.timedelta(seconds=10), backoff=TINY).sent == 1
        assert rec.requests[-1].path == f"/hook/{secret}"  # the receiver did get the expanded URL
    finally:
        rec.stop()
    runner = CliRunner()
    db_path = str(tmp_path / "history.db")
    outputs = [runner.invoke(cli, ["alerts", "--db", db_path]).output,
               runner.invoke(cli, ["alerts", "--db", db_path, "--json"]).output,
               runner.invoke(cli, ["alerts", "test", "hook", "--db", db_path,
                                   "--config", str(tmp_path / "sources.yaml")]).output]
    db.conn.close()
    assert "sent" in outputs[0] and "semax-wiki" in outputs[0]
    assert "test through channel 'hook' failed" in outputs[2] and "${CW_TEST_SECRET}" in outputs[2]
    blobs = [p.read_bytes() for p in tmp_path.glob("history.db*")]
    assert len(blobs) >= 1
    for blob in blobs:
        assert secret.encode() not in blob
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged and secret not in logged
    assert "hook" in logged
    for out in outputs:
        assert secret not in out


def test_missing_env_var_fails_naming_the_variable_and_channel(tmp_path, monkeypatch):
    monkeypatch.delenv("CW_ABSENT_TOKEN", raising=False)
    config = write_config(tmp_path, [{"name": "ops", "url": "json://127.0.0.1:9/${CW_ABSENT_TOKEN}"}])
    db = make_db(tmp_path, config)
    add_changes(db, config, "semax-wiki", [dosage_change()])
    report = deliver_pending(db, config)
    row = alert_rows(db)[0]
    assert report.failed == 1 and row["status"] == "failed"
    assert "CW_ABSENT_TOKEN" in row["last_error"] and "'ops'" in row["last_error"]


def test_sigkill_during_send_redelivers_at_most_once_and_receiver_can_dedupe(tmp_path):
    receiver = Receiver(stall_first=True).start()
    try:
        config = write_config(tmp_path, [{"name": "hook", "url": receiver.url()}])
        db = make_db(tmp_path, config)
        add_changes(db, config, "semax-wiki", [dosage_change(), legality_change()])
        add_changes(db, config, "shop", [dosage_change(key="dosage:oral:dose")], version=4)
        proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "alerts", "deliver", "--db", str(tmp_path / "history.db"),
             "--config", str(tmp_path / "sources.yaml")],
            cwd=tmp_path, env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for(lambda: receiver.requests, timeout=30, what="the first send to reach the receiver")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        receiver.release.set()
        rows = alert_rows(db)
        assert [r["status"] for r in rows] == ["sending", "pending", "pending"]
        # the crashed claim is not stolen while its lease runs ...
        assert deliver_pending(db, config).sent == 2
        assert alert_rows(db)[0]["status"] == "sending"
        # ... and is re-sent once the lease has expired
        later = deliver_pending(db, config, now=_now() + dt.timedelta(minutes=6))
        assert later.sent == 1
        assert [r["status"] for r in alert_rows(db)] == ["sent", "sent", "sent"]
        keys = receiver.keys()
        counts = {k: keys.count(k) for k in set(keys)}
        # documented bound: at most one extra copy per crash, only for the alert that was in flight
        assert counts == {"claimwatch-alert-1": 2, "claimwatch-alert-2": 1, "claimwatch-alert-3": 1}
        assert len(set(keys)) == 3  # deduped by the idempotency key, every alert arrived
    finally:
        receiver.stop()


def test_cli_test_retry_and_listing(tmp_path, receiver):
    config = write_config(tmp_path, [{"name": "hook", "url": receiver.url()}])
    db = make_db(tmp_path, config)
    add_changes(db, config, "semax-wiki", [dosage_change()])
    args = ["--db", str(tmp_path / "history.db"), "--config", str(tmp_path / "sources.yaml")]
    runner = CliRunner()
    out = runner.invoke(cli, ["alerts", "test", "hook", *args])
    assert out.exit_code == 0, out.output
    assert "test message sent through hook" in out.output
    assert receiver.requests[-1].body["title"] == "claimwatch: test message for channel hook"
    assert [r["event"] for r in alert_rows(db, status="sent")] == ["test"]
    bad = runner.invoke(cli, ["alerts", "test", "nope", *args])
    assert bad.exit_code == 2 and "no alert channel named 'nope' (defined: hook)" in bad.output
    receiver.status = 503
    assert runner.invoke(cli, ["alerts", "deliver", *args]).exit_code == 1
    failed = alert_rows(db, status="failed")
    assert len(failed) == 1 and failed[0]["next_attempt_at"] > failed[0]["created_at"]
    receiver.status = 200
    retried = runner.invoke(cli, ["alerts", "retry", str(failed[0]["id"]), *args])
    assert retried.exit_code == 0 and "sent 1" in retried.output
    listing = runner.invoke(cli, ["alerts", "--status", "sent", "--db", args[1]])
    assert "dosage" in listing.output and "test" in listing.output
    again = runner.invoke(cli, ["alerts", "retry", str(failed[0]["id"]), *args])
    assert again.exit_code == 2 and "already sent" in again.output
