"""Every write to the history DB, named for what it records.

Callers own the transaction: these functions run inside the caller's ``transaction`` /
``atomic`` (a source's whole record is one), except where a docstring says "own transaction"
(delivery steps of the outbox, which must commit before a message is sent).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from typing import Any, Iterable

import sqlite_utils

from monitor.models import Change, Claim, HttpExchange
from monitor.store import reads
from monitor.store.connection import transaction, utcnow

Row = dict[str, Any]


class StoredChange(int):
    """The id of a change row just written, carrying what alert routing needs.

    An ``int`` (the row id, usable anywhere an id is) with the row's category, severity, kind,
    status and statement group, so the outbox queues alerts from what was just written instead
    of reading the same rows back.
    """

    category: str
    severity: str
    kind: str
    status: str
    group_id: int | None

    def __new__(cls, change_id: int, category: str, severity: str, kind: str, status: str,
                group_id: int | None) -> "StoredChange":
        obj = super().__new__(cls, change_id)
        obj.category, obj.severity, obj.kind, obj.status, obj.group_id = category, severity, kind, status, group_id
        return obj


# ---------------------------------------------------------------- sources


def upsert_source(db: sqlite_utils.Database, source_id: str, url: str, name: str,
                  settings: dict[str, Any], enabled: bool = True) -> None:
    now = utcnow()
    row = {"id": source_id, "url": url, "name": name, "settings": json.dumps(settings, sort_keys=True),
           "enabled": int(enabled), "updated_at": now}
    if db["sources"].count_where("id = ?", [source_id]):
        db["sources"].update(source_id, row)
    else:
        db["sources"].insert({**row, "created_at": now})


def sync_sources(db: sqlite_utils.Database, sources: Iterable[Any]) -> list[str]:
    """Make the ``sources`` table match the config; returns the ids whose row was written.

    Why: ``monitor check`` and the daemon sync the config at every start. Writing every row
    each time (one ``count`` and one ``UPDATE`` per source) cost ≈ 1 s per 10,000 sources and
    bumped ``updated_at`` although nothing had changed, which also hid real config changes
    from the unchanged-body fast path. Rows are compared first; only new or changed sources
    are written, all in one transaction (own transaction; none at all when nothing changed).
    """
    existing = {r["id"]: r for r in reads.source_rows(db)}
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


# ---------------------------------------------------------------- versions and claims


def insert_version(db: sqlite_utils.Database, row: Row) -> int:
    """A new version row; returns its id."""
    return int(db["versions"].insert(row).last_pk)


def mark_seen(db: sqlite_utils.Database, version_id: int, when: str) -> None:
    """A fetch showed this version's text again at ``when``."""
    db["versions"].update(version_id, {"last_seen": when})


def set_held(db: sqlite_utils.Database, version_id: int, held: bool) -> None:
    """Flag a version whose large removal waits for the next fetch to confirm it (or clear it)."""
    db["versions"].update(version_id, {"held": int(held)})


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


def replace_extraction(db: sqlite_utils.Database, version: Row, text: str, text_hash: str,
                       claims: list[Claim], extractor_version: str) -> None:
    """Re-extraction of a stored version: its text and claims replaced (caller's transaction)."""
    db.execute("DELETE FROM claims WHERE version_id = ?", [version["id"]])
    insert_claims(db, version["source_id"], version["id"], claims, extractor_version)
    db["versions"].update(version["id"], {"text": text, "text_hash": text_hash, "claim_count": len(claims),
                                          "extractor_version": extractor_version})


# ---------------------------------------------------------------- changes


