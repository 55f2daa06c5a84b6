"""Word timings from Piper's phoneme alignments, and the voice model patched to give them."""

from __future__ import annotations

import itertools
import logging
import string
from collections.abc import Callable, Sequence
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


def tokens(text: str) -> list[str]:
    """The words of `text` that get a timing: speakable, punctuation stripped."""
    return [t for t in (w.strip(_WORD_EDGES) for w in text.split()) if speakable(t)]


def count_words(phonemes: Sequence[Sequence[str]]) -> int:
    """How many phoneme words Piper's phonemize() output holds, as _phoneme_words counts them."""
    runs = "".join(" " if ph in _PUNCT else ph for sentence in phonemes for ph in [*sentence, " "])
    return len(runs.split())


def words(
    text: str,
    chunks: Sequence,
    offset: int,
    rate: int,
    count: Callable[[str], int] | None = None,
) -> list[Word]:
    """Word timings: one phoneme word per text word when they pair up, else shared by letters.

    With `count` (the phoneme words espeak makes of a text), words espeak runs together
    ("that the") share only their own phoneme word, so every other word keeps exact times.
    """
    toks = tokens(text)
    spans = _phoneme_words(chunks, offset)
    if not spans or not toks:
        return []
    if len(spans) != len(toks) and count is not None:
        raw = [w for w in text.split() if speakable(w.strip(_WORD_EDGES))]
        spans = _by_prefixes(toks, spans, [count(" ".join(raw[: k + 1])) for k in range(len(raw))])
    if len(spans) != len(toks):
        # espeak joins some words ("that the") and splits others: share the speech by letters.
        lengths = np.array([len(t) for t in toks], dtype=float)
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
        for tok, (s, e) in zip(toks, spans, strict=True)
    ]


def _by_prefixes(
    toks: Sequence[str], spans: list[tuple[int, int]], edges: Sequence[int]
) -> list[tuple[int, int]]:
    """Token spans from the phoneme words of each prefix; the spans unchanged when they disagree."""
    if not edges or edges[-1] != len(spans) or edges[0] < 1:
        return spans
    groups: list[tuple[int, int, list[int]]] = []  # phoneme words [lo, hi) and their tokens
    lo = 0
    for k, hi in enumerate(edges):
        if hi > lo:
            groups.append((lo, hi, [k]))
            lo = hi
        elif hi == lo:
            groups[-1][2].append(k)
        else:
            return spans
    out: list[tuple[int, int]] = []
    for lo, hi, members in groups:
        start, end = spans[lo][0], spans[hi - 1][1]
        lengths = np.cumsum([0] + [len(toks[k]) for k in members])
        cuts = start + (end - start) * lengths / lengths[-1]
        out.extend((int(a), int(b)) for a, b in itertools.pairwise(cuts))
    return out


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
