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
from monitor.store import readonly_mode


def ensure_plugin() -> None:
    """Register the plugin when its entry point was not loaded (e.g. not installed editable)."""
    from datasette.plugins import pm

    from monitor.datasette import plugin

    if not pm.is_registered(plugin):
        pm.register(plugin, name="claimwatch")


def check_history(path: Path) -> bool:
    """Refuse what is not a history DB; True when it must be served immutable (read-only dir)."""
    if not path.is_file():
        raise StoreError(f"{path}: no history database here (run `monitor check` first or pass --db)")
    immutable = readonly_mode(path) == "immutable=1"
    if history_schema(str(path), immutable=immutable) is None:
        raise StoreError(f"{path}: not a claimwatch history database (tables missing)")
    return immutable


def build_datasette(path: str | Path, settings: dict[str, Any] | None = None,
                    immutable: bool = False) -> Any:
    """A Datasette instance on ``path`` with the claimwatch plugin active.

    ``immutable`` only for a DB in a directory this user cannot write and with no WAL pending
    (see ``store.readonly_mode``): Datasette could not open it ``mode=ro`` there.
    """
    from datasette.app import Datasette

    ensure_plugin()
    if immutable:
        return Datasette(immutables=[str(path)], settings=settings or {}, cors=False)
    return Datasette(files=[str(path)], settings=settings or {}, cors=False)


def check_port(host: str, port: int) -> None:
    """Refuse a port that is taken before announcing anything (uvicorn would exit 3 after)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        raise StoreError(f"--host {host}: cannot listen there ({exc}); pass an address of this "
                         "machine, e.g. --host 127.0.0.1") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            raise StoreError(f"--port {port}: cannot listen on {host}:{port} ({exc.strerror}); "
                             "another server is probably using it: pass a free --port") from None


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
    immutable = check_history(path)
    check_port(host, port)
    ds = build_datasette(path, immutable=immutable)
    asyncio.run(ds.invoke_startup())
    url = f"http://{host}:{port}/"
    announce(f"claimwatch history {path} (read-only) at {url}  —  Ctrl-C to stop")
    if open_browser:
        threading.Thread(target=_open_when_up, args=(url,), daemon=True).start()
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")
