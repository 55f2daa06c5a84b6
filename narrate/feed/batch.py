"""`narrate feed`: read input feeds, narrate new and changed items, publish a podcast feed.

One run: discover (conditional GET of each feed, new items recorded) → narrate each item that needs
it with the single-article pipeline → write feed.xml from the episodes that are complete → mark them
published → remove files no item refers to any more. Each step commits its result to the state
database before the next begins, so a run killed anywhere is finished by the next one.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from narrate import pipeline
from narrate.article.fetch import fetch
from narrate.audio import transcript
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
from narrate.feed import read as feeds
from narrate.feed.config import BatchConfig
from narrate.feed.state import FeedState, Item, State, locked, now_iso
from narrate.files import write_bytes_atomic
from narrate.models import Progress, Script

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "http://127.0.0.1:8000/"
"""Where `narrate serve` publishes by default, used when no base URL is configured."""
EPISODES = "episodes"
FEED_FILE = "feed.xml"
COVER_FILE = "cover.png"

Outcome = Literal[
    "published", "republished", "unchanged", "skipped", "failed", "waiting", "quarantined"
]


@dataclass(frozen=True)
class FeedOutcome:
    """What reading one input feed gave."""

    source: str
    status: Literal["new", "unchanged", "failed"]
    items: int = 0
    """Items listed (for `new`)."""
    detail: str = ""


@dataclass(frozen=True)
class ItemOutcome:
    """What happened to one item this run."""

    guid: str
    title: str
    outcome: Outcome
    detail: str = ""


@dataclass(frozen=True)
class RunSummary:
    """The result of one run, for the summary table and the exit status."""

    feeds: tuple[FeedOutcome, ...]
    items: tuple[ItemOutcome, ...]
    narrated: int
    """Episodes synthesised this run (0 when nothing changed)."""
    in_feed: int
    """Episodes feed.xml lists."""
    feed_path: Path
    elapsed_s: float
    failed_earlier: tuple[ItemOutcome, ...] = ()
    """Items that failed in an earlier run and were not retried this time."""

    @property
    def failed(self) -> int:
        """Items and feeds that failed (including those waiting for a retry or quarantined)."""
        bad = ("failed", "waiting", "quarantined")
        return (
            sum(i.outcome in bad for i in self.items)
            + len(self.failed_earlier)
            + sum(f.status == "failed" for f in self.feeds)
        )

    @property
    def exit_code(self) -> int:
        """0 when every item is published or skipped, else 1."""
        return 1 if self.failed else 0


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
        bitrate=config.bitrate,
        workers=config.workers,
        limits=config.limits,
        lexicons=config.lexicons,
    )


def run(
    config: BatchConfig, progress: Progress | None = None, now: datetime | None = None
) -> RunSummary:
    """One batch run over config.out; LockedError at once if another run holds the folder."""
    started = time.monotonic()
    now = now or datetime.now(UTC)
    out = config.out
    with locked(out), State.open(out) as db:
        (out / EPISODES).mkdir(exist_ok=True)
        sources = feeds.expand_sources(config.feeds, config.limits)
        if not sources:
            raise ConfigError("the OPML files list no feeds")
        feed_outcomes = [_discover(db, source, config, now) for source in sources]
        work = _work(db, sources, config, now)
        opts = options(config)
        outcomes: list[ItemOutcome] = []
        narrated = 0
        for done, item in enumerate(work):
            if progress:
                progress(done, len(work), item.title)
            result = _process(db, item, config, opts, now)
            narrated += result.outcome in ("published", "republished")
            outcomes.append(result)
        if progress:
            progress(len(work), len(work), "")
        outcomes.extend(_waiting(db, sources, {o.guid for o in outcomes}, now))
        in_feed = _publish(db, config, sources, now)
        earlier = [
            ItemOutcome(i.guid, i.title, "failed", f"{i.last_error} (not retried)")
            for i in db.items(("failed",), sources)
            if i.guid not in {o.guid for o in outcomes}
        ]
    return RunSummary(
        feeds=tuple(feed_outcomes),
        items=tuple(outcomes),
        narrated=narrated,
        in_feed=in_feed,
        feed_path=out / FEED_FILE,
        elapsed_s=time.monotonic() - started,
        failed_earlier=tuple(earlier),
    )


# discovery


def _discover(db: State, source: str, config: BatchConfig, now: datetime) -> FeedOutcome:
    """Read one feed conditionally and record its items; its validators are saved last."""
    known = db.feed(source)
    try:
        fetched = feeds.load(
            source,
            config.limits,
            etag=known.etag if known else None,
            last_modified=known.last_modified if known else None,
        )
    except NarrateError as exc:
        log.warning("feed %s: %s", source, exc)
        return FeedOutcome(source, "failed", detail=_reason(exc))
    if fetched.status == "unchanged" or fetched.feed is None:
        return FeedOutcome(source, "unchanged", detail="not modified")
    feed = fetched.feed
    entries = [e for e in feed.entries if _wanted(e, config)]
    entries.sort(key=lambda e: e.published or now, reverse=True)
    if config.limit is not None:
        entries = entries[: config.limit]
    with db.transaction():
        listed: set[str] = set()
        for entry in entries:
            item = _record(db, source, entry, now)
            if item is not None:
                listed.add(item.guid)
        in_feed = {e.key for e in feed.entries}
        for item in db.items(("discovered", "failed"), [source]):
            if item.guid not in listed and not item.audio:
                why = (
                    "outside --since/--limit" if item.source_key in in_feed else "no longer listed"
                )
                db.update(item.guid, status="skipped", skip_reason=f"{why} in the feed")
        db.save_feed(
            FeedState(
                url=source,
                etag=fetched.etag,
                last_modified=fetched.last_modified,
                title=feed.title,
                link=feed.link,
                description=feed.description,
                language=feed.language,
                author=feed.author,
                image=feed.image,
                checked_at=now_iso(now),
            )
        )
    detail = feed.warning or ""
    return FeedOutcome(source, "new", len(feed.entries), detail)


def _wanted(entry: feeds.Entry, config: BatchConfig) -> bool:
    if config.since is None or entry.published is None:
        return True
    return entry.published.date() >= config.since


def _record(db: State, source: str, entry: feeds.Entry, now: datetime) -> Item | None:
    """Insert a new item, or refresh what the feed says about a known one."""
    published = entry.published.isoformat(timespec="seconds") if entry.published else None
    item = db.find(source, entry.key)
    if item is not None:
        changes: dict[str, Any] = {}
        fresh = {
            "title": entry.title,
            "link": entry.link,
            "summary": entry.summary,
            "content_html": entry.content_html,
            "author": entry.author,
        }
        changes = {k: v for k, v in fresh.items() if getattr(item, k) != v}
        if published and item.published != published:
            changes["published"] = published
        if item.status == "published" and (item.last_error is None or item.transient):
            # A page that failed for good (gone, no article) is not fetched again: the
            # published episode stands as it is.
            changes["recheck"] = True
        return db.update(item.guid, **changes) if changes else item
    guid = entry.guid
    if db.item(guid) is not None:
        # The same GUID from another feed (or reused): keep the first, unless the article differs.
        other = db.item(guid)
        assert other is not None
        same = (
            entry.link
            and other.link
            and feeds.canonical_url(entry.link) == feeds.canonical_url(other.link)
        )
        if same or not entry.link:
            log.info("%s: item %s already known from %s", source, guid, other.feed_url)
            return None
        guid = feeds.url_guid(entry.link)
        if db.item(guid) is not None:
            return None
    return db.discover(
        Item(
            guid=guid,
            feed_url=source,
            source_key=entry.key,
            title=entry.title or "Untitled",
            status="discovered",
            discovered_at=now_iso(now),
            link=entry.link,
            summary=entry.summary,
            content_html=entry.content_html,
            author=entry.author,
            published=published,
        )
    )


def _work(db: State, sources: Sequence[str], config: BatchConfig, now: datetime) -> list[Item]:
    """Items to narrate or re-check this run, newest first."""
    todo: list[Item] = []
    for item in db.items(None, sources):
        if item.status in ("narrated", "published") and not _files_present(config.out, item):
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


def _waiting(db: State, sources: Sequence[str], seen: set[str], now: datetime) -> list[ItemOutcome]:
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


# narration


def _process(
    db: State, item: Item, config: BatchConfig, opts: pipeline.Options, now: datetime
) -> ItemOutcome:
    """Narrate one item; its failure is recorded on it and never escapes (config errors do)."""
    had_episode = item.audio is not None
    try:
        found = _script(item, config, opts)
        if found is None:
            status = "published" if item.status == "failed" else item.status
            db.update(item.guid, status=status, recheck=False, last_error=None, next_retry=None)
            return ItemOutcome(item.guid, item.title, "unchanged", "page not modified")
        script, etag, last_modified = found
        digest = content_hash(script)
        if had_episode and digest == item.content_hash and _files_present(config.out, item):
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
        episode = pipeline.narrate_script(script, target, opts)
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
            description=item.summary or script.description or "",
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
        log.exception("unexpected error narrating %s", item.title)
        return _fail(db, item, config, now, exc, True)


def _script(
    item: Item, config: BatchConfig, opts: pipeline.Options
) -> tuple[Script, str | None, str | None] | None:
    """The item's script with the page's validators; None when the page is unchanged (304)."""
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
        if len(feeds.html_to_text(item.content_html)) < config.fallback_min_chars:
            raise _Skip(
                f"no article on the page ({exc}) and the feed's text is shorter than "
                f"{config.fallback_min_chars} characters"
            ) from exc
        script = _fallback(item, opts, str(exc))
    return script, resp.etag, resp.last_modified


def _fallback(item: Item, opts: pipeline.Options, why: str) -> Script:
    """A script from the feed's own content:encoded/summary, when the page gives none."""
    text = feeds.html_to_text(item.content_html)
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
    retry_after: float | None = None,
) -> ItemOutcome:
    attempts = item.attempts + 1
    message = _reason(exc)
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
        delay = min(config.retry_base_s * 2 ** (attempts - 1), config.retry_max_s)
        if retry_after is not None:
            delay = max(float(retry_after), 0.0)
        next_retry = now_iso(now + timedelta(seconds=delay))
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


