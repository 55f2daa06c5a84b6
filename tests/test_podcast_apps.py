"""What podcast apps read: Podlove Simple Chapters, as gPodder's podcastparser sees them."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime
from pathlib import Path

import podcastparser
import pytest
from lxml import etree
from mutagen.id3 import ID3

from narrate import pipeline
from narrate.audio import transcript
from narrate.feed import podcast
from narrate.models import Chapter, ChapterMark, Script, Segment, Sentence

NS = {"psc": podcast.PSC}
BASE = "https://pod.example/show/"


def _channel(**kw: object) -> podcast.Channel:
    values: dict[str, object] = {
        "title": "Show",
        "description": "News.",
        "link": "https://valley.example/",
        "feed_url": BASE + "feed.xml",
        "image_url": BASE + "cover.png",
        "owner_email": "ann@valley.example",
    }
    values.update(kw)
    return podcast.Channel(**values)  # type: ignore[arg-type]


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
        podcast.render(_channel(), [_entry(marks)]),
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
    root = etree.fromstring(podcast.render(_channel(), [_entry(())]))
    assert root.xpath("//psc:chapters", namespaces=NS) == []


def test_a_missing_owner_email_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="narrate.feed.podcast"):
        podcast.render(_channel(owner_email=None), [])
    assert any("itunes:owner/itunes:email" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="narrate.feed.podcast"):
        podcast.render(_channel(), [])
    assert caplog.records == []


@pytest.mark.slow
def test_gpodder_reads_the_same_chapters_as_id3(tmp_path: Path) -> None:
    def said(*texts: str) -> tuple[Segment, ...]:
        return (Segment("narration", tuple(Sentence(t, t) for t in texts)),)

    script = Script(
        title="Two parts",
        chapters=(
            Chapter("The first part", said("The bridge opened again on Monday.")),
            Chapter("The second part", said("Drivers said the trip is shorter.")),
        ),
    )
    opts = pipeline.Options(disclaimer=None, workers=1, cover=False)
    episode = pipeline.narrate_script(script, tmp_path / "story.mp3", opts)
    marks = transcript.read_chapters_json(episode.chapters_json.read_text())
    assert marks == episode.chapters
    feed = podcast.render(_channel(), [_entry(marks)])
    [parsed] = podcastparser.parse(BASE + "feed.xml", io.BytesIO(feed))["episodes"]
    id3 = sorted(ID3(episode.audio).getall("CHAP"), key=lambda f: f.start_time)
    # podcastparser keeps whole seconds of the psc times.
    assert [(c["start"], c["title"]) for c in parsed["chapters"]] == [
        (f.start_time // 1000, f.sub_frames["TIT2"].text[0]) for f in id3
    ]
    assert [f.start_time for f in id3] == [m.start_ms for m in marks]  # to the millisecond
    assert len(id3) == 2
