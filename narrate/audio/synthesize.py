"""Synthesis: a Script's sentences to Clips with Piper, in isolated worker processes, cached."""

from __future__ import annotations

import collections
import itertools
import json
import logging
import os
import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime
from piper import PiperVoice, SynthesisConfig
from piper.config import PiperConfig

from narrate import workers as pool
from narrate.audio import ffmpeg
from narrate.audio.cache import ClipCache, clip_key
from narrate.audio.voices import Profile, VoiceModel, resolve_model
from narrate.errors import AudioError, NarrateError, SynthesisError, VoiceError
from narrate.files import atomic_path
from narrate.models import ROLES, Clip, Delivery, Progress, Role, Script, Word

log = logging.getLogger(__name__)

SPLIT_CHARS = 400
"""Longer sentences are split at clauses, then words: memory grows with utterance length."""
TASK_TIMEOUT_S = 120.0
"""A worker still busy with one sentence after this long is killed and the sentence fails."""
MEMORY_MB = 4096
"""Address-space cap per synthesis worker; one holding the joe voice maps ≈1.4 GB at its peak."""
IN_PROCESS_MAX = 2
"""Up to this many sentences to synthesise, skip the worker pool and its start-up."""
CHECK_TEXT = "Testing, one two three."

_CLAUSE = re.compile(r"(?<=[,;:)])\s+|\s+(?=[—–(])|(?<=[—–])\s+")
_PUNCT = set(string.punctuation) | set("“”‘’«»„—–…¡¿")
_WORD_EDGES = "".join(sorted(_PUNCT))


def speakable(text: str) -> bool:
    """True when the text has something to say: a letter or a digit."""
    return any(ch.isalnum() for ch in text)


def split_long(text: str, limit: int = SPLIT_CHARS) -> list[str]:
    """Pieces of at most `limit` characters, cut at clause boundaries, else between words."""
    text = text.strip()
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    for clause in _CLAUSE.split(text):
        pieces.extend([clause] if len(clause) <= limit else _split_words(clause, limit))
    return [p for p in _pack(pieces, limit) if speakable(p)]


def _split_words(text: str, limit: int) -> list[str]:
    words: list[str] = []
    for word in text.split():
        words.extend(word[i : i + limit] for i in range(0, len(word), limit))
    return _pack(words, limit)


def _pack(pieces: Sequence[str], limit: int) -> list[str]:
    out: list[str] = []
    for piece in pieces:
        if out and len(out[-1]) + 1 + len(piece) <= limit:
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


# ---------------------------------------------------------------- one voice, one process


@dataclass(frozen=True)
class Job:
    """One sentence to render: everything a worker needs, picklable."""

    model: VoiceModel
    onnx: str
    """The file to load: the model, or its copy patched to give alignments."""
    aligned: bool
    delivery: Delivery
    text: str


def _session_options(threads: int) -> onnxruntime.SessionOptions:
    opts = onnxruntime.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    # Optimisation levels make no runtime difference for these models but triple session creation.
    opts.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    return opts


def load_voice(model: VoiceModel, onnx: str | None = None, threads: int = 1) -> PiperVoice:
    """A Piper voice with an ONNX Runtime session of `threads` intra-op threads (0 = all cores)."""
    try:
        config = PiperConfig.from_dict(json.loads(model.config.read_text(encoding="utf-8")))
        session = onnxruntime.InferenceSession(
            onnx or str(model.onnx),
            sess_options=_session_options(threads),
            providers=["CPUExecutionProvider"],
        )
    except Exception as exc:
        raise VoiceError(f"cannot load voice model {model.onnx}: {exc}") from exc
    return PiperVoice(session=session, config=config)


