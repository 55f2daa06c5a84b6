"""Settings in one place: packaged defaults ← NARRATE_* environment ← CLI flags."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

DISCLAIMER = "This article is read by an AI-generated voice. Inconsistencies may occur."
"""Spoken first in every episode unless disabled explicitly."""

AI_DISCLOSURE = "AI-generated narration: a synthetic voice (Piper TTS) reads the article text."
"""Written into tags and feeds so machines and people can tell the audio is synthetic."""

VERSION = "0.1.0"
USER_AGENT = f"narrate/{VERSION} (+https://github.com/narrate/narrate)"


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


@dataclass(frozen=True)
class FetchLimits:
    """Bounds on every HTTP request narrate makes."""

    timeout_s: float = 30.0
    """Total deadline per request: connect, redirects and body."""
    max_page_bytes: int = 20 * 1024 * 1024
    """Largest decompressed page body."""
    max_feed_bytes: int = 10 * 1024 * 1024
    """Largest decompressed feed body."""
    max_redirects: int = 5
    allow_private: bool = False
    """Admit loopback and private addresses (intranets, tests)."""

    @classmethod
    def from_env(cls, **overrides: object) -> FetchLimits:
        """Defaults, then NARRATE_ALLOW_PRIVATE, then explicit overrides."""
        allow = os.environ.get("NARRATE_ALLOW_PRIVATE", "") not in ("", "0", "false", "no")
        values: dict[str, object] = {"allow_private": allow}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
