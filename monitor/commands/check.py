"""``monitor check`` (one pass) and ``monitor history SOURCE`` (versions and fetches)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from monitor import store
from monitor.checkview import change_json, change_line, version_changes
from monitor.commands.output import add_key_column, output_options
from monitor.config import DEFAULT_CONFIG, load_config
from monitor.pipeline import CheckResult, run_pass
from monitor.render import rich_text

db_option = click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
                         default=store.DEFAULT_DB, show_default=True, help="History database.")
config_option = click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                             default=DEFAULT_CONFIG, show_default=True, help="Sources file.")

_STYLE = {"new_version": "bold green", "unchanged": "dim", "not_modified": "dim", "error": "bold red",
          "blocked": "bold yellow", "not_configured": "yellow"}
_CHANGE_STYLE = {"high": "bold red", "medium": "yellow"}


@click.command()
@click.option("--source", "-s", "sources", multiple=True, metavar="ID",
              help="Check this source now, due or not (repeatable). Default: every due source.")
@db_option
@config_option
@output_options(what="the results")
def check(sources: tuple[str, ...], db_path: Path, config_path: Path, fmt: str) -> None:
    """Fetch due sources once, store new versions, claims and changes, queue alerts.

    Prints one row per checked source, then each material change of a new version under its
    source, e.g. `~ [high] dosage (oral): 1–3 mg → 5–10 mg` (in --json: `material_changes`).

    \b
    Exit codes:
      0  every checked source succeeded (changes or not)
      1  some source failed to fetch (the others are still stored)
      2  usage or configuration error
    """
    as_json = fmt == "json"
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
    changes = _changes(db_path, report.results)
    delivered = _deliver(db_path, config)
    if as_json:
        click.echo(json.dumps({"results": [{**r.to_json(), "material_changes": [
            change_json(c) for c in changes.get(r.source_id, [])]} for r in report.results],
            "delivery": delivered, "channels": len(config.channels)}, indent=2, ensure_ascii=False))
    else:
        _print_table(report.results, delivered, changes, bool(config.channels))
    sys.exit(1 if report.failed else 0)


def _changes(db_path: Path, results: list[CheckResult]) -> dict[str, list[dict]]:
    """Material changes of each new version this pass stored, read back from the DB."""
    wanted = [r for r in results if r.outcome == "new_version" and (r.changes or r.held)]
    if not wanted:
        return {}
    db = store.open_db(db_path)
    try:
        return {r.source_id: version_changes(db, r.source_id, r.version) for r in wanted}
    finally:
        db.close()


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


def _print_table(results: list[CheckResult], delivered: dict | None, changes: dict[str, list[dict]],
                 has_channels: bool) -> None:
    console = Console()
    if not results:
        console.print("no source is due (name one with --source ID to check it now)")
        return
    table = Table(title="claimwatch check", title_justify="left")
    add_key_column(table, "source", [r.source_id for r in results])
    for col in ("outcome", "version", "changes", "time", "detail"):
        table.add_column(col, justify="right" if col in ("version", "changes", "time") else "left",
                         no_wrap=col != "detail")
    for r in results:
        detail = r.error or (f"{r.held} held for confirmation" if r.held else "")
        table.add_row(r.source_id, f"[{_STYLE.get(r.outcome, '')}]{r.outcome}[/]",
                      str(r.version or ""), str(r.changes or ""), f"{r.duration_ms:.0f} ms", escape(detail))
    console.print(table)
    for r in results:
        rows = changes.get(r.source_id)
        if not rows:
            continue
        console.print(f"[bold]{escape(r.source_id)}[/] v{rows[0]['from_version']} → v{r.version}", soft_wrap=True)
        for row in rows:
            style = _CHANGE_STYLE.get(row["severity"], "")
            console.print(f"  [{style}]{escape(change_line(row))}[/]" if style else f"  {escape(change_line(row))}",
                          soft_wrap=True)
    failed = sum(r.failed for r in results)
    material = sum(r.changes for r in results)
    extract_failures = sum(r.extract_failures for r in results)
    console.print(f"{len(results)} checked, {sum(r.outcome == 'new_version' for r in results)} new versions, "
                  f"{material} material changes, {failed} failed"
                  + (f", {extract_failures} extractor failures (claims missing; see the log)" if extract_failures else ""))
    if delivered:
        console.print("alerts: " + ", ".join(f"{k} {v}" for k, v in delivered.items() if k != "errors"))
        for error in dict.fromkeys(delivered.get("errors") or []):
            console.print(f"  alert error: {escape(str(error))}", soft_wrap=True)
    elif material and not has_channels:
        console.print("alerts: no alert channel is configured, nobody was notified "
                      "(add an `alerts:` list to sources.yaml; README, Alerts)")


@click.command()
@click.argument("source")
@db_option
@output_options(what="the versions and fetches")
@click.option("--limit", default=20, show_default=True, help="How many recent fetches to list.")
def history(source: str, db_path: Path, fmt: str, limit: int) -> None:
    """List the stored versions and recent fetches of SOURCE.

    \b
    Exit codes:
      0  listed
      2  no history DB, unknown source or usage error
    """
    db = store.open_db(db_path, readonly=True)
    store.get_version(db, source)  # clear error for an unknown source / no version
    versions = store.version_list(db, source)
    fetches = store.recent_fetches(db, source, limit)
    if fmt == "json":
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