def change_fingerprint(change: Change) -> str:
    """Identity of a change between two versions, so re-running never duplicates rows."""
    payload = json.dumps(
        [change.category, change.kind, change.key,
         change.old.value if change.old else None, change.new.value if change.new else None,
         change.old.text if change.old else None, change.new.text if change.new else None],
        sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def insert_changes(db: sqlite_utils.Database, source_id: str, from_version: int | None,
                   to_version: int, changes: Iterable[Change], status: str = "active") -> list[StoredChange]:
    """Insert changes (idempotent by fingerprint); returns the rows newly inserted.

    Changes stated by one sentence share a ``group_id`` (the lowest id among them), so that
    one added sentence naming two side effects is one alert listing two facts.
    """
    inserted: list[tuple[int, Change]] = []
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
            inserted.append((int(cur.lastrowid), ch))
            groups.setdefault(ch.statement or ch.summary, []).append(int(cur.lastrowid))
    leader: dict[int, int] = {}
    for members in groups.values():
        db.conn.execute(f"UPDATE changes SET group_id = ? WHERE id IN ({', '.join('?' * len(members))})",
                        [min(members), *members])
        leader.update((m, min(members)) for m in members)
    return [StoredChange(i, ch.category, ch.severity, ch.kind, status, leader[i]) for i, ch in inserted]


def discard_held(db: sqlite_utils.Database, source_id: str, number: int) -> None:
    """A held version was not confirmed by the next fetch: its changes are discarded."""
    db.conn.execute(
        "UPDATE changes SET status = 'discarded', note = 'not confirmed: the next fetch showed other text' "
        "WHERE source_id = ? AND to_version = ? AND status = 'held'", [source_id, number])
    db.conn.execute("UPDATE versions SET held = 0 WHERE source_id = ? AND number = ?", [source_id, number])


def release_held(db: sqlite_utils.Database, version: Row) -> list[StoredChange]:
    """The next fetch saw a held version again: its large removal is real, its changes go active."""
    set_held(db, version["id"], False)
    rows = list(db.query("SELECT id, category, severity, kind, group_id FROM changes "
                         "WHERE source_id = ? AND to_version = ? AND status = 'held' ORDER BY id",
                         [version["source_id"], version["number"]]))
    db.conn.execute(
        "UPDATE changes SET status = 'active', note = 'large removal confirmed by the next fetch' "
        "WHERE source_id = ? AND to_version = ? AND status = 'held'", [version["source_id"], version["number"]])
    return [StoredChange(r["id"], r["category"], r["severity"], r["kind"], "active", r["group_id"]) for r in rows]


# ---------------------------------------------------------------- fetches and running state


def insert_fetch(db: sqlite_utils.Database, row: Row, exchange: HttpExchange | None = None) -> int:
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


def save_source_state(db: sqlite_utils.Database, row: Row) -> None:
    """Failures in a row and broken-alert flag of one source (``row`` has every column)."""
    db["source_state"].upsert(row, pk="source_id")


def write_heartbeat(db: sqlite_utils.Database, row_id: int, state: str, started_at: str | None = None) -> None:
    """The daemon's heartbeat row: this process, now, ``state`` (own transaction)."""
    row: Row = {"id": row_id, "pid": os.getpid(), "host": socket.gethostname(), "heartbeat_at": utcnow(),
                "state": state}
    if started_at:
        row["started_at"] = started_at
    with transaction(db):
        db["daemon"].upsert(row, pk="id")


# ---------------------------------------------------------------- the alert outbox


def insert_alert(db: sqlite_utils.Database, row: Row) -> int:
    """Queue one alert row unless the same (change, channel) is queued already; returns rows added."""
    cur = db.conn.execute(
        "INSERT OR IGNORE INTO alerts (" + ", ".join(row) + ") VALUES (" + ", ".join("?" for _ in row) + ")",
        list(row.values()))
    return cur.rowcount or 0


def insert_test_alert(db: sqlite_utils.Database, channel: str, detail: str) -> int:
    """A test alert for ``channel`` (own transaction); returns its id."""
    now = utcnow()
    with transaction(db) as conn:
        cur = conn.execute(
            "INSERT INTO alerts (change_id, source_id, channel, event, status, attempts, next_attempt_at, "
            "created_at, detail) VALUES (NULL, NULL, ?, 'test', 'pending', 0, ?, ?, ?)", [channel, now, now, detail])
        return int(cur.lastrowid)


def claim_alert(db: sqlite_utils.Database, alert_id: int, status: str, now: str, lease_until: str,
                force: bool) -> bool:
    """Atomically move one row from ``status`` to 'sending' (own transaction).

    False when another run got it first or it is no longer due. ``force`` takes rows whatever
    their ``next_attempt_at``, except a 'sending' row whose lease has not expired.
    """
    due = " AND (next_attempt_at IS NULL OR next_attempt_at <= ?%s)" % (" OR status != 'sending'" if force else "")
    with transaction(db) as conn:
        cur = conn.execute("UPDATE alerts SET status = 'sending', attempts = attempts + 1, next_attempt_at = ? "
                           "WHERE id = ? AND status = ?" + due, [lease_until, alert_id, status, now])
        return cur.rowcount == 1


def finish_alert(db: sqlite_utils.Database, alert_id: int, now: str, error: str | None, max_attempts: int,
                 retry_at: Any) -> str:
    """Mark a claimed alert: 'sent', 'failed' (retry at ``retry_at(attempts)``) or 'dead' (own transaction)."""
    with transaction(db) as conn:
        if error is None:
            conn.execute("UPDATE alerts SET status = 'sent', sent_at = ?, last_error = NULL, "
                         "next_attempt_at = NULL WHERE id = ?", [now, alert_id])
            return "sent"
        (attempts,) = conn.execute("SELECT attempts FROM alerts WHERE id = ?", [alert_id]).fetchone()
        if attempts >= max_attempts:
            conn.execute("UPDATE alerts SET status = 'dead', last_error = ?, next_attempt_at = NULL "
                         "WHERE id = ?", [f"gave up after {attempts} attempts: {error}", alert_id])
            return "dead"
        conn.execute("UPDATE alerts SET status = 'failed', last_error = ?, next_attempt_at = ? WHERE id = ?",
                     [error, retry_at(attempts), alert_id])
        return "failed"
