"""Fetcher behaviour against real HTTP servers on 127.0.0.1 (no mocks of httpx)."""

from __future__ import annotations

import asyncio
import gzip
import socket
import threading
import tracemalloc
import zlib
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fetch_server import Handler, Reply, RoutedNetwork, TestServer, wait_for
from monitor.errors import (BlockedURLError, BodyTooLarge, FetchTimeout, HTTPStatusError,
                            NetworkError, RobotsDisallowed, UnsupportedContent)
from monitor.fetch.client import DEFAULT_USER_AGENT, Fetcher, fetch_sync
from monitor.fetch.content import ContentDecoder, decode_text
from monitor.fetch.options import FetchOptions
from monitor.fetch.policy import address_refusal, retry_after_seconds
from monitor.models import FetchResult

HTML = b"<!doctype html><html><head><title>t</title></head><body><p>Semax 600 mcg</p></body></html>"
LOCAL = FetchOptions(allow_private=True, timeout=5.0, connect_timeout=2.0, retries=2)
PUBLIC_IP = "93.184.216.34"


def html(body: bytes = HTML, *extra: tuple[str, str], ctype: str = "text/html; charset=utf-8") -> Reply:
    return Reply(200, body, (("Content-Type", ctype), *extra))


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status, b"", (("Location", location),))


