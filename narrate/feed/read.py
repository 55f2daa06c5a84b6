"""Input feeds: RSS 0.9x/1.0/2.0, Atom and JSON Feed items, and OPML lists of feeds.

feedparser reads the XML formats (leniently: most broken feeds still yield their items); JSON Feed
and OPML are read here with the standard library. Neither parser is ever given a URL.
"""

from __future__ import annotations

import calendar
import io
import json
import logging
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit
from xml.sax import SAXParseException

import feedparser

from narrate.article.fetch import decode, fetch, read_file
from narrate.config import FetchLimits
from narrate.errors import InputError
from narrate.speech.clean import clean

log = logging.getLogger(__name__)

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_TRACKING = re.compile(r"^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid)$", re.I)
_SPACE = re.compile(r"\s+")
_CHARREF = re.compile(rb"&#([xX][0-9a-fA-F]+|[0-9]+);")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Entry:
    """One item of an input feed, as the feed describes it."""

    key: str
    """Stable identity within its feed: the item's guid/id, else its canonical link."""
    guid: str
    """The GUID the episode gets: the feed's guid/id, else a UUIDv5 of the canonical link."""
    title: str
    link: str | None = None
    """The article's address, absolute."""
    summary: str = ""
    """The feed's short description, as plain text."""
    content_html: str = ""
    """The feed's fullest body (content:encoded, Atom content, JSON content_html), else summary."""
    author: str | None = None
    published: datetime | None = None
    """Publication (else update) time, UTC."""


@dataclass(frozen=True)
class About:
    """What an input feed says about itself; the state keeps it as read, the channel draws on it."""

    title: str | None = None
    link: str | None = None
    description: str | None = None
    """Plain text."""
    language: str | None = None
    author: str | None = None
    image: str | None = None


@dataclass(frozen=True)
class Feed:
    """An input feed: what it says about itself and its items, in feed order."""

    source: str
    """The URL or path it was read from."""
    about: About
    entries: tuple[Entry, ...]
    kind: str = "rss"
    """`rss20`, `atom10`, `rss10`, `json`, … (feedparser's version names, or `json`)."""
    warning: str | None = None
    """Why the document is not well-formed, when it was read anyway."""


@dataclass(frozen=True)
class Fetched:
    """The result of a conditional read: a Feed, or `unchanged` when the server says 304."""

    status: Literal["new", "unchanged"]
    feed: Feed | None = None
    etag: str | None = None
    last_modified: str | None = None


def is_url(source: str) -> bool:
    """True when source has a URL scheme rather than being a local path."""
    return bool(_URL.match(source))


def canonical_url(url: str) -> str:
    """The URL with scheme and host lowercased, default port, fragment and tracking tags dropped."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a malformed port or host: keep the URL as written, minus the fragment
        return url.strip().split("#", 1)[0]
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if port and (scheme, port) in (("http", 80), ("https", 443)):
        port = None
    netloc = f"[{host}]" if ":" in host else host
    if port:
        netloc += f":{port}"
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not _TRACKING.match(k)
        ]
    )
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def url_guid(url: str) -> str:
    """The GUID of an item that has none: a UUIDv5 of its canonical URL."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, canonical_url(url)))


