"""Settings in one place: defaults ← TOML file ← NARRATE_* environment ← flags, checked once.

This module sits at the bottom of the package and imports nothing of narrate but the value checks
(narrate.checks): each domain builds its own records (pipeline.Options, feed.config.BatchConfig)
from the `Settings` made here.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from narrate import checks

DISCLAIMER = "This article is read by an AI-generated voice. Inconsistencies may occur."
"""Spoken first in every episode unless disabled explicitly."""

AI_DISCLOSURE = "AI-generated narration: a synthetic voice (Piper TTS) reads the article text."
"""Written into tags and feeds so machines and people can tell the audio is synthetic."""

VERSION = "0.1.0"
USER_AGENT = f"narrate/{VERSION} (+https://github.com/narrate/narrate)"

MIB = 1024 * 1024

MP3_BITRATES = (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
"""kbit/s LAME writes for Piper's 16–22.05 kHz mono (MPEG-2 layer III); it rounds any other."""


@dataclass(frozen=True)
class FetchLimits:
    """Bounds on every HTTP request narrate makes."""

    timeout_s: float = 30.0
    """Total deadline per request: connect, redirects and body."""
    max_page_bytes: int = 20 * MIB
    """Largest decompressed page body."""
    max_feed_bytes: int = 10 * MIB
    """Largest decompressed feed body."""
    max_redirects: int = 5
    allow_private: bool = False
    """Admit loopback and private addresses: intranets, tests."""


@dataclass(frozen=True)
class ExtractLimits:
    """Bounds on extracting one page, which runs in a worker process."""

    timeout_s: float = 60.0
    """Wall clock; a 20 MB page takes about 11 s."""
    memory_mb: int = 2048
    """Address space (0: none); a 20 MB page peaks near 700 MB."""


class SettingsError(ValueError):
    """A setting has a bad value; the message names the variable, key or flag."""

    exit_code = 2


@dataclass(frozen=True)
class Channel:
    """The [channel] table of a `narrate feed` podcast; None takes the input feed's value."""

    title: str | None = None
    description: str | None = None
    link: str | None = None
    author: str | None = None
    owner_name: str | None = None
    owner_email: str | None = None
    category: tuple[str, ...] = ("News",)
    """Apple Podcasts category as (top, [sub])."""
    explicit: bool = False
    image: str | None = None
    language: str | None = None
    locked: bool = False
    guid: str | None = None


@dataclass(frozen=True)
class Settings:
    """Every setting, one field per TOML key; narrate.example.toml documents each."""

    feeds: tuple[str, ...] = ()
    """Feed URLs or files and OPML files listing feeds (`feed`)."""
    out: Path | None = None
    """The podcast's output folder (`feed`)."""
    base_url: str | None = None
    """Public URL of the output folder; None is `narrate serve`'s."""
    limit: int | None = None
    """Keep only the newest N episodes."""
    since: date | None = None
    """Ignore items published before this day."""
    workers: int | None = None
    """Synthesis processes; None is one per core."""
    cluster: str | None = None
    """A Dask scheduler's address (tcp://HOST:8786), or `local`; None is this machine's pool."""
    voice: str | None = None
    """Voice profile name or TOML path; None is the bundled default."""
    lexicon: tuple[Path, ...] = ()
    """Pronunciation lexicons over the bundled one, in order."""
    disclaimer: str | None = DISCLAIMER
    """Spoken first; None only when the user disables it explicitly."""
    truncation_note: bool = True
    """Close a paywalled teaser by saying the rest is for the site's subscribers."""
    bitrate: str = "64k"
    """MP3 bitrate (CBR), one of MP3_BITRATES."""
    intro: Path | None = None
    """Audio before the disclaimer, any format ffmpeg decodes; None is the profile's."""
    outro: Path | None = None
    """Audio after the last words; None is the profile's."""
    bumper_fade_in_ms: int | None = None
    """Fade-in at the start of the intro and of the outro; None is the profile's, else 0."""
    bumper_fade_out_ms: int | None = None
    """Fade-out at their ends; None is the profile's, else 0."""
    allow_private: bool = FetchLimits.allow_private
    """Fetch from loopback and private networks."""
    timeout: float = FetchLimits.timeout_s
    """Seconds per HTTP request."""
    max_page_mb: float = FetchLimits.max_page_bytes / MIB
    """Largest page body, MB after decompression."""
    max_feed_mb: float = FetchLimits.max_feed_bytes / MIB
    """Largest feed body, MB after decompression."""
    extract_timeout: float = ExtractLimits.timeout_s
    """Seconds to extract one page."""
    extract_memory_mb: int = ExtractLimits.memory_mb
    """Address space of the extraction worker (0: none)."""
    fallback_min_chars: int = 500
    """Narrate a feed item's own text when a page has no article and it is this long."""
    max_attempts: int = 5
    """Failures after which an item is quarantined."""
    retry_base: float = 600.0
    """Seconds before the first retry; doubles with each attempt."""
    retry_max: float = 86400.0
    """Longest retry delay in seconds."""
    max_live: int = 2
    """Live narrations `narrate serve` runs at once."""
    allow_host: tuple[str, ...] = ()
    """The only hosts (and their subdomains) `narrate serve` narrates live; empty: any."""
    channel: Channel = field(default_factory=Channel)

    @property
    def fetch(self) -> FetchLimits:
        """The HTTP bounds these settings ask for."""
        return FetchLimits(
            timeout_s=self.timeout,
            max_page_bytes=int(self.max_page_mb * MIB),
            max_feed_bytes=int(self.max_feed_mb * MIB),
            allow_private=self.allow_private,
        )

    @property
    def extract(self) -> ExtractLimits:
        """The extraction worker's bounds these settings ask for."""
        return ExtractLimits(timeout_s=self.extract_timeout, memory_mb=self.extract_memory_mb)


