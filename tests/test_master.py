"""master: assembling clips into a timed signal, and encoding it to a loudness-normalised MP3."""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time
from pathlib import Path

import mutagen.mp3
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from narrate.audio import encode, master
from narrate.audio.measure import decode, measure_file
from narrate.errors import AudioError
from narrate.files import atomic_path
from narrate.models import Clip, Delivery, Timeline, Word
from tests.audio_helpers import RATE, deliveries, script_of, speak, tone

LEAD = round(master.LEAD_IN_MS * RATE / 1000)
TAIL = round(master.TAIL_MS * RATE / 1000)

SENTENCES = (
    "Ukraine challenged the Russian president to join talks in Istanbul on Thursday.",
    "The Kremlin would not confirm whether he would attend.",
    "Why it matters.",
    "Diplomacy over the war took a surprise turn last weekend.",
    "We are ready for a ceasefire, the president said.",
)


def n(ms: int) -> int:
    return round(ms * RATE / 1000)


# --- assemble -----------------------------------------------------------------------------------


def test_assemble_places_pauses_cues_and_chapters_exactly() -> None:
    script = script_of(
        ("Intro", [("title", ["T."]), ("narration", ["A.", "B."])]),
        ("Part two", [("heading", ["H."]), ("quote", ["Q."]), ("narration", ["C."])]),
    )
    lengths = [[1000], [500, 700], [400], [600], [800]]
    clips = [tuple(tone(ms) for ms in seg) for seg in lengths]
    pauses = deliveries(
        title=(0, 700, 0),
        narration=(100, 200, 250),
        heading=(900, 400, 0),
        quote=(150, 150, 0),
    )
    tl = master.assemble(script, clips, pauses)

    # title |max(700,100)| A |250| B |max(200,900)| H |max(400,150)| Q |max(150,100,250)| C
    expected = [
        (LEAD, 1000),
        (LEAD + n(1000) + n(700), 500),
        (LEAD + n(1000) + n(700) + n(500) + n(250), 700),
    ]
    pos = expected[-1][0] + n(700) + n(900)
    for gap, ms in [(0, 400), (400, 600), (250, 800)]:
        pos += n(gap)
        expected.append((pos, ms))
        pos += n(ms)
    total = pos + n(max(master.TAIL_MS, 200))
    assert len(tl.samples) == total
    assert tl.sample_rate == RATE
    assert [(c.start_ms, c.end_ms) for c in tl.cues] == [
        (round(s * 1000 / RATE), round((s + n(ms)) * 1000 / RATE)) for s, ms in expected
    ]
    assert [c.role for c in tl.cues] == [
        "title",
        "narration",
        "narration",
        "heading",
        "quote",
        "narration",
    ]
    assert [c.text for c in tl.cues] == ["T.", "A.", "B.", "H.", "Q.", "C."]
    assert [(m.title, m.start_ms, m.end_ms) for m in tl.chapters] == [
        ("Intro", 0, tl.cues[3].start_ms),
        ("Part two", tl.cues[3].start_ms, tl.duration_ms),
    ]
    # Each clip sits at its cue's sample offset, untouched; the gaps are silent.
    flat = [c for seg in clips for c in seg]
    covered = np.zeros(len(tl.samples), dtype=bool)
    for (start, _), clip in zip(expected, flat, strict=True):
        np.testing.assert_array_equal(tl.samples[start : start + len(clip.samples)], clip.samples)
        covered[start : start + len(clip.samples)] = True
    assert not tl.samples[~covered].any()
    assert tl.samples.dtype == np.float32


def test_assemble_lead_in_and_tail_give_way_to_longer_pauses() -> None:
    script = script_of(("Only", [("heading", ["H."])]))
    tl = master.assemble(script, [(tone(100),)], deliveries(heading=(900, 1200, 0)))
    assert tl.cues[0].start_ms == 900
    assert tl.duration_ms == 900 + 100 + 1200
    assert tl.chapters[0].start_ms == 0


def test_assemble_shifts_words_to_episode_time_and_leaves_levels_alone() -> None:
    script = script_of(("Only", [("narration", ["One two."]), ("quote", ["Three."])]))
    words = (Word("One", 0, 200), Word("two", 250, 480))
    clips = [
        (Clip(tone(500).samples, RATE, words),),
        (Clip(tone(300).samples, RATE, (Word("Three", 10, 290),)),),
    ]
    pauses = deliveries(narration=(0, 0, 0), quote=(0, 0, 0))
    pauses["quote"] = Delivery(gain_db=-6.0, sentence_pause_ms=0)
    tl = master.assemble(script, clips, pauses)
    first, second = tl.cues
    assert first.words == (Word("One", 300, 500), Word("two", 550, 780))
    assert second.words == (Word("Three", 800 + 10, 800 + 290),)
    # synthesis already applied the role's gain_db; mastering must not apply it twice
    np.testing.assert_array_equal(tl.samples[n(800) : n(1100)], clips[1][0].samples)


