"""Shared helpers for the alert tests: real receivers on 127.0.0.1 and DB/config builders.

- :class:`Receiver` — an HTTP server in a thread that records every POST (path, headers, JSON),
  can answer with a chosen status, or stall the first request until released (to kill a
  delivering process mid-send).
- :class:`SMTPSink` — an aiosmtpd server collecting the mails it is sent.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

import polling
from monitor.config import Config, load_config
from monitor.models import Change, Claim
from monitor.store import insert_changes, open_db, transaction, upsert_source


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    return polling.wait_for(predicate, timeout, what, interval=0.01)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw: bytes = b""  # the exact bytes, for signature checks


@dataclass
class Receiver:
    """A json:// endpoint. ``status`` is the reply code; ``stall_first`` holds request 1 until ``release``."""

    port: int = field(default_factory=free_port)
    status: int = 200
    stall_first: bool = False
    requests: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    reply_headers: dict[str, str] = field(default_factory=dict)
    reply_body: bytes = b""
    _server: ThreadingHTTPServer | None = None

    def start(self) -> "Receiver":
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:  # form posts and the like: keep the bytes only
                    body = {}
                owner.requests.append(Received(self.path, dict(self.headers.items()), body, raw))
                if owner.stall_first and len(owner.requests) == 1:
                    owner.release.wait(30)
                try:
                    self.send_response(owner.status)
                    for name, value in owner.reply_headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(owner.reply_body)))
                    self.end_headers()
                    self.wfile.write(owner.reply_body)
                except OSError:
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def url(self, path: str = "/hook") -> str:
        return f"json://127.0.0.1:{self.port}{path}"

    def http(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def keys(self) -> list[str]:
        return [r.body.get("idempotency_key") for r in self.requests]


class SMTPSink:
    """aiosmtpd on 127.0.0.1; ``messages`` holds parsed ``email.message.EmailMessage`` objects."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[email.message.EmailMessage] = []
        self.port = free_port()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                sink.messages.append(email.message_from_bytes(envelope.original_content or envelope.content,
                                                              policy=email.policy.default))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "SMTPSink":
        self.controller.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.controller.stop()

    def url(self) -> str:
        return (f"mailto://127.0.0.1:{self.port}?to=ops@example.com&from=claimwatch@example.com"
                "&mode=insecure")


SOURCES_YAML = """\
sources:
  - id: semax-wiki
    name: Semax wiki page
    url: https://semax.example.org/wiki
  - id: shop
    name: Peptide shop
    url: https://shop.example.org/semax
{source_extra}
alerts:{channels}
settings:
  base_url: https://data.example.org
"""


def write_config(tmp_path: Path, channels: list[dict[str, Any]], source_extra: str = "") -> Config:
    lines = []
    for ch in channels:
        lines.append(f"  - name: {ch['name']}")
        for key, value in ch.items():
            if key != "name":
                lines.append(f"    {key}: {json.dumps(value)}")
    path = tmp_path / "sources.yaml"
    text = SOURCES_YAML.format(channels="".join("\n" + line for line in lines) or " []", source_extra=source_extra)
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def dosage_change(old: str = "The usual intranasal dose is 0.3–0.6 mg per dose.",
                  new: str = "The usual intranasal dose is 0.2–0.9 mg per dose.",
                  summary: str = "dosage (intranasal): 0.3–0.6 mg → 0.2–0.9 mg per dose",
                  severity: str = "high", key: str = "dosage:intranasal:dose") -> Change:
    return Change(category="dosage", kind="changed", key=key, severity=severity, summary=summary,
                  old=Claim("dosage", key, old, {"min_mg": 0.3, "max_mg": 0.6}),
                  new=Claim("dosage", key, new, {"min_mg": 0.2, "max_mg": 0.9}))


def legality_change(severity: str = "high") -> Change:
    key = "legality:fda"
    return Change(category="legality", kind="changed", key=key, severity=severity,
                  summary="legality (FDA): not approved → approved",
                  old=Claim("legality", key, "Semax is not approved by the FDA.", {"status": "not_approved"}),
                  new=Claim("legality", key, "Semax is now FDA approved.", {"status": "approved"}))


def make_db(tmp_path: Path, config: Config):
    db = open_db(tmp_path / "history.db")
    for src in config.sources:
        upsert_source(db, src.id, src.url or "", src.name, src.settings_json())
    return db


def add_changes(db, config: Config, source_id: str, changes: list[Change], status: str = "active",
                version: int = 2) -> list[int]:
    """Insert changes and queue their alerts in one transaction, the way the pipeline does."""
    from monitor.alerts import enqueue_changes

    source = config.source(source_id)
    with transaction(db):
        ids = insert_changes(db, source_id, version - 1, version, changes, status=status)
        enqueue_changes(db, config, source, ids)
    return ids


def alert_rows(db, **where: Any) -> list[dict[str, Any]]:
    clause = " AND ".join(f"{k} = ?" for k in where) or "1"
    return list(db.query(f"SELECT * FROM alerts WHERE {clause} ORDER BY id", list(where.values())))
