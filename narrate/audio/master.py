"""Mastering: clips → one timed signal (Timeline) → one loudness-normalised MP3."""

from __future__ import annotations

import logging
import math
import re
import wave
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from narrate.audio import ffmpeg
from narrate.audio.cache import ClipCache, Mastered, mastered_key
from narrate.config import Settings
from narrate.errors import AudioError
from narrate.files import atomic_path
from narrate.models import (
    ChapterMark,
    Clip,
    Cue,
    Delivery,
    Role,
    Script,
    Segment,
    Timeline,
    Word,
)

if TYPE_CHECKING:
    from narrate.audio.bumper import Bumper

log = logging.getLogger(__name__)

LEAD_IN_MS = 300
"""Silence before the first word."""
TAIL_MS = 700
"""Silence after the last word."""
BUMPER_GAP_MS = 500
"""Silence between an intro and the lead-in before the first word."""
TARGET_LUFS_MONO = -19.0
"""Integrated loudness of a mono episode (the mono equivalent of −16 LUFS stereo)."""
TRUE_PEAK_DBTP = -1.0
"""Ceiling for the encoded file's true peak."""
VERSION = 1
"""Bumped when encode() would turn the same signal into different audio."""

# The limiter works on sample peaks; inter-sample peaks and MP3 quantisation add up to ~0.5 dB
# on speech, so it holds 1 dB under the true-peak ceiling (speech files measure ≈ −2 dBTP).
_LIMIT_DBFS = TRUE_PEAK_DBTP - 1.0
# lame -q 7: 2.5x faster than the default; mono speech at 64 kbit/s does not need more.
_COMPRESSION_LEVEL = 7
# libmp3lame's decoded output is 0.95 x its input (measured: -0.45 dB at every bitrate and
# frequency), so the signal fed to it is made that much louder.
_ENCODER_GAIN_DB = -0.45
_MAX_GAIN_DB = 30.0
_SILENCE_LUFS = -70.0
_INTEGRATED = re.compile(r"Integrated loudness:\s*I:\s*(-?[\d.]+|-?inf|nan) LUFS", re.IGNORECASE)


def assemble(
    script: Script,
    clips: Sequence[tuple[Clip, ...]],
    deliveries: Mapping[Role, Delivery],
    *,
    intro: Bumper | None = None,
    outro: Bumper | None = None,
) -> Timeline:
    """Join the clips with each role's pauses into one signal, with chapter marks and cues.

    Clips are used as they are: a role's gain_db and pitch are synthesis's business. An intro
    and BUMPER_GAP_MS come first, so every time after them moves by exactly that much (the first
    chapter still starts at 0, holding the intro); an outro follows the tail.
    """
    segments = script.segments
    if len(clips) != len(segments):
        raise AudioError(
            f"got clips for {len(clips)} segments but the script has {len(segments)}; "
            "synthesise the same script you master"
        )
    for i, (segment, seg_clips) in enumerate(zip(segments, clips, strict=True)):
        if len(seg_clips) != len(segment.sentences):
            raise AudioError(
                f"segment {i} has {len(segment.sentences)} sentences but {len(seg_clips)} clips; "
                "synthesise the same script you master"
            )
    rate = _common_rate([c for seg_clips in clips for c in seg_clips])

    def pause(ms: int) -> int:
        return round(max(ms, 0) * rate / 1000)

    def delivery(segment: Segment) -> Delivery:
        return deliveries.get(segment.role, Delivery())

    lead = len(intro.samples) + pause(BUMPER_GAP_MS) if intro else 0
    parts: list[np.ndarray] = []
    pos = lead  # samples so far
    cues: list[Cue] = []
    chapter_starts: list[tuple[str, int]] = []
    prev: Delivery | None = None
    joined: int | None = None  # the last clip runs on into the next: its gap, not the pauses
    seg_index = 0
    for chapter in script.chapters:
        chapter_start: int | None = None
        for segment in chapter.segments:
            seg_clips = clips[seg_index]
            seg_index += 1
            if not seg_clips:
                continue
            here = delivery(segment)
            if prev is None:
                gap = pause(max(LEAD_IN_MS, here.pause_before_ms))
            else:
                # Pauses meet rather than add up, and a segment break is never
                # shorter than a sentence break.
                gap = pause(max(prev.pause_after_ms, here.pause_before_ms, here.sentence_pause_ms))
            for j, (sentence, clip) in enumerate(zip(segment.sentences, seg_clips, strict=True)):
                if joined is not None:
                    gap = pause(joined)
                elif j:
                    gap = pause(here.sentence_pause_ms)
                joined = clip.join_ms
                parts.append(np.zeros(gap, dtype=np.float32))
                pos += gap
                samples = _mono(clip)
                parts.append(samples)
                start, end = pos, pos + len(samples)
                pos = end
                if chapter_start is None:
                    chapter_start = start
                start_ms = start * 1000 / rate
                cues.append(
                    Cue(
                        start_ms=_ms(start, rate),
                        end_ms=_ms(end, rate),
                        role=segment.role,
                        text=sentence.text,
                        words=tuple(
                            Word(
                                w.text,
                                round(start_ms + w.start_ms),
                                round(start_ms + w.end_ms),
                            )
                            for w in clip.words
                        ),
                    )
                )
            prev = here
        if chapter_start is None:
            log.debug("chapter %r has nothing to speak; no mark for it", chapter.title)
            continue
        chapter_starts.append((chapter.title, chapter_start))
    if prev is None:
        raise AudioError("the script has no sentences to master; check the article extraction")
    tail = pause(max(TAIL_MS, prev.pause_after_ms))
    parts.append(np.zeros(tail, dtype=np.float32))
    pos += tail

    signal = np.concatenate(parts)
    if intro or outro:
        signal = _with_bumpers(signal, rate, intro, lead, outro)
        pos = len(signal)
    total_ms = _ms(pos, rate)
    starts_ms = [0] + [_ms(s, rate) for _, s in chapter_starts[1:]]
    ends_ms = [*starts_ms[1:], total_ms]
    marks = tuple(
        ChapterMark(title, start, end)
        for (title, _), start, end in zip(chapter_starts, starts_ms, ends_ms, strict=True)
    )
    return Timeline(samples=signal, sample_rate=rate, chapters=marks, cues=tuple(cues))


