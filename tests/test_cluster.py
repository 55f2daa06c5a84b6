"""Synthesis on a real Dask cluster: a scheduler and two worker processes on 127.0.0.1.

The voice here has Piper's noise turned off: with it on, ONNX Runtime draws the noise from one
generator per session that advances with every sentence, so the same sentence sounds a little
different depending on what its worker rendered before it, locally just as on a cluster. With
it off, synthesis is a function of the text and settings alone, and a cluster run can be
compared with a local run byte for byte.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import distributed
import pytest

from narrate.audio import dask_executor
from narrate.audio.align import aligned_model
from narrate.audio.cache import ClipCache
from narrate.audio.engine import Engine
from narrate.audio.job import Job, localised
from narrate.audio.voices import load_profile, resolve_model
from narrate.errors import ConfigError, SynthesisError, VoiceError
from narrate.models import Clip
from tests.feed_helpers import BASE_URL, Site

STEADY = """\
name = "steady"
[defaults]
model = "joe"
noise_scale = 0.0
noise_w_scale = 0.0
sentence_pause_ms = 250
[title]
length_scale = 1.1
"""


@pytest.fixture(scope="module")
def cluster() -> Iterator[distributed.Client]:
    """A scheduler and two single-threaded worker processes, and a client to watch them."""
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address="127.0.0.1:0"
        ) as local,
        distributed.Client(local) as client,
    ):
        yield client


def _cache(tmp_path: Path, name: str) -> Path:
    """An empty clip cache sharing the session's derived model files."""
    root = tmp_path / name
    root.mkdir()
    shared = Path(os.environ["NARRATE_CACHE_DIR"]) / "models"
    shared.mkdir(parents=True, exist_ok=True)
    (root / "models").symlink_to(shared)
    return root


def _feed_args(site: Site, out: Path, voice: Path) -> list[str]:
    return [
        *("feed", site.feed_url, "--out", str(out), "--base-url", BASE_URL),
        *("--voice", str(voice), "--no-disclaimer", "--allow-private", "--workers", "2", "-q"),
    ]


def _start(args: list[str], cache: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "NARRATE_CACHE_DIR": str(cache)}
    return subprocess.Popen(
        [sys.executable, "-m", "narrate", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=180)
    return proc.returncode, out, err


def _published(out: Path) -> dict[str, bytes]:
    """feed.xml without its build date, and every episode file, by name."""
    feed = re.sub(rb"<lastBuildDate>[^<]*</lastBuildDate>", b"", (out / "feed.xml").read_bytes())
    files = {p.name: p.read_bytes() for p in sorted((out / "episodes").iterdir())}
    return {"feed.xml": feed, **files}


def _kill_a_busy_worker(client: distributed.Client, proc: subprocess.Popen[str]) -> str:
    """SIGKILL the first worker seen rendering a sentence; its address."""
    pids = client.run(os.getpid)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        for address, keys in client.processing().items():
            if any(str(k).startswith("render-") for k in keys):
                os.kill(pids[address], signal.SIGKILL)
                return address
        time.sleep(0.01)
    raise AssertionError("no worker was seen rendering before the run ended")


@pytest.mark.slow
def test_a_feed_on_a_cluster_matches_a_local_run_even_when_a_worker_dies(
    site: Site, tmp_path: Path, cluster: distributed.Client
) -> None:
    for slug, day in (("bridge", 1), ("river", 2), ("school", 3)):
        site.add(slug, day)
    voice = tmp_path / "steady.toml"
    voice.write_text(STEADY)
    address = cluster.scheduler.address

    code, out, err = _finish(
        _start(_feed_args(site, tmp_path / "local", voice), _cache(tmp_path, "a"))
    )
    assert code == 0, err
    local = _published(tmp_path / "local")
    assert len([n for n in local if n.endswith(".mp3")]) == 3

    args = [*_feed_args(site, tmp_path / "dask", voice), "--cluster", address]
    code, out, err = _finish(_start(args, _cache(tmp_path, "b")))
    assert code == 0, err
    assert "3 narrated, 3 in" in out
    assert _published(tmp_path / "dask") == local

    args = [*_feed_args(site, tmp_path / "killed", voice), "--cluster", address]
    proc = _start(args, _cache(tmp_path, "c"))
    killed = _kill_a_busy_worker(cluster, proc)
    code, out, err = _finish(proc)
    assert code == 0, err
    assert killed not in cluster.scheduler_info()["workers"]
    assert _published(tmp_path / "killed") == local
    cluster.wait_for_workers(2, timeout=60)  # the nanny has started a fresh one


def test_an_unreachable_scheduler_fails_fast_with_one_line(site: Site, tmp_path: Path) -> None:
    site.add("river", 1)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    voice = tmp_path / "steady.toml"
    voice.write_text(STEADY)
    args = [*_feed_args(site, tmp_path / "pod", voice), "--cluster", address]
    code, out, err = _finish(_start(args, _cache(tmp_path, "cache")))
    assert code == 1 and out == ""
    assert err == (
        f"Error: cannot reach the Dask scheduler at {address}: "
        f"Timed out trying to connect to {address} after 5 s\n"
    )
    assert not (tmp_path / "pod" / "state.db").exists() and site.server.hits == []


def test_a_scheduler_without_workers_fails_fast(clip_cache: ClipCache) -> None:
    with distributed.LocalCluster(n_workers=0, dashboard_address="127.0.0.1:0") as empty:
        address = empty.scheduler_address
        with pytest.raises(ConfigError) as error:
            dask_executor.DaskExecutor(address, cache=clip_cache)
    assert str(error.value) == (
        f"the Dask scheduler at {address} has no workers (start some with `dask worker {address}`)"
    )
    assert list(clip_cache.root.glob(".cluster-*")) == []  # its mark is gone with it


@pytest.mark.slow
def test_a_lost_scheduler_fails_the_rest_of_the_run_for_a_retry(site: Site, tmp_path: Path) -> None:
    for slug, day in (("bridge", 1), ("river", 2), ("school", 3)):
        site.add(slug, day)
    voice = tmp_path / "steady.toml"
    voice.write_text(STEADY)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    dask = Path(sys.executable).with_name("dask")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], **quiet
    )
    worker = subprocess.Popen(
        [dask, "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"],
        start_new_session=True,
        **quiet,
    )
    try:
        with distributed.Client(address, timeout=30) as client:
            client.wait_for_workers(1, timeout=60)
            args = [*_feed_args(site, tmp_path / "pod", voice), "--cluster", address]
            proc = _start(args, _cache(tmp_path, "cache"))
            deadline = time.monotonic() + 120
            while not any(client.processing().values()):
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.01)
            scheduler.kill()
        code, out, err = _finish(proc)
    finally:
        scheduler.kill()
        os.killpg(worker.pid, signal.SIGKILL)
        scheduler.wait()
        worker.wait()
    assert code == 1, err
    assert out.count("dropped the sentence") == 3 and "(it was lost or restarted); retry" in out
    assert "0 narrated" in out and "3 failed" in out


