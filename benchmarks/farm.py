"""Synthetic page farm: thousands of realistic pages on 127.0.0.1 for the throughput benchmarks.

Why: a pass over 10,000 sources cannot be measured against the real web, and five fixture
pages say nothing about scaling. The farm serves N distinct pages built from the labelled
corpus (``monitor.corpus``): page ``i`` is corpus source ``i % 5`` at some version, wrapped
in one of several site templates (different wrapper classes, header/sidebar sizes) and padded
to a realistic 20–200 KB with the furniture real pages carry — inline CSS, a big JSON state
blob, a product grid, related posts and a comment thread — assembled from pre-built blocks so
serving stays cheap. Nothing here is random junk: the padding is what the extractor must
drop on real sites.

Between passes ``Farm.change(fraction, mode)`` edits a fraction of the pages:

- ``template``: page furniture only (a nonce, counters, sidebar prices, related-post order) —
  the main text is unchanged, so the monitor must answer "unchanged";
- ``claims``: the page moves to the corpus's next *material* version (a dose edit, a legal
  status flip…), so there is a real claim change to detect.

The server is a small asyncio HTTP/1.1 server (keep-alive, ETag / ``If-None-Match`` → 304,
an added per-response latency done with ``asyncio.sleep`` so it never blocks). It runs in a
background thread: ``with serve_farm(farm, latency_ms=50) as base_url: ...``.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from monitor.corpus import CorpusSource, load_corpus

MODES = ("template", "claims")
_WORDS = ("peptide", "nasal spray", "capsules", "nootropic", "focus blend", "sleep stack", "travel kit",
          "starter pack", "research grade", "lab tested", "vegan", "sugar free", "refill", "bundle")
_NAMES = ("Alex", "Maria", "Jon", "Priya", "Tomasz", "Chen", "Olga", "Sam", "Fatima", "Luis", "Ines", "Kofi")
_COMMENTS = (
    "Thanks for writing this up, it answered most of my questions about shipping times.",
    "Does anyone know whether the spray needs to stay in the fridge after opening?",
    "I ordered last month and the parcel arrived in four days, well packed.",
    "Great overview. Would love a follow-up comparing the different brands on the market.",
    "The checkout page kept timing out for me yesterday, worked fine this morning.",
    "Bookmarked. The table near the top is really handy.",
    "Is there a discount for ordering three bottles at once?",
    "My pharmacist had never heard of it, which surprised me.",
    "Please add a section on storage and travel, that is what I always forget.",
    "Clear and readable, thank you. Shared it with my study group.",
)
_TEMPLATES = 8  # distinct site wrappers


@dataclass
class FarmPage:
    index: int
    source: CorpusSource
    version: int  # 0-based index into source.versions
    churn: int = 0  # bumped by template changes
    generation: int = 0  # bumped by every change (ETag)
    size: int = 0  # padding target in bytes


@dataclass
class Farm:
    """N pages and their current state; ``render``/``etag`` are pure given that state."""

    n: int
    seed: int = 1
    pages: list[FarmPage] = field(default_factory=list)
    sources: list[CorpusSource] = field(default_factory=list)
    blocks: dict[str, list[str]] = field(default_factory=dict)
    _cache: dict[tuple[int, int], bytes] = field(default_factory=dict, repr=False)
    send_etag: bool = True  # False: no ETag header, never a 304 (switchable between passes)

    def __post_init__(self) -> None:
        self.sources = load_corpus()
        rng = random.Random(self.seed)
        self.blocks = _build_blocks(rng)
        for i in range(self.n):
            src = self.sources[i % len(self.sources)]
            # start at an early version so later material versions exist to move to
            start = rng.randrange(0, max(1, len(src.versions) // 3))
            size = int(20_000 * (10 ** rng.uniform(0, 1)))  # log-uniform 20–200 KB of furniture
            self.pages.append(FarmPage(i, src, start, size=size))

    def path(self, i: int) -> str:
        return f"/p/{i}{self.pages[i].source.url_path}"

    def etag(self, i: int) -> str:
        p = self.pages[i]
        return f'"p{i}-g{p.generation}"'

    def render(self, i: int) -> bytes:
        p = self.pages[i]
        html = p.source.versions[p.version].html
        return _decorate(html, p, self.blocks).encode("utf-8")

    def rendered(self, i: int) -> bytes:
        """``render`` cached per page generation: the farm shares the cores with the tools under
        test, so it should cost as little as possible and the same for every tool."""
        key = (i, self.pages[i].generation)
        body = self._cache.get(key)
        if body is None:
            body = self._cache[key] = self.render(i)
        return body

    def change(self, fraction: float, mode: str, seed: int = 0) -> list[int]:
        """Change ``round(fraction * n)`` pages (chosen deterministically); returns their indexes.

        In ``claims`` mode a page with no later material version gets template churn instead
        and is left out of the returned list (it has no claim change).
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        rng = random.Random(self.seed * 7919 + seed)
        chosen = sorted(rng.sample(range(self.n), round(fraction * self.n)))
        claim_changed = []
        for i in chosen:
            p = self.pages[i]
            p.generation += 1
            p.churn += 1
            if mode == "claims":
                nxt = next_material(p.source, p.version)
                if nxt is not None:
                    p.version = nxt
                    claim_changed.append(i)
        return claim_changed if mode == "claims" else chosen


