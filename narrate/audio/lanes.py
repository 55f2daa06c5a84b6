"""One executor shared by narrations at once, which take turns so none waits for another's end.

An executor answers jobs in the order submitted, and a narration submits all its sentences at
once: a second listener would wait for the whole of the first one's article. Here each
narration submits through its own lane; the lanes take turns, one job each, and no more jobs
are handed to the executor than it has workers, so a newcomer's first sentence is next but one.
Jobs still in a lane cost nothing to cancel: the executor never saw them.
"""

from __future__ import annotations

import collections
import threading
from concurrent.futures import Future

from narrate.audio.executor import Executor, Voices
from narrate.audio.job import Job
from narrate.models import Clip


class SharedExecutor:
    """`inner`'s workers shared by lanes in turn, with at most `depth` jobs handed to it."""

    def __init__(self, inner: Executor, depth: int):
        self._inner = inner
        self._depth = max(1, depth)
        self._lock = threading.Lock()
        self._turns: collections.deque[Lane] = collections.deque()
        """Lanes with jobs waiting, the next to send first."""
        self._handed = 0
        self._pumping = False

    def start(self, voices: Voices) -> None:
        """Start the workers and load voices now, before the first listener."""
        self._inner.start(voices)

    def lane(self) -> Lane:
        """An Executor for one narration, taking turns with the other lanes."""
        return Lane(self)

    def close(self) -> None:
        """Stop the workers: every lane's unanswered jobs fail."""
        self._inner.close()

    def _queue(self, lane: Lane, job: Job, future: Future[Clip]) -> None:
        with self._lock:
            lane.waiting.append((job, future))
            if lane not in self._turns:
                self._turns.append(lane)
        self._hand_on()

    def _hand_on(self) -> None:
        """Hand the executor the next lanes' jobs while it has room."""
        with self._lock:
            if self._pumping:
                return  # the thread handing on now sees the room too
            self._pumping = True
        try:
            while (next_job := self._next()) is not None:
                job, future = next_job
                try:
                    inner = self._inner.submit(job)
                except BaseException as exc:  # a closed executor: this job fails, not the caller
                    self._done(future, exc)
                    continue
                # Called at once when inner is already done: the loop above goes on from here.
                inner.add_done_callback(lambda done, future=future: self._answered(future, done))
        finally:
            with self._lock:
                self._pumping = False
        if self._room():
            self._hand_on()  # room was made while this thread was leaving

    def _next(self) -> tuple[Job, Future[Clip]] | None:
        """The next job in turn, counted as handed on; None when there is no room or no job."""
        with self._lock:
            while self._handed < self._depth and self._turns:
                lane = self._turns.popleft()
                job, future = lane.waiting.popleft()
                if lane.waiting:
                    self._turns.append(lane)  # to the back: the other lanes go first
                if future.set_running_or_notify_cancel():
                    self._handed += 1
                    return job, future
            return None

    def _room(self) -> bool:
        with self._lock:
            return self._handed < self._depth and bool(self._turns)

    def _answered(self, future: Future[Clip], done: Future[Clip]) -> None:
        try:
            clip = done.result()
        except BaseException as exc:  # the job's error, or its cancellation
            self._done(future, exc)
        else:
            with self._lock:
                self._handed -= 1
            future.set_result(clip)
        self._hand_on()

    def _done(self, future: Future[Clip], error: BaseException) -> None:
        with self._lock:
            self._handed -= 1
        future.set_exception(error)


class Lane:
    """One narration's way into a SharedExecutor: an Executor whose close() leaves it running."""

    def __init__(self, shared: SharedExecutor):
        self._shared = shared
        self.waiting: collections.deque[tuple[Job, Future[Clip]]] = collections.deque()

    def start(self, voices: Voices) -> None:
        """The shared workers are started once, for every lane."""

    def submit(self, job: Job) -> Future[Clip]:
        """Queue one sentence behind this lane's others; it is sent in this lane's turn."""
        future: Future[Clip] = Future()
        self._shared._queue(self, job, future)
        return future

    def close(self) -> None:
        """Cancel this lane's jobs not yet sent; the shared workers go on."""
        with self._shared._lock:
            waiting = list(self.waiting)
            self.waiting.clear()
            if self in self._shared._turns:
                self._shared._turns.remove(self)
        for _, future in waiting:
            future.cancel()
