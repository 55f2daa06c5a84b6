"""Where narrate keeps and finds files: the clip cache and the folders searched for voice models."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def cache_dir() -> Path:
    """Where synthesised clips are kept; NARRATE_CACHE_DIR redirects it (tests isolate it)."""
    env = os.environ.get("NARRATE_CACHE_DIR")
    return Path(env) if env else Path(platformdirs.user_cache_dir("narrate"))


def voice_dirs() -> tuple[Path, ...]:
    """Folders searched for Piper models given by name, in order."""
    dirs: list[Path] = []
    if env := os.environ.get("NARRATE_VOICES_DIR"):
        dirs.append(Path(env))
    dirs.append(Path.cwd() / "voices" / "models")
    dirs.append(Path(platformdirs.user_data_dir("piper")))
    dirs.append(Path(platformdirs.user_data_dir("narrate")) / "voices")
    return tuple(dirs)
