"""Where sentences are synthesised: the one seam between narrate and the engine that runs Piper.

`LocalExecutor` is the default: this machine's worker processes, one pool for a whole run;
`executor_for` gives a Dask cluster's instead (narrate.audio.dask_executor). Everything above
this module sees only `Executor`: submit a Job, get a future of its Clip.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Protocol

from narrate import workers as pool
from narrate.audio.job import Job
from narrate.audio.preloaded import environment as preloaded_environment
from narrate.audio.voices import VoiceModel
from narrate.errors import ConfigError, NarrateError, SynthesisError
from narrate.models import Clip

log = logging.getLogger(__name__)

TASK_TIMEOUT_S = 120.0
"""A worker still busy with one sentence after this long is killed and the sentence fails."""
MEMORY_MB = 4096
"""Address-space cap per synthesis worker; one holding the joe voice maps ≈1.4 GB at its peak."""

RENEW_AFTER = 50
"""Sentences after which a worker is replaced by a fresh one, which loads in ≈0.2 s (≈1% of
the time 50 sentences take): ONNX Runtime's arena never gives memory back."""
RENEW_MB = 450
"""Resident memory after which a worker is replaced. The arena grows in steps of up to half
its size: a joe worker holds ≈370 MB for most of a long read, then a sentence that fits
nowhere else can take it past 500 MB; two such workers together passed 1 GB."""

Voices = Sequence[tuple[VoiceModel, str]]
"""(model, file to load) pairs: what a worker loads before its first sentence."""


class Executor(Protocol):
    """Renders Jobs somewhere; futures in the order submitted, cancellable until they start."""

    def start(self, voices: Voices) -> None:
        """Begin starting workers and loading `voices` now, before the first job."""

    def submit(self, job: Job) -> Future[Clip]:
        """Queue one sentence; the future's result is its Clip, or it raises NarrateError."""

    def close(self) -> None:
        """Stop the workers; unanswered jobs fail."""


def executor_for(
    cluster: str | None, workers: int | None = None, preload: Sequence[str] = ()
) -> Executor:
    """A run's executor: this machine's pool, or the Dask cluster at `cluster` (`local`: here).

    `preload` is the local pool's (see LocalExecutor). Connecting to a cluster fails at once,
    with ConfigError, when its scheduler cannot be reached.
    """
    if cluster is None:
        return LocalExecutor(workers, preload=preload)
    try:
        from narrate.audio.dask_executor import DaskExecutor  # Dask loads only for a cluster
    except ImportError as exc:
        raise ConfigError(
            f"a cluster needs Dask ({exc.name} is not installed): "
            "pip install 'narrate-news[cluster]'"
        ) from exc
    return DaskExecutor(cluster, workers)


class LocalExecutor:
    """This machine's synthesis worker processes (one ONNX Runtime thread each)."""

    def __init__(
        self,
        workers: int | None = None,
        timeout_s: float = TASK_TIMEOUT_S,
        preload: Sequence[str] = (),
    ):
        self.workers = workers or os.cpu_count() or 1
        self.timeout_s = timeout_s
        # Every worker of a run forks from one forkserver, started with the first pool: what it
        # imports (Piper, the first pool's voices, the caller's other stages) no worker loads
        # again.
        self.preload = ["narrate.audio.engine", "narrate.audio.preloaded", *preload]
        self._pool: pool.Pool | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def start(self, voices: Voices) -> None:
        # One worker now; the others start when a second job is queued. A re-narration with a
        # sentence or two to make then loads no model it does not use, beside the extraction.
        self._started(voices).start(1)

    def submit(self, job: Job) -> Future[Clip]:
        return _clip_future(self._started([(job.model, job.onnx)]).submit(job), job.text)

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None

    def _started(self, voices: Voices) -> pool.Pool:
        with self._lock:  # a feed's prepare threads submit too
            if self._pool is None:
                loads = list({onnx: (model, onnx) for model, onnx in voices}.values())
                self._pool = pool.Pool(
                    init=worker_init,
                    init_arg=loads,
                    work=worker_render,
                    processes=self.workers,
                    timeout_s=self.timeout_s,
                    memory_bytes=MEMORY_MB * 1024 * 1024,
                    preload=self.preload,
                    forkserver_env=preloaded_environment(loads),
                    max_tasks=RENEW_AFTER,
                    renew_bytes=RENEW_MB * 1024 * 1024,
                )
            return self._pool


def worker_init(voices: Voices) -> object:
    """A worker's engine, with the voices it will need loaded."""
    from narrate.audio.engine import Engine

    engine = Engine(threads=1)
    for model, onnx in voices:
        engine.voice(model, onnx)
    return engine


def worker_render(engine: object, job: Job) -> Clip:
    return engine.render(job)  # type: ignore[attr-defined]


class _Chained(Future):
    """A future that follows another one; cancelling it cancels the other."""

    def __init__(self, inner: Future):
        super().__init__()
        self._inner: Future | None = inner

    def cancel(self) -> bool:
        return self._inner is not None and self._inner.cancel() and super().cancel()


def _clip_future(inner: Future, text: str) -> Future[Clip]:
    """The pool's future of a Clip or a Failure as a future of a Clip that raises NarrateError."""
    out = _Chained(inner)

    def settle(done: Future) -> None:
        if done.cancelled():
            out.cancel()
            return
        if not out.set_running_or_notify_cancel():
            return
        try:
            result = done.result()
        except pool.PoolError as exc:
            cause = exc.cause
            error = cause if isinstance(cause, NarrateError) else None
            out.set_exception(error or SynthesisError(f"cannot start synthesis workers: {exc}"))
            return
        if isinstance(result, pool.Failure):
            out.set_exception(failure_error(result, text))
        else:
            out.set_result(result)
        out._inner = None  # no cycle (out → inner → settle → out) to keep the clip until a GC

    inner.add_done_callback(settle)
    return out


def failure_error(failure: pool.Failure, text: str) -> NarrateError:
    """What a failed sentence tells the user."""
    if isinstance(failure.error, NarrateError):
        return failure.error
    shown = text if len(text) <= 200 else text[:200] + "…"
    return SynthesisError(f"Piper failed ({failure.message}) on: {shown!r}")
