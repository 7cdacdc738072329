"""Fetch watched pages politely and without becoming a security hole.

A monitor fetches URLs that come from a config file and, through redirects, from the pages
themselves, so plain ``httpx.get`` is not enough:

* **SSRF.** Redirects are followed by hand; every hop must be http(s) and every address its
  host resolves to must be public. ``allow_private`` only exempts the source's configured
  host:port (a self-hosted page); never link-local (cloud metadata at 169.254.169.254),
  never another private host, never ``file:``. The check is made where the connection is
  made (:mod:`monitor.fetch.net`): the name is resolved once, every address vetted, and the
  socket connected to a vetted IP, so a DNS server that answers differently for a check and
  for the connection (rebinding) gains nothing. robots.txt goes through the same door, and
  a refused robots.txt refuses the page.
* **Decompression bombs.** httpx inflates a whole ``Content-Encoding`` layer at once, so the
  raw stream is read and decoded with bounded incremental decompressors; reading stops as
  soon as the decoded size passes ``max_bytes`` (see :mod:`monitor.fetch.content`).
* **Charsets.** Headers lie (a Windows-1251 page served as UTF-8), so the text is decoded
  from bytes: BOM, header, ``<meta>``, then detection when the declared codec fails.
* **Politeness.** robots.txt (token ``claimwatch``), a clear User-Agent, bounded concurrency
  overall and per host, retries with exponential backoff honouring ``Retry-After``.

The rules themselves are pure functions in :mod:`monitor.fetch.policy`; this module is the
client that applies them. Every failure is a :class:`monitor.errors.FetchError` subclass
whose message names the URL.

``transport=`` replaces the whole connection layer (address pinning included) with any
``httpx.AsyncBaseTransport``: unit tests pass an ``httpx.MockTransport``; the integration
tests keep real servers on 127.0.0.1 and the pinned transport.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import httpcore
import httpx
from protego import Protego

from monitor import __version__
from monitor.errors import (BlockedURLError, BodyTooLarge, FetchError, FetchTimeout,
                            HTTPStatusError, NetworkError, RobotsDisallowed, UnsupportedContent)
from monitor.fetch.content import (ACCEPT_ENCODING, ACCEPTED_TYPES, decode_text, looks_like_html,
                                   parse_content_type, read_capped)
from monitor.fetch.net import PEER_IP, AddressRefused, LookupFailed, PinnedBackend, PinnedTransport, Resolver
from monitor.fetch.options import DEFAULTS, FetchOptions
from monitor.fetch.policy import (MAX_RETRY_AFTER, REDIRECT_CODES, address_refusal, display_url, host_port,
                                  is_secret_header, request_headers, retry_after_seconds, scheme_refusal)
from monitor.models import FetchResult, HttpExchange

DEFAULT_USER_AGENT = (f"claimwatch/{__version__} "
                      "(+https://github.com/claimwatch/claimwatch; health-claim monitor)")
ROBOTS_TOKEN = "claimwatch"
MAX_REDIRECTS = 10
ROBOTS_MAX_BYTES = 512 * 1024
ACCEPT = "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.8,*/*;q=0.1"


@dataclass(frozen=True)
class _Redirect:
    location: httpx.URL
    status_code: int


class _Retryable(Exception):
    """Internal: an attempt failed in a way worth retrying; ``error`` is raised at the end."""

    def __init__(self, error: FetchError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


# ------------------------------------------------------------------ the fetcher

class Fetcher:
    """One HTTP client per address policy for a whole pass; ``async with Fetcher() as f: await f.fetch(...)``.

    ``resolver(host, port)`` (sync or async, returning IP strings) replaces DNS; its answer is
    what gets vetted *and* what gets connected to (one lookup per new connection). Production
    leaves it unset (getaddrinfo in a thread). ``network`` replaces the httpcore backend that
    dials the vetted IP; tests pass one that routes a public test address to a local server.
    IP-literal hosts are never passed to the resolver. ``transport`` replaces the connection
    layer altogether (``httpx.MockTransport`` in unit tests): no resolver, no address vetting.

    Connections are pooled per policy (``allow_private`` and, with it, the source's origin), so
    a connection vetted for one source is never reused under a laxer policy for another.
    """

    def __init__(self, *, max_concurrency: int = 16, per_host: int = 2,
                 user_agent: str = DEFAULT_USER_AGENT, backoff_base: float = 0.5,
                 resolver: Resolver | None = None,
                 network: httpcore.AsyncNetworkBackend | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        if max_concurrency < 1 or per_host < 1:
            raise ValueError("max_concurrency and per_host must be >= 1")
        self._max_concurrency = max_concurrency
        self._per_host = per_host
        self._user_agent = user_agent
        self._backoff_base = backoff_base
        self._resolver = resolver
        self._network = network
        self._transport = transport
        self._random = random.Random()
        self._all_slots = asyncio.Semaphore(max_concurrency)
        self._host_slots: dict[str, asyncio.Semaphore] = {}
        self._robots: dict[str, Protego | None] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._clients: dict[tuple[bool, tuple[str, int] | None], httpx.AsyncClient] | None = None

    async def __aenter__(self) -> "Fetcher":
        self._clients = {}
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        clients, self._clients = self._clients or {}, None
        for client in clients.values():
            await client.aclose()

    def _client(self, options: FetchOptions, origin: tuple[str, int]) -> httpx.AsyncClient:
        """The client whose connections were all vetted under this source's address policy."""
        if self._clients is None:
            raise RuntimeError("Fetcher used outside 'async with'")
        key = (options.allow_private, origin if options.allow_private else None)
        client = self._clients.get(key)
        if client is None:
            def policy(host: str, port: int, addresses: Sequence[str]) -> str | None:
                return address_refusal(host, addresses, allow_private=options.allow_private,
                                       is_origin=(host.lower(), port) == origin)

            transport = self._transport
            if transport is None:
                limits = httpx.Limits(max_connections=self._max_concurrency)
                transport = PinnedTransport(PinnedBackend(policy, self._resolver, self._network), limits=limits)
            client = self._clients[key] = httpx.AsyncClient(
                transport=transport, follow_redirects=False,
                trust_env=False, event_hooks={"response": [_vet_location]},
                headers={"User-Agent": self._user_agent, "Accept": ACCEPT,
                         "Accept-Encoding": ACCEPT_ENCODING})
        return client

    async def fetch(self, url: str, options: FetchOptions = DEFAULTS,
                    conditional: Mapping[str, str] | None = None) -> FetchResult:
        """Fetch one page, following up to MAX_REDIRECTS checked redirects."""
        started = time.monotonic()
        try:
            current = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise BlockedURLError(f"{url}: invalid URL ({exc})") from None
        origin = host_port(current) if current.host else ("", 0)
        deadline = started + options.deadline
        redirects: list[str] = []
        while True:
            self._check_target(current)
            if options.respect_robots:
                await self._check_robots(current, origin, options, deadline)
            headers = self._headers(options, conditional, host_port(current) == origin)
            outcome = await self._request(current, origin, headers, options, deadline)
            if isinstance(outcome, FetchResult):
                outcome.url, outcome.redirects = url, redirects
                outcome.elapsed_ms = (time.monotonic() - started) * 1000
                return outcome
            if len(redirects) >= MAX_REDIRECTS:
                raise HTTPStatusError(f"{display_url(url)}: more than {MAX_REDIRECTS} redirects",
                                      status_code=outcome.status_code)
            current = outcome.location
            redirects.append(str(current))

    # -- policy ---------------------------------------------------------------

    @staticmethod
    def _check_target(url: httpx.URL) -> None:
        """Scheme check before anything is sent; addresses are vetted at connect time."""
        reason = scheme_refusal(url)
        if reason:
            raise BlockedURLError(f"{display_url(url)}: {reason}")

    async def _check_robots(self, url: httpx.URL, origin: tuple[str, int],
                            options: FetchOptions, deadline: float) -> None:
        site = f"{url.scheme}://{url.netloc.decode('ascii')}"
        async with self._robots_locks.setdefault(site, asyncio.Lock()):
            if site not in self._robots:
                self._robots[site] = await self._load_robots(httpx.URL(site + "/robots.txt"),
                                                             origin, options, deadline)
        rules = self._robots[site]
        if rules is not None and not rules.can_fetch(str(url), ROBOTS_TOKEN):
            raise RobotsDisallowed(f"{display_url(url)}: {site}/robots.txt disallows "
                                   f"{ROBOTS_TOKEN} (set respect_robots: false to override)")

    async def _load_robots(self, robots_url: httpx.URL, origin: tuple[str, int],
                           options: FetchOptions, deadline: float) -> Protego | None:
        """Parsed robots.txt, or None (allow everything) when missing or unreadable.

        A robots.txt the address policy refuses is *not* "missing": the refusal is raised, so
        the page (same host) is refused with the same reason instead of being fetched anyway.
        """
        robots_options = replace(options, retries=min(options.retries, 1),
                                 max_bytes=ROBOTS_MAX_BYTES, respect_robots=False)
        current = robots_url
        try:
            for _ in range(5):
                self._check_target(current)
                headers = self._headers(options, None, host_port(current) == origin)
                outcome = await self._request(current, origin, headers, robots_options, deadline,
                                              robots=True)
                if isinstance(outcome, FetchResult):
                    return Protego.parse(outcome.body.decode("utf-8", errors="replace"))
                current = outcome.location
        except BlockedURLError:
            if host_port(current) == host_port(robots_url):
                raise  # the page's own host is refused: so is the page
            return None  # robots.txt redirected to a refused host: as good as unavailable
        except FetchError:
            return None
        return None

    # -- HTTP -----------------------------------------------------------------

    @staticmethod
    def _headers(options: FetchOptions, conditional: Mapping[str, str] | None,
                 same_origin: bool) -> dict[str, str]:
        return request_headers(options.headers, conditional, same_origin)

    @asynccontextmanager
    async def _slot(self, host: str) -> AsyncIterator[None]:
        per_host = self._host_slots.setdefault(host, asyncio.Semaphore(self._per_host))
        async with per_host, self._all_slots:  # host first: never idle a global slot
            yield

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        delay = self._backoff_base * (2 ** attempt)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, MAX_RETRY_AFTER) + self._random.uniform(0, self._backoff_base / 4)

    async def _request(self, url: httpx.URL, origin: tuple[str, int], headers: dict[str, str],
                       options: FetchOptions, deadline: float,
                       robots: bool = False) -> FetchResult | _Redirect:
        """Attempts with backoff, none starting or running past ``deadline`` (monotonic)."""
        for attempt in range(options.retries + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FetchTimeout(f"{display_url(url)}: gave up at the {options.deadline:g} s "
                                   "fetch deadline (set deadline: in sources.yaml to allow more)")
            try:
                return await self._attempt(url, origin, headers, options, robots,
                                           min(options.timeout, remaining))
            except _Retryable as failure:
                delay = self._delay(attempt, failure.retry_after)
                out_of_time = time.monotonic() + delay >= deadline
                if attempt >= options.retries or out_of_time:
                    suffix = f" (after {attempt + 1} attempts)" if attempt else ""
                    if out_of_time and attempt < options.retries:
                        suffix += f" (gave up: {options.deadline:g} s fetch deadline)"
                    error = failure.error
                    raise type(error)(f"{error}{suffix}", **_status_kw(error)) from None
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _attempt(self, url: httpx.URL, origin: tuple[str, int], headers: dict[str, str],
                       options: FetchOptions, robots: bool, limit: float) -> FetchResult | _Redirect:
        """One request, all of it (connect, headers, body) within ``limit`` seconds."""
        client = self._client(options, origin)
        shown = display_url(url)
        timeout = httpx.Timeout(limit, connect=min(options.connect_timeout, limit))
        async with self._slot(url.host):
            try:
                async with asyncio.timeout(limit):
                    request = client.build_request("GET", url, headers=headers, timeout=timeout)
                    response = await client.send(request, stream=True)
                    try:
                        return await self._handle(url, response, options, robots)
                    finally:
                        await response.aclose()
            except AddressRefused as exc:
                raise BlockedURLError(f"{shown}: {exc}") from None
            except LookupFailed as exc:
                raise NetworkError(f"{shown}: {exc}") from None
            except httpx.TimeoutException as exc:
                raise _Retryable(FetchTimeout(f"{shown}: {_timeout_kind(exc)} timeout")) from None
            except TimeoutError:
                raise _Retryable(FetchTimeout(
                    f"{shown}: no complete response within {limit:g} s")) from None
            except httpx.TransportError as exc:
                raise _Retryable(NetworkError(
                    f"{shown}: {type(exc).__name__}: {exc or 'connection failed'}")) from None

    async def _handle(self, url: httpx.URL, response: httpx.Response, options: FetchOptions,
                      robots: bool) -> FetchResult | _Redirect:
        shown, status = display_url(url), response.status_code
        if status in REDIRECT_CODES:
            location = response.headers.get("location")
            if not location:
                raise HTTPStatusError(f"{shown}: HTTP {status} without Location", status)
            try:
                return _Redirect(url.join(location.strip()), status)
            except httpx.InvalidURL as exc:
                raise BlockedURLError(f"{shown}: bad redirect Location ({exc})") from None
        headers = {k.lower(): v for k, v in response.headers.items()}
        mime, charset = parse_content_type(response.headers.get("content-type"))
        if status == 304:
            return FetchResult(url=str(url), final_url=str(url), status_code=304, body=b"",
                               text="", content_type=mime, charset="", headers=headers,
                               not_modified=True, exchange=exchange_of(response))
        if status == 429 or status >= 500:
            raise _Retryable(HTTPStatusError(f"{shown}: HTTP {status} {response.reason_phrase}",
                                             status),
                             retry_after_seconds(response.headers.get("retry-after")))
        if not 200 <= status < 300:
            raise HTTPStatusError(f"{shown}: HTTP {status} {response.reason_phrase}", status)
        if not robots and mime and mime not in ACCEPTED_TYPES:
            raise UnsupportedContent(f"{shown}: content type {mime} is not HTML or text")
        length = response.headers.get("content-length", "")
        if (not response.headers.get("content-encoding") and length.isdigit()
                and int(length) > options.max_bytes):
            raise BodyTooLarge(f"{shown}: Content-Length {length} exceeds {options.max_bytes} bytes")
        body = await read_capped(response, options.max_bytes, shown)
        if not robots and not mime:
            if not looks_like_html(body):
                raise UnsupportedContent(f"{shown}: no content type and body is not HTML")
            mime = "text/html"
        if robots:
            text, used = "", ""
        else:  # charset detection on a large page can take a while: keep the loop free
            text, used = await asyncio.to_thread(decode_text, body, charset)
        return FetchResult(url=str(url), final_url=str(url), status_code=status, body=body,
                           text=text, content_type=mime, charset=used, headers=headers,
                           exchange=None if robots else exchange_of(response))


def exchange_of(response: httpx.Response) -> HttpExchange:
    """The final request and response as sent and received, for evidence (WARC records).

    Header names keep their wire case and order (``headers.raw``); secret-bearing request
    headers are left out and only their names kept, so the archive can say one was sent.
    """
    request = response.request
    sent: list[tuple[str, str]] = []
    withheld: list[str] = []
    for raw_name, raw_value in request.headers.raw:
        name = raw_name.decode("latin-1")
        if is_secret_header(name):
            withheld.append(name)
        else:
            sent.append((name, raw_value.decode("latin-1")))
    received = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw)
    version = response.http_version or "HTTP/1.1"
    reason = response.reason_phrase or ""
    stream = response.extensions.get("network_stream")
    peer = None
    if stream is not None:
        peer = stream.get_extra_info(PEER_IP)
        if peer is None:  # a stream not dialled by PinnedBackend: ask the socket
            addr = stream.get_extra_info("server_addr")
            peer = str(addr[0]) if addr else None
    return HttpExchange(method=request.method, url=display_url(request.url),
                        request_headers=tuple(sent), withheld=tuple(withheld),
                        http_version=version,
                        status_line=f"{version} {response.status_code} {reason}".rstrip(),
                        response_headers=received, peer_ip=peer)


