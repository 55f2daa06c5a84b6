"""A pool of isolated worker processes: a task that crashes or hangs its worker fails alone.

Unlike ProcessPoolExecutor's BrokenProcessPool, a dead or hung worker costs only the task it
held (retried in a fresh worker): each worker has its own pipe.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, as_completed
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from narrate import worker_process

log = logging.getLogger(__name__)

START_METHOD = "forkserver"
"""Workers never inherit the parent's threads (ONNX Runtime's pools are not fork-safe)."""
STARTUP_FAILURES = 3
"""Workers that may die or fail to start before the pool gives up."""
RENEW_MIN_TASKS = 10
"""Answers a worker gives before its memory can renew it: at most one restart per ten tasks."""


@dataclass(frozen=True)
class Failure:
    """Why a task has no result."""

    message: str
    crashed: bool
    """True when its worker died or hung (after the retries), False when the task raised."""
    error: BaseException | None = None
    """What the task raised, when it raised."""
    timed_out: bool = False
    """True when its worker was still busy with it at the deadline (then `crashed` too)."""


class PoolError(RuntimeError):
    """Workers could not be started or initialised."""

    def __init__(self, message: str, cause: BaseException | None = None):
        super().__init__(message)
        self.cause = cause


@dataclass
class _Worker:
    process: Any
    conn: Connection
    started: float
    ready: bool = False
    task: _Task | None = None
    deadline: float = 0.0
    answered: int = 0


@dataclass
class _Task:
    payload: Any
    future: Future
    attempts: int = 0


class Pool:
    """Long-lived workers answering tasks, in the order submitted, through futures.

    Workers initialise once (`init(init_arg)` is the `state` given to `work`) and serve a
    whole run; a thread of this process dispatches. A future holds work(state, task)'s
    result or a Failure, and raises PoolError when workers cannot start. A task that raises
    fails at once; one whose worker dies or passes `timeout_s` is retried `retries` times in
    a fresh worker. `memory_bytes` caps each worker's address space (RLIMIT_AS); a worker is
    renewed after `max_tasks`, and when an answer leaves it holding more than `renew_bytes`
    of resident memory (from its RENEW_MIN_TASKS-th answer on, so that one which starts
    bigger still serves that many). Cancelling a future not yet dispatched drops its task.
    `forkserver_env` is added to the environment of a forkserver that a worker's start starts
    (its `preload` modules read it); this process's own environment is as it was afterwards.

    With `fork_now`, the workers are forked from this process at once, by the calling thread
    (which must be the process's only one): they share what it has imported and need no
    forkserver. Such a pool never forks again; a worker it loses is not replaced.
    """

    def __init__(
        self,
        *,
        init: Callable[[Any], Any],
        init_arg: Any,
        work: Callable[[Any, Any], Any],
        processes: int | None = None,
        timeout_s: float = 120.0,
        init_timeout_s: float = 120.0,
        retries: int = 1,
        memory_bytes: int | None = None,
        preload: Sequence[str] = (),
        forkserver_env: Mapping[str, str] | None = None,
        max_tasks: int | None = None,
        renew_bytes: int | None = None,
        fork_now: bool = False,
    ):
        if fork_now and not one_thread():
            raise RuntimeError("fork_now needs a process with no other thread")
        self._max_tasks = max_tasks
        self._renew_bytes = renew_bytes
        self._forkserver_env = dict(forkserver_env or {})
        self._forked = fork_now
        self.start_method = "fork" if fork_now else START_METHOD
        self._ctx = multiprocessing.get_context(self.start_method)
        if preload and not fork_now:
            self._ctx.set_forkserver_preload(list(preload))
        self._spawn = (init, init_arg, work, memory_bytes, worker_process.parent_logs())
        self.size = max(1, processes or os.cpu_count() or 1)
        self._timeouts = (timeout_s, init_timeout_s)
        self._retries = retries
        self._pending: collections.deque[_Task] = collections.deque()
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = self._ctx.Pipe(duplex=False)
        self._workers: list[_Worker] = []
        self._startup_failures = 0
        self._closed = False
        self._broken: PoolError | None = None
        self._warm = 0
        self._lost = ""
        if fork_now:
            for _ in range(self.size):
                self._start_worker()
        self._thread = threading.Thread(target=self._loop, name="narrate-pool", daemon=True)
        self._thread.start()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def start(self, count: int | None = None) -> None:
        """Start `count` workers (default: all) now, so they are ready when tasks come."""
        with self._lock:
            self._warm = min(self.size, count or self.size)
        self._poke()

    def submit(self, task: Any) -> Future:
        """Queue a task; its future is done when a worker has answered it (or given up)."""
        future: Future = Future()
        with self._lock:
            if self._broken is not None:
                future.set_exception(self._broken)
                return future
            if self._closed:
                raise RuntimeError("the pool is closed")
            self._pending.append(_Task(task, future))
        self._poke()
        return future

    def close(self) -> None:
        """Stop the workers; tasks not yet answered fail with PoolError."""
        with self._lock:
            self._closed = True
        self._poke()
        self._thread.join()

    def _poke(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send_bytes(b"!")

    def _start_worker(self) -> None:
        parent, child = self._ctx.Pipe()
        ours = (parent, self._wake_r, self._wake_w, *(w.conn for w in self._workers))
        process = self._ctx.Process(
            target=worker_process.serve,
            args=(child, *self._spawn, ours if self._forked else None),
            daemon=True,
        )
        with _environment(self._forkserver_env):
            process.start()
        child.close()
        self._workers.append(_Worker(process, parent, time.monotonic()))
        log.debug("started worker %s (%s)", process.pid, self.start_method)

    def _lose(self, worker: _Worker, why: str, timed_out: bool = False) -> None:
        """A worker died or hung: end it, and retry or fail the task it held."""
        pid = worker.process.pid
        self._lost = why
        self._workers.remove(worker)
        _stop(worker)
        task = worker.task
        if task is None:
            if not worker.ready:
                self._startup_failures += 1
                log.warning("worker %s %s while starting", pid, why)
                if self._startup_failures >= STARTUP_FAILURES:
                    raise PoolError(f"worker processes keep failing to start (last one {why})")
            return
        task.attempts += 1
        if task.attempts <= self._retries:
            log.warning("worker %s %s; retrying its task in a fresh worker", pid, why)
            with self._lock:
                self._pending.appendleft(task)
        else:
            task.future.set_result(Failure(f"worker {why}", crashed=True, timed_out=timed_out))

    def _next_task(self) -> _Task | None:
        with self._lock:
            while self._pending:
                task = self._pending.popleft()
                if task.attempts or task.future.set_running_or_notify_cancel():
                    return task
        return None

    def _loop(self) -> None:
        try:
            self._dispatch()
        except PoolError as exc:
            self._fail_all(exc)
        except BaseException as exc:  # a bug here must not leave callers waiting forever
            self._fail_all(PoolError(f"the worker pool failed: {exc}", exc))
            raise
        finally:
            for worker in self._workers:
                if worker.task is None:
                    with contextlib.suppress(OSError):
                        worker.conn.send(None)
            for worker in self._workers:
                if worker.task is None:
                    worker.process.join(2.0)
                _stop(worker)
            self._fail_all(None)

    def _fail_all(self, error: PoolError | None) -> None:
        """End every unanswered task with `error`, or as closed when the pool just closes."""
        with self._lock:
            self._broken = self._broken or error
            tasks = [w.task for w in self._workers if w.task] + list(self._pending)
            self._pending.clear()
        for worker in self._workers:
            worker.task = None
        for task in tasks:
            future = task.future
            if future.done() or not (future.running() or future.set_running_or_notify_cancel()):
                continue  # answered, or cancelled just now
            future.set_exception(error or PoolError("the pool was closed"))

    def _dispatch(self) -> None:
        timeout_s, init_timeout_s = self._timeouts
        while True:
            with self._lock:
                if self._closed:
                    return
                queued = len(self._pending)
                warm = self._warm
            busy = sum(1 for w in self._workers if w.task is not None)
            if self._forked and not self._workers:
                raise PoolError(f"its worker processes are gone (the last one {self._lost})")
            wanted = 0 if self._forked else min(self.size, max(busy + queued, warm))
            while len(self._workers) < wanted:
                self._start_worker()
            for worker in list(self._workers):
                if worker.ready and worker.task is None:
                    task = self._next_task()
                    if task is None:
                        break
                    worker.task = task
                    worker.deadline = time.monotonic() + timeout_s
                    try:
                        worker.conn.send((0, task.payload))
                    except OSError:
                        self._lose(worker, "died")
            now = time.monotonic()
            deadlines = [
                w.deadline if w.ready else w.started + init_timeout_s
                for w in self._workers
                if not w.ready or w.task is not None
            ]
            wait_s = max(0.0, min(deadlines) - now) if deadlines else None
            sources = [self._wake_r] + [w.conn for w in self._workers]
            ready = set(wait(sources + [w.process.sentinel for w in self._workers], wait_s))
            if self._wake_r in ready:
                while self._wake_r.poll():
                    self._wake_r.recv_bytes()
            for worker in list(self._workers):
                if worker.conn in ready or worker.process.sentinel in ready:
                    self._answer(worker)
            now = time.monotonic()
            for worker in list(self._workers):
                if worker.ready and worker.task is not None and now > worker.deadline:
                    self._lose(worker, f"timed out after {timeout_s:g} s", timed_out=True)
                elif not worker.ready and now > worker.started + init_timeout_s:
                    self._lose(worker, f"did not start within {init_timeout_s:g} s")

    def _answer(self, worker: _Worker) -> None:
        """Take what a worker said: ready, a result, an error, or nothing (it died)."""
        try:
            message = worker.conn.recv() if worker.conn.poll() else None
        except (EOFError, OSError):
            message = None
        if message is None:
            worker.process.join(1.0)
            code = worker.process.exitcode
            how = f"signal {-code}" if code is not None and code < 0 else f"exit {code}"
            self._lose(worker, f"died ({how})")
            return
        kind, _, payload = message
        if kind == "ready":
            worker.ready = True
            log.debug(
                "worker %s ready in %.2f s", worker.process.pid, time.monotonic() - worker.started
            )
            return
        if kind == "init-error":
            raise PoolError(f"worker failed to start: {payload}", payload)
        task, worker.task = worker.task, None
        if task is not None:
            if kind == "done":
                task.future.set_result(payload)
            else:
                task.future.set_result(Failure(str(payload), crashed=False, error=payload))
        worker.answered += 1
        if isinstance(payload, MemoryError) or self._outgrown(worker):
            # It exits after a MemoryError; otherwise a fresh one drops its grown heap.
            self._workers.remove(worker)
            _stop(worker)

    def _outgrown(self, worker: _Worker) -> bool:
        if worker.answered == self._max_tasks:
            return True
        if self._renew_bytes is None or worker.answered < RENEW_MIN_TASKS:
            return False
        held = worker_process.resident(worker.process.pid)
        if held <= self._renew_bytes:
            return False
        log.debug("worker %s holds %d MB: renewing it", worker.process.pid, held >> 20)
        return True


@contextlib.contextmanager
def _environment(extra: Mapping[str, str]) -> Iterator[None]:
    """os.environ with `extra` added, for what starts meanwhile; restored after."""
    saved = {name: os.environ.get(name) for name in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def one_thread() -> bool:
    """True when this process runs one thread, native ones included: then a fork is safe."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:  # no /proc: Python's own threads are all it can see
        return threading.active_count() == 1


def run(
    tasks: Sequence[Any],
    *,
    on_done: Callable[[int, Any], None] | None = None,
    processes: int | None = None,
    **pool_args: Any,
) -> list[Any]:
    """Every task through a pool of its own, dispatched in order; results (or Failure) in order.

    `on_done(index, result_or_failure)` runs in this thread as each finishes; see Pool.
    """
    results: list[Any] = [None] * len(tasks)
    if not tasks:
        return results
    size = max(1, min(processes or os.cpu_count() or 1, len(tasks)))
    with Pool(processes=size, **pool_args) as pool:
        futures = {pool.submit(task): i for i, task in enumerate(tasks)}
        for future in as_completed(futures):
            index = futures[future]
            results[index] = future.result()
            if on_done is not None:
                on_done(index, results[index])
    return results


def _stop(worker: _Worker) -> None:
    """End a worker, killing it if it is still running."""
    process = worker.process
    if process.is_alive():
        process.kill()
        process.join(5.0)
    worker.conn.close()
    process.close()
