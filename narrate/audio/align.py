"""Word timings from Piper's phoneme alignments, and the voice model patched to give them."""

from __future__ import annotations

import itertools
import logging
import string
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from narrate.audio.split import speakable
from narrate.audio.voices import VoiceModel
from narrate.files import atomic_path
from narrate.models import Word

log = logging.getLogger(__name__)

_PUNCT = set(string.punctuation) | set("“”‘’«»„—–…¡¿")
_WORD_EDGES = "".join(sorted(_PUNCT))


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


def words(text: str, chunks: Sequence, offset: int, rate: int) -> list[Word]:
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


def aligned_model(model: VoiceModel, folder: Path) -> tuple[str, bool]:
    """(file to load, gives alignments): the model patched once to output phoneme durations.

    Patching in memory costs ≈0.4 s per load, so the patched copy is kept in `folder`.
    For a model that cannot be patched, the model as it is.
    """
    dest = folder / f"{model.fingerprint}-aligned.onnx"
    if dest.is_file():
        return str(dest), True
    # Imported here: onnx adds ≈0.1 s to every start of the CLI, and is needed once per model.
    import onnx
    from piper.patch_voice_with_alignment import add_alignment_output

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
