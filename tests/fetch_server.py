"""A real HTTP/1.1 server on 127.0.0.1 in a thread, scripted per path, for fetcher tests.

pytest-httpserver cannot misbehave in the ways the fetcher must survive (stalling,
dripping bytes, streaming 20 MB, lying about encodings), so this small server gives each
route full control of the socket while recording what it saw: request paths and headers,
the peak number of requests in flight, and how many body bytes a route managed to send.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Reply:
    """A canned response; ``headers`` are sent as given (plus Content-Length)."""

    status: int = 200
    body: bytes = b""
    headers: Sequence[tuple[str, str]] = (("Content-Type", "text/html; charset=utf-8"),)


@dataclass
class Seen:
    """One request as the server received it (header names lower-cased)."""

    path: str
    headers: dict[str, str]
    at: float


Route = Reply | Sequence[Reply] | Callable[["Handler"], None]


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[Seen] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    bytes_sent: int = 0
    counters: dict[str, int] = field(default_factory=dict)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        stats = self.server.stats
        with stats.lock:
            stats.requests.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()},
                                       time.monotonic()))
            stats.in_flight += 1
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
            count = stats.counters.get(self.path, 0)
            stats.counters[self.path] = count + 1
        try:
            route = self.server.routes.get(self.path.split("?")[0])
            if route is None:
                self.reply(Reply(404, b"not found", (("Content-Type", "text/plain"),)))
            elif isinstance(route, Reply):
                self.reply(route)
            elif isinstance(route, Sequence):
                self.reply(route[min(count, len(route) - 1)])
            else:
                route(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            with stats.lock:
                stats.in_flight -= 1

    def reply(self, reply: Reply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def send_counted(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()
        with self.server.stats.lock:
            self.server.stats.bytes_sent += len(data)

    @property
    def stopping(self) -> threading.Event:
        return self.server.stopping

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, routes: dict[str, Route], host: str = "127.0.0.1") -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, 0), Handler)
        self.routes = routes
        self.stats = Stats()
        self.stopping = threading.Event()

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up mid-response is the point of several tests


class TestServer:
    """``with TestServer({"/": Reply(...)}) as srv: srv.url("/")``."""

    __test__ = False  # not a pytest test class

    def __init__(self, routes: dict[str, Route] | None = None, bind: str = "127.0.0.1") -> None:
        self._server = _Server(dict(routes or {}), bind)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def routes(self) -> dict[str, Route]:
        return self._server.routes

    @property
    def stats(self) -> Stats:
        return self._server.stats

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        with self.stats.lock:
            return [seen.path for seen in self.stats.requests]

    def start(self) -> "TestServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "TestServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``predicate`` until true or ``timeout`` seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


class RoutedNetwork:
    """An httpcore network backend where ``routes`` sends an address elsewhere.

    ``routes`` maps an IP to ``"127.0.0.1"`` (same port) or to ``("127.0.0.1", port)``.

    The fetcher vets addresses itself and then dials through its network backend; giving it
    this one simulates a public site (a documentation address) that is served by a local test
    server, without any traffic leaving 127.0.0.1. ``dialled`` records what was connected to.
    """

    def __init__(self, routes: dict[str, str | tuple[str, int]]) -> None:
        import httpcore

        self._inner = httpcore.AnyIOBackend()
        self.routes = dict(routes)
        self.dialled: list[tuple[str, int]] = []

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None, socket_options: object = None):
        self.dialled.append((host, port))
        target = self.routes.get(host, host)
        host, port = target if isinstance(target, tuple) else (target, port)
        return await self._inner.connect_tcp(host, port, timeout=timeout,
                                             local_address=local_address,
                                             socket_options=socket_options)  # type: ignore[arg-type]

    async def connect_unix_socket(self, *args: object, **kwargs: object):
        raise OSError("no unix sockets in tests")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
