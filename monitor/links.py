"""Every URL claimwatch builds to its own pages, in one place: Datasette views, alerts, feeds.

Why one place: the change page was linked from the Datasette home page, the views, the alert
messages, the webhook payload and the Atom feed, each once building its own string; a route
change now is one edit here (and the routes in ``monitor.datasette.routes`` / ``archive.web``).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

HISTORY_DATABASE = "history"  # the name ``monitor serve`` gives the history DB in Datasette


def diff_path(source_id: str, a: int, b: int) -> str:
    """``/-/claimwatch/diff/SOURCE/a..b``: two versions side by side (a = 0: before the first)."""
    return f"/-/claimwatch/diff/{quote(str(source_id), safe='')}/{int(a)}..{int(b)}"


def change_path(change_id: int) -> str:
    """``/-/claimwatch/change/ID``: one recorded change in context."""
    return f"/-/claimwatch/change/{int(change_id)}"


def evidence_path(change_id: int) -> str:
    """``/-/claimwatch/evidence/ID.zip``: the change's evidence bundle (``monitor evidence ID``)."""
    return f"/-/claimwatch/evidence/{int(change_id)}.zip"


def versions_path(source_id: str, database: str = HISTORY_DATABASE) -> str:
    """``/history/versions?source_id=…``: the Datasette table of a source's versions."""
    return f"/{quote(database, safe='')}/versions?" + urlencode({"source_id": source_id}, quote_via=quote)


def in_database(path: str, database: str) -> str:
    """``path`` for the history attached to Datasette as ``database`` (several may be served)."""
    return f"{path}?" + urlencode({"db": database}, quote_via=quote)


def absolute(base_url: str | None, path: str) -> str | None:
    """``path`` under the configured Datasette base URL, or None when none is configured."""
    return f"{base_url.rstrip('/')}{path}" if base_url else None


def change_url(base_url: str | None, change_id: int) -> str | None:
    """The change page's full URL for alerts and feeds, or None without a base URL."""
    return absolute(base_url, change_path(change_id))


def history_url(base_url: str | None, source_id: str | None) -> str | None:
    """The source's versions table's full URL for alerts and feeds, or None."""
    return absolute(base_url, versions_path(source_id)) if source_id else None
