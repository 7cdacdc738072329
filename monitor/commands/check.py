"""``monitor check`` (one pass) and ``monitor history SOURCE`` (versions and fetches)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from monitor import store
from monitor.config import DEFAULT_CONFIG, load_config
from monitor.pipeline import CheckResult, run_pass
from monitor.render import rich_text

db_option = click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
                         default=store.DEFAULT_DB, show_default=True, help="History database.")
config_option = click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                             default=DEFAULT_CONFIG, show_default=True, help="Sources file.")

_STYLE = {"new_version": "bold green", "unchanged": "dim", "not_modified": "dim", "error": "bold red",
          "blocked": "bold yellow", "not_configured": "yellow"}


@click.command()
@click.option("--source", "-s", "sources", multiple=True, metavar="ID",
              help="Check this source now, due or not (repeatable). Default: every due source.")
@db_option
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON instead of a table.")
def check(sources: tuple[str, ...], db_path: Path, config_path: Path, as_json: bool) -> None:
    """Fetch due sources once, store new versions, claims and changes, queue alerts.

    Exit code 0 when every checked source succeeded, 1 when some failed (the others are still
    stored), 2 on a usage or configuration error.
    """
    config = load_config(config_path)
    console = Console(stderr=True)
    show_progress = console.is_terminal and not as_json
    done: list[CheckResult] = []

    def progress(result: CheckResult) -> None:
        done.append(result)
        if show_progress:
            console.print(rich_text(f"  {result.outcome:>13}", _STYLE.get(result.outcome, ""))
                          + rich_text(f" {result.source_id}"))

    report = run_pass(db_path, config, list(sources) or None, progress=progress)
    delivered = _deliver(db_path, config)
    if as_json:
        click.echo(json.dumps({"results": [r.to_json() for r in report.results], "delivery": delivered}, indent=2))
    else:
        _print_table(report.results, delivered)
    sys.exit(1 if report.failed else 0)


def _deliver(db_path: Path, config) -> dict | None:
    """Deliver queued alerts after the pass (the daemon does this continuously)."""
    if not config.channels:
        return None
    from monitor import alerts

    db = store.open_db(db_path)
    try:
        result = alerts.deliver_pending(db, config)
    finally:
        db.close()
    return result.to_json() if hasattr(result, "to_json") else dict(getattr(result, "__dict__", {}))


def _print_table(results: list[CheckResult], delivered: dict | None) -> None:
    console = Console()
    table = Table(title="claimwatch check", title_justify="left")
    for col in ("source", "outcome", "version", "changes", "time", "detail"):
        table.add_column(col, justify="right" if col in ("version", "changes", "time") else "left")
    for r in results:
        detail = r.error or (f"{r.held} held for confirmation" if r.held else "")
        table.add_row(rich_text(r.source_id), rich_text(r.outcome, _STYLE.get(r.outcome, "")),
                      str(r.version or ""), str(r.changes or ""), f"{r.duration_ms:.0f} ms", rich_text(detail))
    if not results:
        console.print("no source is due (name one with --source ID to check it now)")
        return
    console.print(table)
    failed = sum(r.failed for r in results)
    console.print(f"{len(results)} checked, {sum(r.outcome == 'new_version' for r in results)} new versions, "
                  f"{sum(r.changes for r in results)} material changes, {failed} failed")
    if delivered:
        console.print("alerts: " + ", ".join(f"{k} {v}" for k, v in delivered.items()))


@click.command()
@click.argument("source")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print versions and fetches as JSON.")
@click.option("--limit", default=20, show_default=True, help="How many recent fetches to list.")
def history(source: str, db_path: Path, as_json: bool, limit: int) -> None:
    """List the stored versions and recent fetches of SOURCE."""
    db = store.open_db(db_path, readonly=True)
    store.get_version(db, source)  # clear error for an unknown source / no version
    versions = list(db.query(
        "SELECT number, first_seen, last_seen, claim_count, title, text_hash, held FROM versions "
        "WHERE source_id = ? ORDER BY number", [source]))
    fetches = list(db.query(
        "SELECT started_at, outcome, status_code, duration_ms, error FROM fetches WHERE source_id = ? "
        "ORDER BY id DESC LIMIT ?", [source, limit]))
    if as_json:
        click.echo(json.dumps({"source": source, "versions": versions, "fetches": fetches}, indent=2))
        return
    console = Console()
    vt = Table(title=rich_text(f"{source}: versions"), title_justify="left")
    for col in ("#", "first seen", "last seen", "claims", "title"):
        vt.add_column(col)
    for v in versions:
        vt.add_row(str(v["number"]) + (" (held)" if v["held"] else ""), v["first_seen"], v["last_seen"],
                   str(v["claim_count"]), rich_text(v["title"] or ""))
    console.print(vt)
    ft = Table(title=rich_text(f"{source}: last {len(fetches)} fetches"), title_justify="left")
    for col in ("started", "outcome", "status", "ms", "error"):
        ft.add_column(col)
    for f in fetches:
        ft.add_row(f["started_at"], rich_text(f["outcome"]), str(f["status_code"] or ""),
                   f"{f['duration_ms'] or 0:.0f}", rich_text(f["error"] or ""))
    console.print(ft)
