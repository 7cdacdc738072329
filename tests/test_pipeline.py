"""``monitor check`` end to end against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monitor import store
from monitor.config import load_config
from monitor.pipeline import run_pass
from monitor.snapshots import SnapshotStore
from fixture_site import BASE_ARTICLE, FixtureSite, page, write_config


@pytest.fixture()
def site():
    with FixtureSite() as s:
        yield s


def _setup(tmp_path: Path, site: FixtureSite, n: int = 1, **extra: object):
    sources = []
    for i in range(n):
        path = f"/semax-{i}"
        site.set(path, page(BASE_ARTICLE))
        sources.append({"id": f"s{i}", "url": site.url(path), "allow_private": True, "respect_robots": False,
                        **extra})
    cfg = load_config(write_config(tmp_path / "sources.yaml", sources))
    return cfg, tmp_path / "snap" / "history.db"


def _versions(db_path: Path, source: str = "s0") -> list[dict]:
    db = store.open_db(db_path)
    try:
        return list(db.query("SELECT * FROM versions WHERE source_id = ? ORDER BY number", [source]))
    finally:
        db.close()


def _outcomes(db_path: Path) -> list[str]:
    db = store.open_db(db_path)
    try:
        return [r["outcome"] for r in db.query("SELECT outcome FROM fetches ORDER BY id")]
    finally:
        db.close()


def test_first_fetch_creates_version_1_with_claims_and_snapshot(tmp_path, site):
    cfg, db_path = _setup(tmp_path, site)
    report = run_pass(db_path, cfg, ["s0"])
    assert [r.outcome for r in report.results] == ["new_version"]
    versions = _versions(db_path)
    assert [v["number"] for v in versions] == [1]
    v = versions[0]
    assert "300mcg to 600mcg" in v["text"]
    assert "cookies" not in v["text"] and "Selank 5 mg" not in v["text"] and "Privacy" not in v["text"]
    assert v["claim_count"] > 0
    body = SnapshotStore(db_path.parent).get(v["body_hash"])
    assert b"300mcg to 600mcg" in body
    db = store.open_db(db_path)
    cats = {r["category"] for r in db.query("SELECT category FROM claims")}
    assert "dosage" in cats and "legality" in cats
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_identical_refetch_is_unchanged(tmp_path, site):
    cfg, db_path = _setup(tmp_path, site)
    run_pass(db_path, cfg, ["s0"])
    report = run_pass(db_path, cfg, ["s0"])
    assert report.results[0].outcome == "unchanged"
    assert len(_versions(db_path)) == 1
    assert _outcomes(db_path) == ["new_version", "unchanged"]


def test_304_is_honoured(tmp_path, site):
    cfg, db_path = _setup(tmp_path, site)
    site.set("/semax-0", page(BASE_ARTICLE), etag='"v1"')
    run_pass(db_path, cfg, ["s0"])
    report = run_pass(db_path, cfg, ["s0"])
    assert report.results[0].outcome == "not_modified"
    assert len(_versions(db_path)) == 1


def test_template_only_change_makes_no_new_version(tmp_path, site):
    cfg, db_path = _setup(tmp_path, site)
    run_pass(db_path, cfg, ["s0"])
    site.set("/semax-0", page(BASE_ARTICLE, updated="April 9, 2026", views=98_765, nonce="zz99",
                              price="$44.50", menu_extra='<a href="/sale">Sale!</a>'))
    report = run_pass(db_path, cfg, ["s0"])
    assert report.results[0].outcome == "unchanged"
    assert len(_versions(db_path)) == 1
    db = store.open_db(db_path)
    bodies = {r["body_hash"] for r in db.query("SELECT body_hash FROM fetches")}
    assert len(bodies) == 2, "both raw bodies are archived even when the text is the same"


def test_real_text_change_makes_version_2_and_a_dosage_change(tmp_path, site):
    cfg, db_path = _setup(tmp_path, site)
    run_pass(db_path, cfg, ["s0"])
    site.set("/semax-0", page(BASE_ARTICLE.replace("300mcg to 600mcg", "3mg to 6mg")))
    report = run_pass(db_path, cfg, ["s0"])
    assert report.results[0].outcome == "new_version" and report.results[0].version == 2
    db = store.open_db(db_path)
    changes = list(db.query("SELECT * FROM changes"))
    dosage = [c for c in changes if c["category"] == "dosage"]
    assert len(dosage) == 1 and dosage[0]["kind"] == "changed" and dosage[0]["severity"] == "high"
    assert json.loads(dosage[0]["new_value"])["max_mg"] == pytest.approx(6.0)
    assert "0.3–0.6 mg" in dosage[0]["summary"] and "3–6 mg" in dosage[0]["summary"]
    # idempotent: recording the same diff again inserts nothing
    from monitor.diff import diff_claims

    old = store.version_claims(db, _versions(db_path)[0]["id"])
    new = store.version_claims(db, _versions(db_path)[1]["id"])
    assert store.insert_changes(db, "s0", 1, 2, diff_claims(old, new)) == []


def test_same_dose_in_other_units_is_silent(tmp_path, site):
    cfg, db_path = _setup(tmp_path, site)
    run_pass(db_path, cfg, ["s0"])
    site.set("/semax-0", page(BASE_ARTICLE.replace("300mcg to 600mcg", "0.3 mg to 0.6 mg")))
    report = run_pass(db_path, cfg, ["s0"])
    assert report.results[0].outcome == "new_version"
    assert report.results[0].changes == 0


def test_an_extractor_upgrade_alone_never_alerts(tmp_path, site):
    """Claims stored by an older extractor (another value vocabulary) are read again from the
    stored text before the next version is compared with them."""
    cfg, db_path = _setup(tmp_path, site)
    run_pass(db_path, cfg, ["s0"])
    db = store.open_db(db_path)
    (v1,) = _versions(db_path)
    # what an older extractor wrote: old field names, and one claim that is now a limit
    cur = db.conn.execute("UPDATE claims SET value = ?, key = 'dosage:intranasal:drops' WHERE version_id = ? AND category = 'dosage' "
                    "AND value LIKE '%count_min%'", [json.dumps({"drops_min": 9, "drops_max": 9, "route": "intranasal"}), v1["id"]])
    assert cur.rowcount >= 1
    db["versions"].update(v1["id"], {"extractor_version": "9"})
    db.conn.commit()
    db.close()
    site.set("/semax-0", page(BASE_ARTICLE + "<p>Store in a cool place.</p>"))
    report = run_pass(db_path, cfg, ["s0"])
    assert report.results[0].outcome == "new_version"
    assert report.results[0].changes == 0


def test_error_page_is_a_failed_fetch_not_all_claims_removed(tmp_path, site):
    cfg, db_path = _setup(tmp_path, site)
    run_pass(db_path, cfg, ["s0"])
    site.set("/semax-0", "<html><head><title>Just a moment...</title></head><body><main><p>Checking your "
                         "browser before accessing the site. Please enable JavaScript and cookies.</p></main></body></html>")
    report = run_pass(db_path, cfg, ["s0"])
    assert report.results[0].outcome == "blocked"
    assert len(_versions(db_path)) == 1
    db = store.open_db(db_path)
    assert db["changes"].count == 0


def test_large_removal_is_held_until_confirmed(tmp_path, site):
    cfg, db_path = _setup(tmp_path, site)
    run_pass(db_path, cfg, ["s0"])
    stripped = "<p>Semax is a synthetic peptide first developed in Russia in the 1980s. " \
               "This article is being rewritten by our editors and will return soon with more detail.</p>"
    site.set("/semax-0", page(stripped))
    r = run_pass(db_path, cfg, ["s0"]).results[0]
    assert r.outcome == "new_version" and r.changes == 0 and r.held >= 3
    db = store.open_db(db_path)
    assert {c["status"] for c in db.query("SELECT status FROM changes")} == {"held"}
    r = run_pass(db_path, cfg, ["s0"]).results[0]  # same page again: confirmed
    assert r.outcome == "unchanged"
    assert {c["status"] for c in db.query("SELECT status FROM changes")} == {"active"}


def test_one_failing_source_does_not_stop_the_others(tmp_path, site):
    cfg, db_path = _setup(tmp_path, site, n=3)
    site.set("/semax-1", "gone", status=500)
    report = run_pass(db_path, cfg, ["s0", "s1", "s2"])
    by = {r.source_id: r.outcome for r in report.results}
    assert by == {"s0": "new_version", "s1": "error", "s2": "new_version"}
    db = store.open_db(db_path)
    state = db["source_state"].get("s1")
    assert state["consecutive_failures"] == 1


def test_not_configured_placeholder_is_reported_not_fetched(tmp_path):
    cfg = load_config(write_config(tmp_path / "sources.yaml", [{"id": "ph", "url": "null"}]))
    report = run_pass(tmp_path / "h.db", cfg, ["ph"])
    assert report.results[0].outcome == "not_configured"
    assert not report.failed


def test_cli_check_exit_codes_and_json(tmp_path, site):
    cfg, db_path = _setup(tmp_path, site, n=2)
    site.set("/semax-1", "boom", status=503)
    cmd = [sys.executable, "-m", "monitor", "check", "--config", str(tmp_path / "sources.yaml"),
           "--db", str(db_path), "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert {r["source_id"]: r["outcome"] for r in data["results"]} == {"s0": "new_version", "s1": "error"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - id: x\n    url: https://example.org\n    interval: sometimes\n")
    proc = subprocess.run([sys.executable, "-m", "monitor", "check", "--config", str(bad), "--db", str(db_path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert f"{bad}:4: sources[0].interval: expected a duration like '6h', got 'sometimes'" in proc.stderr


def test_sigkill_mid_pass_leaves_consistent_db(tmp_path, site):
    cfg, db_path = _setup(tmp_path, site, n=24)
    for i in range(24):
        site.set(f"/semax-{i}", page(BASE_ARTICLE.replace("300mcg", f"{300 + i}mcg")), delay=0.15)
    cmd = [sys.executable, "-m", "monitor", "check", "--config", str(tmp_path / "sources.yaml"),
           "--db", str(db_path)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    seen = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if db_path.exists():
            try:
                con = sqlite3.connect(db_path, timeout=1)
                seen = con.execute("SELECT COUNT(*) FROM versions").fetchone()[0]
                con.close()
            except sqlite3.OperationalError:
                seen = 0
        if seen >= 2:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert seen >= 2, "the pass should have stored some versions before the kill"
    deadline = time.monotonic() + 15
    while _orphan_workers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _orphan_workers(), "analysis workers must exit when their parent is killed"
    con = sqlite3.connect(db_path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    versions = con.execute("SELECT id, claim_count FROM versions").fetchall()
    assert 2 <= len(versions) <= 24
    for vid, claim_count in versions:
        n_claims = con.execute("SELECT COUNT(*) FROM claims WHERE version_id = ?", [vid]).fetchone()[0]
        n_fetch = con.execute("SELECT COUNT(*) FROM fetches WHERE version_id = ?", [vid]).fetchone()[0]
        assert n_claims == claim_count and n_fetch == 1, "no half-written version"
    con.close()
    # and the next pass completes the rest without duplicating anything
    report = run_pass(db_path, cfg)
    assert not report.failed
    db = store.open_db(db_path)
    assert db["versions"].count == 24


def test_worker_pool_and_inline_analysis_store_the_same_history(tmp_path, site, monkeypatch):
    import monitor.pipeline as pipeline

    n = pipeline.PARALLEL_MIN_SOURCES
    cfg, _ = _setup(tmp_path, site, n=n)
    for i in range(n):
        site.set(f"/semax-{i}", page(BASE_ARTICLE.replace("300mcg", f"{100 + 10 * i}mcg")))
    ids = [f"s{i}" for i in range(n)]

    def snapshot(db_path):
        db = store.open_db(db_path)
        rows = [(r["source_id"], r["category"], r["key"], r["value"], r["text"]) for r in db.query(
            "SELECT source_id, category, key, value, text FROM claims ORDER BY source_id, start, key")]
        versions = [(r["source_id"], r["number"], r["text_hash"]) for r in db.query(
            "SELECT source_id, number, text_hash FROM versions ORDER BY source_id, number")]
        db.close()
        return rows, versions

    pooled = tmp_path / "pooled" / "history.db"
    assert pipeline._analysis_pool(n) is not None or (os.cpu_count() or 1) < 2
    run_pass(pooled, cfg, ids)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_SOURCES", 10_000)
    inline = tmp_path / "inline" / "history.db"
    run_pass(inline, cfg, ids)
    assert snapshot(pooled) == snapshot(inline)
    assert len(snapshot(inline)[1]) == n


def _orphan_workers() -> list[int]:
    """Pool workers (multiprocessing spawn children) re-parented to init: leftovers of a killed pass."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if b"multiprocessing.spawn" in cmd and ppid == 1:
            found.append(int(entry.name))
    return found
