"""The native ``webhook:`` channel: documented JSON, HMAC signature, severity → notify type.

Every delivery goes to a real HTTP receiver on 127.0.0.1 and every body is validated against
``monitor/alerts/webhook.schema.json`` with jsonschema, so the schema file cannot drift from
what is sent.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from monitor import store
from monitor.alerts import deliver_pending, enqueue_test
from monitor.alerts.payload import SCHEMA_PATH, load_schema
from monitor.alerts.send import SIGNATURE_HEADER, sign, verify
from monitor.cli import cli
from monitor.config import parse_config
from monitor.errors import ConfigError
from fixture_site import BASE_ARTICLE, FixtureSite, page, write_config as write_site_config
from test_alerts_support import (Receiver, add_changes, alert_rows, dosage_change, legality_change, make_db,
                                 write_config)

VALIDATOR = jsonschema.Draft202012Validator(load_schema(), format_checker=jsonschema.FormatChecker())


def assert_valid(body: dict) -> None:
    errors = sorted(VALIDATOR.iter_errors(body), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


def test_the_schema_file_is_a_valid_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def test_dose_change_from_a_real_check_reaches_the_webhook_documented_and_signed(tmp_path, receiver, monkeypatch):
    """The issue's 'done when': monitor check → dose change → signed JSON on 127.0.0.1."""
    secret = "whsec-" + secrets.token_hex(16)
    monkeypatch.setenv("CW_HOOK_SECRET", secret)
    with FixtureSite() as site:
        site.set("/semax", page(BASE_ARTICLE))
        extra = (f"settings:\n  base_url: http://127.0.0.1:8001\nalerts:\n  - name: hook\n"
                 f"    webhook: {receiver.http('/claimwatch')}\n    secret: ${{CW_HOOK_SECRET}}\n")
        cfg_path = write_site_config(tmp_path / "sources.yaml", [
            {"id": "semax-blog", "name": "Semax blog", "url": site.url("/semax"), "allow_private": True,
             "respect_robots": False}], extra=extra)
        db_path = tmp_path / "snap" / "history.db"
        args = ["check", "--source", "semax-blog", "--config", str(cfg_path), "--db", str(db_path)]
        runner = CliRunner()
        first = runner.invoke(cli, args)
        assert first.exit_code == 0, first.output
        assert receiver.requests == []  # a first version never alerts
        site.set("/semax", page(BASE_ARTICLE.replace("300mcg to 600mcg", "3mg to 6mg")))
        second = runner.invoke(cli, args)
    assert second.exit_code == 0, second.output
    # check prints the change under its source
    assert "semax-blog v1 → v2" in second.output
    assert "~ [high] dosage (unspecified route): 0.3–0.6 mg per day → 3–6 mg per day" in second.output
    (req,) = receiver.requests
    assert req.path == "/claimwatch"
    assert req.headers["Content-Type"].startswith("application/json")
    assert verify(secret, req.raw, req.headers[SIGNATURE_HEADER])
    assert req.headers[SIGNATURE_HEADER] == sign(secret, req.raw)
    assert not verify(secret, req.raw + b" ", req.headers[SIGNATURE_HEADER])  # any change breaks it
    body = json.loads(req.raw)
    assert_valid(body)
    db = store.open_db(db_path)
    try:
        change = db.execute("SELECT id FROM changes WHERE category = 'dosage'").fetchone()[0]
        fetched = db.execute("SELECT first_seen FROM versions WHERE number = 2").fetchone()[0]
    finally:
        db.close()
    assert body["event"] == "change" and body["severity"] == "high"
    assert body["source"] == {"id": "semax-blog", "name": "Semax blog", "url": site.url("/semax"),
                              "history": "http://127.0.0.1:8001/history/versions?source_id=semax-blog"}
    assert body["versions"] == {"from": 1, "to": 2, "fetched_at": fetched}
    (ch,) = body["changes"]
    assert {k: ch[k] for k in ("category", "kind", "severity", "key")} == {
        "category": "dosage", "kind": "changed", "severity": "high", "key": "dosage:unspecified:amount:day"}
    assert ch["summary"] == "dosage (unspecified route): 0.3–0.6 mg per day → 3–6 mg per day"
    assert ch["old"]["value"]["min_mg"] == pytest.approx(0.3) and ch["new"]["value"]["max_mg"] == pytest.approx(6.0)
    assert "300mcg to 600mcg" in ch["old"]["text"] and "3mg to 6mg" in ch["new"]["text"]
    assert ch["link"] == f"http://127.0.0.1:8001/-/claimwatch/change/{change}"
    assert body["idempotency_key"] == req.headers["X-Claimwatch-Idempotency-Key"] == body["alert_keys"][0]
    # the HMAC key is nowhere in the DB, its WAL or the output
    for blob in (p.read_bytes() for p in db_path.parent.glob("history.db*")):
        assert secret.encode() not in blob
    assert secret not in first.output + second.output


