"""Every read of the history DB, named for what it reads.

Why here: SQL in one package means a schema change is one place to edit and one place to
review, and a read two callers need is written once (the newest fetch of every source serves
``monitor status``, the daemon's restart plan and the due-source planning alike).
Rows come back as dicts (sqlite-utils), claims as :class:`monitor.models.Claim`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Iterable, Iterator

import sqlite_utils

from monitor.errors import RefError
from monitor.models import Change, Claim, History

Row = dict[str, Any]
MATERIAL_KINDS = ("added", "removed", "changed")


def _marks(values: Iterable[Any]) -> str:
    return ", ".join("?" for _ in values)


def _first(db: sqlite_utils.Database, sql: str, params: Iterable[Any] = ()) -> Row | None:
    rows = list(db.query(sql, list(params)))
    return rows[0] if rows else None


def on_connection(conn: Any) -> sqlite_utils.Database:
    """A sqlite-utils view of a connection someone else opened (Datasette's, in its thread)."""
    return sqlite_utils.Database(conn, recursive_triggers=False)


# ---------------------------------------------------------------- sources


def source_rows(db: sqlite_utils.Database) -> list[Row]:
    """Every source as last synced from the config: id, url, name, settings (JSON), enabled."""
    return list(db.query("SELECT id, url, name, settings, enabled FROM sources ORDER BY id"))


def source_ids(db: sqlite_utils.Database) -> list[str]:
    """Ids of every source in the DB, sorted (for "unknown source" messages and exports)."""
    return [r["id"] for r in db.query("SELECT id FROM sources ORDER BY id")]


def source_row(db: sqlite_utils.Database, source_id: str) -> Row | None:
    """One source's id, name and URL, or None."""
    return _first(db, "SELECT id, name, url FROM sources WHERE id = ?", [source_id])


def source_counts(db: sqlite_utils.Database) -> Row:
    """How many sources and versions the DB holds (the Datasette home page)."""
    return _first(db, "SELECT (SELECT count(*) FROM sources) AS sources, "
                      "(SELECT count(*) FROM versions) AS versions") or {"sources": 0, "versions": 0}


def config_written_at(db: sqlite_utils.Database, source_id: str) -> str | None:
    """When the source's config row was last written (``sources.updated_at``)."""
    row = _first(db, "SELECT updated_at FROM sources WHERE id = ?", [source_id])
    return row["updated_at"] if row else None


# ---------------------------------------------------------------- versions


def latest_version(db: sqlite_utils.Database, source_id: str) -> Row | None:
    return _first(db, "SELECT * FROM versions WHERE source_id = ? ORDER BY number DESC LIMIT 1", [source_id])


def find_version(db: sqlite_utils.Database, source_id: str, number: int) -> Row | None:
    """A version row by source and number, or None."""
    return _first(db, "SELECT * FROM versions WHERE source_id = ? AND number = ?", [source_id, number])


def version_summary(db: sqlite_utils.Database, version_id: int) -> Row | None:
    """A version's number, title, hashes and claim count by id, without its text (WARC metadata)."""
    return _first(db, "SELECT id, number, title, text_hash, extractor_version, claim_count FROM versions "
                      "WHERE id = ?", [version_id])


def get_version(db: sqlite_utils.Database, source_id: str, number: int | None = None) -> Row:
    """A version row by number (latest when ``number`` is None); RefError when absent."""
    row = latest_version(db, source_id) if number is None else find_version(db, source_id, number)
    if row is None:
        known = source_ids(db)
        if source_id not in known:
            raise RefError(f"unknown source {source_id!r} (known: {', '.join(known) or 'none'})")
        what = f"version {number}" if number is not None else "any version"
        raise RefError(f"source {source_id!r} has no {what} yet")
    return row


def recent_versions(db: sqlite_utils.Database, source_id: str, limit: int) -> list[Row]:
    return list(db.query("SELECT * FROM versions WHERE source_id = ? ORDER BY number DESC LIMIT ?",
                         [source_id, limit]))


def version_list(db: sqlite_utils.Database, source_id: str) -> list[Row]:
    """Every version of a source, oldest first, without its text (``monitor history``)."""
    return list(db.query("SELECT number, first_seen, last_seen, claim_count, title, text_hash, held "
                         "FROM versions WHERE source_id = ? ORDER BY number", [source_id]))


def version_count(db: sqlite_utils.Database, source_id: str) -> int:
    return int(db.execute("SELECT COUNT(*) FROM versions WHERE source_id = ?", [source_id]).fetchone()[0])


def neighbour_versions(db: sqlite_utils.Database, source_id: str, before: int, after: int
                       ) -> tuple[int | None, int | None]:
    """The version number just older than ``before`` and the one just newer than ``after``."""
    row = _first(db, "SELECT (SELECT max(number) FROM versions WHERE source_id = ? AND number < ?) AS older, "
                     "(SELECT min(number) FROM versions WHERE source_id = ? AND number > ?) AS newer",
                 [source_id, before, source_id, after])
    return (row["older"], row["newer"]) if row else (None, None)


def first_version_claim_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Claims in each source's first version (the demo's opening table)."""
    return {r["source_id"]: r["claim_count"]
            for r in db.query("SELECT source_id, claim_count FROM versions WHERE number = 1")}


def versions_to_reextract(db: sqlite_utils.Database, source_ids: list[str] | None) -> list[Row]:
    """Versions with what re-extraction needs: body hash, charset, extractor version, source settings."""
    where, params = "", []
    if source_ids:
        where, params = f"WHERE v.source_id IN ({_marks(source_ids)})", list(source_ids)
    return list(db.query(
        "SELECT v.id, v.source_id, v.number, v.body_hash, v.charset, v.extractor_version, s.settings "
        f"FROM versions v JOIN sources s ON s.id = v.source_id {where} ORDER BY v.source_id, v.number", params))


def body_references(db: sqlite_utils.Database) -> dict[str, str]:
    """Raw-body sha256 → ``source@number`` of a version built from it (snapshot verification)."""
    return {r["body_hash"]: f"{r['source_id']}@{r['number']}" for r in db.query(
        "SELECT body_hash, source_id, number FROM versions WHERE body_hash IS NOT NULL")}


# ---------------------------------------------------------------- claims


def version_claim_rows(db: sqlite_utils.Database, version_id: int) -> list[Row]:
    """A version's claims as stored, in text order."""
    return list(db.query('SELECT category, key, text, value, start, "end", subject, extractor_version '
                         "FROM claims WHERE version_id = ? ORDER BY start, id", [version_id]))


