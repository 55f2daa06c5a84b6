"""Synthesis: a Script's sentences to Clips with Piper, in isolated worker processes, cached."""

from __future__ import annotations

import collections
import logging
import os
from collections.abc import Callable, Sequence

from narrate import workers as pool
from narrate.audio.align import aligned_model
from narrate.audio.cache import ClipCache, clip_key
from narrate.audio.engine import Engine, Job, local_engine, model_for
from narrate.audio.split import speakable
from narrate.audio.voices import Profile, VoiceModel
from narrate.errors import NarrateError, SynthesisError
from narrate.models import Clip, Progress, Script

log = logging.getLogger(__name__)

TASK_TIMEOUT_S = 120.0
"""A worker still busy with one sentence after this long is killed and the sentence fails."""
MEMORY_MB = 4096
"""Address-space cap per synthesis worker; one holding the joe voice maps ≈1.4 GB at its peak."""
IN_PROCESS_MAX = 2
"""Up to this many sentences to synthesise, skip the worker pool and its start-up."""


def _worker_init(preload: Sequence[tuple[VoiceModel, str]]) -> Engine:
    engine = Engine(threads=1)
    for model, onnx in preload:
        engine.voice(model, onnx)
    return engine


def _worker_render(engine: Engine, job: Job) -> Clip:
    return engine.render(job)


def _failure_error(failure: pool.Failure, text: str) -> NarrateError:
    if isinstance(failure.error, NarrateError):
        return failure.error
    shown = text if len(text) <= 200 else text[:200] + "…"
    return SynthesisError(f"Piper failed ({failure.message}) on: {shown!r}")


def synthesize(
    script: Script,
    profile: Profile,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    cache: ClipCache | None = None,
    timeout_s: float = TASK_TIMEOUT_S,
) -> list[tuple[Clip, ...]]:
    """One tuple of Clips per segment of script.segments, one Clip per sentence, via the cache."""
    cache = cache or ClipCache()
    for segment in script.segments:
        for sentence in segment.sentences:
            if not speakable(sentence.spoken):
                raise SynthesisError(
                    f"nothing to speak in {sentence.text!r} (spoken as {sentence.spoken!r})"
                )
    plan: list[list[str]] = []
    jobs: dict[str, Job] = {}
    clips: dict[str, Clip] = {}
    files: dict[str, tuple[str, bool]] = {}
    for segment in script.segments:
        delivery = profile.delivery(segment.role)
        model = model_for(delivery)
        if model.fingerprint not in files:
            files[model.fingerprint] = aligned_model(model, cache.models)
        onnx, aligned = files[model.fingerprint]
        keys: list[str] = []
        for sentence in segment.sentences:
            key = clip_key(f"{model.fingerprint}:{int(aligned)}", delivery, sentence.spoken)
            keys.append(key)
            if key in clips or key in jobs:
                continue
            hit = cache.get(key)
            if hit is not None:
                clips[key] = hit
            else:
                jobs[key] = Job(model, onnx, aligned, delivery, sentence.spoken)
        plan.append(keys)

    uses = collections.Counter(k for keys in plan for k in keys)
    total = sum(uses.values())
    done = sum(uses[k] for k in clips)
    log.info("%d of %d sentences cached; synthesising %d", done, total, len(jobs))
    if progress and done:
        progress(done, total, "")

    def finished(key: str, clip: Clip) -> None:
        nonlocal done
        cache.put(key, clip)
        clips[key] = clip
        done += uses[key]
        if progress:
            progress(done, total, "")

    order = sorted(jobs, key=lambda k: len(jobs[k].text), reverse=True)
    if len(order) <= IN_PROCESS_MAX:
        engine = local_engine()
        for key in order:
            finished(key, engine.render(jobs[key]))
    else:
        _run_pool([jobs[k] for k in order], order, workers, timeout_s, finished)
    return [tuple(clips[k] for k in keys) for keys in plan]


def _run_pool(
    tasks: list[Job],
    keys: list[str],
    processes: int | None,
    timeout_s: float,
    finished: Callable[[str, Clip], None],
) -> None:
    failed: list[tuple[pool.Failure, str]] = []

    def on_done(index: int, outcome: object) -> None:
        if isinstance(outcome, pool.Failure):
            failed.append((outcome, tasks[index].text))
        else:
            finished(keys[index], outcome)  # type: ignore[arg-type]

    preload = list({(t.model.fingerprint, t.onnx): (t.model, t.onnx) for t in tasks}.values())
    try:
        pool.run(
            tasks,
            init=_worker_init,
            init_arg=preload,
            work=_worker_render,
            processes=processes or os.cpu_count(),
            timeout_s=timeout_s,
            memory_bytes=MEMORY_MB * 1024 * 1024,
            preload=[__name__],
            on_done=on_done,
        )
    except pool.PoolError as exc:
        if isinstance(exc.cause, NarrateError):
            raise exc.cause from exc
        raise SynthesisError(f"cannot start synthesis workers: {exc}") from exc
    if failed:
        failure, text = failed[0]
        error = _failure_error(failure, text)
        if len(failed) > 1:
            others = "; ".join(repr(t[:60]) for _, t in failed[1:4])
            error = type(error)(f"{error} (and {len(failed) - 1} more: {others})")
        raise error
