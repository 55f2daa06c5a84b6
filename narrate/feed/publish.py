"""Publishing: the channel, feed.xml and cover from the complete episodes, then the sweep."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from narrate import outputs
from narrate.audio import transcript
from narrate.errors import NarrateError
from narrate.feed import podcast
from narrate.feed.config import BatchConfig
from narrate.feed.entry import About
from narrate.feed.items import EPISODES, files_present
from narrate.feed.state import Item, State, now_iso
from narrate.files import write_bytes_atomic

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "http://127.0.0.1:8000/"
"""Where `narrate serve` publishes by default, used when no base URL is configured."""
FEED_FILE = "feed.xml"
COVER_FILE = "cover.png"


def base_url(config: BatchConfig) -> str:
    """The configured base URL with exactly one trailing slash."""
    return (config.base_url or DEFAULT_BASE_URL).rstrip("/") + "/"


def _url(config: BatchConfig, rel: str) -> str:
    return base_url(config) + quote(rel)


def channel(db: State, config: BatchConfig, sources: Sequence[str]) -> podcast.Channel:
    """The show, built only here: settings, then what the only input feed says, then defaults."""
    said = [f.about for f in (db.feed(s) for s in sources) if f is not None]
    only = said[0] if len(said) == 1 else About()  # several feeds: none speaks for the show
    mine = config.channel
    title = mine.title or only.title
    if not title:
        names = [a.title for a in said if a.title][:3]
        title = "Narrated: " + ", ".join(names) if names else "Narrated articles"
    description = mine.description or only.description or f"Articles from {title}, read aloud."
    feed_url = _url(config, FEED_FILE)
    guid = mine.guid or db.get_meta("podcast_guid")
    if guid is None and config.base_url:
        # Assigned once, from the public feed URL, then kept even if the URL changes.
        guid = podcast.podcast_guid(feed_url)
        with db.transaction():
            db.set_meta("podcast_guid", guid)
    return podcast.Channel(
        title=title,
        description=description.strip(),
        link=mine.link or only.link or base_url(config),
        feed_url=feed_url,
        image_url=mine.image or _url(config, COVER_FILE),
        language=mine.language or only.language or "en",
        author=mine.author or only.author or title,
        owner_name=mine.owner_name,
        owner_email=mine.owner_email,
        category=mine.category,
        explicit=mine.explicit,
        locked=mine.locked,
        guid=guid,
    )


def publish(db: State, config: BatchConfig, sources: Sequence[str], now: datetime) -> int:
    """Write feed.xml from complete episodes, mark them published, then remove unused files."""
    out = config.out
    ready = [
        i
        for i in db.items(("narrated", "published", "failed"))
        if i.audio and files_present(out, i)
    ]
    ready.sort(key=lambda i: (i.published or i.discovered_at, i.guid), reverse=True)
    keep = ready[: config.limit] if config.limit is not None else ready
    dropped = ready[len(keep) :]
    show = channel(db, config, sources)
    entries = [_entry(config, item) for item in keep]
    document = podcast.render(show, entries)
    target = out / FEED_FILE
    try:
        if config.channel.image is None:
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
    _sweep(out, db.referenced_files())
    return len(entries)


def _entry(config: BatchConfig, item: Item) -> podcast.EpisodeEntry:
    assert item.audio and item.duration_ms is not None
    # Episodes narrated before SRT, JSON and artwork existed have none: listed when present.
    audio = config.out / item.audio

    def present(path: Path) -> str | None:
        return _url(config, path.relative_to(config.out).as_posix()) if path.is_file() else None

    srt, json_transcript = outputs.extra_transcripts(audio)
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
        srt_url=present(srt),
        json_transcript_url=present(json_transcript),
        image_url=present(outputs.artwork_path(audio)),
        chapter_marks=(
            transcript.read_chapters_json((config.out / item.chapters).read_text("utf-8"))
            if item.chapters
            else ()
        ),
    )


def _sweep(out: Path, referenced: set[str]) -> None:
    """Remove episode files no item refers to, and temp files of interrupted writes."""
    # Every file derived from an episode (transcripts, artwork, pages) is named after its MP3.
    stems = {Path(rel).stem for rel in referenced if rel.endswith(".mp3")}
    folder = out / EPISODES
    if folder.is_dir():
        for path in folder.iterdir():
            rel = path.relative_to(out).as_posix()
            derived = path.name.split(".", 1)[0] in stems
            if path.is_file() and rel not in referenced and not derived:
                log.info("removing %s", rel)
                path.unlink(missing_ok=True)
    for path in out.glob(".*.part"):
        path.unlink(missing_ok=True)