def test_a_sentence_that_fails_on_a_worker_fails_as_it_would_here(
    cluster: distributed.Client, clip_cache: ClipCache
) -> None:
    job = replace(_job(clip_cache), text="…")
    with dask_executor.DaskExecutor(cluster.scheduler.address, cache=clip_cache) as executor:
        error = executor.submit(job).exception(timeout=60)
    assert isinstance(error, SynthesisError) and "nothing to speak" in str(error)


@pytest.mark.slow
def test_a_local_cluster_renders_what_this_process_renders(
    clip_cache: ClipCache, tmp_path: Path
) -> None:
    voice = tmp_path / "steady.toml"
    voice.write_text(STEADY)
    job = replace(_job(clip_cache), delivery=load_profile(str(voice)).delivery("narration"))
    (tmp_path / "file").write_text("")
    unseen = ClipCache(tmp_path / "file" / "cache")  # no mark there: clips come back via Dask
    with dask_executor.DaskExecutor("local", workers=1, cache=unseen) as executor:
        clip = executor.submit(job).result(timeout=120)
    here = Engine(threads=1).render(job)
    assert clip.samples.tobytes() == here.samples.tobytes() and clip.words == here.words


# what a worker does with a job


def _job(cache: ClipCache, text: str = "The river rose overnight.") -> Job:
    delivery = load_profile(None).delivery("narration")
    model = resolve_model(delivery.model)
    onnx, aligned = aligned_model(model, cache.models)
    return Job(model, onnx, aligned, delivery, text)


@pytest.mark.slow
def test_a_worker_shares_the_clip_cache_only_when_it_sees_the_runs_mark(
    clip_cache: ClipCache, tmp_path: Path
) -> None:
    job = _job(clip_cache)
    clip = dask_executor.render(job, (str(clip_cache.root), "no-such-mark"))
    assert isinstance(clip, Clip) and clip_cache.get(job.key) is None  # audio goes back

    (clip_cache.root / "mark").touch()
    assert dask_executor.render(job, (str(clip_cache.root), "mark")) == job.key
    stored = clip_cache.get(job.key)
    assert stored is not None and stored.sample_rate == clip.sample_rate

    # A clip another run left there is used as it is: this job's own text has nothing to speak.
    silent = replace(job, text="…")
    clip_cache.put(silent.key, stored)
    assert dask_executor.render(silent, (str(clip_cache.root), "mark")) == silent.key


def test_a_worker_elsewhere_finds_its_own_copy_of_the_model(
    clip_cache: ClipCache, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = _job(clip_cache)
    assert localised(job, clip_cache.models) is job  # same machine: the paths are right

    elsewhere = Path("/coordinator/voices")
    remote = replace(
        job,
        model=replace(job.model, onnx=elsewhere / "en_US-joe-medium.onnx"),
        onnx=str(elsewhere / f"{job.model.fingerprint}-aligned.onnx"),
    )
    here = localised(remote, tmp_path / "models")
    assert here.model == job.model  # the bundled voice, found by its content
    assert here.onnx == str(tmp_path / "models" / f"{job.model.fingerprint}-aligned.onnx")
    assert Path(here.onnx).is_file() and here.aligned

    # A model of the user's own is looked up by name in NARRATE_VOICES_DIR.
    voices = tmp_path / "voices"
    voices.mkdir()
    for source, name in ((job.model.onnx, "news.onnx"), (job.model.config, "news.onnx.json")):
        (voices / name).symlink_to(source)
    own = resolve_model(str(voices / "news.onnx"))
    monkeypatch.setenv("NARRATE_VOICES_DIR", str(voices))
    moved = replace(remote, model=replace(own, onnx=elsewhere / "news.onnx"))
    assert localised(moved, tmp_path / "models").model == own

    other = replace(remote, model=replace(remote.model, fingerprint="0" * 32))
    with pytest.raises(VoiceError, match="no copy of voice model en_US-joe-medium"):
        localised(other, tmp_path / "models")
