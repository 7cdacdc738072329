"""The Fetcher over an injected ``httpx.MockTransport``: HTTP behaviour without sockets.

The integration tests (test_fetch.py) keep real servers on 127.0.0.1 and the pinned
transport, which is where the address policy is enforced; these check what the client does
with responses: redirects, credentials across hosts, 304s, retries, content types.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from monitor.errors import HTTPStatusError, UnsupportedContent
from monitor.fetch.client import Fetcher
from monitor.fetch.options import FetchOptions

HTML = b"<!doctype html><html><head><title>t</title></head><body><p>Semax 600 mcg</p></body></html>"
NO_ROBOTS = FetchOptions(respect_robots=False, retries=2, deadline=10)


def _page(body: bytes, content_type: str = "text/html; charset=utf-8", **headers: str) -> httpx.Response:
    """A response the way a server streams it (the client reads raw chunks, as from a socket)."""
    return httpx.Response(200, headers={"content-type": content_type, **headers}, stream=httpx.ByteStream(body))


def _fetch(handler, url: str, options: FetchOptions = NO_ROBOTS, conditional=None):
    async def run():
        async with Fetcher(transport=httpx.MockTransport(handler), backoff_base=0.001) as fetcher:
            return await fetcher.fetch(url, options, conditional)

    return asyncio.run(run())


def test_a_page_is_fetched_decoded_and_its_exchange_kept():
    def handler(request: httpx.Request) -> httpx.Response:
        return _page(HTML, etag='"v1"')

    result = _fetch(handler, "https://example.org/semax")
    assert result.status_code == 200 and "Semax 600 mcg" in result.text
    assert result.headers["etag"] == '"v1"'
    assert result.exchange is not None and result.exchange.status_line.startswith("HTTP/1.1 200")


def test_credentials_go_to_the_configured_host_only_across_a_redirect():
    seen: list[tuple[str, str | None, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, request.headers.get("authorization"), request.headers.get("x-trace")))
        if request.url.host == "example.org":
            return httpx.Response(302, headers={"location": "https://cdn.example.net/page"})
        return _page(HTML)

    options = FetchOptions(respect_robots=False, headers={"Authorization": "Bearer s3cret", "X-Trace": "1"})
    result = _fetch(handler, "https://example.org/", options)
    assert result.redirects == ["https://cdn.example.net/page"]
    assert seen == [("example.org", "Bearer s3cret", "1"), ("cdn.example.net", None, "1")]
    assert result.exchange.withheld == ()  # the final hop sent no credential to withhold
    assert all("s3cret" not in v for _, v in result.exchange.request_headers)


def test_not_modified_is_a_result_with_no_body():
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["if-none-match"] == '"v1"'
        return httpx.Response(304)

    result = _fetch(handler, "https://example.org/", conditional={"If-None-Match": '"v1"'})
    assert result.not_modified and result.body == b""


def test_a_server_error_is_retried_then_reported_with_the_attempts():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url)
        return httpx.Response(503, headers={"retry-after": "0"})

    with pytest.raises(HTTPStatusError, match=r"HTTP 503.*after 3 attempts") as info:
        _fetch(handler, "https://example.org/")
    assert len(calls) == 3 and info.value.status_code == 503


def test_a_non_text_content_type_is_refused():
    def handler(request: httpx.Request) -> httpx.Response:
        return _page(b"%PDF-1.7", "application/pdf")

    with pytest.raises(UnsupportedContent, match="application/pdf"):
        _fetch(handler, "https://example.org/leaflet")
