"""``monitor demo`` end to end: a subprocess replays the whole corpus through the real pipeline.

The truth is the corpus labels: every material edit must reach the webhook as the labelled
change(s), no cosmetic edit may reach it at all. A failure names the transitions that missed.
The run must write nothing outside ``--dir`` (cwd and HOME are checked).
"""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.commands.demo import changed_window, shorten
from monitor.config import load_config, parse_config
from monitor.corpus import load_corpus
from monitor.demo import config_text, default_steps
from monitor.replay import Payload

TIMEOUT = 180


def run_demo_cli(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, Path, Path]:
    cwd, home = tmp_path / "cwd", tmp_path / "home"
    cwd.mkdir()
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"),
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local/share"),
           "COLUMNS": "120", "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "monitor", "demo", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT)
    return proc, cwd, home


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    work = tmp / "work"
    proc, cwd, home = run_demo_cli(tmp, "--dir", str(work), "--json", "--no-color")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout), proc, work, cwd, home


def _names(transitions: list[dict]) -> str:
    return "\n".join(f"  {t['source']} v{t['version']} {t['label']} ({t['note']}): missed {t['missed']}, "
                     f"alerts {[a['summary'] for a in t['alerts']]}" for t in transitions)


def test_every_material_edit_reaches_the_webhook_as_labelled(full_run):
    summary = full_run[0]
    material = [t for t in summary["transitions"] if t["label"] == "material"]
    assert len(material) == sum(v.label == "material" for s in load_corpus() for v in s.versions)
    failed = [t for t in material if not t["ok"]]
    assert not failed, "material edits not alerted as labelled:\n" + _names(failed)
    assert summary["material_alerted"] == summary["material_edits"]


def test_no_cosmetic_edit_raises_an_alert(full_run):
    summary = full_run[0]
    cosmetic = [t for t in summary["transitions"] if t["label"] == "cosmetic"]
    assert len(cosmetic) == sum(v.label == "cosmetic" for s in load_corpus() for v in s.versions)
    noisy = [t for t in cosmetic if t["alerts"]]
    assert not noisy, "cosmetic edits that alerted:\n" + _names(noisy)
    assert all(row["cosmetic_alerted"] == 0 for row in summary["sources"])


def test_every_version_was_replayed_and_fetched(full_run):
    summary = full_run[0]
    corpus = load_corpus()
    assert summary["steps"] == default_steps(corpus) == max(len(s.versions) for s in corpus) - 1
    assert summary["fetch_errors"] == 0
    for src in corpus:
        mine = [t for t in summary["transitions"] if t["source"] == src.id]
        assert [t["version"] for t in mine] == [v.number for v in src.versions[1:]]
        assert all(t["outcome"] in ("new_version", "unchanged") for t in mine), mine


def test_versions_in_the_db_match_the_summary(full_run):
    summary, _, work, _, _ = full_run
    db = sqlite3.connect(work / "snapshots" / "history.db")
    try:
        for row in summary["sources"]:
            mine = [t for t in summary["transitions"] if t["source"] == row["source_id"]]
            new_versions = sum(t["outcome"] == "new_version" for t in mine)
            # version 1 plus one per edit that changed the main text; every material edit does
            assert row["versions_stored"] == 1 + new_versions
            assert row["versions_stored"] >= 1 + row["material_edits"]
            (stored,) = db.execute("SELECT COUNT(*) FROM versions WHERE source_id = ?",
                                   [row["source_id"]]).fetchone()
            assert stored == row["versions_stored"]
            (claims,) = db.execute("SELECT claim_count FROM versions WHERE source_id = ? ORDER BY number DESC "
                                   "LIMIT 1", [row["source_id"]]).fetchone()
            assert claims == row["claims_latest"] > 0
            # template-only edits never create a version (the main text is unchanged)
            assert any(t["outcome"] == "unchanged" for t in mine if t["label"] == "cosmetic")
    finally:
        db.close()


def test_webhook_received_exactly_the_alerts_the_outbox_sent(full_run):
    summary, _, work, _, _ = full_run
    db = sqlite3.connect(work / "snapshots" / "history.db")
    try:
        statuses = dict(db.execute("SELECT status, COUNT(*) FROM alerts GROUP BY status").fetchall())
        per_source = dict(db.execute(
            "SELECT source_id, COUNT(*) FROM alerts WHERE event = 'change' AND status = 'sent' "
            "GROUP BY source_id").fetchall())
    finally:
        db.close()
    assert set(statuses) == {"sent"}, statuses
    assert summary["webhook_payloads"] == statuses["sent"] > 0
    assert summary["other_alerts"] == []
    for row in summary["sources"]:
        assert row["alerts_received"] == per_source.get(row["source_id"], 0)
        assert row["alerts_received"] >= row["material_edits"]


