"""``monitor diff``, ``monitor claims`` and ``monitor reextract``: claims on demand."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from monitor import store
from monitor.commands.check import db_option
from monitor.commands.output import add_key_column, longest_word, output_options, widen_for_pipe
from monitor.diff import describe_value, diff_claims
from monitor.errors import RefError
from monitor.refs import Resolved, is_url, latest_two, resolve
from monitor.render import (claims_json, claims_rows, diff_json, diff_markdown, diff_text,
                            word_diff_text)



@click.command()
@click.argument("old")
@click.argument("new", required=False)
@db_option
@output_options(("text", "json", "markdown"), what="the diff; json is a stable contract, see README")
@click.option("--all", "show_all", is_flag=True, help="Also show reworded and unchanged claims.")
@click.option("--text", "show_text", is_flag=True, help="Add a word-level diff of the main text below.")
@click.option("--since", metavar="DATE", help="With only SOURCE: list stored changes detected since DATE (YYYY-MM-DD).")
@click.option("--selector", metavar="CSS", help="Main-content selector for files and URLs.")
@click.option("--allow-private", is_flag=True, help="Allow URLs on private or loopback hosts.")
def diff(old: str, new: str | None, db_path: Path, fmt: str, show_all: bool, show_text: bool, since: str | None,
         selector: str | None, allow_private: bool) -> None:
    """Compare the claims of OLD and NEW (each a file, a URL or SOURCE@VERSION).

    With only SOURCE: compare its two latest versions, or with --since list every stored
    change since a date.

    \b
    Exit codes (like diff(1)):
      0  no material change
      1  at least one material change (with --since: an alerted one)
      2  error (unknown reference, unreadable file, usage)
    """
    if new is None and since:
        _since(old, since, db_path, fmt)
        return
    if new is None:
        if Path(old).is_file() or is_url(old) or "@" in old:
            raise RefError("give two references (OLD NEW), or a single SOURCE name to compare its latest versions")
        a, b = latest_two(old, db_path)
    else:
        a = resolve(old, db_path, selector=selector, allow_private=allow_private)
        b = resolve(new, db_path, selector=selector, allow_private=allow_private)
    changes = diff_claims(a.claims, b.claims, include_unchanged=show_all)
    _emit(a, b, changes, fmt, show_text)
    sys.exit(1 if any(c.material for c in changes) else 0)


def _emit(a: Resolved, b: Resolved, changes, fmt: str, show_text: bool) -> None:
    if fmt == "json":
        click.echo(diff_json(a.ref, len(a.claims), b.ref, len(b.claims), changes))
        return
    if fmt == "markdown":
        click.echo(diff_markdown(a.ref, len(a.claims), b.ref, len(b.claims), changes))
    else:
        click.echo(diff_text(a.ref, len(a.claims), b.ref, len(b.claims), changes))
    if show_text:
        click.echo("\n" + click.style("text diff", bold=True) + "\n" + word_diff_text(a.text, b.text))


def _since(source_id: str, since: str, db_path: Path, fmt: str) -> None:
    try:
        day = dt.date.fromisoformat(since)
    except ValueError:
        raise RefError(f"--since expects a date like 2026-01-01, got {since!r}") from None
    db = store.open_db(db_path, readonly=True)
    try:
        store.get_version(db, source_id)
        rows = list(store.iter_changes(db, source_id, since=day.isoformat(), statuses=("active", "repeat", "held")))
    finally:
        db.close()
    changes = [store.change_from_row(r) for r in rows]
    if fmt == "json":
        click.echo(json.dumps({"source": source_id, "since": day.isoformat(), "changes": [
            {**c.to_json(), "from_version": r["from_version"], "to_version": r["to_version"],
             "detected_at": r["detected_at"], "status": r["status"]} for c, r in zip(changes, rows)]}, indent=2,
            ensure_ascii=False))
    else:
        for c, r in zip(changes, rows):
            status = "" if r["status"] == "active" else f" ({r['status']})"
            click.echo(f"{r['detected_at']}  v{r['from_version']}→v{r['to_version']}  [{c.severity}] {c.summary}{status}")
        if not rows:
            click.echo(f"no change recorded for {source_id} since {day.isoformat()}")
    sys.exit(1 if any(r["status"] == "active" for r in rows) else 0)


@click.command()
@click.argument("ref", required=False)
@db_option
@output_options(("text", "table", "json"), what="the claims (table is the same as text)")
@click.option("--compare", is_flag=True, help="One row per claim key across all sources (latest versions).")
@click.option("--kinds", is_flag=True, help="List the registered claim categories.")
@click.option("--selector", metavar="CSS", help="Main-content selector for files and URLs.")
@click.option("--allow-private", is_flag=True, help="Allow URLs on private or loopback hosts.")
def claims(ref: str | None, db_path: Path, fmt: str, compare: bool, kinds: bool, selector: str | None,
           allow_private: bool) -> None:
    """Show the claims of REF: SOURCE[@VERSION] from the history, or any HTML/text file or URL.

    \b
    Exit codes:
      0  shown
      2  error (unknown reference, unreadable file or URL, usage)
    """
    if kinds:
        from monitor.claims import categories

        click.echo("\n".join(categories()))
        return
    if compare:
        _compare(db_path, fmt)
        return
    if not ref:
        raise RefError("name a SOURCE[@VERSION], a file or a URL (or use --compare / --kinds)")
    resolved = resolve(ref, db_path, selector=selector, allow_private=allow_private)
    if fmt == "json":
        click.echo(claims_json(resolved.ref, resolved.claims))
        return
    table = Table(title=f"{resolved.ref}: {len(resolved.claims)} claims", title_justify="left", show_lines=False)
    rows = claims_rows(resolved.claims)
    table.add_column("category", no_wrap=True)
    fit = add_key_column(table, "key", [r["key"] for r in rows])
    table.add_column("value", overflow="fold", min_width=longest_word(r["value"] for r in rows))
    table.add_column("text", overflow="fold")
    for row in rows:
        table.add_row(row["category"], fit(row["key"]), row["value"], row["text"])
    _print(table)


def _compare(db_path: Path, fmt: str) -> None:
    db = store.open_db(db_path, readonly=True)
    try:
        rows = store.latest_claims_everywhere(db)
    finally:
        db.close()
    grid: dict[tuple[str, str], dict[str, list[str]]] = {}
    sources: list[str] = sorted({r["source_id"] for r in rows})
    for r in rows:
        text = describe_value(r["category"], json.loads(r["value"] or "{}"))
        cell = grid.setdefault((r["category"], r["key"]), {}).setdefault(r["source_id"], [])
        if text not in cell:
            cell.append(text)
    if fmt == "json":
        click.echo(json.dumps([{"category": cat, "key": key, "sources": {s: v for s, v in cells.items()}}
                               for (cat, key), cells in grid.items()], indent=2, ensure_ascii=False))
        return
    table = Table(title="claims across sources (latest versions)", title_justify="left", show_lines=True)
    fit = add_key_column(table, "key", [key for _, key in grid])
    for s in sources:
        values = [v for cells in grid.values() for v in cells.get(s, [])]
        table.add_column(s, overflow="fold", min_width=max(len(s), longest_word(values, cap=16)))
    for (cat, key), cells in grid.items():
        table.add_row(fit(key), *["\n".join(cells.get(s, [])) or "·" for s in sources])
    _print(table)


def _print(table: Table) -> None:
    console = Console(markup=False, highlight=False, emoji=False)  # page text is data, never rich markup
    widen_for_pipe(console, table)
    console.print(table)


@click.command()
@click.option("--source", "-s", "sources", multiple=True, metavar="ID", help="Only these sources (repeatable).")
@db_option
@click.option("--all-versions", is_flag=True, help="Re-extract even versions already at the current extractor version.")
def reextract(sources: tuple[str, ...], db_path: Path, all_versions: bool) -> None:
    """Rebuild claims of stored versions from their raw bodies after the extractors improved.

    A version whose snapshot is missing or corrupt is reported and skipped (run `monitor
    verify` for the whole store).

    \b
    Exit codes:
      0  done (also when every version was already current)
      1  some versions were skipped: their raw body is missing or corrupt
      2  error (no history DB, usage error)
    """
    from monitor.reextract import reextract_versions

    report = reextract_versions(db_path, list(sources) or None, force=all_versions)
    for problem in report.problems:
        click.echo(f"warning: {problem}", err=True)
    click.echo(f"re-extracted {report.versions} versions ({report.claims} claims); "
               f"{report.skipped} already current"
               + (f"; {len(report.problems)} not rebuilt (bad snapshot)" if report.problems else ""))
    sys.exit(1 if report.problems else 0)


@click.command()
@db_option
def verify(db_path: Path) -> None:
    """Check every stored snapshot against its sha256 (and its delta base); exit 1 if any is bad.

    \b
    Exit codes:
      0  every snapshot the history refers to is present and intact
      1  some are missing or corrupt (each is listed)
      2  error (no history DB)
    """
    from monitor.reextract import verify_snapshots

    report = verify_snapshots(db_path)
    for problem in report.problems:
        click.echo(f"bad: {problem}")
    click.echo(f"{report.checked} snapshots checked, {len(report.problems)} bad")
    sys.exit(1 if report.problems else 0)
