"""The records of an input feed and the helpers every format's reader builds them with."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from narrate.config import is_url
from narrate.speech.clean import clean

log = logging.getLogger(__name__)

_TRACKING = re.compile(r"^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid)$", re.I)
_SPACE = re.compile(r"\s+")
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


def make_entry(
    raw_id: str,
    link: str | None,
    title: str,
    summary: str,
    content_html: str,
    author: str | None,
    published: datetime | None,
) -> Entry:
    """An Entry with its identity: the feed's guid/id, else the canonical link, else its text."""
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


def make_feed(
    source: str,
    about: About,
    entries: Iterable[Entry | None],
    kind: str,
    warning: str | None = None,
) -> Feed:
    """A Feed of the entries not None, each identity once; named after its source if untitled."""
    if not about.title:
        about = replace(about, title=_fallback_title(source))
    return Feed(source, about, tuple(_unique(entries, source)), kind, warning)


def _unique(entries: Iterable[Entry | None], source: str) -> Iterable[Entry]:
    """The entries that are not None, each identity once (the first wins)."""
    seen: set[str] = set()
    for entry in entries:
        if entry is None:
            continue
        if entry.key in seen:
            log.info("%s: duplicate item %s ignored", source, entry.key)
            continue
        seen.add(entry.key)
        yield entry


def safe_str(value: Any) -> str:
    """A string as storable text (lone surrogates replaced); anything else is ''."""
    # JSON's \\ud800 escapes give lone surrogates, which no file or database can store.
    return _SURROGATE.sub("\ufffd", value) if isinstance(value, str) else ""


def clean_text(text: Any) -> str:
    """A feed's title or name as clean plain text."""
    return clean(html_to_text(safe_str(text)))


def absolute(link: str | None, base: str | None) -> str | None:
    """The link made absolute against base; None when it still points nowhere."""
    if not link:
        return None
    link = link.strip()
    if base and not is_url(link):
        link = urljoin(base, link)
    # A link that is still relative (a local feed file with no base) points nowhere.
    return link if is_url(link) else None


def _fallback_title(source: str) -> str:
    """A title for a feed that gives none: its host name, or its file name."""
    if is_url(source):
        return urlsplit(source).hostname or source
    return Path(source).stem
