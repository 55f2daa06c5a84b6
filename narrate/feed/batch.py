"""`narrate feed`: read input feeds, narrate new and changed items, publish a podcast feed.

One run: discover (conditional GET of each feed, new items recorded) → narrate each item that needs
it with the single-article pipeline → write feed.xml from the episodes that are complete → mark them
published → remove files no item refers to any more. Each step commits its result to the state
database before the next begins, so a run killed anywhere is finished by the next one.

One executor synthesises for the whole run. The next item's page is fetched and extracted in a
thread while the current one is synthesised, and its new sentences are queued behind the current
one's, so the workers go on from one item to the next; only this thread writes the state database.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, wait
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from narrate import pipeline
from narrate.audio.ahead import Ahead
from narrate.audio.cache import ClipCache
from narrate.audio.executor import executor_for
from narrate.audio.levels import levels
from narrate.audio.synthesize import to_synthesise, voices_of
from narrate.audio.voices import load_profile
from narrate.errors import ConfigError, NarrateError
from narrate.feed import read as feeds
from narrate.feed.config import BatchConfig
from narrate.feed.discover import FeedOutcome, discover
from narrate.feed.items import (
    EPISODES,
    ItemOutcome,
    Prepared,
    content_hash,
    options,
    prepare,
    process,
    unchanged,
    waiting,
    work,
)
from narrate.feed.publish import FEED_FILE, publish
from narrate.feed.state import Item, State, locked
from narrate.models import Progress
from narrate.pipeline import Options

log = logging.getLogger(__name__)


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
    # An unreachable cluster stops the run too, before any feed is read.
    with (
        locked(out),
        closing(Ahead(executor_for(config.cluster, config.workers, [pipeline.__name__]))) as ahead,
        State.open(out) as db,
    ):
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
        if any(item.status == "discovered" for item in todo):  # new items: synthesis ahead
            ahead.start(voices_of(load_profile(opts.profile)))  # loads while pages are read
        outcomes: list[ItemOutcome] = []
        narrated = 0
        for done, (item, prepared) in enumerate(_ahead(todo, config, opts, ahead)):
            if progress:
                progress(done, len(todo), item.title)
            result = process(db, item, config, opts, now, ahead, prepared)
            ahead.release(done)
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


def _ahead(
    todo: Sequence[Item], config: BatchConfig, opts: Options, ahead: Ahead
) -> Iterator[tuple[Item, Future[Prepared]]]:
    """Each item with its page being prepared; the next one's starts as this one is handed out."""
    preparing: dict[int, Future[Prepared]] = {}
    for i in range(len(todo) + 1):
        if i < len(todo):
            before = preparing.get(i - 1)
            preparing[i] = _soon(_prepare_queued, i, todo[i], config, opts, ahead, before)
        if i:
            yield todo[i - 1], preparing.pop(i - 1)


def _prepare_queued(
    i: int,
    item: Item,
    config: BatchConfig,
    opts: Options,
    ahead: Ahead,
    before: Future[Prepared] | None,
) -> Prepared:
    """prepare(), then the item's new sentences queued (as `i`) behind the item before it's.

    A voice setting heard for the first time is measured first: its level is what the item's
    encoder starts with, and that must not wait behind the sentences.
    """
    found = prepare(item, config, opts)
    if found is None or unchanged(item, content_hash(found[0]), config):
        return found
    if before is not None:
        wait([before])  # its sentences go first, whatever became of it
    script = found[0]
    try:
        profile = pipeline.profile_for(opts, script)
        cache = ClipCache()
        levels(profile, cache, ahead)
        ahead.queue(i, to_synthesise(script, profile, cache))
    except Exception as exc:  # only a head start: process() meets a real problem again
        log.debug("%s not queued ahead: %s", item.title, exc)
    return found


def _soon(fn: Callable[..., Prepared], *args: object) -> Future[Prepared]:
    """fn(*args) in a daemon thread: a run that stops early does not wait for it."""
    future: Future[Prepared] = Future()

    def call() -> None:
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:
            future.set_exception(exc)

    threading.Thread(target=call, name="narrate-prepare", daemon=True).start()
    return future
