"""`narrate serve`: the output folder over HTTP on 127.0.0.1, with byte ranges for players."""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Callable
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO, ClassVar

from narrate.errors import InputError

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
DEFAULT_PORT = 8000

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
    """Static files with single byte ranges (206/416), no directory listings."""

    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        **_TYPES,
    }
    _range: tuple[int, int] | None = None

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
        if self._range is None:
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


def make_server(folder: Path, port: int = DEFAULT_PORT) -> ThreadingHTTPServer:
    """A server for folder on 127.0.0.1:port (0 picks a free port); call serve_forever()."""
    if not folder.is_dir():
        raise InputError(f"no such folder: {folder} (run `narrate feed … --out {folder}` first)")
    try:
        server = ThreadingHTTPServer((HOST, port), partial(Handler, directory=str(folder)))
    except OSError as exc:
        raise InputError(f"cannot listen on {HOST}:{port}: {exc.strerror} (try --port)") from exc
    server.daemon_threads = True
    return server


def serve(
    folder: Path, port: int = DEFAULT_PORT, ready: Callable[[str], None] | None = None
) -> None:
    """Serve folder until Ctrl-C, which returns; ready gets feed.xml's URL once listening."""
    server = make_server(folder, port)
    try:
        if ready is not None:
            ready(f"http://{HOST}:{server.server_address[1]}/feed.xml")
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
