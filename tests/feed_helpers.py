"""Feed test helpers: a news site on the test server, one batch config, a podcast read back."""

from __future__ import annotations

import hashlib
import io
import json
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from html import escape
from pathlib import Path

import feedparser
from lxml import etree

from narrate.config import AI_DISCLOSURE, Channel, FetchLimits
from narrate.feed import batch, podcast
from tests.http_server import Server

NS = {"itunes": podcast.ITUNES, "podcast": podcast.PODCAST}
LIMITS = FetchLimits(allow_private=True, timeout_s=5.0)
BASE_URL = "https://pod.example/valley/"
ARTICLES = {
    "bridge": (
        "Bridge reopens after repairs",
        [
            "The old bridge opened again on Monday after two months of repairs.",
            "Drivers said the trip to town is now ten minutes shorter.",
        ],
    ),
    "river": (
        "River levels rise in the valley",
        [
            "The river rose by two metres overnight after heavy rain.",
            "Officials expect the water to fall again by the weekend.",
        ],
    ),
    "school": (
        "School opens a new library",
        [
            "The primary school opened its new library on Friday.",
            "Pupils chose most of the first thousand books themselves.",
        ],
    ),
    "market": (
        "Farmers market moves to the square",
        [
            "The weekly farmers market will move to the town square in June.",
            "Stall holders said the new site has more shade.",
        ],
    ),
}


@dataclass
class Post:
    slug: str
    title: str
    paragraphs: list[str]
    day: int
    """Days after 1 May 2024; a higher day is newer."""
    path: str = ""
    content: str = ""
    """content:encoded for the feed, when any."""
    link: str = ""
    """What the feed gives as the link, when not the page's URL."""

    @property
    def published(self) -> datetime:
        return datetime(2024, 5, 1, 8, tzinfo=UTC) + timedelta(days=self.day)


@dataclass
class Site:
    """A news site on 127.0.0.1: pages and a feed, served with ETags and conditional GET."""

    server: Server
    posts: list[Post] = field(default_factory=list)
    build: int = 0

    def url(self, path: str) -> str:
        return self.server.url(path)

    def serve(self, path: str, body: bytes | str, ctype: str = "text/html; charset=utf-8") -> str:
        data = body.encode() if isinstance(body, str) else body
        etag = '"' + hashlib.sha1(data).hexdigest()[:16] + '"'
        return self.server.page(path, data, ctype, etag=etag)

    def add(self, slug: str, day: int, key: str | None = None, **kw: object) -> Post:
        title, paragraphs = ARTICLES[key or slug]
        post = Post(slug, title, list(paragraphs), day, path=f"/news/{slug}.html", **kw)  # type: ignore[arg-type]
        self.posts.append(post)
        self.serve(post.path, page(post.title, post.paragraphs))
        self.publish()
        return post

    def edit(self, slug: str, index: int, text: str) -> None:
        post = next(p for p in self.posts if p.slug == slug)
        post.paragraphs[index] = text
        self.serve(post.path, page(post.title, post.paragraphs))
        self.publish()

    def publish(self) -> str:
        """(Re)write the feed; lastBuildDate changes with every call, as a CMS's does."""
        self.build += 1
        items = "".join(
            f"<item><title>{escape(p.title)}</title><link>{p.link or self.url(p.path)}</link>"
            f"<guid isPermaLink='false'>tag:valley.example,2024:{p.slug}</guid>"
            f"<pubDate>{format_datetime(p.published, usegmt=True)}</pubDate>"
            f"<description>{escape(p.title)}: a short summary.</description>"
            + (f"<content:encoded>{escape(p.content)}</content:encoded>" if p.content else "")
            + "</item>"
            for p in self.posts
        )
        rss = (
            "<?xml version='1.0' encoding='utf-8'?>"
            "<rss version='2.0' xmlns:content='http://purl.org/rss/1.0/modules/content/'>"
            f"<channel><title>Valley News</title><link>{self.url('/')}</link>"
            "<description>News from the valley.</description><language>en</language>"
            f"<lastBuildDate>build {self.build}</lastBuildDate>{items}</channel></rss>"
        )
        return self.serve("/feed.xml", rss, "application/rss+xml; charset=utf-8")

    @property
    def feed_url(self) -> str:
        return self.url("/feed.xml")


def page(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}"
        f"</title></head><body><article><h1>{escape(title)}</h1>{body}</article></body></html>"
    )


