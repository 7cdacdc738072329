"""Datasette over a history built by the real pipeline (`monitor demo` runs `monitor check` on the corpus)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from monitor.datasette.queries import canned_queries
from monitor.datasette.server import build_datasette
from monitor.demo import run_demo


@pytest.fixture(scope="module")
def real_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("real") / "demo"
    run_demo(work, cycles=3)
    return work / "snapshots" / "history.db"


def _get(ds: Any, path: str) -> Any:
    return asyncio.run(ds.client.get(path))


def test_every_canned_query_runs_on_a_real_history(real_history: Path) -> None:
    ds = build_datasette(real_history)
    for name in canned_queries():
        response = _get(ds, f"/history/{name}.json?_shape=objects&source=shield")
        assert response.status_code == 200, (name, response.text[:300])
    recent = _get(ds, "/history/recent_changes.json?_shape=objects").json()["rows"]
    dose = [r for r in recent if r["source_id"] == "shield" and r["category"] == "dosage"]
    assert dose and "0.3–0.6 mg" in dose[0]["summary"] and "3–6 mg" in dose[0]["summary"]
    timeline = _get(ds, "/history/version_timeline.json?_shape=objects&source=shield").json()["rows"]
    assert len(timeline) >= 2


def test_diff_page_of_a_real_dose_change_shows_old_and_new(real_history: Path) -> None:
    import sqlite3

    con = sqlite3.connect(real_history)
    frm, to = con.execute("SELECT from_version, to_version FROM changes WHERE source_id = 'shield' "
                          "AND category = 'dosage' ORDER BY id LIMIT 1").fetchone()
    old_value, new_value = map(json.loads, con.execute(
        "SELECT old_value, new_value FROM changes WHERE source_id = 'shield' AND category = 'dosage' "
        "ORDER BY id LIMIT 1").fetchone())
    con.close()
    html = _get(build_datasette(real_history), f"/-/claimwatch/diff/shield/{frm}..{to}").text
    assert "300mcg to 600mcg" in html and "3mg to 6mg" in html
    assert old_value["max_mg"] == pytest.approx(0.6) and new_value["max_mg"] == pytest.approx(6.0)
