"""Two tiny local servers for ``monitor demo``: a page replay server and a webhook receiver.

Why real servers: the demo must exercise the same code a user runs — the real fetcher (httpx,
private-address policy, conditional requests), the real Apprise ``json://`` delivery — so the
corpus pages are *served* over HTTP on 127.0.0.1 and the alerts are *received* over HTTP, not
handed around in memory.

Both are :class:`http.server.ThreadingHTTPServer` instances in a daemon thread, bound to a
random free port on 127.0.0.1 (never another interface), and both are context managers.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LOOPBACK = "127.0.0.1"
MAX_BODY = 1024 * 1024


class _QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # the demo prints its own story
        pass

    def reply(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Background:
    """Runs a server in a daemon thread; ``url(path)`` builds addresses on it."""

    handler: type[BaseHTTPRequestHandler]

    def __init__(self) -> None:
        self.server = _Server((LOOPBACK, 0), self.handler)
        self.server.owner = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                       name=type(self).__name__)
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str = "/") -> str:
        return f"http://{LOOPBACK}:{self.port}{path}"

    def start(self) -> "_Background":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> "_Background":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ------------------------------------------------------------------ replay server


class _ReplayHandler(_QuietHandler):
    def do_GET(self) -> None:  # noqa: N802
        owner: ReplayServer = self.server.owner  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0]
        if path == "/robots.txt":
            self.reply(200, b"User-agent: *\nAllow: /\n", "text/plain; charset=utf-8")
            return
        page = owner.page(path)
        if page is None:
            self.reply(404, b"not found", "text/plain; charset=utf-8")
            return
        self.reply(200, page.encode("utf-8"), "text/html; charset=utf-8")

    do_HEAD = do_GET  # noqa: N815


class ReplayServer(_Background):
    """Serves one HTML page per path; ``set(path, html)`` moves a page to another version."""

    handler = _ReplayHandler

    def __init__(self) -> None:
        super().__init__()
        self._pages: dict[str, str] = {}
        self.hits: dict[str, int] = {}

    def set(self, path: str, html: str) -> None:
        with self.lock:
            self._pages[path] = html

    def page(self, path: str) -> str | None:
        with self.lock:
            if path in self._pages:
                self.hits[path] = self.hits.get(path, 0) + 1
            return self._pages.get(path)


# ------------------------------------------------------------------ webhook receiver


@dataclass(frozen=True)
class Payload:
    """One POST received: its path, the idempotency header and the decoded JSON body."""

    path: str
    key: str | None
    body: dict[str, Any]

    @property
    def alert_ids(self) -> tuple[int, ...]:
        """Outbox ids named in ``alert_keys`` (``claimwatch-alert-<id>``, comma separated)."""
        raw = str(self.body.get("alert_keys") or self.body.get("idempotency_key") or self.key or "")
        ids = []
        for part in raw.split(","):
            tail = part.strip().rsplit("-", 1)[-1]
            if part.strip().startswith("claimwatch-alert-") and tail.isdigit():
                ids.append(int(tail))
        return tuple(ids)


class _WebhookHandler(_QuietHandler):
    def do_POST(self) -> None:  # noqa: N802
        owner: WebhookReceiver = self.server.owner  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.reply(413, b"too large", "text/plain; charset=utf-8")
            return
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw.decode("utf-8") or "{}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            self.reply(400, b"expected JSON", "text/plain; charset=utf-8")
            return
        owner.record(Payload(self.path, self.headers.get("X-Claimwatch-Idempotency-Key"),
                             body if isinstance(body, dict) else {"value": body}))
        self.reply(200, b'{"ok": true}', "application/json")


class WebhookReceiver(_Background):
    """Records every JSON body POSTed to it (recorded before the 200 reply is sent)."""

    handler = _WebhookHandler

    def __init__(self) -> None:
        super().__init__()
        self._payloads: list[Payload] = []

    def record(self, payload: Payload) -> None:
        with self.lock:
            self._payloads.append(payload)

    @property
    def payloads(self) -> list[Payload]:
        with self.lock:
            return list(self._payloads)