def version_claims(db: sqlite_utils.Database, version_id: int) -> list[Claim]:
    return [Claim(category=r["category"], key=r["key"], text=r["text"], value=json.loads(r["value"] or "{}"),
                  start=r["start"] or 0, end=r["end"] or 0, subject=r["subject"])
            for r in version_claim_rows(db, version_id)]


def latest_claims_everywhere(db: sqlite_utils.Database) -> list[Row]:
    """Claims of every source's latest version (``monitor claims --compare``)."""
    return list(db.query(
        "SELECT c.source_id, c.category, c.key, c.value FROM claims c JOIN versions v ON v.id = c.version_id "
        "WHERE v.number = (SELECT MAX(number) FROM versions WHERE source_id = v.source_id) "
        "ORDER BY c.category, c.key, c.source_id"))


def version_history(db: sqlite_utils.Database, source_id: str, window: int) -> History:
    """The recent past the noise rules plan with: versions, their claims, repeat flags."""
    versions = tuple(recent_versions(db, source_id, window + 2))
    claims = {v["id"]: tuple(version_claims(db, v["id"])) for v in versions}
    numbers = [v["number"] for v in versions]
    repeats = frozenset(r[0] for r in db.execute(
        f"SELECT DISTINCT to_version FROM changes WHERE source_id = ? AND status = 'repeat' "
        f"AND to_version IN ({_marks(numbers)})", [source_id, *numbers]).fetchall()) if numbers else frozenset()
    return History(versions, claims, repeats)


# ---------------------------------------------------------------- changes


