"""Inline quotations: one utterance per sentence, the quoted words voiced on their own samples."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from narrate.audio.align import tokens
from narrate.errors import SynthesisError
from narrate.models import Clip, Delivery, Script, Word

XFADE_MS = 15
"""Crossfade between the narrator's samples and the processed span: no click, no gap."""
CONTEXT_MS = 100
"""Audio either side of a span given to the pitch shifter, so it is settled at the span's edges."""
LEAD_MAX_MS = 25
"""The most rubberband's output is searched ahead or behind its input (it measures ≈10 ms)."""
GAP_MS = 60
"""Silence between the fragments of one sentence when the quote is another speaker."""

Position = tuple[int, int]
"""(segment index, sentence index) in a script."""
Process = Callable[[np.ndarray], np.ndarray]
"""Samples → the same speech, pitch-shifted and stretched by the tempo given with it."""


def runs(script: Script) -> list[list[Position]]:
    """The script's sentences in speaking order, those that run on grouped with what follows."""
    out: list[list[Position]] = []
    joined = False
    for i, segment in enumerate(script.segments):
        for j, sentence in enumerate(segment.sentences):
            if joined:
                out[-1].append((i, j))
            else:
                out.append([(i, j)])
            joined = sentence.runs_on
    return out


def run_on_text(spoken: str) -> str:
    """A fragment's text ending in a comma unless it ends in a pause already: no final cadence."""
    return spoken if spoken[-1:] in ",;:—–" else f"{spoken.rstrip('.!?…')},"


def same_audio(a: Delivery, b: Delivery) -> bool:
    """Whether a part in delivery `a` sounds as `b` does: noise settings cannot be applied later."""
    fields = ("model", "speaker_id", "length_scale", "pitch_semitones", "gain_db")
    return all(getattr(a, f) == getattr(b, f) for f in fields)


def cuts(words: Sequence[Word], counts: Sequence[int], rate: int, length: int) -> list[int]:
    """Sample positions where each part starts, then the end: midway between the words apart."""
    if sum(counts) != len(words):
        raise SynthesisError(f"{len(words)} word timings for {sum(counts)} words; cannot split")
    out = [0]
    k = 0
    for n in counts[:-1]:
        k += n
        if not 0 < k < len(words):
            raise SynthesisError("a part of an inline quotation has no words")
        mid_ms = (words[k - 1].end_ms + words[k].start_ms) / 2
        out.append(round(mid_ms * rate / 1000))
    return [*out, length]


def voice_span(
    samples: np.ndarray, rate: int, a: int, b: int, tempo: float, process: Process
) -> tuple[np.ndarray, int]:
    """(samples with [a, b) replaced by its processed version, where b now is), crossfaded."""
    n = len(samples)
    half = round(XFADE_MS * rate / 2000)
    pad = round(CONTEXT_MS * rate / 1000)
    lo, hi = max(0, a - half - pad), min(n, b + half + pad)
    start, end = max(0, a - half), min(n, b + half)
    y = process(samples[lo:hi])
    lead = _lead(samples[lo:hi], y, tempo, rate)
    first = max(0, round((start - lo) / tempo) - lead)
    core = y[first : first + round((end - start) / tempo)].astype(np.float32)
    fade = min(2 * half, len(core) // 2, end - start)
    ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, fade))).astype(np.float32)
    if a > 0 and fade:
        core[:fade] = core[:fade] * ramp + samples[start : start + fade] * (1 - ramp)
    if b < n and fade:
        core[-fade:] = core[-fade:] * ramp[::-1] + samples[end - fade : end] * ramp
    out = np.concatenate([samples[:start], core, samples[end:]])
    return out, b + len(out) - n


