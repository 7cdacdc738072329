"""The history database: schema (named migrations), connection settings and queries.

One SQLite file (default ``snapshots/history.db``) opened with sqlite-utils, in WAL mode with
a busy timeout so the daemon, one-off ``monitor check`` runs and Datasette can share it.
Every write that belongs together happens inside ``with db.conn:`` (one transaction), so a
crash leaves the previous state intact.

Tables (see README "History schema", generated from ``SCHEMA_DOC``):

- ``sources``   one row per configured source (id, url, name, settings)
- ``fetches``   every fetch attempt, whatever its outcome
- ``versions``  one row per distinct normalised main text of a source, numbered 1, 2, 3…
- ``claims``    claims extracted from each version (tagged with the extractor version)
- ``changes``   claim-level differences between consecutive versions
- ``alerts``    the outbox: one row per (change, channel)
- ``source_state`` per-source running state (failures in a row, broken/recovered alerts)
- ``daemon``    heartbeat of the running daemon
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import sqlite3
from pathlib import Path
from typing import Any, Iterable, Iterator

import sqlite_utils
from sqlite_utils.migrations import Migrations

from monitor.errors import RefError, StorageFull, StoreError
from monitor.models import Change, Claim, History, HttpExchange

DEFAULT_DB = Path("snapshots") / "history.db"
BUSY_TIMEOUT_MS = 30_000

migrations = Migrations("claimwatch")


def utcnow() -> str:
    """ISO-8601 UTC timestamp with seconds precision, the one format used in every table."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