def change_row(db: sqlite_utils.Database, change_id: int) -> Row | None:
    return _first(db, "SELECT * FROM changes WHERE id = ?", [change_id])


def last_change_id(db: sqlite_utils.Database) -> int | None:
    return db.execute("SELECT max(id) FROM changes").fetchone()[0]


def iter_changes(db: sqlite_utils.Database, source_id: str | None = None, since: str | None = None,
                 statuses: tuple[str, ...] = ("active", "repeat", "held")) -> Iterator[Row]:
    where = [f"status IN ({_marks(statuses)})"]
    params: list[Any] = list(statuses)
    if source_id:
        where.append("source_id = ?")
        params.append(source_id)
    if since:
        where.append("detected_at >= ?")
        params.append(since)
    yield from db.query("SELECT * FROM changes WHERE " + " AND ".join(where) + " ORDER BY detected_at, id", params)


def material_changes_to(db: sqlite_utils.Database, source_id: str, version: int) -> list[Row]:
    """Material changes stored for the transition to ``version`` (active, held or repeat), by id."""
    return list(db.query(
        "SELECT id, category, kind, severity, key, summary, status, note, from_version, to_version "
        f"FROM changes WHERE source_id = ? AND to_version = ? AND kind IN ({_marks(MATERIAL_KINDS)}) "
        "AND status IN ('active', 'held', 'repeat') ORDER BY id", [source_id, version, *MATERIAL_KINDS]))


def changes_between(db: sqlite_utils.Database, source_id: str, after: int, upto: int) -> list[Row]:
    """Changes into versions ``after+1 … upto`` of a source (the Datasette diff page)."""
    return list(db.query("SELECT * FROM changes WHERE source_id = ? AND to_version > ? AND to_version <= ? "
                         "ORDER BY to_version, id", [source_id, after, upto]))


def recent_material_changes(db: sqlite_utils.Database, limit: int) -> list[Row]:
    """The newest material changes, any status (the Datasette home page)."""
    return list(db.query(
        "SELECT id, source_id, severity, summary, status, detected_at FROM changes "
        f"WHERE kind IN ({_marks(MATERIAL_KINDS)}) ORDER BY detected_at DESC, id DESC LIMIT ?",
        [*MATERIAL_KINDS, limit]))


def feed_changes(db: sqlite_utils.Database, limit: int) -> list[Row]:
    """Active changes with their source's name and URL, newest first (the Atom feed)."""
    return list(db.query(
        "SELECT c.*, s.name AS source_name, s.url AS source_url FROM changes c "
        "LEFT JOIN sources s ON s.id = c.source_id WHERE c.status = 'active' "
        "ORDER BY c.detected_at DESC, c.id DESC LIMIT ?", [int(limit)]))


def change_group(db: sqlite_utils.Database, change_id: int) -> list[Row]:
    """A change and the active material changes of its statement group (one alert lists them all)."""
    return list(db.query(
        f"SELECT * FROM changes WHERE id = ? OR (group_id = ? AND status = 'active' "
        f"AND kind IN ({_marks(MATERIAL_KINDS)})) ORDER BY id", [change_id, change_id, *MATERIAL_KINDS]))


def change_from_row(row: Row) -> Change:
    def side(text: str | None, value: str | None) -> Claim | None:
        if text is None and value is None:
            return None
        return Claim(category=row["category"], key=row["key"], text=text or "",
                     value=json.loads(value) if value else {})

    return Change(category=row["category"], kind=row["kind"], key=row["key"], severity=row["severity"],
                  summary=row["summary"], old=side(row["old_text"], row["old_value"]),
                  new=side(row["new_text"], row["new_value"]), note=row.get("note") or "")


# ---------------------------------------------------------------- fetches

_OK_FETCH = "outcome IN ('new_version', 'unchanged') AND body_hash IS NOT NULL"
_WITH_EXCHANGE = ("SELECT f.*, x.method, x.request_url, x.request_headers, x.withheld_headers, x.http_version, "
                  "x.status_line, x.response_headers, x.peer_ip FROM fetches f "
                  "LEFT JOIN fetch_exchanges x ON x.fetch_id = f.id ")


