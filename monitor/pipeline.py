"""One pass of ``monitor check``: fetch → snapshot → extract → claims → diff → store → enqueue alerts.

Fetches run concurrently (bounded by the fetcher); each source's results are then written in
ONE transaction (fetch row, version, claims, changes, alert outbox rows, source state), so a
crash at any point leaves the previous state intact. Raw bodies are written to the snapshot
store *before* the transaction: they are content-addressed, so an orphan body after a crash is
harmless and the next fetch reuses it.

Noise rules applied here (see ``monitor.noise``): error / bot-check / empty pages are failed
fetches, not versions; large removals are held until the next fetch confirms them; a flip
back to a recent state (A/B pages) is recorded but not re-alerted.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import json
import logging
import multiprocessing
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import sqlite_utils

from monitor import noise, store
from monitor.claims import EXTRACTOR_VERSION, extract_claims
from monitor.config import Config, Source
from monitor.diff import diff_claims
from monitor.errors import FetchError
from monitor.extract import MIN_WORDS, MainText, extract_main_text, page_problem
from monitor.models import Claim, FetchResult
from monitor.snapshots import SnapshotStore

log = logging.getLogger("claimwatch.pipeline")


@dataclass
class CheckResult:
    """Outcome of checking one source, for the summary table and ``--json``."""

    source_id: str
    outcome: str  # new_version | unchanged | not_modified | error | blocked | not_configured
    version: int | None = None
    changes: int = 0  # material changes recorded (active)
    held: int = 0
    error: str | None = None
    duration_ms: float = 0.0
    alerts: int = 0

    @property
    def failed(self) -> bool:
        return self.outcome in ("error", "blocked")

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class PassReport:
    results: list[CheckResult] = field(default_factory=list)

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.failed]


@dataclass(frozen=True)
class PageAnalysis:
    """The CPU-heavy part of recording a page, computed apart from the DB (possibly in a worker)."""

    main: MainText
    problem: str | None
    claims: list[Claim] | None  # None when not needed: a problem page or an unchanged text


def analyse_page(html: str, selector: str | None, known_text_hash: str | None,
                 min_words: int = MIN_WORDS) -> PageAnalysis:
    """Main text, page problem and (only for a new text) claims. Pure, so it can run in a process pool."""
    main = extract_main_text(html, selector)
    claims: list[Claim] | None = None
    if len(main.text.split()) < min_words:  # short: a page only if it makes claims (cheap to know)
        claims = extract_claims(main.text)
    problem = page_problem(main, min_words, has_claims=bool(claims))
    if problem or main.text_hash == known_text_hash:
        return PageAnalysis(main, problem, None)
    return PageAnalysis(main, None, claims if claims is not None else extract_claims(main.text))


def snapshot_dir(db_path: Path) -> Path:
    """Snapshots live beside the history DB (``snapshots/history.db`` → ``snapshots/``)."""
    return Path(db_path).parent


def due_sources(db: sqlite_utils.Database, config: Config, now: dt.datetime | None = None) -> list[Source]:
    """Enabled sources whose interval (or cron) has elapsed since their last fetch."""
    now = now or dt.datetime.now(dt.timezone.utc)
    due = []
    for src in config.sources:
        if not src.enabled:
            continue
        last = store.last_fetch(db, src.id)
        if last is None:
            due.append(src)
            continue
        last_at = dt.datetime.fromisoformat(last["started_at"])
        if next_due(src, last_at) <= now:
            due.append(src)
    return due


def next_due(src: Source, last_at: dt.datetime) -> dt.datetime:
    if src.cron:
        from apscheduler.triggers.cron import CronTrigger

        trigger = CronTrigger.from_crontab(src.cron, timezone=dt.timezone.utc)
        nxt = trigger.get_next_fire_time(None, last_at + dt.timedelta(seconds=1))
        return nxt or last_at + dt.timedelta(days=365)
    return last_at + dt.timedelta(seconds=src.interval or 0)


def run_pass(db_path: Path, config: Config, source_ids: list[str] | None = None, *,
             progress: Callable[[CheckResult], None] | None = None) -> PassReport:
    """Check the named sources (whether due or not), or the due ones; returns per-source results.

    A failed write (disk full, read-only directory) ends the pass with a one-line StoreError.
    """
    try:
        db = store.open_db(db_path)
    except (sqlite3.Error, OSError) as exc:
        raise store.storage_failure(db_path, exc) or exc from None
    try:
        if source_ids:
            sources = [config.source(sid) for sid in source_ids]
        else:
            sources = due_sources(db, config)
        with store.transaction(db):
            for src in config.sources:
                store.upsert_source(db, src.id, src.url or "", src.name, src.settings_json(), src.enabled)
        return asyncio.run(_run(db, Path(db_path), config, sources, progress))
    except (sqlite3.Error, OSError) as exc:
        failure = store.storage_failure(db_path, exc)
        if failure is None:
            raise
        raise failure from None
    finally:
        db.close()


async def _run(db: sqlite_utils.Database, db_path: Path, config: Config, sources: list[Source],
               progress: Callable[[CheckResult], None] | None) -> PassReport:
    from monitor.fetch import Fetcher

    report = PassReport()
    snapshots = SnapshotStore(snapshot_dir(db_path))
    pool = _analysis_pool(len(sources))
    loop = asyncio.get_running_loop()
    try:
        async with Fetcher(**fetcher_kwargs(config)) as fetcher:
            async def one(src: Source) -> CheckResult:
                if not src.configured:
                    return CheckResult(src.id, "not_configured", error="no URL configured (placeholder in sources.yaml)")
                fetched, error, started, elapsed = await fetch_source(fetcher, src, store.conditional_headers(db, src.id))
                analysis = None
                if pool is not None and fetched is not None and not fetched.not_modified:
                    latest = store.latest_version(db, src.id)
                    try:
                        analysis = await loop.run_in_executor(pool, analyse_page, fetched.text, src.selector,
                                                              latest["text_hash"] if latest else None,
                                                              src.min_words)
                    except Exception:  # a worker failure is retried inline, where errors are recorded
                        log.warning("analysis worker failed for %s; analysing inline", src.id, exc_info=True)
                return record_safely(db, snapshots, config, src, fetched, error, started, elapsed, analysis)

            tasks = [asyncio.create_task(one(src)) for src in sources]
            for task in asyncio.as_completed(tasks):
                result = await task
                report.results.append(result)
                if progress:
                    progress(result)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    report.results.sort(key=lambda r: r.source_id)
    return report


PARALLEL_MIN_SOURCES = 16


def _analysis_pool(n_sources: int) -> concurrent.futures.ProcessPoolExecutor | None:
    """Worker processes for page analysis on multi-core machines and passes worth the start-up.

    Parsing and claim extraction are pure CPU work; in the event loop they would use one core.
    ``spawn`` workers start clean (no inherited threads or sockets from the fetcher).
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if cores < 2 or n_sources < PARALLEL_MIN_SOURCES:
        return None
    return concurrent.futures.ProcessPoolExecutor(max_workers=cores, mp_context=multiprocessing.get_context("spawn"),
                                                  initializer=_exit_with_parent, initargs=(os.getpid(),))