def _reason(exc: BaseException) -> str:
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


def _rel(out: Path, path: Path) -> str:
    return path.resolve().relative_to(out.resolve()).as_posix()


def _files_present(out: Path, item: Item) -> bool:
    return bool(item.files) and all((out / f).is_file() for f in item.files)


# publishing


def base_url(config: BatchConfig) -> str:
    """The configured base URL with exactly one trailing slash."""
    return (config.base_url or DEFAULT_BASE_URL).rstrip("/") + "/"


def _url(config: BatchConfig, rel: str) -> str:
    return base_url(config) + quote(rel)


def channel(db: State, config: BatchConfig, sources: Sequence[str]) -> podcast.Channel:
    """The channel: configured values first, then the (first) input feed's, then defaults."""
    known = [f for f in (db.feed(s) for s in sources) if f is not None]
    first = known[0] if len(known) == 1 else None
    title = config.title or (first.title if first else None)
    if not title:
        names = [f.title for f in known if f.title][:3]
        title = "Narrated: " + ", ".join(names) if names else "Narrated articles"
    description = config.description or (first.description if first else None)
    description = (description or f"Articles from {title}, read aloud.").strip()
    language = config.language or (first.language if first else None) or "en"
    feed_url = _url(config, FEED_FILE)
    guid = config.podcast_guid or db.get_meta("podcast_guid")
    if guid is None and config.base_url:
        # Assigned once, from the public feed URL, then kept even if the URL changes.
        guid = podcast.podcast_guid(feed_url)
        with db.transaction():
            db.set_meta("podcast_guid", guid)
    return podcast.Channel(
        title=title,
        description=description,
        link=config.link or (first.link if first else None) or base_url(config),
        feed_url=feed_url,
        image_url=config.image or _url(config, COVER_FILE),
        language=language,
        author=config.author or (first.author if first else None) or title,
        owner_name=config.owner_name,
        owner_email=config.owner_email,
        category=podcast.check_category(config.category),
        explicit=config.explicit,
        locked=config.locked,
        guid=guid,
    )


