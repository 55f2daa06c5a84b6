"""The published podcast: RSS 2.0 with the itunes and Podcasting 2.0 namespaces, and cover art.

The XML is built as an element tree (never by string concatenation) from plain records, with every
text and attribute stripped of characters XML 1.0 cannot carry.
"""

from __future__ import annotations

import colorsys
import hashlib
import logging
import math
import re
import struct
import unicodedata
import uuid
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from narrate.audio.transcript import timestamp
from narrate.config import AI_DISCLOSURE, VERSION
from narrate.files import slug
from narrate.models import ChapterMark

log = logging.getLogger(__name__)

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
ATOM = "http://www.w3.org/2005/Atom"
PSC = "http://podlove.org/simple-chapters"
"""Podlove Simple Chapters: inline chapters, the form gPodder's parser reads."""
NAMESPACES = {"itunes": ITUNES, "podcast": PODCAST, "atom": ATOM, "psc": PSC}
for _prefix, _uri in NAMESPACES.items():
    ET.register_namespace(_prefix, _uri)

PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
"""The podcast namespace's UUIDv5 namespace for podcast:guid."""

COVER_SIZE = 1400
"""Apple Podcasts asks for square artwork of 1400 to 3000 pixels."""


# XML 1.0 forbids C0 controls except tab/newline/return, and surrogates and U+FFFE/U+FFFF;
# C1 controls and bidi overrides are legal but only ever garbage or spoofing in a title.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Channel:
    """The show: what Apple Podcasts and Podcasting 2.0 apps read from the channel."""

    title: str
    description: str
    link: str
    """The show's web page (the source site, else the base URL)."""
    feed_url: str
    """Where feed.xml is served (base URL + feed.xml)."""
    image_url: str
    """Square artwork, 1400–3000 px, JPEG or PNG."""
    language: str = "en"
    author: str = "narrate"
    owner_name: str | None = None
    owner_email: str | None = None
    category: tuple[str, ...] = ("News",)
    """Apple category, then optional subcategory."""
    explicit: bool = False
    locked: bool = False
    """podcast:locked: ask other platforms not to import the feed."""
    guid: str | None = None
    """podcast:guid; None derives it from feed_url."""


@dataclass(frozen=True)
class EpisodeEntry:
    """One published episode as the feed lists it."""

    guid: str
    title: str
    published: datetime
    audio_url: str
    audio_bytes: int
    duration_ms: int
    link: str | None = None
    """The original article."""
    description: str = ""
    """Plain text; the AI-voice disclosure is appended when rendering."""
    transcript_url: str | None = None
    chapters_url: str | None = None
    language: str | None = None
    author: str | None = None
    chapter_marks: tuple[ChapterMark, ...] = ()
    """The chapters again, inline as psc:chapters, for apps that read no JSON chapters."""
    srt_url: str | None = None
    """The transcript as SubRip, for apps that read no VTT."""
    json_transcript_url: str | None = None
    """The transcript as Podcasting 2.0 JSON."""
    image_url: str | None = None
    """The episode's own square artwork (the article's lead image); None: the show's."""


def podcast_guid(feed_url: str) -> str:
    """podcast:guid per the namespace spec: UUIDv5 of the feed URL minus scheme and trailing '/'."""
    bare = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", feed_url.strip()).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


