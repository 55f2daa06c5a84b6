"""A file as one MP3 part per chapter, each kept: a re-narration encodes only what it changed.

Correcting one sentence used to mean encoding the whole episode again after synthesising it,
about 0.5 CPU-s per four minutes. Each chapter is now encoded on its own and kept in the cache
under what it is made of (its clips and pauses, the gain); the file is their frames one after
another (encode.join). A part ends with silence inside the pause before the next chapter, so
that the next starts on a frame boundary: that pause moves by at most half a frame (±13 ms at
22.05 kHz), and every time after it is placed from where that part really starts.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from narrate.audio import bumper, encode, synthesize
from narrate.audio.bumper import Bumper
from narrate.audio.cache import ClipCache
from narrate.audio.encode import Encoder
from narrate.audio.job import model_for
from narrate.audio.master import Assembler
from narrate.audio.synthesize import Made
from narrate.audio.voices import Profile
from narrate.errors import AudioError
from narrate.models import ROLES, Clip, Delivery, Layout, Role, Script

log = logging.getLogger(__name__)

VERSION = 1
"""Bumped when the same key would make a different part."""
GAIN_STEP_DB = 0.1
"""A file's gain is rounded to this, so that an edit in one chapter leaves the gain, and so the
other chapters' parts, as they were: 0.05 dB is far under what anyone hears."""
KEEP = 512
"""Parts kept; the least recently used go first."""


@dataclass(frozen=True)
class Span:
    """The clips of one part: indexes [start, end) of the clips stream() yields."""

    start: int
    end: int
    key: str
    lead: int | None
    """Samples of silence it ends with, inside the pause before the next part (None: last)."""


@dataclass(frozen=True)
class Part:
    """One encoded part: an MP3 at a byte offset of a file of the cache (after its header)."""

    file: Path
    offset: int
    samples: int
    """Samples it was encoded from: the next part starts at encode.frames_end() of them."""
    blocks: tuple[float, ...]
    """Its momentary loudness (LUFS) every 100 ms."""


def rounded(gain_db: float) -> float:
    return round(round(gain_db / GAIN_STEP_DB) * GAIN_STEP_DB, 3)


def spans(
    script: Script,
    made: Sequence[tuple[Made, int | None]],
    deliveries: Mapping[Role, Delivery],
    rate: int,
    bitrate: str,
    gain: float,
    bumpers: tuple[Bumper | None, Bumper | None],
) -> list[Span]:
    """One span per chapter, or per run of chapters when the pause between two cannot hold
    a join; `made` is synthesize.slots(): what each clip is, and the silence it runs on with."""
    intro, outro = bumpers
    dry = Assembler(script, deliveries, outro=outro)
    dry.rate = rate
    chapters = [k for k, c in enumerate(script.chapters) for s in c.segments for _ in s.sentences]
    if len(chapters) != len(made):
        raise AudioError(f"{len(made)} clips for the script's {len(chapters)} sentences")
    pauses: list[int] = []
    cuts = [0]
    for n, (_, joins) in enumerate(made):
        pause = dry.pause()
        runs_on = made[n - 1][1] is not None if n else True
        if not runs_on and chapters[n] != chapters[n - 1] and encode.join_lead(pause, rate) >= 0:
            cuts.append(n)
        pauses.append(pause)
        dry.place(0, (), joins)
    closing, _ = dry.finish()
    cuts.append(len(made))
    out = []
    for start, end in itertools.pairwise(cuts):
        last = end == len(made)
        lead = None if last else encode.join_lead(pauses[end], rate)
        # The pause before a later part's first clip is the join's, not the part's.
        clips = [(made[n][0], pauses[n] if n > start or not n else None) for n in range(start, end)]
        fields = [VERSION, encode.VERSION, rate, bitrate, gain, lead, clips]
        fields += [_digest(intro) if start == 0 else None, _digest(closing) if last else None]
        key = hashlib.sha256(json.dumps(fields).encode()).hexdigest()[:32]
        out.append(Span(start, end, key, lead))
    return out