def rss(base: str, items: list[tuple[str, str]]) -> str:
    """An RSS feed of (title, link) items, newest first."""
    start = datetime(2024, 5, 20, 8, tzinfo=UTC)
    body = "".join(
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
        f"<guid isPermaLink='false'>tag:hostile.example,2024:{i}</guid>"
        f"<pubDate>{format_datetime(start - timedelta(hours=i), usegmt=True)}</pubDate></item>"
        for i, (title, link) in enumerate(items)
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Hostile News</title><link>{base}/</link><description>d</description>"
        f"{body}</channel></rss>"
    )


def feed_config(feed_url: str, out: Path, **kw: object) -> batch.BatchConfig:
    """The batch settings the tests share: one feed, loopback allowed, no disclaimer."""
    values: dict[str, object] = {
        "feeds": (feed_url,),
        "out": out,
        "base_url": BASE_URL,
        "disclaimer": None,
        "workers": 1,
        "limits": LIMITS,
        "channel": Channel(owner_email="ann@valley.example"),
    }
    values.update(kw)
    return batch.BatchConfig(**values)  # type: ignore[arg-type]


SHOW_URL = "https://pod.example/show/"
"""Where the podcast of the rendering tests is published."""


def podcast_channel(**kw: object) -> podcast.Channel:
    """The show the rendering tests share, every field set; kw overrides."""
    values: dict[str, object] = {
        "title": "Valley News, narrated",
        "description": "Local news read aloud.",
        "link": "https://valley.example/",
        "feed_url": SHOW_URL + "feed.xml",
        "image_url": SHOW_URL + "cover.png",
        "language": "en",
        "author": "Valley News",
        "owner_name": "Ann Editor",
        "owner_email": "ann@valley.example",
        "category": ("News", "Daily News"),
    }
    values.update(kw)
    return podcast.Channel(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Published:
    guid: str
    title: str
    audio: str
    length: int
    transcript: str
    chapters: str


def read_feed(out: Path) -> list[Published]:
    """The feed's items, checked against the tag rules and the files on disk."""
    data = (out / "feed.xml").read_bytes()
    parsed = feedparser.parse(io.BytesIO(data))
    assert not parsed.bozo, parsed.get("bozo_exception")
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    ch = root.find("channel")
    assert ch is not None
    for path in (
        "title",
        "description",
        "link",
        "language",
        "itunes:image/@href",
        "itunes:category/@text",
        "itunes:explicit",
        "itunes:owner/itunes:name",
        "itunes:owner/itunes:email",
        "itunes:author",
        "podcast:guid",
        "podcast:locked",
    ):
        assert ch.xpath(path, namespaces=NS), path
    assert ch.xpath("string(podcast:guid)", namespaces=NS) == podcast.podcast_guid(
        BASE_URL + "feed.xml"
    )
    assert ch.xpath("string(itunes:image/@href)", namespaces=NS) == BASE_URL + "cover.png"
    assert png_size((out / "cover.png").read_bytes()) == (1400, 1400)
    items = []
    dates = []
    for item in ch.findall("item"):

        def x(path: str, item: etree._Element = item) -> str:
            return str(item.xpath(f"string({path})", namespaces=NS))

        audio = x("enclosure/@url")
        assert audio.startswith(BASE_URL + "episodes/") and x("enclosure/@type") == "audio/mpeg"
        rel = audio.removeprefix(BASE_URL)
        length = int(x("enclosure/@length"))
        assert (out / rel).stat().st_size == length
        assert x("guid/@isPermaLink") == "false"
        assert AI_DISCLOSURE in x("description")
        assert int(x("itunes:duration")) > 0
        assert x("link").startswith("http://127.0.0.1:")
        transcript = x("podcast:transcript/@url").removeprefix(BASE_URL)
        chapters = x("podcast:chapters/@url").removeprefix(BASE_URL)
        assert x("podcast:transcript/@type") == "text/vtt"
        assert x("podcast:transcript/@rel") == "captions"
        assert x("podcast:chapters/@type") == "application/json+chapters"
        assert (out / transcript).read_text().startswith("WEBVTT")
        json.loads((out / chapters).read_text())
        dates.append(parsedate_to_datetime(x("pubDate")))
        items.append(Published(x("guid"), x("title"), rel, length, transcript, chapters))
    assert dates == sorted(dates, reverse=True), "newest first"
    files = {p.relative_to(out).as_posix() for p in (out / "episodes").iterdir()}
    extra = {i.audio.removesuffix(".mp3") + s for i in items for s in (".srt", ".transcript.json")}
    assert files == {f for i in items for f in (i.audio, i.transcript, i.chapters)} | extra
    assert not [p for p in out.rglob("*.part")]
    return items


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, from its IHDR chunk."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n") or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return width, height