def _cluster(value: Any) -> str:
    if isinstance(value, str) and re.fullmatch(r"local|(tcp|tls)://[^\s/]+", value.strip()):
        return value.strip()
    raise ValueError("`local` or a Dask scheduler address such as tcp://HOST:8786")


def _disclaimer(value: Any) -> str | None:
    if value is True:
        return DISCLAIMER
    if value is False:
        return None
    if isinstance(value, str) and value.strip():
        return value
    raise ValueError("true, false or a text")


def _bitrate(value: Any) -> str:
    if isinstance(value, str) and value.endswith("k") and value[:-1] in map(str, MP3_BITRATES):
        return value
    listed = ", ".join(f"{b}k" for b in MP3_BITRATES[:-1])
    raise ValueError(f"an MP3 bitrate: {listed} or {MP3_BITRATES[-1]}k")


_APPLE = (
    "Arts|Business|Comedy|Education|Fiction|Government|History|Health & Fitness|Kids & Family|"
    "Leisure|Music|News|Religion & Spirituality|Science|Society & Culture|Sports|Technology|"
    "True Crime|TV & Film"
)
APPLE_CATEGORIES = frozenset(_APPLE.split("|"))
"""Apple Podcasts' top-level categories: a show must name one of them."""


def _category(value: Any) -> tuple[str, ...]:
    parts = value.split(">") if isinstance(value, str) else value
    if not isinstance(parts, list | tuple) or not all(isinstance(p, str) for p in parts):
        raise ValueError("'Top' or 'Top > Sub'")
    named = tuple(p.strip() for p in parts if p.strip())
    if not 1 <= len(named) <= 2 or named[0] not in APPLE_CATEGORIES:
        known = ", ".join(sorted(APPLE_CATEGORIES))
        raise ValueError(f"an Apple Podcasts category, 'Top' or 'Top > Sub' ({known})")
    return named


@dataclass(frozen=True)
class Key:
    """One setting: how its value is checked, and where else than the TOML file it comes from."""

    check: checks.Check
    env: str | None = None
    """The NARRATE_* variable that overrides the file."""
    channel: bool = False
    """It lives in the [channel] table."""


