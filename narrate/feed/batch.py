"""`narrate feed`: read input feeds, narrate new and changed items, publish a podcast feed.

One run: discover (conditional GET of each feed, new items recorded) → narrate each item that needs
it with the single-article pipeline → write feed.xml from the episodes that are complete → mark them
published → remove files no item refers to any more. Each step commits its result to the state
database before the next begins, so a run killed anywhere is finished by the next one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from narrate import pipeline
from narrate.errors import ConfigError, NarrateError
from narrate.feed import read as feeds
from narrate.feed.config import BatchConfig
from narrate.feed.discover import FeedOutcome, discover
from narrate.feed.items import EPISODES, ItemOutcome, options, process, waiting, work
from narrate.feed.publish import FEED_FILE, publish
from narrate.feed.state import State, locked
from narrate.models import Progress


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


def run(
    config: BatchConfig, progress: Progress | None = None, now: datetime | None = None
) -> RunSummary:
    """One batch run over config.out; LockedError at once if another run holds the folder."""
    started = time.monotonic()
    now = now or datetime.now(UTC)
    out = config.out
    opts = options(config)
    pipeline.load_bumpers(opts)  # a bad intro or outro stops the run before any feed is read
    with locked(out), State.open(out) as db:
        (out / EPISODES).mkdir(exist_ok=True)
        sources = feeds.expand_sources(config.feeds, config.limits)
        if not sources:
            raise ConfigError("the OPML files list no feeds")
        feed_outcomes = [discover(db, source, config, now) for source in sources]
        if all(f.status == "failed" for f in feed_outcomes):
            # Nothing could be read: publishing now would only empty or repeat the podcast.
            first = feed_outcomes[0].detail
            if len(sources) == 1:
                raise NarrateError(first)
            raise NarrateError(f"none of the {len(sources)} feeds could be read; first: {first}")
        todo = work(db, sources, config, now)
        outcomes: list[ItemOutcome] = []
        narrated = 0
        for done, item in enumerate(todo):
            if progress:
                progress(done, len(todo), item.title)
            result = process(db, item, config, opts, now)
            narrated += result.outcome in ("published", "republished")
            outcomes.append(result)
        if progress:
            progress(len(todo), len(todo), "")
        outcomes.extend(waiting(db, sources, {o.guid for o in outcomes}, now))
        in_feed = publish(db, config, sources, now)
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
