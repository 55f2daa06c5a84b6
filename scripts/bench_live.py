"""`make bench`'s rows for live narration: how soon `narrate serve` sends /listen's first byte.

A real `narrate serve` (its workers started and warm) narrates generated articles of unique
sentences, served on 127.0.0.1, into a clip cache of its own: nothing of an article is cached
before it is asked for, only what every narration shares (the disclaimer) once a first
listener has heard it. The client takes the time from sending the request to the first body
byte, then hangs up, which ends that narration; each row is the median of several articles.
scripts/bench.py prints these rows in its table; run alone, this prints them by themselves.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
NARRATE = [sys.executable, "-m", "narrate"]
TARGET_S = 0.6
_PLACES = ("harbour", "market", "station", "library", "stadium", "bridge", "museum", "school")


def article(folder: Path, name: str, sentences: int) -> str:
    """A generated article of unique sentences, five to a paragraph; its file name."""
    texts = [
        f"The {name} board said the {_PLACES[n % len(_PLACES)]} in ward {n + 1} "
        f"would open {n + 2} new rooms in the spring."
        for n in range(sentences)
    ]
    body = "".join(f"<p>{' '.join(texts[i : i + 5])}</p>" for i in range(0, sentences, 5))
    title = f"The {name} report"
    (folder / f"{name}.html").write_text(
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"</head><body><article><h1>{title}</h1>{body}</article></body></html>"
    )
    return f"{name}.html"


class Narrate:
    """`narrate -v serve` in a subprocess; its log read as it comes."""

    def __init__(self, folder: Path, cache: Path):
        self.proc = subprocess.Popen(
            [*NARRATE, "-v", "serve", str(folder), "--port", "0", "--allow-private"],
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NARRATE_CACHE_DIR": str(cache)},
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.addr = self.wait(r"at http://(127\.0\.0\.1:\d+)/feed\.xml").group(1)

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def wait(self, pattern: str, after: int = 0, timeout_s: float = 120.0) -> re.Match[str]:
        """The first log line from index `after` on that matches."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for line in self.lines[after:]:
                if found := re.search(pattern, line):
                    return found
            time.sleep(0.02)
        raise SystemExit(f"narrate serve never logged {pattern!r}:\n" + "".join(self.lines[-20:]))

    def first_byte(self, url: str, whole: bool = False) -> float:
        """Seconds from the request to the first MP3 byte; then hang up (or read it all)."""
        seen = len(self.lines)
        conn = http.client.HTTPConnection(self.addr, timeout=300)
        started = time.perf_counter()
        conn.request("GET", "/listen?url=" + quote(url, safe=""))
        resp = conn.getresponse()
        if resp.status != 200:
            raise SystemExit(f"/listen answered {resp.status}: {resp.read().decode()}")
        resp.read(1)
        elapsed = time.perf_counter() - started
        if whole:
            resp.read()
        resp.close()
        conn.close()
        if not whole:
            self.wait(r"left: the narration of .* stops", after=seen)
        time.sleep(1.0)  # the sentences the workers had begun finish
        return elapsed

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def live_rows(tmp: Path, rounds: int, sentences: int = 60) -> list[tuple[str, str, str]]:
    """(measure, here, target) rows: first byte of /listen on a warm server, `rounds` articles."""
    pages, cache = tmp / "live-pages", tmp / "live-cache"
    pages.mkdir()
    files = {name: article(pages, name, sentences) for name in ("warmup", "heard")}
    fresh_files = [article(pages, f"item{i}", sentences) for i in range(rounds)]
    site = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(pages)))
    threading.Thread(target=site.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{site.server_address[1]}/"
    (tmp / "live-out").mkdir()
    server = Narrate(tmp / "live-out", cache)
    try:
        time.sleep(3.0)  # the workers load their voices
        first_ever = server.first_byte(base + files["warmup"])
        fresh = [server.first_byte(base + name) for name in fresh_files]
        server.first_byte(base + files["heard"], whole=True)
        again = [server.first_byte(base + files["heard"]) for _ in range(rounds)]
    finally:
        server.stop()
        site.shutdown()
        site.server_close()
    return [
        (
            "first MP3 byte, `/listen` on a warm server, new article",
            f"{statistics.median(fresh):.2f} s (runs {', '.join(f'{s:.2f}' for s in fresh)})",
            f"≤ {TARGET_S} s",
        ),
        (
            "first MP3 byte, `/listen`, an article heard before",
            f"{statistics.median(again):.2f} s",
            "every clip cached",
        ),
        (
            "first MP3 byte, `/listen`, a just-started server's first listener",
            f"{first_ever:.2f} s",
            "the disclaimer not yet cached",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sentences", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        rows = live_rows(Path(tmp_name), args.rounds, args.sentences)
    for row in rows:
        print(" | ".join(row))


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


if __name__ == "__main__":
    main()
