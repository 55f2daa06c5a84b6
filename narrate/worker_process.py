"""A worker process's side of narrate.workers: its life, its memory cap, its logging."""

from __future__ import annotations

import logging
import pickle
import resource
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any


def portable(exc: BaseException) -> BaseException:
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


def parent_logs() -> tuple[int, str | None]:
    """This process's root log level and format, for its workers to follow."""
    root = logging.getLogger()
    formatter = root.handlers[0].formatter if root.handlers else None
    return root.level, formatter._fmt if formatter else None


def log_like_parent(level: int, fmt: str | None) -> None:
    """Log as the parent does: a forkserver child starts with logging unconfigured."""
    if fmt is not None:
        logging.basicConfig(format=fmt, stream=sys.stderr)
    logging.getLogger().setLevel(level)


def serve(
    conn: Connection,
    init: Callable[[Any], Any],
    init_arg: Any,
    work: Callable,
    memory_bytes: int | None = None,
    logs: tuple[int, str | None] = (logging.WARNING, None),
) -> None:
    """A worker's life: initialise once, then answer tasks until told to stop."""
    log_like_parent(*logs)
    try:
        limit_memory(memory_bytes)
        state = init(init_arg)
    except BaseException as exc:
        conn.send(("init-error", None, portable(exc)))
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
                conn.send(("error", index, portable(exc)))
            else:
                conn.send(("done", index, result))
        except (BrokenPipeError, ConnectionResetError):
            return  # the parent is gone (killed): nobody to answer, nothing to report