@migrations(name="0001_initial")
def _m0001_initial(db: sqlite_utils.Database) -> None:
    db["sources"].create(
        {
            "id": str,
            "url": str,
            "name": str,
            "settings": str,  # JSON of the source's settings (never secrets)
            "enabled": int,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
    )
    db["versions"].create(
        {
            "id": int,
            "source_id": str,
            "number": int,
            "body_hash": str,
            "text_hash": str,
            "title": str,
            "text": str,
            "url": str,
            "first_seen": str,
            "last_seen": str,
            "claim_count": int,
            "extractor_version": str,
            "held": int,  # 1 while a large removal waits for confirmation
        },
        pk="id",
        foreign_keys=[("source_id", "sources", "id")],
    )
    db["versions"].create_index(["source_id", "number"], unique=True)
    db["versions"].create_index(["source_id", "text_hash"])
    db["fetches"].create(
        {
            "id": int,
            "source_id": str,
            "started_at": str,
            "duration_ms": float,
            "status_code": int,
            "outcome": str,  # new_version | unchanged | not_modified | error | blocked
            "error_kind": str,
            "error": str,
            "url": str,
            "final_url": str,
            "redirects": str,  # JSON list of URLs
            "body_hash": str,
            "bytes": int,
            "etag": str,
            "last_modified": str,
            "version_id": int,
        },
        pk="id",
        foreign_keys=[("source_id", "sources", "id"), ("version_id", "versions", "id")],
    )
    db["fetches"].create_index(["source_id", "started_at"])
    db["claims"].create(
        {
            "id": int,
            "version_id": int,
            "source_id": str,
            "category": str,
            "key": str,
            "text": str,
            "value": str,  # JSON
            "start": int,
            "end": int,
            "subject": str,
            "extractor_version": str,
        },
        pk="id",
        foreign_keys=[("version_id", "versions", "id"), ("source_id", "sources", "id")],
    )
    db["claims"].create_index(["version_id"])
    db["claims"].create_index(["source_id", "category", "key"])
    db["changes"].create(
        {
            "id": int,
            "source_id": str,
            "from_version": int,  # version number (not id); NULL for the first version
            "to_version": int,
            "category": str,
            "kind": str,
            "key": str,
            "severity": str,
            "old_text": str,
            "new_text": str,
            "old_value": str,  # JSON
            "new_value": str,  # JSON
            "summary": str,
            "note": str,
            "status": str,  # active | held | repeat | discarded
            "fingerprint": str,
            "detected_at": str,
        },
        pk="id",
        foreign_keys=[("source_id", "sources", "id")],
    )
    db["changes"].create_index(
        ["source_id", "from_version", "to_version", "fingerprint"], unique=True
    )
    db["changes"].create_index(["detected_at"])
    db["alerts"].create(
        {
            "id": int,
            "change_id": int,  # NULL for source-level alerts (fetch broken / recovered)
            "source_id": str,
            "channel": str,
            "event": str,  # change | broken | recovered | test
            "status": str,  # pending | sent | failed | dead | sending
            "attempts": int,
            "next_attempt_at": str,
            "last_error": str,
            "created_at": str,
            "sent_at": str,
        },
        pk="id",
        foreign_keys=[("change_id", "changes", "id"), ("source_id", "sources", "id")],
    )
    db.execute(
        "CREATE UNIQUE INDEX idx_alerts_change_channel ON alerts(change_id, channel) "
        "WHERE change_id IS NOT NULL"
    )
    db["alerts"].create_index(["status", "next_attempt_at"])
    db["source_state"].create(
        {
            "source_id": str,
            "consecutive_failures": int,
            "last_outcome": str,
            "last_error": str,
            "last_checked_at": str,
            "broken_alerted": int,
        },
        pk="source_id",
    )
    db["daemon"].create(
        {"id": int, "pid": int, "host": str, "started_at": str, "heartbeat_at": str, "state": str},
        pk="id",
    )


@migrations(name="0002_fts")
def _m0002_fts(db: sqlite_utils.Database) -> None:
    """Full-text search over claims and version text, kept in sync by triggers."""
    db["claims"].enable_fts(["text", "key", "category"], create_triggers=True)
    db["versions"].enable_fts(["title", "text"], create_triggers=True)


@migrations(name="0003_alerts_detail")
def _m0003_alerts_detail(db: sqlite_utils.Database) -> None:
    """Why a broken/recovered/test alert was raised (the fetch error, masked), shown in its message."""
    db["alerts"].add_column("detail", str)


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
    db["versions"].add_column("charset", str)


@migrations(name="0010_change_groups")
def _m0010_change_groups(db: sqlite_utils.Database) -> None:
    """Statement groups: the facts one sentence added or changed alert together, as one message."""
    db["changes"].add_column("group_id", int)
    db["changes"].create_index(["group_id"], if_not_exists=True)


@migrations(name="archive_0001_fetch_exchanges")
def _m_archive_0001_fetch_exchanges(db: sqlite_utils.Database) -> None:
    """The HTTP exchange behind each fetch that got a response (issue 18: WARC evidence).

    A table of its own, one row per fetch, rather than columns on ``fetches``: the header
    JSON is bulky and read only by ``monitor export`` / ``monitor evidence``, and fetches made
    before this migration simply have no row (the export reports those fields as missing).
    """
    db["fetch_exchanges"].create(
        {
            "fetch_id": int,
            "method": str,
            "request_url": str,
            "request_headers": str,  # JSON [[name, value], …] as sent, secrets left out
            "withheld_headers": str,  # JSON [name, …] of secret-bearing headers not recorded
            "http_version": str,
            "status_line": str,
            "response_headers": str,  # JSON [[name, value], …] as received
            "peer_ip": str,
        },
        pk="fetch_id",
        foreign_keys=[("fetch_id", "fetches", "id")],
    )


def readonly_mode(path: str | Path) -> str:
    """The SQLite URI parameter that opens ``path`` for reading: ``mode=ro`` or ``immutable=1``.

    A WAL database opened ``mode=ro`` still needs its ``-shm`` file, which cannot be created in
    a directory this user may not write (a backup, a read-only mount, another user's daemon):
    SQLite then fails with "unable to open database file". If in addition there is no ``-wal``
    file, nothing is waiting to be checkpointed and nobody is writing (a writer would have
    created it), so the file alone is the whole database and ``immutable=1`` reads it safely.
    """
    path = Path(path)
    uri = path.absolute().as_uri()
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return "mode=ro"
    except sqlite3.OperationalError as exc:
        code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
        if code == sqlite3.SQLITE_CANTOPEN and not Path(f"{path}-wal").exists():
            return "immutable=1"
        return "mode=ro"  # let the caller's own query report the real problem
    finally:
        conn.close()


def open_db(path: str | Path = DEFAULT_DB, *, create: bool = True,
            readonly: bool = False) -> sqlite_utils.Database:
    """Open (and migrate) the history DB: WAL, busy timeout, foreign keys.

    ``create=False`` refuses to make a new file, for read-only commands given a wrong path.
    ``readonly=True`` (diff, history, claims) opens with ``mode=ro`` and changes nothing, so a
    DB in a directory this user cannot write (a copy, a backup, another user's daemon) can
    still be read.
    """
    path = Path(path)
    if (readonly or not create) and not path.exists():
        raise StoreError(f"{path}: no history database here (run `monitor check` first or pass --db)")
    try:
        if readonly:
            conn = sqlite3.connect(f"{path.absolute().as_uri()}?{readonly_mode(path)}", uri=True,
                                   timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db = sqlite_utils.Database(conn)
        if readonly:
            conn.execute("PRAGMA query_only = ON")
            if not db["versions"].exists():
                raise StoreError(f"{path}: not a claimwatch history database (tables missing)")
            return db
        if db.journal_mode != "wal":
            db.enable_wal()
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        if migrations.pending(db):
            # under the write lock, and pending re-read there: two processes opening a fresh DB
            # at once (a check beside a starting daemon) must not both create the tables
            with transaction(db):
                if migrations.pending(db):
                    migrations.apply(db)
    except (sqlite3.Error, OSError) as exc:
        failure = storage_failure(path, exc)
        if failure is None and isinstance(exc, sqlite3.DatabaseError):
            failure = StoreError(f"{path}: not a usable SQLite database ({exc})")
        if failure is None:
            raise
        raise failure from None
    return db


class transaction:
    """``with transaction(db):`` — BEGIN IMMEDIATE … COMMIT, ROLLBACK on any exception.

    IMMEDIATE takes the write lock up front, so two writers queue on the busy timeout
    instead of failing half-way with "database is locked".
    """

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.conn = db.conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error:
                # a COMMIT that fails (disk full writing the WAL) may leave the transaction open;
                # roll it back so the connection stays usable and nothing half-written remains
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
        elif self.conn.in_transaction:  # some errors (SQLITE_FULL) already rolled it back
            self.conn.execute("ROLLBACK")


_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_NOT_WRITABLE = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


def storage_failure(where: str | Path, exc: BaseException) -> StoreError | None:
    """The one-line error for a failed write to the DB or snapshots, or None if ``exc`` is not one.

    Disk full and I/O errors become StorageFull (exit 4); a read-only file or directory a
    StoreError (exit 2) saying what to fix.
    """
    if isinstance(exc, StoreError):
        return exc
    if isinstance(exc, sqlite3.Error):
        code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
        if code == sqlite3.SQLITE_FULL:
            return StorageFull(f"{where}: the disk is full ({exc}); the pass stopped and nothing was "
                               "half-written: free some space, then run it again")
        if code == sqlite3.SQLITE_IOERR:
            return StorageFull(f"{where}: writing failed ({exc}): the disk is full or failing; the pass "
                               "stopped and nothing was half-written: free some space or check the "
                               "disk, then run it again")
        if code == sqlite3.SQLITE_BUSY:
            return StoreError(f"{where}: another process kept the database locked for over "
                              f"{BUSY_TIMEOUT_MS // 1000} s ({exc}); try again when it is done")
        if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN):
            return StoreError(f"{where}: cannot write the history database ({exc}): make it and its "
                              "directory writable for this user, or pass --db")
        return None
    if isinstance(exc, OSError):
        name = exc.filename or where
        if exc.errno in _NO_SPACE:
            return StorageFull(f"{name}: the disk is full ({exc.strerror}); the pass stopped and "
                               "nothing was half-written: free some space, then run it again")
        if exc.errno in _NOT_WRITABLE:
            return StoreError(f"{name}: {exc.strerror}: make it writable for this user, or pass --db")
    return None


def db_file(db: sqlite_utils.Database) -> str:
    """Path of the main database file of a connection, for messages."""
    try:
        return str(db.execute("PRAGMA database_list").fetchone()[2])
    except sqlite3.Error:
        return "the history database"


# ---------------------------------------------------------------- sources


def upsert_source(db: sqlite_utils.Database, source_id: str, url: str, name: str,
                  settings: dict[str, Any], enabled: bool = True) -> None:
    now = utcnow()
    existing = db["sources"].count_where("id = ?", [source_id])
    row = {"id": source_id, "url": url, "name": name, "settings": json.dumps(settings, sort_keys=True),
           "enabled": int(enabled), "updated_at": now}
    if existing:
        db["sources"].update(source_id, row)
    else:
        db["sources"].insert({**row, "created_at": now})


# ---------------------------------------------------------------- versions


def latest_version(db: sqlite_utils.Database, source_id: str) -> dict[str, Any] | None:
    rows = list(db.query(
        "SELECT * FROM versions WHERE source_id = ? ORDER BY number DESC LIMIT 1", [source_id]))
    return rows[0] if rows else None


def get_version(db: sqlite_utils.Database, source_id: str, number: int | None = None) -> dict[str, Any]:
    """A version row by number (latest when ``number`` is None); RefError when absent."""
    if number is None:
        row = latest_version(db, source_id)
    else:
        rows = list(db.query(
            "SELECT * FROM versions WHERE source_id = ? AND number = ?", [source_id, number]))
        row = rows[0] if rows else None
    if row is None:
        known = [r["id"] for r in db.query("SELECT id FROM sources ORDER BY id")]
        if source_id not in known:
            raise RefError(f"unknown source {source_id!r} (known: {', '.join(known) or 'none'})")
        what = f"version {number}" if number is not None else "any version"
        raise RefError(f"source {source_id!r} has no {what} yet")
    return row


def recent_versions(db: sqlite_utils.Database, source_id: str, limit: int) -> list[dict[str, Any]]:
    return list(db.query(
        "SELECT * FROM versions WHERE source_id = ? ORDER BY number DESC LIMIT ?",
        [source_id, limit]))


def version_history(db: sqlite_utils.Database, source_id: str, window: int) -> History:
    """The recent past the noise rules plan with: versions, their claims, repeat flags."""
    versions = tuple(recent_versions(db, source_id, window + 2))
    claims = {v["id"]: tuple(version_claims(db, v["id"])) for v in versions}
    numbers = [v["number"] for v in versions]
    repeats = frozenset(r[0] for r in db.execute(
        "SELECT DISTINCT to_version FROM changes WHERE source_id = ? AND status = 'repeat' AND to_version IN ("
        + ",".join("?" * len(numbers)) + ")", [source_id, *numbers]).fetchall()) if numbers else frozenset()
    return History(versions, claims, repeats)


def discard_held(db: sqlite_utils.Database, source_id: str, number: int) -> None:
    """A held version was not confirmed by the next fetch: its changes are discarded."""
    db.conn.execute(
        "UPDATE changes SET status = 'discarded', note = 'not confirmed: the next fetch showed other text' "
        "WHERE source_id = ? AND to_version = ? AND status = 'held'", [source_id, number])
    db.conn.execute("UPDATE versions SET held = 0 WHERE source_id = ? AND number = ?", [source_id, number])


def version_claims(db: sqlite_utils.Database, version_id: int) -> list[Claim]:
    return [
        Claim(category=r["category"], key=r["key"], text=r["text"], value=json.loads(r["value"] or "{}"),
              start=r["start"] or 0, end=r["end"] or 0, subject=r["subject"])
        for r in db.query("SELECT * FROM claims WHERE version_id = ? ORDER BY start, id", [version_id])
    ]


def insert_claims(db: sqlite_utils.Database, source_id: str, version_id: int,
                  claims: Iterable[Claim], extractor_version: str) -> int:
    rows = [
        {"version_id": version_id, "source_id": source_id, "category": c.category, "key": c.key,
         "text": c.text, "value": json.dumps(c.value, sort_keys=True), "start": c.start, "end": c.end,
         "subject": c.subject, "extractor_version": extractor_version}
        for c in claims
    ]
    if rows:
        db["claims"].insert_all(rows)
    return len(rows)


# ---------------------------------------------------------------- changes


def change_fingerprint(change: Change) -> str:
    """Identity of a change between two versions, so re-running never duplicates rows."""
    import hashlib

    payload = json.dumps(
        [change.category, change.kind, change.key,
         change.old.value if change.old else None, change.new.value if change.new else None,
         change.old.text if change.old else None, change.new.text if change.new else None],
        sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def insert_changes(db: sqlite_utils.Database, source_id: str, from_version: int | None,
                   to_version: int, changes: Iterable[Change], status: str = "active") -> list[int]:
    """Insert changes (idempotent by fingerprint); returns ids of rows newly inserted.

    Changes stated by one sentence share a ``group_id`` (the lowest id among them), so that
    one added sentence naming two side effects is one alert listing two facts.
    """
    ids: list[int] = []
    groups: dict[str, list[int]] = {}
    now = utcnow()
    for ch in changes:
        row = {
            "source_id": source_id, "from_version": from_version, "to_version": to_version,
            "category": ch.category, "kind": ch.kind, "key": ch.key, "severity": ch.severity,
            "old_text": ch.old.text if ch.old else None, "new_text": ch.new.text if ch.new else None,
            "old_value": json.dumps(ch.old.value, sort_keys=True) if ch.old else None,
            "new_value": json.dumps(ch.new.value, sort_keys=True) if ch.new else None,
            "summary": ch.summary, "note": ch.note or None, "status": status,
            "fingerprint": change_fingerprint(ch), "detected_at": now,
        }
        cur = db.conn.execute(
            "INSERT OR IGNORE INTO changes (" + ", ".join(row) + ") VALUES ("
            + ", ".join("?" for _ in row) + ")", list(row.values()))
        if cur.rowcount:
            ids.append(int(cur.lastrowid))
            groups.setdefault(ch.statement or ch.summary, []).append(int(cur.lastrowid))
    for members in groups.values():
        db.conn.execute(f"UPDATE changes SET group_id = ? WHERE id IN ({', '.join('?' * len(members))})",
                        [min(members), *members])
    return ids


def iter_changes(db: sqlite_utils.Database, source_id: str | None = None, since: str | None = None,
                 statuses: tuple[str, ...] = ("active", "repeat", "held")) -> Iterator[dict[str, Any]]:
    where = ["status IN (%s)" % ", ".join("?" for _ in statuses)]
    params: list[Any] = list(statuses)
    if source_id:
        where.append("source_id = ?")
        params.append(source_id)
    if since:
        where.append("detected_at >= ?")
        params.append(since)
    yield from db.query(
        "SELECT * FROM changes WHERE " + " AND ".join(where) + " ORDER BY detected_at, id", params)


def change_from_row(row: dict[str, Any]) -> Change:
    def side(text: str | None, value: str | None) -> Claim | None:
        if text is None and value is None:
            return None
        return Claim(category=row["category"], key=row["key"], text=text or "",
                     value=json.loads(value) if value else {})

    return Change(category=row["category"], kind=row["kind"], key=row["key"], severity=row["severity"],
                  summary=row["summary"], old=side(row["old_text"], row["old_value"]),
                  new=side(row["new_text"], row["new_value"]), note=row.get("note") or "")


# ---------------------------------------------------------------- fetch state


def insert_fetch(db: sqlite_utils.Database, row: dict[str, Any],
                 exchange: HttpExchange | None = None) -> int:
    """Insert a fetches row and, when the fetch got a response, its HTTP exchange; returns the id.

    Both in the caller's transaction, so a fetch is never stored without its exchange.
    """
    fetch_id = int(db["fetches"].insert(row).last_pk)
    if exchange is not None:
        db["fetch_exchanges"].insert({
            "fetch_id": fetch_id, "method": exchange.method, "request_url": exchange.url,
            "request_headers": json.dumps([list(h) for h in exchange.request_headers]),
            "withheld_headers": json.dumps(list(exchange.withheld)),
            "http_version": exchange.http_version, "status_line": exchange.status_line,
            "response_headers": json.dumps([list(h) for h in exchange.response_headers]),
            "peer_ip": exchange.peer_ip})
    return fetch_id



def last_fetch(db: sqlite_utils.Database, source_id: str) -> dict[str, Any] | None:
    rows = list(db.query(
        "SELECT * FROM fetches WHERE source_id = ? ORDER BY id DESC LIMIT 1", [source_id]))
    return rows[0] if rows else None


def conditional_headers(db: sqlite_utils.Database, source_id: str) -> dict[str, str]:
    """ETag / Last-Modified of the newest successful fetch, for a conditional GET."""
    rows = list(db.query(
        "SELECT etag, last_modified FROM fetches WHERE source_id = ? AND outcome IN "
        "('new_version', 'unchanged') AND body_hash IS NOT NULL ORDER BY id DESC LIMIT 1", [source_id]))
    headers: dict[str, str] = {}
    if rows:
        if rows[0]["etag"]:
            headers["If-None-Match"] = rows[0]["etag"]
        if rows[0]["last_modified"]:
            headers["If-Modified-Since"] = rows[0]["last_modified"]
    return headers


# Human-readable description of every table and column, used by the README generator and by
# the Datasette metadata so both stay true to the code.
SCHEMA_DOC: dict[str, tuple[str, dict[str, str]]] = {
    "sources": ("One row per source in sources.yaml.", {
        "id": "Source id from sources.yaml", "url": "Configured URL", "name": "Display name",
        "settings": "JSON of the source's settings", "enabled": "1 when checked",
        "created_at": "First seen in the config (UTC)", "updated_at": "Last config sync (UTC)"}),
    "fetches": ("Every fetch attempt, successful or not.", {
        "started_at": "When the fetch started (UTC)", "duration_ms": "Wall time in milliseconds",
        "status_code": "HTTP status of the final response", "outcome":
        "new_version | unchanged | not_modified | error | blocked",
        "error_kind": "Typed error label (timeout, network, http_status, blocked_url, robots, too_large, content_type)",
        "error": "One-line reason", "final_url": "URL after redirects", "redirects": "JSON list of redirect hops",
        "body_hash": "sha256 of the raw body (snapshots/ key)", "bytes": "Body size in bytes",
        "etag": "ETag sent by the server", "last_modified": "Last-Modified sent by the server",
        "version_id": "Version this fetch created or confirmed"}),
    "versions": ("One row per distinct main text of a source.", {
        "number": "1, 2, 3… per source", "body_hash": "sha256 of the raw body that produced it",
        "text_hash": "sha256 of the normalised main text", "title": "Page title", "text": "Normalised main text",
        "first_seen": "First fetch with this text (UTC)", "last_seen": "Latest fetch with this text (UTC)",
        "claim_count": "Number of claims extracted", "extractor_version": "Claim extractor version used",
        "held": "1 while a large removal waits to be confirmed by the next fetch",
        "charset": "Codec the body was decoded with (NULL before it was recorded: detected again)"}),
    "claims": ("Claims extracted from each version.", {
        "category": "dosage | legality | evidence | safety", "key": "Stable key aligning the claim across versions",
        "text": "The sentence, list item or table row", "value": "Normalised value (JSON; dosage amounts in mg)",
        "start": "Offset of the text in the version's main text", "end": "End offset",
        "subject": "Substance named, when stated", "extractor_version": "Extractor version that produced it"}),
    "changes": ("Claim-level differences between consecutive versions of a source.", {
        "from_version": "Older version number", "to_version": "Newer version number",
        "kind": "added | removed | changed | minor (wording-level, not alerted)", "severity": "high | medium | low",
        "old_text": "Sentence before", "new_text": "Sentence after", "old_value": "Value before (JSON)",
        "new_value": "Value after (JSON)", "summary": "One-line human summary",
        "note": "Why the change was held or not alerted, when so",
        "status": "active (alerted) | held (large removal awaiting confirmation) | repeat (A/B flip back) | discarded",
        "fingerprint": "Identity used to keep re-runs idempotent", "detected_at": "When detected (UTC)",
        "group_id": "Statement group: id of the first change stated by the same sentence (alerted together)"}),
    "alerts": ("Outbox: one row per change and channel.", {
        "change_id": "Change delivered (NULL for fetch-broken/recovered)", "channel": "Channel name from sources.yaml",
        "event": "change | broken | recovered | test", "status": "pending | sending | sent | failed | dead",
        "attempts": "Delivery attempts so far", "next_attempt_at": "Earliest next attempt (UTC)",
        "last_error": "Last delivery error (secrets masked)", "sent_at": "When delivered (UTC)",
        "detail": "Reason for a broken/recovered/test alert (masked)"}),
    "source_state": ("Running state per source.", {
        "consecutive_failures": "Failed fetches in a row", "last_outcome": "Outcome of the last fetch",
        "last_error": "Last error reason", "last_checked_at": "Time of the last fetch (UTC)",
        "broken_alerted": "1 once a fetch-broken alert was queued"}),
    "fetch_exchanges": ("HTTP request and response of a fetch, as exchanged (for WARC export and evidence).", {
        "fetch_id": "Fetch (fetches.id)", "method": "Request method", "request_url": "URL requested on the final hop",
        "request_headers": "JSON [[name, value], …] of request headers sent (secret-bearing ones left out)",
        "withheld_headers": "JSON list of request header names sent but not recorded (secrets)",
        "http_version": "HTTP version of the response", "status_line": "Status line as received",
        "response_headers": "JSON [[name, value], …] of response headers as received (case, order, duplicates kept)",
        "peer_ip": "IP address the connection was pinned to"}),
    "daemon": ("Heartbeat of the running daemon.", {
        "pid": "Process id", "host": "Host name", "started_at": "Start time (UTC)",
        "heartbeat_at": "Last heartbeat (UTC)", "state": "running | stopping | stopped"}),
}


# ---------------------------------------------------------------- pass-level reads and writes
# (used by ``monitor.pipeline.Checker``: one query per pass instead of several per source)


def sync_sources(db: sqlite_utils.Database, sources: Iterable[Any]) -> list[str]:
    """Make the ``sources`` table match the config; returns the ids whose row was written.

    Why: ``monitor check`` and the daemon sync the config at every start. Writing every row
    each time (one ``count`` and one ``UPDATE`` per source) cost ≈ 1 s per 10,000 sources and
    bumped ``updated_at`` although nothing had changed, which also hid real config changes
    from the unchanged-body fast path. Rows are compared first; only new or changed sources
    are written, all in one transaction (none at all when the config is unchanged).
    """
    existing = {r["id"]: r for r in db.query("SELECT id, url, name, settings, enabled FROM sources")}
    rows = []
    for src in sources:
        row = {"id": src.id, "url": src.url or "", "name": src.name,
               "settings": json.dumps(src.settings_json(), sort_keys=True), "enabled": int(src.enabled)}
        old = existing.get(src.id)
        if old is None or any(old[k] != row[k] for k in ("url", "name", "settings", "enabled")):
            rows.append((row, old is None))
    if not rows:
        return []
    now = utcnow()
    with transaction(db):
        for row, new in rows:
            if new:
                db["sources"].insert({**row, "created_at": now, "updated_at": now})
            else:
                db["sources"].update(row["id"], {**row, "updated_at": now})
    return [row["id"] for row, _ in rows]


def last_fetch_times(db: sqlite_utils.Database) -> dict[str, dt.datetime]:
    """Start time of each source's newest fetch (any outcome), for due / first-run planning."""
    out: dict[str, dt.datetime] = {}
    for r in db.query("SELECT f.source_id, f.started_at FROM fetches f JOIN "
                      "(SELECT source_id, MAX(id) AS id FROM fetches GROUP BY source_id) m ON f.id = m.id"):
        t = dt.datetime.fromisoformat(r["started_at"])
        out[r["source_id"]] = t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)
    return out


_OK_FETCH = "outcome IN ('new_version', 'unchanged') AND body_hash IS NOT NULL"


def check_states(db: sqlite_utils.Database, source_ids: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """What a check needs to know before fetching, for many sources in two queries.

    Per source id: ``conditional`` (the If-None-Match / If-Modified-Since headers, as
    :func:`conditional_headers`), ``last_body_hash`` (raw body of the newest successful fetch:
    an identical body is the unchanged fast path) and ``text_hash`` of the latest version (what
    a worker compares a new main text against) with its ``version_body_hash`` (the delta base of
    a new snapshot). ``None`` ids = every source.
    """
    ids = None if source_ids is None else list(source_ids)
    where, params = ("", []) if ids is None else ("AND source_id IN (SELECT value FROM json_each(?))", [json.dumps(ids)])
    states: dict[str, dict[str, Any]] = {}
    for r in db.query(
            "SELECT f.source_id, f.etag, f.last_modified, f.body_hash FROM fetches f JOIN "
            f"(SELECT source_id, MAX(id) AS id FROM fetches WHERE {_OK_FETCH} {where} GROUP BY source_id) m "
            "ON f.id = m.id", params):
        headers: dict[str, str] = {}
        if r["etag"]:
            headers["If-None-Match"] = r["etag"]
        if r["last_modified"]:
            headers["If-Modified-Since"] = r["last_modified"]
        states[r["source_id"]] = {"conditional": headers, "last_body_hash": r["body_hash"], "text_hash": None,
                                  "version_body_hash": None}
    for r in db.query(
            "SELECT v.source_id, v.text_hash, v.body_hash FROM versions v JOIN "
            f"(SELECT source_id, MAX(number) AS number FROM versions WHERE 1 {where} GROUP BY source_id) m "
            "ON v.source_id = m.source_id AND v.number = m.number", params):
        state = states.setdefault(r["source_id"], {"conditional": {}, "last_body_hash": None})
        state["text_hash"], state["version_body_hash"] = r["text_hash"], r["body_hash"]
    return states


def unchanged_body_version(db: sqlite_utils.Database, source_id: str, digest: str,
                           extractor_version: str) -> dict[str, Any] | None:
    """The latest version when a body with sha256 ``digest`` is known to give it again, else None.

    True when the newest successful fetch had exactly this body and confirmed the latest
    version, that version was extracted by the running extractors, and the source's config
    (selector…) has not been changed since that fetch: the same bytes, extracted the same way,
    give the same main text, so parsing and claim extraction can be skipped. Read inside the
    caller's transaction, so it is authoritative even with another writer on the DB.
    """
    rows = list(db.query(
        f"SELECT body_hash, version_id, started_at FROM fetches WHERE source_id = ? AND {_OK_FETCH} "
        "ORDER BY id DESC LIMIT 1", [source_id]))
    if not rows or rows[0]["body_hash"] != digest:
        return None
    latest = latest_version(db, source_id)
    if latest is None or latest["id"] != rows[0]["version_id"] or latest["extractor_version"] != extractor_version:
        return None
    updated = list(db.query("SELECT updated_at FROM sources WHERE id = ?", [source_id]))
    # seconds-precision stamps: a change in the same second as the fetch is caught by the caller
    # (``Checker.stale_config``: sources whose row this process wrote and has not checked since)
    if updated and (updated[0]["updated_at"] or "") > rows[0]["started_at"]:
        return None
    return latest
