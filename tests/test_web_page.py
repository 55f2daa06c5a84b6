"""The listening pages as documents: sidecars read back, escaping, CSP, sizes, serving."""

from __future__ import annotations

import http.client
import logging
import re
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import html as lxml_html

from narrate.audio.transcript import read_chapters_json, render_chapters_json, render_vtt
from narrate.config import AI_DISCLOSURE
from narrate.feed import podcast
from narrate.models import ChapterMark, Cue, Script, Word
from narrate.web import page, site
from narrate.web.serve import make_server
from narrate.web.sidecars import parse_vtt

HOSTILE = "<script>alert(1)</script>"
SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "zelensky-gauntlet.html"

CUES = (
    Cue(300, 2000, "title", "Bridge & <tunnel> reopen", (
        Word("Bridge", 300, 700), Word("&", 700, 800), Word("<tunnel>", 800, 1400),
        Word("reopen", 1400, 2000),
    )),
    Cue(2250, 4000, "narration", "It cost $4.5 million.", (Word("It", 2300, 2500),)),
    Cue(4250, 6000, "quote", "It is ours again,", (
        Word("It", 4300, 4500), Word("is", 4500, 4700), Word("ours", 4700, 5200),
        Word("again,", 5200, 6000),
    )),
    Cue(6250, 8000, "heading", "What next", (Word("What", 6250, 6600), Word("next", 6600, 8000))),
)  # fmt: skip
CHAPTERS = (ChapterMark("Bridge", 0, 6100), ChapterMark("What next", 6100, 8200))


def test_vtt_reads_back_what_render_vtt_wrote() -> None:
    cues = parse_vtt(render_vtt(CUES))
    assert [(c.start_ms, c.end_ms, c.role, c.text) for c in cues] == [
        (c.start_ms, c.end_ms, c.role, c.text) for c in CUES
    ]
    # Word starts survive; a start equal to the cue's (dropped by the VTT) is the cue start.
    assert [[w.start_ms for w in c.words] for c in cues] == [
        [300, 700, 800, 1400],
        [],  # page and spoken words differ: no word times
        [4300, 4500, 4700, 5200],
        [6250, 6600],
    ]
    assert [w.text for w in cues[0].words] == ["Bridge", "&", "<tunnel>", "reopen"]
    # A word ends where the next starts, the last with its cue.
    assert [w.end_ms for w in cues[2].words] == [4500, 4700, 5200, 6000]


def test_chapters_read_back() -> None:
    script = Script(title="T", chapters=())
    assert read_chapters_json(render_chapters_json(CHAPTERS, script)) == CHAPTERS


def _info(tmp_path: Path, **kw: str) -> page.PageInfo:
    audio = tmp_path / "story.mp3"
    audio.write_bytes(b"")
    audio.with_suffix(".vtt").write_text(render_vtt(CUES))
    audio.with_suffix(".chapters.json").write_text(
        render_chapters_json(CHAPTERS, Script(title="T", chapters=()))
    )
    values = {"title": "Bridge", "site": "Coastal", "date": "2025-03-04", "url": "https://x.test/a"}
    values.update(kw)
    return page.PageInfo(audio=audio, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "field", ["title", "site", "byline", "date"], ids=["title", "site", "byline", "date"]
)
def test_every_string_is_text_not_markup(tmp_path: Path, field: str) -> None:
    hostile = HOSTILE + "\"' onload=x"
    episode, embed = page.write_episode(_info(tmp_path, **{field: hostile}))
    for path in (episode, embed):
        doc = lxml_html.fromstring(path.read_bytes())
        assert [s.get("src") for s in doc.iter("script")] == ["player.js"]
        assert not [a for el in doc.iter() for a in el.attrib if a.startswith("on")]
    assert hostile in lxml_html.fromstring(episode.read_bytes()).text_content()


def test_only_http_article_links(tmp_path: Path) -> None:
    [page_file, _] = page.write_episode(_info(tmp_path, url="javascript:alert(1)"))
    doc = lxml_html.fromstring(page_file.read_bytes())
    assert not [a for a in doc.iter("a") if "javascript" in (a.get("href") or "")]


def test_file_names_are_links_that_reach_their_files(tmp_path: Path) -> None:
    audio = tmp_path / "Story #1?.mp3"
    info = replace(_info(tmp_path), audio=audio)
    for suffix in (".mp3", ".vtt", ".chapters.json"):
        (tmp_path / "story").with_suffix(suffix).rename(audio.with_suffix(suffix))
    [page_file, _] = page.write_episode(info)
    doc = lxml_html.fromstring(page_file.read_bytes())
    [source] = doc.xpath("//audio/@src | //audio/source/@src")
    [track] = doc.xpath("//track/@src")
    assert (source, track) == ("Story%20%231%3F.mp3", "Story%20%231%3F.vtt")


