"""Start a read-only Datasette on the history DB (what ``monitor serve`` runs).

The DB is attached as a normal (mutable) database on purpose: Datasette then opens it with
``mode=ro`` and sees what the daemon commits to the WAL as it happens, whereas ``immutable``
would ignore the WAL and serve a stale, possibly inconsistent picture. The web side stays
read-only through the plugin (``PRAGMA query_only`` on every connection, write permissions
denied); ``?sql=`` only ever runs SELECTs.
"""

from __future__ import annotations

import threading
import time
import urllib.request
import webbrowser
from pathlib import Path
from typing import Any

from monitor.datasette.metadata import history_schema
from monitor.errors import StoreError


def ensure_plugin() -> None:
    """Register the plugin when its entry point was not loaded (e.g. not installed editable)."""
    from datasette.plugins import pm

    from monitor.datasette import plugin

    if not pm.is_registered(plugin):
        pm.register(plugin, name="claimwatch")


def check_history(path: Path) -> None:
    if not path.is_file():
        raise StoreError(f"{path}: no history database here (run `monitor check` first or pass --db)")
    if history_schema(str(path)) is None:
        raise StoreError(f"{path}: not a claimwatch history database (tables missing)")


def build_datasette(path: str | Path, settings: dict[str, Any] | None = None) -> Any:
    """A Datasette instance on ``path`` with the claimwatch plugin active."""
    from datasette.app import Datasette

    ensure_plugin()
    return Datasette(files=[str(path)], settings=settings or {}, cors=False)


def _open_when_up(url: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "-/versions.json", timeout=2):
                webbrowser.open(url)
                return
        except OSError:
            time.sleep(0.2)


def serve(path: str | Path, host: str = "127.0.0.1", port: int = 8001, open_browser: bool = False,
          announce: Any = print) -> None:
    """Serve ``path`` read-only until interrupted."""
    import asyncio

    import uvicorn

    path = Path(path)
    check_history(path)
    ds = build_datasette(path)
    asyncio.run(ds.invoke_startup())
    url = f"http://{host}:{port}/"
    announce(f"claimwatch history {path} (read-only) at {url}  —  Ctrl-C to stop")
    if open_browser:
        threading.Thread(target=_open_when_up, args=(url,), daemon=True).start()
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")
