"""What ``monitor status`` reports, gathered without disturbing a running daemon.

A daemon is **up** when both hold:

* the lock on ``<db>.lock`` is held (probed with a non-blocking shared lock: the kernel's
  answer, true even after a SIGKILL left the ``daemon`` row saying "running"), and
* its heartbeat (``daemon.heartbeat_at``) is at most ``stale_after`` seconds old (a process
  that is alive but wedged stops beating).

Per source: last check and outcome (``fetches``), the earliest time it is due again (its
last fetch + interval, or the next cron time; the daemon adds jitter/stagger on top),
consecutive failures (``source_state``); and the number of undelivered alerts.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import sqlite_utils

from monitor import store
from monitor.config import Config, Source
from monitor.daemon.lock import probe_lock
from monitor.schedule import UTC, next_due

UNDELIVERED = ("pending", "failed", "sending")


def _parse(ts: str | None) -> dt.datetime | None:
    if not ts:
        return None
    t = dt.datetime.fromisoformat(ts)
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _sources_from_db(db: sqlite_utils.Database) -> list[Source]:
    """The sources as the daemon last synced them (used when sources.yaml cannot be read)."""
    out = []
    for row in store.source_rows(db):
        settings = json.loads(row["settings"] or "{}")
        out.append(Source(id=row["id"], url=row["url"] or None, name=row["name"] or row["id"],
                          interval=settings.get("interval"), cron=settings.get("cron"),
                          enabled=bool(row["enabled"])))
    return out


def gather_status(db: sqlite_utils.Database, db_path: Path, config: Config | None, stale_after: float,
                  now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or dt.datetime.now(UTC)
    held, lock_pid = probe_lock(db_path)
    row = store.daemon_row(db)
    beat = _parse(row.get("heartbeat_at"))
    age = (now - beat).total_seconds() if beat else None
    fresh = age is not None and age <= stale_after
    daemon = {"up": held and fresh, "lock_held": held, "pid": lock_pid if held else row.get("pid"),
              "host": row.get("host"), "state": row.get("state") if held else "down",
              "recorded_state": row.get("state"), "started_at": row.get("started_at"),
              "heartbeat_at": row.get("heartbeat_at"), "heartbeat_age_s": round(age, 1) if age is not None else None,
              "fresh": fresh, "stale_after_s": stale_after}
    sources = list(config.sources) if config is not None else _sources_from_db(db)
    last = store.latest_fetches(db)
    states = store.source_states(db)
    out_sources = []
    for src in sources:
        f = last.get(src.id, {})
        last_at = _parse(f.get("started_at"))
        due = None
        if src.enabled and src.configured and (src.interval or src.cron):
            due = next_due(src, last_at) if last_at else now
        out_sources.append({
            "id": src.id, "enabled": src.enabled, "configured": src.configured,
            "last_check": f.get("started_at"), "outcome": f.get("outcome"), "error": f.get("error"),
            "next_due": due.replace(microsecond=0).isoformat() if due else None,
            "overdue": bool(due and due < now),
            "consecutive_failures": (states.get(src.id) or {}).get("consecutive_failures") or 0})
    pending = store.count_alerts(db, UNDELIVERED)
    return {"daemon": daemon, "sources": out_sources, "alerts_pending": pending, "ok": daemon["up"]}
