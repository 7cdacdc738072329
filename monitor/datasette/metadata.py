"""Datasette metadata for a claimwatch history DB, built from ``store.SCHEMA_DOC``.

The per-table and per-column descriptions come from the same dictionary the README
generator uses, so the browser's docs cannot drift from the schema in ``monitor/store/schema.py``.
Detection (``looks_like_history``) lets the plugin leave every other database alone.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from monitor.store import SCHEMA_DOC, table_columns, table_names

TITLE = "claimwatch history"
DESCRIPTION = (
    "What the watched health-claim pages said, version by version: extracted claims about "
    "dosage, legal status, evidence and safety, the changes between versions, and the alert outbox. "
    "Read-only."
)
# Tables a DB must have to be treated as a claimwatch history.
REQUIRED_TABLES = frozenset({"sources", "versions", "claims", "changes", "alerts", "source_state"})

_QUERY_LINKS = (
    ("recent_changes", "recent changes"),
    ("claims_across_sources", "claims across sources"),
    ("dosage_history", "dosage history"),
    ("version_timeline", "version timeline"),
    ("failing_sources", "failing sources"),
    ("alerts_queue", "alerts queue"),
)

# Extra per-table settings on top of the descriptions.
_TABLE_EXTRAS: dict[str, dict[str, Any]] = {
    "sources": {"label_column": "name", "sort": "id"},
    "versions": {"label_column": "title", "sort_desc": "id", "fts_table": "versions_fts", "fts_pk": "id"},
    "claims": {"sort_desc": "id", "fts_table": "claims_fts", "fts_pk": "id",
               "facets": ["category", "source_id"]},
    "changes": {"sort_desc": "detected_at", "facets": ["severity", "category", "status"]},
    "fetches": {"sort_desc": "started_at", "units": {"duration_ms": "ms"}, "facets": ["outcome"]},
    "alerts": {"sort_desc": "id", "facets": ["status", "channel"]},
}

Schema = dict[str, list[str]]  # table -> column names


def looks_like_history(conn: sqlite3.Connection) -> bool:
    """True when the connection's main DB has every claimwatch history table."""
    try:
        return REQUIRED_TABLES <= table_names(conn)
    except sqlite3.DatabaseError:
        return False


def history_schema(path: str, immutable: bool = False) -> Schema | None:
    """Tables and columns of a claimwatch history DB file; None for any other file.

    Opens the file read-only (``mode=ro`` / ``immutable=1``): never creates or writes anything.
    """
    mode = "immutable=1" if immutable else "mode=ro"
    try:
        conn = sqlite3.connect(f"file:{path}?{mode}", uri=True)
    except sqlite3.Error:
        return None
    try:
        if not looks_like_history(conn):
            return None
        return table_columns(conn, table_names(conn))
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()


def columns_doc(table: str, columns: list[str]) -> dict[str, str]:
    """Descriptions of the table's columns, as declared beside each column in ``store.schema``."""
    described = SCHEMA_DOC.get(table, ("", {}))[1]
    return {c: described[c] for c in columns if described.get(c)}


def database_description_html(database: str) -> str:
    """Our own markup only: links to the canned queries and the FTS-enabled tables."""
    from markupsafe import Markup, escape

    links = Markup(" · ").join(
        Markup('<a href="{}/{}">{}</a>').format(database, name, label) for name, label in _QUERY_LINKS)
    return str(Markup("<p>{}</p><p>Start here: {}. Search claims or page text with the search box "
                      "on the <a href=\"{}/claims\">claims</a> and <a href=\"{}/versions\">versions</a> "
                      "tables.</p>").format(escape(DESCRIPTION), links, database, database))


def database_metadata(database_url: str, schema: Schema) -> dict[str, Any]:
    """Metadata block for one history DB: descriptions for every documented table and column.

    ``database_url`` is the DB's path in this Datasette (``/history``), for the query links.
    """
    tables: dict[str, Any] = {}
    for table, (description, _cols) in SCHEMA_DOC.items():
        if table in schema:
            tables[table] = {"description": description, "columns": columns_doc(table, schema[table]),
                             **_TABLE_EXTRAS.get(table, {})}
    return {
        "title": TITLE,
        "description_html": database_description_html(database_url),
        "tables": tables,
    }


def instance_metadata(histories: dict[str, tuple[str, Schema]]) -> dict[str, Any]:
    """Whole-instance metadata (the ``get_metadata`` hook's answer); empty with no history DB.

    ``histories`` maps each history DB's name to (its URL path, its schema).
    """
    if not histories:
        return {}
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "databases": {name: database_metadata(url, schema) for name, (url, schema) in histories.items()},
    }