def _lead(x: np.ndarray, y: np.ndarray, tempo: float, rate: int) -> int:
    """Samples by which the processed y runs ahead of x: rubberband's latency shifts with pitch.

    Found by matching energy envelopes (1 ms frames) within ±LEAD_MAX_MS; crossfading speech
    misaligned by that much would blur the words at the seams.
    """
    frame = max(rate // 1000, 1)
    limit = LEAD_MAX_MS

    def envelope(s: np.ndarray) -> np.ndarray:
        n = len(s) // frame
        return np.sqrt(np.mean(s[: n * frame].reshape(n, frame) ** 2, axis=1))

    ey = envelope(y)
    ex = envelope(x)
    ex = np.interp(np.arange(len(ey)) * tempo, np.arange(len(ex)), ex)
    if len(ey) <= 2 * limit:
        return 0
    inner = ey[limit:-limit]
    scores = [
        float(np.dot(ex[limit + k : limit + k + len(inner)], inner))
        for k in range(-limit, limit + 1)
    ]
    return (int(np.argmax(scores)) - limit) * frame


def _moved(word: Word, a_ms: float, b_ms: float, new_b_ms: float) -> Word:
    def at(t: int) -> int:
        if t <= a_ms:
            return t
        if t >= b_ms:
            return round(t + new_b_ms - b_ms)
        return round(a_ms + (t - a_ms) * (new_b_ms - a_ms) / (b_ms - a_ms))

    return Word(word.text, at(word.start_ms), at(word.end_ms))


def voice_parts(
    clip: Clip,
    base: Delivery,
    parts: Sequence[tuple[Delivery, str]],
    default_length: float,
    shift: Callable[[np.ndarray, float, float], np.ndarray],
) -> Clip:
    """The utterance with each part whose delivery differs from `base` given that delivery.

    `shift(samples, semitones, tempo)` is the formant-preserving pitch shift; a part's pace is
    its length_scale against the base's. Later parts first, so earlier positions stay put.
    """
    counts = [len(tokens(text)) for _, text in parts]
    bounds = cuts(clip.words, counts, clip.sample_rate, len(clip.samples))
    samples, words, rate = clip.samples, list(clip.words), clip.sample_rate
    for k in reversed(range(len(parts))):
        d = parts[k][0]
        if same_audio(d, base):
            continue
        tempo = (base.length_scale or default_length) / (d.length_scale or default_length)
        semitones = d.pitch_semitones - base.pitch_semitones
        gain = np.float32(10 ** ((d.gain_db - base.gain_db) / 20))
        a, b = bounds[k], bounds[k + 1]
        samples, new_b = voice_span(
            samples, rate, a, b, tempo, lambda x, s=semitones, t=tempo, g=gain: shift(x, s, t) * g
        )
        a_ms, b_ms, new_ms = (v * 1000 / rate for v in (a, b, new_b))
        words = [_moved(w, a_ms, b_ms, new_ms) for w in words]
    samples = np.clip(samples, -1.0, 1.0).astype(np.float32)
    return Clip(samples=samples, sample_rate=rate, words=tuple(words))


def split(clip: Clip, texts: Sequence[str]) -> list[Clip]:
    """The clip of one utterance cut between its parts' words; the parts tile it exactly."""
    counts = [len(tokens(t)) for t in texts]
    rate = clip.sample_rate
    bounds = cuts(clip.words, counts, rate, len(clip.samples))
    out: list[Clip] = []
    first = 0
    for k, n in enumerate(counts):
        a, b = bounds[k], bounds[k + 1]
        offset = a * 1000 / rate
        words = tuple(
            Word(w.text, max(0, round(w.start_ms - offset)), round(w.end_ms - offset))
            for w in clip.words[first : first + n]
        )
        first += n
        last = k == len(counts) - 1
        out.append(Clip(clip.samples[a:b], rate, words, join_ms=None if last else 0))
    return out


def joined(clip: Clip, join_ms: int | None) -> Clip:
    """The clip marked to run on into the next after `join_ms` of silence."""
    return dataclasses.replace(clip, join_ms=join_ms)
