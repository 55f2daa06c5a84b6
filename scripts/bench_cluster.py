"""`make bench`: `narrate feed` on this machine's pool against a Dask cluster, side by side.

A generated feed of articles whose sentences are all different (no clip cache help) is served on
127.0.0.1 and narrated by fresh `narrate feed` processes with a cold cache each: the local pool,
a Dask cluster already running (`--cluster tcp://…`, its workers started fresh and untimed), and
`--cluster local` (the cluster started by the run), at 1 and 2 workers, in alternating rounds.
Then Dask's cost per task, and the coordinator's own cost per item (everything but synthesis),
for the extrapolation to N machines.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import distributed
import numpy as np
from mutagen.mp3 import MP3

from narrate import folders

NARRATE = [sys.executable, "-m", "narrate"]
KINDS = ("local pool", "Dask, running cluster", "Dask, --cluster local")
PLACES = (
    *("Ashford", "Brookvale", "Carrow", "Dunmore", "Elsworth"),
    *("Fairlie", "Glenrock", "Harwood", "Inverley", "Kestle"),
)
DOINGS = [
    "voted on a new budget for the {n} schools",
    "opened a bridge that took {n} months to build",
    "counted {n} more buses on the morning routes",
    "planted {n} trees along the river path",
    "heard {n} residents speak about the harbour plan",
    "closed the market square for {n} days of repairs",
]
WHEN = ["on Monday", "last week", "after a long debate", "before the holiday", "this spring"]


def articles(count: int, sentences: int) -> list[tuple[str, list[str]]]:
    """(title, paragraphs) of generated local news; no two sentences alike."""
    rng = random.Random(7)
    out = []
    for i in range(count):
        place = PLACES[i % len(PLACES)]
        body = []
        for j in range(sentences):
            doing = rng.choice(DOINGS).format(n=rng.randint(2, 900) + 1000 * j)
            body.append(f"The council of {place} {doing} {rng.choice(WHEN)}, item {i}.{j}.")
        out.append((f"{place} news number {i + 1}", body))
    return out


def write_site(root: Path, count: int, sentences: int, base: str) -> None:
    """Pages and an RSS feed under root, as base/news/N.html and base/feed.xml."""
    (root / "news").mkdir(parents=True)
    start = datetime(2024, 5, 1, 8, tzinfo=UTC)
    items = []
    for i, (title, body) in enumerate(articles(count, sentences)):
        paragraphs = "".join(f"<p>{s}</p>" for s in body)
        (root / "news" / f"{i}.html").write_text(
            f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
            f"</head><body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
        )
        items.append(
            f"<item><title>{title}</title><link>{base}/news/{i}.html</link><guid>n{i}</guid>"
            f"<pubDate>{format_datetime(start + timedelta(hours=i), usegmt=True)}</pubDate></item>"
        )
    (root / "feed.xml").write_text(
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Bench</title>"
        f"<link>{base}/</link><description>d</description>{''.join(items)}</channel></rss>"
    )


def serve(root: Path) -> str:
    """A static server for root on 127.0.0.1; its base URL."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def cold_cache(tmp: Path, models: Path) -> Path:
    """An empty clip cache that shares the derived model files (no re-patching per run)."""
    root = Path(tempfile.mkdtemp(dir=tmp, prefix="cache-"))
    (root / "models").symlink_to(models)
    return root


def feed_run(feed: str, out: Path, cache: Path, workers: int, cluster: str | None) -> float:
    """Wall seconds of one `narrate feed` process."""
    args = [*NARRATE, "-q", "feed", feed, "--out", str(out), "--workers", str(workers)]
    args += ["--allow-private", "--no-disclaimer", "--base-url", "https://pod.example/"]
    args += ["--cluster", cluster] if cluster else []
    env = {**os.environ, "NARRATE_CACHE_DIR": str(cache)}
    started = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"narrate feed failed: {done.stderr or done.stdout}")
    return elapsed


def audio_seconds(out: Path) -> float:
    return sum(MP3(p).info.length for p in (out / "episodes").glob("*.mp3"))


def running_cluster(workers: int) -> distributed.LocalCluster:
    """Fresh worker processes on this machine, reached over TCP like remote ones."""
    cluster = distributed.LocalCluster(
        n_workers=workers,
        processes=True,
        threads_per_worker=1,
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.CRITICAL,  # no traceback from a heartbeat racing the close (#7105)
    )
    with distributed.Client(cluster) as client:
        client.wait_for_workers(workers)
    return cluster