def test_unsigned_webhook_sends_no_signature_header(tmp_path, receiver):
    config = write_config(tmp_path, [{"name": "hook", "webhook": receiver.http()}])
    db = make_db(tmp_path, config)
    add_changes(db, config, "semax-wiki", [dosage_change()])
    assert deliver_pending(db, config).sent == 1
    (req,) = receiver.requests
    assert SIGNATURE_HEADER not in req.headers
    assert_valid(req.body)
    assert req.body["source"]["id"] == "semax-wiki" and req.body["versions"]["fetched_at"] is None


def test_digest_broken_and_test_events_match_the_schema(tmp_path, receiver):
    config = write_config(tmp_path, [{"name": "hook", "webhook": receiver.http(), "digest": "pass"}])
    db = make_db(tmp_path, config)
    add_changes(db, config, "semax-wiki", [dosage_change(), legality_change(severity="medium")])
    add_changes(db, config, "shop", [dosage_change(key="dosage:oral:dose", severity="low")], version=4)
    from monitor.alerts import enqueue_source_event

    with store.transaction(db):
        enqueue_source_event(db, config, config.source("shop"), "broken", "3 failed fetches in a row")
    assert deliver_pending(db, config).messages == 1
    enqueue_test(db, config.channels[0])
    assert deliver_pending(db, config).sent == 1
    digest, test = (r.body for r in receiver.requests)
    for body in (digest, test):
        assert_valid(body)
    assert digest["event"] == "digest" and digest["severity"] == "high"
    assert [a["event"] for a in digest["alerts"]] == ["change", "change", "change", "broken"]
    assert digest["alert_keys"] == [a["idempotency_key"] for a in digest["alerts"]]
    assert digest["idempotency_key"] == "claimwatch-digest-1-2-3-4"
    assert {a["source"]["id"] for a in digest["alerts"]} == {"semax-wiki", "shop"}
    broken = digest["alerts"][3]
    assert broken["changes"] == [] and broken["versions"] is None and "3 failed" in broken["detail"]
    assert test["event"] == "test" and test["source"] is None and test["changes"] == []


def test_schema_rejects_what_receivers_must_not_see():
    good = {"schema_version": 1, "event": "test", "idempotency_key": "claimwatch-alert-1",
            "detected_at": "2026-03-03T10:00:00+00:00", "severity": None, "source": None, "versions": None,
            "changes": [], "detail": "hi", "alert_keys": ["claimwatch-alert-1"], "title": "t", "text": "x"}
    assert_valid(good)
    for bad in ({**good, "event": "change"},  # a change event needs its change
                {**good, "surprise": 1},  # no undocumented field
                {**good, "idempotency_key": "42"}):
        assert list(VALIDATOR.iter_errors(bad)), bad


