"""Narrating one item: its page (else the feed's own text), its failures, retries and backoff."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Literal

from narrate import pipeline
from narrate.article.fetch import fetch
from narrate.audio.executor import Executor
from narrate.errors import (
    AudioError,
    ConfigError,
    ExtractionError,
    FetchError,
    NarrateError,
    SynthesisError,
    VoiceError,
)
from narrate.feed import podcast
from narrate.feed.config import BatchConfig
from narrate.feed.entry import html_to_text
from narrate.feed.state import Item, State, now_iso
from narrate.models import Script

log = logging.getLogger(__name__)

EPISODES = "episodes"

Outcome = Literal[
    "published", "republished", "unchanged", "skipped", "failed", "waiting", "quarantined"
]


@dataclass(frozen=True)
class ItemOutcome:
    """What happened to one item this run."""

    guid: str
    title: str
    outcome: Outcome
    detail: str = ""


class _Skip(Exception):
    """An item with nothing to narrate: recorded as skipped with this reason."""


def content_hash(script: Script) -> str:
    """SHA-256 of exactly what is spoken: an edit to the text changes it, markup does not."""
    spoken = "\n".join(f"{seg.role}\t{seg.spoken}" for seg in script.segments)
    return hashlib.sha256(spoken.encode("utf-8")).hexdigest()


def options(config: BatchConfig) -> pipeline.Options:
    """The single-article pipeline's options for this batch."""
    return pipeline.Options(
        profile=config.voice,
        disclaimer=config.disclaimer,
        truncation_note=config.truncation_note,
        bitrate=config.bitrate,
        workers=config.workers,
        limits=config.limits,
        extract=config.extract,
        lexicons=config.lexicons,
        intro=config.intro,
        outro=config.outro,
        bumper_fade_in_ms=config.bumper_fade_in_ms,
        bumper_fade_out_ms=config.bumper_fade_out_ms,
    )


def work(db: State, sources: Sequence[str], config: BatchConfig, now: datetime) -> list[Item]:
    """Items to narrate or re-check this run, newest first."""
    todo: list[Item] = []
    for item in db.items(None, sources):
        if item.status in ("narrated", "published") and not files_present(config.out, item):
            log.warning("%s: episode files missing; narrating it again", item.title)
            item = db.update(
                item.guid,
                status="discovered",
                recheck=False,
                audio=None,
                transcript=None,
                chapters=None,
                content_hash=None,
                page_etag=None,
                page_last_modified=None,
            )
        fresh = item.status == "discovered"
        if fresh or (item.status == "published" and item.recheck) or _due(item, config, now):
            todo.append(item)
    return todo


def _due(item: Item, config: BatchConfig, now: datetime) -> bool:
    if item.status != "failed" or not item.transient or item.next_retry is None:
        return False
    if item.attempts >= config.max_attempts:
        return False
    return datetime.fromisoformat(item.next_retry) <= now


def waiting(db: State, sources: Sequence[str], seen: set[str], now: datetime) -> list[ItemOutcome]:
    """Failed items not retried this run: waiting for their retry time, or quarantined."""
    found = []
    for item in db.items(("failed",), sources):
        if item.guid in seen:
            continue
        if item.transient and item.next_retry:
            found.append(
                ItemOutcome(
                    item.guid, item.title, "waiting", f"{item.last_error}; retry {item.next_retry}"
                )
            )
        elif item.transient:
            found.append(ItemOutcome(item.guid, item.title, "quarantined", item.last_error or ""))
    return found