def latest_fetches(db: sqlite_utils.Database) -> dict[str, Row]:
    """The newest fetch of every source (any outcome): started_at, outcome, error, error_kind."""
    return {r["source_id"]: r for r in db.query(
        "SELECT f.source_id, f.started_at, f.outcome, f.error, f.error_kind FROM fetches f JOIN "
        "(SELECT source_id, MAX(id) AS id FROM fetches GROUP BY source_id) m ON f.id = m.id")}


def last_fetch_times(db: sqlite_utils.Database) -> dict[str, dt.datetime]:
    """Start time of each source's newest fetch (any outcome), for due / first-run planning."""
    out: dict[str, dt.datetime] = {}
    for source_id, row in latest_fetches(db).items():
        t = dt.datetime.fromisoformat(row["started_at"])
        out[source_id] = t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)
    return out


def recent_fetches(db: sqlite_utils.Database, source_id: str, limit: int) -> list[Row]:
    """A source's newest fetches, newest first (``monitor history``)."""
    return list(db.query("SELECT started_at, outcome, status_code, duration_ms, error FROM fetches "
                         "WHERE source_id = ? ORDER BY id DESC LIMIT ?", [source_id, limit]))


def version_fetches(db: sqlite_utils.Database, version_id: int) -> list[Row]:
    """Every fetch that created or confirmed a version, with its HTTP exchange (evidence bundles)."""
    return list(db.query(_WITH_EXCHANGE + "WHERE f.version_id = ? ORDER BY f.id", [version_id]))


def body_fetches(db: sqlite_utils.Database, source_ids: list[str], outcomes: tuple[str, ...]) -> list[Row]:
    """Fetches of these sources that stored a body with one of ``outcomes``, with exchanges (WARC export)."""
    if not source_ids:
        return []
    return list(db.query(
        _WITH_EXCHANGE + f"WHERE f.source_id IN ({_marks(source_ids)}) AND f.body_hash IS NOT NULL "
        f"AND f.outcome IN ({_marks(outcomes)}) ORDER BY f.id", [*source_ids, *outcomes]))


def check_states(db: sqlite_utils.Database, source_ids: Iterable[str] | None = None) -> dict[str, Row]:
    """What a check needs to know before fetching, for many sources in two queries.

    Per source id: ``conditional`` (the If-None-Match / If-Modified-Since headers of the newest
    successful fetch), ``last_body_hash`` (raw body of that fetch: an identical body is the
    unchanged fast path) and ``text_hash`` of the latest version (what a worker compares a new
    main text against) with its ``version_body_hash`` (the delta base of a new snapshot).
    ``None`` ids = every source.
    """
    ids = None if source_ids is None else list(source_ids)
    where, params = ("", []) if ids is None else ("AND source_id IN (SELECT value FROM json_each(?))", [json.dumps(ids)])
    states: dict[str, Row] = {}
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


def body_confirms(db: sqlite_utils.Database, source_id: str, digest: str, latest: Row | None,
                  extractor_version: str) -> bool:
    """True when a body with sha256 ``digest`` is known to give the ``latest`` version again.

    That is when the newest successful fetch had exactly this body and confirmed ``latest``,
    ``latest`` was extracted by the running extractors, and the source's config (selector…)
    has not been changed since that fetch: the same bytes, extracted the same way, give the
    same main text, so parsing and claim extraction can be skipped. ``latest`` is the caller's
    read of the latest version, inside the same transaction (it is not read again here).
    """
    if latest is None or latest["extractor_version"] != extractor_version:
        return False
    last = _first(db, f"SELECT body_hash, version_id, started_at FROM fetches WHERE source_id = ? AND {_OK_FETCH} "
                      "ORDER BY id DESC LIMIT 1", [source_id])
    if last is None or last["body_hash"] != digest or last["version_id"] != latest["id"]:
        return False
    # seconds-precision stamps: a change in the same second as the fetch is caught by the caller
    # (``Checker.stale_config``: sources whose row this process wrote and has not checked since)
    return not (config_written_at(db, source_id) or "") > last["started_at"]


