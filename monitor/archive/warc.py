"""``monitor export --warc``: the stored history as WARC/1.1, one gzip member per record.

Why WARC: it is the web-archiving standard (ISO 28500) that replay tools (pywb,
ReplayWeb.page) and archivists already trust, so a claim change can be *shown* as the page
was served, not only described. What is written, per selected source, in fetch order:

- one ``warcinfo`` record (software, source list, what is missing for older fetches);
- for each fetch that brought a body not yet in this file: ``response`` + ``request`` records
  (``WARC-Target-URI``, ``WARC-Date`` = fetch time, ``WARC-Payload-Digest`` = sha256 of the
  stored body, ``WARC-IP-Address`` = the pinned peer IP), and for a fetch that created a
  version a ``metadata`` record with that version's claims as JSON;
- for a fetch whose body is already in the file (an ``unchanged`` fetch of the same bytes):
  a ``revisit`` record, identical-payload-digest profile; for a 304 a ``revisit`` with the
  server-not-modified profile. So the archive shows every time a page was seen.

The body kept is the one claimwatch stored: bytes as received *after* Content-Encoding was
undone. The HTTP header block therefore restates the framing for those bytes
(``Content-Length`` of the stored body, no ``Content-Encoding``/``Transfer-Encoding``); the
originals are kept as ``X-Claimwatch-Orig-*`` headers so nothing received is hidden.

Fetches made before HTTP metadata was recorded (no ``fetch_exchanges`` row) get a
reconstructed header block, flagged in the record (``Claimwatch-Missing``) and reported.
A snapshot that is missing or fails its hash check stops the export with an error naming the
version; the partial file is removed, never left looking complete.
"""

from __future__ import annotations

import base64
import datetime as dt
import http
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote, urlsplit

import sqlite_utils
from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from monitor import __version__, store
from monitor.archive import MISSING_WITHOUT_EXCHANGE, ArchiveError, atomic_output, load_exchange
from monitor.errors import SnapshotError
from monitor.fetch.content import looks_like_html
from monitor.snapshots import SnapshotStore

NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
_BODY_OUTCOMES = ("new_version", "unchanged", "not_modified", "blocked")
# Framing headers that describe the bytes on the wire, not the decoded body we stored.
_FRAMING = ("content-encoding", "transfer-encoding", "content-length")


class _Writer(WARCWriter):
    """warcio's writer with sha256 block digests (its default is sha1), matching the payloads."""

    @staticmethod
    def _create_digester() -> Digester:
        return Digester("sha256")


@dataclass
class ExportReport:
    """What an export wrote, for the CLI summary and the tests."""

    path: Path
    records: dict[str, int] = field(default_factory=dict)
    fetches: int = 0
    missing: dict[int, tuple[str, ...]] = field(default_factory=dict)  # fetch id -> fields
    bytes: int = 0
    seconds: float = 0.0

    def count(self, kind: str) -> None:
        self.records[kind] = self.records.get(kind, 0) + 1


def payload_digest(body_sha256_hex: str) -> str:
    """``sha256:BASE32`` (the encoding warcio and pywb expect) of a stored body's hex digest."""
    return "sha256:" + base64.b32encode(bytes.fromhex(body_sha256_hex)).decode("ascii")


