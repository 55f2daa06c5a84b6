"""Reading input feeds: a URL (conditionally) or a file; RSS 0.9x/1.0/2.0, Atom, JSON Feed, OPML.

feedparser reads the XML formats here (leniently: most broken feeds still yield their items);
jsonfeed.py and opml.py read theirs with the standard library. No parser is ever given a URL.
"""

from __future__ import annotations

import calendar
import io
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from xml.sax import SAXParseException

import feedparser

from narrate.article.fetch import fetch, read_file
from narrate.config import FetchLimits, is_url
from narrate.errors import InputError
from narrate.feed import jsonfeed, opml
from narrate.feed.entry import (
    About,
    Entry,
    Feed,
    absolute,
    clean_text,
    html_to_text,
    make_entry,
    make_feed,
)

log = logging.getLogger(__name__)

_CHARREF = re.compile(rb"&#([xX][0-9a-fA-F]+|[0-9]+);")


@dataclass(frozen=True)
class Fetched:
    """The result of a conditional read: a Feed, or `unchanged` when the server says 304."""

    status: Literal["new", "unchanged"]
    feed: Feed | None = None
    etag: str | None = None
    last_modified: str | None = None


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
            not is_url(source) and opml.sniff(source)
        ):
            raw = _read(source, limits)
            listed = opml.parse(raw.data, base_url=raw.url)
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
        return jsonfeed.parse(data, source, base_url)
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
    image = meta.get("image", {}).get("href") or meta.get("image", {}).get("url")
    about = About(
        title=clean_text(meta.get("title")),
        link=meta.get("link") or None,
        description=html_to_text(meta.get("subtitle") or meta.get("description") or "") or None,
        language=(meta.get("language") or None),
        author=clean_text(meta.get("author")) or None,
        image=image or None,
    )
    entries = (_entry(e, base_url) for e in parsed.entries)
    feed = make_feed(source, about, entries, version or "unknown", problem)
    syntax = parsed.get("bozo_exception")
    if not feed.entries and isinstance(syntax, SAXParseException):
        # Lenient parsing gave nothing: the document is broken, not an empty feed.
        where = f"{syntax.getMessage()} (line {syntax.getLineNumber()})"
        raise InputError(f"{source} is not a readable feed: {where}")
    if problem:
        log.warning("%s: not well-formed (%s); read leniently", source, problem)
    return feed


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
    link = absolute(e.get("link"), base_url)
    raw_id = (e.get("id") or e.get("guid") or "").strip()
    contents = [c.get("value", "") for c in e.get("content", []) if c.get("value")]
    summary_html = e.get("summary") or e.get("description") or ""
    content_html = max(contents, key=len) if contents else summary_html
    title = clean_text(e.get("title")) or html_to_text(summary_html)[:80] or (link or "")
    if not (raw_id or link or content_html or title):
        return None
    # dict.get: feedparser maps a missing updated_parsed to published_parsed with a warning.
    published = _struct_time(e.get("published_parsed") or dict.get(e, "updated_parsed"))
    return make_entry(
        raw_id,
        link,
        title,
        html_to_text(summary_html),
        content_html,
        clean_text(e.get("author")),
        published,
    )


def _struct_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def describe(feed: Feed, limit: int = 5) -> Sequence[str]:
    """A few human-readable lines about a feed, for diagnostics and scripts/eval_feeds.py."""
    lines = [f"{feed.kind}: {feed.about.title!r} — {len(feed.entries)} items"]
    if feed.warning:
        lines.append(f"  warning: {feed.warning}")
    for entry in feed.entries[:limit]:
        when = entry.published.date().isoformat() if entry.published else "undated"
        lines.append(f"  {when}  {entry.title[:70]!r}  {entry.link or '(no link)'}")
    return lines
