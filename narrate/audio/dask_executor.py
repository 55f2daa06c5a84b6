"""A Dask cluster as the executor: sentences rendered by `dask worker` processes on any machine.

The only module that imports Dask. The coordinator (this process) plans, caches, masters and
publishes; workers only turn Jobs into Clips, each process keeping the voices it has loaded.
When the coordinator's clip cache is a folder a worker can reach too (a shared filesystem, or
the same machine), that worker reads and writes clips there and sends back only the key;
otherwise the clip comes back through Dask.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import os
import uuid
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import dask
import distributed

from narrate.audio.cache import ClipCache
from narrate.audio.executor import Voices, failure_error
from narrate.audio.job import Job, local_voice, localised
from narrate.errors import ConfigError, NarrateError, SynthesisError
from narrate.models import Clip
from narrate.workers import Failure

log = logging.getLogger(__name__)

LOCAL = "local"
"""The cluster address that starts a cluster of worker processes on this machine."""
CONNECT_TIMEOUT_S = 5.0
"""How long to try reaching the scheduler, and to wait for its first worker."""
RETRIES = 1
"""Times a sentence whose worker died is tried again, as in the local pool (`local` only; a
scheduler of your own applies its `distributed.scheduler.allowed-failures`)."""


class DaskExecutor:
    """Sentences as Dask tasks, highest priority first in the order submitted.

    `address` is a scheduler's (tcp://HOST:PORT) or `local`, which starts `workers` processes
    here; ConfigError when it cannot be reached, or has no worker, within CONNECT_TIMEOUT_S.
    """

    def __init__(self, address: str, workers: int | None = None, cache: ClipCache | None = None):
        self.address = address
        self._cluster: Any = None
        self._client: Any = None
        self._order = itertools.count()
        self._cache = cache or ClipCache()
        self._mark: str | None = None
        self._plugin: str | None = None
        try:
            with dask.config.set({"distributed.scheduler.allowed-failures": RETRIES}):
                if address == LOCAL:
                    self._cluster = distributed.LocalCluster(
                        n_workers=workers or os.cpu_count() or 1,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address="127.0.0.1:0",  # never a fixed port
                        # narrate reports every failed sentence itself; what its workers would
                        # add is a traceback when a heartbeat meets the scheduler's close
                        # (dask/distributed#7105).
                        silence_logs=logging.CRITICAL,
                    )
                self._client = distributed.Client(
                    self._cluster or address, timeout=CONNECT_TIMEOUT_S, set_as_default=False
                )
        except (OSError, ValueError) as exc:
            self.close()
            raise ConfigError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
        try:
            self._client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
        except TimeoutError as exc:
            self.close()
            raise ConfigError(
                f"the Dask scheduler at {address} has no workers "
                f"(start some with `dask worker {address}`)"
            ) from exc
        self._mark = _leave_mark(self._cache.root)

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def start(self, voices: Voices) -> None:
        """Every worker, and every worker that joins later, loads `voices` now."""
        self._plugin = f"narrate-voices-{uuid.uuid4().hex}"
        self._client.register_plugin(_Voices(list(voices)), name=self._plugin)

    def submit(self, job: Job) -> Future[Clip]:
        if self._client.status in ("closing", "closed"):  # it gave up on a lost scheduler
            failed: Future[Clip] = Future()
            failed.set_exception(self._lost(job))
            return failed
        shared = (str(self._cache.root), self._mark) if self._mark else None
        inner = self._client.submit(
            render, job, shared, pure=False, retries=0, priority=-next(self._order)
        )
        out = _Remote(inner)
        inner.add_done_callback(functools.partial(self._settle, out, job))
        return out

    def close(self) -> None:
        if self._client is not None:
            if self._plugin is not None:  # workers joining later need not load this run's voices
                with contextlib.suppress(Exception):
                    self._client.unregister_worker_plugin(self._plugin)
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
        if self._mark:
            (self._cache.root / self._mark).unlink(missing_ok=True)
            self._mark = None

    def _lost(self, job: Job) -> SynthesisError:
        return SynthesisError(
            f"the Dask scheduler at {self.address} dropped the sentence {job.text[:80]!r} "
            "(it was lost or restarted)"
        )

    def _settle(self, out: Future[Clip], job: Job, done: Any) -> None:
        """Runs in a Dask thread when a task ends: its Clip, or the NarrateError it comes to."""
        if not out.set_running_or_notify_cancel():
            return  # cancelled here, which released the task
        if done.cancelled():
            out.set_exception(self._lost(job))
            return
        try:
            result = done.result()
        except distributed.KilledWorker:
            failure = Failure("its Dask worker died on every try", crashed=True)
            out.set_exception(failure_error(failure, job.text))
            return
        except NarrateError as exc:
            out.set_exception(exc)
            return
        except Exception as exc:
            failure = Failure(f"{type(exc).__name__}: {exc}", crashed=False, error=exc)
            out.set_exception(failure_error(failure, job.text))
            return
        if isinstance(result, str):
            result = self._cache.get(result)
            if result is None:
                out.set_exception(SynthesisError(f"the shared clip cache lost {job.text!r}"))
                return
        out.set_result(result)


class _Remote(Future):
    """A future of a task's Clip; cancelling it releases the task on the cluster."""

    def __init__(self, inner: Any):
        super().__init__()
        self._inner = inner

    def cancel(self) -> bool:
        if not super().cancel():
            return False
        self._inner.cancel()
        return True


def _leave_mark(root: Path) -> str | None:
    """A file only this run writes in its clip cache: a worker that sees it shares the cache."""
    name = f".cluster-{uuid.uuid4().hex}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        (root / name).touch()
    except OSError as exc:
        log.debug("clips come back through Dask: cannot mark %s: %s", root, exc)
        return None
    return name


# ------------------------------------------------------------------ on the workers


@functools.cache
def _engine() -> Any:
    """This worker process's engine: its voices stay loaded from task to task."""
    from narrate.audio.engine import Engine

    return Engine(threads=1)


@functools.cache
def _shared(root: str, mark: str) -> ClipCache | None:
    """The coordinator's clip cache when this worker reaches it, else None."""
    return ClipCache(Path(root)) if (Path(root) / mark).is_file() else None


def render(job: Job, shared: tuple[str, str] | None) -> Clip | str:
    """On a worker: the job's Clip, or its key once the clip is in the shared cache."""
    cache = _shared(*shared) if shared else None
    if cache is not None and cache.path(job.key).is_file():
        return job.key
    clip = _engine().render(localised(job, ClipCache().models))
    if cache is None:
        return clip
    cache.put(job.key, clip)
    return job.key if cache.path(job.key).is_file() else clip


class _Voices(distributed.WorkerPlugin):
    """Loads the run's voices when a worker starts or joins, before its first sentence."""

    def __init__(self, voices: Voices):
        self.voices = list(voices)

    def setup(self, worker: Any) -> None:
        models = ClipCache().models
        for model, onnx in self.voices:
            aligned = onnx != str(model.onnx)  # a patched copy; else a model loaded as it is
            with contextlib.suppress(NarrateError):  # the first sentence says why, in its item
                _engine().voice(*local_voice(model, onnx, aligned, models))
