"""Listening measures for the tests and the bench: loudness, pitch, and what a recogniser hears.

Not used by narration itself; it lives here so tests and scripts judge audio alike without one
importing the other. pocketsphinx is a dev dependency, imported only when a recogniser is made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from narrate.audio import ffmpeg
from narrate.errors import AudioError
from narrate.models import Clip

if TYPE_CHECKING:
    from pocketsphinx import Decoder


@dataclass(frozen=True)
class Loudness:
    """A file's loudness as ffmpeg's EBU R128 meter reads it."""

    integrated_lufs: float
    true_peak_dbtp: float


def measure_file(path: Path) -> Loudness:
    """Integrated loudness and true peak of an audio file (ffmpeg ebur128)."""
    proc = ffmpeg.run(
        ["-i", str(path), "-af", "ebur128=framelog=quiet:peak=true", "-f", "null", "-"]
    )
    text = proc.stderr.decode()
    summary = text[text.rfind("Summary:") :]
    integrated = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    if not (integrated and peak):
        raise AudioError(f"ffmpeg ebur128 printed no loudness summary for {path}: {summary!r}")
    return Loudness(float(integrated.group(1)), float(peak.group(1)))


def decode(path: Path) -> np.ndarray:
    """The file decoded to mono float32 at its own rate (ffmpeg trims encoder delay/padding)."""
    proc = ffmpeg.run(["-i", str(path), "-f", "f32le", "-ac", "1", "-"])
    return np.frombuffer(proc.stdout, dtype=np.float32)


def median_f0(samples: np.ndarray, rate: int, fmin: float = 60, fmax: float = 400) -> float:
    """Median F0 (Hz) of voiced 40 ms frames, by normalised autocorrelation."""
    frame, hop = int(0.04 * rate), int(0.01 * rate)
    lo, hi = int(rate / fmax), int(rate / fmin)
    floor = 0.1 * float(np.sqrt(np.mean(samples**2)))
    found = []
    for start in range(0, len(samples) - frame, hop):
        f = samples[start : start + frame] - samples[start : start + frame].mean()
        if np.sqrt(np.mean(f**2)) < floor:
            continue
        ac = np.correlate(f, f, "full")[frame - 1 :]
        ac = ac / ac[0]
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.5:
            found.append(rate / lag)
    return float(np.median(found))


def recogniser() -> Decoder:
    """pocketsphinx with its bundled US English model, quiet (needs the dev extra)."""
    from pocketsphinx import Decoder

    return Decoder(samprate=16000, loglevel="FATAL")


def recognise(clip: Clip, decoder: Decoder) -> str:
    """What the recogniser hears in a clip."""
    fmt = ["-f", "f32le", "-ar", str(clip.sample_rate), "-ac", "1"]
    pcm = ffmpeg.run(
        [*fmt, "-i", "pipe:0", "-ar", "16000", "-f", "s16le", "pipe:1"],
        input=clip.samples.astype("<f4").tobytes(),
    ).stdout
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return hyp.hypstr if hyp else ""


def word_errors(ref: str, hyp: str) -> tuple[int, int]:
    """(edit distance in words, reference words)."""
    r, h = re.findall(r"[a-z0-9']+", ref.lower()), re.findall(r"[a-z0-9']+", hyp.lower())
    row = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        prev, row[0] = row[0], i
        for j in range(1, len(h) + 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r[i - 1] != h[j - 1]))
    return row[len(h)], len(r)
