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


def _env_number(name: str) -> float | None:
    value = os.environ.get(name, "").strip()
    try:
        return float(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class FetchLimits:
    """Bounds on every HTTP request narrate makes."""

    timeout_s: float = 30.0
    """Total deadline per request: connect, redirects and body (NARRATE_TIMEOUT)."""
    max_page_bytes: int = 20 * 1024 * 1024
    """Largest decompressed page body (NARRATE_MAX_PAGE_MB)."""
    max_feed_bytes: int = 10 * 1024 * 1024
    """Largest decompressed feed body (NARRATE_MAX_FEED_MB)."""
    max_redirects: int = 5
    allow_private: bool = False
    """Admit loopback and private addresses: intranets, tests (NARRATE_ALLOW_PRIVATE=1)."""

    @classmethod
    def from_env(cls, **overrides: object) -> FetchLimits:
        """Defaults, then NARRATE_* environment, then explicit (non-None) overrides."""
        allow = os.environ.get("NARRATE_ALLOW_PRIVATE", "") not in ("", "0", "false", "no")
        values: dict[str, object] = {"allow_private": allow}
        if (timeout := _env_number("NARRATE_TIMEOUT")) is not None:
            values["timeout_s"] = timeout
        for key, env in (
            ("max_page_bytes", "NARRATE_MAX_PAGE_MB"),
            ("max_feed_bytes", "NARRATE_MAX_FEED_MB"),
        ):
            if (megabytes := _env_number(env)) is not None:
                values[key] = int(megabytes * 1024 * 1024)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ExtractLimits:
    """Bounds on extracting one page, which runs in a worker process."""

    timeout_s: float = 60.0
    """Wall clock (NARRATE_EXTRACT_TIMEOUT); a 20 MB page takes about 11 s."""
    memory_mb: int = 2048
    """Address space (NARRATE_EXTRACT_MEMORY_MB, 0: none); a 20 MB page peaks near 700 MB."""

    @classmethod
    def from_env(cls) -> ExtractLimits:
        """Defaults, then NARRATE_EXTRACT_* environment."""
        timeout = _env_number("NARRATE_EXTRACT_TIMEOUT")
        memory = _env_number("NARRATE_EXTRACT_MEMORY_MB")
        return cls(
            timeout_s=cls.timeout_s if timeout is None else timeout,
            memory_mb=cls.memory_mb if memory is None else int(memory),
        )