def xml_text(text: str | None) -> str:
    """Text safe for XML 1.0: NFC, no control or bidi-override characters."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    return _BIDI_CONTROLS.sub("", _NOT_XML.sub("", text))


def one_line(text: str | None) -> str:
    """xml_text with all white space collapsed, for titles."""
    return " ".join(xml_text(text).split())


def episode_stem(title: str, guid: str, content_hash: str) -> str:
    """A file name stem: ASCII slug of the title plus a short hash of (GUID, content)."""
    stem = slug(title) or "episode"
    digest = hashlib.sha256(f"{guid}\0{content_hash}".encode()).hexdigest()[:10]
    return f"{stem}-{digest}"


def _sub(parent: ET.Element, tag: str, body: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if body is not None:
        el.text = xml_text(body)
    return el


def _it(name: str) -> str:
    return f"{{{ITUNES}}}{name}"


def _pc(name: str) -> str:
    return f"{{{PODCAST}}}{name}"


def rfc822(when: datetime) -> str:
    """An RSS date (RFC 2822, GMT)."""
    return format_datetime(when.astimezone(UTC), usegmt=True)


def render(channel: Channel, entries: Sequence[EpisodeEntry]) -> bytes:
    """The feed document, UTF-8, entries in the order given (newest first expected)."""
    category = channel.category
    rss = ET.Element("rss", {"version": "2.0"})
    ch = _sub(rss, "channel")
    _sub(ch, "title", one_line(channel.title))
    _sub(ch, "link", channel.link)
    description = channel.description.strip()
    if AI_DISCLOSURE not in description:
        description = f"{description}\n\n{AI_DISCLOSURE}".strip()
    _sub(ch, "description", description)
    _sub(ch, "language", channel.language)
    _sub(ch, "generator", f"narrate {VERSION}")
    if entries:
        _sub(ch, "lastBuildDate", rfc822(max(e.published for e in entries)))
    _sub(ch, f"{{{ATOM}}}link", href=channel.feed_url, rel="self", type="application/rss+xml")
    image = _sub(ch, "image")
    _sub(image, "url", channel.image_url)
    _sub(image, "title", one_line(channel.title))
    _sub(image, "link", channel.link)
    _sub(ch, _it("image"), href=channel.image_url)
    top = _sub(ch, _it("category"), text=category[0])
    if len(category) > 1:
        _sub(top, _it("category"), text=category[1])
    _sub(ch, _it("explicit"), "true" if channel.explicit else "false")
    _sub(ch, _it("author"), one_line(channel.author))
    if not channel.owner_email:
        log.warning(
            "no owner_email in the feed settings: Apple Podcasts needs itunes:owner/itunes:email "
            "to confirm who owns the show"
        )
    owner = _sub(ch, _it("owner"))
    _sub(owner, _it("name"), one_line(channel.owner_name or channel.author))
    if channel.owner_email:
        _sub(owner, _it("email"), channel.owner_email)
    _sub(ch, _it("type"), "episodic")
    _sub(ch, _it("summary"), description)
    _sub(ch, _pc("guid"), channel.guid or podcast_guid(channel.feed_url))
    locked = {"owner": channel.owner_email} if channel.owner_email else {}
    _sub(ch, _pc("locked"), "yes" if channel.locked else "no", **locked)
    for entry in entries:
        _item(ch, entry, channel)
    ET.indent(rss, space="  ")
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True) + b"\n"


def _item(ch: ET.Element, entry: EpisodeEntry, channel: Channel) -> None:
    item = _sub(ch, "item")
    _sub(item, "title", one_line(entry.title) or "Untitled")
    if entry.link:
        _sub(item, "link", entry.link)
    permalink = entry.guid == entry.link and entry.guid.startswith(("http://", "https://"))
    _sub(item, "guid", entry.guid, isPermaLink="true" if permalink else "false")
    _sub(item, "pubDate", rfc822(entry.published))
    description = "\n\n".join(p for p in (entry.description.strip(), AI_DISCLOSURE) if p)
    _sub(item, "description", description)
    _sub(
        item,
        "enclosure",
        url=entry.audio_url,
        length=str(entry.audio_bytes),
        type="audio/mpeg",
    )
    _sub(item, _it("title"), one_line(entry.title) or "Untitled")
    if entry.image_url:
        _sub(item, _it("image"), href=entry.image_url)
    _sub(item, _it("duration"), str(max(1, math.ceil(entry.duration_ms / 1000))))
    _sub(item, _it("explicit"), "true" if channel.explicit else "false")
    _sub(item, _it("episodeType"), "full")
    if entry.author:
        _sub(item, _it("author"), one_line(entry.author))
    if entry.transcript_url:
        attrs = {"url": entry.transcript_url, "type": "text/vtt", "rel": "captions"}
        if entry.language:
            attrs["language"] = entry.language
        _sub(item, _pc("transcript"), **attrs)
    for url, kind in (
        (entry.srt_url, "application/x-subrip"),
        (entry.json_transcript_url, "application/json"),
    ):
        if url:
            extra = {"url": url, "type": kind}
            if entry.language:
                extra["language"] = entry.language
            _sub(item, _pc("transcript"), **extra)
    if entry.chapters_url:
        _sub(item, _pc("chapters"), url=entry.chapters_url, type="application/json+chapters")
    if entry.chapter_marks:
        psc = _sub(item, f"{{{PSC}}}chapters", version="1.2")
        for mark in entry.chapter_marks:
            _sub(
                psc, f"{{{PSC}}}chapter", start=timestamp(mark.start_ms), title=one_line(mark.title)
            )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def cover_png(seed: str, size: int = COVER_SIZE) -> bytes:
    """A square RGB PNG: a colour field, a disc and a waveform, its hues chosen by seed."""
    hue = int(hashlib.sha256(seed.encode()).hexdigest()[:4], 16) / 0xFFFF

    def rgb(h: float, lum: float, sat: float) -> bytes:
        return bytes(round(c * 255) for c in colorsys.hls_to_rgb(h % 1.0, lum, sat))

    back, disc, wave = rgb(hue, 0.22, 0.45), rgb(hue + 0.45, 0.62, 0.75), rgb(hue, 0.16, 0.5)
    centre, radius = size / 2, size * 0.36
    bars = 13
    bar_w = size * 0.032
    gap = (2 * radius * 0.78 - bars * bar_w) / (bars - 1)
    left = centre - radius * 0.78
    heights = [size * (0.06 + 0.22 * abs(math.sin(1.7 * i + hue * 6))) for i in range(bars)]
    rows = bytearray()
    base = back * size
    for y in range(size):
        row = bytearray(base)
        dy = y + 0.5 - centre
        if abs(dy) < radius:
            half = math.sqrt(radius * radius - dy * dy)
            x0, x1 = round(centre - half), round(centre + half)
            row[3 * x0 : 3 * x1] = disc * (x1 - x0)
            for i, h in enumerate(heights):
                if abs(dy) < h / 2:
                    b0 = round(left + i * (bar_w + gap))
                    b1 = round(b0 + bar_w)
                    row[3 * b0 : 3 * b1] = wave * (b1 - b0)
        rows += b"\x00" + row
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _chunk(b"IEND", b"")
    )
