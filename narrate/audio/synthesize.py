"""Synthesis: a Script's sentences to Clips with Piper, through an Executor, cached."""

from __future__ import annotations

import collections
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any, NamedTuple

from narrate.audio import inline
from narrate.audio.align import aligned_model
from narrate.audio.cache import ClipCache
from narrate.audio.executor import TASK_TIMEOUT_S, Executor, LocalExecutor, Voices
from narrate.audio.job import Job, model_for
from narrate.audio.split import speakable
from narrate.audio.voices import Profile, VoiceModel
from narrate.errors import SynthesisError
from narrate.models import ROLES, Clip, Delivery, Progress, Script

log = logging.getLogger(__name__)

IN_PROCESS_MAX = 2
"""Up to this many sentences to synthesise and no executor given: skip starting workers."""


Made = tuple[str, int | None]
"""A clip's making: the key of the clip synthesised, and which part of it (None: all)."""


class Slot(NamedTuple):
    """Where one sentence's clip comes from."""

    key: str
    """The cache key of the clip synthesised."""
    part: int | None = None
    """Which part of a sentence with an inline quotation, whose clip is the whole sentence."""
    join_ms: int | None = None
    """Silence before the rest of the sentence, when it runs on in another voice."""


def voices_of(profile: Profile, cache: ClipCache | None = None) -> Voices:
    """The model files a profile's roles load: what to start workers with before the script."""
    planner = _Planner(profile, cache or ClipCache())
    return [planner.voice(profile.delivery(role))[:2] for role in ROLES]


def synthesize(script: Script, profile: Profile, **options: Any) -> list[tuple[Clip, ...]]:
    """One tuple of Clips per segment of script.segments, one per sentence (options: stream's)."""
    out: list[list[Clip]] = [[] for _ in script.segments]
    for index, clip in stream(script, profile, **options):
        out[index].append(clip)
    return [tuple(clips) for clips in out]


def stream(
    script: Script,
    profile: Profile,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    cache: ClipCache | None = None,
    timeout_s: float = TASK_TIMEOUT_S,
    executor: Executor | None = None,
) -> Iterator[tuple[int, Clip]]:
    """(segment index, Clip) of every sentence in speaking order, each as soon as it is ready.

    Jobs go to `executor` in speaking order, so the first clip comes first; without one, a
    pool of `workers` processes serves this script alone. Leaving the loop early cancels
    the jobs not yet started.
    """
    cache = cache or ClipCache()
    for segment in script.segments:
        for sentence in segment.sentences:
            if not speakable(sentence.spoken):
                raise SynthesisError(
                    f"nothing to speak in {sentence.text!r} (spoken as {sentence.spoken!r})"
                )
    planner, plan = _plan(script, profile, cache)
    jobs = planner.jobs
    uses = collections.Counter(slot.key for _, slot in plan)
    total = sum(uses.values())
    done = sum(uses[k] for k in planner.cached)
    log.info("%d of %d sentences cached; synthesising %d", done, total, len(jobs))
    if progress and done:
        progress(done, total, "")

    own = None
    if jobs and executor is None and len(jobs) > IN_PROCESS_MAX:
        executor = own = LocalExecutor(workers, timeout_s)
    futures: dict[str, Future[Clip]] = {}

    def made(key: str) -> Clip:
        nonlocal done
        job = jobs.get(key) or planner.cached[key]  # a cached clip can prove unreadable
        future = futures.pop(key, None)
        if future is None and executor is not None:
            future = executor.submit(job)
        clip = future.result() if future is not None else _render_here(job)
        cache.put(key, clip)
        done = min(done + uses[key], total)
        if progress:
            progress(done, total, "")
        return clip

    def whole(key: str) -> Clip:
        return (cache.get(key) if key in planner.cached else None) or made(key)

    try:
        if executor is not None:
            futures = {key: executor.submit(job) for key, job in jobs.items()}
        yield from _clips(plan, planner, whole)
    finally:
        for key, future in futures.items():
            if not future.cancel() and future.done() and not future.exception():
                cache.put(key, future.result())  # kept for the next try after a failure
        if own is not None:
            own.close()


