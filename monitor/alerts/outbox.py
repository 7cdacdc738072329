"""The durable alert outbox: rows are queued with the change, delivered later, never lost.

Queueing (``enqueue_changes``, ``enqueue_source_event``) runs inside the pipeline's own
transaction, so a change and its alerts are committed together or not at all.

Delivery (``deliver_pending``) is **at-least-once**:

1. *claim* — each due row is moved to ``sending`` (``attempts + 1``, ``next_attempt_at`` = now +
   lease) by one atomic ``UPDATE … WHERE status IN (…)`` in its own short transaction; a row
   another process claimed first is skipped;
2. *send* — the message goes out through Apprise (no transaction is open meanwhile);
3. *mark* — ``sent`` (with ``sent_at``), or ``failed`` with exponential backoff
   (``base · factor^(attempts-1)``, capped), or ``dead`` once ``max_attempts`` is reached, the
   masked reason kept in ``last_error``.

If the process dies between 2 and 3, the row stays ``sending``; once its lease has expired the
next delivery run claims and sends it again. The receiver may therefore see a message twice —
at most one extra copy per crash of a run that was sending it — and can drop the copy: every
message carries ``claimwatch-alert-<id>`` (body line, ``X-Claimwatch-Idempotency-Key`` header,
``idempotency_key`` in json:// payloads). Exactly-once is not possible without the receiver's
help; losing an alert is worse than a duplicate.

Quiet hours (channel ``quiet_hours``, machine local time) hold a channel's alerts until the window
ends; digests (``pass``: one message per channel per run, ``hourly``: wait until the oldest due
alert is an hour old) group alerts into one message. ``force`` (``monitor alerts retry``) ignores
backoff, leases, quiet hours and digest waits.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import sqlite_utils

from monitor import store
from monitor.alerts.messages import AlertItem, Message, render_message
from monitor.alerts.secrets import AlertError, Masker
from monitor.alerts.send import send_message
from monitor.config import Channel, Config, Source
from monitor.models import SEVERITY_RANK
from monitor.store import MATERIAL_KINDS, StoredChange, utcnow

log = logging.getLogger(__name__)
DUE_STATUSES = ("pending", "failed")
HOURLY = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Backoff:
    """Retry delays: ``base · factor^(attempt-1)`` seconds, at most ``cap``; ``lease`` guards 'sending'."""

    base: float = 30.0
    factor: float = 2.0
    cap: float = 3600.0
    lease: float = 300.0

    def delay(self, attempts: int) -> float:
        return min(self.cap, self.base * self.factor ** max(0, attempts - 1))


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    held: int = 0  # quiet hours
    waiting: int = 0  # hourly digest not due yet
    messages: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "failed": self.failed, "dead": self.dead, "held": self.held,
                "waiting": self.waiting, "messages": self.messages, "errors": list(self.errors)}

    to_json = as_dict


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()


def _parse(ts: str) -> dt.datetime:
    t = dt.datetime.fromisoformat(ts)
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


# ------------------------------------------------------------------ routing


def _severity_ok(severity: str | None, minimum: str | None) -> bool:
    if not minimum:
        return True
    return SEVERITY_RANK.get(severity or "low", 0) >= SEVERITY_RANK.get(minimum, 0)


def channels_for_source(config: Config, source: Source) -> list[Channel]:
    """Channels a source's alerts may go to (its ``alerts.channels`` override, else all)."""
    wanted = source.alerts.channels
    return [c for c in config.channels if wanted is None or c.name in wanted]


def routes(config: Config, source: Source, category: str, severity: str) -> list[Channel]:
    """Channels that take a change of this category and severity from this source."""
    override = source.alerts
    if override.categories is not None and category not in override.categories:
        return []
    if not _severity_ok(severity, override.min_severity):
        return []
    return [c for c in channels_for_source(config, source)
            if category in c.categories and _severity_ok(severity, c.min_severity)]