@pytest.fixture
def serve() -> Iterator:
    servers: list[TestServer] = []

    def start(routes: dict | None = None) -> TestServer:
        servers.append(TestServer(routes).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def fetch(url: str, options: FetchOptions = LOCAL, conditional: dict | None = None,
          **fetcher_kw: object) -> FetchResult:
    async def run() -> FetchResult:
        async with Fetcher(backoff_base=0.01, **fetcher_kw) as fetcher:  # type: ignore[arg-type]
            return await fetcher.fetch(url, options, conditional)

    return asyncio.run(run())


def public_dns(*names: str):
    """Resolver where ``names`` are a public address (use with ``public_net()``)."""
    def resolve(host: str, port: int) -> list[str]:
        if host not in names:
            raise OSError(f"unknown test host {host}")
        return [PUBLIC_IP]
    return resolve


def public_net() -> RoutedNetwork:
    """The network where PUBLIC_IP is served by the local test servers."""
    return RoutedNetwork({PUBLIC_IP: "127.0.0.1"})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- basics

def test_plain_html_page(serve) -> None:
    srv = serve({"/page": html(HTML, ("ETag", '"v1"'), ("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT"))})
    result = fetch(srv.url("/page"))
    assert result.status_code == 200 and not result.not_modified
    assert result.body == HTML and "Semax 600 mcg" in result.text
    assert (result.content_type, result.charset) == ("text/html", "utf-8")
    assert result.headers["etag"] == '"v1"' and "2024" in result.headers["last-modified"]
    assert result.redirects == [] and result.final_url == result.url == srv.url("/page")
    page_request = srv.stats.requests[-1]
    assert page_request.headers["user-agent"] == DEFAULT_USER_AGENT
    assert DEFAULT_USER_AGENT.startswith("claimwatch/")
    assert "br" not in page_request.headers["accept-encoding"]


def test_conditional_get_304(serve) -> None:
    def conditional(req: Handler) -> None:
        if req.headers.get("If-None-Match") == '"v1"':
            req.reply(Reply(304, b"", (("ETag", '"v1"'),)))
        else:
            req.reply(html(HTML, ("ETag", '"v1"')))

    srv = serve({"/": conditional})
    result = fetch(srv.url(), conditional={"If-None-Match": '"v1"',
                                           "If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"})
    assert result.not_modified and result.status_code == 304
    assert result.body == b"" and result.text == ""
    assert result.headers["etag"] == '"v1"'
    seen = srv.stats.requests[-1].headers
    assert seen["if-none-match"] == '"v1"' and "2024" in seen["if-modified-since"]


def test_extra_headers_sent_but_not_encoding_override(serve) -> None:
    srv = serve({"/": html()})
    options = FetchOptions(allow_private=True, headers={"X-Token": "abc", "Accept-Encoding": "br"})
    fetch(srv.url(), options)
    seen = srv.stats.requests[-1].headers
    assert seen["x-token"] == "abc" and seen["accept-encoding"] == "gzip, deflate"


def test_fetch_sync_one_off(serve) -> None:
    srv = serve({"/": html()})
    assert "Semax" in fetch_sync(srv.url(), LOCAL).text


# ---------------------------------------------------------------- retries and errors

def test_500_twice_then_200_succeeds(serve) -> None:
    srv = serve({"/": [Reply(500, b"oops"), Reply(503, b"busy"), html()]})
    result = fetch(srv.url(), FetchOptions(allow_private=True, retries=3, respect_robots=False))
    assert result.status_code == 200 and srv.paths() == ["/", "/", "/"]


def test_5xx_gives_up_after_retries(serve) -> None:
    srv = serve({"/": Reply(502, b"bad gateway")})
    with pytest.raises(HTTPStatusError) as info:
        fetch(srv.url(), FetchOptions(allow_private=True, retries=2, respect_robots=False))
    assert info.value.status_code == 502 and "3 attempts" in str(info.value)
    assert srv.url() in str(info.value) and srv.paths() == ["/"] * 3


def test_429_retry_after_is_honoured(serve) -> None:
    srv = serve({"/": [Reply(429, b"slow down", (("Retry-After", "1"),)), html()]})
    result = fetch(srv.url(), FetchOptions(allow_private=True, respect_robots=False))
    assert result.status_code == 200
    first, second = srv.stats.requests
    assert second.at - first.at >= 0.9  # waited at least Retry-After, not backoff_base


def test_404_is_not_retried(serve) -> None:
    srv = serve({"/gone": Reply(404, b"no")})
    with pytest.raises(HTTPStatusError) as info:
        fetch(srv.url("/gone"), FetchOptions(allow_private=True, retries=3, respect_robots=False))
    assert info.value.status_code == 404 and srv.paths() == ["/gone"]


def test_retry_after_parsing() -> None:
    assert retry_after_seconds("5") == 5.0
    assert retry_after_seconds("3600") == 60.0  # capped
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
    from datetime import datetime, timezone
    now = datetime(2024, 1, 1, 0, 0, 0, tzinfo=timezone.utc)
    assert retry_after_seconds("Mon, 01 Jan 2024 00:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Sun, 31 Dec 2023 00:00:00 GMT", now) == 0.0


def test_stalled_server_times_out(serve) -> None:
    srv = serve({"/slow": lambda req: req.stopping.wait(10)})
    with pytest.raises(FetchTimeout) as info:
        fetch(srv.url("/slow"), FetchOptions(allow_private=True, timeout=0.3, retries=0,
                                             respect_robots=False))
    assert srv.url("/slow") in str(info.value)


def test_dripping_server_hits_total_timeout(serve) -> None:
    def drip(req: Handler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "text/html")
        req.send_header("Content-Length", "100000")
        req.end_headers()
        while not req.stopping.wait(0.05):  # each read succeeds, the whole never ends
            req.send_counted(b"<p>x</p>")

    srv = serve({"/drip": drip})
    with pytest.raises(FetchTimeout, match="within 0.6 s"):
        fetch(srv.url("/drip"), FetchOptions(allow_private=True, timeout=0.6, retries=0,
                                             respect_robots=False))


def test_deadline_bounds_the_whole_fetch_across_retries(serve) -> None:
    """Ten retries of a 0.4 s timeout would take 4.4 s; the 1 s deadline stops after three tries."""
    srv = serve({"/slow": lambda req: req.stopping.wait(10)})
    options = FetchOptions(allow_private=True, timeout=0.4, retries=10, deadline=1.0)
    with pytest.raises(FetchTimeout, match="deadline") as info:
        fetch(srv.url("/slow"), options)
    assert srv.url("/slow") in str(info.value)
    assert 1 <= srv.paths().count("/slow") <= 3 and srv.paths().count("/robots.txt") <= 1


def test_deadline_is_configurable_per_source(tmp_path) -> None:
    from monitor.config import parse_config

    cfg = parse_config("sources:\n  - id: a\n    url: https://example.org/\n    deadline: 15\n")
    assert cfg.sources[0].fetch_options().deadline == 15.0
    assert FetchOptions().deadline <= 60
    with pytest.raises(ValueError):
        FetchOptions(deadline=0)


def test_connection_refused_is_network_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    with pytest.raises(NetworkError) as info:
        fetch(url, FetchOptions(allow_private=True, retries=1))
    assert url in str(info.value)


# ---------------------------------------------------------------- redirects and address policy

def test_redirect_chain_is_recorded(serve) -> None:
    srv = serve({})
    srv.routes.update({"/a": redirect("/b", 301), "/b": redirect(srv.url("/c"), 307),
                       "/c": redirect("d", 308), "/d": html()})
    result = fetch(srv.url("/a"))
    assert result.redirects == [srv.url("/b"), srv.url("/c"), srv.url("/d")]
    assert result.final_url == srv.url("/d") and result.url == srv.url("/a")
    assert "Semax" in result.text


def test_redirect_loop_stops(serve) -> None:
    srv = serve({"/loop": redirect("/loop")})
    with pytest.raises(HTTPStatusError, match="more than 10 redirects"):
        fetch(srv.url("/loop"))
    assert srv.paths().count("/loop") == 11


@pytest.mark.parametrize("location", ["http://0177.0.0.1/", "http://[::1"])
def test_invalid_location_is_a_refused_redirect_not_retried(serve, location: str) -> None:
    srv = serve({"/": redirect(location)})
    with pytest.raises(BlockedURLError, match="refused redirect to invalid Location"):
        fetch(srv.url(), FetchOptions(allow_private=True, retries=3, respect_robots=False))
    assert srv.paths() == ["/"]


def test_redirect_to_file_scheme_refused(serve) -> None:
    srv = serve({"/": redirect("file:///etc/passwd")})
    with pytest.raises(BlockedURLError, match="scheme 'file'"):
        fetch(srv.url())


def test_loopback_source_needs_allow_private(serve) -> None:
    srv = serve({"/": html()})
    with pytest.raises(BlockedURLError, match="loopback address 127.0.0.1"):
        fetch(srv.url(), FetchOptions())
    assert srv.paths() == []  # not even robots.txt


@pytest.mark.parametrize("target", ["http://localhost:{other}/x", "http://127.0.0.1:{other}/x",
                                    "http://127.0.0.2:{port}/x", "http://169.254.169.254/latest/meta-data/",
                                    "http://[::1]:{port}/x", "http://10.0.0.5/"])
def test_allow_private_covers_only_the_configured_host(serve, target: str) -> None:
    other = serve({"/x": html()})
    srv = serve({})
    srv.routes["/"] = redirect(target.format(other=other.port, port=srv.port))
    # a short connect timeout: were a connection attempted to 169.254.169.254 or 10.0.0.5
    # the error would be a timeout/network error, not BlockedURLError
    options = FetchOptions(allow_private=True, connect_timeout=0.5, timeout=1, retries=0)
    with pytest.raises(BlockedURLError, match="address"):
        fetch(srv.url(), options)
    assert other.paths() == [] and "/x" not in srv.paths()


def test_public_host_redirecting_to_loopback_is_refused(serve) -> None:
    srv = serve({"/start": redirect("/next"), "/secret": html()})
    srv.routes["/next"] = redirect(srv.url("/secret"))  # same server, but named by its IP
    with pytest.raises(BlockedURLError, match="allow_private is not set"):
        fetch(srv.url("/start", host="localhost"), FetchOptions(), resolver=public_dns("localhost"),
              network=public_net())
    assert srv.paths()[-2:] == ["/start", "/next"] and "/secret" not in srv.paths()


def test_credentials_not_forwarded_to_another_host(serve) -> None:
    target = serve({"/": html()})
    srv = serve({"/": redirect(target.url("/", host="localhost"))})
    options = FetchOptions(headers={"Authorization": "Bearer s3cret", "X-Extra": "1"})
    fetch(srv.url("/", host="localhost"), options, resolver=public_dns("localhost"), network=public_net())
    first = [s for s in srv.stats.requests if s.path == "/"][0].headers
    landed = [s for s in target.stats.requests if s.path == "/"][0].headers
    assert first["authorization"] == "Bearer s3cret"
    assert "authorization" not in landed and landed["x-extra"] == "1"


def test_address_policy_checks_every_address() -> None:
    assert address_refusal("a.test", [PUBLIC_IP], allow_private=False, is_origin=True) is None
    mixed = address_refusal("a.test", [PUBLIC_IP, "10.1.2.3"], allow_private=False, is_origin=True)
    assert mixed and "private address 10.1.2.3" in mixed
    assert address_refusal("a.test", ["::ffff:127.0.0.1"], allow_private=False, is_origin=True)
    assert address_refusal("a.test", ["192.168.1.2"], allow_private=True, is_origin=True) is None
    assert address_refusal("a.test", ["192.168.1.2"], allow_private=True, is_origin=False)
    for never in ("169.254.169.254", "fe80::1", "0.0.0.0", "224.0.0.1", "240.0.0.1"):
        assert address_refusal("a.test", [never], allow_private=True, is_origin=True), never



def changing_dns(*answers: list[str]):
    """A resolver whose answer changes between calls (the last answer repeats); records calls."""
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return answers[min(len(calls), len(answers)) - 1]
    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


def test_dns_rebinding_connects_to_the_checked_address(serve) -> None:
    """Public at check time, 127.0.0.1 afterwards: the connection goes to the vetted address."""
    public_site = serve({"/": html(b"<html><body><p>public page</p></body></html>")})
    secret = serve({"/": html(b"<html><body><p>internal admin</p></body></html>")})
    dns = changing_dns([PUBLIC_IP], ["127.0.0.1"])
    net = RoutedNetwork({PUBLIC_IP: ("127.0.0.1", public_site.port)})
    result = fetch(secret.url("/", host="localhost"), FetchOptions(respect_robots=False),
                   resolver=dns, network=net)
    assert b"public page" in result.body
    assert secret.paths() == []  # the loopback service never saw a request
    assert net.dialled == [(PUBLIC_IP, secret.port)] and dns.calls == ["localhost"]


def test_dns_rebinding_to_loopback_on_a_new_connection_is_refused(serve) -> None:
    secret = serve({"/": html()})
    dns = changing_dns(["127.0.0.1"])
    with pytest.raises(BlockedURLError, match="localhost resolves to loopback address 127.0.0.1"):
        fetch(secret.url("/", host="localhost"), FetchOptions(respect_robots=False), resolver=dns,
              network=public_net())
    assert secret.paths() == []


def test_every_answer_is_vetted_before_connecting(serve) -> None:
    srv = serve({"/": html()})
    net = public_net()
    with pytest.raises(BlockedURLError, match="private address 10.0.0.7"):
        fetch(srv.url("/", host="localhost"), FetchOptions(respect_robots=False),
              resolver=changing_dns([PUBLIC_IP, "10.0.0.7"]), network=net)
    assert net.dialled == [] and srv.paths() == []


def test_refused_robots_txt_refuses_the_page(serve) -> None:
    """robots.txt whose host is refused is not "no robots.txt": the page is refused too."""
    srv = serve({"/": html()})
    with pytest.raises(BlockedURLError, match=r"/robots\.txt: localhost resolves to loopback"):
        fetch(srv.url("/", host="localhost"), FetchOptions(),
              resolver=changing_dns(["127.0.0.1"], [PUBLIC_IP]), network=public_net())
    assert srv.paths() == []


def test_ipv6_loopback_source_with_allow_private(serve) -> None:
    srv = TestServer({"/": html()}, bind="::1").start()
    try:
        result = fetch(srv.url("/", host="[::1]"), FetchOptions(allow_private=True))
        assert result.status_code == 200
        with pytest.raises(BlockedURLError, match="loopback address ::1 \\(allow_private is not set\\)"):
            fetch(srv.url("/", host="[::1]"), FetchOptions())
    finally:
        srv.stop()
    assert address_refusal("[::1]", ["::1"], allow_private=True, is_origin=True) is None

# ---------------------------------------------------------------- size limits and encodings

def test_huge_body_refused_without_reading_it_all(serve) -> None:
    total = 20 * 1024 * 1024
    done = threading.Event()

    def flood(req: Handler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "text/html")
        req.send_header("Transfer-Encoding", "chunked")
        req.end_headers()
        piece = b"<p>" + b"a" * (64 * 1024 - 7) + b"</p>"
        chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
        try:
            for _ in range(total // len(piece)):
                req.send_counted(chunk)
            req.send_counted(b"0\r\n\r\n")
        finally:
            done.set()

    srv = serve({"/big": flood})
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge, match="1048576 bytes"):
            fetch(srv.url("/big"), FetchOptions(allow_private=True, max_bytes=1024 * 1024,
                                                respect_robots=False, retries=0))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert wait_for(done.is_set)
    assert srv.stats.bytes_sent < total  # the client hung up early
    assert peak < 6 * 1024 * 1024


def test_declared_length_over_cap_refused_before_reading(serve) -> None:
    srv = serve({"/": lambda req: (req.send_response(200), req.send_header("Content-Type", "text/html"),
                                   req.send_header("Content-Length", str(50 * 1024 * 1024)),
                                   req.end_headers(), req.stopping.wait(10))})
    with pytest.raises(BodyTooLarge, match="Content-Length"):
        fetch(srv.url(), FetchOptions(allow_private=True, max_bytes=1024, timeout=5))


def _gzip_of_zeros(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1024 * 1024)
    parts = [packer.compress(block) for _ in range(size // len(block))]
    return b"".join(parts) + packer.flush()


def test_stacked_gzip_bomb_refused(serve) -> None:
    bomb = gzip.compress(_gzip_of_zeros(64 * 1024 * 1024))
    assert len(bomb) < 200_000
    srv = serve({"/": html(bomb, ("Content-Encoding", "gzip, gzip"))})
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge):
            fetch(srv.url(), FetchOptions(allow_private=True, max_bytes=2 * 1024 * 1024))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024


@pytest.mark.parametrize("encoding,pack", [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("deflate", lambda d: zlib.compress(d)[2:-4]),  # raw deflate, as some servers send
    ("gzip, gzip", lambda d: gzip.compress(gzip.compress(d))),
    ("deflate, gzip", lambda d: gzip.compress(zlib.compress(d))),
])
def test_content_encodings_decoded(serve, encoding: str, pack) -> None:
    srv = serve({"/": html(pack(HTML), ("Content-Encoding", encoding))})
    assert fetch(srv.url()).body == HTML


def test_unknown_content_encoding_refused(serve) -> None:
    srv = serve({"/": html(b"xx", ("Content-Encoding", "br"))})
    with pytest.raises(UnsupportedContent, match="br"):
        fetch(srv.url())


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=5000), layers=st.lists(st.sampled_from(["gzip", "deflate"]), max_size=3),
       cut=st.integers(min_value=1, max_value=300))