def test_config_is_a_normal_sources_file_pointing_at_loopback(full_run):
    _, _, work, _, _ = full_run
    config = load_config(work / "sources.yaml")
    assert sorted(s.id for s in config.sources) == sorted(s.id for s in load_corpus())
    assert all(s.url.startswith("http://127.0.0.1:") and s.allow_private and not s.respect_robots
               for s in config.sources)
    assert [(c.name, c.url.split(":")[0]) for c in config.channels] == [("webhook", "json")]
    assert config.channels[0].url.startswith("json://127.0.0.1:")


def test_nothing_is_written_outside_the_work_dir(full_run):
    summary, proc, work, cwd, home = full_run
    assert list(cwd.iterdir()) == []
    assert list(home.iterdir()) == []
    assert summary["dir"] == str(work)
    assert (work / "snapshots" / "history.db").is_file()
    assert str(work) in proc.stderr.splitlines()[0]  # the directory is announced first


def test_story_and_next_commands_are_printed(full_run):
    summary, proc, work, _, _ = full_run
    out = proc.stderr
    assert f"material edits alerted: {summary['material_alerted']}/{summary['material_edits']}" in out
    assert f"cosmetic edits silent: {summary['cosmetic_silent']}/{summary['cosmetic_edits']}" in out
    assert "— no alert" in out and "HIGH dosage" in out
    db = work / "snapshots" / "history.db"
    assert "monitor diff ningbo@1 ningbo@" in out and f"--db {db}" in out
    assert f"monitor check --config {work / 'sources.yaml'} --db {db} --source ningbo" in out
    assert "\x1b[" not in out  # --no-color


def test_printed_history_commands_work(full_run):
    _, proc, _, cwd, _ = full_run
    commands = [shlex.split(line.split("#", 1)[0]) for line in proc.stderr.splitlines()
                if line.strip().startswith(("monitor diff", "monitor claims", "monitor history"))]
    assert len(commands) == 4
    for argv in commands:
        done = subprocess.run([sys.executable, "-m", "monitor", *argv[1:]], cwd=cwd, capture_output=True,
                              text=True, timeout=TIMEOUT)
        assert done.returncode in (0, 1) and "error" not in done.stderr.lower(), (argv, done.stderr)
        assert done.stdout.strip(), argv
    first_vs_latest = next(a for a in commands if "ningbo@1" in a)
    done = subprocess.run([sys.executable, "-m", "monitor", *first_vs_latest[1:]], cwd=cwd, capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert done.returncode == 1 and "dosage" in done.stdout  # the dosing paragraph added since version 1


def test_cycles_limits_the_steps_and_default_dir_is_under_cwd(tmp_path):
    proc, cwd, _ = run_demo_cli(tmp_path, "--cycles", "1", "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    made = list(cwd.iterdir())
    assert len(made) == 1 and made[0].name.startswith("claimwatch-demo-")
    assert summary["dir"] == str(made[0])
    assert summary["steps"] == 1
    assert {t["version"] for t in summary["transitions"]} == {2}
    assert len(summary["transitions"]) == len(load_corpus())


def test_a_non_empty_dir_is_refused_with_exit_2(tmp_path):
    work = tmp_path / "busy"
    work.mkdir()
    (work / "mine.txt").write_text("keep me")
    proc, cwd, _ = run_demo_cli(tmp_path, "--dir", str(work))
    assert proc.returncode == 2
    assert "not an empty directory" in proc.stderr
    assert sorted(p.name for p in work.iterdir()) == ["mine.txt"]
    assert list(cwd.iterdir()) == []


# ------------------------------------------------------------------ pure pieces


def test_config_text_round_trips_through_the_real_parser():
    corpus = load_corpus()
    config = parse_config(config_text(corpus, "http://127.0.0.1:8123", "json://127.0.0.1:9/claimwatch"))
    assert [s.url for s in config.sources] == [f"http://127.0.0.1:8123{s.url_path}" for s in corpus]
    assert [s.name for s in config.sources] == [s.name for s in corpus]


def test_payload_alert_ids_from_keys():
    assert Payload("/", None, {"alert_keys": "claimwatch-alert-3,claimwatch-alert-12"}).alert_ids == (3, 12)
    assert Payload("/", "claimwatch-alert-7", {}).alert_ids == (7,)
    assert Payload("/", None, {"alert_keys": "other-5"}).alert_ids == ()


def test_changed_window_shows_the_difference_of_long_sentences():
    old = "The recommended dosages for semax range from 300mcg to 600mcg per day in two divided doses."
    new = "The recommended dosages for semax range from 3mg to 6mg per day in two divided doses."
    before, after = changed_window(old, new, limit=50)
    assert "300mcg" in before and "3mg" in after and before != after


@given(st.text(), st.integers(min_value=10, max_value=200))
def test_shorten_is_one_bounded_line(text, limit):
    out = shorten(text, limit)
    assert len(out) <= limit and "\n" not in out
    if len(" ".join(text.split())) <= limit:
        assert out == " ".join(text.split())