class Engine:
    """Loaded voices of one process, and the rendering of one sentence to a final clip."""

    def __init__(self, threads: int = 1):
        self.threads = threads
        self.voices: dict[str, PiperVoice] = {}

    def voice(self, model: VoiceModel, onnx: str) -> PiperVoice:
        """The voice for a model file, loaded on first use."""
        if onnx not in self.voices:
            self.voices[onnx] = load_voice(model, onnx, self.threads)
        return self.voices[onnx]

    def render(self, job: Job) -> Clip:
        """Synthesise one sentence, then pitch-shift and scale it for its delivery."""
        if not speakable(job.text):
            raise SynthesisError(f"nothing to speak in {job.text!r}")
        voice = self.voice(job.model, job.onnx)
        d = job.delivery
        syn = SynthesisConfig(
            speaker_id=d.speaker_id,
            length_scale=d.length_scale,
            noise_scale=d.noise_scale,
            noise_w_scale=d.noise_w_scale,
            normalize_audio=False,
        )
        rate = job.model.sample_rate
        audio: list[np.ndarray] = []
        words: list[Word] = []
        offset = 0
        for part in split_long(job.text):
            chunks = list(voice.synthesize(part, syn, include_alignments=job.aligned))
            words.extend(_words(part, chunks, offset, rate) if job.aligned else ())
            audio.extend(c.audio_float_array for c in chunks)
            offset += sum(len(c.audio_float_array) for c in chunks)
        if not offset:
            raise SynthesisError(f"Piper produced no audio for {job.text!r}")
        samples = np.concatenate(audio).astype(np.float32)
        if d.pitch_semitones:
            samples = shift_pitch(samples, rate, d.pitch_semitones)
        if d.gain_db:
            samples = samples * np.float32(10 ** (d.gain_db / 20))
        samples = np.clip(samples, -1.0, 1.0).astype(np.float32)
        return Clip(samples=samples, sample_rate=rate, words=tuple(words))


def shift_pitch(samples: np.ndarray, rate: int, semitones: float) -> np.ndarray:
    """Formant-preserving pitch shift with ffmpeg's rubberband filter; the length is kept."""
    ratio = 2 ** (semitones / 12)
    fmt = ["-f", "f32le", "-ar", str(rate), "-ac", "1"]
    args = [*fmt, "-i", "pipe:0", "-af", f"rubberband=pitch={ratio:.6f}:formant=preserved"]
    try:
        out = ffmpeg.run([*args, *fmt, "pipe:1"], input=samples.astype("<f4").tobytes()).stdout
    except AudioError as exc:
        raise SynthesisError(f"pitch shift failed: {exc}") from exc
    shifted = np.frombuffer(out, dtype="<f4").astype(np.float32)
    if len(shifted) >= len(samples):
        return shifted[: len(samples)]
    return np.pad(shifted, (0, len(samples) - len(shifted)))


def _phoneme_words(chunks: Sequence, offset: int) -> list[tuple[int, int]] | None:
    """Sample spans of the phoneme words (espeak puts " " between words) of Piper's chunks."""
    spans: list[tuple[int, int]] = []
    pos = offset
    for chunk in chunks:
        if not chunk.phoneme_alignments:
            return None
        start = end = None
        chunk_end = pos + len(chunk.audio_float_array)
        for align in chunk.phoneme_alignments:
            ph = align.phoneme
            if ph in (" ", "^", "$") or ph in _PUNCT:
                if start is not None:
                    spans.append((start, end))
                    start = None
            else:
                start = pos if start is None else start
                end = min(pos + int(align.num_samples), chunk_end)
            pos += int(align.num_samples)
        if start is not None:
            spans.append((start, end))
        pos = chunk_end
    return spans


def _words(text: str, chunks: Sequence, offset: int, rate: int) -> list[Word]:
    """Word timings: one phoneme word per text word when they pair up, else shared by letters."""
    tokens = [t.strip(_WORD_EDGES) for t in text.split()]
    tokens = [t for t in tokens if speakable(t)]
    spans = _phoneme_words(chunks, offset)
    if not spans or not tokens:
        return []
    if len(spans) != len(tokens):
        # espeak joins some words ("that the") and splits others: share the speech by letters.
        lengths = np.array([len(t) for t in tokens], dtype=float)
        edges = np.concatenate([[0.0], np.cumsum(lengths) / lengths.sum()])
        starts = np.array([s for s, _ in spans], dtype=float)
        durs = np.array([e - s for s, e in spans], dtype=float)
        cum = np.concatenate([[0.0], np.cumsum(durs)])

        def at(frac: float) -> float:
            t = frac * cum[-1]
            i = min(int(np.searchsorted(cum, t, side="right")) - 1, len(spans) - 1)
            return starts[i] + (t - cum[i])

        spans = [(int(at(a)), int(at(b))) for a, b in itertools.pairwise(edges)]
    return [
        Word(tok, round(s * 1000 / rate), round(e * 1000 / rate))
        for tok, (s, e) in zip(tokens, spans, strict=True)
    ]