def test_decoder_round_trip_any_chunking(data: bytes, layers: list[str], cut: int) -> None:
    packed = data
    for layer in layers:
        packed = gzip.compress(packed) if layer == "gzip" else zlib.compress(packed)
    decoder = ContentDecoder(layers)
    out = b"".join(b"".join(decoder.feed(packed[i:i + cut])) for i in range(0, len(packed), cut))
    assert out + b"".join(decoder.finish()) == data


# ---------------------------------------------------------------- content type and charset

@pytest.mark.parametrize("ctype", ["image/png", "application/pdf", "application/json"])
def test_non_html_content_refused(serve, ctype: str) -> None:
    srv = serve({"/f": html(b"%PDF-1.4 binary", ctype=ctype)})
    with pytest.raises(UnsupportedContent, match=ctype):
        fetch(srv.url("/f"))


def test_missing_content_type_sniffed(serve) -> None:
    srv = serve({"/page": Reply(200, HTML, ()), "/blob": Reply(200, b"\x89PNG\r\n\x1a\n....", ())})
    assert fetch(srv.url("/page")).content_type == "text/html"
    with pytest.raises(UnsupportedContent):
        fetch(srv.url("/blob"))


RUSSIAN = ("Семакс — пептидный препарат, который применяют при инсульте. Обычная доза составляет "
           "от двух до трёх капель в каждый носовой ход три раза в день. Препарат зарегистрирован "
           "в России как лекарственное средство, но не одобрен в США и Европе.")


