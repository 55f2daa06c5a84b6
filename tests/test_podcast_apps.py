"""What podcast apps read: psc chapters as gPodder sees them, SRT and JSON transcripts, artwork."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import podcastparser
import pytest
import srt
import webvtt
from lxml import etree
from mutagen.id3 import ID3

from narrate import pipeline
from narrate.audio import artwork, ffmpeg, transcript
from narrate.feed import batch, podcast
from narrate.models import Chapter, ChapterMark, Episode, Script, Segment, Sentence
from tests.feed_helpers import SHOW_URL as BASE
from tests.feed_helpers import feed_config, podcast_channel

NS = {"psc": podcast.PSC}


def _entry(marks: tuple[ChapterMark, ...]) -> podcast.EpisodeEntry:
    return podcast.EpisodeEntry(
        guid="g1",
        title="Story",
        published=datetime(2025, 5, 1, tzinfo=UTC),
        audio_url=BASE + "episodes/story.mp3",
        audio_bytes=1000,
        duration_ms=marks[-1].end_ms if marks else 1000,
        chapters_url=BASE + "episodes/story.chapters.json",
        chapter_marks=marks,
    )


def test_psc_chapters_are_inline_with_millisecond_times() -> None:
    marks = (ChapterMark("Intro & <more>", 0, 61_500), ChapterMark("Next", 61_500, 3_723_004))
    root = etree.fromstring(
        podcast.render(podcast_channel(), [_entry(marks)]),
        etree.XMLParser(resolve_entities=False, no_network=True),
    )
    [chapters] = root.xpath("//item/psc:chapters", namespaces=NS)
    assert chapters.get("version") == "1.2"
    assert [(c.get("start"), c.get("title")) for c in chapters] == [
        ("00:00:00.000", "Intro & <more>"),
        ("00:01:01.500", "Next"),
    ]
    assert not root.xpath("//item/psc:chapters", namespaces=NS)[0].xpath("*[not(@start)]")


def test_no_chapters_no_psc_element() -> None:
    root = etree.fromstring(podcast.render(podcast_channel(), [_entry(())]))
    assert root.xpath("//psc:chapters", namespaces=NS) == []


def test_a_missing_owner_email_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="narrate.feed.podcast"):
        podcast.render(podcast_channel(owner_email=None), [])
    assert any("itunes:owner/itunes:email" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="narrate.feed.podcast"):
        podcast.render(podcast_channel(), [])
    assert caplog.records == []


@pytest.fixture(scope="module")
def episode(tmp_path_factory: pytest.TempPathFactory) -> Episode:
    def said(*texts: str) -> tuple[Segment, ...]:
        return (Segment("narration", tuple(Sentence(t, t) for t in texts)),)

    script = Script(
        title="Two parts",
        chapters=(
            Chapter("The first part", said("The bridge opened again on Monday.")),
            Chapter("The second part", said("Drivers said the trip is shorter.", "It is.")),
        ),
    )
    opts = pipeline.Options(disclaimer=None, workers=1, cover=False)
    return pipeline.narrate_script(script, tmp_path_factory.mktemp("ep") / "story.mp3", opts)


@pytest.mark.slow
def test_gpodder_reads_the_same_chapters_as_id3(episode: Episode) -> None:
    marks = transcript.read_chapters_json(episode.chapters_json.read_text())
    assert marks == episode.chapters
    feed = podcast.render(podcast_channel(), [_entry(marks)])
    [parsed] = podcastparser.parse(BASE + "feed.xml", io.BytesIO(feed))["episodes"]
    id3 = sorted(ID3(episode.audio).getall("CHAP"), key=lambda f: f.start_time)
    # podcastparser keeps whole seconds of the psc times.
    assert [(c["start"], c["title"]) for c in parsed["chapters"]] == [
        (f.start_time // 1000, f.sub_frames["TIT2"].text[0]) for f in id3
    ]
    assert [f.start_time for f in id3] == [m.start_ms for m in marks]  # to the millisecond
    assert len(id3) == 2


def _ms(delta: timedelta) -> int:
    return round(delta.total_seconds() * 1000)


def _stamp_ms(stamp: str) -> int:
    h, m, s = stamp.split(":")
    return round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000)


@pytest.mark.slow
def test_srt_has_the_vtt_cue_times_and_text(episode: Episode) -> None:
    srt_file, _ = pipeline.extra_transcripts(episode.audio)
    subtitles = list(srt.parse(srt_file.read_text()))
    vtt = webvtt.read(str(episode.transcript))
    assert len(subtitles) == len(vtt) == len(episode.cues) == 3
    for sub, cue in zip(subtitles, vtt, strict=True):
        assert (_ms(sub.start), _ms(sub.end)) == (_stamp_ms(cue.start), _stamp_ms(cue.end))
        assert sub.content == cue.text


@pytest.mark.slow
def test_json_transcript_has_the_podcasting_2_shape(episode: Episode) -> None:
    _, json_file = pipeline.extra_transcripts(episode.audio)
    doc = json.loads(json_file.read_text())
    assert doc["version"] == "1.0.0"
    assert [set(s) for s in doc["segments"]] == [{"speaker", "startTime", "endTime", "body"}] * 3
    assert [(s["startTime"], s["endTime"], s["speaker"], s["body"]) for s in doc["segments"]] == [
        (c.start_ms / 1000, c.end_ms / 1000, c.role, c.text) for c in episode.cues
    ]


def test_extra_transcripts_are_listed_beside_the_vtt() -> None:
    entry = replace(
        _entry(()),
        transcript_url=BASE + "episodes/story.vtt",
        srt_url=BASE + "episodes/story.srt",
        json_transcript_url=BASE + "episodes/story.transcript.json",
        language="en",
    )
    root = etree.fromstring(podcast.render(podcast_channel(), [entry]))
    found = root.xpath("//item/podcast:transcript", namespaces={"podcast": podcast.PODCAST})
    assert [(t.get("type"), t.get("url"), t.get("language")) for t in found] == [
        ("text/vtt", BASE + "episodes/story.vtt", "en"),
        ("application/x-subrip", BASE + "episodes/story.srt", "en"),
        ("application/json", BASE + "episodes/story.transcript.json", "en"),
    ]


@pytest.mark.slow
def test_a_feed_run_publishes_and_keeps_the_extra_transcripts(http_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lead = _image(800, 450, "mjpeg")
    http_server.page("/lead.jpg", lead, ctype="image/jpeg")
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Bridge</title>"
        "<meta property='og:image' content='/lead.jpg'></head>"
        "<body><article><h1>Bridge reopens</h1><p>The bridge opened again on Monday.</p>"
        "<p>Drivers said the trip is shorter.</p></article></body></html>"
    )
    link = http_server.page("/bridge.html", page)
    http_server.page(
        "/feed.xml",
        "<?xml version='1.0'?><rss version='2.0'><channel><title>T</title><link>x</link>"
        f"<description>d</description><item><title>Bridge reopens</title><link>{link}</link>"
        "<guid>b1</guid></item></channel></rss>",
        ctype="application/rss+xml",
    )
    config = feed_config(http_server.url("/feed.xml"), tmp_path, base_url=BASE)
    for _ in range(2):  # the second run must not sweep them away
        assert batch.run(config).exit_code == 0
        root = etree.parse(str(tmp_path / "feed.xml"))
        urls = root.xpath("//item/podcast:transcript/@url", namespaces={"podcast": podcast.PODCAST})
        assert [Path(u).suffix for u in urls] == [".vtt", ".srt", ".json"]
        for url in urls:
            assert (tmp_path / str(url).removeprefix(BASE)).is_file(), url
        [art] = root.xpath("//item/itunes:image/@href", namespaces={"itunes": podcast.ITUNES})
        assert str(art).endswith(".cover.jpg")
        assert _jpeg_size((tmp_path / str(art).removeprefix(BASE)).read_bytes()) == (1400, 1400)


def _image(width: int, height: int, codec: str) -> bytes:
    """A real test-pattern image from ffmpeg."""
    args = ["-f", "lavfi", "-i", f"testsrc=size={width}x{height}", "-frames:v", "1"]
    return ffmpeg.run([*args, "-f", "image2", "-c:v", codec, "pipe:1"]).stdout


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """Width and height from a JPEG's start-of-frame marker."""
    assert data.startswith(b"\xff\xd8")
    at = 2
    while at < len(data):
        marker, length = data[at + 1], int.from_bytes(data[at + 2 : at + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            height = int.from_bytes(data[at + 5 : at + 7], "big")
            return int.from_bytes(data[at + 7 : at + 9], "big"), height
        at += 2 + length
    raise AssertionError("no start-of-frame marker")


@pytest.mark.parametrize(
    ("width", "height", "codec", "mime"),
    [
        (800, 450, "mjpeg", "image/jpeg"),
        (300, 600, "png", "image/png"),
        (3200, 100, "png", "image/png"),
    ],
)
def test_artwork_is_fitted_onto_a_square(width: int, height: int, codec: str, mime: str) -> None:
    square = artwork.square_jpeg(_image(width, height, codec), mime)
    assert square is not None and _jpeg_size(square) == (1400, 1400)


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "image/png"),  # the right magic, no image
        (b"#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n", "image/jpeg"),  # a playlist in disguise
        (b"GIF89a", "image/tiff"),
    ],
)
def test_what_is_not_an_image_gives_no_artwork(data: bytes, mime: str) -> None:
    assert artwork.square_jpeg(data, mime) is None
