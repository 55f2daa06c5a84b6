"""The batch's memory: one SQLite file in the output folder, and a lock so one run owns it.

Every change is one committed transaction, so a run killed at any point leaves a state that the next
run can continue from: an item is `narrated` only once its files are complete, `published` only once
a feed.xml that lists it is in place.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from narrate.errors import NarrateError
from narrate.feed.entry import About

log = logging.getLogger(__name__)

Status = Literal["discovered", "narrated", "published", "failed", "skipped"]

DB_NAME = "state.db"
LOCK_NAME = ".narrate.lock"
_MIGRATIONS: tuple[str, ...] = (
    # 1: the first tables; this version kept its number in meta.schema_version.
    """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    title TEXT,
    link TEXT,
    description TEXT,
    language TEXT,
    author TEXT,
    image TEXT,
    checked_at TEXT
);
CREATE TABLE IF NOT EXISTS items (
    guid TEXT PRIMARY KEY,
    feed_url TEXT NOT NULL,
    source_key TEXT NOT NULL,
    title TEXT NOT NULL,
    link TEXT,
    summary TEXT NOT NULL DEFAULT '',
    content_html TEXT NOT NULL DEFAULT '',
    author TEXT,
    published TEXT,
    status TEXT NOT NULL CHECK (status IN ('discovered','narrated','published','failed','skipped')),
    content_hash TEXT,
    audio TEXT,
    audio_bytes INTEGER,
    duration_ms INTEGER,
    transcript TEXT,
    chapters TEXT,
    description TEXT,
    lang TEXT,
    page_etag TEXT,
    page_last_modified TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    transient INTEGER NOT NULL DEFAULT 0,
    next_retry TEXT,
    skip_reason TEXT,
    recheck INTEGER NOT NULL DEFAULT 0,
    discovered_at TEXT NOT NULL,
    narrated_at TEXT,
    published_at TEXT,
    UNIQUE (feed_url, source_key)
);
CREATE INDEX IF NOT EXISTS items_status ON items (status);
""",
    # 2: the number moves to PRAGMA user_version, in the file header where SQLite tools see it.
    "DELETE FROM meta WHERE key = 'schema_version'",
)
"""The schema's history: each entry upgrades the one before it, and none is ever edited."""
SCHEMA_VERSION = len(_MIGRATIONS)


class LockedError(NarrateError):
    """Another `narrate feed` run owns the output folder."""


@dataclass(frozen=True)
class FeedState:
    """What the last successful read of an input feed left behind."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    about: About = field(default_factory=About)
    """What the feed said about itself, as read."""
    checked_at: str | None = None


@dataclass(frozen=True)
class Item:
    """One row of the items table: an input item and how far it got."""

    guid: str
    """Assigned once at discovery and never re-derived."""
    feed_url: str
    source_key: str
    """The item's identity inside its feed (guid/id, else canonical link)."""
    title: str
    status: Status
    discovered_at: str
    link: str | None = None
    summary: str = ""
    content_html: str = ""
    author: str | None = None
    published: str | None = None
    """ISO 8601 UTC."""
    content_hash: str | None = None
    """SHA-256 of the spoken text the current episode was made from."""
    audio: str | None = None
    """Episode files, relative to the output folder; set once all three are complete."""
    audio_bytes: int | None = None
    duration_ms: int | None = None
    transcript: str | None = None
    chapters: str | None = None
    description: str | None = None
    lang: str | None = None
    page_etag: str | None = None
    page_last_modified: str | None = None
    attempts: int = 0
    last_error: str | None = None
    transient: bool = False
    next_retry: str | None = None
    """When a transient failure may be retried; None for permanent ones and quarantine."""
    skip_reason: str | None = None
    recheck: bool = False
    """Its feed changed since it was narrated: fetch the page again to see whether it changed."""
    narrated_at: str | None = None
    published_at: str | None = None

    @property
    def files(self) -> tuple[str, ...]:
        """The episode's files, relative to the output folder."""
        return tuple(f for f in (self.audio, self.transcript, self.chapters) if f)


_ITEM_COLUMNS = tuple(f.name for f in fields(Item))