def test_assemble_never_joins_segments_tighter_than_sentences() -> None:
    script = script_of(("Only", [("narration", ["A."]), ("narration", ["B."])]))
    tl = master.assemble(script, [(tone(100),), (tone(100),)], deliveries(narration=(0, 0, 250)))
    assert tl.cues[1].start_ms - tl.cues[0].end_ms == 250


def test_assemble_joins_the_parts_of_one_sentence_by_their_own_gap_not_the_pauses() -> None:
    script = script_of(
        ("Only", [("narration", ["He called it"]), ("quote", ["a"]), ("narration", ["b.", "C."])])
    )
    parts = (
        (dataclasses.replace(tone(100), join_ms=0),),
        (dataclasses.replace(tone(200), join_ms=60),),
        (tone(100), tone(100)),
    )
    tl = master.assemble(script, parts, deliveries(narration=(0, 0, 250), quote=(150, 150, 250)))
    starts = [round(c.start_ms * RATE / 1000) for c in tl.cues]
    # Sample-exact: the quote starts on the sample the narration ends; 60 ms; then a sentence.
    quote_end = LEAD + n(100) + n(200)
    assert starts == [LEAD, LEAD + n(100), quote_end + n(60), quote_end + n(60) + n(100) + n(250)]
    np.testing.assert_array_equal(
        tl.samples[LEAD : LEAD + n(300)], np.concatenate([parts[0][0].samples, parts[1][0].samples])
    )


def test_assemble_skips_chapters_with_nothing_to_speak() -> None:
    script = script_of(("Empty", []), ("Full", [("narration", ["A."])]), ("Also empty", []))
    tl = master.assemble(script, [(tone(200),)], deliveries())
    assert [(m.title, m.start_ms, m.end_ms) for m in tl.chapters] == [("Full", 0, tl.duration_ms)]


@pytest.mark.parametrize(
    ("clips", "message"),
    [
        ([(tone(100),)], "clips for 1 segments"),
        ([(tone(100),), ()], "segment 1 has 1 sentences but 0 clips"),
        ([(tone(100),), (tone(100, rate=16000),)], "different sample rates"),
        ([(tone(100),), (Clip(np.zeros((10, 2), np.float32), RATE),)], "mono"),
    ],
)
def test_assemble_rejects_clips_that_do_not_fit(
    clips: list[tuple[Clip, ...]], message: str
) -> None:
    script = script_of(("C", [("narration", ["A."]), ("quote", ["B."])]))
    with pytest.raises(AudioError, match=message):
        master.assemble(script, clips, deliveries())


@pytest.mark.parametrize("chapters", [1, 3])
def test_assemble_rejects_a_script_with_no_sentences(chapters: int) -> None:
    script = script_of(*[(f"Empty {i}", []) for i in range(chapters)])
    with pytest.raises(AudioError, match="no sentences"):
        master.assemble(script, [], deliveries())


@settings(max_examples=40, deadline=None)
@given(
    shape=st.lists(
        st.lists(st.lists(st.integers(80, 4000), min_size=1, max_size=3), max_size=3),
        min_size=1,
        max_size=4,
    ).filter(any),  # at least one sentence: the empty script is rejected, tested above
    pauses=st.lists(st.tuples(*[st.integers(0, 1500)] * 3), min_size=5, max_size=5),
)
def test_assemble_cues_and_chapters_tile_the_episode(
    shape: list[list[list[int]]], pauses: list[tuple[int, int, int]]
) -> None:
    roles = ("disclaimer", "title", "heading", "narration", "quote")
    chapters = []
    clips = []
    for c, segs in enumerate(shape):
        segments = []
        for s, lengths in enumerate(segs):
            segments.append((roles[(c + s) % 5], [f"s{c}.{s}.{i}" for i in range(len(lengths))]))
            clips.append(tuple(Clip(np.full(ms, 0.1, np.float32), 8000) for ms in lengths))
        chapters.append((f"ch{c}", segments))
    script = script_of(*chapters)
    tl = master.assemble(script, clips, deliveries(**dict(zip(roles, pauses, strict=True))))
    assert len(tl.cues) == sum(len(s) for seg in shape for s in seg)
    for a, b in zip(tl.cues, tl.cues[1:], strict=False):
        assert a.start_ms < a.end_ms <= b.start_ms
    assert tl.cues[0].start_ms >= master.LEAD_IN_MS
    assert tl.duration_ms - tl.cues[-1].end_ms >= master.TAIL_MS
    assert tl.chapters[0].start_ms == 0
    assert tl.chapters[-1].end_ms == tl.duration_ms
    for a, b in zip(tl.chapters, tl.chapters[1:], strict=False):
        assert a.end_ms == b.start_ms
    starts = {c.start_ms for c in tl.cues}
    assert all(m.start_ms in starts for m in tl.chapters[1:])
    assert len(tl.chapters) == sum(1 for segs in shape if segs)