def test_cp1251_page_served_as_utf8_decodes_to_cyrillic(serve) -> None:
    body = f"<html><head><title>Семакс</title></head><body><p>{RUSSIAN}</p></body></html>".encode("cp1251")
    srv = serve({"/ru": html(body, ctype="text/html; charset=utf-8")})
    result = fetch(srv.url("/ru"))
    assert "Семакс" in result.text and "зарегистрирован" in result.text
    assert result.charset in ("cp1251", "windows-1251")


def test_meta_charset_used_when_header_has_none(serve) -> None:
    body = (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
            f"</head><body>{RUSSIAN}</body></html>").encode("cp1251")
    srv = serve({"/": html(body, ctype="text/html")})
    result = fetch(srv.url())
    assert "инсульте" in result.text and result.charset == "cp1251"


def test_decode_text_prefers_valid_utf8_over_latin1_label() -> None:
    text, used = decode_text("Dosis: 300 µg — täglich".encode("utf-8"), "iso-8859-1")
    assert text == "Dosis: 300 µg — täglich" and used == "utf-8"
    text, used = decode_text("café".encode("cp1252"), "iso-8859-1")
    assert text == "café" and used == "cp1252"
    assert decode_text(b"<p>plain</p>", None) == ("<p>plain</p>", "utf-8")


