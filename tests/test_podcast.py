"""The published feed: Apple Podcasts / Podcasting 2.0 tags by XPath, hostile text, cover art."""

from __future__ import annotations

import io
import re
import struct
import zlib
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from narrate.config import AI_DISCLOSURE
from narrate.feed import podcast
from tests.feed_helpers import SHOW_URL as BASE
from tests.feed_helpers import png_size
from tests.feed_helpers import podcast_channel as channel

NS = {"itunes": podcast.ITUNES, "podcast": podcast.PODCAST, "atom": podcast.ATOM}
WHEN = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)


def entry(n: int = 1, **kw: object) -> podcast.EpisodeEntry:
    values: dict[str, object] = {
        "guid": f"guid-{n}",
        "title": f"Story {n}",
        "published": WHEN - timedelta(days=n),
        "audio_url": f"{BASE}episodes/story-{n}.mp3",
        "audio_bytes": 1000 + n,
        "duration_ms": 61_500,
        "link": f"https://valley.example/{n}",
        "description": f"Summary {n}.",
        "transcript_url": f"{BASE}episodes/story-{n}.vtt",
        "chapters_url": f"{BASE}episodes/story-{n}.chapters.json",
        "language": "en",
    }
    values.update(kw)
    return podcast.EpisodeEntry(**values)  # type: ignore[arg-type]


def parse(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.fromstring(data, parser)


def one(root: etree._Element, path: str) -> str:
    found = root.xpath(path, namespaces=NS)
    assert isinstance(found, list) and len(found) == 1, (path, found)
    value = found[0]
    return value if isinstance(value, str) else (value.text or "")


def test_channel_tags() -> None:
    root = parse(podcast.render(channel(locked=True), [entry(1), entry(2)]))
    assert root.tag == "rss" and root.get("version") == "2.0"
    c = "/rss/channel/"
    assert one(root, c + "title") == "Valley News, narrated"
    assert one(root, c + "link") == "https://valley.example/"
    assert one(root, c + "description") == f"Local news read aloud.\n\n{AI_DISCLOSURE}"
    assert one(root, c + "language") == "en"
    assert one(root, c + "itunes:image/@href") == BASE + "cover.png"
    assert one(root, c + "itunes:category/@text") == "News"
    assert one(root, c + "itunes:category/itunes:category/@text") == "Daily News"
    assert one(root, c + "itunes:explicit") == "false"
    assert one(root, c + "itunes:author") == "Valley News"
    assert one(root, c + "itunes:owner/itunes:name") == "Ann Editor"
    assert one(root, c + "itunes:owner/itunes:email") == "ann@valley.example"
    assert one(root, c + "podcast:guid") == podcast.podcast_guid(BASE + "feed.xml")
    assert one(root, c + "podcast:locked") == "yes"
    assert one(root, c + "podcast:locked/@owner") == "ann@valley.example"
    assert one(root, c + "atom:link[@rel='self']/@href") == BASE + "feed.xml"
    assert one(root, c + "lastBuildDate") == "Tue, 30 Apr 2024 08:30:00 GMT"


def test_item_tags() -> None:
    root = parse(podcast.render(channel(), [entry(1)]))
    i = "/rss/channel/item/"
    assert one(root, i + "title") == "Story 1"
    assert one(root, i + "link") == "https://valley.example/1"
    assert one(root, i + "guid") == "guid-1"
    assert one(root, i + "guid/@isPermaLink") == "false"
    assert one(root, i + "pubDate") == "Tue, 30 Apr 2024 08:30:00 GMT"
    description = one(root, i + "description")
    assert description.startswith("Summary 1.") and AI_DISCLOSURE in description
    assert one(root, i + "enclosure/@url") == BASE + "episodes/story-1.mp3"
    assert one(root, i + "enclosure/@length") == "1001"
    assert one(root, i + "enclosure/@type") == "audio/mpeg"
    assert one(root, i + "itunes:duration") == "62"
    assert one(root, i + "podcast:transcript/@url") == BASE + "episodes/story-1.vtt"
    assert one(root, i + "podcast:transcript/@type") == "text/vtt"
    assert one(root, i + "podcast:transcript/@rel") == "captions"
    assert one(root, i + "podcast:chapters/@url") == BASE + "episodes/story-1.chapters.json"
    assert one(root, i + "podcast:chapters/@type") == "application/json+chapters"


def test_permalink_guid() -> None:
    url = "https://valley.example/story"
    root = parse(podcast.render(channel(), [entry(1, guid=url, link=url)]))
    assert one(root, "/rss/channel/item/guid/@isPermaLink") == "true"


def test_items_keep_the_given_order_and_feedparser_reads_it_cleanly() -> None:
    data = podcast.render(channel(), [entry(1), entry(2), entry(3)])
    parsed = feedparser.parse(io.BytesIO(data))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert [e.id for e in parsed.entries] == ["guid-1", "guid-2", "guid-3"]
    assert parsed.entries[0].enclosures[0]["length"] == "1001"
    assert parsed.feed.podcast_guid == podcast.podcast_guid(BASE + "feed.xml")


def test_no_owner_email_means_no_email_element() -> None:
    root = parse(podcast.render(channel(owner_email=None, owner_name=None), []))
    assert one(root, "/rss/channel/itunes:owner/itunes:name") == "Valley News"
    assert root.xpath("//itunes:email", namespaces=NS) == []
    assert root.xpath("/rss/channel/podcast:locked/@owner", namespaces=NS) == []


def test_podcast_guid_matches_the_spec_example() -> None:
    # From the podcast namespace's own documentation of <podcast:guid>.
    expected = "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert podcast.podcast_guid("https://mp3s.nashownotes.com/pc20rss.xml") == expected
    assert podcast.podcast_guid("http://mp3s.nashownotes.com/pc20rss.xml/") == expected
    assert podcast.podcast_guid("mp3s.nashownotes.com/pc20rss.xml") == expected


_pieces = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(list("<>&\"'\x00\x01\x0b\x1b\x7f\x85\u200f\u202e\u2066\ufffe")),
    st.sampled_from(["😀", "مرحبا", "שלום", "]]>", "<b>x</b>", "&amp;", "\r\n"]),
)
hostile = st.lists(_pieces, max_size=30).map("".join)


