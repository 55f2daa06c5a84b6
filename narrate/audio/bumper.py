"""A publisher's intro and outro: audio narrate did not make, in any format ffmpeg decodes.

The one module that uses pydub. Each file is decoded, mixed to mono, faded, resampled to the
episode's rate and brought to the episode's loudness once; the result is kept in the cache, keyed
by the file's content and those settings, so the next episode reads it back without ffmpeg.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from narrate.audio import encode, ffmpeg
from narrate.audio.cache import ClipCache
from narrate.errors import InputError
from narrate.models import Clip

log = logging.getLogger(__name__)

MAX_MS = 120_000
"""The longest intro or outro: a sting or a sponsor line, not a programme."""
MAX_BYTES = 256 * 1024 * 1024
"""Larger files are refused unread: pydub reads a file whole, and two minutes take far less."""
VERSION = 1
"""Bumped when the same file and settings would be turned into different samples."""
_SILENT_LUFS = -70.0
"""ebur128's absolute gate: a signal below it measures as nothing."""
_BLOCK_S = 0.4
"""EBU R128's gating block; a shorter clip is measured repeated to that length."""


@dataclass(frozen=True)
class Bumper:
    """An intro or outro ready to put before or after the speech."""

    samples: np.ndarray = field(repr=False)
    """Mono float32 at the episode's rate and loudness target, fades applied."""
    sample_rate: int
    source: Path
    """The file it was decoded from."""

    @property
    def duration_ms(self) -> int:
        return round(len(self.samples) * 1000 / self.sample_rate)


def at_level(
    bumpers: tuple[Bumper | None, Bumper | None], gain_db: float
) -> tuple[Bumper | None, Bumper | None]:
    """The intro and outro at the target level: brought under the gain the speech gets."""
    under = -gain_db + encode.FEED_LUFS - encode.TARGET_LUFS_MONO
    return at_gain(bumpers[0], under), at_gain(bumpers[1], under)


def at_gain(bumper: Bumper | None, gain_db: float) -> Bumper | None:
    """The bumper `gain_db` louder (or None for none)."""
    if bumper is None:
        return None
    scaled = (bumper.samples * np.float32(10 ** (gain_db / 20))).astype(np.float32)
    return Bumper(scaled, bumper.sample_rate, bumper.source)


def load_bumper(
    path: Path,
    sample_rate: int,
    fade_in_ms: int = 0,
    fade_out_ms: int = 0,
    cache: ClipCache | None = None,
    *,
    kind: str = "intro",
) -> Bumper:
    """The file at path as a Bumper; InputError (one line naming the `kind`) if it is unusable.

    Fades longer than the file cover all of it.
    """
    store = cache or ClipCache()
    key = _key(_digest(path, kind), sample_rate, fade_in_ms, fade_out_ms)
    if hit := store.get_bumper(key):
        return Bumper(hit.samples, hit.sample_rate, path)
    samples, rate = _decode(path, kind, fade_in_ms, fade_out_ms)
    samples = _resample(samples, rate, sample_rate)
    samples = _normalise(samples, sample_rate, f"the {kind} {path}")
    store.put_bumper(key, Clip(samples=samples, sample_rate=sample_rate))
    bumper = Bumper(samples, sample_rate, path)
    log.debug("%s %s: decoded from %d Hz, %d ms", kind, path, rate, bumper.duration_ms)
    return bumper


def _digest(path: Path, kind: str) -> str:
    if not path.exists():
        raise InputError(f"{kind} file not found: {path}")
    if not path.is_file():
        raise InputError(f"the {kind} {path} is not a file")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(
                f"the {kind} {path} is {size / 2**20:.0f} MB; "
                f"an intro or outro must be under {MAX_BYTES // 2**20} MB"
            )
        with path.open("rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError as exc:
        raise InputError(f"cannot read the {kind} {path}: {exc.strerror}") from exc


def _key(digest: str, rate: int, fade_in_ms: int, fade_out_ms: int) -> str:
    fields = [VERSION, digest, rate, fade_in_ms, fade_out_ms, encode.TARGET_LUFS_MONO]
    return hashlib.sha256(json.dumps(fields).encode()).hexdigest()


def _decode(path: Path, kind: str, fade_in_ms: int, fade_out_ms: int) -> tuple[np.ndarray, int]:
    """Mono float32 samples and their rate, faded, through pydub and narrate's ffmpeg."""
    with warnings.catch_warnings():
        # pydub warns at import when no ffmpeg is on PATH (it gets imageio-ffmpeg's below), and
        # Python 3.11-3.12 warn that audioop, which it uses, is deprecated.
        warnings.simplefilter("ignore")
        from pydub import AudioSegment
        from pydub.exceptions import CouldntDecodeError

    AudioSegment.converter = ffmpeg.binary()
    what = f"the {kind} {path}"
    try:
        # from_file() first asks ffprobe for the codec, and imageio-ffmpeg has no ffprobe
        # (pydub issues #576, #810); this one has ffmpeg alone decode to a temporary WAV.
        # Decoding stops a second past the limit, so a long file costs no more than that.
        segment = AudioSegment.from_file_using_temporary_files(
            str(path), duration=MAX_MS / 1000 + 1
        )
    except CouldntDecodeError:
        raise InputError(f"{what} is not audio that ffmpeg can decode") from None
    except OSError as exc:
        raise InputError(f"cannot decode {what}: {exc.strerror or exc}") from exc
    frames = int(segment.frame_count())
    if frames == 0:
        raise InputError(f"{what} holds no audio")
    if frames > MAX_MS * segment.frame_rate // 1000:
        raise InputError(f"{what} is longer than {MAX_MS // 60_000} minutes")
    segment = segment.set_channels(1)
    # pydub lengthens a clip faded for longer than it lasts, so a fade is cut to the clip.
    if fade_in_ms:
        segment = segment.fade_in(min(fade_in_ms, len(segment)))
    if fade_out_ms:
        segment = segment.fade_out(min(fade_out_ms, len(segment)))
    full_scale = float(1 << (8 * segment.sample_width - 1))
    samples = np.asarray(segment.get_array_of_samples(), dtype=np.float32) / full_scale
    return samples, int(segment.frame_rate)


def _resample(samples: np.ndarray, rate: int, to: int) -> np.ndarray:
    if rate == to:
        return samples
    # ffmpeg's soxr resampler filters what the lower rate cannot hold (pydub's ratecv aliases it).
    proc = ffmpeg.run(
        [
            *("-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0"),
            *("-af", "aresample=resampler=soxr", "-f", "f32le", "-ar", str(to), "pipe:1"),
        ],
        input=np.ascontiguousarray(samples, dtype="<f4").tobytes(),
    )
    return np.frombuffer(proc.stdout, dtype="<f4").astype(np.float32)


def _normalise(samples: np.ndarray, rate: int, what: str) -> np.ndarray:
    """The samples at master's loudness target, measured the way master measures an episode."""
    if not np.any(samples):
        raise InputError(f"{what} is silent")
    block = math.ceil(_BLOCK_S * rate)
    measured_on = np.tile(samples, -(-block // len(samples))) if len(samples) < block else samples
    measured = encode.loudness(measured_on, rate)
    if not measured > _SILENT_LUFS:
        raise InputError(f"{what} is silent (below {_SILENT_LUFS:g} LUFS)")
    gain = 10 ** ((encode.TARGET_LUFS_MONO - measured) / 20)
    log.debug("%s: %.1f LUFS, gain %+.1f dB", what, measured, encode.TARGET_LUFS_MONO - measured)
    return (samples * gain).astype(np.float32)
