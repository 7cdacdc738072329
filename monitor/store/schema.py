"""The history schema: every table and column, with its doc beside it, and the named migrations.

Why one module: the README's "History schema" (``python -m monitor.docs``) and the Datasette
column tooltips are generated from ``SCHEMA_DOC``, which is built from the same declarations
the migrations create. A column cannot be added without saying what it means, and the docs
cannot describe a column that does not exist.

A migration never changes once released (a DB migrated by it must keep its shape), so a new
column is a new ``Column`` constant and a new ``@migrations`` step that adds it; ``SCHEMA_DOC``
folds every step in order.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("claimwatch")


@dataclass(frozen=True)
class Column:
    """One column: SQLite type (as a Python type, the way sqlite-utils takes it) and what it means."""

    name: str
    type: type
    doc: str


@dataclass(frozen=True)
class Table:
    """A table as first created: columns in order, primary key, foreign keys."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    pk: str = "id"
    foreign_keys: tuple[tuple[str, str, str], ...] = ()
    added: list[Column] = field(default_factory=list, compare=False)  # by later migrations

    def create(self, db: sqlite_utils.Database) -> None:
        db[self.name].create({c.name: c.type for c in self.columns}, pk=self.pk,
                             foreign_keys=list(self.foreign_keys) or None)

    def add(self, column: Column) -> Column:
        """Declare a column a later migration adds (its doc joins ``SCHEMA_DOC``); returns it."""
        self.added.append(column)
        return column


def _id(doc: str = "Primary key") -> Column:
    return Column("id", int, doc)


_SOURCE_ID = Column("source_id", str, "Source id (sources.id)")

SOURCES = Table("sources", "One row per source in sources.yaml.", (
    Column("id", str, "Source id from sources.yaml"),
    Column("url", str, "Configured URL"),
    Column("name", str, "Display name"),
    Column("settings", str, "JSON of the source's settings"),  # never secrets
    Column("enabled", int, "1 when checked"),
    Column("created_at", str, "First seen in the config (UTC)"),
    Column("updated_at", str, "Last config sync (UTC)"),
))

VERSIONS = Table("versions", "One row per distinct main text of a source.", (
    _id(),
    _SOURCE_ID,
    Column("number", int, "1, 2, 3… per source"),
    Column("body_hash", str, "sha256 of the raw body that produced it"),
    Column("text_hash", str, "sha256 of the normalised main text"),
    Column("title", str, "Page title"),
    Column("text", str, "Normalised main text"),
    Column("url", str, "URL the text was fetched from (after redirects)"),
    Column("first_seen", str, "First fetch with this text (UTC)"),
    Column("last_seen", str, "Latest fetch with this text (UTC)"),
    Column("claim_count", int, "Number of claims extracted"),
    Column("extractor_version", str, "Claim extractor version used"),
    Column("held", int, "1 while a large removal waits to be confirmed by the next fetch"),
), foreign_keys=(("source_id", "sources", "id"),))

FETCHES = Table("fetches", "Every fetch attempt, successful or not.", (
    _id(),
    _SOURCE_ID,
    Column("started_at", str, "When the fetch started (UTC)"),
    Column("duration_ms", float, "Wall time in milliseconds"),
    Column("status_code", int, "HTTP status of the final response"),
    Column("outcome", str, "new_version | unchanged | not_modified | error | blocked"),
    Column("error_kind", str, "Typed error label (timeout, network, http_status, blocked_url, robots, "
                              "too_large, content_type)"),
    Column("error", str, "One-line reason"),
    Column("url", str, "URL requested (the source's configured URL)"),
    Column("final_url", str, "URL after redirects"),
    Column("redirects", str, "JSON list of redirect hops"),
    Column("body_hash", str, "sha256 of the raw body (snapshots/ key)"),
    Column("bytes", int, "Body size in bytes"),
    Column("etag", str, "ETag sent by the server"),
    Column("last_modified", str, "Last-Modified sent by the server"),
    Column("version_id", int, "Version this fetch created or confirmed"),
), foreign_keys=(("source_id", "sources", "id"), ("version_id", "versions", "id")))

CLAIMS = Table("claims", "Claims extracted from each version.", (
    _id(),
    Column("version_id", int, "Version (versions.id)"),
    _SOURCE_ID,
    Column("category", str, "dosage | legality | evidence | safety"),
    Column("key", str, "Stable key aligning the claim across versions"),
    Column("text", str, "The sentence, list item or table row"),
    Column("value", str, "Normalised value (JSON; dosage amounts in mg)"),
    Column("start", int, "Offset of the text in the version's main text"),
    Column("end", int, "End offset"),
    Column("subject", str, "Substance named, when stated"),
    Column("extractor_version", str, "Extractor version that produced it"),
), foreign_keys=(("version_id", "versions", "id"), ("source_id", "sources", "id")))