class _Text(HTMLParser):
    _BLOCK = frozenset(
        {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr"}
    )
    _SKIP = frozenset({"script", "style", "template", "noscript"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self.skipping:
            self.skipping -= 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment, white space collapsed (block breaks become spaces)."""
    if "<" not in html and "&" not in html:
        return _SPACE.sub(" ", html).strip()
    parser = _Text()
    parser.feed(html)
    parser.close()
    return _SPACE.sub(" ", "".join(parser.parts)).strip()


@dataclass(frozen=True)
class _Raw:
    status: Literal["new", "unchanged"]
    data: bytes
    content_type: str = ""
    url: str | None = None
    etag: str | None = None
    last_modified: str | None = None


def _read(
    source: str, limits: FetchLimits, etag: str | None = None, last_modified: str | None = None
) -> _Raw:
    """Fetch a URL (conditionally) or read a file."""
    if is_url(source):
        resp = fetch(source, limits, kind="feed", etag=etag, last_modified=last_modified)
        return _Raw(
            "unchanged" if resp.status == 304 else "new",
            resp.content,
            resp.headers.get("content-type", ""),
            resp.url,
            resp.etag or etag,
            resp.last_modified or last_modified,
        )
    missing = f"no such feed file: {source} (give a feed URL, a feed file or an OPML file)"
    return _Raw("new", read_file(source, limits.max_feed_bytes, missing))


def load(
    source: str,
    limits: FetchLimits,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Fetched:
    """Read one feed (URL or file), conditionally when etag/last_modified are known."""
    raw = _read(source, limits, etag, last_modified)
    if raw.status == "unchanged":
        return Fetched("unchanged", None, raw.etag, raw.last_modified)
    feed = parse_feed(raw.data, source=source, base_url=raw.url, content_type=raw.content_type)
    return Fetched("new", feed, raw.etag, raw.last_modified)


def expand_sources(sources: Iterable[str], limits: FetchLimits) -> list[str]:
    """The feeds to read: each source itself, or the feeds listed in it when it is OPML."""
    found: list[str] = []
    for source in sources:
        if source.lower().endswith((".opml", ".ompl")) or (
            not is_url(source) and _sniff_opml(source)
        ):
            raw = _read(source, limits)
            listed = parse_opml(raw.data, base_url=raw.url)
            if not is_url(source):
                # A local OPML file may list feed files relative to itself.
                here = Path(source).parent
                listed = [
                    u if is_url(u) or Path(u).is_absolute() else str(here / u) for u in listed
                ]
            if not listed:
                raise InputError(
                    f"{source}: the OPML file lists no feeds (outline elements with xmlUrl)"
                )
            found.extend(listed)
        else:
            found.append(source)
    return list(dict.fromkeys(found))


def _sniff_opml(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(2048).lower()
    except OSError:
        return False
    return b"<opml" in head


def parse_opml(data: bytes, base_url: str | None = None) -> list[str]:
    """Feed URLs listed in an OPML document (outline xmlUrl attributes), in order, deduplicated."""
    if re.search(rb"<!(DOCTYPE|ENTITY)", data[:4096], re.I):
        raise InputError("refusing an OPML file with a DOCTYPE or entity declarations")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise InputError(f"malformed OPML: {exc}") from exc
    if root.tag.lower() != "opml":
        raise InputError(f"not an OPML document (root element <{root.tag}>)")
    urls: list[str] = []
    for outline in root.iter("outline"):
        attrs = {k.lower(): v for k, v in outline.attrib.items()}
        url = (attrs.get("xmlurl") or "").strip()
        if url:
            urls.append(urljoin(base_url, url) if base_url else url)
    return list(dict.fromkeys(urls))


def parse_feed(
    data: bytes,
    *,
    source: str,
    base_url: str | None = None,
    content_type: str = "",
) -> Feed:
    """Parse RSS, Atom or JSON Feed bytes; InputError when no feed can be read from them."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")) or "json" in content_type.lower():
        return _parse_json(data, source, base_url)
    if not data.strip():
        raise InputError(f"{source}: empty document, not a feed")
    headers = {"content-location": base_url} if base_url else {}
    if content_type:
        headers["content-type"] = content_type
    try:
        parsed: Any = feedparser.parse(
            io.BytesIO(_CHARREF.sub(_safe_charref, data)),
            response_headers=headers,
            sanitize_html=True,
            resolve_relative_uris=True,
        )
    except Exception as exc:  # feedparser's lenient parser has more failure modes than it documents
        raise InputError(f"{source}: cannot read the feed ({type(exc).__name__}: {exc})") from exc
    meta = parsed.get("feed", {})
    version = parsed.get("version") or ""
    problem = _bozo_message(parsed)
    if not version and not parsed.entries:
        if re.search(rb"<(html|head|body)[\s>]", data[:4096], re.I):
            raise InputError(
                f"{source}: an HTML page, not a feed (give the site's RSS/Atom address)"
            )
        root = re.search(rb"<([A-Za-z_][\w.:-]*)[\s>/]", re.sub(rb"<[?!][^>]*>", b"", data[:4096]))
        what = problem or (f"root element <{root.group(1).decode()}>" if root else "no XML element")
        raise InputError(f"{source}: not an RSS, Atom or JSON feed ({what})")
    entries = tuple(_entries((_entry(e, base_url) for e in parsed.entries), source))
    syntax = parsed.get("bozo_exception")
    if not entries and isinstance(syntax, SAXParseException):
        # Lenient parsing gave nothing: the document is broken, not an empty feed.
        where = f"{syntax.getMessage()} (line {syntax.getLineNumber()})"
        raise InputError(f"{source} is not a readable feed: {where}")
    if problem:
        log.warning("%s: not well-formed (%s); read leniently", source, problem)
    image = meta.get("image", {}).get("href") or meta.get("image", {}).get("url")
    about = About(
        title=_clean(meta.get("title")) or _fallback_title(source),
        link=meta.get("link") or None,
        description=html_to_text(meta.get("subtitle") or meta.get("description") or "") or None,
        language=(meta.get("language") or None),
        author=_clean(meta.get("author")) or None,
        image=image or None,
    )
    return Feed(
        source=source,
        about=about,
        entries=entries,
        kind=version or "unknown",
        warning=problem,
    )


def _safe_charref(m: re.Match[bytes]) -> bytes:
    """A character reference that no Unicode string can hold (surrogate, NUL, too big): U+FFFD."""
    ref = m.group(1)
    code = int(ref[1:], 16) if ref[:1] in b"xX" else int(ref)
    return m.group(0) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else b"&#xFFFD;"


def _bozo_message(parsed: Mapping[str, Any]) -> str | None:
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    name = type(exc).__name__ if exc is not None else "error"
    text = str(exc) if exc is not None else ""
    return f"{name}: {text}".strip(": ")


def _entry(e: Mapping[str, Any], base_url: str | None) -> Entry | None:
    link = _absolute(e.get("link"), base_url)
    raw_id = (e.get("id") or e.get("guid") or "").strip()
    contents = [c.get("value", "") for c in e.get("content", []) if c.get("value")]
    summary_html = e.get("summary") or e.get("description") or ""
    content_html = max(contents, key=len) if contents else summary_html
    title = _clean(e.get("title")) or html_to_text(summary_html)[:80] or (link or "")
    if not (raw_id or link or content_html or title):
        return None
    # dict.get: feedparser maps a missing updated_parsed to published_parsed with a warning.
    published = _struct_time(e.get("published_parsed") or dict.get(e, "updated_parsed"))
    return _make_entry(
        raw_id,
        link,
        title,
        html_to_text(summary_html),
        content_html,
        _clean(e.get("author")),
        published,
    )


def _make_entry(
    raw_id: str,
    link: str | None,
    title: str,
    summary: str,
    content_html: str,
    author: str | None,
    published: datetime | None,
) -> Entry:
    if raw_id:
        key, guid = raw_id, raw_id
    elif link:
        key = canonical_url(link)
        guid = url_guid(link)
    else:
        key = "text:" + str(uuid.uuid5(uuid.NAMESPACE_OID, title + "\n" + content_html))
        guid = key.removeprefix("text:")
    return Entry(
        key=key,
        guid=guid,
        title=title,
        link=link,
        summary=summary,
        content_html=content_html,
        author=author or None,
        published=published,
    )


def _entries(entries: Iterable[Entry | None], source: str) -> Iterable[Entry]:
    seen: set[str] = set()
    for entry in entries:
        if entry is None:
            continue
        if entry.key in seen:
            log.info("%s: duplicate item %s ignored", source, entry.key)
            continue
        seen.add(entry.key)
        yield entry


def _parse_json(data: bytes, source: str, base_url: str | None) -> Feed:
    try:
        doc = json.loads(decode(data, "application/json"))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"{source}: malformed JSON ({exc})") from exc
    if not isinstance(doc, dict) or "jsonfeed.org" not in str(doc.get("version", "")):
        raise InputError(f"{source}: JSON but not a JSON Feed (no jsonfeed.org version)")
    items = doc.get("items")
    if not isinstance(items, list):
        raise InputError(f"{source}: JSON Feed without an items list")
    base = _str(doc.get("feed_url")) or base_url

    def one(item: Any) -> Entry | None:
        if not isinstance(item, dict):
            return None
        link = _absolute(_str(item.get("url")) or _str(item.get("external_url")), base)
        html = _str(item.get("content_html")) or _escape_text(_str(item.get("content_text")))
        summary = _str(item.get("summary")) or html_to_text(html)[:300]
        title = _clean(_str(item.get("title"))) or summary[:80] or (link or "")
        raw = item.get("id")
        raw_id = (
            _str(str(raw)).strip()
            if isinstance(raw, str | int) and not isinstance(raw, bool)
            else ""
        )
        if not (raw_id or link or html):
            return None
        date = _iso_date(_str(item.get("date_published")) or _str(item.get("date_modified")))
        return _make_entry(raw_id, link, title, summary, html or summary, _author(item), date)

    about = About(
        title=_clean(_str(doc.get("title"))) or _fallback_title(source),
        link=_str(doc.get("home_page_url")) or None,
        description=_clean(_str(doc.get("description"))) or None,
        language=_str(doc.get("language")) or None,
        author=_author(doc),
        image=_str(doc.get("icon")) or None,
    )
    return Feed(
        source=source,
        about=about,
        entries=tuple(_entries((one(i) for i in items), source)),
        kind="json",
    )


