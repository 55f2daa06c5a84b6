"""Content-addressed cache of synthesised clips: unchanged sentences are never synthesised twice."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import struct
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from narrate import folders
from narrate.files import write_bytes_atomic
from narrate.models import Clip, Delivery, Word

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

FORMAT = 1
"""Bumped when what a key means or how a clip is rendered changes."""
_MAGIC = b"NRCLIP"
_HEAD = struct.Struct("<6sHI")
"""magic, format, length of the JSON header that follows."""
_AUDIO_FIELDS = (
    "speaker_id",
    "length_scale",
    "noise_scale",
    "noise_w_scale",
    "pitch_semitones",
    "gain_db",
)
"""Delivery settings that change a clip's audio; pauses are added later, at mastering."""
T = TypeVar("T")


def clip_key(
    fingerprint: str,
    delivery: Delivery,
    spoken: str,
    parts: Sequence[tuple[Delivery, str]] = (),
) -> str:
    """The cache key of one sentence spoken by one model with one delivery.

    `parts` are the roles of a sentence with an inline quotation; a plain sentence has none, and
    its key is what it was before quotations were voiced inside sentences.
    """
    fields: list[object] = [FORMAT, fingerprint, _settings(delivery), spoken]
    if parts:
        fields.append([[_settings(d), text] for d, text in parts])
    blob = json.dumps(fields, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _settings(delivery: Delivery) -> dict[str, object]:
    return {name: getattr(delivery, name) for name in _AUDIO_FIELDS}


def pack(header: dict[str, object], payload: bytes) -> bytes:
    """Magic, format, a JSON header with the payload's length and checksum, then the payload."""
    meta = {**header, "bytes": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}
    head = json.dumps(meta, ensure_ascii=False).encode("utf-8")
    return _HEAD.pack(_MAGIC, FORMAT, len(head)) + head + payload


def unpack(data: bytes) -> tuple[dict[str, Any], bytes]:
    """(header, payload); ValueError when truncated, corrupt or of another format."""
    if len(data) < _HEAD.size:
        raise ValueError("truncated header")
    magic, fmt, size = _HEAD.unpack_from(data)
    if magic != _MAGIC or fmt != FORMAT:
        raise ValueError("not an entry of this format")
    try:
        header = json.loads(data[_HEAD.size : _HEAD.size + size])
        payload = data[_HEAD.size + size :]
        if len(payload) != header["bytes"]:
            raise ValueError(f"{len(payload)} bytes, header says {header['bytes']}")
        if hashlib.sha256(payload).hexdigest() != header["sha256"]:
            raise ValueError("checksum mismatch")
    except (KeyError, TypeError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"bad header: {exc}") from exc
    return header, payload


def encode_clip(clip: Clip) -> bytes:
    """A clip as bytes: header (rate, length, checksum, words) then float32 samples."""
    import numpy as np  # here, not at the top: a replayed episode never loads it

    audio = np.ascontiguousarray(clip.samples, dtype="<f4").tobytes()
    words = [[w.text, w.start_ms, w.end_ms] for w in clip.words]
    return pack({"sample_rate": clip.sample_rate, "words": words}, audio)


def decode_clip(data: bytes) -> Clip:
    """The clip in `data`; ValueError when it is truncated, corrupt or of another format."""
    import numpy as np

    header, audio = unpack(data)
    if len(audio) % 4:
        raise ValueError(f"{len(audio)} audio bytes is not whole float32 samples")
    try:
        words = tuple(Word(str(t), int(s), int(e)) for t, s, e in header["words"])
        rate = int(header["sample_rate"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"bad header: {exc}") from exc
    samples = np.frombuffer(audio, dtype="<f4").astype(np.float32)
    return Clip(samples=samples, sample_rate=rate, words=words)


class ClipCache:
    """Clips on disk under root/clips, one file per key, written atomically.

    root/models holds files derived from voice models (made by narrate.audio.align), root/bumpers
    decoded intros and outros (narrate.audio.bumper), and root/scripts and root/episodes what
    narrate.replay keeps; they count towards info()'s bytes and go with clear().
    """

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else folders.cache_dir()
        self.clips = self.root / "clips"
        self.models = self.root / "models"
        self.bumpers = self.root / "bumpers"
        self.scripts = self.root / "scripts"
        self.episodes = self.root / "episodes"
        self.parts = self.root / "parts"

    def path(self, key: str) -> Path:
        """Where the clip of `key` lives."""
        return self.clips / key[:2] / f"{key}.clip"

    def has(self, key: str) -> bool:
        """Whether a clip is kept for `key` (it may still turn out unreadable)."""
        return self.path(key).is_file()

    def get(self, key: str) -> Clip | None:
        """The cached clip, or None on a miss; a corrupt entry is removed and counts as a miss."""
        return self._read(self.path(key))

    def _read(self, path: Path) -> Clip | None:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("cannot read cached clip %s: %s", path, exc)
            return None
        try:
            return decode_clip(data)
        except ValueError as exc:
            log.warning("discarding corrupt cached clip %s: %s", path.name, exc)
            path.unlink(missing_ok=True)
            return None

    def put(self, key: str, clip: Clip) -> None:
        """Store a clip; a failure to write only costs a later re-synthesis."""
        self._write(self.path(key), clip)

    def _write(self, path: Path, clip: Clip) -> None:
        try:
            write_bytes_atomic(path, encode_clip(clip))
        except OSError as exc:
            log.warning("cannot cache clip in %s: %s", path.parent, exc)

    def get_bumper(self, key: str) -> Clip | None:
        """A decoded intro or outro kept under `key`, or None on a miss or a corrupt entry."""
        return self._read(self.bumpers / f"{key}.clip")

    def put_bumper(self, key: str, clip: Clip) -> None:
        """Keep a decoded intro or outro; a failure to write only costs a later decode."""
        self._write(self.bumpers / f"{key}.clip", clip)

    def load(self, path: Path, read: Callable[[dict[str, Any], bytes], T]) -> T | None:
        """read(header, payload) of the entry at path, or None on a miss; a bad entry is removed.

        `read` may raise ValueError, LookupError or TypeError on an entry it cannot use.
        """
        try:
            found = read(*unpack(path.read_bytes()))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, LookupError, TypeError) as exc:
            log.warning("discarding cached %s: %s", path.name, exc)
            path.unlink(missing_ok=True)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used entries are the last dropped
        return found

    def keep(self, path: Path, header: dict[str, object], payload: bytes, limit: int) -> None:
        """Store an entry, dropping the least recently used of its folder beyond `limit`."""
        try:
            write_bytes_atomic(path, pack(header, payload))
            entries = sorted(path.parent.glob(f"*{path.suffix}"), key=lambda p: p.stat().st_mtime)
            for old in entries[:-limit]:
                old.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("cannot cache %s in %s: %s", path.name, path.parent, exc)

    def info(self) -> tuple[int, int]:
        """(clips, bytes) held, derived model files included in the bytes."""
        sizes = [p.stat().st_size for p in self.clips.glob("*/*.clip")]
        extra = [
            p.stat().st_size for folder in self._derived() for p in folder.glob("*") if p.is_file()
        ]
        return len(sizes), sum(sizes) + sum(extra)

    def clear(self) -> int:
        """Remove every cached clip, derived file, episode and script; return how many clips."""
        for folder in self._derived():
            for path in folder.glob("*"):
                if path.is_file():
                    path.unlink(missing_ok=True)
        count = 0
        for path in self.clips.glob("*/*.clip"):
            path.unlink(missing_ok=True)
            count += 1
        for folder in self.clips.glob("*"):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        return count

    def kept(self) -> tuple[int, int]:
        """(scripts, episodes) kept for replaying unchanged articles."""
        return len(list(self.scripts.glob("*.script"))), len(list(self.episodes.glob("*.episode")))

    def _derived(self) -> tuple[Path, ...]:
        # mastered/: whole-signal encodings kept by narrate before it encoded as it spoke.
        folders = (self.models, self.bumpers, self.root / "mastered", self.scripts, self.episodes)
        return (*folders, self.parts)
