"""One process's Piper: loaded voices, and one sentence rendered to a final clip."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np
import onnxruntime
from piper import PiperVoice, SynthesisConfig
from piper.config import PiperConfig

from narrate.audio import align, ffmpeg, inline
from narrate.audio.job import Job
from narrate.audio.split import speakable, split_long
from narrate.audio.voices import VoiceModel
from narrate.errors import AudioError, SynthesisError, VoiceError
from narrate.models import Clip, Word

log = logging.getLogger(__name__)


def _session_options(threads: int) -> onnxruntime.SessionOptions:
    opts = onnxruntime.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    # Optimisation levels make no runtime difference for these models but triple session creation.
    opts.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    return opts


def load_voice(config: Path, onnx: str, threads: int = 1) -> PiperVoice:
    """A Piper voice with an ONNX Runtime session of `threads` intra-op threads (0 = all cores)."""
    try:
        piper_config = PiperConfig.from_dict(json.loads(config.read_text(encoding="utf-8")))
        session = onnxruntime.InferenceSession(
            onnx, sess_options=_session_options(threads), providers=["CPUExecutionProvider"]
        )
    except Exception as exc:
        raise VoiceError(f"cannot load voice model {onnx}: {exc}") from exc
    return PiperVoice(session=session, config=piper_config)


_INHERITED: dict[tuple[str, str], PiperVoice] = {}
"""(file, model fingerprint) → a one-thread voice loaded before this process was forked."""


def preload(config: Path, onnx: str, fingerprint: str) -> None:
    """Load a voice for the processes this one will fork (narrate.audio.preloaded)."""
    _INHERITED[onnx, fingerprint] = load_voice(config, onnx)


class Engine:
    """Loaded voices of one process, and the rendering of one sentence to a final clip."""

    def __init__(self, threads: int = 1):
        self.threads = threads
        self.voices: dict[str, PiperVoice] = {}

    def voice(self, model: VoiceModel, onnx: str) -> PiperVoice:
        """The voice for a model file, loaded on first use."""
        if onnx not in self.voices:
            voice = _INHERITED.get((onnx, model.fingerprint)) if self.threads == 1 else None
            if voice is None:
                started = time.monotonic()
                voice = load_voice(model.config, onnx, self.threads)
                log.debug("loaded %s in %.2f s", onnx, time.monotonic() - started)
            self.voices[onnx] = voice
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
        # Exact word edges matter where a quotation is cut out: worth a phonemize per word.
        count = (lambda t: align.count_words(voice.phonemize(t))) if job.parts else None
        for part in split_long(job.text):
            chunks = list(voice.synthesize(part, syn, include_alignments=job.aligned))
            words.extend(align.words(part, chunks, offset, rate, count) if job.aligned else ())
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
        clip = Clip(samples=samples, sample_rate=rate, words=tuple(words))
        log.debug("synthesised %.2f s: %s", len(samples) / rate, job.text)
        if not job.parts:
            return clip
        return inline.voice_parts(
            clip,
            d,
            job.parts,
            voice.config.length_scale,
            lambda x, semitones, tempo: shift_pitch(x, rate, semitones, tempo),
        )


def shift_pitch(samples: np.ndarray, rate: int, semitones: float, tempo: float = 1.0) -> np.ndarray:
    """Formant-preserving pitch shift with ffmpeg's rubberband filter; the length ÷ tempo."""
    ratio = 2 ** (semitones / 12)
    fmt = ["-f", "f32le", "-ar", str(rate), "-ac", "1"]
    stretch = f"tempo={tempo:.6f}:" if tempo != 1.0 else ""
    rubberband = f"rubberband={stretch}pitch={ratio:.6f}:formant=preserved"
    args = [*fmt, "-i", "pipe:0", "-af", rubberband]
    try:
        out = ffmpeg.run([*args, *fmt, "pipe:1"], input=samples.astype("<f4").tobytes()).stdout
    except AudioError as exc:
        raise SynthesisError(f"pitch shift failed: {exc}") from exc
    shifted = np.frombuffer(out, dtype="<f4").astype(np.float32)
    length = round(len(samples) / tempo)
    if len(shifted) >= length:
        return shifted[:length]
    return np.pad(shifted, (0, length - len(shifted)))


_LOCAL: dict[int, Engine] = {}


def local_engine(threads: int = 0) -> Engine:
    """This process's engine: one session using every core, for a sentence or two."""
    if threads not in _LOCAL:
        _LOCAL[threads] = Engine(threads)
    return _LOCAL[threads]
