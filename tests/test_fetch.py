"""The HTTP client on a real 127.0.0.1 server: limits, reasons, charsets, the private guard."""

from __future__ import annotations

import functools
import gzip
import json
import os
import shutil
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from narrate.article.fetch import blocked_address, decode, fetch, read_source
from narrate.config import FetchLimits
from narrate.errors import FetchError, InputError

OPEN = FetchLimits(allow_private=True, timeout_s=5.0)


@pytest.mark.parametrize(
    "addr",
    [
        "127.0.0.1",
        "127.255.0.9",
        "::1",
        "::ffff:127.0.0.1",
        "169.254.169.254",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",
        "224.0.0.1",
        "239.255.255.250",
        "0.0.0.0",
        "255.255.255.255",
        "240.0.0.1",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "64:ff9b::7f00:1",
        "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::1",
        "2002:c0a8:101::1",
        "ff02::1",
        "::",
        "198.18.0.1",
        "64:ff9b:1::1",
    ],
)
def test_private_and_special_addresses_are_blocked(addr: str) -> None:
    assert blocked_address(addr)


@pytest.mark.parametrize("addr", ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888", "64:ff9b::808:808"])
def test_public_addresses_pass(addr: str) -> None:
    assert not blocked_address(addr)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1", "[::ffff:127.0.0.1]", "localhost"])
def test_guard_refuses_loopback_before_connecting(http_server, host: str) -> None:
    http_server.page("/a", "<p>hi</p>")
    port = http_server.base.rsplit(":", 1)[1]
    with pytest.raises(FetchError) as err:
        fetch(f"http://{host}:{port}/a", FetchLimits(allow_private=False))
    assert err.value.reason == "blocked destination"
    assert http_server.hits == []


def test_allow_private_admits_loopback(http_server) -> None:
    url = http_server.page("/a", "<html><p>héllo</p></html>")
    resp = fetch(url, OPEN)
    assert resp.status == 200 and "héllo" in resp.text


@pytest.mark.parametrize(
    ("status", "reason", "transient"),
    [
        (404, "HTTP 404", False),
        (410, "HTTP 410", False),
        (429, "HTTP 429", True),
        (500, "HTTP 500", True),
        (503, "HTTP 503", True),
    ],
)
def test_http_errors_carry_reason(http_server, status: int, reason: str, transient: bool) -> None:
    url = http_server.page("/e", "nope", status=status)
    with pytest.raises(FetchError) as err:
        fetch(url, OPEN)
    assert (err.value.reason, err.value.transient) == (reason, transient)


def test_binary_is_not_html(http_server) -> None:
    url = http_server.page("/x.bin", b"\x00\x01\x02" * 100, ctype="application/octet-stream")
    with pytest.raises(FetchError) as err:
        fetch(url, OPEN)
    assert err.value.reason == "not HTML"


def test_latin1_page_with_meta_charset(http_server) -> None:
    html = '<html><head><meta charset="iso-8859-1"></head><body><p>Señor Müller</p></body></html>'
    url = http_server.page("/l", html.encode("latin-1"), ctype="text/html")
    assert "Señor Müller" in fetch(url, OPEN).text


def test_header_charset_wins_over_detection() -> None:
    assert decode("café".encode("cp1252"), "text/html; charset=windows-1252") == "café"
    assert decode("\ufeffsnow ☃".encode()) == "snow ☃"


def _stream(chunks: int, size: int, delay: float = 0.0):
    def handler(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "text/html")
        req.end_headers()
        try:
            for _ in range(chunks):
                req.wfile.write(b"a" * size)
                req.wfile.flush()
                time.sleep(delay)
        except (BrokenPipeError, ConnectionResetError):
            pass

    return handler


def test_body_without_length_is_capped(http_server) -> None:
    http_server.routes["/big"] = _stream(50 * 16, 64 * 1024)  # 50 MB, no Content-Length
    with pytest.raises(FetchError) as err:
        fetch(http_server.url("/big"), FetchLimits(allow_private=True, max_page_bytes=2_000_000))
    assert err.value.reason == "too large"


def test_gzip_bomb_is_capped(http_server) -> None:
    bomb = gzip.compress(b"\0" * 200_000_000, compresslevel=9)
    http_server.page("/bomb", bomb, **{"Content-Encoding": "gzip"})
    with pytest.raises(FetchError) as err:
        fetch(http_server.url("/bomb"), FetchLimits(allow_private=True, max_page_bytes=5_000_000))
    assert err.value.reason == "too large"


def test_slow_drip_times_out(http_server) -> None:
    http_server.routes["/slow"] = _stream(100, 10, delay=0.2)
    started = time.monotonic()
    with pytest.raises(FetchError) as err:
        fetch(http_server.url("/slow"), FetchLimits(allow_private=True, timeout_s=1.0))
    assert err.value.reason == "timed out"
    assert time.monotonic() - started < 5


def test_redirects_are_followed_and_bounded(http_server) -> None:
    final = http_server.page("/end", "<p>arrived</p>")
    for i in range(7):
        http_server.page(f"/r{i}", "", status=302, Location=f"/r{i + 1}")
    http_server.page("/r7", "", status=301, Location=final)
    assert fetch(http_server.url("/r5"), OPEN).url == final
    with pytest.raises(FetchError) as err:
        fetch(http_server.url("/r0"), OPEN)
    assert err.value.reason == "too many redirects"


def test_conditional_get_returns_304(http_server) -> None:
    def handler(req: BaseHTTPRequestHandler) -> None:
        if req.headers.get("If-None-Match") == '"v1"':
            req.send_response(304)
            req.end_headers()
            return
        body = b"<rss/>"
        req.send_response(200)
        req.send_header("ETag", '"v1"')
        req.send_header("Content-Type", "application/rss+xml")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)

    http_server.routes["/feed"] = handler
    first = fetch(http_server.url("/feed"), OPEN, kind="feed")
    assert first.etag == '"v1"'
    assert fetch(http_server.url("/feed"), OPEN, kind="feed", etag=first.etag).status == 304


