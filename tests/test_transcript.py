"""transcript: WebVTT and JSON chapters, parsed back and checked against the timeline."""

from __future__ import annotations

import json

import pytest

from narrate.audio import master, transcript
from narrate.models import ChapterMark, Cue, Word
from tests.audio_helpers import deliveries, parse_vtt, script_of, speak


@pytest.mark.parametrize(
    ("ms", "stamp"),
    [
        (0, "00:00:00.000"),
        (1, "00:00:00.001"),
        (61_500, "00:01:01.500"),
        (3_599_999, "00:59:59.999"),
        (3_600_000, "01:00:00.000"),
        (100 * 3_600_000 + 5, "100:00:00.005"),
    ],
)
def test_timestamp(ms: int, stamp: str) -> None:
    assert transcript.timestamp(ms) == stamp


def test_vtt_has_one_voiced_escaped_cue_per_sentence() -> None:
    cues = [
        Cue(300, 2100, "title", "Tom & Jerry <live>"),
        Cue(2800, 4000, "narration", "A --> B,\n  spaced   out."),
        Cue(4150, 5000, "quote", "“We won’t,” she said."),
    ]
    text = transcript.render_vtt(cues)
    assert text.startswith("WEBVTT\n\n")
    assert "<v title>Tom &amp; Jerry &lt;live&gt;\n" in text
    assert "-->" not in text.replace(" --> ", "")
    read = parse_vtt(text)
    assert [(c.start_ms, c.end_ms, c.voice, c.text) for c in read] == [
        (300, 2100, "title", "Tom & Jerry <live>"),
        (2800, 4000, "narration", "A --> B, spaced out."),
        (4150, 5000, "quote", "“We won’t,” she said."),
    ]


def test_vtt_places_word_times_inline_inside_the_cue() -> None:
    words = (Word("The", 1000, 1100), Word("cat", 1200, 1500), Word("sat", 1600, 1990))
    text = transcript.render_vtt([Cue(1000, 2000, "narration", "The cat sat.", words)])
    assert "<v narration>The <00:00:01.200>cat <00:00:01.600>sat.\n" in text
    (cue,) = parse_vtt(text)
    assert cue.inline_ms == (1200, 1600)
    assert cue.text == "The cat sat."


def test_vtt_drops_word_times_that_do_not_fit() -> None:
    mismatched = (Word("five", 1000, 1200), Word("pounds", 1300, 1600))
    text = transcript.render_vtt([Cue(1000, 2000, "narration", "£5", mismatched)])
    assert "<v narration>£5\n" in text
    outside = (Word("a", 1000, 1100), Word("b", 2500, 2600), Word("c", 1500, 1600))
    (cue,) = parse_vtt(transcript.render_vtt([Cue(1000, 2000, "quote", "a b c", outside)]))
    assert cue.inline_ms == (1500,)


def test_chapters_json_follows_the_podcast_namespace_shape() -> None:
    script = script_of(("Intro", []), byline="Jane Doe", title="Zelensky 🇺🇦")
    marks = [ChapterMark("Intro", 0, 12_345), ChapterMark("Зеленський — 東京", 12_345, 61_001)]
    doc = json.loads(transcript.render_chapters_json(marks, script))
    assert doc == {
        "version": "1.2.0",
        "title": "Zelensky 🇺🇦",
        "author": "Jane Doe",
        "chapters": [
            {"startTime": 0.0, "endTime": 12.345, "title": "Intro"},
            {"startTime": 12.345, "endTime": 61.001, "title": "Зеленський — 東京"},
        ],
    }
    assert "東京" in transcript.render_chapters_json(marks, script)  # UTF-8, not \\u escapes


def test_chapters_json_without_byline_has_no_author() -> None:
    doc = json.loads(transcript.render_chapters_json([], script_of(("A", []))))
    assert "author" not in doc and doc["chapters"] == []


def test_vtt_cues_match_the_assembled_timeline_with_real_speech() -> None:
    script = script_of(
        ("Intro", [("title", ["Zelensky throws down the gauntlet."])]),
        (
            "Why It Matters",
            [("heading", ["Why it matters."]), ("narration", ["Talks resume & go on."])],
        ),
    )
    clips = [tuple(speak(s.text) for s in seg.sentences) for seg in script.segments]
    timeline = master.assemble(script, clips, deliveries(heading=(700, 400, 0)))
    read = parse_vtt(transcript.render_vtt(timeline.cues))
    assert [(c.start_ms, c.end_ms, c.voice, c.text) for c in read] == [
        (c.start_ms, c.end_ms, c.role, c.text) for c in timeline.cues
    ]
    chapters = json.loads(transcript.render_chapters_json(timeline.chapters, script))["chapters"]
    # Chapter 2 starts on its first cue; every cue lies inside one chapter and inside the audio.
    assert round(chapters[1]["startTime"] * 1000) == read[1].start_ms
    for cue in read:
        assert any(
            c["startTime"] * 1000 <= cue.start_ms and cue.end_ms <= c["endTime"] * 1000
            for c in chapters
        )
    assert read[-1].end_ms <= timeline.duration_ms - master.TAIL_MS


def test_a_zero_length_cue_still_ends_after_it_starts() -> None:
    (cue,) = parse_vtt(transcript.render_vtt([Cue(500, 500, "narration", "x")]))
    assert cue.end_ms > cue.start_ms