def process(
    db: State,
    item: Item,
    config: BatchConfig,
    opts: pipeline.Options,
    now: datetime,
    executor: Executor | None = None,
    prepared: Future[Prepared] | None = None,
) -> ItemOutcome:
    """Narrate one item; its failure is recorded on it and never escapes (config errors do).

    `executor` synthesises (the run's one); `prepared` is `prepare(item, …)` already under way.
    """
    had_episode = item.audio is not None
    try:
        found = prepared.result() if prepared is not None else prepare(item, config, opts)
        if found is None:
            status = "published" if item.status == "failed" else item.status
            db.update(item.guid, status=status, recheck=False, last_error=None, next_retry=None)
            return ItemOutcome(item.guid, item.title, "unchanged", "page not modified")
        script, etag, last_modified = found
        digest = content_hash(script)
        if unchanged(item, digest, config):
            status = "published" if item.status in ("published", "failed") else item.status
            db.update(
                item.guid,
                status=status,
                recheck=False,
                page_etag=etag,
                page_last_modified=last_modified,
                attempts=0,
                last_error=None,
                next_retry=None,
            )
            return ItemOutcome(item.guid, item.title, "unchanged", "same text")
        stem = podcast.episode_stem(item.title, item.guid, digest)
        target = config.out / EPISODES / f"{stem}.mp3"
        log.info("narrating %s → %s", item.title, target.name)
        episode = pipeline.narrate_script(script, target, opts, executor=executor)
        published = item.published or _article_date(script) or item.discovered_at
        db.update(
            item.guid,
            status="narrated",
            content_hash=digest,
            audio=_rel(config.out, episode.audio),
            audio_bytes=episode.audio.stat().st_size,
            duration_ms=episode.duration_ms,
            transcript=_rel(config.out, episode.transcript),
            chapters=_rel(config.out, episode.chapters_json),
            description=_description(item.summary or script.description or "", script),
            lang=script.lang,
            published=published,
            page_etag=etag,
            page_last_modified=last_modified,
            recheck=False,
            narrated_at=now_iso(now),
            last_error=None,
            next_retry=None,
        )
        outcome: Outcome = "republished" if had_episode else "published"
        return ItemOutcome(item.guid, item.title, outcome, f"{episode.duration_ms / 1000:.0f} s")
    except _Skip as exc:
        if item.status == "published":
            db.update(item.guid, recheck=False, last_error=str(exc), transient=False)
            return ItemOutcome(item.guid, item.title, "skipped", f"{exc}; the episode stays")
        db.update(item.guid, status="skipped", skip_reason=str(exc), recheck=False)
        return ItemOutcome(item.guid, item.title, "skipped", str(exc))
    except (VoiceError, ConfigError):
        raise
    except FetchError as exc:
        return _fail(db, item, config, now, exc, exc.transient, exc.retry_after)
    except (SynthesisError, AudioError) as exc:
        return _fail(db, item, config, now, exc, True)
    except NarrateError as exc:
        return _fail(db, item, config, now, exc, False)
    except OSError as exc:
        # A full disk or an I/O error: files already published stay; the item is retried later.
        where = exc.filename2 or exc.filename or "the episode files"
        error = NarrateError(f"cannot write {where}: {exc.strerror or exc}")
        return _fail(db, item, config, now, error, True)
    except Exception as exc:
        # A bug in narrate, not the network or the page: a retry would only repeat it.
        log.debug("unexpected error narrating %s", item.title, exc_info=True)
        error = NarrateError(
            f"unexpected {type(exc).__name__}: {exc} (a bug in narrate; --debug logs the traceback)"
        )
        return _fail(db, item, config, now, error, False)


Prepared = tuple[Script, str | None, str | None] | None
"""An item's script and its page's ETag and Last-Modified; None when the page is unchanged."""


def unchanged(item: Item, digest: str, config: BatchConfig) -> bool:
    """Whether the item's episode already speaks the script of that content_hash, files and all."""
    return (
        item.audio is not None and digest == item.content_hash and files_present(config.out, item)
    )


