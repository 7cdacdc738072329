"""Opening the history DB, and the transactions every write runs in.

One SQLite file (default ``snapshots/history.db``) opened with sqlite-utils, in WAL mode with
a busy timeout so the daemon, one-off ``monitor check`` runs and Datasette can share it.
Every write that belongs together happens inside one transaction (:class:`transaction`, or
:class:`atomic` when it may run inside a caller's), so a crash leaves the previous state intact.
"""

from __future__ import annotations

import datetime as dt
import errno
import sqlite3
from pathlib import Path
from typing import Any

import sqlite_utils

from monitor.errors import StorageFull, StoreError
from monitor.store.schema import migrations

DEFAULT_DB = Path("snapshots") / "history.db"
BUSY_TIMEOUT_MS = 30_000


def utcnow() -> str:
    """ISO-8601 UTC timestamp with seconds precision, the one format used in every table."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


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


class atomic:
    """A transaction, or a SAVEPOINT when one is already open (a batched write, see below).

    Why: recording a fetch must be all-or-nothing for its source both when called on its own
    (benchmarks, tests, re-extraction) and as one job of a batched write transaction.
    """

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.conn = db.conn
        self.nested = False

    def __enter__(self) -> sqlite3.Connection:
        self.nested = self.conn.in_transaction
        self.conn.execute("SAVEPOINT cw_record" if self.nested else "BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None and not self.conn.in_transaction:
            return  # SQLite already rolled the whole transaction back (disk full, I/O error): say why
        if not self.nested:
            self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
            return
        if exc_type is not None:
            self.conn.execute("ROLLBACK TO cw_record")
        self.conn.execute("RELEASE cw_record")


class job_savepoint:
    """``with job_savepoint(db):`` — one job of a batched transaction: its own SAVEPOINT.

    A job that raises is rolled back alone (the exception propagates, the batch goes on);
    one that succeeds is released into the batch, which commits whole or not at all.
    """

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.conn = db.conn

    def __enter__(self) -> None:
        self.conn.execute("SAVEPOINT cw_job")

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None and not self.conn.in_transaction:
            return  # the error rolled back the whole batch already: the savepoint is gone with it
        if exc_type is not None:
            self.conn.execute("ROLLBACK TO cw_job")
        self.conn.execute("RELEASE cw_job")


def refuse_writes(conn: sqlite3.Connection) -> None:
    """Make a connection read-only at the SQLite level (Datasette's connections to a history)."""
    conn.execute("PRAGMA query_only = 1")
