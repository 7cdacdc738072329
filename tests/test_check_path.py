"""The one check path (``monitor.pipeline.Checker``) shared by ``monitor check`` and the daemon.

Real local HTTP server, temp dirs, no timed assertions: every wait polls the DB with a
generous timeout.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import monitor.pipeline as pipeline
from fixture_site import BASE_ARTICLE, FixtureSite, page, write_config
from monitor import store
from monitor.config import load_config
from monitor.pipeline import Checker, DbWriter, run_pass


@pytest.fixture()
def site():
    with FixtureSite() as s:
        yield s


def _setup(tmp_path: Path, site: FixtureSite, n: int, interval: str = "6h", **extra: object):
    sources = []
    for i in range(n):
        path = f"/p-{i}"
        site.set(path, page(BASE_ARTICLE.replace("300mcg", f"{300 + i}mcg")))
        sources.append({"id": f"s{i}", "url": site.url(path), "allow_private": True, "respect_robots": False,
                        "interval": interval, **extra})
    config_path = write_config(tmp_path / "sources.yaml", sources)
    return load_config(config_path), config_path, tmp_path / "snap" / "history.db"


def _rows(db_path: Path, sql: str, params: list | None = None) -> list[dict]:
    db = store.open_db(db_path)
    try:
        return list(db.query(sql, params or []))
    finally:
        db.close()


class _Calls:
    """Wraps ``Checker.check`` / ``Checker._analyse_in_pool`` to count what went through them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.checked: list[str] = []
        self.pooled: list[str] = []
        check, pooled = Checker.check, Checker._analyse_in_pool

        async def counting_check(checker: Checker, src):  # type: ignore[no-untyped-def]
            self.checked.append(src.id)
            return await check(checker, src)

        async def counting_pool(checker: Checker, src, *args):  # type: ignore[no-untyped-def]
            self.pooled.append(src.id)
            return await pooled(checker, src, *args)

        monkeypatch.setattr(Checker, "check", counting_check)
        monkeypatch.setattr(Checker, "_analyse_in_pool", counting_pool)


def _fetched_sources(db_path: Path) -> int:
    """Sources with a fetch row, read without migrating (the daemon may be creating the DB)."""
    if not db_path.exists():
        return 0
    try:
        con = sqlite3.connect(db_path, timeout=1)
        try:
            return con.execute("SELECT COUNT(DISTINCT source_id) FROM fetches").fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:
        return 0


def _multi_core() -> bool:
    return pipeline._cores() >= 2


# ------------------------------------------------------------------ one path for check and the daemon


def test_check_and_a_daemon_pass_go_through_the_same_checker_with_the_pool(tmp_path, site, monkeypatch):
    from monitor.daemon.service import Daemon, DaemonOptions

    n = pipeline.PARALLEL_MIN_SOURCES
    cfg, config_path, _ = _setup(tmp_path, site, n)
    calls = _Calls(monkeypatch)

    check_db = tmp_path / "check" / "history.db"
    run_pass(check_db, cfg)
    assert sorted(calls.checked) == sorted(s.id for s in cfg.sources)
    via_check = (list(calls.checked), list(calls.pooled))
    calls.checked.clear()
    calls.pooled.clear()

    daemon_db = tmp_path / "daemon" / "history.db"
    daemon = Daemon(DaemonOptions(db_path=daemon_db, config_path=config_path, heartbeat=0.2, deliver_every=0.2,
                                  stagger_window=0), cfg)
    seen: dict[str, bool] = {}

    async def scenario() -> None:
        serving = asyncio.create_task(daemon.serve())
        for _ in range(1200):  # ≤ 60 s of polling; a pass takes well under that
            await asyncio.sleep(0.05)
            if serving.done():
                break
            if _fetched_sources(daemon_db) == n:
                break
        seen["pool"] = daemon.checker.pool is not None
        daemon.request_stop("test")
        assert await serving == 0

    asyncio.run(scenario())
    assert sorted(calls.checked) == sorted(s.id for s in cfg.sources), "every daemon job is Checker.check"
    if _multi_core():
        assert seen["pool"] and sorted(calls.pooled) == sorted(calls.checked), "the daemon analyses in the pool"
        assert sorted(via_check[1]) == sorted(via_check[0]), "check analyses in the pool too"
    # and both stored the same history
    q = "SELECT source_id, number, text_hash, claim_count FROM versions ORDER BY source_id, number"
    assert _rows(check_db, q) == _rows(daemon_db, q) and len(_rows(check_db, q)) == n


def test_a_small_daemon_has_no_pool(tmp_path, site):
    from monitor.daemon.service import Daemon, DaemonOptions

    cfg, config_path, db = _setup(tmp_path, site, 2)
    daemon = Daemon(DaemonOptions(db_path=db, config_path=config_path), cfg)
    assert daemon.checker.pool is None and not daemon.checker.pool_enabled


# ------------------------------------------------------------------ the unchanged-body fast path


def _forbid_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("analysis must not run for a byte-identical body")

    monkeypatch.setattr(pipeline, "analyse_page", boom)
    monkeypatch.setattr(pipeline, "run_extractors", boom)
    monkeypatch.setattr(pipeline, "store_and_analyse", boom)