def per_task_ms(count: int) -> tuple[float, float]:
    """Dask's round trip per task at 2 workers: an empty task, and one returning a 5 s clip."""
    clip = np.zeros(5 * 22050, dtype=np.float32)
    with running_cluster(2) as cluster, distributed.Client(cluster) as client:
        client.gather(client.map(abs, range(50)))  # connections made
        started = time.perf_counter()
        client.gather(client.map(abs, range(count), pure=False))
        empty = (time.perf_counter() - started) / count * 1000
        started = time.perf_counter()
        client.gather(client.map(np.add, [clip] * count, range(count), pure=False))
        sized = (time.perf_counter() - started) / count * 1000
    return empty, sized


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=5)
    parser.add_argument("--sentences", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    try:
        site = tmp / "site"
        site.mkdir()
        base = serve(site)
        write_site(site, args.items, args.sentences, base)
        feed = f"{base}/feed.xml"
        models = folders.cache_dir() / "models"
        models.mkdir(parents=True, exist_ok=True)

        times: dict[tuple[str, int], list[float]] = {}
        audio = 0.0
        for r in range(args.rounds):
            for workers in (1, 2):
                for kind in KINDS:
                    out = tmp / f"out-{r}-{workers}-{kind.split()[-1]}"
                    cache = cold_cache(tmp, models)
                    if kind == KINDS[1]:
                        with running_cluster(workers) as cluster:
                            secs = feed_run(feed, out, cache, workers, cluster.scheduler_address)
                    else:
                        secs = feed_run(
                            feed, out, cache, workers, "local" if kind == KINDS[2] else None
                        )
                    times.setdefault((kind, workers), []).append(secs)
                    audio = audio_seconds(out)
                    shutil.rmtree(cache)

        # The coordinator alone: every clip cached; then a run with nothing new, which is the
        # fixed cost of starting and publishing.
        warm = cold_cache(tmp, models)
        feed_run(feed, tmp / "fill", warm, 2, None)
        alone, idle = [], []
        for r in range(args.rounds):
            alone.append(feed_run(feed, tmp / f"coordinator-{r}", warm, 2, None))
            idle.append(feed_run(feed, tmp / f"coordinator-{r}", warm, 2, None))
        empty_ms, clip_ms = per_task_ms(200)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(args.items, args.sentences + 1, audio, times, min(alone), min(idle))
    print(f"Dask per task at 2 workers: {empty_ms:.1f} ms empty, {clip_ms:.1f} ms with a 5 s clip")


def report(
    items: int,
    clips: int,
    audio: float,
    times: dict[tuple[str, int], list[float]],
    coordinator: float,
    fixed: float,
) -> None:
    """The scaling table, Dask's overhead, and the extrapolation to N workers."""
    rounds = len(times[(KINDS[0], 1)])
    print(
        f"\n`narrate feed`, {items} articles of {clips} unique sentences ({audio:.0f} s of audio), "
        f"cold cache, fresh processes, {rounds} alternating rounds, {os.cpu_count()} cores\n"
    )
    print(f"| {'executor':<24} | workers | best s | items/min | RTF   | every run, s")
    print(f"|{'-' * 26}|---------|--------|-----------|-------|{'-' * 14}")
    best = {key: min(v) for key, v in times.items()}
    for (kind, workers), secs in sorted(best.items(), key=lambda kv: kv[0][1]):
        runs = " ".join(f"{t:.1f}" for t in times[(kind, workers)])
        print(
            f"| {kind:<24} | {workers:>7} | {secs:6.1f} | {items / secs * 60:9.1f} "
            f"| {secs / audio:.3f} | {runs}"
        )
    # Other work on the machine slows whole rounds: compare runs of the same round.
    local, dask, own = (times[(kind, 2)] for kind in KINDS)
    paired = [statistics.median(d / x for d, x in zip(k, local, strict=True)) for k in (dask, own)]
    print(
        f"\nDask's overhead over the local pool at 2 workers (median of the rounds' ratios): "
        f"{paired[0] - 1:+.1%} with a running cluster, {paired[1] - 1:+.1%} with --cluster local, "
        "which starts its own (target < 10%)"
    )
    # One item costs `worker_s` of synthesis, spread over the workers, and `coordinator_s` of the
    # coordinator's own work (extraction, mastering, tags, state), done one item after another.
    worker_s = (best[(KINDS[0], 1)] - coordinator) / items
    coordinator_s = (coordinator - fixed) / items
    print(
        f"Per item: {worker_s:.2f} s of one worker ({worker_s / clips * 1000:.0f} ms a sentence), "
        f"{coordinator_s:.2f} s of the coordinator (all clips cached, less the {fixed:.1f} s of a "
        f"run with nothing new). N workers on other machines: about "
        f"60 / ({coordinator_s:.2f} + {worker_s:.2f} / N) items per minute"
    )
    print(
        "  "
        + ", ".join(f"N={n}: {60 / (coordinator_s + worker_s / n):.0f}" for n in (2, 4, 8, 16, 32))
        + f"; ceiling {60 / coordinator_s:.0f}. One coordinator keeps about "
        f"{worker_s / coordinator_s:.0f} workers busy; an article uses at most {clips} at once."
    )


if __name__ == "__main__":
    main()
