"""The one test HTTP server: routes are data (status, headers, body, drip, ETag), plain or TLS.

Standard library only, so the network-namespace tests can start it in a fresh interpreter too.
Each answer is recorded: which paths were asked for, with what headers, and whether the client
stayed to the end of the body or hung up.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Route:
    """One answer: status, headers and body, optionally dripped and conditional on an ETag."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    repeat: int = 1
    """The body is sent this many times over, flushed each time: a stream or a drip."""
    delay_s: float = 0.0
    """A pause before each piece of the body."""
    length: int | None = None
    """The Content-Length to declare when it should differ from the bytes sent."""
    send_length: bool = True
    """False sends no Content-Length: the body ends when the connection does."""
    etag: str | None = None
    """Sent as ETag; a request with a matching If-None-Match gets 304 Not Modified."""


@dataclass(frozen=True)
class Served:
    """What one response came to."""

    path: str
    sent: int
    """Body bytes written before the end or the client hung up."""
    complete: bool
    """False when the client closed the connection before the whole body was sent."""


@dataclass
class Server:
    """A running server: its base URL, its routes, and what it was asked and answered."""

    base: str
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    """Request paths in arrival order."""
    requests: list[dict[str, str]] = field(default_factory=list)
    """The request headers, in the same order as hits."""
    served: list[Served] = field(default_factory=list)
    _done: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def url(self, path: str) -> str:
        return self.base + path

    def page(
        self,
        path: str,
        body: str | bytes,
        ctype: str = "text/html; charset=utf-8",
        status: int = 200,
        etag: str | None = None,
        **headers: str,
    ) -> str:
        """Serve `body` at `path`, conditionally on `etag` when given; returns its URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(data, status, {"Content-Type": ctype, **headers}, etag=etag)
        return self.url(path)

    def drip(
        self, path: str, chunks: int, size: int, delay_s: float = 0.0, length: int | None = None
    ) -> str:
        """Serve `chunks` pieces of `size` bytes, `delay_s` apart; no length unless `length`."""
        self.routes[path] = Route(
            b"a" * size,
            headers={"Content-Type": "text/html"},
            repeat=chunks,
            delay_s=delay_s,
            length=length,
            send_length=length is not None,
        )
        return self.url(path)

    def outcome(self, path: str, timeout_s: float = 30.0) -> Served:
        """How the response to `path` ended, waiting for the handler to finish."""
        with self._done:
            found = self._done.wait_for(
                lambda: any(s.path == path for s in self.served), timeout=timeout_s
            )
            assert found, f"no response to {path} has ended; asked for: {self.hits}"
            return next(s for s in self.served if s.path == path)

    def _record(self, served: Served) -> None:
        with self._done:
            self.served.append(served)
            self._done.notify_all()


def _handler(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server.hits.append(self.path)
            server.requests.append(dict(self.headers.items()))
            route = server.routes.get(self.path, Route(b"not found", 404))
            if route.etag and self.headers.get("If-None-Match") == route.etag:
                self.send_response(304)
                self.send_header("ETag", route.etag)
                self.end_headers()
                return
            self.send_response(route.status)
            headers = dict(route.headers)
            if route.etag:
                headers["ETag"] = route.etag
            if route.send_length:
                headers["Content-Length"] = str(
                    len(route.body) * route.repeat if route.length is None else route.length
                )
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            sent = 0
            try:
                for _ in range(route.repeat):
                    time.sleep(route.delay_s)
                    self.wfile.write(route.body)
                    self.wfile.flush()
                    sent += len(route.body)
            except OSError:
                server._record(Served(self.path, sent, complete=False))
                self.close_connection = True
                return
            server._record(Served(self.path, sent, complete=True))

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def start(
    host: str = "127.0.0.1", tls: tuple[Path, Path] | None = None
) -> tuple[Server, ThreadingHTTPServer]:
    """Start a server on a free port of `host` (IPv4 or IPv6); with tls=(cert, key), HTTPS."""

    class Listener(ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        daemon_threads = True

    server = Server(base="")
    httpd = Listener((host, 0), _handler(server))
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    netloc = f"[{host}]" if ":" in host else host
    server.base = f"{'https' if tls else 'http'}://{netloc}:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return server, httpd


@contextmanager
def serve(host: str = "127.0.0.1", tls: tuple[Path, Path] | None = None) -> Iterator[Server]:
    """A server for the duration of the block; see start."""
    server, httpd = start(host, tls)
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