def test_failing_webhook_is_retried_and_its_error_masks_the_token(tmp_path, receiver, monkeypatch, caplog):
    import logging

    caplog.set_level(logging.DEBUG)  # httpx logs each request URL: the token must not be in it
    token = "tok" + secrets.token_hex(10)
    key = "key" + secrets.token_hex(10)
    monkeypatch.setenv("CW_HOOK_TOKEN", token)
    monkeypatch.setenv("CW_HOOK_KEY", key)
    receiver.status = 500
    receiver.reply_body = f"no thanks, {token}".encode()
    config = write_config(tmp_path, [{"name": "hook", "webhook": receiver.http("/in/${CW_HOOK_TOKEN}"),
                                      "secret": "${CW_HOOK_KEY}"}])
    db = make_db(tmp_path, config)
    add_changes(db, config, "semax-wiki", [dosage_change()])
    report = deliver_pending(db, config)
    assert report.failed == 1
    row = alert_rows(db)[0]
    assert row["status"] == "failed" and "HTTP 500" in row["last_error"]
    assert token not in row["last_error"] and receiver.requests[0].path == f"/in/{token}"
    receiver.status = 200
    assert deliver_pending(db, config, force=True).sent == 1
    db.conn.close()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "127.0.0.1" in logged  # httpx did log the request ...
    assert token not in logged and key not in logged  # ... masked
    for blob in (p.read_bytes() for p in tmp_path.glob("history.db*")):
        assert token.encode() not in blob and key.encode() not in blob


def test_redirect_is_not_followed(tmp_path, receiver):
    receiver.status = 307
    receiver.reply_headers = {"Location": "http://127.0.0.1:9/elsewhere"}
    config = write_config(tmp_path, [{"name": "hook", "webhook": receiver.http()}])
    db = make_db(tmp_path, config)
    add_changes(db, config, "semax-wiki", [dosage_change()])
    assert deliver_pending(db, config).failed == 1
    assert "not followed" in alert_rows(db)[0]["last_error"] and len(receiver.requests) == 1


@pytest.mark.parametrize("severity, notify", [("high", "failure"), ("medium", "warning"), ("low", "info")])
def test_apprise_notify_type_follows_severity(tmp_path, receiver, severity, notify):
    config = write_config(tmp_path, [{"name": "json", "url": receiver.url()}])
    db = make_db(tmp_path, config)
    add_changes(db, config, "semax-wiki", [dosage_change(severity=severity)])
    assert deliver_pending(db, config).sent == 1
    assert receiver.requests[0].body["type"] == notify


SOURCES = "sources:\n  - id: a\n    url: https://example.org/a\nalerts:\n  - name: hook\n"


@pytest.mark.parametrize("channel, message", [
    ("    webhook: https://h.example.org/x\n    url: json://h.example.org/x\n",
     "sources.yaml:6: alerts[0].webhook: give either url (Apprise) or webhook, not both"),
    ("    categories: [dosage]\n", "sources.yaml:5: alerts[0].url: required key is missing"),
    ("    webhook: ftp://h.example.org/x\n", "sources.yaml:6: alerts[0].webhook: expected an http(s) URL"),
    ("    url: json://h.example.org/x\n    secret: ${S}\n",
     "sources.yaml:7: alerts[0].secret: only a webhook channel is signed"),
])
def test_webhook_config_errors(channel, message):
    with pytest.raises(ConfigError) as err:
        parse_config(SOURCES + channel, "sources.yaml")
    assert str(err.value).startswith(message), str(err.value)


def test_a_literal_secret_is_refused_without_being_echoed():
    literal = "sk_live_" + secrets.token_hex(8)
    with pytest.raises(ConfigError) as err:
        parse_config(SOURCES + f"    webhook: https://h.example.org/x\n    secret: {literal}\n", "sources.yaml")
    assert "alerts[0].secret: expected an environment variable reference" in str(err.value)
    assert literal not in str(err.value)
    ok = parse_config(SOURCES + "    webhook: https://h.example.org/${T}\n    secret: ${S}\n", "sources.yaml")
    assert (ok.channels[0].kind, ok.channels[0].secret) == ("webhook", "${S}")


def test_the_commented_channels_in_the_repo_sources_yaml_parse_when_uncommented():
    text = (Path(__file__).parent.parent / "sources.yaml").read_text(encoding="utf-8")
    head, _, tail = text.partition("# alerts:\n")
    channels = "alerts:\n" + "".join(line[2:] + "\n" for line in tail.splitlines() if line.startswith("#   "))
    config = parse_config(head + channels, "sources.yaml")
    assert [(c.name, c.kind) for c in config.channels] == [("team-mail", "apprise"), ("hook", "webhook")]
