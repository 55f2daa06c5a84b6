"""Replay: an unchanged page or script is answered from the cache, with no extraction or synthesis.

Two content-addressed levels, kept in the clip cache's folder with its machinery:
page → script, keyed by the decoded page, its URL and the options that can shape a script;
script → episode, keyed by the script, the voice's deliveries and models, and the options.
Options are keyed field by field, a Path by its file's contents, so that an option added later
is keyed with no edit here; narrate's version and the digest of its code and bundled profiles
are in every key. A replayed episode's files are the bytes the narration that made it wrote.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from narrate.audio.cache import ClipCache
from narrate.audio.voices import Profile, resolve_model
from narrate.config import VERSION
from narrate.files import write_bytes_atomic
from narrate.models import ROLES, ChapterMark, Cue, Episode, Page, Script, Word

log = logging.getLogger(__name__)

SCRIPTS_KEEP = 256
"""Page scripts kept: a few kilobytes each."""
EPISODES_KEEP = 8
"""Episodes kept, each its MP3 and the files beside it (≈2 MB for a four-minute article)."""
NOT_IN_SCRIPT = frozenset({"profile", "bitrate", "workers", "cover", "limits"})
"""Options that cannot change the script of a page in hand."""
NOT_IN_EPISODE = frozenset({"workers", "extract"})
"""Options that cannot change an episode's files once its script is known."""


def script(
    page: Page, opts: Any, make: Callable[[], Script], cache: ClipCache | None = None
) -> Script:
    """The script kept for this page and these options (a dataclass), else make()'s, kept."""
    store = cache or ClipCache()
    html = hashlib.sha256(page.html.encode("utf-8", "surrogatepass")).hexdigest()
    path = store.scripts / f"{_key('script', opts, NOT_IN_SCRIPT, page.url, html)}.script"
    kept = store.load(path, lambda _, data: Script.from_dict(json.loads(data)))
    if kept is not None:
        log.info("script: the page is unchanged; kept script used, no extraction")
        return kept
    made = make()
    store.keep(path, {}, json.dumps(made.to_dict(sentences=True)).encode(), SCRIPTS_KEEP)
    return made


def episode(
    script: Script,
    files: Sequence[Path],
    opts: Any,
    profile: Profile,
    make: Callable[[], Episode],
    cache: ClipCache | None = None,
) -> Episode:
    """The episode kept for this script, voice and options, written to files; else make()'s, kept.

    `files` are the MP3, then every file the narration may write beside it, always in one order;
    one it did not write is removed on replay, as the narration itself would remove it.
    """
    store = cache or ClipCache()
    key = _key("episode", opts, NOT_IN_EPISODE, script.to_dict(sentences=True), _voice(profile))
    path = store.episodes / f"{key}.episode"
    kept = store.load(path, lambda header, payload: _unpack(header, payload, script, files))
    if kept is not None:
        found, contents = kept
        for file, data in zip(files, contents, strict=True):
            if data is None:
                file.unlink(missing_ok=True)
            else:
                write_bytes_atomic(file, data)
        log.info("episode: the script, voice and options are unchanged; kept episode written")
        return found
    made = make()
    contents = [p.read_bytes() if p.is_file() else None for p in files]
    header = {
        "files": [None if c is None else len(c) for c in contents],
        "episode": {
            "transcript": files.index(made.transcript),
            "chapters_json": files.index(made.chapters_json),
            "duration_ms": made.duration_ms,
            "loudness_lufs": made.loudness_lufs,
            "chapters": [dataclasses.astuple(c) for c in made.chapters],
            "cues": [dataclasses.astuple(c) for c in made.cues],
        },
    }
    store.keep(path, header, b"".join(c for c in contents if c), EPISODES_KEEP)
    return made


def _unpack(
    header: dict[str, Any], payload: bytes, script: Script, files: Sequence[Path]
) -> tuple[Episode, list[bytes | None]]:
    """A kept episode as written to files, and each file's contents (None: not written)."""
    data = header["episode"]
    episode = Episode(
        audio=files[0],
        transcript=files[data["transcript"]],
        chapters_json=files[data["chapters_json"]],
        duration_ms=int(data["duration_ms"]),
        chapters=tuple(ChapterMark(str(t), int(s), int(e)) for t, s, e in data["chapters"]),
        cues=tuple(
            Cue(
                int(s),
                int(e),
                role,
                str(text),
                tuple(Word(str(w), int(a), int(b)) for w, a, b in words),
            )
            for s, e, role, text, words in data["cues"]
        ),
        loudness_lufs=float(data["loudness_lufs"]),
        script=script,
    )
    contents: list[bytes | None] = []
    offset = 0
    for size in header["files"]:
        contents.append(None if size is None else payload[offset : offset + size])
        offset += size or 0
    if offset != len(payload) or len(contents) != len(files) or not contents[0]:
        raise ValueError("its files do not add up")
    return episode, contents


def _voice(profile: Profile) -> list[object]:
    """Each role's delivery and its model's fingerprint: all a profile does to the audio."""
    deliveries = [profile.delivery(role) for role in ROLES]
    models = {d.model: resolve_model(d.model).fingerprint for d in deliveries}
    return [[dataclasses.asdict(d), models[d.model]] for d in deliveries]


def _key(kind: str, opts: Any, exempt: frozenset[str], *parts: object) -> str:
    fields = {
        f.name: _plain(getattr(opts, f.name))
        for f in dataclasses.fields(opts)
        if f.name not in exempt
    }
    blob = json.dumps([kind, _code(), fields, *parts], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _plain(value: object) -> object:
    """An option's value as JSON data: a Path by its file's digest, a record by its fields."""
    if isinstance(value, Path):
        try:
            return hashlib.sha256(value.read_bytes()).hexdigest()
        except OSError:
            return ["unreadable", str(value)]  # the narration fails on it and says why
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float):
        return value
    raise TypeError(f"cannot key an option of type {type(value).__name__}")


@functools.cache
def _code() -> str:
    """narrate's version and a digest of its code and bundled profiles and lexicons."""
    digest = hashlib.sha256(VERSION.encode())
    for root, pattern in (
        (Path(__file__).parent, "*.py"),
        (Path(str(resources.files("narrate.profiles"))), "*.toml"),
    ):
        for path in sorted(root.rglob(pattern)):
            digest.update(f"{path.relative_to(root).as_posix()}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