def now_iso(now: datetime | None = None) -> str:
    """A UTC timestamp as stored in the database (ISO 8601, seconds)."""
    return (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold the folder's lock file for the duration; LockedError at once if another run holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                raise
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            raise LockedError(
                f"{folder} is locked by another narrate feed run (pid {holder}); "
                "wait for it to finish, then run again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        # Closing the descriptor releases the lock; the file stays so its inode is stable.
        os.close(fd)


class State:
    """The SQLite state of one output folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
        self._depth = 0
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA busy_timeout=30000")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        with self.transaction():
            version = self._version()
            if version > SCHEMA_VERSION:
                raise NarrateError(
                    f"{path} was written by a newer narrate (schema {version}, this one knows "
                    f"{SCHEMA_VERSION}); upgrade narrate"
                )
            for number in range(version + 1, SCHEMA_VERSION + 1):
                log.info("%s: upgrading the state to schema %d", path, number)
                for statement in _MIGRATIONS[number - 1].split(";"):
                    if statement.strip():
                        self.db.execute(statement)
            if version < SCHEMA_VERSION:
                self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _version(self) -> int:
        """The schema this file was written by; 0 for a new, empty file."""
        version = int(self.db.execute("PRAGMA user_version").fetchone()[0])
        legacy = self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone()
        if version == 0 and legacy:
            row = self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else 0
        return version

    @classmethod
    def open(cls, folder: Path) -> State:
        """Open (creating if needed) the state database of an output folder."""
        try:
            return cls(folder / DB_NAME)
        except sqlite3.DatabaseError as exc:
            raise NarrateError(f"cannot open {folder / DB_NAME}: {exc}") from exc

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def __enter__(self) -> State:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic change, committed on success, rolled back on any error; nesting joins it."""
        if self._depth:
            self._depth += 1
            try:
                yield self.db
            finally:
                self._depth -= 1
            return
        self.db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0
        self.db.execute("COMMIT")

    # meta

    def get_meta(self, key: str) -> str | None:
        """A stored setting, e.g. the podcast GUID assigned at the first run."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting."""
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # feeds

    def feed(self, url: str) -> FeedState | None:
        """What is known of an input feed."""
        row = self.db.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        if row is None:
            return None
        values = dict(row)
        about = About(**{f.name: values.pop(f.name) for f in fields(About)})
        return FeedState(**values, about=about)

    def save_feed(self, feed: FeedState) -> None:
        """Record a feed's validators and what it says about itself, after a successful read."""
        values = {f.name: getattr(feed, f.name) for f in fields(FeedState) if f.name != "about"}
        values.update(asdict(feed.about))
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        updates = ", ".join(f"{c} = excluded.{c}" for c in values if c != "url")
        with self.transaction():
            self.db.execute(
                f"INSERT INTO feeds ({cols}) VALUES ({marks}) "
                f"ON CONFLICT (url) DO UPDATE SET {updates}",
                tuple(values.values()),
            )

    # items

    def item(self, guid: str) -> Item | None:
        """The item with this GUID."""
        row = self.db.execute("SELECT * FROM items WHERE guid = ?", (guid,)).fetchone()
        return _item(row) if row else None

    def find(self, feed_url: str, source_key: str) -> Item | None:
        """The item a feed knows by source_key, if it was seen before."""
        row = self.db.execute(
            "SELECT * FROM items WHERE feed_url = ? AND source_key = ?", (feed_url, source_key)
        ).fetchone()
        return _item(row) if row else None

    def items(
        self, statuses: Iterable[Status] | None = None, feed_urls: Iterable[str] | None = None
    ) -> list[Item]:
        """Items with any of the statuses (all when None), of the given feeds (all when None)."""
        sql, args = "SELECT * FROM items WHERE 1=1", []
        if statuses is not None:
            wanted = list(statuses)
            sql += f" AND status IN ({', '.join('?' for _ in wanted)})"
            args += wanted
        if feed_urls is not None:
            urls = list(feed_urls)
            sql += f" AND feed_url IN ({', '.join('?' for _ in urls)})"
            args += urls
        sql += " ORDER BY COALESCE(published, discovered_at) DESC, guid"
        return [_item(r) for r in self.db.execute(sql, args)]

    def discover(self, item: Item) -> Item:
        """Insert a newly seen item (status discovered); its GUID is fixed from here on."""
        values = {c: getattr(item, c) for c in _ITEM_COLUMNS}
        values["transient"] = int(item.transient)
        values["recheck"] = int(item.recheck)
        marks = ", ".join("?" for _ in values)
        with self.transaction():
            self.db.execute(
                f"INSERT INTO items ({', '.join(values)}) VALUES ({marks})", tuple(values.values())
            )
        return item

    def update(self, guid: str, **changes: Any) -> Item:
        """Change some columns of one item in one transaction; returns the new row."""
        unknown = set(changes) - set(_ITEM_COLUMNS)
        if unknown:
            raise ValueError(f"unknown item columns: {sorted(unknown)}")
        for flag in ("transient", "recheck"):
            if flag in changes:
                changes[flag] = int(bool(changes[flag]))
        with self.transaction():
            cur = self.db.execute(
                f"UPDATE items SET {', '.join(f'{c} = ?' for c in changes)} WHERE guid = ?",
                (*changes.values(), guid),
            )
            if cur.rowcount != 1:
                raise KeyError(guid)
        found = self.item(guid)
        assert found is not None
        return found

    def mark_published(self, guids: Iterable[str], when: str) -> None:
        """Narrated items that a feed.xml now in place lists become published, together."""
        with self.transaction():
            self.db.executemany(
                "UPDATE items SET status = 'published', published_at = ?, attempts = 0, "
                "last_error = NULL, next_retry = NULL WHERE guid = ? AND status = 'narrated'",
                [(when, g) for g in guids],
            )

    def referenced_files(self) -> set[str]:
        """Every episode file some item still points to (relative to the output folder)."""
        found: set[str] = set()
        for row in self.db.execute(
            "SELECT audio, transcript, chapters FROM items WHERE audio IS NOT NULL"
        ):
            found.update(v for v in row if v)
        return found


def _item(row: sqlite3.Row) -> Item:
    values = dict(row)
    values["transient"] = bool(values["transient"])
    values["recheck"] = bool(values["recheck"])
    return Item(**values)