# ---------------------------------------------------------------- running state


def source_state(db: sqlite_utils.Database, source_id: str) -> Row | None:
    return _first(db, "SELECT * FROM source_state WHERE source_id = ?", [source_id])


def source_states(db: sqlite_utils.Database) -> dict[str, Row]:
    return {r["source_id"]: r for r in db.query("SELECT * FROM source_state")}


def failing_sources(db: sqlite_utils.Database) -> list[Row]:
    """Sources whose last fetches failed, most failures first (the Datasette home page)."""
    return list(db.query("SELECT source_id, consecutive_failures, last_error, last_checked_at FROM source_state "
                         "WHERE consecutive_failures > 0 ORDER BY consecutive_failures DESC, source_id"))


def daemon_row(db: sqlite_utils.Database) -> Row:
    """The daemon's heartbeat row ({} when no daemon ever ran on this DB)."""
    return _first(db, "SELECT * FROM daemon ORDER BY heartbeat_at DESC LIMIT 1") or {}


# ---------------------------------------------------------------- alerts


def alert_row(db: sqlite_utils.Database, alert_id: int) -> Row | None:
    return _first(db, "SELECT * FROM alerts WHERE id = ?", [alert_id])


def count_alerts(db: sqlite_utils.Database, statuses: tuple[str, ...]) -> int:
    return int(db.execute(f"SELECT COUNT(*) FROM alerts WHERE status IN ({_marks(statuses)})",
                          list(statuses)).fetchone()[0])


def alert_ids_with_status(db: sqlite_utils.Database, statuses: tuple[str, ...]) -> list[int]:
    return [r["id"] for r in db.query(f"SELECT id FROM alerts WHERE status IN ({_marks(statuses)}) ORDER BY id",
                                      list(statuses))]


def alert_statuses(db: sqlite_utils.Database, alert_ids: Iterable[int]) -> dict[int, str]:
    """Status of each of these alerts that exists."""
    ids = list(alert_ids)
    return {r["id"]: r["status"] for r in db.query(f"SELECT id, status FROM alerts WHERE id IN ({_marks(ids)})", ids)}


def alert_list(db: sqlite_utils.Database, status: str | None = None) -> list[Row]:
    """Alerts (of one status, or all) with their change's category, severity and summary."""
    where, params = ("WHERE a.status = ?", [status]) if status else ("", [])
    return list(db.query(
        "SELECT a.id, a.status, a.event, a.channel, a.source_id, a.change_id, c.category, c.severity, "
        "c.summary, a.detail, a.attempts, a.next_attempt_at, a.last_error, a.created_at, a.sent_at "
        f"FROM alerts a LEFT JOIN changes c ON c.id = a.change_id {where} ORDER BY a.id", params))


def change_alerts(db: sqlite_utils.Database, change_id: int) -> list[Row]:
    """The alert rows of one change, in order (the Datasette change page)."""
    return list(db.query("SELECT id, channel, event, status, attempts, last_error, sent_at FROM alerts "
                         "WHERE change_id = ? ORDER BY id", [change_id]))


def due_alerts(db: sqlite_utils.Database, now: str, force: bool, ids: list[int] | None) -> list[Row]:
    """Alert rows a delivery run may claim at ``now`` (ISO), or of those ``ids``.

    A 'sending' row is only taken over once its lease has expired, even when forced: its
    claimant may still be alive and about to mark it.
    """
    where: list[str] = []
    params: list[Any] = []
    if ids is not None:
        if not ids:
            return []
        where.append(f"id IN ({_marks(ids)})")
        params += list(ids)
        where.append("status IN ('pending', 'failed', 'sending', 'dead')" if force
                     else "status IN ('pending', 'failed', 'sending')")
    else:
        where.append("status IN ('pending', 'failed', 'sending')")
    where.append("(next_attempt_at IS NULL OR next_attempt_at <= ?%s)" % (" OR status != 'sending'" if force else ""))
    params.append(now)
    return list(db.query("SELECT * FROM alerts WHERE " + " AND ".join(where) + " ORDER BY id", params))