@pytest.mark.parametrize(
    ("lang", "written"), [("en", "March 4, 2025"), ("de", "4. März 2025"), ("fr", "4 mars 2025")]
)
def test_the_date_is_written_in_the_page_language(tmp_path: Path, lang: str, written: str) -> None:
    [page_file, _] = page.write_episode(_info(tmp_path, lang=lang))
    doc = lxml_html.fromstring(page_file.read_bytes())
    assert doc.xpath("//time/text()") == [written]


def test_page_structure_csp_and_local_resources(tmp_path: Path) -> None:
    info = _info(tmp_path)
    page_file, embed_file = page.write_episode(info)
    doc = lxml_html.fromstring(page_file.read_bytes())
    [csp] = doc.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    # The disclosure comes before the player.
    disclosure = doc.xpath("//*[contains(@class, 'disclosure')]")[0]
    audio = doc.xpath("//audio")[0]
    assert disclosure.text_content() == AI_DISCLOSURE
    assert list(doc.iter()).index(disclosure) < list(doc.iter()).index(audio)
    assert audio.get("src") == "story.mp3"
    assert doc.xpath("//audio/track/@src") == ["story.vtt"]
    # Chapters link to their start; sentences carry their cue times; timed words theirs.
    assert doc.xpath("//nav[@class='chapters']//a/@href") == ["#t=0", "#t=6.1"]
    sentences = doc.xpath("//*[contains(@class, ' s ') or starts-with(@class, 's ')]")
    assert [(int(s.get("data-b")), int(s.get("data-e"))) for s in sentences] == [
        (c.start_ms, c.end_ms) for c in CUES
    ]
    assert [s.get("class").split()[1] for s in sentences] == [f"r-{c.role}" for c in CUES]
    assert doc.xpath("//span[@data-t='800']/text()") == ["<tunnel>"]
    # Nothing is loaded from anywhere but beside the page.
    for el in doc.iter():
        for attr in ("src", "href"):
            value = el.get(attr)
            if value and el.tag != "a":
                assert not re.match(r"^[a-z]+:", value) or value == "data:,", value
    [snippet] = doc.xpath("//textarea/text()")
    frame = lxml_html.fromstring(snippet)
    assert (frame.tag, frame.get("src"), frame.get("height")) == (
        "iframe",
        "story.embed.html",
        "140",
    )
    embed = lxml_html.fromstring(embed_file.read_bytes())
    assert embed.xpath("//button[@data-toggle]/@aria-expanded") == ["false"]
    assert embed.xpath("//a[@class='title']/@href") == ["story.html"]