async def _vet_location(response: httpx.Response) -> None:
    """Response hook: an unparsable redirect ``Location`` is a refused redirect, at once.

    httpx builds the next request of every redirect itself (even with follow_redirects off) and
    reports a bad Location as a RemoteProtocolError, which looked like a network error and was
    retried. This hook runs first and names the problem.
    """
    location = response.headers.get("location")
    if response.status_code not in REDIRECT_CODES or location is None:
        return
    try:
        response.request.url.join(location.strip())
    except httpx.InvalidURL as exc:
        raise BlockedURLError(f"{display_url(response.request.url)}: refused redirect to "
                              f"invalid Location {location[:200]!r} ({exc})") from None


def _status_kw(error: FetchError) -> dict[str, Any]:
    return {"status_code": error.status_code} if isinstance(error, HTTPStatusError) else {}


def _timeout_kind(exc: httpx.TimeoutException) -> str:
    return {httpx.ConnectTimeout: "connect", httpx.ReadTimeout: "read",
            httpx.WriteTimeout: "write", httpx.PoolTimeout: "connection-pool"}.get(
                type(exc), "network")


def fetch_sync(url: str, options: FetchOptions = DEFAULTS, *,
               user_agent: str = DEFAULT_USER_AGENT) -> FetchResult:
    """Fetch one URL from synchronous code (CLI one-offs); not for use inside an event loop."""

    async def run() -> FetchResult:
        async with Fetcher(user_agent=user_agent) as fetcher:
            return await fetcher.fetch(url, options)

    return asyncio.run(run())