def _publish(db: State, config: BatchConfig, sources: Sequence[str], now: datetime) -> int:
    """Write feed.xml from complete episodes, mark them published, then remove unused files."""
    out = config.out
    ready = [
        i
        for i in db.items(("narrated", "published", "failed"))
        if i.audio and _files_present(out, i)
    ]
    ready.sort(key=lambda i: (i.published or i.discovered_at, i.guid), reverse=True)
    keep = ready[: config.limit] if config.limit is not None else ready
    dropped = ready[len(keep) :]
    show = channel(db, config, sources)
    entries = [_entry(config, item) for item in keep]
    document = podcast.render(show, entries)
    target = out / FEED_FILE
    try:
        if config.image is None:
            cover = podcast.cover_png(show.title)
            path = out / COVER_FILE
            if not path.is_file() or path.read_bytes() != cover:
                write_bytes_atomic(path, cover)
        if not target.is_file() or target.read_bytes() != document:
            write_bytes_atomic(target, document)
    except OSError as exc:
        where = exc.filename2 or exc.filename or target
        raise NarrateError(
            f"cannot write {where}: {exc.strerror or exc}; the previous feed stays"
        ) from exc
    # The feed listing them is in place: only now are they published and old files unused.
    with db.transaction():
        db.mark_published([i.guid for i in keep if i.status == "narrated"], now_iso(now))
        for item in dropped:
            db.update(
                item.guid,
                status="skipped",
                skip_reason=f"beyond --limit {config.limit}",
                audio=None,
                transcript=None,
                chapters=None,
            )
    referenced = db.referenced_files()
    for audio in [f for f in referenced if f.endswith(".mp3")]:
        extra = (*pipeline.extra_transcripts(out / audio), pipeline.artwork_path(out / audio))
        referenced.update(_rel(out, p) for p in extra)
    _sweep(out, referenced)
    return len(entries)