def prepare(item: Item, config: BatchConfig, opts: pipeline.Options) -> Prepared:
    """Fetch and extract an item's page (no state is written: any thread may run it)."""
    if not item.link:
        return _fallback(item, opts, "no link"), None, None
    conditional = item.audio is not None
    resp = fetch(
        item.link,
        config.limits,
        kind="page",
        etag=item.page_etag if conditional else None,
        last_modified=item.page_last_modified if conditional else None,
    )
    if resp.status == 304:
        return None
    try:
        script = pipeline.script_from_html(resp.text, resp.url, opts)
    except ExtractionError as exc:
        if len(html_to_text(item.content_html)) < config.fallback_min_chars:
            raise _Skip(
                f"no article on the page ({exc}) and the feed's text is shorter than "
                f"{config.fallback_min_chars} characters"
            ) from exc
        script = _fallback(item, opts, str(exc))
    return script, resp.etag, resp.last_modified


def _fallback(item: Item, opts: pipeline.Options, why: str) -> Script:
    """A script from the feed's own content:encoded/summary, when the page gives none."""
    text = html_to_text(item.content_html)
    if not text:
        raise _Skip(f"{why}, and the feed gives no text")
    title = escape(item.title)
    html = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><article><h1>{title}</h1>{item.content_html}</article></body></html>"
    )
    try:
        return pipeline.script_from_html(html, item.link, opts)
    except ExtractionError as exc:
        raise _Skip(f"{why}, and the feed's own text has no article either ({exc})") from exc


def _fail(
    db: State,
    item: Item,
    config: BatchConfig,
    now: datetime,
    exc: BaseException,
    transient: bool,
    retry_after: float | datetime | None = None,
) -> ItemOutcome:
    attempts = item.attempts + 1
    message = reason(exc)
    if item.status == "published":
        # Re-checking a published episode failed: it stays in the feed as it is. A transient
        # failure is checked again next run, up to max_attempts; a permanent one is not.
        again = transient and attempts < config.max_attempts
        db.update(
            item.guid, attempts=attempts, last_error=message, transient=transient, recheck=again
        )
        log.warning("%s: %s (the published episode stays)", item.title, message)
        detail = f"{message}; the published episode stays" + ("; retry next run" if again else "")
        return ItemOutcome(item.guid, item.title, "failed", detail)
    outcome: Outcome = "failed"
    next_retry = None
    if transient and attempts < config.max_attempts:
        next_retry = now_iso(_retry_time(config, now, attempts, retry_after))
    elif transient:
        outcome = "quarantined"
        message = f"{message} (quarantined after {attempts} attempts)"
    db.update(
        item.guid,
        status="failed",
        attempts=attempts,
        last_error=message,
        transient=transient,
        next_retry=next_retry,
        recheck=False,
    )
    log.warning("%s: %s", item.title, message)
    detail = f"{message}; retry {next_retry}" if next_retry else message
    return ItemOutcome(item.guid, item.title, outcome, detail)


def _retry_time(
    config: BatchConfig, now: datetime, attempts: int, retry_after: float | datetime | None
) -> datetime:
    """The server's Retry-After when it gave one (never before now), else exponential backoff."""
    if isinstance(retry_after, datetime):
        return max(retry_after, now)
    if retry_after is not None:
        return now + timedelta(seconds=max(retry_after, 0.0))
    backoff = config.retry_base_s * 2 ** (attempts - 1)
    return now + timedelta(seconds=min(backoff, config.retry_max_s))


def reason(exc: BaseException) -> str:
    """An error as one line for the summary and the state: its short reason tag, then its text."""
    reason = getattr(exc, "reason", None)
    text = str(exc) or type(exc).__name__
    return f"{reason}: {text}" if reason and reason not in text else text


def _article_date(script: Script) -> str | None:
    if not script.date:
        return None
    try:
        day = date.fromisoformat(script.date[:10])
    except ValueError:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=UTC).isoformat(timespec="seconds")


def _description(text: str, script: Script) -> str:
    """The episode's description; a paywalled teaser's says that it is a preview."""
    if not script.truncated:
        return text
    return f"Preview: {text}" if text else "Preview"


def _rel(out: Path, path: Path) -> str:
    return path.resolve().relative_to(out.resolve()).as_posix()


def files_present(out: Path, item: Item) -> bool:
    """True when the item has an episode and every one of its files is in the output folder."""
    return bool(item.files) and all((out / f).is_file() for f in item.files)