# --- encode -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def speech() -> Timeline:
    """About 40 s of real joe speech, assembled as the pipeline would."""
    script = script_of(
        ("Intro", [("title", [SENTENCES[0]]), ("narration", list(SENTENCES[1:3]))]),
        ("Body", [("quote", [SENTENCES[4]]), ("narration", list(SENTENCES) * 2)]),
    )
    clips = [tuple(speak(s.text) for s in seg.sentences) for seg in script.segments]
    return master.assemble(
        script, clips, deliveries(narration=(100, 200, 250), quote=(150, 150, 0))
    )


def scaled(tl: Timeline, factor: float) -> Timeline:
    return Timeline(tl.samples * np.float32(factor), tl.sample_rate, tl.chapters, tl.cues)


@pytest.mark.slow
@pytest.mark.parametrize("factor", [1.0, 0.1, 4.0])
def test_encode_meets_loudness_and_true_peak_targets(
    speech: Timeline, factor: float, tmp_path: Path
) -> None:
    dest = tmp_path / "out.mp3"
    reported = encode.encode(scaled(speech, factor), dest)
    measured = measure_file(dest)
    assert measured.integrated_lufs == pytest.approx(encode.TARGET_LUFS_MONO, abs=1.0)
    assert measured.true_peak_dbtp <= encode.TRUE_PEAK_DBTP
    assert reported == pytest.approx(measured.integrated_lufs, abs=0.3)


@pytest.mark.slow
def test_encode_honours_another_target(speech: Timeline, tmp_path: Path) -> None:
    dest = tmp_path / "out.mp3"
    encode.encode(speech, dest, target_lufs=-23.0)
    assert measure_file(dest).integrated_lufs == pytest.approx(-23.0, abs=1.0)


@pytest.mark.slow
def test_encoded_file_keeps_rate_length_and_timing(speech: Timeline, tmp_path: Path) -> None:
    dest = tmp_path / "out.mp3"
    encode.encode(speech, dest, bitrate="64k")
    info = mutagen.mp3.MP3(dest).info
    assert (info.sample_rate, info.channels, info.bitrate) == (RATE, 1, 64000)
    assert info.bitrate_mode == mutagen.mp3.BitrateMode.CBR
    decoded = decode(dest)
    # ffmpeg trims the encoder delay and padding from the LAME header: the file is sample-exact.
    assert len(decoded) == len(speech.samples)
    # and the limiter adds no latency: the first sentence starts where its cue says.
    start = round(speech.cues[0].start_ms * RATE / 1000)
    window = speech.samples[start : start + RATE]
    search = decoded[start - 200 : start + RATE + 200]
    lag = int(np.argmax(np.correlate(search, window, "valid"))) - 200
    assert abs(lag) <= 1


def test_encode_leaves_a_silent_episode_alone(tmp_path: Path) -> None:
    silent = Timeline(np.zeros(RATE * 2, np.float32), RATE, (), ())
    dest = tmp_path / "silent.mp3"
    assert encode.encode(silent, dest) <= -70
    assert len(decode(dest)) == RATE * 2


def test_encode_reports_a_bad_bitrate(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="ffmpeg failed"):
        encode.encode(Timeline(tone(500).samples, RATE, (), ()), tmp_path / "x.mp3", bitrate="lots")


# --- atomic output ------------------------------------------------------------------------------


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def encode_atomically(timeline: Timeline, out: Path, timeout: float = 600.0) -> float:
    """Encode as the pipeline does: into a temporary file that replaces out only when whole."""
    with atomic_path(out) as tmp:
        return encode.encode(timeline, tmp, timeout=timeout)


def test_an_atomic_encode_appears_whole(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "episode.mp3"
    encode_atomically(Timeline(tone(1000).samples, RATE, (), ()), out)
    assert len(decode(out)) == RATE
    assert leftovers(out.parent) == []


def test_timed_out_encoder_leaves_old_file_and_no_temp(tmp_path: Path) -> None:
    out = tmp_path / "episode.mp3"
    out.write_bytes(b"the previous episode")
    with pytest.raises(AudioError, match="timed out"):
        encode_atomically(Timeline(tone(1000).samples, RATE, (), ()), out, timeout=0.001)
    assert out.read_bytes() == b"the previous episode"
    assert leftovers(tmp_path) == []


def _ffmpeg_children(marker: str) -> list[int]:
    pids = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmdline:
                pids.append(int(pid))
    return pids


@pytest.mark.slow
def test_killed_encoder_leaves_no_half_written_file(tmp_path: Path) -> None:
    out = tmp_path / "episode.mp3"
    minutes = 10  # long enough that the encode is still running when it is found
    samples = np.tile(tone(1000).samples, 60 * minutes)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            encode_atomically(Timeline(samples, RATE, (), ()), out)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    killed = []
    while thread.is_alive() and not killed:
        for pid in _ffmpeg_children("libmp3lame"):
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        time.sleep(0.002)
    thread.join()
    assert killed, "the encoder finished before it could be killed"
    assert len(errors) == 1 and isinstance(errors[0], AudioError)
    assert "ffmpeg failed (-9)" in str(errors[0])
    assert not out.exists()
    assert leftovers(tmp_path) == []
