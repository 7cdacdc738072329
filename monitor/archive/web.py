"""``/-/claimwatch/evidence/{id}.zip``: the evidence bundle, served from the change page.

Built on request from the history DB Datasette serves and the ``snapshots/`` directory beside
it, read-only (a ``mode=ro`` connection of its own, in a worker thread, so the event loop and
Datasette's connections are untouched). A read-only copy deployed without its snapshots
answers 404 with the command to run where the snapshots are.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import sqlite_utils
from datasette import NotFound, Response

from monitor.archive import ArchiveError
from monitor.datasette.instance import pick_database

EVIDENCE_ROUTE = r"/-/claimwatch/evidence/(?P<id>\d+)\.zip$"


def _build(db_path: Path, change_id: int) -> bytes:
    from monitor.archive.evidence import bundle_bytes
    from monitor.snapshots import SnapshotStore

    conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return bundle_bytes(sqlite_utils.Database(conn), SnapshotStore(db_path.parent), change_id)
    finally:
        conn.close()


async def evidence_zip(datasette: Any, request: Any) -> Response:
    name = pick_database(datasette, request.args.get("db"))
    path = getattr(datasette.get_database(name), "path", None) if name else None
    if not path:
        raise NotFound("No claimwatch history database here")
    change_id = int(request.url_vars["id"])
    try:
        data = await asyncio.to_thread(_build, Path(path), change_id)
    except ArchiveError as exc:
        raise NotFound(f"{exc} — or run `monitor evidence {change_id}` beside the snapshots/ directory")
    return Response(data, content_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="claimwatch-change-{change_id}.zip"',
        "X-Content-Type-Options": "nosniff"})