def _entry(config: BatchConfig, item: Item) -> podcast.EpisodeEntry:
    assert item.audio and item.duration_ms is not None
    # Episodes narrated before SRT, JSON and artwork existed have none: listed when present.
    srt, json_transcript = (
        _rel(config.out, p) for p in pipeline.extra_transcripts(config.out / item.audio)
    )
    image = _rel(config.out, pipeline.artwork_path(config.out / item.audio))
    when = item.published or item.discovered_at
    return podcast.EpisodeEntry(
        guid=item.guid,
        title=item.title,
        published=datetime.fromisoformat(when),
        audio_url=_url(config, item.audio),
        audio_bytes=(config.out / item.audio).stat().st_size,
        duration_ms=item.duration_ms,
        link=item.link,
        description=item.description or item.summary,
        transcript_url=_url(config, item.transcript) if item.transcript else None,
        chapters_url=_url(config, item.chapters) if item.chapters else None,
        language=item.lang,
        author=item.author,
        srt_url=_url(config, srt) if (config.out / srt).is_file() else None,
        image_url=_url(config, image) if (config.out / image).is_file() else None,
        json_transcript_url=(
            _url(config, json_transcript) if (config.out / json_transcript).is_file() else None
        ),
        chapter_marks=(
            transcript.read_chapters_json((config.out / item.chapters).read_text("utf-8"))
            if item.chapters
            else ()
        ),
    )


def _sweep(out: Path, referenced: set[str]) -> None:
    """Remove episode files no item refers to, and temp files of interrupted writes."""
    folder = out / EPISODES
    if folder.is_dir():
        for path in folder.iterdir():
            rel = path.relative_to(out).as_posix()
            if path.is_file() and rel not in referenced:
                log.info("removing %s", rel)
                path.unlink(missing_ok=True)
    for path in out.glob(".*.part"):
        path.unlink(missing_ok=True)
