"""``monitor serve``: browse the history DB read-only in Datasette."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.store import DEFAULT_DB


@click.command("serve")
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_DB,
              show_default=True, help="History database to browse.")
@click.option("--port", type=int, default=8001, show_default=True, help="Port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind (keep 127.0.0.1 unless behind a proxy).")
@click.option("--open/--no-open", "open_browser", default=False, show_default=True,
              help="Open the browser once the server is up.")
def serve(db_path: Path, port: int, host: str, open_browser: bool) -> None:
    """Browse the history (versions, claims, changes, alerts) in Datasette, read-only.

    Canned queries: recent_changes, claims_across_sources, dosage_history, version_timeline,
    failing_sources, alerts_queue. Side-by-side diffs at /-/claimwatch/diff/SOURCE/A..B.

    \b
    Exit codes:
      0  the server was stopped (Ctrl-C)
      2  no history DB, or not a claimwatch history DB
      1  the server failed to start or crashed (e.g. the port is in use)
    """
    from monitor.datasette.server import serve as run

    run(db_path, host=host, port=port, open_browser=open_browser, announce=click.echo)