@pytest.mark.parametrize("n", [1, pipeline.PARALLEL_MIN_SOURCES])  # inline, and with the analysis pool
def test_identical_body_records_the_fetch_and_does_no_analysis(tmp_path, site, monkeypatch, n):
    cfg, _, db = _setup(tmp_path, site, n)
    ids = [s.id for s in cfg.sources]
    first = run_pass(db, cfg, ids)
    assert {r.outcome for r in first.results} == {"new_version"}
    before = {r["source_id"]: r for r in _rows(db, "SELECT * FROM fetches")}

    _forbid_analysis(monkeypatch)
    second = run_pass(db, cfg, ids)
    assert {r.outcome for r in second.results} == {"unchanged"}, [r.error for r in second.results]
    assert all(r.version == 1 and not r.failed for r in second.results)
    rows = _rows(db, "SELECT * FROM fetches WHERE id > ? ORDER BY source_id", [max(r["id"] for r in before.values())])
    assert [r["source_id"] for r in rows] == sorted(ids)
    for r in rows:  # the same row the slow path writes for an unchanged page
        old = before[r["source_id"]]
        assert r["outcome"] == "unchanged" and r["version_id"] == old["version_id"]
        assert r["body_hash"] == old["body_hash"] and r["bytes"] == old["bytes"] and r["status_code"] == 200
    assert len(_rows(db, "SELECT id FROM versions")) == n
    assert {r["last_outcome"] for r in _rows(db, "SELECT last_outcome FROM source_state")} == {"ok"}


def test_fast_path_is_skipped_when_the_body_or_the_selector_changed(tmp_path, site, monkeypatch):
    cfg, config_path, db = _setup(tmp_path, site, 1)
    run_pass(db, cfg, ["s0"])
    analysed: list[str | None] = []
    real = pipeline.analyse_page

    def counting(html: str, selector: str | None, known: str | None, *rest):  # type: ignore[no-untyped-def]
        analysed.append(selector)
        return real(html, selector, known, *rest)

    monkeypatch.setattr(pipeline, "analyse_page", counting)
    run_pass(db, cfg, ["s0"])
    assert analysed == []  # same bytes: fast path

    site.set("/p-0", page(BASE_ARTICLE.replace("300mcg", "300mcg"), nonce="zz99"))  # furniture only
    assert run_pass(db, cfg, ["s0"]).results[0].outcome == "unchanged"
    assert analysed == [None]  # a new body is parsed

    text = config_path.read_text().replace("respect_robots: false", "respect_robots: false\n    selector: article")
    config_path.write_text(text)
    cfg2 = load_config(config_path)
    run_pass(db, cfg2, ["s0"])
    assert analysed == [None, "article"], "the same bytes under a new selector are extracted again"


# ------------------------------------------------------------------ start-up and batching


def test_unchanged_config_writes_no_source_rows(tmp_path, site):
    cfg, config_path, db = _setup(tmp_path, site, 3)
    run_pass(db, cfg, ["s0"])
    stamps = _rows(db, "SELECT id, updated_at, created_at FROM sources ORDER BY id")
    conn = store.open_db(db)
    try:
        assert store.sync_sources(conn, cfg.sources) == []
        changed = load_config(write_config(tmp_path / "other.yaml", [
            {"id": "s0", "url": cfg.source("s0").url, "name": "renamed", "allow_private": True,
             "respect_robots": False, "interval": "6h"}]))
        assert store.sync_sources(conn, changed.sources) == ["s0"]
        assert conn["sources"].get("s0")["name"] == "renamed"
        assert store.sync_sources(conn, changed.sources) == []
    finally:
        conn.close()
    assert [r["created_at"] for r in _rows(db, "SELECT created_at FROM sources ORDER BY id")] == \
        [r["created_at"] for r in stamps]


def test_writes_queued_together_share_one_transaction_and_a_failing_one_is_rolled_back_alone(tmp_path):
    db_path = tmp_path / "history.db"
    gate = threading.Event()

    def insert(db, sid: str) -> str:  # type: ignore[no-untyped-def]
        db["sources"].insert({"id": sid, "url": "", "name": sid, "settings": "{}", "enabled": 1})
        return sid

    def half_then_fail(db) -> None:  # type: ignore[no-untyped-def]
        db["sources"].insert({"id": "half", "url": "", "name": "half", "settings": "{}", "enabled": 1})
        raise RuntimeError("boom")

    async def scenario() -> list[object]:
        writer = DbWriter(db_path)
        await writer.start()
        try:
            blocker = asyncio.ensure_future(writer.call(lambda db: gate.wait(30)))
            await asyncio.sleep(0.05)  # the writer thread is now inside the blocking call
            jobs = [asyncio.ensure_future(writer.write(insert, f"w{i}")) for i in range(5)]
            jobs.insert(2, asyncio.ensure_future(writer.write(half_then_fail)))
            await asyncio.sleep(0.05)  # everything queued behind the call
            gate.set()
            await blocker
            out = await asyncio.gather(*jobs, return_exceptions=True)
            assert writer.batches == 1 and writer.writes == 6
            return out
        finally:
            writer.close()

    out = asyncio.run(scenario())
    assert [o for o in out if isinstance(o, str)] == [f"w{i}" for i in range(5)]
    assert isinstance(out[2], RuntimeError)
    ids = [r["id"] for r in _rows(db_path, "SELECT id FROM sources ORDER BY id")]
    assert ids == [f"w{i}" for i in range(5)], "the failing job left nothing; the others committed"


def test_analysis_workers_do_not_import_the_store():
    code = "import sys, monitor.analysis; print(sorted(m for m in sys.modules if m.startswith('monitor')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert out.returncode == 0, out.stderr
    mods = eval(out.stdout)  # noqa: S307 - our own subprocess's repr of a list of str
    assert "monitor.analysis" in mods
    for heavy in ("monitor.store", "monitor.pipeline", "monitor.noise", "monitor.diff", "monitor.alerts"):
        assert heavy not in mods
