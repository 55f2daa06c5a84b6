"""Encoding: a signal → a loudness-normalised, peak-limited mono MP3, whole or as it comes."""

from __future__ import annotations

import logging
import math
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from narrate.audio import ffmpeg
from narrate.config import Settings
from narrate.errors import AudioError, ListenerGone
from narrate.models import Timeline

log = logging.getLogger(__name__)

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
_STREAM_EXTRA = 1470
"""Samples a headerless MP3 stream decodes to beyond its input (measured: 1376–1566)."""
FEED_LUFS = TARGET_LUFS_MONO - _ENCODER_GAIN_DB
"""What the signal fed to the encoder measures when the file decodes at the target."""
TOLERANCE_LU = 0.7
"""A file further than this from the target is encoded again with the gain corrected."""
_BLOCK = "lavfi.r128.M="
"""How ffmpeg's ametadata prints a momentary loudness."""
_LAME_AROUND = 1152
"""Samples LAME adds to its input at the least: its 576-sample delay, and as much padding."""


class Encoder:
    """One ffmpeg turning float32 PCM, fed clip by clip, into MP3 at a gain known up front.

    `dest` is a file path or an open binary stream (stdout, a socket's file) ffmpeg writes to
    as it goes. A file's momentary loudness every 100 ms is kept too (`blocks`), so that the
    loudness of files joined into one (join()) is known without decoding them.
    """

    def __init__(
        self, rate: int, gain_db: float, dest: Path | BinaryIO, *, bitrate: str = Settings.bitrate
    ):
        self.rate = rate
        self.gain_db = gain_db
        self.bitrate = bitrate
        self.dest = dest
        self.samples = 0
        self.blocks: list[float] = []
        """A file's momentary loudness (LUFS) every 100 ms, once closed."""
        # Closed by close() or abort(): it lives as long as the encoding.
        self._meter = (
            tempfile.NamedTemporaryFile(prefix="narrate-m-") if isinstance(dest, Path) else None  # noqa: SIM115
        )
        self._proc = self._start()
        self._closed = False

    def _start(self) -> ffmpeg.Running:
        meter = "ebur128=framelog=quiet"
        if self._meter is not None:
            printed = f"ametadata=mode=print:key=lavfi.r128.M:file={_filter_path(self._meter.name)}"
            meter += f":metadata=1,{printed}"
        args = [*_pcm_input(self.rate), "-af", f"{_limiter(self.gain_db)},{meter}"]
        out = f"file:{self.dest}" if isinstance(self.dest, Path) else "pipe:1"
        args += [*_mp3(self.bitrate), "-flush_packets", "1", "-f", "mp3", "-y", out]
        return ffmpeg.start(args, stdout=None if isinstance(self.dest, Path) else self.dest)

    def write(self, samples: np.ndarray) -> None:
        """Encode the next samples; ListenerGone when a stream's reader has gone."""
        if not len(samples):
            return
        try:
            self._proc.stdin.write(_pcm(samples))
        except (BrokenPipeError, ConnectionResetError) as exc:
            if isinstance(self.dest, Path):
                raise AudioError(f"the encoder stopped: {self._proc.why()}") from exc
            self.abort()
            raise ListenerGone() from exc
        self.samples += len(samples)

    def close(self, tail: np.ndarray) -> float:
        """Encode the closing silence and finish; the integrated loudness (LUFS) as it decodes.

        A file's header tells players to drop the encoder's delay and padding; a stream has
        none, so its closing silence is that much shorter and it lasts as long as the file.
        """
        self.write(tail if isinstance(self.dest, Path) else tail[: -_STREAM_EXTRA or None])
        self._closed = True
        try:
            stderr = self._proc.finish()
        except AudioError:
            if isinstance(self.dest, Path):
                raise
            raise ListenerGone() from None  # a reader that left as the last bytes went out
        if self._meter is not None:
            text = Path(self._meter.name).read_text(encoding="utf-8")
            self._meter.close()
            self.blocks = [float(line[13:]) for line in text.splitlines() if line[:13] == _BLOCK]
        loudness = _integrated(stderr) + _ENCODER_GAIN_DB
        log.debug("gain %+.2f dB → %.1f LUFS", self.gain_db, loudness)
        return loudness

    def abort(self) -> None:
        """Stop the encoder without finishing its output."""
        if not self._closed:
            self._closed = True
            self._proc.kill()
        if self._meter is not None:
            self._meter.close()