# ---------------------------------------------------------------- worker processes


def _worker_init(preload: Sequence[tuple[VoiceModel, str]]) -> Engine:
    engine = Engine(threads=1)
    for model, onnx in preload:
        engine.voice(model, onnx)
    return engine


def _worker_render(engine: Engine, job: Job) -> Clip:
    return engine.render(job)


_LOCAL: dict[int, Engine] = {}


def _local_engine(threads: int = 0) -> Engine:
    """This process's engine: one session using every core, for a sentence or two."""
    if threads not in _LOCAL:
        _LOCAL[threads] = Engine(threads)
    return _LOCAL[threads]


def aligned_model(model: VoiceModel, folder: Path) -> tuple[str, bool]:
    """(file to load, gives alignments): the model patched once to output phoneme durations.

    Patching in memory costs ≈0.4 s per load, so the patched copy is kept in `folder`.
    Without the onnx package, or for a model that cannot be patched, the model as it is.
    """
    dest = folder / f"{model.fingerprint}-aligned.onnx"
    if dest.is_file():
        return str(dest), True
    try:
        import onnx
        from piper.patch_voice_with_alignment import add_alignment_output
    except ImportError:
        log.info("no onnx package: word timings are off (pip install onnx)")
        return str(model.onnx), False
    try:
        proto = onnx.load(str(model.onnx))
        add_alignment_output(proto)
    except ValueError as exc:
        if "already marked" in str(exc):
            return str(model.onnx), True
        log.info("model %s gives no alignments: %s", model.name, exc)
        return str(model.onnx), False
    try:
        with atomic_path(dest) as tmp:
            onnx.save(proto, str(tmp))
    except OSError as exc:
        log.warning("cannot keep the aligned model in %s: %s", dest.parent, exc)
        return str(model.onnx), False
    return str(dest), True


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
        model = _model_for(delivery)
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
        engine = _local_engine()
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


def _model_for(delivery: Delivery) -> VoiceModel:
    model = resolve_model(delivery.model)
    sid = delivery.speaker_id
    if sid is not None and not 0 <= sid < max(model.num_speakers, 1):
        raise VoiceError(
            f"speaker_id {sid} is out of range for {model.name} ({model.num_speakers} speaker(s))"
        )
    return model


def say(text: str, profile: Profile, role: Role = "narration") -> Clip:
    """One piece of text in one role's voice, synthesised in this process (for auditioning)."""
    if not speakable(text):
        raise SynthesisError(f"nothing to speak in {text!r}")
    delivery = profile.delivery(role)
    model = _model_for(delivery)
    cache = ClipCache()
    onnx, aligned = aligned_model(model, cache.models)
    key = clip_key(f"{model.fingerprint}:{int(aligned)}", delivery, text)
    clip = cache.get(key)
    if clip is None:
        clip = _local_engine().render(Job(model, onnx, aligned, delivery, text))
        cache.put(key, clip)
    return clip


def check_profile(profile: Profile) -> list[tuple[Role, bool, str]]:
    """For each role: can its model be found, loaded and made to speak (with its pitch shift)?"""
    rows: list[tuple[Role, bool, str]] = []
    engine = _local_engine()
    for role in ROLES:
        d = profile.delivery(role)
        try:
            model = _model_for(d)
            clip = engine.render(Job(model, str(model.onnx), False, d, CHECK_TEXT))
        except NarrateError as exc:
            rows.append((role, False, str(exc)))
            continue
        settings = [f"{model.name} ({model.language}, {model.sample_rate} Hz)"]
        if d.length_scale is not None:
            settings.append(f"length ×{d.length_scale:g}")
        if d.pitch_semitones:
            settings.append(f"pitch {d.pitch_semitones:+g} st")
        if d.gain_db:
            settings.append(f"gain {d.gain_db:+g} dB")
        settings.append(f"{clip.duration_ms / 1000:.1f} s test phrase")
        rows.append((role, True, ", ".join(settings)))
    return rows