# ---------------------------------------------------------------- robots.txt

ROBOTS = Reply(200, b"User-agent: *\nAllow: /\n\nUser-agent: claimwatch\nDisallow: /private\n",
               (("Content-Type", "text/plain"),))


def test_robots_disallow_and_override(serve) -> None:
    srv = serve({"/robots.txt": ROBOTS, "/private/page": html(), "/public": html()})

    async def run() -> tuple[FetchResult, Exception | FetchResult]:
        async with Fetcher(backoff_base=0.01) as fetcher:
            ok = await fetcher.fetch(srv.url("/public"), LOCAL)
            try:
                blocked: Exception | FetchResult = await fetcher.fetch(srv.url("/private/page"), LOCAL)
            except RobotsDisallowed as exc:
                blocked = exc
            return ok, blocked

    ok, blocked = asyncio.run(run())
    assert ok.status_code == 200
    assert isinstance(blocked, RobotsDisallowed) and "robots.txt" in str(blocked)
    assert srv.paths().count("/robots.txt") == 1  # cached per host for the pass
    assert "/private/page" not in srv.paths()
    overridden = fetch(srv.url("/private/page"), FetchOptions(allow_private=True, respect_robots=False))
    assert overridden.status_code == 200


def test_robots_error_means_allowed(serve) -> None:
    srv = serve({"/robots.txt": Reply(500, b"broken"), "/": html()})
    assert fetch(srv.url(), FetchOptions(allow_private=True, retries=0)).status_code == 200