def _exit_with_parent(parent_pid: int) -> None:
    """Worker start-up: exit when the parent dies (e.g. SIGKILL), instead of lingering as an orphan."""
    import threading

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def fetcher_kwargs(config: Config) -> dict[str, Any]:
    """Fetcher settings from the config (shared by ``monitor check`` and the daemon)."""
    kwargs: dict[str, Any] = {"max_concurrency": config.settings.concurrency, "per_host": config.settings.per_host}
    if config.settings.user_agent:
        kwargs["user_agent"] = config.settings.user_agent
    return kwargs


async def fetch_source(fetcher: Any, src: Source, conditional: dict[str, str]
                       ) -> tuple[FetchResult | None, FetchError | None, str, float]:
    """Fetch one source: (result or None, error or None, started_at, elapsed ms); no DB access."""
    started = store.utcnow()
    t0 = time.perf_counter()
    try:
        fetched, error = await fetcher.fetch(src.url, fetch_options(src), conditional), None
    except FetchError as exc:
        fetched, error = None, exc
    return fetched, error, started, (time.perf_counter() - t0) * 1000


def record_safely(db: sqlite_utils.Database, snapshots: SnapshotStore, config: Config, src: Source,
                  fetched: FetchResult | None, error: FetchError | None, started: str,
                  elapsed_ms: float, analysis: PageAnalysis | None = None) -> CheckResult:
    """``record``, but an internal error while processing the page is stored as a failed fetch.

    A full disk or an unwritable DB is no fault of the page: it is raised as a StoreError (the
    pass stops with one line) instead of being recorded, and counted, as the source failing.
    """
    try:
        return record(db, snapshots, config, src, fetched, error, started, elapsed_ms, analysis)
    except Exception as exc:  # one broken page must not stop the pass; the traceback is logged
        failure = store.storage_failure(store.db_file(db), exc)
        if failure is not None:
            raise failure from None
        log.exception("internal error while processing %s", src.id)
        internal = FetchError(f"internal error while processing the page: {exc!r}")
        internal.kind = "internal"
        return record(db, snapshots, config, src, None, internal, started, elapsed_ms)


