"""A worker process's side of narrate.workers: its life, its memory cap, its logging."""

from __future__ import annotations

import logging
import os
import pickle
import resource
import signal
import sys
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any


def portable(exc: BaseException) -> BaseException:
    """The exception itself when it survives pickling, else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


_PAGE = os.sysconf("SC_PAGE_SIZE")


def limit_memory(max_bytes: int | None) -> None:
    """Cap this process's address space, so a runaway allocation fails here with MemoryError."""
    if not max_bytes:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        max_bytes = min(max_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (max_bytes, hard))


def address_space() -> int:
    """This process's address space (VmSize) in bytes; 0 where there is no /proc."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0
    sizes = [line.split()[1] for line in status.splitlines() if line.startswith("VmSize:")]
    return int(sizes[0]) * 1024 if sizes else 0


def resident(pid: int) -> int:
    """A process's resident memory (RSS) in bytes; 0 where there is no /proc."""
    try:
        pages = Path(f"/proc/{pid}/statm").read_text().split()[1]
    except (OSError, IndexError):
        return 0
    return int(pages) * _PAGE


def detach(inherited: Sequence[Connection]) -> None:
    """A forked worker lets go of what it inherited from its parent but must not hold.

    Its copies of the parent's pipe ends would keep its own pipe open after the parent dies,
    and its stdout may be the parent's MP3 stream (`-o -`): a reader would wait for its EOF.
    Stopping it is the parent's job (it kills it on close): the CLI's SIGTERM handler and
    Ctrl-C, sent to the whole process group, are not.
    """
    for conn in inherited:
        conn.close()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


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
    inherited: Sequence[Connection] | None = None,
) -> None:
    """A worker's life: initialise once, then answer tasks until told to stop.

    `inherited` is None for a forkserver's worker; a worker forked from its parent gets the
    parent's connections to close, and may use `memory_bytes` beyond the size it starts at.
    """
    log_like_parent(*logs)
    if inherited is not None:
        detach(inherited)
        if memory_bytes:
            memory_bytes += address_space()
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