def test_assets_are_small_and_shared(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    (folder / "episodes").mkdir(parents=True)
    info = _info(folder / "episodes")
    page.write_pages(info, CUES, CHAPTERS, assets_dir=folder)
    doc = lxml_html.fromstring(info.page.read_bytes())
    assert doc.xpath("//script/@src") == ["../player.js"]
    assert doc.xpath("//link[@rel='stylesheet']/@href") == ["../player.css"]
    total = sum((folder / name).stat().st_size for name in page.ASSETS)
    assert total <= 30 * 1024


def test_index_lists_newest_first_with_subscribe_links() -> None:
    entries = [
        page.IndexEntry("Older", "episodes/a.html", 61_000, 1, "2025-05-01"),
        page.IndexEntry(HOSTILE, "episodes/b%20c.html", 3_725_000, 3, "2025-05-03"),
    ]
    doc = lxml_html.fromstring(
        page.render_index("Show & Tell", "News.", "https://pod.example/feed.xml", entries)
    )
    assert doc.xpath("//ol[@class='episodes']//a/text()") == [HOSTILE, "Older"]
    assert doc.xpath("//ol[@class='episodes']//span/text()") == [
        " · 1:02:05 · 3 chapters",
        " · 1:01 · 1 chapter",
    ]
    assert doc.xpath("//ul[@class='subscribe']//a/@href") == [
        "https://pod.example/feed.xml",
        "podcast://pod.example/feed.xml",
        "pcast://pod.example/feed.xml",
    ]
    assert doc.xpath("//title/text()") == ["Show & Tell"]


def test_serve_names_the_page_types(tmp_path: Path) -> None:
    page.write_assets(tmp_path)
    (tmp_path / "index.html").write_text("<!DOCTYPE html>")
    server = make_server(tmp_path, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        types = {}
        for path in ("/index.html", "/player.js", "/player.css", "/"):
            conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=5)
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            types[path] = (resp.status, resp.getheader("Content-Type"))
            conn.close()
    finally:
        server.shutdown()
        server.server_close()
    assert types == {
        "/index.html": (200, "text/html; charset=utf-8"),
        "/player.js": (200, "text/javascript; charset=utf-8"),
        "/player.css": (200, "text/css; charset=utf-8"),
        "/": (200, "text/html; charset=utf-8"),
    }


@pytest.mark.slow
def test_the_sample_page_is_at_most_60_kb(tmp_path: Path) -> None:
    out = tmp_path / "sample.mp3"
    run = subprocess.run(
        [sys.executable, "-m", "narrate", "article", str(SAMPLE), "-o", str(out), "--html", "-q"],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "player.css",
        "player.js",
        "sample.chapters.json",
        "sample.embed.html",
        "sample.html",
        "sample.mp3",
        "sample.srt",
        "sample.transcript.json",
        "sample.vtt",
    ]
    size = out.with_suffix(".html").stat().st_size
    assert size <= 60 * 1024, f"{size / 1024:.1f} KB"
    doc = lxml_html.fromstring(out.with_suffix(".html").read_bytes())
    assert doc.xpath("//h1/text()") == ["Zelensky Throws Down the Gauntlet to Putin"]
    words = doc.xpath("//span[@data-t]")
    assert len(words) > 300  # the joe voice's alignments reach the page


def _feed_item(n: str, **kw: object) -> podcast.EpisodeEntry:
    values: dict[str, object] = {
        "guid": n,
        "title": f"Story {n}",
        "published": datetime(2025, 5, int(n), tzinfo=UTC),
        "audio_url": f"https://pod.example/show/episodes/story-{n}.mp3",
        "audio_bytes": 1,
        "duration_ms": 8200,
    }
    values.update(kw)
    return podcast.EpisodeEntry(**values)  # type: ignore[arg-type]


def test_site_pages_follow_feed_xml_and_skip_what_is_not_there(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    episodes = tmp_path / "episodes"
    episodes.mkdir()
    for n in ("1", "2"):
        _info(episodes).audio.rename(episodes / f"story-{n}.mp3")
        for suffix in (".vtt", ".chapters.json"):
            (episodes / f"story{suffix}").rename(episodes / f"story-{n}{suffix}")
    (episodes / "story-2.vtt").unlink()  # a broken episode costs only its own page
    (tmp_path.parent / "outside.mp3").write_bytes(b"")
    channel = podcast.Channel(
        title="Show",
        description="News.",
        link="https://x.test/",
        feed_url="https://pod.example/show/feed.xml",
        image_url="https://pod.example/show/cover.png",
        owner_email="a@x.test",
    )
    entries = [
        _feed_item("3", audio_url="https://pod.example/show/../outside.mp3"),
        _feed_item("2"),
        _feed_item("1"),
    ]
    (tmp_path / "feed.xml").write_bytes(podcast.render(channel, entries))
    with caplog.at_level(logging.WARNING, logger="narrate.web.site"):
        written = site.write_site(tmp_path)
    assert written.pages == (episodes / "story-1.html",)
    assert (episodes / "story-1.embed.html").is_file()
    assert len([r for r in caplog.records if "no page for" in r.getMessage()]) == 2
    doc = lxml_html.fromstring(written.index.read_bytes())
    assert doc.xpath("//ol[@class='episodes']//a/@href") == ["episodes/story-1.html"]
    assert doc.xpath("//ol[@class='episodes']//span/text()") == [" · 0:08 · 2 chapters"]
    assert AI_DISCLOSURE not in doc.xpath("string(//header/p[1])")  # shown once, on its own
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        "episodes",
        "feed.xml",
        "index.html",
        "player.css",
        "player.js",
    ]


def test_the_episode_artwork_is_shown_when_there_is_one(tmp_path: Path) -> None:
    info = _info(tmp_path)
    page_file, embed_file = page.write_episode(info)
    doc = lxml_html.fromstring(page_file.read_bytes())
    assert doc.xpath("//img") == [] and doc.xpath("//audio/@data-art") == [""]
    info.artwork.write_bytes(b"\xff\xd8\xff")  # what the pipeline writes beside the MP3
    page_file, embed_file = page.write_episode(info)
    doc = lxml_html.fromstring(page_file.read_bytes())
    assert doc.xpath("//img/@src") == ["story.cover.jpg"]
    assert doc.xpath("//audio/@data-art") == ["story.cover.jpg"]
    assert lxml_html.fromstring(embed_file.read_bytes()).xpath("//audio/@data-art") == [
        "story.cover.jpg"
    ]