def fetch_options(src: Source) -> Any:
    from monitor.fetch import FetchOptions

    return FetchOptions(allow_private=src.allow_private, respect_robots=src.respect_robots,
                        headers=dict(src.headers), max_bytes=src.max_bytes, timeout=src.timeout,
                        deadline=src.deadline)


def record(db: sqlite_utils.Database, snapshots: SnapshotStore, config: Config, src: Source,
           fetched: FetchResult | None, error: FetchError | None, started: str, elapsed_ms: float,
           analysis: PageAnalysis | None = None) -> CheckResult:
    """Store one fetch's outcome: everything for this source in one transaction.

    ``analysis`` is the page's ``analyse_page`` result when it was computed elsewhere (a worker);
    it is only trusted if it was made against the current latest version's text hash.
    """
    fetch_row: dict[str, Any] = {"source_id": src.id, "started_at": started, "duration_ms": round(elapsed_ms, 1),
                                 "url": src.url}
    if fetched is None:
        assert error is not None
        status = getattr(error, "status_code", None)
        fetch_row.update(outcome="error", error_kind=error.kind, error=str(error), status_code=status)
        with store.transaction(db):
            store.insert_fetch(db, fetch_row)
            alerts = _health(db, config, src, ok=False, error=str(error))
        return CheckResult(src.id, "error", error=str(error), duration_ms=elapsed_ms, alerts=alerts)

    fetch_row.update(status_code=fetched.status_code, final_url=fetched.final_url,
                     redirects=json.dumps(fetched.redirects), etag=fetched.headers.get("etag"),
                     last_modified=fetched.headers.get("last-modified"))
    if fetched.not_modified:
        with store.transaction(db):
            latest = store.latest_version(db, src.id)
            fetch_row.update(outcome="not_modified", version_id=latest["id"] if latest else None,
                             body_hash=latest["body_hash"] if latest else None)
            store.insert_fetch(db, fetch_row, fetched.exchange)
            if latest:
                db["versions"].update(latest["id"], {"last_seen": started})
            alerts = _health(db, config, src, ok=True) + _confirm_held(db, config, src, latest)
        return CheckResult(src.id, "not_modified", version=latest["number"] if latest else None,
                           duration_ms=elapsed_ms, alerts=alerts)

    # Read outside the write lock only as a hint (delta base, "is the text new?"); what is
    # written is decided on a fresh read inside BEGIN IMMEDIATE, because another `monitor check`
    # or the daemon may have stored a version of this source in between.
    hint = store.latest_version(db, src.id)
    digest = snapshots.put(fetched.body, base=hint["body_hash"] if hint else None)
    known = hint["text_hash"] if hint else None
    if analysis is None or (analysis.claims is None and not analysis.problem and analysis.main.text_hash != known):
        analysis = analyse_page(fetched.text, src.selector, known, src.min_words)
    main, problem = analysis.main, analysis.problem
    fetch_row.update(body_hash=digest, bytes=len(fetched.body))
    if problem:
        fetch_row.update(outcome="blocked", error_kind="blocked_page", error=problem)
        with store.transaction(db):
            store.insert_fetch(db, fetch_row, fetched.exchange)
            alerts = _health(db, config, src, ok=False, error=problem)
        return CheckResult(src.id, "blocked", error=problem, duration_ms=elapsed_ms, alerts=alerts)

    text_hash = main.text_hash
    with store.transaction(db):
        latest = store.latest_version(db, src.id)
        if latest and latest["text_hash"] == text_hash:
            fetch_row.update(outcome="unchanged", version_id=latest["id"])
            store.insert_fetch(db, fetch_row, fetched.exchange)
            db["versions"].update(latest["id"], {"last_seen": started})
            alerts = _health(db, config, src, ok=True) + _confirm_held(db, config, src, latest)
            return CheckResult(src.id, "unchanged", version=latest["number"], duration_ms=elapsed_ms,
                               alerts=alerts)
        # claims were skipped only when the hint said "unchanged" and a racing writer has since
        # stored other text: extract them now (rare, and correct beats holding the lock briefly)
        claims = analysis.claims if analysis.claims is not None else extract_claims(main.text)
        number = (latest["number"] if latest else 0) + 1
        version_id = db["versions"].insert({
            "source_id": src.id, "number": number, "body_hash": digest, "text_hash": text_hash,
            "title": main.title, "text": main.text, "url": fetched.final_url, "first_seen": started,
            "last_seen": started, "claim_count": len(claims), "extractor_version": EXTRACTOR_VERSION,
            "held": 0, "charset": fetched.charset or None}).last_pk
        store.insert_claims(db, src.id, version_id, claims, EXTRACTOR_VERSION)
        fetch_row.update(outcome="new_version", version_id=version_id)
        store.insert_fetch(db, fetch_row, fetched.exchange)
        history = store.version_history(db, src.id, config.settings.repeat_window)
        plan = noise.plan_version(history, config.settings, number, text_hash, claims)
        if plan.discard_held_of is not None:
            store.discard_held(db, src.id, plan.discard_held_of)
        ids: list[int] = []
        if plan.baseline is not None:
            changes = diff_claims(plan.baseline_claims, claims)
            ids = store.insert_changes(db, src.id, plan.baseline["number"], number,
                                       [noise.annotate(c, plan.note) for c in changes], status=plan.status)
            if plan.status == "held":
                db["versions"].update(version_id, {"held": 1})
        alerts = _health(db, config, src, ok=True)
        if plan.status == "active" and ids:
            alerts += _enqueue(db, config, src, ids)
    return CheckResult(src.id, "new_version", version=number,
                       changes=len(ids) if plan.status == "active" else 0,
                       held=len(ids) if plan.status == "held" else 0, duration_ms=elapsed_ms, alerts=alerts)


