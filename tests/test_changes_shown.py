"""Changes where users look: a demo edit shows in ``monitor check`` output and in the daemon log.

The pages are the demo's own corpus (``monitor/corpus_data/shield``) served by the demo's replay
server on 127.0.0.1, moved to a labelled material edit between checks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.corpus import load_source
from monitor.replay import ReplayServer
from test_daemon_support import DaemonProc, query

SHIELD = load_source("shield")
V1, DOSE_EDIT, DROPS_EDIT = SHIELD.versions[0], SHIELD.versions[2], SHIELD.versions[4]


def test_the_corpus_edits_used_here_are_the_dose_changes():
    assert DOSE_EDIT.label == DROPS_EDIT.label == "material"
    assert "3-6 mg" in DOSE_EDIT.expect[0]["detail"] and "drops" in DROPS_EDIT.expect[0]["detail"]


@pytest.fixture()
def replay():
    server = ReplayServer().start()
    server.set(SHIELD.url_path, V1.html)
    yield server
    server.stop()


def _config(tmp_path: Path, replay: ReplayServer, interval: str = "6h") -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(f"""sources:
  - id: shield
    name: {json.dumps(SHIELD.name)}
    url: {replay.url(SHIELD.url_path)}
    interval: {interval}
    allow_private: true
    respect_robots: false
""", encoding="utf-8")
    return path


def _dosage_summaries(db: Path, to_version: int) -> list[str]:
    return [r["summary"] for r in query(db, "SELECT summary FROM changes WHERE to_version = ? AND category = 'dosage' "
                                            "AND status = 'active'", (to_version,))]


def test_check_prints_each_material_change_under_its_source_and_in_json(tmp_path, replay):
    config, db = _config(tmp_path, replay), tmp_path / "snap" / "history.db"
    args = ["check", "--source", "shield", "--config", str(config), "--db", str(db)]
    runner = CliRunner()
    assert runner.invoke(cli, args).exit_code == 0
    replay.set(SHIELD.url_path, DOSE_EDIT.html)
    out = runner.invoke(cli, args)
    assert out.exit_code == 0, out.output
    (summary,) = _dosage_summaries(db, 2)
    assert "0.3–0.6 mg" in summary and "3–6 mg" in summary
    lines = out.output.splitlines()
    head = lines.index("shield v1 → v2")
    assert f"  ~ [high] {summary}" in lines[head + 1:]
    assert "no alert channel is configured" in out.output  # and it says nobody was told
    replay.set(SHIELD.url_path, DROPS_EDIT.html)
    data = json.loads(runner.invoke(cli, [*args, "--json"]).output)
    (result,) = data["results"]
    assert result["changes"] == len(result["material_changes"]) >= 1
    drops = [c for c in result["material_changes"] if c["category"] == "dosage"]
    assert drops and drops[0]["severity"] == "high" and drops[0]["summary"] in _dosage_summaries(db, 3)
    assert {"id", "kind", "key", "from_version", "to_version", "status"} <= set(drops[0])
    assert data["channels"] == 0


def test_daemon_log_line_for_a_new_version_carries_its_material_changes(tmp_path, replay):
    config, db = _config(tmp_path, replay, interval="1s"), tmp_path / "snap" / "history.db"
    daemon = DaemonProc(tmp_path, db, config)
    try:
        daemon.wait_event("check", source="shield", outcome="new_version", version=1)
        replay.set(SHIELD.url_path, DOSE_EDIT.html)
        line = daemon.wait_event("check", source="shield", outcome="new_version", version=2)
    finally:
        daemon.kill()
    (summary,) = _dosage_summaries(db, 2)
    assert f"~ [high] {summary}" in line["msg"]
    assert line["msg"].startswith("check shield new_version v2 ")
    assert "material change" in line["msg"]
    fields = line["material_changes"]
    assert len(fields) == line["changes"] and any(f["summary"] == summary for f in fields)
    # a check without a new version says nothing about changes
    quiet = [e for e in daemon.checks("shield") if e["outcome"] == "unchanged"]
    assert all("material_changes" not in e and "material change" not in e["msg"] for e in quiet)


def test_daemon_text_log_line_names_the_change():
    """The default (text) log format carries the same words."""
    import logging

    from monitor.daemon.logs import TextFormatter, changes_suffix

    rows = [{"kind": "changed", "severity": "high", "summary": "dosage (oral): 1–3 mg → 5–10 mg", "status": "active"},
            {"kind": "added", "severity": "low", "summary": "safety: headache added", "status": "active"}]
    record = logging.LogRecord("claimwatch.daemon", logging.INFO, __file__, 1, "check %s %s%s %.0f ms%s",
                               ("ningbo", "new_version", " v3", 12.0, changes_suffix(rows)), None)
    line = TextFormatter().format(record)
    assert line.endswith("check ningbo new_version v3 12 ms: 2 material changes: "
                         "~ [high] dosage (oral): 1–3 mg → 5–10 mg; + [low] safety: headache added")
    many = changes_suffix(rows * 4)
    assert many.startswith(": 8 material changes:") and many.endswith("; … and 3 more")
