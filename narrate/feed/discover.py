"""Discovery: read each input feed conditionally and record its new and changed items."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from narrate.errors import NarrateError
from narrate.feed import read as feeds
from narrate.feed.config import BatchConfig
from narrate.feed.entry import Entry, canonical_url, url_guid
from narrate.feed.items import reason
from narrate.feed.state import FeedState, Item, State, now_iso

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedOutcome:
    """What reading one input feed gave."""

    source: str
    status: Literal["new", "unchanged", "failed"]
    items: int = 0
    """Items listed (for `new`)."""
    detail: str = ""


def discover(db: State, source: str, config: BatchConfig, now: datetime) -> FeedOutcome:
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
        log.info("feed %s: %s", source, exc)  # reported in the summary, or as the Error
        return FeedOutcome(source, "failed", detail=reason(exc))
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
            FeedState(source, fetched.etag, fetched.last_modified, feed.about, now_iso(now))
        )
    detail = feed.warning or ""
    return FeedOutcome(source, "new", len(feed.entries), detail)


def _wanted(entry: Entry, config: BatchConfig) -> bool:
    if config.since is None or entry.published is None:
        return True
    return entry.published.date() >= config.since


def _record(db: State, source: str, entry: Entry, now: datetime) -> Item | None:
    """Insert a new item, or refresh what the feed says about a known one."""
    said = _said(entry)
    item = db.find(source, entry.key)
    if item is not None:
        # An item the feed stops dating keeps the date it had.
        changes: dict[str, Any] = {
            k: v
            for k, v in said.items()
            if getattr(item, k) != v and (v is not None or k != "published")
        }
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
        same = entry.link and other.link and canonical_url(entry.link) == canonical_url(other.link)
        if same or not entry.link:
            log.info("%s: item %s already known from %s", source, guid, other.feed_url)
            return None
        guid = url_guid(entry.link)
        if db.item(guid) is not None:
            return None
    return db.discover(
        Item(
            guid=guid,
            feed_url=source,
            source_key=entry.key,
            status="discovered",
            discovered_at=now_iso(now),
            **said,
        )
    )


def _said(entry: Entry) -> dict[str, Any]:
    """What the feed says about an item, as the item's columns: the one place they are mapped."""
    return {
        "title": entry.title or "Untitled",
        "link": entry.link,
        "summary": entry.summary,
        "content_html": entry.content_html,
        "author": entry.author,
        "published": entry.published.isoformat(timespec="seconds") if entry.published else None,
    }