def write(
    script: Script,
    profile: Profile,
    clips: Iterator[Clip],
    dest: Path,
    cache: ClipCache,
    gain: float,
    bitrate: str,
    bumpers: tuple[Bumper | None, Bumper | None],
) -> tuple[Layout, float]:
    """The clips stream() yields for a script, as an MP3 at dest made of parts: those an
    earlier narration made are used as they are, and a file that misses the loudness target
    is made again from the clip cache at the gain corrected. Its layout and loudness (LUFS)."""
    deliveries = {role: profile.delivery(role) for role in ROLES}
    made = synthesize.slots(script, profile, cache)
    rate = model_for(profile.delivery("narration")).sample_rate
    gain = rounded(gain)
    for again in (False, True):
        at_level = bumper.at_level(bumpers, gain)
        cut = spans(script, made, deliveries, rate, bitrate, gain, at_level)
        intro, outro = at_level
        frame = encode.frame_samples(rate)
        assembler = Assembler(script, deliveries, intro=intro, outro=outro, frame=frame)
        layout, kept = encode_parts(clips, assembler, cut, cache, gain, bitrate)
        last = time.monotonic()
        lufs = loudness(kept)
        corrected = encode.corrected(gain, lufs)
        if again or corrected is None:
            break
        log.info("loudness %.1f LUFS misses the target: encoding again", lufs)
        gain = rounded(corrected)
        clips = synthesize.cached(script, profile, cache)
    encode.join([(part.file, part.offset) for part in kept], dest)
    log.info("audio finished %.2f s after the last clip", time.monotonic() - last)
    return layout, lufs


def encode_parts(
    clips: Iterator[Clip],
    assembler: Assembler,
    spans: Sequence[Span],
    cache: ClipCache,
    gain: float,
    bitrate: str,
) -> tuple[Layout, list[Part]]:
    """Place every clip, encoding the parts not kept as their clips come; their layout, and
    the parts in order, kept in the cache."""
    starts = {span.start: k for k, span in enumerate(spans)}
    parts: list[Part] = []
    encoder: Encoder | None = None
    begun = 0
    """Where the current part starts, in samples placed."""
    try:
        for n, clip in enumerate(clips):
            k = starts.get(n)
            pause = None
            if k is not None and k:
                parts.append(_ended(encoder, spans[k - 1], cache, assembler.length - begun))
                ended = encode.frames_end(parts[-1].samples, clip.sample_rate)
                pause = ended - (parts[-1].samples - (spans[k - 1].lead or 0))
            samples = assembler.add(clip, pause)
            if k is not None:
                begun = assembler.length - len(samples) + (pause or 0)
                samples = samples[pause or 0 :]  # that pause is the part before's
                encoder = None
                if _kept(cache, spans[k].key) is None:
                    cache.parts.mkdir(parents=True, exist_ok=True)
                    fd, tmp = tempfile.mkstemp(f".{spans[k].key}.mp3", ".", dir=cache.parts)
                    os.close(fd)
                    encoder = Encoder(clip.sample_rate, gain, Path(tmp), bitrate=bitrate)
            if encoder is not None:
                encoder.write(samples)
        closing, layout = assembler.finish()
        if encoder is not None:
            encoder.write(closing)
        parts.append(_ended(encoder, spans[-1], cache, layout.length - begun))
    except BaseException:
        if encoder is not None:
            encoder.abort()
            assert isinstance(encoder.dest, Path)
            encoder.dest.unlink(missing_ok=True)
        raise
    return layout, parts


def loudness(parts: Sequence[Part]) -> float:
    """The integrated loudness (LUFS) the parts joined decode at."""
    return encode.integrated([b for part in parts for b in part.blocks])


def _ended(encoder: Encoder | None, span: Span, cache: ClipCache, placed: int) -> Part:
    """The part of `span`: finished (with its lead) and kept, or as kept; `placed` samples of
    it were placed, its lead not counted."""
    if encoder is not None:
        assert isinstance(encoder.dest, Path)
        encoder.close(np.zeros(span.lead or 0, np.float32))
        header = {"samples": encoder.samples, "blocks": encoder.blocks}
        try:
            cache.keep(_path(cache, span.key), header, encoder.dest.read_bytes(), KEEP)
        finally:
            encoder.dest.unlink(missing_ok=True)
    part = _kept(cache, span.key)
    if part is None:
        raise AudioError(
            f"the part {span.key} is not in {cache.parts} as it was used; narrate again"
        )
    if part.samples != placed + (span.lead or 0):
        raise AudioError(
            f"part {span.key} holds {part.samples} samples where its clips take "
            f"{placed + (span.lead or 0)}; `narrate cache clear` and narrate again"
        )
    return part


def _kept(cache: ClipCache, key: str) -> Part | None:
    path = _path(cache, key)

    def read(header: dict[str, Any], mp3: bytes) -> Part:
        blocks = tuple(float(b) for b in header["blocks"])
        return Part(path, path.stat().st_size - len(mp3), int(header["samples"]), blocks)

    return cache.load(path, read)


def _path(cache: ClipCache, key: str) -> Path:
    return cache.parts / f"{key}.part"


def _digest(audio: Bumper | np.ndarray | None) -> str | None:
    if audio is None:
        return None
    samples = audio.samples if isinstance(audio, Bumper) else audio
    return hashlib.sha256(np.ascontiguousarray(samples, dtype="<f4").tobytes()).hexdigest()
