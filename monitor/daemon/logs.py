"""Daemon logging: one line per check, text or JSON lines, errors reported per state change.

A source that fails every cycle for a day must not write the same stack of warnings 10 000
times: :class:`ErrorStates` remembers each source's state (``ok`` or ``<outcome>:<kind>``)
and the daemon writes a WARNING only when it changes (ok→error, one error kind→another) and
an INFO "recovered" on error→ok. The per-check INFO line is always written (it is the
activity log) but carries only the outcome and error kind, not the message. When the check
stored a new version, the line also names its material changes (:func:`changes_suffix`), so
``grep dosage`` on the log answers "when did the dose change?" without opening the DB.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any

LOG_LEVELS = ("debug", "info", "warning", "error")
_BUILTIN = set(vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, plus the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        out.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``2026-03-03T10:00:00Z INFO claimwatch.daemon: message key=value …``."""

    def format(self, record: logging.LogRecord) -> str:
        ts = dt.datetime.fromtimestamp(record.created, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        line = f"{ts} {record.levelname:<7} {record.name}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def setup_logging(fmt: str = "text", level: str = "info") -> None:
    """Route every logger to stderr in the chosen format; quiet the chatty libraries."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    numeric = getattr(logging, level.upper())
    root.setLevel(numeric)
    # APScheduler logs every job run at INFO ("Running job ..."): our own check line replaces it.
    for noisy in ("apscheduler", "httpx", "httpcore", "apprise"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))
    sched = logging.getLogger("apscheduler.scheduler")
    for old_filter in list(sched.filters):
        sched.removeFilter(old_filter)
    sched.addFilter(_demote_skips)


def _demote_skips(record: logging.LogRecord) -> bool:
    """A run skipped because the previous one is still going is expected (max_instances=1): debug."""
    if "maximum number of running instances" in record.getMessage():
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(logging.DEBUG)
    return True


def state_of(outcome: str, kind: str | None) -> str:
    return "ok" if outcome not in ("error", "blocked") else f"{outcome}:{kind or outcome}"


class ErrorStates:
    """Per-source last state; ``change(source, state)`` returns the previous one when it differs."""

    def __init__(self, initial: dict[str, str] | None = None) -> None:
        self._states: dict[str, str] = dict(initial or {})

    def change(self, source_id: str, state: str) -> tuple[bool, str | None]:
        previous = self._states.get(source_id)
        self._states[source_id] = state
        if previous is None:
            return state != "ok", None
        return previous != state, previous


MAX_CHANGES_IN_LINE = 5  # a page rewrite may change dozens of claims: the rest is counted, not listed


def changes_suffix(rows: list[dict[str, Any]]) -> str:
    """``: 2 material changes: ~ [high] dosage (oral): 1–3 mg → 5–10 mg; + [low] …`` (or "")."""
    from monitor.checkview import change_line

    if not rows:
        return ""
    shown = "; ".join(change_line(r) for r in rows[:MAX_CHANGES_IN_LINE])
    more = len(rows) - MAX_CHANGES_IN_LINE
    head = f"{len(rows)} material change{'s' if len(rows) != 1 else ''}"
    return f": {head}: {shown}" + (f"; … and {more} more" if more > 0 else "")


def changes_field(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every change (not only the first few) for JSON log lines."""
    from monitor.checkview import change_json

    return [change_json(r) for r in rows]
