"""Live narration in `narrate serve`: /listen streams as it synthesises, within its bounds.

A real server with real workers (Piper, ffmpeg) on 127.0.0.1 narrates articles served by the
test's own HTTP server. What synthesis did is read from the clip cache the server writes.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote, urlsplit

import lxml.html
import pytest

from narrate.audio import synthesize, voices
from narrate.audio.executor import LocalExecutor
from narrate.audio.lanes import SharedExecutor
from narrate.config import FetchLimits
from narrate.errors import ExtractionError, FetchError, InputError, SynthesisError
from narrate.pipeline import Options
from narrate.web.live import Live, LiveLimits, failure_status, host_allowed
from narrate.web.serve import make_server
from tests.article_helpers import page, paragraphs, unique_sentences
from tests.audio_helpers import decode_errors
from tests.cli_run import narrate
from tests.http_server import Server


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The live server's clip cache for this module, sharing the session's derived models."""
    root = tmp_path_factory.mktemp("live-cache")
    shared = Path(os.environ["NARRATE_CACHE_DIR"]) / "models"
    shared.mkdir(parents=True, exist_ok=True)
    (root / "models").symlink_to(shared)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NARRATE_CACHE_DIR", str(root))
        yield root


@pytest.fixture(scope="module")
def workers(cache_root: Path) -> Iterator[SharedExecutor]:
    """One warm pool for every server of the module, as one server has for its life."""
    shared = SharedExecutor(LocalExecutor(2), depth=2)
    shared.start(synthesize.voices_of(voices.load_profile()))
    yield shared
    shared.close()


@contextmanager
def live_server(
    folder: Path,
    workers: SharedExecutor,
    *,
    allow_private: bool = True,
    max_live: int = 2,
    allow_hosts: tuple[str, ...] = (),
) -> Iterator[tuple[str, Live]]:
    limits = FetchLimits(allow_private=allow_private, timeout_s=10.0)
    live = Live(Options(limits=limits), LiveLimits(max_live, allow_hosts), workers)
    server = make_server(folder, 0, live=live)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", live
    finally:
        server.shutdown()
        server.server_close()


def clips(root: Path) -> int:
    """How many clips the cache holds: one per sentence synthesised."""
    return len(list((root / "clips").glob("*/*.clip")))


def article(site: Server, name: str, sentences: int) -> str:
    """An article of `sentences` sentences no other test speaks, five to a paragraph; its URL."""
    texts = unique_sentences(sentences, name)
    body = [" ".join(texts[i : i + 5]) for i in range(0, len(texts), 5)]
    return site.page(f"/{name}.html", page("en", f"The {name} report", paragraphs(body)))


