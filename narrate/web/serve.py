"""`narrate serve`: the output folder over HTTP on 127.0.0.1, with byte ranges for players.

With live narration, also `/listen?url=URL` (the article as MP3, chunked, as it is spoken),
`/read?url=URL` (the listening page playing it, its transcript growing) and `/cues?id=ID`
(what that page polls for).
"""

from __future__ import annotations

import importlib.resources
import ipaddress
import json
import logging
import os
import re
import shutil
import socket
import threading
from collections.abc import Callable
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO, ClassVar
from urllib.parse import parse_qs, urlsplit

from narrate import pipeline
from narrate.errors import InputError, ListenerGone, NarrateError
from narrate.web import DEFAULT_PORT, HOST
from narrate.web import live as narrations
from narrate.web.live import Live, LiveLimits, Refused

log = logging.getLogger(__name__)

STALL_S = 300
"""A listener that reads nothing for this long is let go (and its narration with it)."""

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_TYPES = {
    ".mp3": "audio/mpeg",
    ".vtt": "text/vtt; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/rss+xml; charset=utf-8",
    ".png": "image/png",
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte of a single `bytes=` range; None if unsatisfiable/odd."""
    m = _RANGE.match(header.strip())
    if not m or size == 0 or (not m.group(1) and not m.group(2)):
        return None
    if not m.group(1):
        suffix = int(m.group(2))
        return (max(0, size - suffix), size - 1) if suffix else None
    first = int(m.group(1))
    last = int(m.group(2)) if m.group(2) else size - 1
    if first >= size or last < first:
        return None
    return first, min(last, size - 1)


def _private(name: str) -> bool:
    """The state database, the lock and temp files are nobody's business."""
    return name.startswith(".") or name.startswith("state.db")


class Handler(SimpleHTTPRequestHandler):
    """Static files with single byte ranges (206/416), no directory listings; live narration."""

    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        **_TYPES,
    }
    timeout = STALL_S
    server: Server
    _range: tuple[int, int] | None = None

    def do_GET(self) -> None:
        route = urlsplit(self.path)
        live = self.server.live
        if live is None or route.path not in _LIVE:
            super().do_GET()
            return
        query = {k: v[0] for k, v in parse_qs(route.query).items()}
        getattr(self, _LIVE[route.path])(live, query)

    def _read(self, live: Live, query: dict[str, str]) -> None:
        """The listening page in live mode, for a URL that passes the checks."""
        url = query.get("url", "")
        try:
            live.check(url)
        except Refused as exc:
            self._refuse(exc)
            return
        body = narrations.render_page(url, live.reserve()).encode()
        self._answer(HTTPStatus.OK, "text/html; charset=utf-8", body)

    def _cues(self, live: Live, query: dict[str, str]) -> None:
        transcript = live.transcript(query.get("id"))
        if transcript is None:
            self._refuse(Refused(HTTPStatus.NOT_FOUND, "no such narration (it may be over)"))
            return
        first = query.get("from", "0")
        news = transcript.news(int(first) if first.isdigit() else 0)
        self._answer(HTTPStatus.OK, "application/json", json.dumps(news).encode())

    def _asset(self, _live: Live, _query: dict[str, str]) -> None:
        name = Path(urlsplit(self.path).path).name
        data = (importlib.resources.files("narrate.web") / "assets" / name).read_bytes()
        self._answer(HTTPStatus.OK, _TYPES[Path(name).suffix], data)

    def _listen(self, live: Live, query: dict[str, str]) -> None:
        """The article as MP3, sent as it is spoken; the status waits for its first byte."""
        url = query.get("url", "")
        transcript = live.transcript(query.get("id"))
        try:
            live.check(url)  # before taking a place: refusals cost nothing
            with live.place():
                self._stream(live, url, transcript)
        except Refused as exc:
            if transcript is not None:
                transcript.fail(str(exc))
            self._refuse(exc)

    def _stream(self, live: Live, url: str, transcript: narrations.Transcript | None) -> None:
        # ffmpeg writes into a pipe; a thread forwards it in chunks once the first byte comes,
        # so a page that cannot be fetched or extracted still gets its own status.
        read_fd, write_fd = os.pipe()
        forward = _Forward(self, read_fd)
        error: Exception | None = None
        try:
            with os.fdopen(write_fd, "wb") as sink:
                live.narrate(url, sink, transcript)
        except ListenerGone:
            log.info("%s left: the narration of %s stops", self.address_string(), url)
        except NarrateError as exc:
            error = exc
        except Exception as exc:  # a bug must not take the server down, nor go unheard
            log.exception("live narration of %s failed", url)
            error = exc
        forward.join()
        if forward.gone:
            return
        if not forward.started:
            status = HTTPStatus.INTERNAL_SERVER_ERROR
            if isinstance(error, NarrateError):
                status = narrations.failure_status(error)
            self._refuse(Refused(status, str(error or "the narration made no audio")))
        elif error is None:
            forward.end()
        else:
            # No closing chunk: the client can tell the stream was cut short.
            log.warning("live narration of %s broke off: %s", url, error)

    def _refuse(self, refused: Refused) -> None:
        """A small text body with the status, and Retry-After when the refusal is for now."""
        extra = {} if refused.retry_after_s is None else {"Retry-After": str(refused.retry_after_s)}
        body = f"Error: {refused}\n".encode()
        self._answer(refused.status, "text/plain; charset=utf-8", body, extra)

    def _answer(
        self, status: HTTPStatus, ctype: str, body: bytes, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        for key, value in {
            "Content-Type": ctype,
            "Content-Length": str(len(body)),
            "Cache-Control": "no-store",
            **(extra or {}),
        }.items():
            self.send_header(key, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            log.debug("%s left before %s was answered", self.address_string(), self.path)

    def list_directory(self, path: str | os.PathLike[str]) -> BinaryIO | None:
        self.send_error(HTTPStatus.NOT_FOUND, "No listing")
        return None

    def send_head(self) -> BinaryIO | None:  # type: ignore[override]
        self._range = None
        path = Path(self.translate_path(self.path))
        if _private(path.name):
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        header = self.headers.get("Range")
        if header is None or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        if "," in header:
            return super().send_head()  # multiple ranges: the whole file is a valid answer
        span = parse_range(header, size)
        if span is None:
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        fh = path.open("rb")
        first, last = span
        self.send_response(HTTPStatus.PARTIAL_CONTENT)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        self.send_header("Content-Length", str(last - first + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Last-Modified", self.date_time_string(int(path.stat().st_mtime)))
        self.end_headers()
        fh.seek(first)
        self._range = span
        return fh

    def end_headers(self) -> None:
        if self._range is None and urlsplit(self.path).path not in _LIVE:
            self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def copyfile(self, source: BinaryIO, outputfile: BinaryIO) -> None:  # type: ignore[override]
        try:
            if self._range is None:
                shutil.copyfileobj(source, outputfile)
                return
            remaining = self._range[1] - self._range[0] + 1
            while remaining > 0:
                chunk = source.read(min(64 * 1024, remaining))
                if not chunk:
                    break
                outputfile.write(chunk)
                remaining -= len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            # A player that seeks drops its request mid-file: normal, not worth a traceback.
            log.debug("%s left before %s was sent", self.address_string(), self.path)

    def log_message(self, format: str, *args: object) -> None:
        log.info("%s %s", self.address_string(), format % args)


_LIVE = {
    "/listen": "_listen",
    "/read": "_read",
    "/cues": "_cues",
    **{narrations.ASSETS + name: "_asset" for name in ("player.js", "player.css")},
}
"""The live routes and their methods; every other path is a file of the folder."""


class _Forward(threading.Thread):
    """Sends what ffmpeg writes into a pipe to the listener, in HTTP chunks, as it comes."""

    def __init__(self, handler: Handler, read_fd: int):
        super().__init__(name="narrate-forward", daemon=True)
        self.handler = handler
        self.source = os.fdopen(read_fd, "rb", buffering=0)
        self.chunked = handler.request_version != "HTTP/1.0"
        self.started = False
        """The status and headers went out with the first bytes."""
        self.gone = False
        """The listener went away."""
        self.start()

    def run(self) -> None:
        with self.source:
            while chunk := self.source.read(64 * 1024):
                try:
                    if not self.started:
                        self._head()
                    self._send(chunk)
                except OSError:  # closed, reset or stalled past STALL_S
                    # Closing the pipe's end ends ffmpeg at its next write, and so the narration.
                    self.gone = True
                    return

    def _head(self) -> None:
        h = self.handler
        h.protocol_version = "HTTP/1.1"  # for chunked encoding; this connection then closes
        h.send_response(HTTPStatus.OK)
        h.send_header("Content-Type", "audio/mpeg")
        h.send_header("Cache-Control", "no-store")
        if self.chunked:
            h.send_header("Transfer-Encoding", "chunked")
        h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True
        self.started = True

    def _send(self, data: bytes) -> None:
        if self.chunked:
            data = b"%x\r\n%s\r\n" % (len(data), data)
        self.handler.wfile.write(data)

    def end(self) -> None:
        """The last chunk: the stream is complete."""
        if self.chunked:
            try:
                self.handler.wfile.write(b"0\r\n\r\n")
            except OSError:
                self.gone = True


class Server(ThreadingHTTPServer):
    """The HTTP server, with its live narrations when it has them."""

    daemon_threads = True
    live: Live | None = None

    def server_close(self) -> None:
        super().server_close()
        if self.live is not None:
            self.live.close()


def loopback(host: str) -> bool:
    """True for an address only this machine reaches (a name other than localhost: False)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_server(
    folder: Path, port: int = DEFAULT_PORT, *, host: str = HOST, live: Live | None = None
) -> Server:
    """A server for folder on host:port (0 picks a free port); call serve_forever()."""
    if not folder.is_dir():
        raise InputError(f"no such folder: {folder} (run `narrate feed … --out {folder}` first)")

    class Bound(Server):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

    try:
        server = Bound((host, port), partial(Handler, directory=str(folder)))
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror} (try --port)") from exc
    server.live = live
    return server


def serve(
    folder: Path,
    port: int = DEFAULT_PORT,
    ready: Callable[[str], None] | None = None,
    *,
    host: str = HOST,
    live: tuple[pipeline.Options, LiveLimits] | None = None,
) -> None:
    """Serve folder until Ctrl-C, which returns; ready gets the server's URL once listening.

    With `live` (the narration options and limits), the synthesis workers start first, so
    the first listener finds them warm.
    """
    server = make_server(folder, port, host=host)
    try:
        if live is not None:
            server.live = Live(*live)
        if ready is not None:
            name = f"[{host}]" if ":" in host else host
            ready(f"http://{name}:{server.server_address[1]}/")
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