def encode(
    timeline: Timeline,
    dest: Path,
    *,
    bitrate: str = Settings.bitrate,
    target_lufs: float | None = None,
    timeout: float = ffmpeg.DEFAULT_TIMEOUT_S,
) -> float:
    """Normalise loudness, limit peaks and encode a mono CBR MP3 to dest.

    Returns the integrated loudness (LUFS) of the gained, limited signal as the file will decode.
    """
    target = (TARGET_LUFS_MONO if target_lufs is None else target_lufs) - _ENCODER_GAIN_DB
    pcm = _pcm(timeline.samples)
    rate = timeline.sample_rate
    measured = _measure(pcm, rate, "", timeout)
    gain = _gain(target, measured)
    if gain and _peak_db(timeline.samples) + gain > _LIMIT_DBFS:
        # The limiter lowers loudness a little (≈1 LU for speech at −19 LUFS); measure that
        # once and make it up, so the encode lands on the target in one more pass.
        limited = _measure(pcm, rate, _limiter(gain), timeout)
        if limited > _SILENCE_LUFS:
            gain = min(gain + (target - limited), _MAX_GAIN_DB)
    proc = ffmpeg.run(
        [
            *_pcm_input(rate),
            "-af",
            f"{_limiter(gain)},ebur128=framelog=quiet",
            "-c:a",
            "libmp3lame",
            "-b:a",
            bitrate,
            "-compression_level",
            str(_COMPRESSION_LEVEL),
            "-id3v2_version",
            "0",
            "-write_id3v1",
            "0",
            "-f",
            "mp3",
            "-y",
            f"file:{dest}",
        ],
        input=pcm,
        timeout=timeout,
    )
    result = _integrated(proc.stderr) + _ENCODER_GAIN_DB
    log.debug("loudness %.1f LUFS, gain %+.2f dB → %.1f LUFS", measured, gain, result)
    return result


def encode_cached(
    timeline: Timeline,
    dest: Path,
    *,
    bitrate: str = Settings.bitrate,
    cache: ClipCache | None = None,
) -> float:
    """encode(), or the kept encoding of an identical signal: unchanged articles skip the encode."""
    store = cache or ClipCache()
    key = mastered_key(timeline.samples, timeline.sample_rate, f"mp3 {bitrate} {VERSION}")
    if hit := store.get_mastered(key):
        dest.write_bytes(hit.audio)
        return hit.loudness_lufs
    loudness = encode(timeline, dest, bitrate=bitrate)
    store.put_mastered(key, Mastered(dest.read_bytes(), loudness))
    return loudness


