"""The one HTTP client narrate owns: bounded, refuses private destinations, honours charsets.

Neither trafilatura nor feedparser is ever given a URL; they get what this module fetched.
"""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import re
import socket
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal
from urllib.parse import urljoin, urlsplit

from narrate.config import USER_AGENT, FetchLimits, is_url
from narrate.errors import FetchError, InputError
from narrate.models import Page

if TYPE_CHECKING:  # imported where a page is fetched or guessed at: reading a file needs neither
    import urllib3

log = logging.getLogger(__name__)

Kind = Literal["page", "feed", "image"]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_CHUNK = 16 * 1024
_TRANSIENT_STATUS = {408, 425, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class Response:
    """A completed fetch."""

    status: int
    """200, or 304 for a conditional request that found nothing new."""
    url: str
    """The final URL, after redirects."""
    content: bytes = field(repr=False)
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def text(self) -> str:
        """The body decoded: BOM, then HTTP charset, then meta tag, then detection."""
        return decode(self.content, self.headers.get("content-type", ""))


def decode(content: bytes, content_type: str = "") -> str:
    """Decode a document's bytes the way a browser would, as far as it matters here."""
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if content.startswith(bom):
            return content[len(bom) :].decode(codec, "replace")
    candidates: list[str] = []
    if m := re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.I):
        candidates.append(m.group(1))
    if m := _META_CHARSET.search(content[:4096]):
        candidates.append(m.group(1).decode("ascii"))
    for name in candidates:
        try:
            return content.decode(_browser_codec(name))
        except (LookupError, UnicodeDecodeError):
            continue
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        import charset_normalizer

        guesses = charset_normalizer.from_bytes(content[:200_000])
    # Browsers fall back to windows-1252 for undeclared pages; keep that when it is a fit, rather
    # than a look-alike Central European or Baltic code page.
    encodings = [g.encoding for g in guesses]
    if "cp1252" in encodings or not encodings:
        return content.decode("cp1252", "replace")
    return content.decode(encodings[0], "replace")


def _browser_codec(name: str) -> str:
    # Browsers read latin-1 and ascii labels as windows-1252 (WHATWG Encoding Standard).
    return "cp1252" if name.lower() in ("iso-8859-1", "latin-1", "latin1", "us-ascii") else name


def retry_after(value: str | None) -> float | datetime | None:
    """A Retry-After header as given: seconds to wait (delta-seconds) or a UTC time (HTTP date)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    # The caller's clock turns either form into a retry time; a date without a zone is no date.
    return when.astimezone(UTC) if when.tzinfo is not None else None


def blocked_address(addr: str) -> bool:
    """True for loopback, private, link-local, CGNAT, multicast, reserved and embedded-private."""
    ip = ipaddress.ip_address(addr.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded: ipaddress.IPv4Address | None = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return blocked_address(str(embedded))
        if ip in _NAT64_LOCAL:
            return True
    return not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified


def _resolve(host: str, port: int, limits: FetchLimits, deadline: float) -> str:
    """The address to connect to: checked before any connection is made."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve {host}: {exc.strerror}", "DNS failure", True) from exc
    if time.monotonic() > deadline:
        raise FetchError(f"timed out resolving {host}", "timed out", True)
    addrs = [str(info[4][0]) for info in infos]
    if not limits.allow_private:
        bad = [a for a in addrs if blocked_address(a)]
        if bad:
            raise FetchError(
                f"refusing to fetch from {host} ({bad[0]}): a private or local address "
                "(use --allow-private for intranets)",
                "blocked destination",
            )
    return addrs[0]


