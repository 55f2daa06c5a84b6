"""The main job end to end on the reference sample: one episode whose parts all agree."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from narrate import pipeline
from narrate.audio.measure import measure_file
from narrate.models import Episode, Script
from tests.audio_helpers import parse_vtt, probe

SECTIONS = ["Why It Matters", "What To Know", "What People Are Saying", "What Happens Next"]


@pytest.fixture(scope="module")
def sample_episode(tmp_path_factory: pytest.TempPathFactory, sample: Path) -> Episode:
    out = tmp_path_factory.mktemp("sample") / "zelensky.mp3"
    return pipeline.narrate_article(str(sample), out, pipeline.Options(cover=False))


@pytest.mark.slow
def test_the_sample_plays_at_the_stated_rate_and_length(sample_episode: Episode) -> None:
    found = probe(sample_episode.audio)
    assert (found.sample_rate, found.channels) == (22050, "mono")
    assert abs(found.duration_s * 1000 - sample_episode.duration_ms) <= 30
    info = MP3(sample_episode.audio).info
    assert info.sample_rate == 22050 and info.channels == 1
    assert abs(info.length * 1000 - sample_episode.duration_ms) <= 130  # whole MP3 frames


@pytest.mark.slow
def test_id3_chapters_json_chapters_and_transcript_agree(sample_episode: Episode) -> None:
    tags = ID3(sample_episode.audio)
    [toc] = tags.getall("CTOC")
    chaps = {c.element_id: c for c in tags.getall("CHAP")}
    id3 = [
        (chaps[e].start_time, chaps[e].sub_frames["TIT2"].text[0]) for e in toc.child_element_ids
    ]
    assert [title for _, title in id3] == ["Zelensky Throws Down the Gauntlet to Putin", *SECTIONS]

    listed = json.loads(sample_episode.chapters_json.read_text())["chapters"]
    assert [(round(c["startTime"] * 1000), c["title"]) for c in listed] == id3
    assert [(m.start_ms, m.title) for m in sample_episode.chapters] == id3
    assert probe(sample_episode.audio).chapters[1][0] == id3[1][0]

    cues = parse_vtt(sample_episode.transcript.read_text())
    assert cues[0].voice == "disclaimer" and cues[-1].end_ms <= sample_episode.duration_ms
    heading_starts = [c.start_ms for c in cues if c.voice == "heading"]
    assert heading_starts == [start for start, _ in id3[1:]]
    assert [c.text for c in cues if c.voice == "heading"] == SECTIONS
    quotes = [c.text for c in cues if c.voice == "quote"]
    assert "very strong and very clear statements" in quotes


@pytest.mark.slow
def test_the_sample_meets_the_loudness_target(sample_episode: Episode) -> None:
    measured = measure_file(sample_episode.audio)
    assert abs(measured.integrated_lufs - -19.0) <= 1.0
    assert measured.true_peak_dbtp <= -1.0
    assert abs(sample_episode.loudness_lufs - measured.integrated_lufs) <= 0.5


def test_nothing_is_left_beside_the_outputs(sample_episode: Episode) -> None:
    folder: Path = sample_episode.audio.parent
    assert sorted(p.name for p in folder.iterdir()) == [
        "zelensky.chapters.json",
        "zelensky.mp3",
        "zelensky.srt",
        "zelensky.transcript.json",
        "zelensky.vtt",
    ]


def test_what_the_voice_receives_matches_the_golden_script(sample: Path) -> None:
    """The sample's spoken text, lexicon applied: a change to what is said reads as a diff."""
    script = pipeline.load_script(str(sample), pipeline.Options())
    lines = [f"{seg.role}: {seg.spoken}" for seg in script.segments]
    golden = sample.with_suffix(".spoken.txt")
    if os.environ.get("NARRATE_UPDATE_GOLDEN"):
        golden.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert "\n".join(lines) + "\n" == golden.read_text(encoding="utf-8")
    assert "zeroth" not in golden.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("title", "url", "source", "name"),
    [
        ("Harbour Bridge Reopens!", None, "page.html", "harbour-bridge-reopens.mp3"),
        ("Ça coûte 5 €", "https://example.com/a", "page.html", "ca-coute-5.mp3"),
        ("مرحبا بالعالم", "https://example.com/news/river-levels.html", "-", "river-levels.mp3"),
        ("مرحبا", None, "https://example.com/news/story-123/", "story-123.mp3"),
        ("مرحبا", None, "page.html", "article.mp3"),
        ("A very long headline " * 10, None, "-", ("a-very-long-headline-" * 3)[:60] + ".mp3"),
    ],
)
def test_the_default_output_is_named_after_the_title_here(
    title: str, url: str | None, source: str, name: str
) -> None:
    script = Script(title=title, chapters=(), url=url)
    assert pipeline.default_output(script, source) == Path(name)