def _common_rate(clips: Sequence[Clip]) -> int:
    rates = sorted({c.sample_rate for c in clips})
    if not rates:
        raise AudioError("the script has no sentences to master; check the article extraction")
    if len(rates) > 1:
        raise AudioError(
            f"clips have different sample rates ({', '.join(map(str, rates))} Hz); "
            "use voices with one sample rate for all roles"
        )
    return rates[0]


def _with_bumpers(
    speech: np.ndarray, rate: int, intro: Bumper | None, lead: int, outro: Bumper | None
) -> np.ndarray:
    """The intro (padded with silence to `lead` samples), the speech, then the outro.

    Bumpers come at TARGET_LUFS_MONO and the speech at the voice's own level; encode() gains the
    whole episode, so the bumpers are brought to the speech's level here to stay level with it.
    """
    for bumper in (intro, outro):
        if bumper and bumper.sample_rate != rate:
            raise AudioError(
                f"{bumper.source} was decoded at {bumper.sample_rate} Hz but the voice speaks "
                f"at {rate} Hz; load it at the episode's rate"
            )
    measured = loudness(speech, rate)
    gain = 10 ** ((measured - TARGET_LUFS_MONO) / 20) if measured > _SILENCE_LUFS else 1.0
    head = np.zeros(lead, dtype=np.float32)
    if intro:
        head[: len(intro.samples)] = intro.samples * gain
    tail = outro.samples * gain if outro else np.zeros(0, dtype=np.float32)
    return np.concatenate([head, speech, tail.astype(np.float32)])


def _mono(clip: Clip) -> np.ndarray:
    samples = np.asarray(clip.samples, dtype=np.float32)
    if samples.ndim != 1:
        raise AudioError(f"clip audio must be mono (1-D), got shape {samples.shape}")
    return samples


def _ms(samples: int, rate: int) -> int:
    return round(samples * 1000 / rate)


def _pcm(samples: np.ndarray) -> bytes:
    return np.ascontiguousarray(samples, dtype="<f4").tobytes()


def _pcm_input(rate: int) -> list[str]:
    return ["-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0"]


def _limiter(gain_db: float) -> str:
    limit = 10 ** (_LIMIT_DBFS / 20)
    # level=false: no make-up gain; latency=true: no lookahead delay, so cue times stay exact.
    return (
        f"volume={gain_db:.3f}dB,"
        f"alimiter=limit={limit:.5f}:attack=5:release=50:level=false:latency=true"
    )


def _gain(target: float, measured: float) -> float:
    if not measured > _SILENCE_LUFS:
        log.warning("the episode is silent (%.1f LUFS); leaving its level alone", measured)
        return 0.0
    return min(target - measured, _MAX_GAIN_DB)


def _peak_db(samples: np.ndarray) -> float:
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def loudness(samples: np.ndarray, rate: int) -> float:
    """Integrated loudness (LUFS) of a mono signal, measured as encode() measures an episode."""
    return _measure(_pcm(samples), rate, "")


def _measure(pcm: bytes, rate: int, chain: str, timeout: float = ffmpeg.DEFAULT_TIMEOUT_S) -> float:
    meter = f"{chain},ebur128=framelog=quiet" if chain else "ebur128=framelog=quiet"
    args = [*_pcm_input(rate), "-af", meter, "-f", "null", "-"]
    return _integrated(ffmpeg.run(args, input=pcm, timeout=timeout).stderr)


def _integrated(stderr: bytes) -> float:
    text = stderr.decode("utf-8", "replace")
    found = _INTEGRATED.findall(text[text.rfind("Summary:") :])
    if not found:
        raise AudioError("ffmpeg ebur128 printed no loudness summary; is this ffmpeg complete?")
    return float(found[-1])


def write_wav(clip: Clip, out: Path) -> None:
    """Write one clip as 16-bit PCM WAV atomically (for auditioning with `narrate say`)."""
    pcm16 = (np.clip(_mono(clip), -1.0, 1.0) * 32767).astype("<i2").tobytes()
    with atomic_path(out) as tmp, wave.open(str(tmp), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(clip.sample_rate)
        wav.writeframes(pcm16)