def frames_end(samples: int, rate: int) -> int:
    """Where the MP3 frames of `samples` end: where a second encode joined after it starts."""
    frame = frame_samples(rate)
    return -(-(samples + _LAME_AROUND) // frame) * frame


def join_lead(pause: int, rate: int) -> int:
    """Silence to end a head with for a tail joined after it to start `pause` samples later,
    give or take half a frame; negative when the pause is too short to hold a join."""
    return pause - _LAME_AROUND - frame_samples(rate) // 2


def frame_samples(rate: int) -> int:
    """Samples in one MP3 frame at a sample rate."""
    return 1152 if rate >= 32000 else 576  # MPEG-1's rates, else MPEG-2 and 2.5


def join(sources: Sequence[tuple[Path, int]], dest: Path) -> None:
    """MP3s, each at a byte offset of a file and encoded to start where the one before it ends
    (frames_end()), as one: their frames follow one another, and ffmpeg writes the header of
    the whole (the first's delay, the last's padding)."""
    if len(sources) == 1:
        path, offset = sources[0]
        with path.open("rb") as source, dest.open("wb") as out:
            source.seek(offset)
            shutil.copyfileobj(source, out)
        return
    listed = dest.with_name(f"{dest.name}.parts")
    urls = (f"subfile,,start,{offset},end,0,,:{path.resolve()}" for path, offset in sources)
    # The concat demuxer's own quoting: a ' ends the quote, is written escaped, and opens again.
    listed.write_text("".join(f"file '{_quoted(url)}'\n" for url in urls), encoding="utf-8")
    try:
        copy = ["-c", "copy", "-id3v2_version", "0", "-write_id3v1", "0", "-f", "mp3"]
        concat = ["-protocol_whitelist", "file,subfile", "-f", "concat", "-safe", "0"]
        ffmpeg.run([*concat, "-i", f"file:{listed}", *copy, "-y", f"file:{dest}"])
    finally:
        listed.unlink(missing_ok=True)


def integrated(blocks: Sequence[float]) -> float:
    """The integrated loudness (LUFS), as they decode, of files whose momentary loudness every
    100 ms was `blocks` (BS.1770's gating, on the 400 ms blocks those values are)."""
    power = 10 ** ((np.asarray(blocks, dtype=float) + 0.691) / 10)
    audible = power[power > 10 ** ((_SILENCE_LUFS + 0.691) / 10)]
    if not len(audible):
        return -math.inf
    gated = audible[audible > audible.mean() / 10]  # −10 LU under the audible blocks' mean
    return -0.691 + 10 * math.log10(gated.mean()) + _ENCODER_GAIN_DB


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
    args = [*_pcm_input(rate), "-af", f"{_limiter(gain)},ebur128=framelog=quiet"]
    proc = ffmpeg.run(
        [*args, *_mp3(bitrate), "-f", "mp3", "-y", f"file:{dest}"], input=pcm, timeout=timeout
    )
    result = _integrated(proc.stderr) + _ENCODER_GAIN_DB
    log.debug("loudness %.1f LUFS, gain %+.2f dB → %.1f LUFS", measured, gain, result)
    return result


def _pcm(samples: np.ndarray) -> bytes:
    return np.ascontiguousarray(samples, dtype="<f4").tobytes()


def _quoted(text: str) -> str:
    return text.replace("'", "'\\''")


def _filter_path(path: str) -> str:
    """A path as a filter graph option value: its special characters escaped."""
    return path.replace("\\", "\\\\").replace(":", "\\:").replace("'", "\\'")


def _pcm_input(rate: int, source: str = "pipe:0") -> list[str]:
    return ["-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", source]


def _mp3(bitrate: str) -> list[str]:
    """Mono CBR MP3 with no tags of ffmpeg's own (narrate writes the ID3)."""
    level = str(_COMPRESSION_LEVEL)
    return [
        "-c:a",
        "libmp3lame",
        "-b:a",
        bitrate,
        "-compression_level",
        level,
        "-id3v2_version",
        "0",
        "-write_id3v1",
        "0",
    ]


def _limiter(gain_db: float) -> str:
    limit = 10 ** (_LIMIT_DBFS / 20)
    # level=false: no make-up gain; latency=true: no lookahead delay, so cue times stay exact.
    return (
        f"volume={gain_db:.3f}dB,"
        f"alimiter=limit={limit:.5f}:attack=5:release=50:level=false:latency=true"
    )


def corrected(gain_db: float, loudness: float) -> float | None:
    """The gain that brings a file encoded at `gain_db` and measured at `loudness` to the
    target; None when it is near enough (or silent)."""
    miss = TARGET_LUFS_MONO - loudness
    if abs(miss) <= TOLERANCE_LU or not loudness > _SILENCE_LUFS:
        return None
    return min(gain_db + miss, _MAX_GAIN_DB)


def gain_to(lufs: float, limiter_loss: float) -> float:
    """The gain for a signal of `lufs` to reach the target through the limiter (of that loss)."""
    return min(FEED_LUFS - lufs + limiter_loss, _MAX_GAIN_DB)


def loudness(samples: np.ndarray, rate: int) -> float:
    """Integrated loudness (LUFS) of a mono signal, measured as encode() measures an episode."""
    return _measure(_pcm(samples), rate, "")


def measure_level(samples: np.ndarray, rate: int) -> tuple[float, float]:
    """(integrated loudness, the limiter's loss at the gain to the target) of a signal."""
    pcm = _pcm(samples)
    lufs = _measure(pcm, rate, "")
    if not lufs > _SILENCE_LUFS:
        raise AudioError(f"the voice is silent ({lufs:.1f} LUFS); cannot measure its level")
    return lufs, FEED_LUFS - _measure(pcm, rate, _limiter(FEED_LUFS - lufs))


def _gain(target: float, measured: float) -> float:
    if not measured > _SILENCE_LUFS:
        log.warning("the episode is silent (%.1f LUFS); leaving its level alone", measured)
        return 0.0
    return min(target - measured, _MAX_GAIN_DB)


def _peak_db(samples: np.ndarray) -> float:
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    return 20 * math.log10(peak) if peak > 0 else -math.inf


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
