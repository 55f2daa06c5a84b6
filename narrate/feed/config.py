"""The settings of a `narrate feed` run: the BatchConfig record and its TOML loader."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from narrate.config import DISCLAIMER, FetchLimits
from narrate.errors import ConfigError
from narrate.feed import podcast
from narrate.feed import read as feeds


@dataclass(frozen=True)
class BatchConfig:
    """Everything one `narrate feed` run needs; see narrate.example.toml for each option."""

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
    voice: str | None = None
    """Voice profile name or TOML path."""
    lexicons: tuple[Path, ...] = ()
    """Pronunciation lexicons (TOML) over the bundled one, in order."""
    disclaimer: str | None = DISCLAIMER
    """Spoken first in each episode; None disables it."""
    bitrate: str = "64k"
    title: str | None = None
    """Channel title; None takes the input feed's."""
    description: str | None = None
    link: str | None = None
    """Channel web page; None takes the input feed's link, else the base URL."""
    author: str | None = None
    owner_name: str | None = None
    owner_email: str | None = None
    category: tuple[str, ...] = ("News",)
    explicit: bool = False
    image: str | None = None
    """Artwork URL (1400–3000 px square); None generates cover.png."""
    language: str | None = None
    locked: bool = False
    podcast_guid: str | None = None
    """podcast:guid; None derives it once from the feed URL and keeps it."""
    fallback_min_chars: int = 500
    """An item whose page has no article is narrated from the feed's own text if it is this long."""
    max_attempts: int = 5
    """Failures after which an item is quarantined (no more retries)."""
    retry_base_s: float = 600.0
    """First retry delay after a transient failure; doubles with each attempt."""
    retry_max_s: float = 86400.0
    limits: FetchLimits = field(default_factory=FetchLimits.from_env)


_CHANNEL_KEYS = {
    "title",
    "description",
    "link",
    "author",
    "owner_name",
    "owner_email",
    "category",
    "explicit",
    "image",
    "language",
    "locked",
    "guid",
}
_TOP_KEYS = {
    "feeds",
    "out",
    "base_url",
    "limit",
    "since",
    "workers",
    "voice",
    "lexicon",
    "disclaimer",
    "bitrate",
    "allow_private",
    "timeout",
    "max_page_mb",
    "max_feed_mb",
    "fallback_min_chars",
    "max_attempts",
    "retry_base",
    "retry_max",
    "channel",
}


def load_config(path: Path | None, **overrides: Any) -> BatchConfig:
    """Settings from a TOML file (paths relative to it), then overrides (CLI flags; None: unset)."""
    data: dict[str, Any] = {}
    here = Path.cwd()
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read config {path}: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
        here = path.parent
    return _config(data, here, str(path or "settings"), overrides)