def warc_date(started_at: str) -> str:
    """The fetch time as a WARC-Date (UTC, ``YYYY-MM-DDThh:mm:ssZ``)."""
    when = dt.datetime.fromisoformat(started_at)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_since(value: str | None) -> str | None:
    """``--since`` (a date or an ISO datetime) as the ISO UTC string fetches are stored with."""
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ArchiveError(f"--since: expected a date like 2026-03-01 or 2026-03-01T12:00:00Z, "
                           f"got {value!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()


def check_sources(db: sqlite_utils.Database, source_ids: list[str] | None) -> list[str]:
    """The sources to export (all when none named); an unknown id is an error naming the known ones."""
    known = store.source_ids(db)
    if not source_ids:
        return known
    unknown = [s for s in source_ids if s not in known]
    if unknown:
        raise ArchiveError(f"unknown source {unknown[0]!r}: pass --source with one of "
                           f"{', '.join(known) or '(none: run `monitor check` first)'}")
    return list(dict.fromkeys(source_ids))


def _fetch_rows(db: sqlite_utils.Database, sources: list[str]) -> list[dict[str, Any]]:
    return store.body_fetches(db, sources, _BODY_OUTCOMES)


def _target_uri(row: dict[str, Any], exchange: dict[str, Any] | None) -> str:
    return (exchange or {}).get("request_url") or row.get("final_url") or row["url"]


def _response_headers(row: dict[str, Any], exchange: dict[str, Any] | None, body: bytes,
                      *, with_length: bool = True) -> StatusAndHeaders:
    """The HTTP header block for the stored body: as received, framing restated (see module doc)."""
    if exchange is not None:
        status_line = exchange["status_line"]
        headers: list[tuple[str, str]] = []
        for name, value in exchange["response_headers"]:
            if name.lower() in _FRAMING:
                headers.append((f"X-Claimwatch-Orig-{name}", value))
            else:
                headers.append((name, value))
        protocol, _, rest = status_line.partition(" ")
    else:  # before fetch_exchanges: only what the fetches row kept
        code = int(row.get("status_code") or 200)
        try:
            reason = http.HTTPStatus(code).phrase
        except ValueError:
            reason = ""
        protocol, rest = "HTTP/1.1", f"{code} {reason}".rstrip()
        kind = "text/html" if looks_like_html(body) else "text/plain"
        headers = [("Content-Type", kind)]
        for name, key in (("ETag", "etag"), ("Last-Modified", "last_modified")):
            if row.get(key):
                headers.append((name, row[key]))
    if with_length:
        headers.append(("Content-Length", str(len(body))))
    return StatusAndHeaders(rest, headers, protocol=protocol)


def _request_headers(uri: str, exchange: dict[str, Any] | None) -> StatusAndHeaders:
    parts = urlsplit(uri)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if exchange is not None:
        headers = list(exchange["request_headers"])
        return StatusAndHeaders(f"{exchange['method']} {target} {exchange['http_version']}",
                                headers, is_http_request=True)
    return StatusAndHeaders(f"GET {target} HTTP/1.1", [("Host", parts.netloc)], is_http_request=True)


class _Export:
    """One export run: the writer, what is already in the file, the report."""

    def __init__(self, db: sqlite_utils.Database, snapshots: SnapshotStore, out: BinaryIO,
                 report: ExportReport) -> None:
        self.db, self.snapshots, self.report = db, snapshots, report
        self.writer = _Writer(out, gzip=True, warc_version="1.1")
        # (uri, body sha256) -> (record id, WARC-Date) of the response record holding it
        self.written: dict[tuple[str, str], tuple[str, str]] = {}
        self.versions: dict[int, dict[str, Any]] = {}

    def _ext_headers(self, row: dict[str, Any], exchange: dict[str, Any] | None) -> dict[str, str]:
        headers = {"Claimwatch-Source": row["source_id"], "Claimwatch-Fetch-Id": str(row["id"]),
                   "Claimwatch-Outcome": row["outcome"]}
        version = self._version(row.get("version_id"))
        if version:
            headers["Claimwatch-Version"] = str(version["number"])
        if exchange is None:
            headers["Claimwatch-Missing"] = ", ".join(MISSING_WITHOUT_EXCHANGE)
            self.report.missing[row["id"]] = MISSING_WITHOUT_EXCHANGE
        elif exchange["withheld_headers"]:
            headers["Claimwatch-Withheld-Request-Headers"] = ", ".join(exchange["withheld_headers"])
        if exchange is not None and exchange.get("peer_ip"):
            headers["WARC-IP-Address"] = exchange["peer_ip"]
        return headers

    def _version(self, version_id: int | None) -> dict[str, Any] | None:
        if version_id is None:
            return None
        if version_id not in self.versions:
            self.versions[version_id] = store.version_summary(self.db, version_id) or {}
        return self.versions[version_id] or None

    def _body(self, row: dict[str, Any]) -> bytes:
        try:
            return self.snapshots.get(row["body_hash"])
        except SnapshotError as exc:
            version = self._version(row.get("version_id"))
            what = (f"source {row['source_id']!r} version {version['number']}" if version
                    else f"source {row['source_id']!r}")
            raise ArchiveError(
                f"{what} (fetch {row['id']} at {row['started_at']}, body sha256 "
                f"{row['body_hash'][:12]}…): {exc}; nothing was exported — restore snapshots/ from "
                f"a backup, or leave the source out with --source") from None

    def response(self, row: dict[str, Any], *, base_only: bool = False) -> None:
        """request + response records (and the version's claims as metadata) for one fetch."""
        exchange = load_exchange(row)
        body = self._body(row)
        uri, date = _target_uri(row, exchange), warc_date(row["started_at"])
        ext = self._ext_headers(row, exchange)
        if base_only:
            ext["Claimwatch-Note"] = "before --since; included as the base of later revisits"
        warc = {"WARC-Date": date, "WARC-Payload-Digest": payload_digest(row["body_hash"]), **ext}
        resp = self.writer.create_warc_record(
            uri, "response", payload=io.BytesIO(body), length=len(body),
            http_headers=_response_headers(row, exchange, body), warc_headers_dict=warc)
        req = self.writer.create_warc_record(uri, "request", http_headers=_request_headers(uri, exchange),
                                             warc_headers_dict={"WARC-Date": date, **ext})
        self.writer.write_request_response_pair(req, resp)
        self.report.count("response")
        self.report.count("request")
        record_id = resp.rec_headers.get_header("WARC-Record-ID")
        self.written[(uri, row["body_hash"])] = (record_id, date)
        if row["outcome"] == "new_version" and row.get("version_id") is not None:
            self.metadata(row, uri, date, record_id)

    def metadata(self, row: dict[str, Any], uri: str, date: str, record_id: str) -> None:
        version = self._version(row["version_id"]) or {}
        claims = [
            {"category": c["category"], "key": c["key"], "text": c["text"],
             "value": json.loads(c["value"] or "{}"), "start": c["start"], "end": c["end"],
             "subject": c["subject"], "extractor_version": c["extractor_version"]}
            for c in store.version_claim_rows(self.db, row["version_id"])]
        payload = json.dumps({
            "source": row["source_id"], "version": version.get("number"),
            "title": version.get("title"), "text_hash": version.get("text_hash"),
            "body_sha256": row["body_hash"], "extractor_version": version.get("extractor_version"),
            "claims": claims}, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
        # its own URI (Heritrix-style metadata://), so replay tools that index metadata records
        # never serve this JSON in place of the page captured at the same second
        meta_uri = f"metadata://claimwatch/{quote(row['source_id'], safe='')}/v{version.get('number')}"
        record = self.writer.create_warc_record(
            meta_uri, "metadata", payload=io.BytesIO(payload), length=len(payload),
            warc_content_type="application/json",
            warc_headers_dict={"WARC-Date": date, "WARC-Refers-To": record_id,
                               "WARC-Concurrent-To": record_id, "WARC-Refers-To-Target-URI": uri,
                               "Claimwatch-Source": row["source_id"],
                               "Claimwatch-Version": str(version.get("number"))})
        self.writer.write_record(record)
        self.report.count("metadata")

    def revisit(self, row: dict[str, Any], base: tuple[str, str], base_uri: str) -> None:
        """A fetch of bytes already in the file, or a 304: a revisit pointing at that response."""
        exchange = load_exchange(row)
        uri, date = _target_uri(row, exchange), warc_date(row["started_at"])
        ext = self._ext_headers(row, exchange)
        record_id, base_date = base
        warc = {"WARC-Date": date, "WARC-Refers-To": record_id, **ext}
        if row["outcome"] == "not_modified":
            headers = _response_headers(row, exchange, b"", with_length=False) if exchange else None
            record = self.writer.create_warc_record(uri, "revisit", http_headers=headers,
                                                    warc_headers_dict=warc)
            record.rec_headers.add_header("WARC-Profile", NOT_MODIFIED_PROFILE)
            record.rec_headers.add_header("WARC-Refers-To-Target-URI", base_uri)
            record.rec_headers.add_header("WARC-Refers-To-Date", base_date)
        else:
            headers = None  # without a recorded exchange, the original response's headers apply
            if exchange is not None:
                headers = _response_headers(row, exchange, b"", with_length=False)
                headers.headers.append(("Content-Length", str(row.get("bytes") or 0)))
            record = self.writer.create_revisit_record(
                uri, payload_digest(row["body_hash"]), base_uri, base_date, http_headers=headers,
                warc_headers_dict=warc)
        self.writer.write_record(record)
        self.report.count("revisit")

    def warcinfo(self, filename: str, sources: list[str], since: str | None, missing: int) -> None:
        info = {
            "software": f"claimwatch/{__version__} (warcio)",
            "format": "WARC File Format 1.1",
            "description": "claimwatch history: every stored fetch of the selected sources; payloads are the "
                           "bodies as stored (after Content-Encoding decoding); X-Claimwatch-Orig-* headers "
                           "keep the framing headers as received",
            "claimwatch-sources": ", ".join(sources),
            "claimwatch-since": since or "",
            "claimwatch-missing": (f"{missing} fetches predate HTTP metadata recording: "
                                   f"{', '.join(MISSING_WITHOUT_EXCHANGE)} reconstructed or absent "
                                   f"(records marked Claimwatch-Missing)") if missing else "",
            "payload-digest": "sha256 of the stored body (base32); the hex form is its snapshots/ key",
        }
        self.writer.write_record(self.writer.create_warcinfo_record(filename, info))
        self.report.count("warcinfo")


def export_warc(db: sqlite_utils.Database, snapshots: SnapshotStore, path: str | Path, *,
                source_ids: list[str] | None = None, since: str | None = None) -> ExportReport:
    """Write the WARC file at ``path`` (atomically: a temp file renamed at the end)."""
    t0 = time.perf_counter()
    path = Path(path)
    sources = check_sources(db, source_ids)
    since_iso = parse_since(since)
    rows = _fetch_rows(db, sources)
    selected = [r for r in rows if since_iso is None or r["started_at"] >= since_iso]
    missing = sum(1 for r in selected if r.get("status_line") is None)
    report = ExportReport(path=path)
    with atomic_output(path, "--warc") as out:
        export = _Export(db, snapshots, out, report)
        export.warcinfo(path.name, sources, since_iso, missing)
        # first fetch with an exchange-or-not that brought each body: the base of revisits
        origin: dict[tuple[str, str], dict[str, Any]] = {}
        last_uri: dict[str, tuple[str, str]] = {}  # source -> (uri, body) of its latest response
        for row in rows:
            exchange = load_exchange(row)
            uri = _target_uri(row, exchange)
            key = (uri, row["body_hash"])
            if row["outcome"] != "not_modified":
                origin.setdefault(key, row)
            if since_iso is not None and row["started_at"] < since_iso:
                if row["outcome"] != "not_modified":
                    last_uri[row["source_id"]] = key
                continue
            report.fetches += 1
            if row["outcome"] == "not_modified":
                base_key = last_uri.get(row["source_id"])
                if base_key is None:  # a 304 with no body fetched before it: nothing to point at
                    base_key = next((k for k in origin if k[1] == row["body_hash"]), None)
                if base_key is None:
                    report.fetches -= 1
                    continue
                if base_key not in export.written:
                    export.response(origin[base_key], base_only=True)
                export.revisit(row, export.written[base_key], base_key[0])
                continue
            last_uri[row["source_id"]] = key
            if key in export.written:
                export.revisit(row, export.written[key], uri)
            else:
                export.response(row)
    report.bytes = path.stat().st_size
    report.seconds = time.perf_counter() - t0
    return report