# ---------------------------------------------------------------- concurrency

def test_per_host_concurrency_limit(serve) -> None:
    def slow_page(req: Handler) -> None:
        # hold each request until a second one arrives (or 2 s pass), so overlap is certain
        wait_for(lambda: req.server.stats.in_flight >= 2, timeout=2)
        req.stopping.wait(0.05)
        req.reply(html())

    srv = serve({f"/p{i}": slow_page for i in range(6)})
    options = FetchOptions(allow_private=True, respect_robots=False)

    async def run() -> list[FetchResult]:
        async with Fetcher(per_host=2, backoff_base=0.01) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(srv.url(f"/p{i}"), options) for i in range(6)))

    results = asyncio.run(run())
    assert all(r.status_code == 200 for r in results)
    assert srv.stats.max_in_flight == 2


def test_global_concurrency_limit(serve) -> None:
    def page(req: Handler) -> None:
        req.stopping.wait(0.05)
        req.reply(html())

    srv = serve({f"/p{i}": page for i in range(4)})
    options = FetchOptions(allow_private=True, respect_robots=False)

    async def run() -> list[FetchResult]:
        async with Fetcher(max_concurrency=1, per_host=4, backoff_base=0.01) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(srv.url(f"/p{i}"), options) for i in range(4)))

    assert len(asyncio.run(run())) == 4
    assert srv.stats.max_in_flight == 1


def test_options_accept_header_pairs_and_reject_nonsense() -> None:
    assert FetchOptions(headers=(("X-A", "1"),)).headers == {"X-A": "1"}
    with pytest.raises(ValueError):
        FetchOptions(max_bytes=0)
    with pytest.raises(ValueError):
        FetchOptions(retries=-1)