def _confirm_held(db: sqlite_utils.Database, config: Config, src: Source, latest: dict[str, Any] | None) -> int:
    """The next fetch saw the held version again: its large removal is real, release the alerts."""
    if not latest or not latest["held"]:
        return 0
    db["versions"].update(latest["id"], {"held": 0})
    ids = [r["id"] for r in db.query(
        "SELECT id FROM changes WHERE source_id = ? AND to_version = ? AND status = 'held'",
        [src.id, latest["number"]])]
    db.conn.execute(
        "UPDATE changes SET status = 'active', note = 'large removal confirmed by the next fetch' "
        "WHERE source_id = ? AND to_version = ? AND status = 'held'", [src.id, latest["number"]])
    return _enqueue(db, config, src, ids)


def _enqueue(db: sqlite_utils.Database, config: Config, src: Source, change_ids: list[int]) -> int:
    if not change_ids or not config.channels:
        return 0
    from monitor import alerts

    return alerts.enqueue_changes(db, config, src, change_ids)


def _health(db: sqlite_utils.Database, config: Config, src: Source, *, ok: bool, error: str | None = None) -> int:
    """Track failures in a row; queue one 'broken' alert at the threshold and one 'recovered'."""
    rows = list(db.query("SELECT * FROM source_state WHERE source_id = ?", [src.id]))
    state = rows[0] if rows else {"source_id": src.id, "consecutive_failures": 0, "broken_alerted": 0}
    failures = 0 if ok else (state["consecutive_failures"] or 0) + 1
    broken_alerted = state["broken_alerted"] or 0
    queued = 0
    event = None
    if not ok and failures >= config.settings.broken_after and not broken_alerted:
        event, broken_alerted = "broken", 1
        detail = f"{failures} failed fetches in a row; last error: {error}"
    elif ok and broken_alerted:
        event, broken_alerted = "recovered", 0
        detail = "fetching works again"
    db["source_state"].upsert({
        "source_id": src.id, "consecutive_failures": failures, "last_outcome": "ok" if ok else "error",
        "last_error": None if ok else error, "last_checked_at": store.utcnow(),
        "broken_alerted": broken_alerted}, pk="source_id")
    if event and config.channels:
        from monitor import alerts

        queued = alerts.enqueue_source_event(db, config, src, event, detail)
    return queued