def _author(obj: Mapping[str, Any]) -> str | None:
    people = obj.get("authors")
    if not isinstance(people, list):
        people = [obj.get("author")]
    names = [_clean(p.get("name")) for p in people if isinstance(p, dict)]
    return ", ".join(n for n in names if n) or None


def _str(value: Any) -> str:
    # JSON's \\ud800 escapes give lone surrogates, which no file or database can store.
    return _SURROGATE.sub("\ufffd", value) if isinstance(value, str) else ""


def _escape_text(text: str) -> str:
    return "".join(f"<p>{escape(p)}</p>" for p in text.split("\n\n") if p.strip())


def _clean(text: Any) -> str:
    return clean(html_to_text(_str(text)))


def _absolute(link: str | None, base: str | None) -> str | None:
    if not link:
        return None
    link = link.strip()
    if base and not is_url(link):
        link = urljoin(base, link)
    # A link that is still relative (a local feed file with no base) points nowhere.
    return link if is_url(link) else None


def _struct_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def _iso_date(text: str) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            value = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def _fallback_title(source: str) -> str:
    if is_url(source):
        return urlsplit(source).hostname or source
    return Path(source).stem


def describe(feed: Feed, limit: int = 5) -> Sequence[str]:
    """A few human-readable lines about a feed, for diagnostics and scripts/eval_feeds.py."""
    lines = [f"{feed.kind}: {feed.about.title!r} — {len(feed.entries)} items"]
    if feed.warning:
        lines.append(f"  warning: {feed.warning}")
    for entry in feed.entries[:limit]:
        when = entry.published.date().isoformat() if entry.published else "undated"
        lines.append(f"  {when}  {entry.title[:70]!r}  {entry.link or '(no link)'}")
    return lines
