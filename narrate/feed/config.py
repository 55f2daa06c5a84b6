"""The settings of a `narrate feed` run: the BatchConfig record, built from narrate.config."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from narrate.config import Channel, ExtractLimits, FetchLimits, Settings
from narrate.errors import ConfigError


@dataclass(frozen=True)
class BatchConfig:
    """Everything one `narrate feed` run needs; defaults and checks are config.Settings'."""

    feeds: tuple[str, ...]
    """Feed URLs or files (RSS, Atom, JSON Feed) and OPML files listing feeds."""
    out: Path
    """The output folder: feed.xml, cover.png, episodes/, state.db."""
    base_url: str | None = None
    """Public URL of the output folder; None is http://127.0.0.1:8000/ (`narrate serve`)."""
    limit: int | None = None
    """Keep only the newest N episodes in the feed (and only narrate those)."""
    since: date | None = None
    """Ignore items published before this day."""
    workers: int | None = None
    """Synthesis processes; None is one per core."""
    cluster: str | None = None
    """The Dask scheduler that synthesises (tcp://HOST:PORT or `local`); None is this machine."""
    voice: str | None = None
    """Voice profile name or TOML path."""
    lexicons: tuple[Path, ...] = ()
    """Pronunciation lexicons (TOML) over the bundled one, in order."""
    disclaimer: str | None = Settings.disclaimer
    """Spoken first in each episode; None disables it."""
    truncation_note: bool = Settings.truncation_note
    """Close a paywalled teaser by saying the rest is for the site's subscribers."""
    bitrate: str = Settings.bitrate
    intro: Path | None = None
    """Audio before each episode's disclaimer; None is the voice profile's."""
    outro: Path | None = None
    """Audio after each episode's last words; None is the voice profile's."""
    bumper_fade_in_ms: int | None = None
    bumper_fade_out_ms: int | None = None
    """Fades of the intro and outro; None is the voice profile's."""
    channel: Channel = field(default_factory=Channel)
    """The [channel] table: the show's own settings over the input feed's."""
    fallback_min_chars: int = Settings.fallback_min_chars
    """An item whose page has no article is narrated from the feed's own text if it is this long."""
    max_attempts: int = Settings.max_attempts
    """Failures after which an item is quarantined (no more retries)."""
    retry_base_s: float = Settings.retry_base
    """First retry delay after a transient failure; doubles with each attempt."""
    retry_max_s: float = Settings.retry_max
    limits: FetchLimits = field(default_factory=FetchLimits)
    extract: ExtractLimits = field(default_factory=ExtractLimits)


def from_settings(settings: Settings) -> BatchConfig:
    """The batch run these settings describe; ConfigError without feeds or an output folder."""
    if not settings.feeds:
        raise ConfigError("no feeds (pass FEED arguments or set feeds = [...] in --config)")
    if settings.out is None:
        raise ConfigError('no output folder (pass --out DIR or set out = "..." in --config)')
    return BatchConfig(
        feeds=settings.feeds,
        out=settings.out,
        base_url=settings.base_url,
        limit=settings.limit,
        since=settings.since,
        workers=settings.workers,
        cluster=settings.cluster,
        voice=settings.voice,
        lexicons=settings.lexicon,
        disclaimer=settings.disclaimer,
        truncation_note=settings.truncation_note,
        bitrate=settings.bitrate,
        intro=settings.intro,
        outro=settings.outro,
        bumper_fade_in_ms=settings.bumper_fade_in_ms,
        bumper_fade_out_ms=settings.bumper_fade_out_ms,
        channel=settings.channel,
        fallback_min_chars=settings.fallback_min_chars,
        max_attempts=settings.max_attempts,
        retry_base_s=settings.retry_base,
        retry_max_s=settings.retry_max,
        limits=settings.fetch,
        extract=settings.extract,
    )
