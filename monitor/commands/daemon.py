"""``monitor run`` (the daemon), ``monitor status`` (is it up? what is due?) and ``monitor reload``."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from monitor import store
from monitor.commands.check import config_option, db_option
from monitor.commands.output import output_options
from monitor.config import Config, load_config
from monitor.errors import ClaimwatchError, ConfigError, StoreError
from monitor.render import rich_text

EXIT_DOWN = 3


@click.command("run")
@db_option
@config_option
@click.option("--grace", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="Seconds in-flight checks may take to finish after SIGTERM/SIGINT.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Log lines on stderr: text, or one JSON object per line.")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info",
              show_default=True)
@click.option("--heartbeat", type=click.FloatRange(min=0.1), default=5.0, show_default=True,
              help="Seconds between heartbeats written to the daemon table.")
@click.option("--deliver-every", type=click.FloatRange(min=0.1), default=5.0, show_default=True,
              help="Seconds between alert outbox deliveries.")
@click.option("--stagger-window", type=click.FloatRange(min=0), default=60.0, show_default=True,
              help="Overdue sources at start (or added by a reload) are spread over this many seconds.")
def run(db_path: Path, config_path: Path, grace: float, log_format: str, log_level: str, heartbeat: float,
        deliver_every: float, stagger_window: float) -> None:
    """Run the scheduler: check every source on its interval or cron, deliver alerts, until stopped.

    Signals: SIGTERM/SIGINT stop after in-flight checks finish (at most --grace seconds), exit 0;
    SIGHUP (or `monitor reload`) re-reads the sources file. Only one daemon may use a history DB:
    a second one exits with code 2 naming the pid holding DB.lock. The log line of a check that
    stored a new version lists its material changes (`~ [high] dosage (oral): 1–3 mg → 5–10 mg`).

    \b
    Exit codes:
      0  stopped by SIGTERM/SIGINT after in-flight checks finished or were cancelled
      2  configuration error, or another daemon holds the DB lock
    """
    from monitor.daemon.lock import DaemonLock
    from monitor.daemon.logs import setup_logging
    from monitor.daemon.service import DaemonOptions, run_daemon

    setup_logging(log_format, log_level)
    load_config(config_path)  # fail fast (exit 2, file:line) before taking the lock
    with DaemonLock(db_path):
        code = run_daemon(DaemonOptions(db_path=db_path, config_path=config_path, grace=grace,
                                        heartbeat=heartbeat, deliver_every=deliver_every,
                                        stagger_window=stagger_window))
    sys.exit(code)


@click.command("status")
@db_option
@config_option
@output_options(what="the status")
@click.option("--stale-after", type=click.FloatRange(min=0), default=60.0, show_default=True,
              help="A heartbeat older than this many seconds means the daemon is stale.")
def status(db_path: Path, config_path: Path, fmt: str, stale_after: float) -> None:
    """Is the daemon up, and when was each source last checked / next due?

    \b
    Exit codes (for monitoring systems and health checks):
      0  the daemon holds its lock and its heartbeat is fresh
      3  the daemon is down or stale
      2  no history DB, or a usage error
    """
    as_json = fmt == "json"
    from monitor.daemon.status import gather_status

    config: Config | None
    warning = None
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        config, warning = None, f"{exc} (showing the sources stored in the DB)"
    db = store.open_db(db_path, readonly=True)
    try:
        report = gather_status(db, db_path, config, stale_after)
    finally:
        db.close()
    if warning:
        report["warning"] = warning
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        _print_status(report)
    sys.exit(0 if report["ok"] else EXIT_DOWN)


def _print_status(report: dict) -> None:
    console = Console()
    d = report["daemon"]
    if d["up"]:
        head = rich_text("daemon up", "bold green") + rich_text(
            f": pid {d['pid']} on {d['host']}, since {d['started_at']}")
    elif d["lock_held"]:
        head = rich_text("daemon stale", "bold red") + rich_text(
            f": pid {d['pid']} holds the lock but its heartbeat is old")
    else:
        head = rich_text("daemon down", "bold red") + rich_text(": no process holds the lock")
    console.print(head)
    age = f" ({d['heartbeat_age_s']:.0f} s ago)" if d["heartbeat_age_s"] is not None else ""
    console.print(rich_text(f"last heartbeat: {d['heartbeat_at'] or 'never'}{age}; "
                            f"undelivered alerts: {report['alerts_pending']}"))
    if report.get("warning"):
        console.print(rich_text("warning:", "yellow") + rich_text(f" {report['warning']}"))
    table = Table(title_justify="left")
    for col in ("source", "last check", "outcome", "next due", "failures"):
        table.add_column(col)
    for s in report["sources"]:
        due = s["next_due"] or ("disabled" if not s["enabled"] else "not configured")
        table.add_row(rich_text(s["id"]), s["last_check"] or "never", rich_text(s["outcome"] or ""),
                      rich_text(f"{due} (overdue)", "yellow") if s["overdue"] else due,
                      str(s["consecutive_failures"] or ""))
    console.print(table)


@click.command("reload")
@db_option
@config_option
def reload(db_path: Path, config_path: Path) -> None:
    """Make the running daemon re-read the sources file (sends SIGHUP to the pid holding DB.lock).

    The file is validated here first: an invalid file is reported (exit 2) and not sent, and the
    daemon keeps its current configuration either way.

    \b
    Exit codes:
      0  SIGHUP sent
      2  invalid sources file, or no daemon running on this DB
    """
    from monitor.daemon.lock import lock_path, probe_lock

    load_config(config_path)
    held, pid = probe_lock(db_path)
    if not held or pid is None:
        raise StoreError(f"no daemon is running on {db_path} (nobody holds {lock_path(db_path)})")
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        raise ClaimwatchError(f"pid {pid} from {lock_path(db_path)} is not a process on this host "
                              "(is the daemon running on another machine?)") from None
    click.echo(f"sent SIGHUP to the daemon (pid {pid}); it logs what it added, removed and rescheduled")
