"""A file as one MP3 part per chapter: joined exactly, and only the parts that changed encoded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from narrate.audio import encode, levels, parts, voices
from narrate.audio.cache import ClipCache
from narrate.audio.encode import Encoder
from narrate.audio.measure import decode, measure_file
from narrate.audio.synthesize import cached, synthesize
from narrate.models import Chapter, Layout, Script, Segment, Sentence
from tests.audio_helpers import RATE, decode_errors

CHAPTERS = (
    ("Budget", ("The council met on Tuesday.", "It passed the budget.")),
    ("Schools", ("Two schools will close.", "Parents were told on Friday.")),
    ("Roads", ("The bridge reopens in May.", "Repairs cost four million.")),
)

_UNTRIMMED = 1151 - 1105
"""Samples of LAME's end padding (up to 1151) past the 1105 ffmpeg's decoder drops at most."""


def _script(chapters: tuple[tuple[str, tuple[str, ...]], ...] = CHAPTERS) -> Script:
    return Script(
        "Council",
        tuple(
            Chapter(
                title,
                (
                    Segment("heading", (Sentence(title, title),)),
                    Segment("narration", tuple(Sentence(t, t) for t in texts)),
                ),
            )
            for title, texts in chapters
        ),
    )


def _write(
    script: Script, cache: ClipCache, out: Path, gain: float | None = None
) -> tuple[Layout, float]:
    """Narrate a script to out, at `gain` (default: the one its voices' levels predict)."""
    profile = voices.load_profile()
    synthesize(script, profile, cache=cache)
    if gain is None:
        gain = levels.gain_db(script, levels.levels(profile, cache))
    clips = cached(script, profile, cache)
    return parts.write(script, profile, clips, out, cache, gain, "64k", (None, None))


def _speech(seconds: float) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    voiced = np.sign(np.sin(2 * np.pi * 120 * t)) * 0.2 * (np.sin(2 * np.pi * 4 * t) > 0)
    return voiced.astype(np.float32)


def test_two_encodes_joined_decode_to_the_first_ending_on_its_frames_then_the_second(
    tmp_path: Path,
) -> None:
    first, second = _speech(1.3), _speech(0.7)[::-1].copy()
    files = []
    for name, signal in (("a", first), ("b", second)):
        encoder = Encoder(RATE, 0.0, tmp_path / f"{name}.mp3")
        encoder.write(signal)
        encoder.close(np.zeros(0, np.float32))
        files.append(tmp_path / f"{name}.mp3")
    encode.join([(file, 0) for file in files], tmp_path / "joined.mp3")
    assert decode_errors(tmp_path / "joined.mp3") == ""
    audio = decode(tmp_path / "joined.mp3")
    start = encode.frames_end(len(first), RATE)
    assert len(audio) == start + len(second)
    lag = int(np.argmax(np.correlate(audio[start - 200 : start + 4000], second[:3000], "valid")))
    assert lag == 200  # the second encode starts exactly where frames_end() says


def test_momentary_values_give_the_loudness_ffmpeg_sums_up(tmp_path: Path) -> None:
    encoder = Encoder(RATE, 3.0, tmp_path / "speech.mp3")
    encoder.write(np.concatenate([_speech(4.0), np.zeros(RATE, np.float32), _speech(3.0)]))
    summary = encoder.close(np.zeros(RATE // 2, np.float32))
    assert len(encoder.blocks) == pytest.approx(85, abs=2)  # one every 100 ms
    assert encode.integrated(encoder.blocks) == pytest.approx(summary, abs=0.1)


def test_a_file_of_parts_lasts_as_its_layout_with_each_chapter_where_it_says(
    clip_cache: ClipCache, tmp_path: Path
) -> None:
    out = tmp_path / "council.mp3"
    layout, loudness = _write(_script(), clip_cache, out)
    assert decode_errors(out) == ""
    audio = decode(out)
    assert 0 <= len(audio) - layout.length <= _UNTRIMMED
    assert loudness == pytest.approx(measure_file(out).integrated_lufs, abs=0.3)
    ms = RATE // 1000
    for mark in layout.chapters[1:]:
        at = mark.start_ms * ms
        before, after = audio[at - 60 * ms : at - 10 * ms], audio[at + 20 * ms : at + 300 * ms]
        assert np.sqrt(np.mean(before**2)) < 0.05 * np.sqrt(np.mean(after**2)), mark


def test_an_edit_encodes_only_its_chapter_again(clip_cache: ClipCache, tmp_path: Path) -> None:
    _write(_script(), clip_cache, tmp_path / "first.mp3")
    # Kept parts are written atomically, by a rename: one left alone keeps its inode.
    made = {p.name: p.stat().st_ino for p in clip_cache.parts.glob("*.part")}
    assert len(made) == 3  # one per chapter
    edited = list(CHAPTERS)
    edited[1] = ("Schools", ("Three schools will close.", "Parents were told on Friday."))
    layout, _ = _write(_script(tuple(edited)), clip_cache, tmp_path / "edited.mp3")
    now = {p.name: p.stat().st_ino for p in clip_cache.parts.glob("*.part")}
    assert len(now) == 4 and {k: now[k] for k in made} == made  # two used as they were
    audio = decode(tmp_path / "edited.mp3")
    assert 0 <= len(audio) - layout.length <= _UNTRIMMED
    assert decode_errors(tmp_path / "edited.mp3") == ""


def test_a_file_whose_predicted_gain_misses_is_made_again_on_target(
    clip_cache: ClipCache, tmp_path: Path
) -> None:
    script = _script(CHAPTERS[:1])
    profile = voices.load_profile()
    synthesize(script, profile, cache=clip_cache)
    right = levels.gain_db(script, levels.levels(profile, clip_cache))
    for wrong in (right - 2.5, right + 2.0):
        out = tmp_path / f"miss{wrong:.1f}.mp3"
        _, reported = _write(script, clip_cache, out, gain=wrong)
        measured = measure_file(out).integrated_lufs
        assert measured == pytest.approx(encode.TARGET_LUFS_MONO, abs=1.0)
        assert reported == pytest.approx(measured, abs=0.5)
