"""``monitor run``: the long-running scheduler.

Design:

* **One asyncio loop, APScheduler 3 ``AsyncIOScheduler``.** Checks are I/O bound and the
  fetcher is async, so every job is a coroutine on one loop; one :class:`monitor.fetch.client.Fetcher`
  is shared by all jobs, so ``settings.concurrency`` and ``settings.per_host`` bound the whole
  daemon, not each job. One job per enabled, configured source (``IntervalTrigger`` or
  ``CronTrigger``), ``max_instances=1`` (never two checks of a source at once), ``coalesce``
  (missed runs collapse into one), ``misfire_grace_time`` = one period (a late run still
  happens; a run later than a whole period is superseded by the next planned one).
* **The same check path as ``monitor check``** (:class:`monitor.pipeline.Checker`): each
  job calls ``Checker.check(source)``, which fetches, analyses the page in the shared spawn
  process pool (when at least ``PARALLEL_MIN_SOURCES`` sources are scheduled, on 2+ cores),
  skips analysis for a byte-identical body, and records through the one DB writer thread.
  Before, the daemon ran extraction and claims on its DB thread: one core, and every
  heartbeat and conditional-header read queued behind page analysis.
* **All DB work on one dedicated thread** with its own connection (``Checker.writer``):
  state reads, ``record`` and heartbeats. Records queued at the same moment share one
  transaction (a savepoint each), so readers (``monitor check``, Datasette) keep working under
  WAL and a crash loses whole checks only. Alert delivery (Apprise, blocking HTTP) runs on a
  second thread with a second connection.
* **Shutdown** (SIGTERM/SIGINT): the scheduler is paused (no new checks), in-flight checks
  get ``--grace`` seconds, then are cancelled. A check cancelled before ``record`` leaves no
  trace; ``record`` itself runs on the DB thread and is never interrupted (the thread is
  joined before exit), and it writes in one transaction, so nothing is ever half-written.
* **Reload** (SIGHUP, ``monitor reload``): the file is re-read; if invalid the error
  (``file:line: key: …``) is logged and the old config keeps running. Otherwise added sources
  are scheduled (first run from the DB, staggered), removed/disabled ones unscheduled (their
  history stays), changed interval/cron rescheduled; other changes (URL, selector, channels)
  take effect at the next check because jobs look their source up by id at run time.
  ``concurrency``/``per_host``/``user_agent`` need a restart (the shared Fetcher is kept).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import signal
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import sqlite_utils
from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from monitor import store
from monitor.checkview import version_changes
from monitor.config import Config, Source, load_config
from monitor.daemon.logs import ErrorStates, changes_field, changes_suffix, state_of
from monitor.schedule import UTC, first_runs, period, schedule_key, trigger_for
from monitor.errors import ConfigError, StoreError
from monitor.pipeline import CheckResult, Checker, fetcher_kwargs

try:  # the alerts package is optional for the daemon: without it the outbox is left for `monitor check`
    from monitor.alerts import deliver_pending
except ImportError:  # pragma: no cover - depends on the installation
    deliver_pending = None  # type: ignore[assignment]

log = logging.getLogger("claimwatch.daemon")
DAEMON_ROW = 1


@dataclass(frozen=True)
class DaemonOptions:
    db_path: Path
    config_path: Path
    grace: float = 30.0
    heartbeat: float = 5.0
    deliver_every: float = 5.0
    stagger_window: float = 60.0


class DbThread:
    """A single worker thread owning one SQLite connection; ``await call(fn, *args)`` runs ``fn(db, *args)``."""

    def __init__(self, db_path: Path, name: str) -> None:
        self._db_path = db_path
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._db: sqlite_utils.Database | None = None

    def _open(self) -> None:
        self._db = store.open_db(self._db_path)

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    async def start(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._pool, self._open)

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        def run() -> Any:
            assert self._db is not None
            return fn(self._db, *args)

        return await asyncio.get_running_loop().run_in_executor(self._pool, run)

    def close(self) -> None:
        """Finish queued work (a running ``record`` completes), close the connection, join the thread."""
        self._pool.submit(self._close)
        self._pool.shutdown(wait=True)


# ------------------------------------------------------------------ DB helpers (run on the DB thread)


def _write_daemon(db: sqlite_utils.Database, state: str, started_at: str | None = None) -> None:
    store.write_heartbeat(db, DAEMON_ROW, state, started_at)


def _parse(ts: str) -> dt.datetime:
    t = dt.datetime.fromisoformat(ts)
    return t if t.tzinfo else t.replace(tzinfo=UTC)


# ------------------------------------------------------------------ the service


@dataclass
class Daemon:
    options: DaemonOptions
    config: Config
    outbox: DbThread = field(init=False)
    checker: Checker = field(init=False)
    _scheduler: AsyncIOScheduler | None = None
    _stop: asyncio.Event | None = None
    _stopping: bool = False
    _inflight: set[asyncio.Task[Any]] = field(default_factory=set)
    _planned: dict[str, dt.datetime] = field(default_factory=dict)
    _states: ErrorStates = field(default_factory=ErrorStates)
    _background: set[asyncio.Task[Any]] = field(default_factory=set)
    _reloading: asyncio.Lock | None = None

    def __post_init__(self) -> None:
        self.outbox = DbThread(self.options.db_path, "claimwatch-alerts")
        self.checker = Checker(self.options.db_path, self.config,
                               expected_sources=len(self._schedulable(self.config)))

    @property
    def db(self) -> Any:
        """The DB thread: the check path's one writer (every DB call of the daemon goes through it)."""
        return self.checker.writer

    # ---------------------------------------------------------------- lifecycle

    async def serve(self) -> int:
        self._stop = asyncio.Event()
        self._reloading = asyncio.Lock()  # two quick SIGHUPs apply one after the other
        async with self.checker:
            await self.outbox.start()
            try:
                await self.checker.sync_sources(self.config)
                await self.db.call(_write_daemon, "running", store.utcnow())
                last = await self.db.call(store.latest_fetches)
                self._states = ErrorStates({sid: state_of(r["outcome"], r["error_kind"]) for sid, r in last.items()})
                await self.checker.prime(self._schedulable(self.config))  # first checks need no state read
                self._start_scheduler(last)
                self._install_signals()
                log.info("daemon started: %d sources scheduled", len(self._scheduled_ids()),
                         extra={"fields": {"event": "start", "pid": os.getpid(), "db": str(self.options.db_path),
                                           "sources": self._scheduled_ids(),
                                           "analysis_pool": self.checker.pool_enabled}})
                await self._stop.wait()
                await self._shutdown()
            finally:
                self.outbox.close()
                await self._final_row()
        log.info("daemon stopped", extra={"fields": {"event": "stop"}})
        return 0

    async def _final_row(self) -> None:
        try:
            await self.db.call(_write_daemon, "stopped")
        except Exception:  # the DB may be the reason we stop; the lock still tells the truth
            log.exception("could not record the daemon's stop in the DB")

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.request_stop, "SIGTERM")
        loop.add_signal_handler(signal.SIGINT, self.request_stop, "SIGINT")
        loop.add_signal_handler(signal.SIGHUP, self._spawn, self.reload)

    def _spawn(self, coro_fn: Callable[[], Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro_fn())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def request_stop(self, why: str = "request") -> None:
        if self._stopping or self._stop is None:
            return
        self._stopping = True
        log.info("%s received: no new checks; waiting up to %gs for %d in flight", why, self.options.grace,
                 len(self._inflight), extra={"fields": {"event": "stopping", "signal": why,
                                                         "inflight": len(self._inflight)}})
        if self._scheduler is not None:
            self._scheduler.pause()
        self._stop.set()

    async def _shutdown(self) -> None:
        try:
            await self.db.call(_write_daemon, "stopping")
        except Exception:
            log.exception("could not record 'stopping'")
        pending = set(self._inflight)
        if pending:
            done, still = await asyncio.wait(pending, timeout=self.options.grace)
            for task in still:
                task.cancel()
            if still:
                log.warning("grace period over: cancelled %d unfinished checks (nothing of them was stored)",
                            len(still), extra={"fields": {"event": "cancelled", "count": len(still)}})
                await asyncio.wait(still, timeout=5)
        for task in list(self._background):
            task.cancel()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)

    # ---------------------------------------------------------------- scheduling

    def _schedulable(self, config: Config) -> list[Source]:
        return [s for s in config.sources if s.enabled and s.configured]

    def _scheduled_ids(self) -> list[str]:
        if self._scheduler is None:
            return []
        return sorted(j.id for j in self._scheduler.get_jobs() if not j.id.startswith("_"))

    def _start_scheduler(self, last: dict[str, dict[str, Any]]) -> None:
        sched = AsyncIOScheduler(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1})
        self._scheduler = sched
        sched.add_listener(self._on_submitted, EVENT_JOB_SUBMITTED)
        self._add_sources(self._schedulable(self.config), last)
        sched.add_job(self._heartbeat, IntervalTrigger(seconds=self.options.heartbeat, timezone=UTC),
                      id="_heartbeat", misfire_grace_time=None)
        if deliver_pending is not None:
            sched.add_job(self._deliver, IntervalTrigger(seconds=self.options.deliver_every, timezone=UTC),
                          id="_deliver", misfire_grace_time=None, next_run_time=dt.datetime.now(UTC))
        sched.start()
        for src in self.config.sources:
            if src.enabled and not src.configured:
                log.info("%s: no URL configured, not scheduled", src.id, extra={"fields": {"source": src.id}})

    def _add_sources(self, sources: list[Source], last: dict[str, dict[str, Any]]) -> None:
        assert self._scheduler is not None
        now = dt.datetime.now(UTC)
        last_at = {sid: _parse(r["started_at"]) for sid, r in last.items() if r.get("started_at")}
        plan = first_runs(sources, last_at, now, self.options.stagger_window)
        for src in sources:
            self._scheduler.add_job(
                self._check, trigger_for(src, self.config.settings.jitter), args=[src.id], id=src.id,
                name=src.id, next_run_time=plan[src.id], misfire_grace_time=max(1, int(period(src, now))),
                replace_existing=True)
            log.debug("%s: first run %s", src.id, plan[src.id].isoformat(),
                      extra={"fields": {"source": src.id, "first_run": plan[src.id].isoformat()}})

    def _on_submitted(self, event: JobSubmissionEvent) -> None:
        if event.scheduled_run_times:
            self._planned[event.job_id] = event.scheduled_run_times[-1]

    # ---------------------------------------------------------------- jobs

    async def _check(self, source_id: str) -> None:
        planned = self._planned.pop(source_id, None)
        try:
            src = self.config.source(source_id)
        except ConfigError:
            return  # removed by a reload after this run was submitted
        if self._stopping:
            return
        task = asyncio.current_task()
        assert task is not None
        self._inflight.add(task)
        try:
            late = (dt.datetime.now(UTC) - planned).total_seconds() if planned else None
            result: CheckResult = await self.checker.check(src)
        except StoreError as exc:  # disk full, DB unwritable: one line, the next run tries again
            log.error("check %s not stored: %s", src.id, exc,
                      extra={"fields": {"event": "store_error", "source": src.id, "error": str(exc)}})
            return
        except asyncio.CancelledError:  # shutdown after the grace period: nothing of this check was stored
            log.info("check %s cancelled by shutdown", src.id, extra={"fields": {"event": "check", "source": src.id,
                                                                      "outcome": "cancelled"}})
            return
        finally:
            self._inflight.discard(task)
        kind = result.fetch_error_kind
        material: list[dict] = []
        if result.outcome == "new_version" and (result.changes or result.held):
            try:
                material = await self.db.call(version_changes, src.id, result.version)
            except asyncio.CancelledError:  # shutdown: the check is stored, still log it (without changes)
                self._log_check(src, result, kind, planned, late)
                raise
            except Exception:  # the log line must not cost the check; the changes are stored anyway
                log.debug("could not read the changes of %s v%s for the log", src.id, result.version, exc_info=True)
        self._log_check(src, result, kind, planned, late, material)

    def _log_check(self, src: Source, result: CheckResult, kind: str | None, planned: dt.datetime | None,
                   late: float | None, material: list[dict] | None = None) -> None:
        fields = {"event": "check", "source": src.id, "outcome": result.outcome, "version": result.version,
                  "changes": result.changes, "held": result.held, "alerts": result.alerts,
                  "duration_ms": round(result.duration_ms, 1), "error_kind": kind if result.failed else None,
                  "planned": planned.isoformat() if planned else None,
                  "late_ms": round(late * 1000, 1) if late is not None else None}
        if material:
            fields["material_changes"] = changes_field(material)
        if result.extract_failures:
            fields["extract_failures"] = result.extract_failures
        version = f" v{result.version}" if result.version else ""
        log.info("check %s %s%s %.0f ms%s", src.id, result.outcome, version, result.duration_ms,
                 changes_suffix(material or []), extra={"fields": fields})
        state = state_of(result.outcome, kind if result.failed else None)
        changed, previous = self._states.change(src.id, state)
        if not changed:
            return
        if state == "ok":
            log.info("%s recovered (was %s)", src.id, previous,
                     extra={"fields": {"event": "recovered", "source": src.id, "previous": previous}})
        else:
            log.warning("%s failing (%s): %s", src.id, state, result.error,
                        extra={"fields": {"event": "failing", "source": src.id, "state": state,
                                          "previous": previous, "error": result.error}})

    async def _heartbeat(self) -> None:
        if not self._stopping:
            await self.db.call(_write_daemon, "running")

    async def _deliver(self) -> None:
        config = self.config
        if deliver_pending is None or not config.channels or self._stopping:
            return
        report = await self.outbox.call(lambda db: deliver_pending(db, config))
        if report.sent or report.failed or report.dead:
            log.info("alerts: %d sent, %d failed, %d dead", report.sent, report.failed, report.dead,
                     extra={"fields": {"event": "deliver", **report.as_dict()}})

    # ---------------------------------------------------------------- reload

    async def reload(self) -> None:
        if self._stopping or self._scheduler is None or self._reloading is None:
            return
        async with self._reloading:
            await self._reload()

    async def _reload(self) -> None:
        assert self._scheduler is not None
        path = self.options.config_path
        try:
            new = await asyncio.get_running_loop().run_in_executor(None, load_config, path)
        except ConfigError as exc:
            log.error("reload failed, keeping the running configuration: %s", exc,
                      extra={"fields": {"event": "reload_failed", "error": str(exc)}})
            return
        old_sources = {s.id: s for s in self._schedulable(self.config)}
        new_sources = {s.id: s for s in self._schedulable(new)}
        jitter_changed = new.settings.jitter != self.config.settings.jitter
        removed = sorted(old_sources.keys() - new_sources.keys())
        added = sorted(new_sources.keys() - old_sources.keys())
        changed = sorted(sid for sid in old_sources.keys() & new_sources.keys()
                         if jitter_changed or schedule_key(old_sources[sid]) != schedule_key(new_sources[sid]))
        if fetcher_kwargs(new) != fetcher_kwargs(self.config):
            log.warning("concurrency / per_host / user_agent changes take effect after a restart",
                        extra={"fields": {"event": "reload_partial"}})
        self.config = new
        self.checker.config = new
        self.checker.ensure_pool(len(new_sources))
        await self.checker.sync_sources(new)
        for sid in removed + changed:
            if self._scheduler.get_job(sid):
                self._scheduler.remove_job(sid)
        last = await self.db.call(store.latest_fetches)
        self._add_sources([new_sources[sid] for sid in added + changed], last)
        log.info("reloaded %s: %d added, %d removed, %d rescheduled", path, len(added), len(removed), len(changed),
                 extra={"fields": {"event": "reloaded", "added": added, "removed": removed,
                                   "rescheduled": changed, "sources": self._scheduled_ids()}})


def run_daemon(options: DaemonOptions) -> int:
    """Load the config (errors propagate as ConfigError) and serve until stopped; returns the exit code."""
    config = load_config(options.config_path)
    return asyncio.run(Daemon(options, config).serve())
