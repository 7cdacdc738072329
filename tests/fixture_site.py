"""A scriptable fixture site on 127.0.0.1 for pipeline tests: pages can be edited between checks.

Built on ``http.server`` in a thread (a real server, real sockets). Pages are realistic
HTML around short claim sentences: a menu, a cookie banner, a sidebar with prices, an
"updated" date, a view counter and an inline script with a nonce, so that tests can churn the
template without touching the claims.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Page:
    body: str
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    etag: str | None = None
    delay: float = 0.0


@dataclass
class SiteState:
    pages: dict[str, Page] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802
        state = self.server.state
        with state.lock:
            state.hits[self.path] = state.hits.get(self.path, 0) + 1
            page = state.pages.get(self.path)
        if page is None:
            self._send(404, b"not found", "text/plain")
            return
        if page.delay:
            time.sleep(page.delay)
        if page.etag and self.headers.get("If-None-Match") == page.etag:
            self.send_response(304)
            self.send_header("ETag", page.etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._send(page.status, page.body.encode("utf-8"), page.content_type, page.etag)

    def _send(self, status: int, body: bytes, ctype: str, etag: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if etag:
            self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: SiteState


class FixtureSite:
    """``with FixtureSite() as site: site.set('/a', html); site.url('/a')``."""

    def __init__(self) -> None:
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.state = SiteState()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FixtureSite":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def state(self) -> SiteState:
        return self.server.state

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def set(self, path: str, body: str, **kw: object) -> None:
        with self.state.lock:
            self.state.pages[path] = Page(body=body, **kw)  # type: ignore[arg-type]

    def hits(self, path: str) -> int:
        with self.state.lock:
            return self.state.hits.get(path, 0)


def page(article: str, *, updated: str = "March 3, 2026", views: int = 1204, nonce: str = "a1b2c3",
         price: str = "$39.99", menu_extra: str = "") -> str:
    """A realistic page template around ``article`` (HTML of the main content)."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Semax — Nootropics Depot Blog</title>
<script nonce="{nonce}">window.__cfg = {{"nonce": "{nonce}", "ab": "b"}};</script>
<style>.x{{color:red}}</style></head>
<body>
<header class="site-header"><nav class="menu"><a href="/">Home</a> <a href="/shop">Shop</a>
<a href="/blog">Blog</a> {menu_extra}</nav></header>
<div class="cookie-banner" role="dialog">We use cookies to improve your experience. <button>Accept</button></div>
<main>
<article class="post">
<h1>Semax: what it is and how it is used</h1>
<p class="post-meta">Updated: {updated} · {views:,} views</p>
{article}
</article>
</main>
<aside class="sidebar"><h3>Popular products</h3><ul><li>Selank 5 mg — {price}</li>
<li>Noopept 30 caps — $19.99</li></ul></aside>
<footer class="footer">© 2026 Example Nootropics · <a href="/privacy">Privacy</a></footer>
<script>document.querySelectorAll('.cookie-banner button').forEach(b => b.onclick = () => 1);</script>
</body></html>"""


BASE_ARTICLE = """<p>Semax is a synthetic peptide first developed in Russia in the 1980s as a treatment for stroke
patients. It is now sold online as a nootropic.</p>
<h2>Dosage</h2>
<p>The recommended dosages for semax range from 300mcg to 600mcg per day.</p>
<p>For nasal drops, 2-3 drops into each nostril, 2-3 times a day is typical.</p>
<h2>Legal status</h2>
<p>Semax is not approved by the FDA for any medical use in the United States.</p>
<h2>Evidence</h2>
<p>Most of the research comes from animal studies carried out in Russia; large independent human trials are lacking.</p>
<h2>Side effects</h2>
<p>Reports do not list any serious side effects, although mild nasal irritation has been described.</p>
"""


def write_config(path: Path, sources: list[dict[str, object]], extra: str = "") -> Path:
    lines = ["sources:"]
    for s in sources:
        lines.append(f"  - id: {s['id']}")
        for k, v in s.items():
            if k == "id":
                continue
            if isinstance(v, bool):
                v = "true" if v else "false"
            lines.append(f"    {k}: {v}")
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path