def slots(script: Script, profile: Profile, cache: ClipCache) -> list[tuple[Made, int | None]]:
    """What each clip stream() yields is made of, in order, and the silence (ms) it runs on
    into the next with (None: the roles' pause)."""
    planner, plan = _plan(script, profile, cache)
    out: list[tuple[Made, int | None]] = []
    for _, slot in plan:
        if slot.part is None:
            out.append(((slot.key, None), slot.join_ms))
        else:
            last = slot.part == len(planner.parts[slot.key]) - 1
            out.append(((slot.key, slot.part), None if last else 0))  # as inline.split() cuts
    return out


def cached(script: Script, profile: Profile, cache: ClipCache) -> Iterator[Clip]:
    """The clips stream() yields, read from the cache alone (SynthesisError on a miss)."""
    planner, plan = _plan(script, profile, cache)

    def whole(key: str) -> Clip:
        clip = cache.get(key)
        if clip is None:
            raise SynthesisError(f"clip {key} is no longer in the cache; narrate again")
        return clip

    return (clip for _, clip in _clips(plan, planner, whole))


def _clips(
    plan: list[tuple[int, Slot]], planner: _Planner, whole: Callable[[str], Clip]
) -> Iterator[tuple[int, Clip]]:
    """(segment index, Clip) of each slot, from `whole` clips: a sentence's parts cut, and
    each clip held only while a later slot still uses it."""
    left = collections.Counter(slot.key for _, slot in plan)
    held: dict[str, Clip] = {}
    """Clips used again later (a sentence's parts, a repeated sentence); no others are kept."""
    split: dict[str, list[Clip]] = {}
    for index, slot in plan:
        key = slot.key
        clip = held.get(key) or whole(key)
        left[key] -= 1
        if left[key]:
            held[key] = clip
        else:
            held.pop(key, None)
        if slot.part is not None:
            parts = split.get(key) or inline.split(clip, planner.parts[key])
            split[key] = parts
            clip = parts[slot.part]
        elif slot.join_ms is not None:
            clip = inline.joined(clip, slot.join_ms)
        if not left[key]:
            split.pop(key, None)
        yield index, clip


def to_synthesise(script: Script, profile: Profile, cache: ClipCache | None = None) -> list[Job]:
    """The jobs stream() would submit for a script: its sentences not in the cache."""
    planner, _ = _plan(script, profile, cache or ClipCache())
    return list(planner.jobs.values())


def _plan(
    script: Script, profile: Profile, cache: ClipCache
) -> tuple[_Planner, list[tuple[int, Slot]]]:
    """Each sentence's segment index and slot, in speaking order, and the planner's jobs."""
    planner = _Planner(profile, cache)
    plan: list[tuple[int, Slot]] = []
    for run in inline.runs(script):
        for (i, _), slot in zip(run, planner.slots(script, run), strict=True):
            plan.append((i, slot))
    return planner, plan


def _render_here(job: Job) -> Clip:
    """One sentence in this process: for a sentence or two, cheaper than starting workers."""
    from narrate.audio.engine import local_engine

    return local_engine().render(job)


class _Planner:
    """Decides each sentence's clip: cached, to synthesise, or part of a sentence's one clip."""

    def __init__(self, profile: Profile, cache: ClipCache):
        self.profile = profile
        self.cache = cache
        self.jobs: dict[str, Job] = {}
        """Clips to synthesise."""
        self.cached: dict[str, Job] = {}
        """Clips in the cache, with the job that would make one again."""
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
        job = Job(*self.voice(delivery), delivery, text, parts)
        key = job.key
        if key not in self.cached and key not in self.jobs:
            if self.cache.has(key):
                self.cached[key] = job  # read when its turn comes: a long episode is not held
            else:
                self.jobs[key] = job
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