def _target(url: str) -> tuple[str, int]:
    """The (host, port) an http(s) URL points at; FetchError `bad URL` for any other."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"only http and https URLs can be fetched: {url}", "bad URL")
    host = parts.hostname
    if not host:
        raise FetchError(f"no host in URL: {url}", "bad URL")
    try:
        return host, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise FetchError(f"bad port in URL: {url}", "bad URL") from exc


def check_destination(url: str, limits: FetchLimits) -> str:
    """The URL's host, once it is known fetch() would connect to it (redirects aside).

    FetchError `bad URL`, `blocked destination` or `DNS failure` otherwise: a server can refuse
    a request before committing any work to it.
    """
    host, port = _target(url)
    _resolve(host, port, limits, time.monotonic() + limits.timeout_s)
    return host


def _pool(url: str, limits: FetchLimits, deadline: float) -> tuple[urllib3.HTTPConnectionPool, str]:
    import urllib3

    parts = urlsplit(url)
    host, port = _target(url)
    addr = _resolve(host, port, limits, deadline)
    remaining = max(0.1, deadline - time.monotonic())
    timeout = urllib3.Timeout(connect=remaining, read=remaining)
    # Connect to the address that was checked, so DNS cannot change its answer in between.
    if parts.scheme == "https":
        pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
            addr,
            port,
            timeout=timeout,
            retries=False,
            server_hostname=host,
            assert_hostname=host,
            cert_reqs="CERT_REQUIRED",
        )
    else:
        pool = urllib3.HTTPConnectionPool(addr, port, timeout=timeout, retries=False)
    name = f"[{host}]" if ":" in host else host
    host_header = name if parts.port is None else f"{name}:{parts.port}"
    return pool, host_header


def fetch(
    url: str,
    limits: FetchLimits,
    *,
    kind: Kind = "page",
    etag: str | None = None,
    last_modified: str | None = None,
) -> Response:
    """GET url within limits, following at most `limits.max_redirects` safe redirects."""
    import urllib3

    deadline = time.monotonic() + limits.timeout_s
    max_bytes = limits.max_feed_bytes if kind == "feed" else limits.max_page_bytes
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    for _hop in range(limits.max_redirects + 1):
        pool, host_header = _pool(url, limits, deadline)
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            resp = pool.urlopen(
                "GET",
                path,
                headers={**headers, "Host": host_header},
                redirect=False,
                preload_content=False,
                decode_content=True,
            )
            if resp.status in (301, 302, 303, 307, 308) and resp.headers.get("location"):
                resp.drain_conn()
                nxt = urljoin(url, resp.headers["location"])
                if urlsplit(url).scheme == "https" and urlsplit(nxt).scheme == "http":
                    raise FetchError(
                        f"refusing redirect from https to http: {nxt}", "insecure redirect"
                    )
                url = nxt
                continue
            try:
                body = _read(resp, max_bytes, deadline, url)
            finally:
                resp.close()  # hang up at once, not when the error's traceback is freed
        except FetchError:
            raise
        except urllib3.exceptions.SSLError as exc:
            raise FetchError(f"TLS error for {url}: {exc}", "TLS error") from exc
        except urllib3.exceptions.NewConnectionError as exc:
            raise FetchError(f"cannot connect to {url}", "connection failed", True) from exc
        except (urllib3.exceptions.TimeoutError, TimeoutError) as exc:
            raise FetchError(f"timed out fetching {url}", "timed out", True) from exc
        except urllib3.exceptions.DecodeError as exc:
            raise FetchError(f"bad compressed body from {url}", "bad encoding") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise FetchError(f"cannot fetch {url}: {exc}", "connection failed", True) from exc
        finally:
            pool.close()
        hdrs = {k.lower(): v for k, v in resp.headers.items()}
        if resp.status == 304:
            return Response(304, url, b"", hdrs)
        if resp.status >= 400:
            raise FetchError(
                f"HTTP {resp.status} from {url}",
                f"HTTP {resp.status}",
                transient=resp.status in _TRANSIENT_STATUS,
                retry_after=retry_after(resp.headers.get("retry-after")),
            )
        response = Response(resp.status, url, body, hdrs)
        if kind == "page" and not body.strip():
            # Often a server mid-deploy or a cache glitch: worth another try later.
            raise FetchError(
                f"{url} answered {resp.status} with an empty page", "empty response", True
            )
        if kind == "page" and response.content_type and response.content_type not in _HTML_TYPES:
            raise FetchError(f"not HTML ({response.content_type}): {url}", "not HTML")
        return response
    raise FetchError(f"more than {limits.max_redirects} redirects from {url}", "too many redirects")


def _read(resp: urllib3.BaseHTTPResponse, max_bytes: int, deadline: float, url: str) -> bytes:
    """Read the decompressed body, failing as soon as it passes max_bytes or the deadline."""
    declared = resp.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes and resp.status < 300:
        raise FetchError(f"{url} is larger than {max_bytes} bytes", "too large")
    chunks: list[bytes] = []
    size = 0
    # read1 returns whatever has arrived, so a slow drip cannot hold us past the deadline.
    while chunk := resp.read1(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"{url} is larger than {max_bytes} bytes", "too large")
        if time.monotonic() > deadline:
            raise FetchError(f"timed out reading {url}", "timed out", True)
        chunks.append(chunk)
    return b"".join(chunks)


def read_source(source: str, limits: FetchLimits) -> Page:
    """A URL, a local file or `-` (stdin), as a Page."""
    if is_url(source):
        resp = fetch(source, limits)
        return Page(html=resp.text, url=resp.url)
    if source == "-":
        data = _read_capped(sys.stdin.buffer, limits.max_page_bytes, "standard input")
    else:
        data = read_file(source, limits.max_page_bytes, f"no such file: {source}")
    return Page(html=decode(data))


def read_file(source: str, max_bytes: int, missing: str) -> bytes:
    """A local file's bytes; InputError `missing` when it is not a file, or when over max_bytes."""
    path = Path(source)
    if path.is_dir():
        raise InputError(f"{source} is a folder, not a file")
    if not path.is_file():
        raise InputError(missing)
    try:
        with path.open("rb") as fh:
            return _read_capped(fh, max_bytes, source)
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc.strerror}") from exc


def _read_capped(stream: BinaryIO, max_bytes: int, origin: str) -> bytes:
    # One byte past the cap tells "exactly max_bytes" from "larger" without reading it all.
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(f"{origin} is larger than {max_bytes} bytes")
    return data
