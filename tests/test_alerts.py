"""Alert routing, message rendering, secret masking and scheduling rules (no network here)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.alerts import (AlertError, AlertItem, Backoff, Masker, enqueue_source_event, expand_url,
                            in_quiet_hours, mask_url, render_message)
from monitor.alerts.messages import HTML, MARKDOWN, TEXT
from monitor.store import transaction
from test_alerts_support import (add_changes, alert_rows, dosage_change, legality_change, make_db,
                                 write_config)

HOSTILE = "Take <script>alert(1)</script> and {{ 7*7 }} {0} %s *bold* [x](y) 0.5 mg"


def _channels(**extra):
    return [{"name": "dosing", "url": "json://127.0.0.1:9/a", "categories": ["dosage"]},
            {"name": "legal", "url": "json://127.0.0.1:9/b", "categories": ["legality"], **extra}]


def test_category_filter_routes_legality_to_one_channel_only(tmp_path):
    config = write_config(tmp_path, _channels())
    db = make_db(tmp_path, config)
    add_changes(db, config, "semax-wiki", [legality_change(), dosage_change()])
    routed = {(r["channel"], r["change_id"]) for r in alert_rows(db)}
    legal_id, dosage_id = 1, 2
    assert routed == {("legal", legal_id), ("dosing", dosage_id)}


def test_min_severity_filter(tmp_path):
    config = write_config(tmp_path, [{"name": "pager", "url": "json://127.0.0.1:9/p", "min_severity": "high"},
                                     {"name": "all", "url": "json://127.0.0.1:9/a"}])
    db = make_db(tmp_path, config)
    add_changes(db, config, "semax-wiki", [dosage_change(severity="medium")])
    assert [r["channel"] for r in alert_rows(db)] == ["all"]


def test_source_overrides_restrict_channels_categories_and_severity(tmp_path):
    extra = """    alerts:
      channels: [legal]
      min_severity: medium
  - id: strict
    name: Strict source
    url: https://strict.example.org/
    alerts:
      categories: [dosage]"""
    config = write_config(tmp_path, [{"name": "legal", "url": "json://127.0.0.1:9/b"},
                                     {"name": "other", "url": "json://127.0.0.1:9/c"}], source_extra=extra)
    db = make_db(tmp_path, config)
    # 'shop' (the source the override is attached to) only goes to 'legal' and only medium+.
    add_changes(db, config, "shop", [legality_change(severity="low"), dosage_change(severity="high")])
    assert [(r["channel"], r["change_id"]) for r in alert_rows(db, source_id="shop")] == [("legal", 2)]
    # 'strict' takes dosage only, on every channel.
    add_changes(db, config, "strict", [legality_change(), dosage_change(key="dosage:oral:dose")], version=5)
    assert {r["channel"] for r in alert_rows(db, source_id="strict")} == {"legal", "other"}
    assert {r["change_id"] for r in alert_rows(db, source_id="strict")} == {4}


def test_only_active_material_changes_are_queued_and_enqueue_is_idempotent(tmp_path):
    from monitor.alerts import enqueue_changes

    config = write_config(tmp_path, [{"name": "all", "url": "json://127.0.0.1:9/a"}])
    db = make_db(tmp_path, config)
    held = add_changes(db, config, "semax-wiki", [dosage_change()], status="held")
    assert held and alert_rows(db) == []
    ids = add_changes(db, config, "semax-wiki", [legality_change()], version=3)
    assert len(alert_rows(db)) == 1
    with transaction(db):
        assert enqueue_changes(db, config, config.source("semax-wiki"), ids) == 0
    assert len(alert_rows(db)) == 1


def test_source_event_goes_to_the_sources_channels_with_detail(tmp_path):
    config = write_config(tmp_path, _channels())
    db = make_db(tmp_path, config)
    with transaction(db):
        n = enqueue_source_event(db, config, config.source("shop"), "broken",
                                 "3 failures in a row: timeout fetching https://u:pw@shop.example.org/x")
    rows = alert_rows(db)
    assert n == 2 and {r["channel"] for r in rows} == {"dosing", "legal"}
    assert all(r["event"] == "broken" and r["change_id"] is None for r in rows)
    assert "timeout" in rows[0]["detail"] and "pw@" not in rows[0]["detail"]
    with pytest.raises(ValueError):
        enqueue_source_event(db, config, config.source("shop"), "exploded", "")


def _item(**kw) -> AlertItem:
    change = {"id": 7, "category": "dosage", "kind": "changed", "severity": "high",
              "summary": "dosage (intranasal): 0.3–0.6 mg → 0.2–0.9 mg per dose",
              "old_text": "Use 0.3–0.6 mg.", "new_text": HOSTILE, "from_version": 1, "to_version": 2,
              "detected_at": "2024-05-01T10:00:00+00:00"}
    base = dict(alert_id=42, event="change", channel="c", source_id="semax-wiki", source_name="Semax wiki",
                source_url="https://semax.example.org/wiki", change=change, detail=None,
                created_at="2024-05-01T10:00:00+00:00")
    return AlertItem(**{**base, **kw})


def test_message_carries_everything_and_page_text_is_never_a_template():
    msg = render_message([_item()], base_url="https://data.example.org/")
    assert HOSTILE in msg.text  # literal: no format/template evaluation
    assert "49" not in msg.text
    for needle in ("Semax wiki", "https://semax.example.org/wiki", "dosage", "high",
                   "0.3–0.6 mg → 0.2–0.9 mg per dose", "Use 0.3–0.6 mg.", "2024-05-01T10:00:00",
                   "https://data.example.org/-/claimwatch/change/7",
                   "https://data.example.org/history/versions?source_id=semax-wiki", "claimwatch-alert-42"):
        assert needle in msg.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in msg.html and "<script>" not in msg.html
    assert "{{ 7*7 }}" in msg.html
    assert r"\<script\>alert\(1\)\</script\>" in msg.markdown and r"\*bold\*" in msg.markdown
    assert msg.key == "claimwatch-alert-42"
    assert msg.title == "claimwatch: dosage changed on Semax wiki (high)"


def test_message_without_base_url_has_no_datasette_links():
    msg = render_message([_item()])
    assert "/-/claimwatch/change/" not in msg.text and "history/versions" not in msg.text


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=80))
def test_any_page_text_survives_text_and_html_rendering(sentence):
    import html as html_mod

    msg = render_message([_item(change={**_item().change, "new_text": sentence})])
    kept = "".join(ch for ch in sentence if not (ord(ch) < 32 and ch not in "\t\n\r") and ord(ch) != 127)
    assert kept in msg.text
    # the HTML body never contains a raw tag opener coming from page text
    body = msg.html.split("<b>After:</b> ", 1)[1].split("<br>Detected", 1)[0] if sentence else ""
    assert "<" not in body.replace("<br>", "")
    assert html_mod.unescape(body.replace("<br>", "\n")) == kept


def test_digest_message_lists_every_alert_key():
    items = [_item(alert_id=i, source_id=f"s{i % 2}") for i in (3, 4, 5)]
    msg = render_message(items)
    assert all(f"claimwatch-alert-{i}" in msg.text for i in (3, 4, 5))
    assert msg.title == "claimwatch digest: 3 changes on 2 sources"
    assert msg.key == "claimwatch-digest-3-4-5"
    for fmt in (TEXT, MARKDOWN, HTML):
        assert msg.body(fmt).count("claimwatch-alert-") == 3


@pytest.mark.parametrize("url, hidden, shown", [
    ("mailtos://me:hunter22@smtp.example.org?to=a@example.org", ["hunter22"], ["me:****@smtp.example.org"]),
    ("json://h.example.org/hook?token=abc123&x=1", ["abc123"], ["token=****", "x=1"]),
    ("json://h.example.org/p?apikey=zz9&API_KEY=yy8&password=pp7&+X-Auth=qq6", ["zz9", "yy8", "pp7", "qq6"], []),
    ("slack://T1234ABCDE56/B9876ZYXWV54/aBcD1234eFgH5678iJkL", ["aBcD1234eFgH5678iJkL"], ["slack://"]),
    ("mailto://me:${SMTP_PASS}@smtp.example.org", [], ["${SMTP_PASS}"]),
])
def test_mask_url(url, hidden, shown):
    masked = mask_url(url)
    for h in hidden:
        assert h not in masked
    for s in shown:
        assert s in masked


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FF), min_size=6, max_size=30)
       .filter(lambda s: "*" not in s))
def test_masker_removes_secret_and_its_encoded_forms(secret):
    masker = Masker([secret])
    text = (f"failed: json://u:{secret}@h/p/{quote(secret, safe='')}?token={quote(secret)} "
            f"reason {secret!s} tail")
    assert secret not in masker(text)
    assert quote(secret, safe="") not in masker(text)


def test_expand_url_names_the_missing_variable_and_the_channel():
    with pytest.raises(AlertError) as err:
        expand_url("json://h/${CW_NOT_SET_ANYWHERE}", "hook", environ={})
    assert "CW_NOT_SET_ANYWHERE" in str(err.value) and "'hook'" in str(err.value)
    out = expand_url("json://u:${A}@h/${B}", "hook", environ={"A": "s3cret-a", "B": "s3cret-b"})
    assert out.url == "json://u:s3cret-a@h/s3cret-b" and out.secrets == ("s3cret-a", "s3cret-b")


@pytest.mark.parametrize("spec, hhmm, quiet", [
    ("22:00-07:00", "23:30", True), ("22:00-07:00", "03:00", True), ("22:00-07:00", "07:00", False),
    ("22:00-07:00", "12:00", False), ("09:00-17:00", "09:00", True), ("09:00-17:00", "17:00", False),
    (None, "03:00", False), ("08:00-08:00", "08:00", False),
])
def test_quiet_hours(spec, hhmm, quiet):
    h, m = map(int, hhmm.split(":"))
    assert in_quiet_hours(spec, dt.datetime(2024, 1, 1, h, m)) is quiet


def test_backoff_grows_exponentially_and_is_capped():
    b = Backoff(base=30, factor=2, cap=3600)
    assert [b.delay(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert b.delay(20) == 3600


def test_one_sentence_naming_two_side_effects_is_one_alert_listing_both(tmp_path):
    from monitor.alerts.messages import render_message
    from monitor.alerts.outbox import _items
    from monitor.alerts.payload import alert_document
    from monitor.claims import extract_claims
    from monitor.diff import diff_claims

    before = extract_claims("Semax is well tolerated. Take 300 mcg daily.")
    after = extract_claims("Semax is well tolerated. Some users report headache and nausea after dosing. "
                           "Take 600 mcg daily.")
    changes = diff_claims(before, after)
    assert sorted(c.key for c in changes) == ["dosage:unspecified:amount:day", "safety:effect:headache",
                                              "safety:effect:nausea"]
    config = write_config(tmp_path, [{"name": "all", "url": "json://127.0.0.1:9/a"}])
    db = make_db(tmp_path, config)
    add_changes(db, config, "semax-wiki", changes)
    rows = alert_rows(db)
    assert len(rows) == 2  # the side-effect sentence, and the dose sentence
    items = _items(db, config, rows)
    grouped = next(i for i in items if i.group)
    assert sorted(c["key"] for c in grouped.changes) == ["safety:effect:headache", "safety:effect:nausea"]
    text = render_message([grouped]).text
    assert "headache" in text and "nausea" in text and "2 facts of one statement" in text
    assert [c["key"] for c in alert_document(grouped, None)["changes"]] == ["safety:effect:headache",
                                                                           "safety:effect:nausea"]
