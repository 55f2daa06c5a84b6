"""`narrate feed` end to end against a real HTTP server on 127.0.0.1, real Piper and real SQLite.

Articles are two short paragraphs, spoken without the disclaimer, and the same texts recur across
tests so the session's clip cache keeps synthesis to a few seconds in all.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from html import escape
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from lxml import etree

from narrate.cli.feed import feed as feed_command
from narrate.config import AI_DISCLOSURE, DISCLAIMER, FetchLimits
from narrate.errors import ConfigError
from narrate.feed import batch, podcast
from narrate.feed import config as feed_settings
from narrate.feed.state import LockedError, State, locked

NS = {"itunes": podcast.ITUNES, "podcast": podcast.PODCAST}
LIMITS = FetchLimits(allow_private=True, timeout_s=5.0)
BASE_URL = "https://pod.example/valley/"
ROOT = Path(__file__).resolve().parents[1]

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
CHANGED = "The river fell again on Thursday, sooner than officials expected."
GALLERY = (
    "<html><head><title>Gallery</title></head><body><div><img src='a.jpg'></div></body></html>"
)


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

    server: object
    posts: list[Post] = field(default_factory=list)
    docs: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    build: int = 0

    def url(self, path: str) -> str:
        return self.server.url(path)  # type: ignore[attr-defined]

    def serve(self, path: str, body: bytes | str, ctype: str = "text/html; charset=utf-8") -> str:
        data = body.encode() if isinstance(body, str) else body
        self.docs[path] = (ctype, data)

        def handler(req: BaseHTTPRequestHandler) -> None:
            kind, payload = self.docs[path]
            etag = '"' + hashlib.sha1(payload).hexdigest()[:16] + '"'
            if req.headers.get("If-None-Match") == etag:
                req.send_response(304)
                req.send_header("ETag", etag)
                req.end_headers()
                return
            req.send_response(200)
            req.send_header("Content-Type", kind)
            req.send_header("ETag", etag)
            req.send_header("Content-Length", str(len(payload)))
            req.end_headers()
            req.wfile.write(payload)

        self.server.routes[path] = handler  # type: ignore[attr-defined]
        return self.url(path)

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


@pytest.fixture
def site(http_server) -> Site:  # type: ignore[no-untyped-def]
    return Site(http_server)


def config(site: Site, out: Path, **kw: object) -> batch.BatchConfig:
    return feed_config(site.feed_url, out, **kw)


def feed_config(feed_url: str, out: Path, **kw: object) -> batch.BatchConfig:
    """The batch settings the tests share: one feed, loopback allowed, no disclaimer."""
    values: dict[str, object] = {
        "feeds": (feed_url,),
        "out": out,
        "base_url": BASE_URL,
        "disclaimer": None,
        "workers": 1,
        "limits": LIMITS,
        "owner_email": "ann@valley.example",
    }
    values.update(kw)
    return batch.BatchConfig(**values)  # type: ignore[arg-type]


def guid(post: Post) -> str:
    return f"tag:valley.example,2024:{post.slug}"


def outcomes(summary: batch.RunSummary) -> dict[str, str]:
    return {i.title: i.outcome for i in (*summary.items, *summary.failed_earlier)}


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
    assert podcast.png_size((out / "cover.png").read_bytes()) == (1400, 1400)
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


# the acceptance scenario


@pytest.mark.slow
def test_publish_then_nothing_new_then_one_new_then_one_changed(site: Site, tmp_path: Path) -> None:
    for slug, day in (("bridge", 1), ("river", 2), ("school", 3)):
        site.add(slug, day)
    cfg = config(site, tmp_path / "pod")

    first = batch.run(cfg)
    assert first.exit_code == 0 and first.narrated == 3
    assert set(outcomes(first).values()) == {"published"}
    items = read_feed(cfg.out)
    assert [i.title for i in items] == [
        "School opens a new library",
        "River levels rise in the valley",
        "Bridge reopens after repairs",
    ]
    assert [i.guid for i in items] == [
        f"tag:valley.example,2024:{s}" for s in ("school", "river", "bridge")
    ]
    feed_bytes = (cfg.out / "feed.xml").read_bytes()

    second = batch.run(cfg)
    print(f"\nsecond run with nothing new: {second.elapsed_s:.2f} s")
    assert second.narrated == 0 and second.items == () and second.exit_code == 0
    assert [f.status for f in second.feeds] == ["unchanged"]
    assert (cfg.out / "feed.xml").read_bytes() == feed_bytes

    site.add("market", 4)
    third = batch.run(cfg)
    assert third.narrated == 1
    assert outcomes(third) == {
        "Farmers market moves to the square": "published",
        "School opens a new library": "unchanged",
        "River levels rise in the valley": "unchanged",
        "Bridge reopens after repairs": "unchanged",
    }
    after_add = read_feed(cfg.out)
    assert after_add[1:] == items

    site.edit("river", 1, CHANGED)
    fourth = batch.run(cfg)
    assert fourth.narrated == 1 and fourth.exit_code == 0
    assert outcomes(fourth)["River levels rise in the valley"] == "republished"
    final = read_feed(cfg.out)
    old = next(i for i in after_add if i.title.startswith("River"))
    new = next(i for i in final if i.title.startswith("River"))
    assert new.guid == old.guid
    assert new.audio != old.audio and not (cfg.out / old.audio).exists()
    assert "Thursday," in (cfg.out / new.transcript).read_text()
    assert [i for i in final if i != new] == [i for i in after_add if i != old]

    # The publisher deletes an article: its episode stays, the run reports the failure once.
    bridge = next(p for p in site.posts if p.slug == "bridge")
    site.server.routes.pop(bridge.path)  # type: ignore[attr-defined]
    site.publish()
    fifth = batch.run(cfg)
    gone = {i.guid: i for i in fifth.items}[guid(bridge)]
    assert gone.outcome == "failed" and "the published episode stays" in gone.detail
    assert fifth.exit_code == 1 and fifth.narrated == 0
    assert read_feed(cfg.out) == final
    sixth = batch.run(cfg)
    assert sixth.items == () and sixth.exit_code == 0

    # An article page turns into a gallery: nothing new to narrate, the episode stays.
    market = next(p for p in site.posts if p.slug == "market")
    site.serve(market.path, GALLERY)
    site.publish()
    gallery = batch.run(cfg)
    stays = {i.guid: i for i in gallery.items}[guid(market)]
    assert stays.outcome == "skipped" and "the episode stays" in stays.detail
    assert gallery.exit_code == 0 and read_feed(cfg.out) == final

    # Someone removes an episode file by hand: the next run narrates it again.
    school = next(i for i in final if i.title.startswith("School"))
    (cfg.out / school.audio).unlink()
    seventh = batch.run(cfg)
    assert outcomes(seventh) == {"School opens a new library": "published"}
    assert read_feed(cfg.out) == final  # same text, same file name; clips came from the cache


@pytest.mark.slow
def test_failures_stay_alone_and_retry_later(site: Site, tmp_path: Path) -> None:
    site.add("bridge", 1)
    long_text = " ".join(ARTICLES["school"][1]) + " " + "The feed carries the whole story. " * 20
    fallback = site.add("school", 2, content=f"<p>{escape(long_text)}</p>")
    site.serve(fallback.path, GALLERY)  # the page has no article: the feed's text stands in
    short = site.add("gallery", 3, key="market")
    site.serve(short.path, GALLERY)  # no article and only a summary: skipped
    missing = site.add("missing", 4, key="river")
    site.server.routes.pop(missing.path)  # type: ignore[attr-defined]
    binary = site.add("binary", 5, key="river")
    site.serve(binary.path, b"\x00\x01\x02\xff" * 64)
    slow = site.add("slow", 6, key="river")
    bad = site.add("bad", 7, key="river")
    bad.link = "http://127.0.0.1:99999/x"  # the feed lists a link with an impossible port
    site.publish()

    def crawl(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "text/html")
        req.send_header("Content-Length", str(1 << 20))
        req.end_headers()
        try:
            for _ in range(40):
                req.wfile.write(b" " * 16384)
                req.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass

    site.server.routes[slow.path] = crawl  # type: ignore[attr-defined]
    cfg = config(site, tmp_path / "pod", limits=replace(LIMITS, timeout_s=1.0))
    now = datetime(2024, 6, 1, tzinfo=UTC)
    first = batch.run(cfg, now=now)
    results = {i.title: i for i in first.items}
    assert first.exit_code == 1
    assert first.narrated == 2
    assert results["Bridge reopens after repairs"].outcome == "published"
    assert results["School opens a new library"].outcome == "published"
    assert results["Farmers market moves to the square"].outcome == "skipped"
    assert "shorter than 500 characters" in results["Farmers market moves to the square"].detail
    details = {i.guid: i.detail for i in first.items}
    assert details[guid(missing)].startswith("HTTP 404")
    assert "timed out" in details[guid(slow)] and "retry 2024-06-01T00:10:00" in details[guid(slow)]
    assert "binary data" in details[guid(binary)]
    assert "bad URL" in details[guid(bad)] or "bad port" in details[guid(bad)]
    with State.open(cfg.out) as db:
        rows = {i.link: i for i in db.items()}
    assert rows[site.url(missing.path)].last_error.startswith("HTTP 404")  # type: ignore[union-attr]
    assert not rows[site.url(missing.path)].transient
    assert "binary data" in (rows[site.url(binary.path)].last_error or "")
    assert rows[site.url(slow.path)].transient and "timed out" in (
        rows[site.url(slow.path)].last_error or ""
    )
    assert rows[site.url(slow.path)].next_retry == "2024-06-01T00:10:00+00:00"
    assert "bad URL" in (rows["http://127.0.0.1:99999/x"].last_error or "")
    assert len(read_feed(cfg.out)) == 2

    # Later the slow page answers; the permanent failures are not retried.
    site.serve(slow.path, page(*ARTICLES["river"]))
    second = batch.run(cfg, now=now + timedelta(hours=1))
    assert [(i.guid, i.outcome) for i in second.items] == [(guid(slow), "published")]
    assert {i.guid for i in second.failed_earlier} == {guid(missing), guid(binary), guid(bad)}
    assert second.exit_code == 1 and second.narrated == 1
    assert len(read_feed(cfg.out)) == 3


def test_transient_failures_back_off_then_quarantine(site: Site, tmp_path: Path) -> None:
    post = site.add("river", 1)

    def busy(req: BaseHTTPRequestHandler) -> None:
        req.send_response(429)
        req.send_header("Retry-After", "120")
        req.send_header("Content-Length", "0")
        req.end_headers()

    site.server.routes[post.path] = busy  # type: ignore[attr-defined]
    cfg = config(site, tmp_path / "pod", max_attempts=2)
    now = datetime(2024, 6, 1, tzinfo=UTC)
    first = batch.run(cfg, now=now)
    assert [i.outcome for i in first.items] == ["failed"] and first.exit_code == 1
    assert "HTTP 429" in first.items[0].detail
    with State.open(cfg.out) as db:
        item = db.items()[0]
    assert item.transient and item.attempts == 1 and item.next_retry is not None
    retry_at = datetime.fromisoformat(item.next_retry)
    # Retry-After wins over the 10-minute backoff once fetch reports it; else the backoff.
    assert retry_at in (now + timedelta(seconds=120), now + timedelta(minutes=10))

    waiting = batch.run(cfg, now=now + timedelta(seconds=30))
    assert [i.outcome for i in waiting.items] == ["waiting"] and waiting.exit_code == 1

    last = batch.run(cfg, now=now + timedelta(days=1))
    assert [i.outcome for i in last.items] == ["quarantined"]
    assert "quarantined after 2 attempts" in last.items[0].detail
    later = batch.run(cfg, now=now + timedelta(days=30))
    assert [i.outcome for i in later.items] == ["quarantined"] and later.exit_code == 1
    assert read_feed(cfg.out) == []


@pytest.mark.slow
def test_limit_keeps_the_newest_and_prunes_older_files(site: Site, tmp_path: Path) -> None:
    for slug, day in (("bridge", 1), ("river", 2), ("school", 3)):
        site.add(slug, day)
    cfg = config(site, tmp_path / "pod", limit=2)
    first = batch.run(cfg)
    assert first.narrated == 2
    items = read_feed(cfg.out)
    assert [i.title for i in items] == [
        "School opens a new library",
        "River levels rise in the valley",
    ]
    site.add("bridge-again", 4, key="bridge")  # newer, same text: cheap from the clip cache
    second = batch.run(cfg)
    assert second.narrated == 1
    after = read_feed(cfg.out)
    assert [i.title for i in after] == [
        "Bridge reopens after repairs",
        "School opens a new library",
    ]
    river = items[1]
    assert not (cfg.out / river.audio).exists()  # pruned once out of the feed
    with State.open(cfg.out) as db:
        row = db.item(river.guid)
    assert (
        row is not None
        and row.status == "skipped"
        and "beyond --limit 2" in (row.skip_reason or "")
    )


def test_since_ignores_older_items_and_feed_errors_are_reported(site: Site, tmp_path: Path) -> None:
    site.add("river", 1)
    cfg = config(
        site,
        tmp_path / "pod",
        since=datetime(2024, 5, 10).date(),
        feeds=(site.feed_url, site.url("/nothing.xml")),
    )
    summary = batch.run(cfg)
    assert summary.items == () and summary.narrated == 0
    assert [f.status for f in summary.feeds] == ["new", "failed"]
    assert "HTTP 404" in summary.feeds[1].detail
    assert summary.exit_code == 1
    assert read_feed(cfg.out) == []


# kill -9 at several points, then re-run


STAGES: dict[str, str] = {
    "discovered": "SELECT COUNT(*) = 3 AND SUM(status = 'narrated') = 0 FROM items",
    "narrated": "SELECT SUM(status = 'narrated') >= 1 FROM items",
    "published": "SELECT SUM(status = 'published') >= 1 FROM items",
}


def _reached(out: Path, stage: str) -> bool:
    if stage == "part":
        return (
            bool(list((out / "episodes").glob(".*.part"))) if (out / "episodes").is_dir() else False
        )
    db = out / "state.db"
    if not db.exists():
        return False
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return bool(conn.execute(STAGES[stage]).fetchone()[0])
    except sqlite3.Error:
        return False


@pytest.mark.slow
def test_kill_9_at_any_stage_then_rerun_gives_the_clean_feed(site: Site, tmp_path: Path) -> None:
    for slug, day in (("bridge", 1), ("river", 2), ("school", 3)):
        site.add(slug, day)
    clean = config(site, tmp_path / "clean")
    batch.run(clean)
    expected = read_feed(clean.out)

    # Pages answer slowly so that the run spends time between stages.
    for post in site.posts:
        body = page(post.title, post.paragraphs).encode()

        def slow_page(req: BaseHTTPRequestHandler, body: bytes = body) -> None:
            time.sleep(0.4)
            try:
                req.send_response(200)
                req.send_header("Content-Type", "text/html; charset=utf-8")
                req.send_header("Content-Length", str(len(body)))
                req.end_headers()
                req.wfile.write(body)
            except OSError:
                pass  # the client was killed

        site.server.routes[post.path] = slow_page  # type: ignore[attr-defined]

    for stage in ("discovered", "part", "narrated", "published"):
        out = tmp_path / f"killed-at-{stage}"
        env = dict(os.environ)
        if stage == "part":  # a cold clip cache makes narration slow enough to catch mid-write
            env["NARRATE_CACHE_DIR"] = str(tmp_path / "cold-cache")
        proc = _start_batch(site, out, env)
        try:
            _wait_for(out, stage, proc, 120)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        rerun = batch.run(config(site, out))
        assert rerun.exit_code == 0, (stage, rerun)
        # Fresh synthesis varies a little (Piper's noise), so byte lengths may differ from the
        # clean run's; read_feed checks each length against its own file.
        assert _shape(read_feed(out)) == _shape(expected), stage
        again = batch.run(config(site, out))
        assert again.narrated == 0 and _shape(read_feed(out)) == _shape(expected)


def _shape(items: list[Published]) -> list[Published]:
    return [replace(i, length=0) for i in items]


def _start_batch(site: Site, out: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from narrate.feed import batch\n"
        "from narrate.config import FetchLimits\n"
        "batch.run(batch.BatchConfig(feeds=(sys.argv[1],), out=Path(sys.argv[2]),"
        f" base_url={BASE_URL!r}, disclaimer=None, workers=1,"
        " owner_email='ann@valley.example',"
        " limits=FetchLimits(allow_private=True, timeout_s=5.0)))\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, site.feed_url, str(out)],
        env=env,
        start_new_session=True,  # its own process group: kill -9 takes its workers too
    )


def _wait_for(out: Path, stage: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not _reached(out, stage):
        assert proc.poll() is None, f"the run ended before reaching {stage}"
        assert time.monotonic() < deadline, f"stage {stage} never reached"
        time.sleep(0.005)


# locking, CLI and configuration


def test_second_run_on_a_locked_folder_says_locked(site: Site, tmp_path: Path) -> None:
    site.add("river", 1)
    out = tmp_path / "pod"
    with locked(out), pytest.raises(LockedError, match="locked by another narrate feed run"):
        batch.run(config(site, out))


def test_cli_summary_and_exit_status(site: Site, tmp_path: Path) -> None:
    post = site.add("river", 1)
    site.server.routes.pop(post.path)  # type: ignore[attr-defined]
    out = tmp_path / "pod"
    args = [site.feed_url, "--out", str(out), "--base-url", BASE_URL, "--no-disclaimer"]
    args += ["--allow-private", "--limit", "5", "--since", "2024-01-01", "--workers", "1", "-q"]
    result = CliRunner().invoke(feed_command, args)
    assert result.exit_code == 1, result.output
    assert "FAILED failed      River levels rise in the valley" in result.output
    assert "HTTP 404" in result.output
    assert "0 narrated, 0 in" in result.output and "1 failed" in result.output

    with locked(out):
        result = CliRunner().invoke(feed_command, args)
    assert isinstance(result.exception, LockedError)


@pytest.mark.slow
def test_cli_publishes_with_progress(site: Site, tmp_path: Path) -> None:
    site.add("river", 1)
    out = tmp_path / "pod"
    args = [site.feed_url, "-o", str(out), "--base-url", BASE_URL, "--no-disclaimer"]
    result = CliRunner().invoke(feed_command, [*args, "--allow-private", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "new    published   River levels rise in the valley" in result.output
    assert "1 narrated, 1 in" in result.output


def test_example_config_documents_every_option(tmp_path: Path) -> None:
    example = ROOT / "narrate.example.toml"
    cfg = feed_settings.load_config(example)
    text = example.read_text()
    assert "\n[channel]\n" in text
    for key in (feed_settings._TOP_KEYS - {"channel"}) | feed_settings._CHANNEL_KEYS:
        assert f"\n{key} =" in text or f"\n# {key} =" in text, key
    assert cfg.base_url == "https://example.com/podcast/"
    assert cfg.category == ("News", "Daily News")
    assert cfg.disclaimer == DISCLAIMER
    assert cfg.out == example.parent / "podcast"
    flags = feed_settings.load_config(
        example, feeds=("a.xml",), limit=3, out=tmp_path, disclaimer=False
    )
    assert (flags.feeds, flags.limit, flags.out, flags.disclaimer) == (
        ("a.xml",),
        3,
        tmp_path,
        None,
    )


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("feeds = ['a']\nout = 'o'\ncolour = 1", "unknown setting"),
        ("feeds = ['a']\nout = 'o'\n[channel]\nowner = 'x'", r"unknown \[channel\]"),
        ("feeds = ['a']\nout = 'o'\nlimit = 'ten'", "limit has the wrong type"),
        ("feeds = ['a']\nout = 'o'\nlimit = 0", "at least 1"),
        ("feeds = ['a']\nout = 'o'\nsince = 'soon'", "since must be a date"),
        ("feeds = ['a']\nout = 'o'\n[channel]\ncategory = 'Cats'", "Apple Podcasts category"),
        ("feeds = ['a']", "no output folder"),
        ("out = 'o'", "no feeds"),
        ("feeds = 'a'\nout = 'o'", "feeds must be a list"),
        ("feeds = [", "invalid TOML"),
        ("feeds = ['a']\nout = 'o'\ntimeout = -5", "timeout must be greater than 0"),
        ("feeds = ['a']\nout = 'o'\nmax_page_mb = -1", "max_page_mb must be greater than 0"),
        ("feeds = ['a']\nout = 'o'\nmax_attempts = 0", "max_attempts must be greater than 0"),
        ("feeds = ['a']\nout = 'o'\nbitrate = 'fast'", "bitrate must be like 64k"),
    ],
)
def test_bad_config(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "narrate.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=message):
        feed_settings.load_config(path)


def test_content_hash_follows_the_spoken_text_only() -> None:
    from narrate.models import Chapter, Script, Segment, Sentence

    def script(spoken: str, text: str = "x") -> Script:
        seg = Segment("narration", (Sentence(text, spoken),))
        return Script("T", (Chapter("T", (seg,)),))

    assert batch.content_hash(script("a")) == batch.content_hash(script("a", text="<b>x</b>"))
    assert batch.content_hash(script("a")) != batch.content_hash(script("b"))
