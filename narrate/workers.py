"""A small pool of isolated worker processes: a task that crashes or hangs its worker fails alone.

Unlike ProcessPoolExecutor, whose BrokenProcessPool fails every pending task when one worker
dies, each worker here has its own pipe; a dead or hung worker costs only the task it held,
which is retried in a fresh worker.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import multiprocessing
import os
import pickle
import resource
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

log = logging.getLogger(__name__)

START_METHOD = "forkserver"
"""Workers never inherit the parent's threads (ONNX Runtime's pools are not fork-safe)."""
STARTUP_FAILURES = 3
"""Workers that may die or fail to start before the pool gives up."""


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


def _portable(exc: BaseException) -> BaseException:
    """The exception itself when it survives pickling, else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def limit_memory(max_bytes: int | None) -> None:
    """Cap this process's address space, so a runaway allocation fails here with MemoryError."""
    if not max_bytes:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        max_bytes = min(max_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (max_bytes, hard))


def _parent_logs() -> tuple[int, str | None]:
    """This process's root log level and message format, for its workers to follow."""
    root = logging.getLogger()
    formatter = root.handlers[0].formatter if root.handlers else None
    return root.level, formatter._fmt if formatter else None


def _log_like_parent(level: int, fmt: str | None) -> None:
    """Log as the parent does: a forkserver child starts with logging unconfigured."""
    if fmt is not None:
        logging.basicConfig(format=fmt, stream=sys.stderr)
    logging.getLogger().setLevel(level)


def _serve(
    conn: Connection,
    init: Callable[[Any], Any],
    init_arg: Any,
    work: Callable,
    memory_bytes: int | None = None,
    logs: tuple[int, str | None] = (logging.WARNING, None),
) -> None:
    """A worker's life: initialise once, then answer tasks until told to stop."""
    _log_like_parent(*logs)
    try:
        limit_memory(memory_bytes)
        state = init(init_arg)
    except BaseException as exc:
        conn.send(("init-error", None, _portable(exc)))
        return
    conn.send(("ready", None, None))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        index, task = message
        try:
            try:
                result = work(state, task)
            except MemoryError:
                # The heap may be left fragmented or near the limit: a fresh worker takes over.
                conn.send(("error", index, MemoryError("out of memory")))
                return
            except Exception as exc:
                conn.send(("error", index, _portable(exc)))
            else:
                conn.send(("done", index, result))
        except (BrokenPipeError, ConnectionResetError):
            return  # the parent is gone (killed): nobody to answer, nothing to report


@dataclass
class _Worker:
    process: Any
    conn: Connection
    started: float
    ready: bool = False
    task: int | None = None
    deadline: float = 0.0