CHANGES = Table("changes", "Claim-level differences between consecutive versions of a source.", (
    _id(),
    _SOURCE_ID,
    Column("from_version", int, "Older version number"),  # number, not id; NULL for the first version
    Column("to_version", int, "Newer version number"),
    Column("category", str, "dosage | legality | evidence | safety"),
    Column("kind", str, "added | removed | changed | minor (wording-level, not alerted)"),
    Column("key", str, "Stable key of the claim that changed (claims.key)"),
    Column("severity", str, "high | medium | low"),
    Column("old_text", str, "Sentence before"),
    Column("new_text", str, "Sentence after"),
    Column("old_value", str, "Value before (JSON)"),
    Column("new_value", str, "Value after (JSON)"),
    Column("summary", str, "One-line human summary"),
    Column("note", str, "Why the change was held or not alerted, when so"),
    Column("status", str, "active (alerted) | held (large removal awaiting confirmation) | "
                          "repeat (A/B flip back) | discarded"),
    Column("fingerprint", str, "Identity used to keep re-runs idempotent"),
    Column("detected_at", str, "When detected (UTC)"),
), foreign_keys=(("source_id", "sources", "id"),))

ALERTS = Table("alerts", "Outbox: one row per change and channel.", (
    _id(),
    Column("change_id", int, "Change delivered (NULL for fetch-broken/recovered)"),
    Column("source_id", str, "Source id (sources.id)"),
    Column("channel", str, "Channel name from sources.yaml"),
    Column("event", str, "change | broken | recovered | test"),
    Column("status", str, "pending | sending | sent | failed | dead"),
    Column("attempts", int, "Delivery attempts so far"),
    Column("next_attempt_at", str, "Earliest next attempt (UTC)"),
    Column("last_error", str, "Last delivery error (secrets masked)"),
    Column("created_at", str, "Created (UTC)"),
    Column("sent_at", str, "When delivered (UTC)"),
), foreign_keys=(("change_id", "changes", "id"), ("source_id", "sources", "id")))

SOURCE_STATE = Table("source_state", "Running state per source.", (
    _SOURCE_ID,
    Column("consecutive_failures", int, "Failed fetches in a row"),
    Column("last_outcome", str, "Outcome of the last fetch"),
    Column("last_error", str, "Last error reason"),
    Column("last_checked_at", str, "Time of the last fetch (UTC)"),
    Column("broken_alerted", int, "1 once a fetch-broken alert was queued"),
), pk="source_id")

DAEMON = Table("daemon", "Heartbeat of the running daemon.", (
    _id("Always 1: one row for the daemon of this DB"),
    Column("pid", int, "Process id"),
    Column("host", str, "Host name"),
    Column("started_at", str, "Start time (UTC)"),
    Column("heartbeat_at", str, "Last heartbeat (UTC)"),
    Column("state", str, "running | stopping | stopped"),
))

FETCH_EXCHANGES = Table(
    "fetch_exchanges", "HTTP request and response of a fetch, as exchanged (for WARC export and evidence).", (
        Column("fetch_id", int, "Fetch (fetches.id)"),
        Column("method", str, "Request method"),
        Column("request_url", str, "URL requested on the final hop"),
        Column("request_headers", str, "JSON [[name, value], …] of request headers sent (secret-bearing ones "
                                       "left out)"),
        Column("withheld_headers", str, "JSON list of request header names sent but not recorded (secrets)"),
        Column("http_version", str, "HTTP version of the response"),
        Column("status_line", str, "Status line as received"),
        Column("response_headers", str, "JSON [[name, value], …] of response headers as received (case, "
                                        "order, duplicates kept)"),
        Column("peer_ip", str, "IP address the connection was pinned to"),
    ), pk="fetch_id", foreign_keys=(("fetch_id", "fetches", "id"),))

ALERTS_DETAIL = ALERTS.add(Column("detail", str, "Reason for a broken/recovered/test alert (masked)"))
VERSIONS_CHARSET = VERSIONS.add(Column(
    "charset", str, "Codec the body was decoded with (NULL before it was recorded: detected again)"))