def _lines(text: str) -> str:
    """XML parsers read every line ending as \\n."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@settings(max_examples=80, deadline=None)
@given(title=hostile, description=hostile, author=hostile)
def test_any_text_makes_valid_xml(title: str, description: str, author: str) -> None:
    data = podcast.render(
        channel(title=title or "x", author=author or "x"),
        [entry(1, title=title, description=description, author=author)],
    )
    root = parse(data)  # well-formed or it raises
    assert one(root, "/rss/channel/item/title") == (podcast.one_line(title) or "Untitled")
    text = one(root, "/rss/channel/item/description")
    assert _lines(podcast.xml_text(description).strip()) in _lines(text)
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e]", text)
    assert not feedparser.parse(io.BytesIO(data)).bozo


@settings(max_examples=200, deadline=None)
@given(title=hostile, guid=st.text(max_size=40), digest=st.text(max_size=64))
def test_any_title_makes_a_safe_file_name(title: str, guid: str, digest: str) -> None:
    stem = podcast.episode_stem(title, guid, digest)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*-[0-9a-f]{10}", stem), stem
    assert len(stem) <= 71
    assert podcast.episode_stem(title, guid, digest) == stem
    assert podcast.episode_stem(title, guid, digest + "x") != stem


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("River levels rise", "river-levels-rise"),
        ("Ça coûte 5 €!", "ca-coute-5"),
        ("../../etc/passwd", "etc-passwd"),
        ("مرحبا بالعالم", "episode"),
        ("", "episode"),
        ("CON", "con"),
    ],
)
def test_slugs(title: str, slug: str) -> None:
    assert podcast.episode_stem(title, "g", "h").rsplit("-", 1)[0] == slug


def test_cover_is_a_valid_square_png() -> None:
    data = podcast.cover_png("Valley News")
    assert png_size(data) == (1400, 1400)
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc
        chunks[kind] = body
        pos += 12 + length
    raw = zlib.decompress(chunks[b"IDAT"])
    assert len(raw) == 1400 * (1 + 1400 * 3)
    stride = 1 + 1400 * 3
    middle = raw[700 * stride + 1 : 701 * stride]
    pixels = {middle[x : x + 3] for x in range(0, len(middle), 3)}
    assert len(pixels) == 3  # across the middle: background, disc and waveform bars
    assert raw[1:4] in pixels and raw[1:4] != middle[700 * 3 : 700 * 3 + 3]  # corner ≠ centre
    assert podcast.cover_png("Valley News") == data
    assert podcast.cover_png("Other show") != data