@pytest.mark.parametrize("url", ["ftp://example.com/a", "file:///etc/passwd", "http:///nohost"])
def test_only_http_urls(url: str) -> None:
    with pytest.raises(FetchError):
        fetch(url, OPEN)


def test_unreachable_port(http_server) -> None:
    with pytest.raises(FetchError) as err:
        fetch("http://127.0.0.1:9/", OPEN)
    assert err.value.reason == "connection failed"


def test_read_source_file_and_missing(tmp_path) -> None:
    page = tmp_path / "p.html"
    page.write_bytes("<p>Zürich</p>".encode())
    assert "Zürich" in read_source(str(page), OPEN).html
    with pytest.raises(InputError, match="no such file"):
        read_source(str(tmp_path / "missing.html"), OPEN)


def test_retry_after_is_reported(http_server) -> None:
    url = http_server.page("/busy", "slow down", status=429, **{"Retry-After": "120"})
    with pytest.raises(FetchError) as err:
        fetch(url, OPEN)
    assert err.value.transient and err.value.retry_after == 120.0


def test_empty_page_is_a_transient_error(http_server) -> None:
    url = http_server.page("/empty", b"")
    with pytest.raises(FetchError) as err:
        fetch(url, OPEN)
    assert (err.value.reason, err.value.transient) == ("empty response", True)