CHANGES_GROUP = CHANGES.add(Column(
    "group_id", int, "Statement group: id of the first change stated by the same sentence (alerted together)"))

# The order the README and Datasette list the tables in.
TABLES: tuple[Table, ...] = (SOURCES, FETCHES, VERSIONS, CLAIMS, CHANGES, ALERTS, SOURCE_STATE,
                             FETCH_EXCHANGES, DAEMON)

# table -> (description, {column: meaning}), generated from the declarations above.
SCHEMA_DOC: dict[str, tuple[str, dict[str, str]]] = {
    t.name: (t.doc, {c.name: c.doc for c in (*t.columns, *t.added)}) for t in TABLES}


def _add(db: sqlite_utils.Database, table: Table, column: Column) -> None:
    db[table.name].add_column(column.name, column.type)


@migrations(name="0001_initial")
def _m0001_initial(db: sqlite_utils.Database) -> None:
    SOURCES.create(db)
    VERSIONS.create(db)
    db["versions"].create_index(["source_id", "number"], unique=True)
    db["versions"].create_index(["source_id", "text_hash"])
    FETCHES.create(db)
    db["fetches"].create_index(["source_id", "started_at"])
    CLAIMS.create(db)
    db["claims"].create_index(["version_id"])
    db["claims"].create_index(["source_id", "category", "key"])
    CHANGES.create(db)
    db["changes"].create_index(["source_id", "from_version", "to_version", "fingerprint"], unique=True)
    db["changes"].create_index(["detected_at"])
    ALERTS.create(db)
    db.execute("CREATE UNIQUE INDEX idx_alerts_change_channel ON alerts(change_id, channel) "
               "WHERE change_id IS NOT NULL")
    db["alerts"].create_index(["status", "next_attempt_at"])
    SOURCE_STATE.create(db)
    DAEMON.create(db)


@migrations(name="0002_fts")
def _m0002_fts(db: sqlite_utils.Database) -> None:
    """Full-text search over claims and version text, kept in sync by triggers."""
    db["claims"].enable_fts(["text", "key", "category"], create_triggers=True)
    db["versions"].enable_fts(["title", "text"], create_triggers=True)


@migrations(name="0003_alerts_detail")
def _m0003_alerts_detail(db: sqlite_utils.Database) -> None:
    """Why a broken/recovered/test alert was raised (the fetch error, masked), shown in its message."""
    _add(db, ALERTS, ALERTS_DETAIL)


@migrations(name="0004_lookup_indexes")
def _m0004_lookup_indexes(db: sqlite_utils.Database) -> None:
    """Indexes for per-version lookups (benchmarks/query_speed.py: version_timeline went from a
    full scan of fetches per version to an index probe; changes by (source, to_version) serve
    the timeline and the held-removal confirmation)."""
    db["fetches"].create_index(["version_id"], if_not_exists=True)
    db["changes"].create_index(["source_id", "to_version"], if_not_exists=True)


@migrations(name="0005_versions_charset")
def _m0005_versions_charset(db: sqlite_utils.Database) -> None:
    """The codec the fetch decoded the body with, so ``monitor reextract`` decodes it the same
    way (it used UTF-8 with replacement, which turned a windows-1251 page into U+FFFD)."""
    _add(db, VERSIONS, VERSIONS_CHARSET)


@migrations(name="0010_change_groups")
def _m0010_change_groups(db: sqlite_utils.Database) -> None:
    """Statement groups: the facts one sentence added or changed alert together, as one message."""
    _add(db, CHANGES, CHANGES_GROUP)
    db["changes"].create_index(["group_id"], if_not_exists=True)


@migrations(name="archive_0001_fetch_exchanges")
def _m_archive_0001_fetch_exchanges(db: sqlite_utils.Database) -> None:
    """The HTTP exchange behind each fetch that got a response (issue 18: WARC evidence).

    A table of its own, one row per fetch, rather than columns on ``fetches``: the header
    JSON is bulky and read only by ``monitor export`` / ``monitor evidence``, and fetches made
    before this migration simply have no row (the export reports those fields as missing).
    """
    FETCH_EXCHANGES.create(db)


# ---------------------------------------------------------------- the shape of a DB file


def table_names(conn: sqlite3.Connection) -> set[str]:
    """Every table of the connection's main database."""
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def table_columns(conn: sqlite3.Connection, tables: Any) -> dict[str, list[str]]:
    """Column names of each of ``tables`` (names with a double quote are skipped: not ours)."""
    return {t: [r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')] for t in sorted(tables) if '"' not in t}
