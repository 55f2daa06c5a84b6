"""The HTTP client on a real 127.0.0.1 server: limits, reasons, charsets, the private guard."""

from __future__ import annotations

import gzip

import pytest

from narrate.article.fetch import blocked_address, decode, fetch, read_source
from narrate.config import FetchLimits
from narrate.errors import FetchError, InputError
from tests.netns import NETNS_SERVER, run_in_netns

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


def test_body_without_length_is_capped(http_server) -> None:
    url = http_server.drip("/big", 50 * 16, 64 * 1024)  # 50 MB, no Content-Length
    with pytest.raises(FetchError) as err:
        fetch(url, FetchLimits(allow_private=True, max_page_bytes=2_000_000))
    assert err.value.reason == "too large"
    assert not http_server.outcome("/big").complete


def test_gzip_bomb_is_capped(http_server) -> None:
    bomb = gzip.compress(b"\0" * 200_000_000, compresslevel=9)
    http_server.page("/bomb", bomb, **{"Content-Encoding": "gzip"})
    with pytest.raises(FetchError) as err:
        fetch(http_server.url("/bomb"), FetchLimits(allow_private=True, max_page_bytes=5_000_000))
    assert err.value.reason == "too large"


def test_slow_drip_times_out(http_server) -> None:
    # 10 bytes every 0.2 s would take 20 s; each read is quick, so only the deadline stops it.
    url = http_server.drip("/slow", 100, 10, delay_s=0.2)
    with pytest.raises(FetchError) as err:
        fetch(url, FetchLimits(allow_private=True, timeout_s=1.0))
    assert (err.value.reason, str(err.value)) == ("timed out", f"timed out reading {url}")
    served = http_server.outcome("/slow")
    assert not served.complete and served.sent < 100 * 10  # the client hung up mid-body


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
    http_server.page("/feed", b"<rss/>", "application/rss+xml", etag='"v1"')
    first = fetch(http_server.url("/feed"), OPEN, kind="feed")
    assert first.etag == '"v1"'
    assert fetch(http_server.url("/feed"), OPEN, kind="feed", etag=first.etag).status == 304
    assert [r.get("If-None-Match") for r in http_server.requests] == [None, '"v1"']


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
    with pytest.raises(InputError, match="is a folder, not a file"):
        read_source(str(tmp_path), OPEN)


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


def test_tls_certificates_are_verified(https_server, monkeypatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(FetchError) as err:
        fetch(https_server.page("/a", "<p>secret</p>"), OPEN)
    assert err.value.reason == "TLS error" and "CERTIFICATE_VERIFY_FAILED" in str(err.value)
    assert https_server.hits == []


def test_https_to_http_redirect_is_refused(
    certificate, https_server, monkeypatch, http_server
) -> None:
    # OpenSSL's own SSL_CERT_FILE makes the test certificate trusted, as a user's CA bundle would.
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    plain = http_server.page("/plain", "<p>in the clear</p>")
    secure = https_server.page("/a", "<p>über TLS</p>")
    https_server.page("/same", "", status=302, Location="/a")
    https_server.page("/down", "", status=301, Location=plain)
    assert "über TLS" in fetch(secure, OPEN).text
    assert fetch(https_server.url("/same"), OPEN).url == secure
    with pytest.raises(FetchError) as err:
        fetch(https_server.url("/down"), OPEN)
    assert err.value.reason == "insecure redirect"
    assert http_server.hits == []  # refused before connecting


# The private guard on every hop. A public address is needed for the first hop, so the test runs in
# a network namespace of its own where 8.8.8.8 is a local address (root only; skipped elsewhere).


GUARD_PROBE = """
from narrate.config import FetchLimits
from narrate.errors import FetchError
from narrate.article.fetch import fetch

SERVER.page("/secret", "<p>here</p>")
SERVER.page("/public", "<p>here</p>")
targets = {
    "public": BASE + "/public",
    "loopback": f"http://127.0.0.1:{PORT}/secret",
    "localhost": f"http://localhost:{PORT}/secret",
    "mapped": f"http://[::ffff:127.0.0.1]:{PORT}/secret",
    "metadata": "http://169.254.169.254/latest/meta-data/",
    "private": f"http://10.0.0.1:{PORT}/secret",
    "two-hops": BASE + "/hop-to-loopback",
}
SERVER.page("/hop-to-loopback", "", status=302, Location=targets["loopback"])
results = {}
for name, target in targets.items():
    SERVER.page(f"/go/{name}", "", status=302, Location=target)
    try:
        results[name] = fetch(f"{BASE}/go/{name}", FetchLimits(timeout_s=5)).url
    except FetchError as exc:
        results[name] = exc.reason
print(json.dumps({"results": results, "hits": SERVER.hits}))
"""


def test_guard_checks_every_redirect_hop() -> None:
    out = run_in_netns(NETNS_SERVER + GUARD_PROBE)
    results = out["results"]
    assert results.pop("public").endswith("/public")
    assert set(results.values()) == {"blocked destination"}, results
    assert "/secret" not in out["hits"] and "/hop-to-loopback" in out["hits"]


@pytest.mark.parametrize("http_server", ["::1"], indirect=True)
def test_ipv6_literal_gets_a_bracketed_host_header(http_server) -> None:
    url = http_server.page("/", "<p>six</p>")
    assert url.startswith("http://[::1]:")
    assert "six" in fetch(url, OPEN).text
    assert [r["Host"] for r in http_server.requests] == [url.removeprefix("http://").rstrip("/")]


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        ("<p>Café owner wins „award“ and €500 – a première for the town’s baker.</p>", "cp1252"),
        ("<p>Привет, как дела? Это тестовая страница на русском языке.</p>", "cp1251"),
    ],
)
def test_undeclared_legacy_pages_decode_as_a_browser_would(text: str, codec: str) -> None:
    assert decode(text.encode(codec)) == text
