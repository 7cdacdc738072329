"""Connections pinned to vetted addresses: the fetcher's defence against DNS rebinding.

Checking a host's addresses and then letting the HTTP client resolve the name again when it
connects leaves a window: a hostile DNS server can answer with a public address for the check
and with 127.0.0.1 (or the cloud metadata address) for the connection. So the check and the
connection are one step here. :class:`PinnedBackend` is an httpcore network backend whose
``connect_tcp`` resolves the name once, vets *every* address with the fetcher's address policy,
and connects to a vetted IP. httpcore still passes the original host name to ``start_tls`` (SNI
and certificate verification) and httpx still sends it in ``Host``, so virtual hosting and TLS
work as before.

:class:`PinnedTransport` is ``httpx.AsyncHTTPTransport`` with its connection pool built on that
backend. One transport serves one address policy (see ``monitor.fetch.client``), so a pooled
connection is only ever reused under the policy that vetted its address.
"""

from __future__ import annotations

import inspect
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import anyio
import httpcore
import httpx

Resolver = Callable[[str, int], Awaitable[Sequence[str]] | Sequence[str]]
# (host, port, every resolved address) -> one-line reason to refuse, or None
AddressPolicy = Callable[[str, int, Sequence[str]], str | None]


class AddressRefused(Exception):
    """``connect_tcp`` refused every address of a host: the policy's one-line reason."""


class LookupFailed(Exception):
    """The name did not resolve; not worth retrying within one fetch."""


async def system_resolve(host: str, port: int) -> list[str]:
    """getaddrinfo off the event loop (anyio runs it in a worker thread)."""
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Resolve once, vet all addresses, connect only to a vetted IP.

    ``network`` is the backend that really dials (httpcore's anyio backend by default); tests
    substitute one that routes a documentation "public" address to a local server, which is how
    a real public site is simulated without leaving 127.0.0.1.
    """

    def __init__(self, policy: AddressPolicy, resolver: Resolver | None = None,
                 network: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._policy = policy
        self._resolver = resolver
        self._network = network or httpcore.AnyIOBackend()

    async def resolve(self, host: str, port: int) -> list[str]:
        """Addresses of ``host``; an IP literal is its own (never passed to the resolver)."""
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        try:
            if self._resolver is None:
                return await system_resolve(host, port)
            found = self._resolver(host, port)
            if inspect.isawaitable(found):
                found = await found
            return [str(a) for a in found]
        except (OSError, UnicodeError) as exc:
            raise LookupFailed(f"DNS lookup for {host} failed ({exc})") from None

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        with anyio.fail_after(timeout):  # the lookup counts toward the connect timeout
            addresses = list(dict.fromkeys(await self.resolve(host, port)))
        reason = self._policy(host, port, addresses)
        if reason:
            raise AddressRefused(reason)
        last: Exception | None = None
        for address in addresses:  # every one was vetted; the first that answers wins
            try:
                return PinnedStream(await self._network.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address,
                    socket_options=socket_options), address)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None  # addresses is non-empty: the policy refuses an empty list
        raise last

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None
                                  ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await self._network.sleep(seconds)


PEER_IP = "claimwatch_peer_ip"  # get_extra_info key: the vetted IP this stream was dialled to


class PinnedStream(httpcore.AsyncNetworkStream):
    """A dialled stream that remembers which vetted IP it was connected to.

    Evidence (WARC-IP-Address) must name the address the body came from; the pinned address
    is that address by construction, whatever the underlying backend reports (a test backend
    that routes a public address to 127.0.0.1 included). Everything else is delegated.
    """

    def __init__(self, inner: httpcore.AsyncNetworkStream, address: str) -> None:
        self._inner = inner
        self.address = address

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        return PinnedStream(await self._inner.start_tls(ssl_context, server_hostname, timeout),
                            self.address)

    def get_extra_info(self, info: str) -> Any:
        return self.address if info == PEER_IP else self._inner.get_extra_info(info)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport, but its pool dials through a :class:`PinnedBackend`.

    httpx has no public parameter for a network backend, so instead of letting
    ``AsyncHTTPTransport.__init__`` build its pool (all it does) we build the same pool with
    ours; request handling and exception mapping are httpx's own. ``trust_env`` is off: through
    an environment proxy the address policy could not be enforced.
    """

    def __init__(self, backend: PinnedBackend, *, limits: httpx.Limits,  # noqa: super() not called
                 verify: bool = True) -> None:
        ssl_context = httpx.create_ssl_context(verify=verify, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context, max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry, network_backend=backend)
