"""Paths of the plugin's own pages, built in one place for Datasette, alerts and feeds."""

from __future__ import annotations

from urllib.parse import quote


def diff_path(source_id: str, a: int, b: int) -> str:
    """``/-/claimwatch/diff/SOURCE/a..b``: two versions side by side (a = 0: before the first)."""
    return f"/-/claimwatch/diff/{quote(str(source_id), safe='')}/{int(a)}..{int(b)}"


def change_path(change_id: int) -> str:
    """``/-/claimwatch/change/ID``: one recorded change in context."""
    return f"/-/claimwatch/change/{int(change_id)}"


def evidence_path(change_id: int) -> str:
    """``/-/claimwatch/evidence/ID.zip``: the change's evidence bundle (``monitor evidence ID``)."""
    return f"/-/claimwatch/evidence/{int(change_id)}.zip"


def absolute(base_url: str | None, path: str) -> str | None:
    """``path`` under the configured Datasette base URL, or None when none is configured."""
    return f"{base_url.rstrip('/')}{path}" if base_url else None
