"""``monitor alerts …`` (inspect, deliver, retry and test the outbox) and ``monitor feed`` (Atom).

Everything printed here passes through the masker: channel URLs are shown only via
``mask_url`` and stored errors are re-masked on the way out.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from monitor.alerts import AlertError, DeliveryReport, Masker, deliver_pending, enqueue_test, mask_url
from monitor.commands.output import output_options
from monitor.config import DEFAULT_CONFIG, Config, load_config
from monitor.errors import ClaimwatchError, ConfigError
from monitor import store
from monitor.store import DEFAULT_DB, open_db

STATUSES = ("pending", "sending", "sent", "failed", "dead")


def _db_option(f):
    return click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
                        help=f"History database (default {DEFAULT_DB}).")(f)


def _config_option(f):
    return click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                        default=None, help=f"Configuration file (default {DEFAULT_CONFIG}).")(f)


def _paths(ctx: click.Context, db_path: Path | None, config_path: Path | None) -> tuple[Path, Path]:
    """Sub-command options win over the group's, which win over the defaults."""
    parent = ctx.find_object(dict) or {}
    return (db_path or parent.get("db") or DEFAULT_DB, config_path or parent.get("config") or DEFAULT_CONFIG)


def _print_report(report: DeliveryReport, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
        return
    click.echo(f"sent {report.sent}, failed {report.failed}, dead {report.dead}, held (quiet hours) "
               f"{report.held}, waiting (hourly digest) {report.waiting}; {report.messages} message(s)")
    mask = Masker()
    for error in dict.fromkeys(report.errors):
        click.echo(f"  error: {mask(error)}", err=True)


def _list_rows(db_path: Path, status: str | None) -> list[dict]:
    db = open_db(db_path, create=False)
    return store.alert_list(db, status)


def _show_table(rows: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    mask = Masker()
    table = Table(show_lines=True)
    for name in ("id", "status", "channel", "source", "tries"):
        table.add_column(name, no_wrap=True)
    table.add_column("what", overflow="fold", min_width=24)
    for r in rows:
        what = r["summary"] or r["detail"] or ""
        what = f"[{r['category']}/{r['severity']}] {what}" if r["category"] else f"[{r['event']}] {what}"
        if r["status"] in ("pending", "failed", "sending") and r["next_attempt_at"]:
            what += f"\nnext attempt {r['next_attempt_at']}"
        if r["last_error"]:
            what += f"\nlast error: {r['last_error']}"
        table.add_row(str(r["id"]), r["status"], r["channel"], r["source_id"] or "", str(r["attempts"] or 0),
                      mask(what))
    Console(markup=False, highlight=False, emoji=False, soft_wrap=False).print(table)


@click.group("alerts", invoke_without_command=True)
@_db_option
@_config_option
@click.option("--status", type=click.Choice(STATUSES), default=None, help="Only alerts in this state.")
@output_options(what="the outbox listing")
@click.pass_context
def alerts(ctx: click.Context, db_path: Path | None, config_path: Path | None, status: str | None,
           fmt: str) -> None:
    """List the alert outbox (or use a sub-command to deliver, retry or test).

    Says so (on stderr) when sources.yaml defines no alert channel: then nothing is ever queued.

    \b
    Exit codes:
      0  listed (also when empty)
      2  no history DB, or a usage error
    Sub-commands state their own (`monitor alerts deliver --help`).
    """
    ctx.obj = {"db": db_path, "config": config_path}
    if ctx.invoked_subcommand is not None:
        return
    rows = _list_rows(db_path or DEFAULT_DB, status)
    if fmt == "json":
        mask = Masker()
        click.echo(mask(json.dumps(rows, indent=2, ensure_ascii=False)))
    elif not rows:
        click.echo("no alerts" + (f" with status {status}" if status else ""))
    else:
        _show_table(rows)
    note = _channels_note(config_path)
    if note:
        click.echo(note, err=True)


def _channels_note(config_path: Path | None) -> str | None:
    """Why the outbox may stay empty: no channel in the configuration (or no configuration at all)."""
    path = config_path or DEFAULT_CONFIG
    try:
        config = load_config(path)
    except ConfigError as exc:
        if config_path is None and not path.exists():
            return (f"note: no {path} here, so no alert channel is known; pass --config PATH "
                    "(changes are only queued for channels listed under `alerts:`)")
        return f"note: cannot read the alert channels: {exc}"
    if not config.channels:
        return (f"note: no alert channel is configured in {path}: changes are stored but nobody is "
                "notified (add an `alerts:` list; see README, Alerts)")
    return None


def _load(config_path: Path) -> Config:
    return load_config(config_path)


@alerts.command("deliver")
@_db_option
@_config_option
@output_options(what="the delivery report")
@click.pass_context
def deliver_cmd(ctx: click.Context, db_path: Path | None, config_path: Path | None, fmt: str) -> None:
    """Deliver due alerts once (what the daemon does after every pass).

    \b
    Exit codes:
      0  every due alert was sent (or none was due)
      1  some delivery failed (retried later with backoff) or gave up (dead)
      2  configuration error or no history DB
    """
    db_path, config_path = _paths(ctx, db_path, config_path)
    config = _load(config_path)
    report = deliver_pending(open_db(db_path, create=False), config)
    _print_report(report, fmt == "json")
    if report.failed or report.dead:
        sys.exit(1)


@alerts.command("retry")
@click.argument("alert_ids", metavar="ID...", nargs=-1, type=int)
@click.option("--all", "retry_all", is_flag=True, help="Every undelivered alert (pending, failed, dead).")
@_db_option
@_config_option
@click.pass_context
def retry_cmd(ctx: click.Context, alert_ids: tuple[int, ...], retry_all: bool, db_path: Path | None,
              config_path: Path | None) -> None:
    """Deliver the given alerts now, ignoring backoff, quiet hours and digest waits.

    \b
    Exit codes:
      0  every given alert was sent
      1  some delivery failed again
      2  unknown or already-sent alert id, configuration error, usage error
    """
    if bool(alert_ids) == retry_all:
        raise click.UsageError("give alert ids or --all (not both)")
    db_path, config_path = _paths(ctx, db_path, config_path)
    config = _load(config_path)
    db = open_db(db_path, create=False)
    if retry_all:
        ids = store.alert_ids_with_status(db, ("pending", "failed", "dead"))
    else:
        known = store.alert_statuses(db, alert_ids)
        missing = [i for i in alert_ids if i not in known]
        if missing:
            raise AlertError(f"no alert with id {missing[0]} (see `monitor alerts`)")
        done = [i for i in alert_ids if known[i] == "sent"]
        if done:
            raise AlertError(f"alert {done[0]} was already sent (a sent alert is never re-sent)")
        ids = list(alert_ids)
    report = deliver_pending(db, config, force=True, ids=ids)
    _print_report(report, as_json=False)
    if report.failed or report.dead:
        sys.exit(1)


@alerts.command("test")
@click.argument("channel_name", metavar="CHANNEL")
@_db_option
@_config_option
@click.pass_context
def test_cmd(ctx: click.Context, channel_name: str, db_path: Path | None, config_path: Path | None) -> None:
    """Send a test message through CHANNEL (recorded in the outbox as event 'test').

    \b
    Exit codes:
      0  the channel accepted the message
      2  it did not (the reason is printed, secrets masked), or unknown channel / configuration error
    """
    db_path, config_path = _paths(ctx, db_path, config_path)
    config = _load(config_path)
    channel = next((c for c in config.channels if c.name == channel_name), None)
    if channel is None:
        names = ", ".join(c.name for c in config.channels) or "none"
        raise AlertError(f"{config_path}: no alert channel named {channel_name!r} (defined: {names})")
    db = open_db(db_path)
    alert_id = enqueue_test(db, channel)
    report = deliver_pending(db, config, force=True, ids=[alert_id])
    if report.sent:
        click.echo(f"test message sent through {channel.name} ({mask_url(channel.url)}); alert {alert_id}")
        return
    reason = Masker()(report.errors[-1] if report.errors else "unknown error")
    raise AlertError(f"test through channel {channel.name!r} failed (alert {alert_id}): {reason}")


@click.command("feed")
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              default=Path("changes.xml"), show_default=True, help="Where to write the Atom feed ('-' for stdout).")
@_db_option
@_config_option
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True, help="Newest N changes.")
@click.option("--base-url", default=None, help="Datasette base URL for links (default: settings.base_url).")
def feed_cmd(output: Path, db_path: Path | None, config_path: Path | None, limit: int,
             base_url: str | None) -> None:
    """Write an Atom 1.0 feed of claim changes (newest first).

    \b
    Exit codes:
      0  written
      2  no history DB, configuration error, or the output cannot be written
    """
    from monitor.feed import build_feed

    if base_url is None:
        path = config_path or DEFAULT_CONFIG
        if config_path is not None or path.exists():
            base_url = load_config(path).settings.base_url
    data = build_feed(open_db(db_path or DEFAULT_DB, create=False), base_url=base_url, limit=limit)
    if str(output) == "-":
        sys.stdout.buffer.write(data)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_name(output.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(output)
    except OSError as exc:
        raise ClaimwatchError(f"{output}: cannot write the feed ({exc.strerror}); choose another --output")
    click.echo(f"wrote {output}")