SCHEMA: dict[str, Key] = {
    "feeds": Key(checks.texts),
    "out": Key(checks.path),
    "base_url": Key(checks.text),
    "limit": Key(checks.number("episodes", whole=True, least=1)),
    "since": Key(checks.day),
    "workers": Key(checks.number("processes", whole=True, least=1, most=64)),
    "cluster": Key(_cluster, "NARRATE_CLUSTER"),
    "voice": Key(checks.text),
    "lexicon": Key(checks.paths),
    "disclaimer": Key(_disclaimer),
    "truncation_note": Key(checks.flag),
    "bitrate": Key(_bitrate),
    **{k: Key(checks.path) for k in ("intro", "outro")},
    **{
        k: Key(checks.number("ms", whole=True)) for k in ("bumper_fade_in_ms", "bumper_fade_out_ms")
    },
    "allow_private": Key(checks.flag, "NARRATE_ALLOW_PRIVATE"),
    "timeout": Key(checks.number("seconds"), "NARRATE_TIMEOUT"),
    "max_page_mb": Key(checks.number("MB"), "NARRATE_MAX_PAGE_MB"),
    "max_feed_mb": Key(checks.number("MB"), "NARRATE_MAX_FEED_MB"),
    "extract_timeout": Key(checks.number("seconds"), "NARRATE_EXTRACT_TIMEOUT"),
    "extract_memory_mb": Key(checks.number("MB", whole=True), "NARRATE_EXTRACT_MEMORY_MB"),
    "fallback_min_chars": Key(checks.number("characters", whole=True, least=1)),
    "max_attempts": Key(checks.number("attempts", whole=True, least=1)),
    "retry_base": Key(checks.number("seconds")),
    "retry_max": Key(checks.number("seconds")),
    "max_live": Key(checks.number("narrations", whole=True, least=1)),
    "allow_host": Key(checks.hosts),
    **{k: Key(checks.text, channel=True) for k in ("title", "description", "link", "author")},
    **{k: Key(checks.text, channel=True) for k in ("owner_name", "owner_email", "image")},
    "category": Key(_category, channel=True),
    "explicit": Key(checks.flag, channel=True),
    "language": Key(checks.text, channel=True),
    "locked": Key(checks.flag, channel=True),
    "guid": Key(checks.text, channel=True),
}
"""Every TOML key (top level, or in [channel]), in the order narrate.example.toml lists them."""


def load(
    path: Path | None = None,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
) -> Settings:
    """Defaults ← the TOML file ← NARRATE_* in env (os.environ) ← flags (None or empty: unset)."""
    top: dict[str, Any] = {}
    chan: dict[str, Any] = {}

    def put(key: str, value: Any) -> None:
        (chan if SCHEMA[key].channel else top)[key] = value

    if path is not None:
        for key, value in _read(path).items():
            put(key, _relative(key, _checked(key, value, f"{path}: {key}"), path.parent))
    environ = os.environ if env is None else env
    for key, spec in SCHEMA.items():
        if spec.env and (text := environ.get(spec.env, "").strip()):
            put(key, _checked(key, text, spec.env))
    for key, value in (flags or {}).items():
        if value is not None and value != () and value != []:
            put(key, _checked(key, value, "--" + key.replace("_", "-")))
    return Settings(**top, channel=Channel(**chan))


def _checked(key: str, value: Any, name: str) -> Any:
    try:
        return SCHEMA[key].check(value)
    except ValueError as exc:
        raise SettingsError(f"{name} must be {exc}, not {value!r}") from None


def _read(path: Path) -> dict[str, Any]:
    """The file's settings as one flat mapping of known keys."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"cannot read config {path}: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: invalid TOML: {exc}") from exc
    chan = data.pop("channel", {})
    if not isinstance(chan, dict):
        raise SettingsError(f"{path}: [channel] must be a table")
    for keys, table, channel in ((data, "", False), (chan, "[channel] ", True)):
        if unknown := sorted(k for k in keys if k not in SCHEMA or SCHEMA[k].channel != channel):
            raise SettingsError(f"{path}: unknown {table}setting(s) {', '.join(unknown)}")
    return {**data, **chan}


def _relative(key: str, value: Any, here: Path) -> Any:
    """A path in the file is relative to the file: feeds, out, lexicon, a voice's TOML, bumpers."""
    if key == "feeds":
        return tuple(v if is_url(v) else str(here / v) for v in value)
    if key in ("out", "intro", "outro"):
        return here / value
    if key == "lexicon":
        return tuple(here / v for v in value)
    if key == "voice" and value.endswith(".toml"):
        return str(here / value)
    return value


_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def is_url(source: str) -> bool:
    """True when source has a URL scheme rather than being a local path."""
    return bool(_URL.match(source))