# TLS: a real HTTPS server on 127.0.0.1 with a certificate made for the test


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert.pem, key.pem)."""
    if not shutil.which("openssl"):
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
            ),
            *("-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=test"),
            *("-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextmanager
def https_server(
    certificate: tuple[Path, Path], routes: dict[str, tuple[int, dict[str, str], bytes]]
) -> Iterator[str]:
    """Serve routes over TLS on 127.0.0.1; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, headers, body = routes.get(self.path, (404, {}, b""))
            self.send_response(status)
            for key, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_tls_certificates_are_verified(certificate, monkeypatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    routes = {"/a": (200, {}, b"<p>secret</p>")}
    with https_server(certificate, routes) as base, pytest.raises(FetchError) as err:
        fetch(base + "/a", OPEN)
    assert err.value.reason == "TLS error" and "CERTIFICATE_VERIFY_FAILED" in str(err.value)


def test_https_to_http_redirect_is_refused(certificate, monkeypatch, http_server) -> None:
    # OpenSSL's own SSL_CERT_FILE makes the test certificate trusted, as a user's CA bundle would.
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    plain = http_server.page("/plain", "<p>in the clear</p>")
    routes = {
        "/a": (200, {}, "<p>über TLS</p>".encode()),
        "/same": (302, {"Location": "/a"}, b""),
        "/down": (301, {"Location": plain}, b""),
    }
    with https_server(certificate, routes) as base:
        assert "über TLS" in fetch(base + "/a", OPEN).text
        assert fetch(base + "/same", OPEN).url == base + "/a"
        with pytest.raises(FetchError) as err:
            fetch(base + "/down", OPEN)
    assert err.value.reason == "insecure redirect"
    assert http_server.hits == []  # refused before connecting


# The private guard on every hop. A public address is needed for the first hop, so the test runs in
# a network namespace of its own where 8.8.8.8 is a local address (root only; skipped elsewhere).


@functools.cache
def netns_available() -> bool:
    """True when this process may create a network namespace (root with unshare and ip)."""
    if os.geteuid() != 0 or not (shutil.which("unshare") and shutil.which("ip")):
        return False
    probe = subprocess.run(["unshare", "--net", "ip", "link", "set", "lo", "up"], check=False)
    return probe.returncode == 0


PUBLIC = "8.8.8.8"
"""A global address that the namespace gives its loopback interface."""


def run_in_netns(code: str, *args: str, timeout: float = 120) -> dict:
    """Run Python `code` in a new network namespace where PUBLIC is local; its last line as JSON."""
    if not netns_available():
        pytest.skip("needs root and `unshare --net` to give a public address to a test server")
    setup = (
        "import subprocess\n"
        "subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)\n"
        f"subprocess.run(['ip', 'addr', 'add', '{PUBLIC}/32', 'dev', 'lo'], check=True)\n"
    )
    run = subprocess.run(
        ["unshare", "--net", sys.executable, "-c", setup + code, *args],
        capture_output=True,
        timeout=timeout,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert run.returncode == 0, run.stderr.decode()
    return json.loads(run.stdout.decode().splitlines()[-1])


NETNS_SERVER = """
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROUTES = {}
HITS = []

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        HITS.append(self.path)
        status, headers, body = ROUTES.get(self.path, (404, {}, b""))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

httpd = ThreadingHTTPServer(("0.0.0.0", 0), Handler)
PORT = httpd.server_address[1]
BASE = f"http://8.8.8.8:{PORT}"
threading.Thread(target=httpd.serve_forever, daemon=True).start()
"""


GUARD_PROBE = """
from narrate.config import FetchLimits
from narrate.errors import FetchError
from narrate.article.fetch import fetch

page = (200, {"Content-Type": "text/html"}, b"<p>here</p>")
ROUTES["/secret"] = page
ROUTES["/public"] = page
targets = {
    "public": BASE + "/public",
    "loopback": f"http://127.0.0.1:{PORT}/secret",
    "localhost": f"http://localhost:{PORT}/secret",
    "mapped": f"http://[::ffff:127.0.0.1]:{PORT}/secret",
    "metadata": "http://169.254.169.254/latest/meta-data/",
    "private": f"http://10.0.0.1:{PORT}/secret",
    "two-hops": BASE + "/hop-to-loopback",
}
ROUTES["/hop-to-loopback"] = (302, {"Location": targets["loopback"]}, b"")
results = {}
for name, target in targets.items():
    ROUTES[f"/go/{name}"] = (302, {"Location": target}, b"")
    try:
        results[name] = fetch(f"{BASE}/go/{name}", FetchLimits(timeout_s=5)).url
    except FetchError as exc:
        results[name] = exc.reason
print(json.dumps({"results": results, "hits": HITS}))
"""


def test_guard_checks_every_redirect_hop() -> None:
    out = run_in_netns(NETNS_SERVER + GUARD_PROBE)
    results = out["results"]
    assert results.pop("public").endswith("/public")
    assert set(results.values()) == {"blocked destination"}, results
    assert "/secret" not in out["hits"] and "/hop-to-loopback" in out["hits"]


def test_limits_come_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("NARRATE_TIMEOUT", "7.5")
    monkeypatch.setenv("NARRATE_MAX_PAGE_MB", "1")
    monkeypatch.setenv("NARRATE_ALLOW_PRIVATE", "1")
    limits = FetchLimits.from_env(max_feed_bytes=5)
    assert (limits.timeout_s, limits.max_page_bytes, limits.max_feed_bytes) == (7.5, 1048576, 5)
    assert limits.allow_private


def test_ipv6_literal_gets_a_bracketed_host_header() -> None:
    import socket
    import threading
    from http.server import HTTPServer

    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers["Host"])
            body = b"<p>six</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    class V6Server(HTTPServer):
        address_family = socket.AF_INET6

    try:
        server = V6Server(("::1", 0), Handler)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        assert "six" in fetch(f"http://[::1]:{port}/", OPEN).text
        assert seen == [f"[::1]:{port}"]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        ("<p>Café owner wins „award“ and €500 – a première for the town’s baker.</p>", "cp1252"),
        ("<p>Привет, как дела? Это тестовая страница на русском языке.</p>", "cp1251"),
    ],
)
def test_undeclared_legacy_pages_decode_as_a_browser_would(text: str, codec: str) -> None:
    assert decode(text.encode(codec)) == text
