"""Shared fixtures: an isolated clip cache and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "zelensky-gauntlet.html"

Handler = Callable[[BaseHTTPRequestHandler], None]


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Tests never touch the user's cache; one cache per session keeps repeated clips cheap."""
    path = tmp_path_factory.mktemp("cache")
    old = os.environ.get("NARRATE_CACHE_DIR")
    os.environ["NARRATE_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("NARRATE_CACHE_DIR", None)
    else:
        os.environ["NARRATE_CACHE_DIR"] = old


@dataclass
class Server:
    """Routes are plain data (status, headers, body) or a handler function for odd behaviour."""

    base: str
    routes: dict[str, tuple[int, dict[str, str], bytes] | Handler] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path

    def page(
        self,
        path: str,
        body: str | bytes,
        ctype: str = "text/html; charset=utf-8",
        status: int = 200,
        **headers: str,
    ) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = (status, {"Content-Type": ctype, **headers}, data)
        return self.url(path)


@pytest.fixture
def http_server() -> Iterator[Server]:
    """A real HTTP server on 127.0.0.1, on a free port, for the test's routes."""
    server_state = Server(base="")

    class RequestHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server_state.hits.append(self.path)
            route = server_state.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            if callable(route):
                route(self)
                return
            status, headers, body = route
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
    httpd.daemon_threads = True
    server_state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield server_state
    httpd.shutdown()
    httpd.server_close()
