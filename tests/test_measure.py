"""The listening measures judge known signals as their definitions say."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from narrate.audio.master import write_wav
from narrate.audio.measure import (
    decode,
    measure_file,
    median_f0,
    recognise,
    recogniser,
    word_errors,
)
from tests.audio_helpers import RATE, speak, tone


@pytest.mark.parametrize("freq", [110.0, 180.0, 260.0])
def test_median_f0_of_a_tone_is_its_frequency(freq: float) -> None:
    assert median_f0(tone(1000, freq=freq).samples, RATE) == pytest.approx(freq, rel=0.03)


@pytest.mark.parametrize(
    ("ref", "hyp", "expected"),
    [
        ("the old bridge", "the old bridge", (0, 3)),
        ("The old bridge.", "the bridge", (1, 3)),
        ("the old bridge", "a cold bridge too", (3, 3)),
        ("it's here", "its here", (1, 2)),
        ("", "noise", (1, 0)),
    ],
)
def test_word_errors_count_edits_in_words(ref: str, hyp: str, expected: tuple[int, int]) -> None:
    assert word_errors(ref, hyp) == expected


def test_a_sine_reads_at_its_known_loudness_and_decodes_back(tmp_path: Path) -> None:
    # A 1 kHz sine of peak 0.5 is 6.02 dB under full scale, whose sine reads -3.01 LUFS.
    clip = tone(3000, freq=1000.0, level=0.5)
    wav = tmp_path / "sine.wav"
    write_wav(clip, wav)
    loud = measure_file(wav)
    assert loud.integrated_lufs == pytest.approx(-9.0, abs=0.3)
    assert loud.true_peak_dbtp == pytest.approx(-6.0, abs=0.3)
    back = decode(wav)
    assert len(back) == len(clip.samples)
    assert np.max(np.abs(back - clip.samples)) < 1e-3


@pytest.mark.slow
def test_the_recogniser_hears_real_speech() -> None:
    text = "The old bridge opened again on Monday."
    errors, words = word_errors(text, recognise(speak(text), recogniser()))
    assert words == 7 and errors <= 2
