"""`narrate serve`: a real server on 127.0.0.1 answering whole files and byte ranges."""

from __future__ import annotations

import http.client
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from narrate.errors import InputError
from narrate.web.serve import make_server, parse_range

DATA = bytes(range(256)) * 4  # 1024 bytes


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    tmp_path = tmp_path_factory.mktemp("served")
    (tmp_path / "episodes").mkdir()
    (tmp_path / "episodes" / "a.mp3").write_bytes(DATA)
    (tmp_path / "feed.xml").write_text("<rss/>")
    (tmp_path / "state.db").write_bytes(b"secret")
    (tmp_path / ".narrate.lock").write_text("1")
    server = make_server(tmp_path, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.1", server.server_address[1]
    server.shutdown()
    server.server_close()


def get(
    addr: tuple[str, int], path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(*addr, timeout=5)
    conn.request(method, path, headers=headers or {})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body


def test_whole_file(served: tuple[str, int]) -> None:
    status, headers, body = get(served, "/episodes/a.mp3")
    assert (status, body) == (200, DATA)
    assert headers["content-type"] == "audio/mpeg"
    assert headers["accept-ranges"] == "bytes"
    assert get(served, "/feed.xml")[1]["content-type"].startswith("application/rss+xml")


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=1000-", 1000, 1023),
        ("bytes=-24", 1000, 1023),
        ("bytes=1000-5000", 1000, 1023),
        ("bytes=5-5", 5, 5),
    ],
)
def test_ranges(served: tuple[str, int], header: str, first: int, last: int) -> None:
    status, headers, body = get(served, "/episodes/a.mp3", {"Range": header})
    assert status == 206
    assert headers["content-range"] == f"bytes {first}-{last}/1024"
    assert int(headers["content-length"]) == last - first + 1
    assert body == DATA[first : last + 1]


@pytest.mark.parametrize("header", ["bytes=2000-", "bytes=5-2", "bytes=-0"])
def test_unsatisfiable_range(served: tuple[str, int], header: str) -> None:
    status, headers, body = get(served, "/episodes/a.mp3", {"Range": header})
    assert (status, headers["content-range"], body) == (416, "bytes */1024", b"")


def test_head_with_range(served: tuple[str, int]) -> None:
    status, headers, body = get(served, "/episodes/a.mp3", {"Range": "bytes=0-1"}, "HEAD")
    assert (status, headers["content-length"], body) == (206, "2", b"")


@pytest.mark.parametrize("path", ["/state.db", "/.narrate.lock", "/", "/episodes/", "/missing"])
def test_private_files_and_listings_are_not_served(served: tuple[str, int], path: str) -> None:
    assert get(served, path)[0] == 404


@pytest.mark.parametrize(
    ("header", "span"),
    [
        ("bytes=0-0", (0, 0)),
        ("bytes=-5", (5, 9)),
        ("bytes=-50", (0, 9)),
        ("bytes=3-", (3, 9)),
        ("bytes=-", None),
        ("items=0-1", None),
        ("bytes=10-", None),
        ("bytes=0-1,3-4", None),
    ],
)
def test_parse_range(header: str, span: tuple[int, int] | None) -> None:
    assert parse_range(header, 10) == span


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such folder"):
        make_server(tmp_path / "nope", 0)


def test_serve_command_announces_the_feed_url_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_text("<rss/>")
    proc = subprocess.Popen(
        [sys.executable, "-m", "narrate", "serve", str(tmp_path), "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as a terminal sends it: a runner started in the background ignores SIGINT,
        # and its children would inherit that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        url = re.search(r"at (http://127\.0\.0\.1:(\d+)/feed\.xml) \(Ctrl-C stops\)", line)
        assert url, line
        status, _, body = get(("127.0.0.1", int(url.group(2))), "/feed.xml")
        assert (status, body) == (200, b"<rss/>")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        assert "Error" not in proc.stderr.read()
    finally:
        proc.kill()
        proc.wait()