def run(
    tasks: Sequence[Any],
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
    on_done: Callable[[int, Any], None] | None = None,
) -> list[Any]:
    """Run work(state, task) for every task in worker processes; results (or Failure) in task order.

    Tasks are dispatched in the order given (put the longest first). `init(init_arg)` runs once per
    worker and its result is the `state` passed to `work`; both must be importable functions.
    A task that raises fails at once; one whose worker dies or exceeds `timeout_s` is retried
    `retries` times in a fresh worker. Each worker's address space is capped at `memory_bytes`
    (RLIMIT_AS), so a blow-up fails its task with MemoryError and the worker is replaced.
    `on_done(index, result_or_failure)` runs in this process.
    """
    count = len(tasks)
    results: list[Any] = [None] * count
    if not count:
        return results
    ctx = multiprocessing.get_context(START_METHOD)
    if preload and START_METHOD == "forkserver":
        ctx.set_forkserver_preload(list(preload))
    size = max(1, min(processes or os.cpu_count() or 1, count))
    logs = _parent_logs()
    pending = collections.deque(range(count))
    attempts = [0] * count
    remaining = count
    workers: list[_Worker] = []
    startup_failures = 0

    def start() -> None:
        parent, child = ctx.Pipe()
        process = ctx.Process(
            target=_serve,
            args=(child, init, init_arg, work, memory_bytes, logs),
            daemon=True,
        )
        process.start()
        child.close()
        workers.append(_Worker(process, parent, time.monotonic()))
        log.debug("started worker %s", process.pid)

    def finish(index: int, outcome: Any) -> None:
        nonlocal remaining
        results[index] = outcome
        remaining -= 1
        if on_done is not None:
            on_done(index, outcome)

    def lose(worker: _Worker, why: str, timed_out: bool = False) -> None:
        """A worker died or hung: end it, and retry or fail the task it held."""
        nonlocal startup_failures
        pid = worker.process.pid
        workers.remove(worker)
        _stop(worker)
        if worker.task is None:
            if not worker.ready:
                startup_failures += 1
                log.warning("worker %s %s while starting", pid, why)
                if startup_failures >= STARTUP_FAILURES:
                    raise PoolError(f"worker processes keep failing to start (last one {why})")
            return
        index = worker.task
        attempts[index] += 1
        if attempts[index] <= retries:
            log.warning("worker %s %s; retrying its task in a fresh worker", pid, why)
            pending.appendleft(index)
        else:
            finish(index, Failure(f"worker {why}", crashed=True, timed_out=timed_out))

    try:
        while remaining:
            busy = sum(1 for w in workers if w.task is not None)
            while pending and len(workers) < min(size, busy + len(pending)):
                start()
            for worker in list(workers):
                if worker.ready and worker.task is None and pending:
                    worker.task = pending.popleft()
                    worker.deadline = time.monotonic() + timeout_s
                    try:
                        worker.conn.send((worker.task, tasks[worker.task]))
                    except OSError:
                        lose(worker, "died")
            now = time.monotonic()
            deadlines = [
                w.deadline if w.ready else w.started + init_timeout_s
                for w in workers
                if not w.ready or w.task is not None
            ]
            wait_s = max(0.0, min(deadlines) - now) if deadlines else None
            ready = set(
                wait([w.conn for w in workers] + [w.process.sentinel for w in workers], wait_s)
            )
            for worker in list(workers):
                if worker.conn in ready or worker.process.sentinel in ready:
                    try:
                        message = worker.conn.recv() if worker.conn.poll() else None
                    except (EOFError, OSError):
                        message = None
                    if message is None:
                        worker.process.join(1.0)
                        code = worker.process.exitcode
                        how = f"signal {-code}" if code is not None and code < 0 else f"exit {code}"
                        lose(worker, f"died ({how})")
                        continue
                    kind, index, payload = message
                    if kind == "ready":
                        worker.ready = True
                        log.debug(
                            "worker %s ready in %.2f s",
                            worker.process.pid,
                            time.monotonic() - worker.started,
                        )
                    elif kind == "init-error":
                        raise PoolError(f"worker failed to start: {payload}", payload)
                    else:
                        worker.task = None
                        if kind == "done":
                            finish(index, payload)
                        else:
                            finish(index, Failure(str(payload), crashed=False, error=payload))
                        if isinstance(payload, MemoryError):
                            workers.remove(worker)  # it exits after a MemoryError
                            _stop(worker)
            now = time.monotonic()
            for worker in list(workers):
                if worker.ready and worker.task is not None and now > worker.deadline:
                    lose(worker, f"timed out after {timeout_s:g} s", timed_out=True)
                elif not worker.ready and now > worker.started + init_timeout_s:
                    lose(worker, f"did not start within {init_timeout_s:g} s")
    finally:
        for worker in workers:
            if worker.task is None:
                with contextlib.suppress(OSError):
                    worker.conn.send(None)
        for worker in workers:
            if worker.task is None:
                worker.process.join(2.0)
            _stop(worker)
    return results


def _stop(worker: _Worker) -> None:
    """End a worker, killing it if it is still running."""
    process = worker.process
    if process.is_alive():
        process.kill()
        process.join(5.0)
    worker.conn.close()
    process.close()