def get(addr: str, path: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(addr, timeout=120)
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body


def listen_path(url: str, transcript_id: str | None = None) -> str:
    return f"/listen?url={quote(url, safe='')}" + (f"&id={transcript_id}" if transcript_id else "")


def wait_done(addr: str, transcript_id: str, timeout_s: float = 120.0) -> dict[str, object]:
    """The transcript's last news, once the narration is over (polled as the page does)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status, _, body = get(addr, f"/cues?id={transcript_id}")
        assert status == 200
        news = json.loads(body)
        if news["done"]:
            return news
        time.sleep(0.2)
    raise AssertionError("the narration did not end")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "feed.xml").write_text("<rss/>")
    return tmp_path


def test_a_listener_gets_mp3_as_it_is_spoken_and_the_next_one_gets_it_from_the_cache(
    folder: Path, workers: SharedExecutor, cache_root: Path, http_server: Server
) -> None:
    url = article(http_server, "harvest", 6)
    with live_server(folder, workers) as (addr, live):
        before = clips(cache_root)
        transcript_id = live.reserve()
        status, headers, first = get(addr, listen_path(url, transcript_id))
        assert status == 200
        assert headers["content-type"] == "audio/mpeg"
        assert headers["transfer-encoding"] == "chunked"
        assert headers["cache-control"] == "no-store"
        assert "content-length" not in headers and "accept-ranges" not in headers
        heard = folder / "heard.mp3"
        heard.write_bytes(first)
        assert decode_errors(heard) == ""
        news = wait_done(addr, transcript_id)
        spoken = [c for c in news["cues"] if "inspectors" in c["html"]]  # type: ignore[union-attr]
        assert len(spoken) == 6 and news["error"] is None
        synthesised = clips(cache_root) - before
        assert synthesised >= 6  # its sentences, and the title if no earlier test spoke it

        again = get(addr, listen_path(url, transcript_id))  # the page's audio, asked again
        assert again[0] == 200
        assert clips(cache_root) - before == synthesised  # nothing synthesised the second time
        assert again[2] == first  # the same clips: Piper's noise makes a new synthesis differ
        assert wait_done(addr, transcript_id)["cues"] == news["cues"]  # each sentence once


class Served:
    """`narrate -vv serve` in a subprocess, its log read as it comes."""

    def __init__(self, folder: Path, cache: Path, *args: str):
        (cache / "models").symlink_to(Path(os.environ["NARRATE_CACHE_DIR"]) / "models")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "narrate", "-vv", "serve", str(folder), "--port", "0", *args],
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NARRATE_CACHE_DIR": str(cache)},
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        found = self.wait_for(r"at http://(127\.0\.0\.1:\d+)/feed\.xml \(Ctrl-C stops\)")
        self.addr = found.group(1)

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def wait_for(self, pattern: str, timeout_s: float = 60.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if found := re.search(pattern, line):
                    return found
            time.sleep(0.1)
        raise AssertionError(f"no {pattern!r} in the log:\n" + "".join(self.lines[-30:]))

    def synthesised(self) -> int:
        """Sentences the workers have synthesised so far (each logs one line)."""
        return sum("narrate.audio.engine: synthesised" in line for line in list(self.lines))

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=20)
        finally:
            self.proc.kill()


def test_a_listener_who_leaves_stops_the_synthesis_of_the_rest(
    folder: Path, tmp_path: Path, http_server: Server
) -> None:
    sentences = 80
    url = article(http_server, "ferry", sentences)
    (tmp_path / "cache").mkdir()
    served = Served(folder, tmp_path / "cache", "--allow-private")
    try:
        conn = http.client.HTTPConnection(served.addr, timeout=120)
        conn.request("GET", listen_path(url))
        resp = conn.getresponse()
        assert resp.status == 200
        assert len(resp.read(4096)) == 4096
        resp.close()
        conn.close()
        served.wait_for(r"left: the narration of .*/ferry\.html stops")
        # The sentences the workers had begun still finish; then nothing more comes.
        count, still = served.synthesised(), time.monotonic()
        while time.monotonic() - still < 3.0:
            time.sleep(0.2)
            if served.synthesised() != count:
                count, still = served.synthesised(), time.monotonic()
    finally:
        served.stop()
    assert 0 < count <= 12, f"{count} of {sentences + 3} sentences synthesised for 4 KB heard"
    assert "Traceback" not in "".join(served.lines)


def test_the_documented_refusals(
    folder: Path, workers: SharedExecutor, http_server: Server
) -> None:
    http_server.page("/empty.html", "<html><body><nav>Home</nav></body></html>")
    missing = http_server.url("/missing.html")
    with live_server(folder, workers) as (addr, _):
        for path, status, said in [
            ("/listen", 400, "give the article as ?url="),
            ("/listen?url=ftp%3A%2F%2Fexample.com%2Fa", 400, "only http and https URLs"),
            ("/listen?url=http%3A%2F%2F%2Fa", 400, "no host in URL"),
            (listen_path(missing), 502, "HTTP 404 from"),
            (listen_path(http_server.url("/empty.html")), 502, ""),
            ("/cues?id=nosuchnarration", 404, "no such narration"),
        ]:
            got, headers, body = get(addr, path)
            assert (got, body.decode()[:7]) == (status, "Error: "), (path, body)
            assert said in body.decode() and headers["content-type"].startswith("text/plain")
    with live_server(folder, workers, allow_private=False) as (addr, _):
        for url in (missing, "http://localhost/a", "http://[::ffff:127.0.0.1]/a"):
            for route in ("/listen", "/read"):
                got, _, body = get(addr, f"{route}?url={quote(url, safe='')}")
                assert got == 403 and b"a private or local address" in body, (url, body)
    with live_server(folder, workers, allow_hosts=("example.com",)) as (addr, _):
        got, _, body = get(addr, listen_path(missing))
        assert got == 403
        assert body == b"Error: 127.0.0.1 is not among the hosts this server narrates " + (
            b"(example.com)\n"
        )
    assert http_server.hits.count("/missing.html") == 1  # refusals before any fetch


def test_more_listeners_than_places_get_503_with_retry_after(
    folder: Path, workers: SharedExecutor, http_server: Server
) -> None:
    long_read = article(http_server, "tunnel", 60)
    other = article(http_server, "orchard", 3)
    with live_server(folder, workers, max_live=1) as (addr, live):
        transcript_id = live.reserve()
        first = http.client.HTTPConnection(addr, timeout=120)
        first.request("GET", listen_path(long_read, transcript_id))
        playing = first.getresponse()
        assert playing.status == 200  # its narration has its place
        status, headers, body = get(addr, listen_path(other))
        assert status == 503 and headers["retry-after"] == "30"
        assert body == b"Error: all 1 live narrations are busy; try again shortly\n"
        playing.close()
        first.close()
        wait_done(addr, transcript_id)
        assert get(addr, listen_path(other))[0] == 200  # the place is free again


def test_the_live_page_plays_listen_and_polls_its_transcript(
    folder: Path, workers: SharedExecutor, http_server: Server
) -> None:
    url = article(http_server, "quarry", 2)
    with live_server(folder, workers) as (addr, _):
        status, headers, body = get(addr, f"/read?url={quote(url, safe='')}")
        assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
        doc = lxml.html.fromstring(body)
        csp = doc.xpath("string(//meta[@http-equiv='Content-Security-Policy']/@content)")
        assert "connect-src 'self'" in csp and "media-src 'self'" in csp
        assert doc.xpath("//script/@src") == ["/_live/player.js"]
        [audio] = doc.xpath("//audio")
        cues = audio.get("data-cues")
        transcript_id = urlsplit(cues).query.removeprefix("id=")
        assert audio.get("src") == listen_path(url, transcript_id)
        empty = {"cues": [], "next": 0, "done": False, "error": None}
        assert json.loads(get(addr, cues)[2]) == empty  # nothing asked /listen for it yet
        assert get(addr, "/_live/player.js")[0] == 200


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (FetchError("x", "bad URL"), HTTPStatus.BAD_REQUEST),
        (FetchError("x", "blocked destination"), HTTPStatus.FORBIDDEN),  # a redirect's target
        (FetchError("x", "HTTP 404"), HTTPStatus.BAD_GATEWAY),
        (FetchError("x", "timed out", True), HTTPStatus.BAD_GATEWAY),
        (InputError("x"), HTTPStatus.BAD_GATEWAY),
        (ExtractionError("x"), HTTPStatus.BAD_GATEWAY),
        (SynthesisError("x"), HTTPStatus.INTERNAL_SERVER_ERROR),
    ],
)
def test_failure_status(error: Exception, status: HTTPStatus) -> None:
    assert failure_status(error) == status  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("example.com", True),
        ("www.example.com", True),
        ("EXAMPLE.com.", True),
        ("badexample.com", False),
        ("example.com.evil.net", False),
        ("news.example.org", True),
        ("example.org", False),
    ],
)
def test_the_host_allowlist(host: str, allowed: bool) -> None:
    assert host_allowed(host, ("example.com", "news.example.org")) is allowed
    assert host_allowed(host, ()) is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-live", "0"], "Error: --max-live must be at least 1, not 0\n"),
        (
            ["--allow-host", "https://example.com/"],
            "Error: --allow-host must be host names, such as example.com (no scheme, port or "
            "path), not ('https://example.com/',)\n",
        ),
    ],
)
def test_bad_serve_flags_are_one_line(folder: Path, args: list[str], message: str) -> None:
    run = narrate("serve", str(folder), "--port", "0", *args)
    assert run.returncode == 2 and run.stderr.decode() == message