def next_material(source: CorpusSource, version: int) -> int | None:
    """Index of the next version after ``version`` whose transition is labelled material."""
    for j in range(version + 1, len(source.versions)):
        if source.versions[j].label == "material":
            return j
    return None


def _build_blocks(rng: random.Random) -> dict[str, list[str]]:
    """Pre-built furniture blocks (products, comments, related posts, CSS, JSON state)."""
    products = []
    for k in range(48):
        name = f"{rng.choice(_WORDS).title()} {rng.choice(_WORDS)} {k + 1}"
        products.append(
            f'<li class="product type-product instock"><a href="/shop/item-{k}/" class="woocommerce-loop-product__link">'
            f'<img src="/img/p{k}.webp" width="300" height="300" alt="{name}" loading="lazy">'
            f'<h2 class="woocommerce-loop-product__title">{name}</h2><span class="price">'
            f'<span class="amount"><bdi>${{price{k % 6}}}</bdi></span></span></a>'
            f'<a href="?add-to-cart={k}" data-quantity="1" class="button add_to_cart_button" '
            f'data-product_id="{k}" aria-label="Add {name} to your cart" rel="nofollow">Add to cart</a></li>\n')
    comments = []
    for k in range(64):
        who, text = rng.choice(_NAMES), rng.choice(_COMMENTS)
        comments.append(
            f'<li id="comment-{k}" class="comment even thread-even depth-1"><article class="comment-body">'
            f'<footer class="comment-meta"><div class="comment-author vcard"><b class="fn">{who}</b></div>'
            f'<div class="comment-metadata"><time datetime="2024-0{k % 9 + 1}-1{k % 9}T10:{k % 60:02d}:00">'
            f'{k % 28 + 1} days ago</time></div></footer><div class="comment-content"><p>{text}</p></div>'
            f'<div class="reply"><a rel="nofollow" class="comment-reply-link" href="#comment-{k}">Reply</a>'
            f'</div></article></li>\n')
    related = [
        f'<li class="related-post"><a href="/blog/post-{k}/"><img src="/img/r{k}.jpg" alt="" loading="lazy">'
        f'<span class="related-title">{rng.choice(_WORDS).title()} guide part {k}</span></a>'
        f'<span class="related-meta">{{views{k % 4}}} reads</span></li>\n' for k in range(24)]
    css = [f".c{k}{{margin:{k % 7}px {k % 5}px;padding:{k % 3}em;color:#{rng.randrange(0x1000000):06x};"
           f"font:{12 + k % 6}px/1.{k % 9} system-ui}}\n" for k in range(400)]
    state = ['{"id":%d,"sku":"SX-%05d","stock":%d,"rating":%.1f,"tags":["%s","%s"]},'
             % (k, rng.randrange(99999), rng.randrange(200), rng.uniform(3, 5), rng.choice(_WORDS),
                rng.choice(_WORDS)) for k in range(600)]
    return {"products": products, "comments": comments, "related": related, "css": css, "state": state}


def _fill(blocks: list[str], budget: int, start: int) -> tuple[str, int]:
    out, used, k = [], 0, start
    while used < budget and k - start < 20 * len(blocks):
        b = blocks[k % len(blocks)]
        out.append(b)
        used += len(b)
        k += 1
    return "".join(out), used


