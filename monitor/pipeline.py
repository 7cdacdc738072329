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
import json
import logging
import multiprocessing
import os
import queue
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import sqlite_utils

from monitor import analysis, noise, store
from monitor.analysis import PageAnalysis, analyse_page, store_and_analyse
from monitor.claims import EXTRACTOR_VERSION, run_extractors
from monitor.config import Config, Source
from monitor.diff import diff_claims
from monitor.errors import FetchError
from monitor.models import FetchResult
from monitor.snapshots import SnapshotStore, body_hash

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
    extract_failures: int = 0  # page units a claim extractor raised on (each logged with the unit)
    fetch_error_kind: str | None = field(default=None, repr=False)  # the fetcher's error kind (daemon logs)

    @property
    def failed(self) -> bool:
        return self.outcome in ("error", "blocked")

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "fetch_error_kind"}


@dataclass
class PassReport:
    results: list[CheckResult] = field(default_factory=list)

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.failed]

    @property
    def extract_failures(self) -> int:
        """Units a claim extractor raised on in this pass (their claims are missing; see the log)."""
        return sum(r.extract_failures for r in self.results)


def snapshot_dir(db_path: Path) -> Path:
    """Snapshots live beside the history DB (``snapshots/history.db`` → ``snapshots/``)."""
    return Path(db_path).parent


def run_pass(db_path: Path, config: Config, source_ids: list[str] | None = None, *,
             progress: Callable[[CheckResult], None] | None = None) -> PassReport:
    """Check the named sources (whether due or not), or the due ones; returns per-source results.

    A failed write (disk full, read-only directory) ends the pass with a one-line StoreError.
    This is ``monitor check``. It goes through the same :class:`Checker` as every job of the
    daemon (``monitor run``), so both get the same fetch concurrency, analysis pool and
    batched DB writer.
    """
    named = [config.source(sid) for sid in source_ids] if source_ids else None  # unknown id: error before any I/O
    try:
        return asyncio.run(_run(Path(db_path), config, named, progress))
    except (sqlite3.Error, OSError) as exc:
        failure = store.storage_failure(db_path, exc)
        if failure is None:
            raise
        raise failure from None


async def _run(db_path: Path, config: Config, named: list[Source] | None,
               progress: Callable[[CheckResult], None] | None) -> PassReport:
    from monitor.schedule import due_sources

    async with Checker(db_path, config) as checker:
        await checker.sync_sources(config)
        if named is not None:
            sources = named
        else:
            sources = due_sources(config, await checker.writer.call(store.last_fetch_times))
        checker.ensure_pool(len(sources))
        return await checker.check_all(sources, progress)


PARALLEL_MIN_SOURCES = 16
WRITE_BATCH_MAX = 64  # source records per write transaction at most


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _analysis_pool(n_sources: int) -> concurrent.futures.ProcessPoolExecutor | None:
    """Worker processes for page analysis on multi-core machines and passes worth the start-up.

    Parsing and claim extraction are pure CPU work; in the event loop they would use one core.
    ``spawn`` workers start clean (no inherited threads or sockets from the fetcher), and they
    import :mod:`monitor.analysis` only, not the store or the pipeline.
    """
    cores = _cores()
    if cores < 2 or n_sources < PARALLEL_MIN_SOURCES:
        return None
    pool = concurrent.futures.ProcessPoolExecutor(max_workers=cores, mp_context=multiprocessing.get_context("spawn"),
                                                  initializer=analysis.worker_init, initargs=(os.getpid(),))
    for _ in range(cores):  # start the workers now, while the first fetches are on the wire
        pool.submit(analysis.warm)
    return pool


# ------------------------------------------------------------------ the one DB writer


class _Job:
    __slots__ = ("fn", "args", "future", "batched")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...], batched: bool) -> None:
        self.fn, self.args, self.batched = fn, args, batched
        self.future: concurrent.futures.Future[Any] = concurrent.futures.Future()


_STOP = object()


