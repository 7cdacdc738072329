"""Evidence that stands up (issue 18): WARC export of the history and per-change bundles.

- :mod:`monitor.archive.warc` writes every stored fetch as WARC/1.1 records (warcio), so the
  history can be replayed in pywb or ReplayWeb.page and handed over in a standard format.
- :mod:`monitor.archive.evidence` packs one change into a self-contained zip: both raw
  bodies, fetch metadata, the diff JSON, an offline HTML page and a ``MANIFEST.sha256``.
- :mod:`monitor.archive.web` serves that zip from the Datasette change page.

Everything here only reads the history DB and the snapshot store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from monitor.errors import ArchiveError  # noqa: F401 (re-exported: the archive's one error)
from monitor.snapshots import atomic_file


def load_exchange(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """A ``fetch_exchanges`` row with its JSON columns decoded (None when the fetch has none)."""
    if not row or row.get("status_line") is None:
        return None
    return {
        "method": row.get("method") or "GET",
        "request_url": row.get("request_url"),
        "request_headers": [tuple(h) for h in json.loads(row.get("request_headers") or "[]")],
        "withheld_headers": list(json.loads(row.get("withheld_headers") or "[]")),
        "http_version": row.get("http_version") or "HTTP/1.1",
        "status_line": row["status_line"],
        "response_headers": [tuple(h) for h in json.loads(row.get("response_headers") or "[]")],
        "peer_ip": row.get("peer_ip"),
    }


# What a fetch made before the archive_0001 migration lacks, as the export reports it.
MISSING_WITHOUT_EXCHANGE = ("request headers", "status line", "response headers", "peer IP")


@contextmanager
def atomic_output(path: Path, option: str) -> Iterator[BinaryIO]:
    """Write ``path`` through a temp file beside it, renamed only when the block succeeds.

    Evidence must never look complete when it is not: an export stopped by a corrupt snapshot
    leaves no file behind. ``option`` names the CLI option, for the "unwritable" message.
    """
    with ExitStack() as stack:
        try:
            out = stack.enter_context(atomic_file(path, prefix=f".{path.name}."))
        except OSError as exc:
            raise ArchiveError(f"cannot write {path}: {exc.strerror or exc}; pass {option} a path in a "
                               f"writable directory") from None
        yield out
