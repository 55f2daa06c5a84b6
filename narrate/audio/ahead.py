"""Sentences queued before their stream asks for them: a feed's next item behind the current one.

`narrate feed` speaks its items one after another. The pool's last worker used to finish an
item's last sentence alone, and then both waited while the item was mastered and recorded.
Now the thread that prepares the next item also queues its new sentences here, tagged with the
item; its stream then finds each one under way or done, and what the item never asks for
(it failed first) is released: kept in the clip cache if made, cancelled if not.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Future

from narrate.audio.cache import ClipCache
from narrate.audio.executor import Executor, Voices
from narrate.audio.job import Job
from narrate.errors import SynthesisError
from narrate.models import Clip

log = logging.getLogger(__name__)


class Ahead:
    """`inner`, also taking tagged jobs early for the stream that will submit them later."""

    def __init__(self, inner: Executor, cache: ClipCache | None = None):
        self.inner = inner
        self._cache = cache or ClipCache()
        self._early: dict[str, Future[Clip]] = {}
        self._tags: dict[int, list[str]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def start(self, voices: Voices) -> None:
        self.inner.start(voices)

    def queue(self, tag: int, jobs: Sequence[Job]) -> list[Future[Clip]]:
        """Submit jobs now, in order, under `tag`; one already waiting is not submitted again."""
        futures = []
        with self._lock:
            self._open()
            keys = self._tags.setdefault(tag, [])
            for job in jobs:
                if job.key not in self._early:
                    self._early[job.key] = self.inner.submit(job)
                    keys.append(job.key)
                futures.append(self._early[job.key])
        return futures

    def submit(self, job: Job) -> Future[Clip]:
        """The job's early future if one waits (and was not cancelled), else a new one."""
        with self._lock:
            self._open()
            early = self._early.pop(job.key, None)
            if early is not None and not early.cancelled():
                return early
            return self.inner.submit(job)

    def unclaimed(self) -> int:
        """Early futures no stream has asked for yet."""
        with self._lock:
            return len(self._early)

    def release(self, tag: int) -> None:
        """Let go of what `tag` queued and nobody asked for: clips made go to the cache."""
        with self._lock:
            left = [(k, self._early.pop(k)) for k in self._tags.pop(tag, ()) if k in self._early]
        for key, future in left:
            if not future.cancel() and future.done() and future.exception() is None:
                self._cache.put(key, future.result())
        if left:
            log.debug("released %d sentences queued ahead", len(left))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            tags = list(self._tags)
        for tag in tags:
            self.release(tag)
        self.inner.close()

    def _open(self) -> None:
        if self._closed:
            raise SynthesisError("the synthesis pool is closed")