def _decorate(html: str, p: FarmPage, blocks: dict[str, list[str]]) -> str:
    """Wrap a corpus page in template ``p.index % _TEMPLATES`` with ~p.size bytes of furniture."""
    t = p.index % _TEMPLATES
    nonce = hashlib.blake2s(f"{p.index}:{p.churn}".encode(), digest_size=9).hexdigest()
    budget = p.size
    share = (budget // 10, budget // 4, budget // 4, budget // 5)  # css, state, products, comments
    css, _ = _fill(blocks["css"], share[0], p.index)
    state, _ = _fill(blocks["state"], share[1], p.index * 3)
    products, _ = _fill(blocks["products"], share[2], p.index + p.churn)
    comments, _ = _fill(blocks["comments"], share[3], p.index * 5)
    prices = {f"price{k}": f"{19 + (p.index + k * 7 + p.churn * 3) % 60}.99" for k in range(6)}
    views = {f"views{k}": str(1000 + (p.index * 37 + k * 11 + p.churn * 13) % 9000) for k in range(4)}
    rel_start = (p.index + p.churn) % len(blocks["related"])
    related = "".join(blocks["related"][(rel_start + k) % len(blocks["related"])] for k in range(8 + t))
    products = products.format(**prices)
    related = related.format(**views)
    head = (f'<style id="theme-inline-css">{css}</style>\n'
            f'<script nonce="{nonce}" id="__APP_STATE__" type="application/json">{{"products":[{state}{{}}],'
            f'"build":"{nonce}"}}</script>\n')
    top = (f'<div class="site-wrap tpl-{t} layout-{"wide" if t % 2 else "boxed"}" data-build="{nonce}">\n'
           f'<div class="promo-strip">Spring sale: {prices["price0"]} bundles this week</div>\n')
    bottom = (f'<section class="related-products products columns-{3 + t % 3}"><h2>You may also like</h2>'
              f'<ul class="products">{products}</ul></section>\n'
              f'<aside class="related-posts"><h3>Related reading</h3><ul>{related}</ul></aside>\n'
              f'<section id="comments" class="comments-area"><h2 class="comments-title">'
              f'{views["views0"]} thoughts on this post</h2><ol class="comment-list">{comments}</ol></section>\n'
              f'</div>\n<script nonce="{nonce}">window.__cw={{t:{t},n:"{nonce}"}};</script>\n')
    html = html.replace("</head>", head + "</head>", 1)
    html = _after_tag(html, "<body", top)
    return html.replace("</body>", bottom + "</body>", 1)


def _after_tag(html: str, tag: str, insert: str) -> str:
    at = html.find(tag)
    if at < 0:
        return insert + html
    end = html.find(">", at) + 1
    return html[:end] + "\n" + insert + html[end:]


# ------------------------------------------------------------------ HTTP server


async def _handle(farm: Farm, latency: float, stats: dict[str, int],
                  reader: asyncio.StreamReader, writer: asyncio.StreamWriter, etag: bool = True) -> None:
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = (lines[0].split(" ") + ["", ""])[:3]
            headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
            if latency:
                await asyncio.sleep(latency)
            status, body, extra = _respond(farm, method, target, headers, stats, etag)
            close = headers.get("connection", "").lower() == "close"
            hdr = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *extra,
                   "Connection: close" if close else "Connection: keep-alive"]
            writer.write(("\r\n".join(hdr) + "\r\n\r\n").encode() + body)
            await writer.drain()
            if close:
                return
    finally:
        writer.close()


def _respond(farm: Farm, method: str, target: str, headers: dict[str, str],
             stats: dict[str, int], send_etag: bool = True) -> tuple[str, bytes, list[str]]:
    parts = target.split("/")
    if method not in ("GET", "HEAD") or len(parts) < 3 or parts[1] != "p" or not parts[2].isdigit() \
            or int(parts[2]) >= farm.n:
        stats["404"] = stats.get("404", 0) + 1
        return "404 Not Found", b"not found", ["Content-Type: text/plain"]
    i = int(parts[2])
    etag = farm.etag(i)
    send_etag = send_etag and farm.send_etag
    if send_etag and headers.get("if-none-match") == etag:
        stats["304"] = stats.get("304", 0) + 1
        return "304 Not Modified", b"", [f"ETag: {etag}"]
    body = farm.rendered(i)
    stats["200"] = stats.get("200", 0) + 1
    stats["bytes"] = stats.get("bytes", 0) + len(body)
    return "200 OK", body if method == "GET" else b"", [
        "Content-Type: text/html; charset=utf-8", *([f"ETag: {etag}"] if send_etag else []),
        "Cache-Control: max-age=0"]


@contextmanager
def serve_farm(farm: Farm, latency_ms: float = 0.0, host: str = "127.0.0.1",
               etag: bool = True) -> Iterator[tuple[str, dict[str, int]]]:
    """Serve ``farm`` in a background thread; yields (base URL, live response counters).

    ``etag=False``: no ETag header and never a 304 (an unchanged page is re-sent whole), the
    case of most real sites and the one where only body hashing helps."""
    loop = asyncio.new_event_loop()
    stats: dict[str, int] = {}
    ready = threading.Event()
    holder: dict[str, asyncio.base_events.Server] = {}

    async def start() -> None:
        holder["server"] = await asyncio.start_server(
            lambda r, w: _handle(farm, latency_ms / 1000, stats, r, w, etag), host, 0, backlog=4096)
        ready.set()

    def run() -> None:
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=run, name="farm", daemon=True)
    thread.start()
    if not ready.wait(30):
        raise RuntimeError("farm server did not start")
    port = holder["server"].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{port}", stats
    finally:
        async def stop() -> None:
            holder["server"].close()
            await holder["server"].wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


if __name__ == "__main__":  # quick look: python benchmarks/farm.py 20
    import sys
    import time

    f = Farm(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
    sizes = [len(f.render(i)) for i in range(f.n)]
    print(f"{f.n} pages, {min(sizes) // 1024}–{max(sizes) // 1024} KB, mean {sum(sizes) // len(sizes) // 1024} KB")
    with serve_farm(f) as (url, stats):
        print("serving", url + f.path(0), "(Ctrl-C to stop)")
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