def enqueue_changes(db: sqlite_utils.Database, config: Config, source: Source,
                    changes: list[StoredChange]) -> int:
    """Queue one pending alert per (statement group of active material changes, matching channel).

    ``changes`` are the rows the caller just wrote (``store.insert_changes`` /
    ``store.release_held``): their category, severity and group travel with them, so nothing is
    read back. Changes one sentence stated share a group; the group's alert row points at its
    first change and its message lists them all. A channel gets the group when it would take
    any of its changes. Runs in the caller's transaction.
    """
    if not changes or not config.channels:
        return 0
    now = utcnow()
    groups: dict[int, list[Channel]] = {}
    for change in sorted(changes):
        if change.status != "active" or change.kind not in MATERIAL_KINDS:
            continue
        wanted = groups.setdefault(change.group_id or int(change), [])
        wanted += [ch for ch in routes(config, source, change.category, change.severity) if ch not in wanted]
    return sum(store.insert_alert(db, {
        "change_id": leader, "source_id": source.id, "channel": channel.name, "event": "change",
        "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now})
        for leader, channels in groups.items() for channel in channels)


def enqueue_source_event(db: sqlite_utils.Database, config: Config, source: Source, event: str,
                         detail: str) -> int:
    """Queue a 'broken' or 'recovered' alert for every channel of the source; in the caller's transaction."""
    if event not in ("broken", "recovered"):
        raise ValueError(f"unknown source event {event!r} (expected broken or recovered)")
    now = utcnow()
    return sum(store.insert_alert(db, {
        "change_id": None, "source_id": source.id, "channel": c.name, "event": event, "status": "pending",
        "attempts": 0, "next_attempt_at": now, "created_at": now, "detail": Masker()(detail)})
        for c in channels_for_source(config, source))


def enqueue_test(db: sqlite_utils.Database, channel: Channel, detail: str | None = None) -> int:
    """Record a test alert for ``channel`` (own transaction); returns its id."""
    return store.insert_test_alert(db, channel.name, detail or f"Test message for channel {channel.name} from claimwatch.")


# ------------------------------------------------------------------ quiet hours


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def in_quiet_hours(spec: str | None, local: dt.datetime) -> bool:
    """True when ``local`` (wall-clock time) falls in a window like '22:00-07:00' (end exclusive)."""
    if not spec:
        return False
    start, end = (_minutes(p) for p in spec.split("-"))
    t = local.hour * 60 + local.minute
    if start == end:
        return False
    if start < end:
        return start <= t < end
    return t >= start or t < end


# ------------------------------------------------------------------ delivery


def _claim(db: sqlite_utils.Database, row: dict, now: dt.datetime, backoff: Backoff, force: bool) -> bool:
    """Atomically move one row to 'sending'; False when another run got it (or it is no longer due)."""
    return store.claim_alert(db, row["id"], row["status"], _iso(now),
                             _iso(now + dt.timedelta(seconds=backoff.lease)), force)


def _finish(db: sqlite_utils.Database, alert_id: int, now: dt.datetime, error: str | None,
            max_attempts: int, backoff: Backoff) -> str:
    return store.finish_alert(db, alert_id, _iso(now), error, max_attempts,
                              lambda attempts: _iso(now + dt.timedelta(seconds=backoff.delay(attempts))))


def _items(db: sqlite_utils.Database, config: Config, rows: list[dict]) -> list[AlertItem]:
    by_id = {s.id: s for s in config.sources}
    items = []
    for row in rows:
        change = None
        group: list[dict] = []
        if row.get("change_id") is not None:
            group = store.change_group(db, row["change_id"])
            change = next((c for c in group if c["id"] == row["change_id"]), None)
        name = url = None
        sid = row.get("source_id")
        if sid in by_id:
            name, url = by_id[sid].name, by_id[sid].url
        elif sid:
            found = store.source_row(db, sid)
            name, url = (found["name"], found["url"]) if found else (sid, None)
        fetched_at = None
        if change and sid and change.get("to_version") is not None:
            seen = store.find_version(db, sid, change["to_version"])
            fetched_at = seen["first_seen"] if seen else None
        items.append(AlertItem(alert_id=row["id"], event=row["event"], channel=row["channel"], source_id=sid,
                               source_name=name, source_url=url, change=change, detail=row.get("detail"),
                               created_at=row["created_at"], fetched_at=fetched_at,
                               group=tuple(group) if len(group) > 1 else ()))
    return items


def _batches(channel: Channel, rows: list[dict], now: dt.datetime, force: bool,
             report: DeliveryReport) -> list[list[dict]]:
    """Split a channel's due rows into messages, holding them for quiet hours or an hourly digest."""
    if not force and in_quiet_hours(channel.quiet_hours, now.astimezone()):
        report.held += len(rows)
        return []
    tests = [[r] for r in rows if r["event"] == "test"]
    rest = [r for r in rows if r["event"] != "test"]
    if channel.digest == "off" or not rest:
        return tests + [[r] for r in rest]
    if channel.digest == "hourly" and not force:
        oldest = min(_parse(r["created_at"]) for r in rest)
        if now - oldest < HOURLY:
            report.waiting += len(rest)
            return tests
    return tests + [rest]


def _send_batch(db: sqlite_utils.Database, config: Config, channel: Channel, rows: list[dict],
                now: dt.datetime, force: bool, backoff: Backoff, report: DeliveryReport,
                sender: Callable[[Channel, Message], None]) -> None:
    claimed = [r for r in rows if _claim(db, r, now, backoff, force)]
    if not claimed:
        return
    error: str | None = None
    try:
        message = render_message(_items(db, config, claimed), config.settings.base_url)
        sender(channel, message)
        report.messages += 1
    except AlertError as exc:
        error = str(exc)
    except Exception as exc:  # never let one bad message stop the outbox; keep why, masked
        error = Masker()(f"channel {channel.name!r}: {type(exc).__name__}: {exc}")
    if error:
        log.info("alert delivery failed: %s", error)
        report.errors.append(error)
    for row in claimed:
        outcome = _finish(db, row["id"], now, error, channel.max_attempts, backoff)
        setattr(report, outcome, getattr(report, outcome) + 1)


def deliver_pending(db: sqlite_utils.Database, config: Config, *, now: dt.datetime | None = None,
                    force: bool = False, ids: list[int] | None = None, backoff: Backoff | None = None,
                    sender: Callable[[Channel, Message], None] = send_message) -> DeliveryReport:
    """Deliver due alerts (or, with ``force``, all undelivered ones; with ``ids``, only those).

    Uses its own short transactions; call it outside any open transaction.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    backoff = backoff or Backoff()
    report = DeliveryReport()
    channels = {c.name: c for c in config.channels}
    grouped: dict[str, list[dict]] = {}
    for row in store.due_alerts(db, _iso(now), force, ids):
        grouped.setdefault(row["channel"], []).append(row)
    for name, rows in grouped.items():
        channel = channels.get(name)
        if channel is None:
            _orphan(db, rows, name, now, backoff, report)
            continue
        for batch in _batches(channel, rows, now, force, report):
            _send_batch(db, config, channel, batch, now, force, backoff, report, sender)
    return report


def _orphan(db: sqlite_utils.Database, rows: Iterable[dict], name: str, now: dt.datetime,
            backoff: Backoff, report: DeliveryReport) -> None:
    """Alerts for a channel no longer in the config cannot be sent: dead, with the reason."""
    error = f"channel {name!r} is not defined in sources.yaml (add it back, then `monitor alerts retry ID`)"
    for row in rows:
        if _claim(db, row, now, backoff, force=True):
            _finish(db, row["id"], now, error, max_attempts=0, backoff=backoff)
            report.dead += 1
    report.errors.append(error)
