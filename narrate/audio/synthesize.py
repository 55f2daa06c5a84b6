"""Synthesis: a Script's sentences to Clips with Piper, in isolated worker processes, cached."""

from __future__ import annotations

import collections
import logging
import os
from collections.abc import Callable, Sequence
from typing import NamedTuple

from narrate import workers as pool
from narrate.audio import inline
from narrate.audio.align import aligned_model
from narrate.audio.cache import ClipCache, clip_key
from narrate.audio.engine import Engine, Job, local_engine, model_for
from narrate.audio.split import speakable
from narrate.audio.voices import Profile, VoiceModel
from narrate.errors import NarrateError, SynthesisError
from narrate.models import Clip, Delivery, Progress, Script

log = logging.getLogger(__name__)

TASK_TIMEOUT_S = 120.0
"""A worker still busy with one sentence after this long is killed and the sentence fails."""
MEMORY_MB = 4096
"""Address-space cap per synthesis worker; one holding the joe voice maps ≈1.4 GB at its peak."""
IN_PROCESS_MAX = 2
"""Up to this many sentences to synthesise, skip the worker pool and its start-up."""


class Slot(NamedTuple):
    """Where one sentence's clip comes from."""

    key: str
    """The cache key of the clip synthesised."""
    part: int | None = None
    """Which part of a sentence with an inline quotation, whose clip is the whole sentence."""
    join_ms: int | None = None
    """Silence before the rest of the sentence, when it runs on in another voice."""


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
    segments = script.segments
    planner = _Planner(profile, cache)
    plan: list[list[Slot]] = [[] for _ in segments]
    for run in inline.runs(script):
        for (i, _), slot in zip(run, planner.slots(script, run), strict=True):
            plan[i].append(slot)
    jobs, clips = planner.jobs, planner.clips

    uses = collections.Counter(slot.key for slots in plan for slot in slots)
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
    split = {key: inline.split(clips[key], texts) for key, texts in planner.parts.items()}

    def clip_of(slot: Slot) -> Clip:
        if slot.part is not None:
            return split[slot.key][slot.part]
        clip = clips[slot.key]
        return clip if slot.join_ms is None else inline.joined(clip, slot.join_ms)

    return [tuple(clip_of(slot) for slot in slots) for slots in plan]


class _Planner:
    """Decides each sentence's clip: cached, to synthesise, or part of a sentence's one clip."""

    def __init__(self, profile: Profile, cache: ClipCache):
        self.profile = profile
        self.cache = cache
        self.jobs: dict[str, Job] = {}
        self.clips: dict[str, Clip] = {}
        self.parts: dict[str, list[str]] = {}
        """Sentences with an inline quotation: key → the spoken text of each part."""
        self.files: dict[str, tuple[str, bool]] = {}
        self.unaligned: set[str] = set()

    def voice(self, delivery: Delivery) -> tuple[VoiceModel, str, bool]:
        """(model, file to load, gives alignments) of a delivery."""
        model = model_for(delivery)
        if model.fingerprint not in self.files:
            self.files[model.fingerprint] = aligned_model(model, self.cache.models)
        return (model, *self.files[model.fingerprint])

    def want(
        self, delivery: Delivery, text: str, parts: tuple[tuple[Delivery, str], ...] = ()
    ) -> str:
        """The key of a clip, found in the cache or queued as a job."""
        model, onnx, aligned = self.voice(delivery)
        key = clip_key(f"{model.fingerprint}:{int(aligned)}", delivery, text, parts)
        if key not in self.clips and key not in self.jobs:
            hit = self.cache.get(key)
            if hit is not None:
                self.clips[key] = hit
            else:
                self.jobs[key] = Job(model, onnx, aligned, delivery, text, parts)
        return key

    def slots(self, script: Script, run: list[inline.Position]) -> list[Slot]:
        """One slot per sentence of a run: one sentence, or one with inline quotations."""
        segments = script.segments
        members = [
            (self.profile.delivery(segments[i].role), segments[i].sentences[j]) for i, j in run
        ]
        if len(run) == 1:
            [(delivery, sentence)] = members
            return [Slot(self.want(delivery, sentence.spoken))]
        # The narrator speaks the sentence; its quoted parts are processed to the quote's voice.
        narrator = [
            d for (i, _), (d, _) in zip(run, members, strict=True) if segments[i].role != "quote"
        ]
        base = (narrator or [members[0][0]])[0]
        model, _, aligned = self.voice(base)
        if any(
            self.voice(d)[0].fingerprint != model.fingerprint or d.speaker_id != base.speaker_id
            for d, _ in members
        ):
            # Another speaker cannot be made from the narrator's samples: fragments, but
            # closely joined and ending in commas so that none cadences like a sentence's end.
            *head, (last, sentence) = members
            slots = [
                Slot(self.want(d, inline.run_on_text(s.spoken)), join_ms=inline.GAP_MS)
                for d, s in head
            ]
            return [*slots, Slot(self.want(last, sentence.spoken))]
        if not aligned:
            if model.name not in self.unaligned:
                self.unaligned.add(model.name)
                log.info("voice %s gives no word timings: inline quotes spoken apart", model.name)
            return [Slot(self.want(d, s.spoken)) for d, s in members]
        parts = tuple((d, s.spoken) for d, s in members)
        key = self.want(base, " ".join(s.spoken for _, s in members), parts)
        self.parts[key] = [s.spoken for _, s in members]
        return [Slot(key, part=k) for k in range(len(run))]


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
