"""The README's alert recipes, delivered to real receivers on 127.0.0.1.

The channels are read from the README's ``### Recipes`` YAML block, so a recipe cannot be
edited into something that does not work. Only addresses are swapped for local ones: the SMTP
relay's host/port, ntfy's host (and https → http, the local receiver has no TLS), the webhook
URL; Slack's and Discord's fixed service URLs are pointed at the local receiver by patching the
Apprise plugin's base URL. Tokens come from the environment exactly as the recipe says.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from pathlib import Path

import pytest
import yaml

from monitor.alerts import deliver_pending
from monitor.config import load_config
from test_alerts_support import Receiver, SMTPSink, add_changes, dosage_change, make_db, wait_for
from test_alerts_webhook import assert_valid

README = Path(__file__).parent.parent / "README.md"


def _block(marker: str, lang: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(marker)
    fence = text.index("```" + lang + "\n", start) + 4 + len(lang)
    return text[fence:text.index("```", fence)]


def recipes() -> dict[str, dict]:
    return {c["name"]: c for c in yaml.safe_load(_block("### Recipes", "yaml"))["alerts"]}


SUMMARY = "dosage (intranasal): 0.3–0.6 mg → 0.2–0.9 mg per dose"


def test_the_readme_has_the_five_recipes():
    r = recipes()
    assert set(r) == {"team-mail", "phone", "slack", "discord", "hook"}
    assert r["team-mail"]["url"].startswith("mailto://") and r["hook"]["webhook"].startswith("https://")


@pytest.fixture()
def world(tmp_path, monkeypatch):
    """The recipes' channels rewritten to local receivers, with the env vars they name."""
    from apprise.plugins.discord import NotifyDiscord
    from apprise.plugins.slack import NotifySlack

    http = Receiver(reply_body=b"ok").start()  # what Slack's incoming webhooks answer; the others ignore it
    smtp = SMTPSink().__enter__()
    topic, hook_secret = "claimwatch-" + secrets.token_hex(4), secrets.token_hex(16)
    env = {"NTFY_TOPIC": topic, "SLACK_WEBHOOK": "T0AAAAAAA/B0BBBBBBB/" + secrets.token_hex(12),
           "DISCORD_WEBHOOK": "123456789012345678/" + secrets.token_hex(16), "CLAIMWATCH_HOOK_SECRET": hook_secret}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(NotifySlack, "webhook_url", http.http("/services"))
    monkeypatch.setattr(NotifyDiscord, "notify_url", http.http("/api/webhooks"))
    local = f"127.0.0.1:{http.port}"
    channels = recipes()
    channels["team-mail"]["url"] = channels["team-mail"]["url"].replace("localhost:25", f"127.0.0.1:{smtp.port}")
    channels["phone"]["url"] = re.sub(r"^ntfys://[^/]+", f"ntfy://{local}", channels["phone"]["url"])
    channels["hook"]["webhook"] = http.http("/claimwatch")
    doc = {"sources": [{"id": "semax-wiki", "name": "Semax wiki page", "url": "https://semax.example.org/wiki"}],
           "settings": {"base_url": "https://data.example.org"}, "alerts": list(channels.values())}
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    config = load_config(path)
    db = make_db(tmp_path, config)
    yield {"config": config, "db": db, "http": http, "smtp": smtp, "env": env}
    http.stop()
    smtp.__exit__(None, None, None)


def _by_path(world: dict, prefix: str) -> list:
    return [r for r in world["http"].requests if r.path.startswith(prefix)]


def test_every_recipe_delivers_a_dose_change(world):
    config, db = world["config"], world["db"]
    assert {c.name: c.kind for c in config.channels}["hook"] == "webhook"
    add_changes(db, config, "semax-wiki", [dosage_change()])
    report = deliver_pending(db, config)
    assert (report.sent, report.failed, report.dead) == (5, 0, 0), report.errors
    # mail through the relay
    mail = wait_for(lambda: world["smtp"].messages, what="mail")[0]
    assert mail["To"] == "team@example.org" and "dosage changed" in mail["Subject"]
    assert SUMMARY in mail.get_body(("plain",)).get_content()
    # ntfy: JSON to the server root, topic from the environment
    (ntfy,) = [r for r in world["http"].requests if r.body.get("topic")]
    assert ntfy.body["topic"] == world["env"]["NTFY_TOPIC"] and SUMMARY in ntfy.body["message"]
    # Slack: posted to the incoming-webhook path built from SLACK_WEBHOOK
    (slack,) = _by_path(world, "/services/")
    assert slack.path == "/services/" + world["env"]["SLACK_WEBHOOK"]
    assert SUMMARY in str(slack.body)
    assert "*Before:* The usual" in slack.body["attachments"][0]["text"]  # Slack mrkdwn bold, not literal **
    from apprise import NotifyType
    from apprise.plugins.discord import NotifyDiscord

    failure = NotifyDiscord(webhook_id="1", webhook_token="t")  # any plugin: the colour theme is shared
    assert [a["color"] for a in slack.body["attachments"]] == [failure.color(NotifyType.FAILURE)]
    # Discord: ID/TOKEN path; the embed colour is the failure colour (high severity)
    (discord,) = _by_path(world, "/api/webhooks/")
    assert discord.path == "/api/webhooks/" + world["env"]["DISCORD_WEBHOOK"]
    (embed,) = discord.body["embeds"]  # Markdown text is escaped: look for a piece without specials
    assert "0.2–0.9 mg per dose" in embed["description"]
    assert embed["color"] == failure.color(NotifyType.FAILURE, int)
    # the webhook: documented JSON, signature verified with the README's own snippet
    (hook,) = _by_path(world, "/claimwatch")
    assert_valid(hook.body)
    scope: dict = {}
    exec(_block("A receiver verifies it before parsing", "python"), scope)  # noqa: S102 - our README
    secret = world["env"]["CLAIMWATCH_HOOK_SECRET"].encode()
    assert scope["verify"](secret, hook.raw, hook.headers["X-Claimwatch-Signature"])
    assert not scope["verify"](b"wrong", hook.raw, hook.headers["X-Claimwatch-Signature"])
    assert hook.headers["X-Claimwatch-Signature"] == "sha256=" + hmac.new(secret, hook.raw, hashlib.sha256).hexdigest()


def test_recipe_filters_apply(world):
    """min_severity on the mail recipe and categories on the phone recipe hold back what they should."""
    from test_alerts_support import legality_change

    config, db = world["config"], world["db"]
    add_changes(db, config, "semax-wiki", [dosage_change(severity="low")])
    add_changes(db, config, "semax-wiki", [legality_change(severity="high")], version=3)
    deliver_pending(db, config)
    assert world["smtp"].messages and all("legality" in m["Subject"] for m in world["smtp"].messages)
    ntfy = [r for r in world["http"].requests if r.body.get("topic")]
    assert len(ntfy) == 2  # dosage and legality are both in the phone recipe's categories