def _config(
    data: Mapping[str, Any], here: Path, where: str, overrides: Mapping[str, Any]
) -> BatchConfig:
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}")
    chan = data.get("channel", {})
    if not isinstance(chan, dict):
        raise ConfigError(f"{where}: [channel] must be a table")
    unknown = set(chan) - _CHANNEL_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown [channel] setting(s) {', '.join(sorted(unknown))}")

    def get(key: str, kind: type | tuple[type, ...], table: Mapping[str, Any] = data) -> Any:
        value = overrides.get(key) if overrides.get(key) is not None else table.get(key)
        if value is not None and not isinstance(value, kind):
            raise ConfigError(f"{where}: {key} has the wrong type ({type(value).__name__})")
        return value

    cli_feeds = overrides.get("feeds") or ()
    file_feeds = data.get("feeds", [])
    if not isinstance(file_feeds, list) or not all(isinstance(f, str) for f in file_feeds):
        raise ConfigError(f"{where}: feeds must be a list of URLs or paths")
    sources = tuple(cli_feeds) or tuple(_resolve(f, here) for f in file_feeds)
    if not sources:
        raise ConfigError(f"{where}: no feeds (pass FEED arguments or set feeds = [...])")
    out = overrides.get("out") or (here / data["out"] if "out" in data else None)
    if out is None:
        raise ConfigError(f'{where}: no output folder (pass --out DIR or set out = "...")')
    since = get("since", (date, str))
    if isinstance(since, datetime):
        since = since.date()
    elif isinstance(since, str):
        try:
            since = date.fromisoformat(since)
        except ValueError as exc:
            raise ConfigError(f"{where}: since must be a date (YYYY-MM-DD), not {since!r}") from exc
    disclaimer: Any = overrides.get("disclaimer")
    if disclaimer is None:
        disclaimer = data.get("disclaimer", True)
    if disclaimer is True:
        disclaimer = DISCLAIMER
    elif disclaimer is False:
        disclaimer = None
    elif disclaimer is not None and not isinstance(disclaimer, str):
        raise ConfigError(f"{where}: disclaimer must be true, false or a text")
    category = get("category", (str, list), chan) or "News"
    if isinstance(category, str):
        category = [c for c in category.split(">")]
    lexicon = get("lexicon", (str, list))
    if isinstance(lexicon, str):
        lexicon = [lexicon]
    limits = FetchLimits.from_env(
        allow_private=True if get("allow_private", bool) else None,
        timeout_s=float(t) if (t := get("timeout", (int, float))) is not None else None,
        max_page_bytes=_megabytes(get("max_page_mb", (int, float))),
        max_feed_bytes=_megabytes(get("max_feed_mb", (int, float))),
    )

    def positive(key: str, kind: type | tuple[type, ...], default: Any) -> Any:
        value = get(key, kind)
        if value is None:
            return default
        if value <= 0:
            raise ConfigError(f"{where}: {key} must be greater than 0, not {value}")
        return value

    for key in ("timeout", "max_page_mb", "max_feed_mb", "workers"):
        positive(key, (int, float), None)
    bitrate = get("bitrate", str) or "64k"
    if not re.fullmatch(r"[1-9][0-9]{0,2}k", bitrate):
        raise ConfigError(f"{where}: bitrate must be like 64k, not {bitrate!r}")
    limit = get("limit", int)
    if limit is not None and limit < 1:
        raise ConfigError(f"{where}: limit must be at least 1")
    return BatchConfig(
        feeds=sources,
        out=Path(out),
        base_url=get("base_url", str),
        limit=limit,
        since=since,
        workers=get("workers", int),
        voice=_resolve_voice(get("voice", str), here),
        lexicons=tuple(Path(_resolve(str(p), here)) for p in lexicon or ()),
        disclaimer=disclaimer,
        bitrate=bitrate,
        title=get("title", str, chan),
        description=get("description", str, chan),
        link=get("link", str, chan),
        author=get("author", str, chan),
        owner_name=get("owner_name", str, chan),
        owner_email=get("owner_email", str, chan),
        category=podcast.check_category(category),
        explicit=bool(get("explicit", bool, chan)),
        image=get("image", str, chan),
        language=get("language", str, chan),
        locked=bool(get("locked", bool, chan)),
        podcast_guid=get("guid", str, chan),
        fallback_min_chars=positive("fallback_min_chars", int, 500),
        max_attempts=positive("max_attempts", int, 5),
        retry_base_s=float(positive("retry_base", (int, float), 600)),
        retry_max_s=float(positive("retry_max", (int, float), 86400)),
        limits=limits,
    )


def _megabytes(value: float | None) -> int | None:
    return None if value is None else int(value * 1024 * 1024)


def _resolve(source: str, here: Path) -> str:
    if feeds.is_url(source) or Path(source).is_absolute():
        return source
    return str(here / source)


def _resolve_voice(voice: str | None, here: Path) -> str | None:
    if voice and voice.endswith(".toml") and not Path(voice).is_absolute():
        return str(here / voice)
    return voice
