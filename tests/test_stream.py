"""Streamed narration (`-o -`), the encoder that keeps pace with synthesis, and voice levels."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from narrate.audio import encode, levels, voices
from narrate.audio.cache import ClipCache
from narrate.audio.encode import Encoder
from narrate.audio.measure import decode, measure_file
from narrate.audio.synthesize import synthesize
from narrate.errors import ListenerGone
from narrate.models import Chapter, Script, Segment, Sentence
from tests.audio_helpers import RATE, decode_errors
from tests.cli_run import SHORT, narrate


@pytest.fixture(scope="module")
def short_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("file") / "short.mp3"
    done = narrate("-q", "article", str(SHORT), "-o", str(out))
    assert done.returncode == 0, done.stderr.decode()
    return out


def test_a_streamed_narration_decodes_cleanly_and_lasts_as_long_as_the_file(
    short_file: Path, tmp_path: Path
) -> None:
    done = narrate("-vv", "article", str(SHORT), "-o", "-")
    assert done.returncode == 0, done.stderr.decode()
    # Nothing started a thread before the extractor, so it forked from narrate itself, and
    # trafilatura loaded beside the voice instead of after it in the forkserver.
    assert re.search(r"started worker \d+ \(fork\)", done.stderr.decode())
    streamed = tmp_path / "streamed.mp3"
    streamed.write_bytes(done.stdout)
    assert done.stdout[:3] != b"ID3"  # frames from the first byte: no tag to wait for
    assert decode_errors(streamed) == ""
    length_ms = len(decode(streamed)) * 1000 / RATE
    assert length_ms == pytest.approx(len(decode(short_file)) * 1000 / RATE, abs=50)
    assert measure_file(streamed).integrated_lufs == pytest.approx(encode.TARGET_LUFS_MONO, abs=1.5)


def _processes_with(marker: str) -> list[int]:
    """Processes whose environment holds marker: the run and anything it started."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_a_reader_that_leaves_early_ends_the_run_quietly_with_nothing_left_behind(
    tmp_path: Path,
) -> None:
    marker = f"NARRATE_TEST_MARK={tmp_path.name}"
    env = {**os.environ, "NARRATE_TEST_MARK": tmp_path.name}
    run = subprocess.Popen(
        [sys.executable, "-m", "narrate", "article", str(SHORT), "-o", "-"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert run.stdout is not None
    first = run.stdout.read(1000)  # | head -c 1000
    run.stdout.close()
    _, stderr = run.communicate(timeout=120)
    assert len(first) == 1000
    assert run.returncode in (0, 141), stderr.decode()
    assert b"Traceback" not in stderr and b"Error" not in stderr
    deadline = time.monotonic() + 10
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_with(marker) == []


def test_mp3_is_not_written_to_a_terminal() -> None:
    script = (
        "import pty, os, sys, subprocess\n"
        "m, s = pty.openpty()\n"
        f"p = subprocess.run([sys.executable, '-m', 'narrate', 'article', {str(SHORT)!r},"
        " '-o', '-'], stdout=s, stderr=subprocess.PIPE)\n"
        "sys.stderr.write(p.stderr.decode()); sys.exit(p.returncode)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert done.returncode == 2
    assert "refusing to write MP3 to a terminal" in done.stderr.decode()


def _speech(seconds: float) -> np.ndarray:
    """Speech-like: a pitched buzz in syllable bursts, so loudness gating behaves as on voice."""
    t = np.arange(int(RATE * seconds)) / RATE
    voiced = np.sign(np.sin(2 * np.pi * 120 * t)) * 0.2 * (np.sin(2 * np.pi * 4 * t) > 0)
    return voiced.astype(np.float32)


def test_a_stream_keeps_its_predicted_gain(tmp_path: Path) -> None:
    signal = _speech(8.0)
    right = encode.gain_to(*encode.measure_level(signal, RATE))
    out = tmp_path / "stream.mp3"
    with out.open("wb") as sink:
        encoder = Encoder(RATE, right - 6.0, sink)
        encoder.write(signal)
        encoder.close(np.zeros(RATE // 2, np.float32))
    assert measure_file(out).integrated_lufs == pytest.approx(encode.TARGET_LUFS_MONO - 6, abs=1)


def test_a_closed_stream_is_listener_gone_not_an_error(tmp_path: Path) -> None:
    read, write = os.pipe()
    os.close(read)
    with os.fdopen(write, "wb") as sink:
        encoder = Encoder(RATE, 0.0, sink)
        with pytest.raises(ListenerGone):
            for _ in range(100):
                encoder.write(_speech(1.0))


def test_the_shipped_levels_match_a_fresh_measurement(clip_cache: ClipCache) -> None:
    profile = voices.load_profile()
    fresh = levels.measure(profile, clip_cache)
    shipped = levels.shipped()
    assert fresh.keys() <= shipped.keys(), "run scripts/calibrate.py"
    # Within the miss that makes a file be encoded again; Piper's noise alone moves ±0.3 LU.
    for key, level in fresh.items():
        assert level.lufs == pytest.approx(shipped[key].lufs, abs=encode.TOLERANCE_LU)
        assert level.limiter_loss == pytest.approx(shipped[key].limiter_loss, abs=0.5)


def test_an_unknown_voice_setting_is_measured_once_and_kept(clip_cache: ClipCache) -> None:
    profile = voices.load_profile()
    narration = dataclasses.replace(profile.delivery("narration"), gain_db=6.0)
    louder = dataclasses.replace(profile, deliveries={**profile.deliveries, "narration": narration})
    first = levels.levels(louder, clip_cache)
    assert first["narration"].lufs == pytest.approx(first["title"].lufs + 6.0, abs=0.7)
    kept = list((clip_cache.root / "levels").glob("*.json"))
    assert len(kept) == 1
    assert levels.levels(louder, clip_cache) == first  # read back, not measured again
    assert list((clip_cache.root / "levels").glob("*.json")) == kept


def test_the_predicted_gain_brings_speech_to_the_target(clip_cache: ClipCache) -> None:
    profile = voices.load_profile()
    texts = ("A council vote is due on Friday.", "Officials said the cost would rise.")
    script = Script(
        "t",
        (Chapter("t", (Segment("narration", tuple(Sentence(t, t) for t in texts)),)),),
    )
    clips = synthesize(script, profile, cache=clip_cache)
    signal = np.concatenate([c.samples for c in clips[0]])
    gain = levels.gain_db(script, levels.levels(profile, clip_cache))
    out = clip_cache.root / "predicted.mp3"
    encoder = Encoder(RATE, gain, out)
    encoder.write(signal)
    encoder.close(np.zeros(RATE // 2, np.float32))
    assert measure_file(out).integrated_lufs == pytest.approx(encode.TARGET_LUFS_MONO, abs=1.0)
