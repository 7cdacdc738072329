"""``monitor export --warc`` and ``monitor evidence``: the history as evidence (issue 18)."""

from __future__ import annotations

from pathlib import Path

import click

from monitor import store
from monitor.commands.check import db_option
from monitor.pipeline import snapshot_dir
from monitor.snapshots import SnapshotStore


@click.command("export")
@click.option("--warc", "warc_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              metavar="PATH", help="WARC file to write (gzip per record; .warc.gz by convention).")
@click.option("--source", "-s", "sources", multiple=True, metavar="ID",
              help="Only this source (repeatable). Default: every source.")
@click.option("--since", metavar="DATE", help="Only fetches from DATE on (2026-03-01 or an ISO datetime, UTC).")
@db_option
def export(warc_path: Path, sources: tuple[str, ...], since: str | None, db_path: Path) -> None:
    """Write every stored fetch as WARC records (response, request, revisit, claims metadata).

    Replayable in pywb or ReplayWeb.page.

    \b
    Exit codes:
      0  written
      2  bad argument, unknown source, or a missing/corrupt snapshot (the file is then not written)
    """
    from monitor.archive.warc import export_warc

    db = store.open_db(db_path, create=False)
    try:
        report = export_warc(db, SnapshotStore(snapshot_dir(db_path)), warc_path,
                             source_ids=list(sources) or None, since=since)
    finally:
        db.close()
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(report.records.items()))
    click.echo(f"wrote {report.path}: {report.fetches} fetches as {counts} "
               f"({report.bytes:,} bytes in {report.seconds:.2f} s)")
    if report.missing:
        ids = sorted(report.missing)
        shown = ", ".join(map(str, ids[:10])) + (" …" if len(ids) > 10 else "")
        click.echo(f"note: {len(ids)} fetches predate HTTP metadata recording (ids {shown}): "
                   f"{', '.join(next(iter(report.missing.values())))} are missing; their HTTP headers "
                   f"are reconstructed and the records marked Claimwatch-Missing", err=True)


@click.command()
@click.argument("change_id", type=int)
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE.zip", help="Where to write the bundle. Default: change-ID.zip here.")
@db_option
def evidence(change_id: int, output: Path | None, db_path: Path) -> None:
    """Pack one change as a verifiable zip: raw bodies, fetch metadata, diff JSON, HTML, MANIFEST.sha256.

    \b
    Exit codes:
      0  written
      2  unknown change, unwritable path, or a missing/corrupt snapshot
    """
    from monitor.archive.evidence import write_bundle

    db = store.open_db(db_path, create=False)
    try:
        path = write_bundle(db, SnapshotStore(snapshot_dir(db_path)), change_id,
                            output or Path(f"change-{change_id}.zip"))
    finally:
        db.close()
    click.echo(f"wrote {path} ({path.stat().st_size:,} bytes); verify inside it with: sha256sum -c MANIFEST.sha256")