class DbWriter:
    """One thread owning one SQLite connection: all DB work of a pass, or of the daemon.

    Why one thread: SQLite has one writer at a time anyway, and work on the event loop would
    stall fetching. Why batches: a source's record is a handful of small statements, and
    committing each source on its own made the commit (and the per-transaction overhead) a
    large share of an unchanged pass. :meth:`write` jobs that are queued at the same moment
    are run in ONE transaction (at most ``WRITE_BATCH_MAX``), each inside its own SAVEPOINT:
    a job that raises is rolled back alone, and since a transaction commits whole or not at
    all, a crash (even SIGKILL) loses at most the batch in flight and never leaves a source
    half-written. Results are handed back only after the COMMIT. A lone job (the daemon's
    usual case) is committed at once: batching never waits for more work.
    """

    def __init__(self, db_path: Path, name: str = "claimwatch-db") -> None:
        self._db_path = Path(db_path)
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self.batches = 0  # transactions committed by write(): for tests and benchmarks
        self.writes = 0

    async def start(self) -> None:
        self._thread.start()
        await asyncio.wrap_future(self._ready)

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(db, *args)`` on the DB thread on its own (reads; functions with their own transaction)."""
        return await self._submit(_Job(fn, args, batched=False))

    async def write(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(db, *args)`` inside a batched transaction (``fn`` must not BEGIN its own)."""
        return await self._submit(_Job(fn, args, batched=True))

    async def _submit(self, job: _Job) -> Any:
        if not self._thread.is_alive():
            raise RuntimeError("the DB writer is closed")
        self._queue.put(job)
        return await asyncio.wrap_future(job.future)

    def close(self) -> None:
        """Finish every queued job (a running batch completes), close the connection, join the thread."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()

    def _main(self) -> None:
        try:
            db = store.open_db(self._db_path)
        except BaseException as exc:
            if self._ready.set_running_or_notify_cancel():
                self._ready.set_exception(exc)
            return
        if not self._ready.set_running_or_notify_cancel():  # start() was cancelled: nobody will use us
            db.close()
            return
        self._ready.set_result(None)
        try:
            pending: Any = None
            while True:
                job = pending if pending is not None else self._queue.get()
                pending = None
                if job is _STOP:
                    return
                if not job.batched:
                    self._run_one(db, job)
                    continue
                batch = [job]
                while len(batch) < WRITE_BATCH_MAX:
                    try:
                        nxt = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is _STOP or not nxt.batched:
                        pending = nxt
                        break
                    batch.append(nxt)
                self._run_batch(db, batch)
        finally:
            db.close()

    @staticmethod
    def _run_one(db: sqlite_utils.Database, job: _Job) -> None:
        if not job.future.set_running_or_notify_cancel():
            return
        try:
            job.future.set_result(job.fn(db, *job.args))
        except BaseException as exc:
            job.future.set_exception(exc)

    def _run_batch(self, db: sqlite_utils.Database, batch: list[_Job]) -> None:
        live = [job for job in batch if job.future.set_running_or_notify_cancel()]
        if not live:
            return
        outcomes: list[tuple[_Job, bool, Any]] = []
        try:
            with store.atomic(db):
                for job in live:
                    try:
                        with store.job_savepoint(db):
                            value = job.fn(db, *job.args)
                    except Exception as exc:
                        if not db.conn.in_transaction:  # SQLite rolled the whole batch back (disk full)
                            raise
                        outcomes.append((job, False, exc))
                    else:
                        outcomes.append((job, True, value))
        except BaseException as exc:  # BEGIN, COMMIT or the transaction failed: nothing of the batch is kept
            for job in live:
                job.future.set_exception(exc)
            return
        self.batches += 1
        self.writes += len(live)
        for job, ok, value in outcomes:
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(value)


# ------------------------------------------------------------------ the one check path


class Checker:
    """The check path shared by ``monitor check`` and ``monitor run``: fetch, analyse, record.

    One :class:`monitor.fetch.client.Fetcher` (global and per-host limits), one analysis process
    pool (when at least ``PARALLEL_MIN_SOURCES`` sources are checked, on 2+ cores) and one
    :class:`DbWriter`. ``monitor check`` makes one for a pass; the daemon makes one for its
    lifetime and calls :meth:`check` from each scheduled job, so the daemon gets the same
    throughput as ``check`` instead of analysing pages on its DB thread on one core.

    Per source: read its state (preloaded for a whole pass by :meth:`check_all`, one query
    otherwise) → conditional GET → if the body's sha256 equals the last successful fetch's,
    no analysis at all (the writer confirms it and records an ``unchanged`` fetch) → otherwise
    store + analyse in a worker → record in a batched transaction.
    """

    def __init__(self, db_path: Path, config: Config, *, expected_sources: int = 0) -> None:
        self.db_path = Path(db_path)
        self.config = config
        self.snapshots = SnapshotStore(snapshot_dir(self.db_path))
        self.writer = DbWriter(self.db_path)
        self.pool: concurrent.futures.ProcessPoolExecutor | None = None
        self.fetcher: Any = None
        self._expected = expected_sources
        self._pool_sources = 0  # the pool may start when a page needs analysis (see ensure_pool)
        self._states: dict[str, dict[str, Any]] = {}
        self._slots: asyncio.Semaphore | None = None
        self.analysed = 0  # pages sent to analysis (pool or inline); fast-path pages are not counted
        # sources whose config row this process wrote and has not checked since: no fast path
        # for them (the same bytes under a new selector give another text), whatever the clock says
        self.stale_config: set[str] = set()

    async def __aenter__(self) -> "Checker":
        from monitor.fetch.client import Fetcher

        await self.writer.start()
        try:
            self.fetcher = await Fetcher(**fetcher_kwargs(self.config)).__aenter__()
        except BaseException:
            await asyncio.get_running_loop().run_in_executor(None, self.writer.close)
            raise
        # pages fetched but not yet recorded: enough to keep every connection and worker busy,
        # few enough that a 10,000-source first pass does not hold every body in memory
        self._slots = asyncio.Semaphore(self.config.settings.concurrency + 8 * max(2, _cores()))
        self.ensure_pool(self._expected)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            if self.fetcher is not None:
                await self.fetcher.__aexit__(*exc_info)
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=True, cancel_futures=True)
                self.pool = None
            await asyncio.get_running_loop().run_in_executor(None, self.writer.close)

    async def sync_sources(self, config: Config) -> list[str]:
        """Write changed config rows (none when unchanged); their next check takes the slow path."""
        changed: list[str] = await self.writer.call(store.sync_sources, config.sources)
        self.stale_config.update(changed)
        return changed

    def ensure_pool(self, n_sources: int) -> None:
        """Allow the analysis pool once ``n_sources`` makes it worth it (a reload may add sources).

        The pool itself is started by the first page that needs analysis: an unchanged pass
        (304s and byte-identical bodies) never pays for spawning workers on busy cores.
        """
        self._pool_sources = max(self._pool_sources, n_sources)

    @property
    def pool_enabled(self) -> bool:
        """True when pages will be analysed in worker processes (started on first need)."""
        return self.pool is not None or (self._pool_sources >= PARALLEL_MIN_SOURCES and _cores() >= 2)

    def _need_pool(self) -> concurrent.futures.ProcessPoolExecutor | None:
        if self.pool is None and self._pool_sources:
            self.pool = _analysis_pool(self._pool_sources)
            self._pool_sources = 0 if self.pool is None else self._pool_sources
        return self.pool

    async def prime(self, sources: list[Source]) -> None:
        """Read the pre-fetch state of many sources in one query, for their next check.

        Why: without it every check starts with its own state read, queued on the DB thread
        behind the record batches of the checks before it, so fetches wait for the writer.
        """
        self._states.update(await self.writer.call(store.check_states, [s.id for s in sources]))
        for src in sources:
            self._states.setdefault(src.id, _NO_STATE)

    async def check_all(self, sources: list[Source],
                        progress: Callable[[CheckResult], None] | None = None) -> PassReport:
        """Check ``sources`` concurrently (one pass); results sorted by source id."""
        report = PassReport()
        await self.prime(sources)
        tasks = [asyncio.create_task(self.check(src)) for src in sources]
        for task in asyncio.as_completed(tasks):
            result = await task
            report.results.append(result)
            if progress:
                progress(result)
        report.results.sort(key=lambda r: r.source_id)
        return report

    async def check(self, src: Source) -> CheckResult:
        """Check one source now: the unit of work of a pass and of a daemon job."""
        if not src.configured:
            return CheckResult(src.id, "not_configured", error="no URL configured (placeholder in sources.yaml)")
        assert self._slots is not None, "use Checker as an async context manager"
        async with self._slots:
            state = self._states.pop(src.id, None)
            if state is None:
                state = (await self.writer.call(store.check_states, [src.id])).get(src.id, _NO_STATE)
            fetched, error, started, elapsed = await fetch_source(self.fetcher, src, state["conditional"])
            analysis, digest = None, None
            fast = src.id not in self.stale_config
            if fetched is not None and not fetched.not_modified:
                digest = body_hash(fetched.body)
                if digest != state["last_body_hash"] or not fast:
                    self.analysed += 1
                    if self._need_pool() is not None:
                        analysis, digest = await self._analyse_in_pool(src, fetched, state, digest)
            result: CheckResult = await self.writer.write(record_safely, self.snapshots, self.config, src, fetched,
                                                          error, started, elapsed, analysis, digest, fast)
        if fetched is not None:
            self.stale_config.discard(src.id)
        result.fetch_error_kind = getattr(error, "kind", None)
        return result

    async def _analyse_in_pool(self, src: Source, fetched: FetchResult, state: dict[str, Any],
                               digest: str) -> tuple[PageAnalysis | None, str]:
        assert self.pool is not None
        try:
            stored, analysis_ = await asyncio.get_running_loop().run_in_executor(
                self.pool, store_and_analyse, str(self.snapshots.root), fetched.body, state.get("version_body_hash"),
                fetched.text, src.selector, state["text_hash"], src.min_words)
            return analysis_, stored
        except Exception:  # a worker failure is retried inline, where errors are recorded
            log.warning("analysis worker failed for %s; analysing inline", src.id, exc_info=True)
            return None, digest


_NO_STATE: dict[str, Any] = {"conditional": {}, "last_body_hash": None, "text_hash": None, "version_body_hash": None}


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
        fetched, error = await fetcher.fetch(src.url, src.fetch_options(), conditional), None
    except FetchError as exc:
        fetched, error = None, exc
    return fetched, error, started, (time.perf_counter() - t0) * 1000


def record_safely(db: sqlite_utils.Database, snapshots: SnapshotStore, config: Config, src: Source,
                  fetched: FetchResult | None, error: FetchError | None, started: str,
                  elapsed_ms: float, analysis: PageAnalysis | None = None, digest: str | None = None,
                  fast: bool = True) -> CheckResult:
    """``record``, but an internal error while processing the page is stored as a failed fetch.

    A full disk or an unwritable DB is no fault of the page: it is raised as a StoreError (the
    pass stops with one line) instead of being recorded, and counted, as the source failing.
    """
    try:
        return record(db, snapshots, config, src, fetched, error, started, elapsed_ms, analysis, digest, fast)
    except Exception as exc:  # one broken page must not stop the pass; the traceback is logged
        failure = store.storage_failure(store.db_file(db), exc)
        if failure is not None:
            raise failure from None
        log.exception("internal error while processing %s", src.id)
        internal = FetchError(f"internal error while processing the page: {exc!r}")
        internal.kind = "internal"
        return record(db, snapshots, config, src, None, internal, started, elapsed_ms)


def record(db: sqlite_utils.Database, snapshots: SnapshotStore, config: Config, src: Source,
           fetched: FetchResult | None, error: FetchError | None, started: str, elapsed_ms: float,
           analysis: PageAnalysis | None = None, digest: str | None = None, fast: bool = True) -> CheckResult:
    """Store one fetch's outcome: everything for this source in one transaction (or savepoint).

    ``analysis`` is the page's ``analyse_page`` result when it was computed elsewhere (a worker);
    it is only trusted if it was made against the current latest version's text hash.
    ``digest`` is the body's sha256 when already known (and, with ``analysis``, already stored
    by the worker).

    The latest version is read once, inside the write transaction (BEGIN IMMEDIATE, or the
    :class:`DbWriter` batch it runs in): another ``monitor check`` or the daemon may have
    stored a version of this source since the fetch started, and that one read decides the
    fast path, the delta base, "is the text new?" and the next version number alike.

    **Unchanged-body fast path**: a body whose sha256 equals the newest successful fetch's, for
    a version made by today's extractors and a config unchanged since (``store.body_confirms``),
    is recorded as an ``unchanged`` fetch at once: no snapshot write, no parse, no claims. It
    stores exactly what the slow path would have. ``fast=False`` forces the slow path (the
    caller knows the source's config just changed).
    """
    fetch_row: dict[str, Any] = {"source_id": src.id, "started_at": started, "duration_ms": round(elapsed_ms, 1),
                                 "url": src.url}
    if fetched is None:
        assert error is not None
        status = getattr(error, "status_code", None)
        fetch_row.update(outcome="error", error_kind=error.kind, error=str(error), status_code=status)
        with store.atomic(db):
            store.insert_fetch(db, fetch_row)
            alerts = _health(db, config, src, ok=False, error=str(error))
        return CheckResult(src.id, "error", error=str(error), duration_ms=elapsed_ms, alerts=alerts)

    fetch_row.update(status_code=fetched.status_code, final_url=fetched.final_url,
                     redirects=json.dumps(fetched.redirects), etag=fetched.headers.get("etag"),
                     last_modified=fetched.headers.get("last-modified"))
    with store.atomic(db):
        latest = store.latest_version(db, src.id)
        if fetched.not_modified:
            fetch_row.update(outcome="not_modified", version_id=latest["id"] if latest else None,
                             body_hash=latest["body_hash"] if latest else None)
            store.insert_fetch(db, fetch_row, fetched.exchange)
            if latest:
                store.mark_seen(db, latest["id"], started)
            alerts = _health(db, config, src, ok=True) + _confirm_held(db, config, src, latest)
            return CheckResult(src.id, "not_modified", version=latest["number"] if latest else None,
                               duration_ms=elapsed_ms, alerts=alerts)

        digest = digest or body_hash(fetched.body)
        fetch_row.update(body_hash=digest, bytes=len(fetched.body))
        if analysis is None and fast and store.body_confirms(db, src.id, digest, latest, EXTRACTOR_VERSION):
            return _record_unchanged(db, config, src, fetch_row, latest, started, elapsed_ms, fetched.exchange)
        if analysis is None or digest not in snapshots:
            digest = snapshots.put(fetched.body, base=latest["body_hash"] if latest else None)
        known = latest["text_hash"] if latest else None
        if analysis is None or (analysis.claims is None and not analysis.problem and analysis.main.text_hash != known):
            analysis = analyse_page(fetched.text, src.selector, known, src.min_words)
        main, problem = analysis.main, analysis.problem
        if problem:
            fetch_row.update(outcome="blocked", error_kind="blocked_page", error=problem)
            store.insert_fetch(db, fetch_row, fetched.exchange)
            alerts = _health(db, config, src, ok=False, error=problem)
            return CheckResult(src.id, "blocked", error=problem, duration_ms=elapsed_ms, alerts=alerts)
        if latest and latest["text_hash"] == main.text_hash:
            return _record_unchanged(db, config, src, fetch_row, latest, started, elapsed_ms, fetched.exchange)
        return _record_new_version(db, config, src, fetch_row, fetched, analysis, latest, digest, started,
                                   elapsed_ms)


def _record_new_version(db: sqlite_utils.Database, config: Config, src: Source, fetch_row: dict[str, Any],
                        fetched: FetchResult, analysis: PageAnalysis, latest: dict[str, Any] | None, digest: str,
                        started: str, elapsed_ms: float) -> CheckResult:
    """The page shows new main text: a version, its claims, the changes against the noise-rule baseline."""
    main = analysis.main
    # claims were skipped only when a worker's hint said "unchanged" and a racing writer has since
    # stored other text: extract them now (rare, and correct beats holding the lock briefly)
    failures = analysis.extract_failures
    if analysis.claims is None:
        found = run_extractors(main.text)
        claims, failures = found.claims, found.failures
    else:
        claims = analysis.claims
    if failures:
        log.warning("%s: claim extractors failed on %d unit(s) of version %d; those claims are missing",
                    src.id, failures, (latest["number"] if latest else 0) + 1)
    number = (latest["number"] if latest else 0) + 1
    version_id = store.insert_version(db, {
        "source_id": src.id, "number": number, "body_hash": digest, "text_hash": main.text_hash,
        "title": main.title, "text": main.text, "url": fetched.final_url, "first_seen": started,
        "last_seen": started, "claim_count": len(claims), "extractor_version": EXTRACTOR_VERSION,
        "held": 0, "charset": fetched.charset or None})
    store.insert_claims(db, src.id, version_id, claims, EXTRACTOR_VERSION)
    fetch_row.update(outcome="new_version", version_id=version_id)
    store.insert_fetch(db, fetch_row, fetched.exchange)
    history = store.version_history(db, src.id, config.settings.repeat_window)
    plan = noise.plan_version(history, config.settings, number, main.text_hash, claims)
    if plan.discard_held_of is not None:
        store.discard_held(db, src.id, plan.discard_held_of)
    stored: list[store.StoredChange] = []
    if plan.baseline is not None:
        changes = diff_claims(plan.baseline_claims, claims)
        stored = store.insert_changes(db, src.id, plan.baseline["number"], number,
                                      [noise.annotate(c, plan.note) for c in changes], status=plan.status)
        if plan.status == "held":
            store.set_held(db, version_id, True)
    alerts = _health(db, config, src, ok=True)
    if plan.status == "active" and stored:
        alerts += _enqueue(db, config, src, stored)
    return CheckResult(src.id, "new_version", version=number,
                       changes=len(stored) if plan.status == "active" else 0,
                       held=len(stored) if plan.status == "held" else 0, duration_ms=elapsed_ms, alerts=alerts,
                       extract_failures=failures)


def _record_unchanged(db: sqlite_utils.Database, config: Config, src: Source, fetch_row: dict[str, Any],
                      latest: dict[str, Any], started: str, elapsed_ms: float, exchange: Any = None) -> CheckResult:
    """The fetch showed the latest version's text again (same body, or new furniture only)."""
    with store.atomic(db):
        fetch_row.update(outcome="unchanged", version_id=latest["id"])
        store.insert_fetch(db, fetch_row, exchange)
        store.mark_seen(db, latest["id"], started)
        alerts = _health(db, config, src, ok=True) + _confirm_held(db, config, src, latest)
    return CheckResult(src.id, "unchanged", version=latest["number"], duration_ms=elapsed_ms, alerts=alerts)


def _confirm_held(db: sqlite_utils.Database, config: Config, src: Source, latest: dict[str, Any] | None) -> int:
    """The next fetch saw the held version again: its large removal is real, release the alerts."""
    if not latest or not latest["held"]:
        return 0
    return _enqueue(db, config, src, store.release_held(db, latest))


def _enqueue(db: sqlite_utils.Database, config: Config, src: Source, changes: list[store.StoredChange]) -> int:
    if not changes or not config.channels:
        return 0
    from monitor import alerts

    return alerts.enqueue_changes(db, config, src, changes)


def _health(db: sqlite_utils.Database, config: Config, src: Source, *, ok: bool, error: str | None = None) -> int:
    """Track failures in a row; queue one 'broken' alert at the threshold and one 'recovered'."""
    state = store.source_state(db, src.id) or {"source_id": src.id, "consecutive_failures": 0, "broken_alerted": 0}
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
    store.save_source_state(db, {
        "source_id": src.id, "consecutive_failures": failures, "last_outcome": "ok" if ok else "error",
        "last_error": None if ok else error, "last_checked_at": store.utcnow(), "broken_alerted": broken_alerted})
    if event and config.channels:
        from monitor import alerts

        queued = alerts.enqueue_source_event(db, config, src, event, detail)
    return queued
