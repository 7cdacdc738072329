"""Pure scheduling decisions: when each source runs first, and with which trigger.

**First run after (re)start comes from the DB**, not from the clock of the start: a source
whose last fetch (``fetches.started_at``) is younger than its interval waits for the rest of
it, so a restart after five minutes refetches nothing.

**Overdue sources are staggered**: after a long stop every source is due at once. They are
ordered most-overdue first (never-fetched ones first of all) and started ``step`` seconds
apart, ``step = min(MAX_STEP, window / n)`` with ``window`` = ``monitor run --stagger-window``
(default 60 s): a handful of sources start within seconds, a hundred are spread over the
window, never a burst. No source waits longer than one of its own periods (a source checked
every 10 s does not wait 50 s). The fetcher's global and per-host limits still apply on top.

**Jitter** (``settings.jitter`` × period, added by APScheduler after every planned run) keeps
sources with equal intervals from drifting into lockstep against one host.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.config import Config, Source

UTC = dt.timezone.utc
MAX_STEP = 5.0  # seconds between two overdue sources at most


def next_due(src: Source, last_at: dt.datetime) -> dt.datetime:
    """When a source fetched at ``last_at`` is due again: its interval later, or its next cron time."""
    if src.cron:
        nxt = _cron(src).get_next_fire_time(None, last_at + dt.timedelta(seconds=1))
        return nxt or last_at + dt.timedelta(days=365)
    return last_at + dt.timedelta(seconds=src.interval or 0)


def due_sources(config: Config, last_fetch: Mapping[str, dt.datetime | None],
                now: dt.datetime | None = None) -> list[Source]:
    """Enabled sources whose interval (or cron) has elapsed since their last fetch (``monitor check``).

    Lives beside :func:`first_runs` so that ``monitor check`` and the daemon decide "due" by
    the same rule; ``last_fetch`` comes from one query (``store.last_fetch_times``), not one
    query per source.
    """
    now = now or dt.datetime.now(UTC)
    due = []
    for src in config.sources:
        if not src.enabled:
            continue
        last = last_fetch.get(src.id)
        if last is None or next_due(src, last) <= now:
            due.append(src)
    return due


def _cron(src: Source) -> CronTrigger:
    return CronTrigger.from_crontab(src.cron or "", timezone=UTC)


def period(src: Source, now: dt.datetime | None = None) -> float:
    """Seconds between two runs: the interval, or the gap between a cron's next two fire times."""
    if not src.cron:
        return float(src.interval or 0)
    now = now or dt.datetime.now(UTC)
    trigger = _cron(src)
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first + dt.timedelta(seconds=1)) if first else None
    if first is None or second is None:
        return 365 * 86400.0
    return max(1.0, (second - first).total_seconds())


def trigger_for(src: Source, jitter_fraction: float) -> BaseTrigger:
    """IntervalTrigger or CronTrigger (UTC) with jitter = fraction × period seconds."""
    jitter = jitter_fraction * period(src)
    if src.cron:
        trigger = _cron(src)
        trigger.jitter = jitter or None
        return trigger
    return IntervalTrigger(seconds=float(src.interval or 0), jitter=jitter or None, timezone=UTC)


def first_runs(sources: Iterable[Source], last_fetch: Mapping[str, dt.datetime | None], now: dt.datetime,
               window: float) -> dict[str, dt.datetime]:
    """Planned first run per source id (see the module docstring for the rules)."""
    plan: dict[str, dt.datetime] = {}
    overdue: list[tuple[dt.datetime, Source]] = []
    floor = dt.datetime.min.replace(tzinfo=UTC)
    for src in sources:
        last = last_fetch.get(src.id)
        if last is None:
            overdue.append((floor, src))
            continue
        due = next_due(src, last)
        if due <= now:
            overdue.append((due, src))
        else:
            plan[src.id] = due
    overdue.sort(key=lambda pair: (pair[0], pair[1].id))
    step = min(MAX_STEP, max(0.0, window) / len(overdue)) if overdue else 0.0
    for k, (_, src) in enumerate(overdue):
        offset = min(k * step, period(src, now))
        plan[src.id] = now + dt.timedelta(seconds=offset)
    return plan


def schedule_key(src: Source) -> tuple[float | None, str | None]:
    """What, in a source, decides its schedule (a reload reschedules only when this changes)."""
    return src.interval, src.cron
