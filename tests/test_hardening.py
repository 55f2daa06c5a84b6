"""Hardening: hostile servers and pages, a crashing extractor, a full disk, and kills at each step.

Everything runs for real: HTTP(S) servers on 127.0.0.1, the batch with real Piper and SQLite, worker
processes that really segfault or run out of memory. Faults are injected only through the standard
library (os.replace) or the operating system (signals, rlimits), never by replacing narrate's code.
"""

from __future__ import annotations

import ctypes
import errno
import gzip
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from narrate import pipeline
from narrate import workers as pool
from narrate.audio import ffmpeg
from narrate.cli.feed import render_summary
from narrate.config import ExtractLimits
from narrate.errors import AudioError, InputError, NarrateError
from narrate.feed import batch
from narrate.feed.state import LOCK_NAME, State
from narrate.models import Page
from tests.feed_helpers import ARTICLES, BASE_URL, LIMITS, Published, Site, page, read_feed, rss
from tests.feed_helpers import feed_config as config
from tests.http_server import Server
from tests.netns import NETNS_SERVER, run_in_netns

ROOT = Path(__file__).resolve().parents[1]
LATIN1_TEXT = [
    "Señor Müller opened the café on the square on Monday morning.",
    "The façade was painted in the colours of the old town.",
]
SLOW_PAGE = "<html><body><article>" + "<p>a</p>" * 125_000 + "</article></body></html>"
"""Real pathological input: trafilatura takes ≈30 s over this 1 MB (it grows faster than linear)."""


def gzip_bomb(megabytes: int) -> bytes:
    """`megabytes` MB of zeros as ~1 KB per MB: gzip members of 10 MB each, concatenated."""
    member = gzip.compress(b"\0" * 10_000_000, compresslevel=9)
    return member * (megabytes // 10)


# the acceptance test: every hostile item fails alone, with its own reason


def test_hostile_items_fail_alone_with_their_reasons(
    http_server: Server, https_server: Server, certificate, monkeypatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # trust the test HTTPS server
    good = http_server.page("/good.html", page(*ARTICLES["bridge"]))
    latin = (
        "<html><head><meta charset='iso-8859-1'><title>Café reopens</title></head><body><article>"
        "<h1>Café reopens</h1>" + "".join(f"<p>{p}</p>" for p in LATIN1_TEXT) + "</article></body>"
        "</html>"
    )
    http_server.page("/latin.html", latin.encode("latin-1"), ctype="text/html")
    http_server.drip("/drip.html", 100, 10, delay_s=0.2)
    http_server.drip("/endless.html", 50 * 16, 64 * 1024)  # 50 MB, no length
    http_server.page("/bomb.html", gzip_bomb(200), **{"Content-Encoding": "gzip"})
    http_server.page("/loop.html", b"", status=302, Location="/loop.html")
    http_server.page("/file.bin", b"\x7fELF\x02\x01" + bytes(range(256)) * 40, "application/x-elf")
    http_server.page("/empty.html", b"")
    http_server.page("/hang.html", SLOW_PAGE)
    for status in (404, 410, 429, 500, 503):
        http_server.page(f"/status-{status}.html", "no", status=status)
    expected = {
        "Slow drip": ("/drip.html", "timed out"),
        "Endless body": ("/endless.html", "too large"),
        "Gzip bomb": ("/bomb.html", "too large"),
        "Redirect loop": ("/loop.html", "too many redirects"),
        "Binary file": ("/file.bin", "not HTML"),
        "Empty page": ("/empty.html", "empty response"),
        "Extractor hangs": ("/hang.html", "took longer than 2 s"),
        **{f"Status {s}": (f"/status-{s}.html", f"HTTP {s}") for s in (404, 410, 429, 500, 503)},
    }
    links = {title: http_server.url(path) for title, (path, _) in expected.items()}
    links["Downgrade"] = https_server.page("/down", b"", status=301, Location=good)
    expected["Downgrade"] = ("", "insecure redirect")
    items = [
        ("Bridge reopens after repairs", good),
        ("Café reopens", http_server.url("/latin.html")),
        *links.items(),
    ]
    feed = http_server.page("/feed.xml", rss(http_server.base, items), "application/rss+xml")
    out = tmp_path / "pod"
    limits = replace(LIMITS, timeout_s=2.0)
    summary = batch.run(config(feed, out, limits=limits, extract=ExtractLimits(timeout_s=2)))

    outcome = {i.title: i for i in summary.items}
    assert outcome["Bridge reopens after repairs"].outcome == "published"
    assert outcome["Café reopens"].outcome == "published"
    for title, (_, reason) in expected.items():
        assert outcome[title].outcome == "failed", (title, outcome[title])
        assert reason in outcome[title].detail, (title, outcome[title].detail)
    reasons = [r for _, r in expected.values()]
    assert len(set(reasons) - {"too large"}) == len(reasons) - 2  # distinct, but for the two caps
    table = render_summary(summary)
    for title, (_, reason) in expected.items():
        assert any(title in line and reason in line for line in table.splitlines()), title
    assert summary.exit_code == 1 and summary.narrated == 2
    for path in ("/drip.html", "/endless.html"):  # each bound made the client hang up
        assert not http_server.outcome(path).complete, path

    published = read_feed(out)
    assert sorted(p.title for p in published) == ["Bridge reopens after repairs", "Café reopens"]
    cafe = next(p for p in published if p.title == "Café reopens")
    transcript = (out / cafe.transcript).read_text(encoding="utf-8")
    assert all(word in transcript for word in ("Señor", "Müller", "façade"))
    with State.open(out) as db:
        failed = {i.title: i for i in db.items(("failed",))}
    assert failed["Status 429"].transient and not failed["Status 404"].transient
    assert failed["Empty page"].transient and not failed["Extractor hangs"].transient


def test_hostile_bodies_are_read_in_bounded_memory(http_server) -> None:
    """500 MB without a length and a 1 GB gzip bomb cost a fresh process well under 100 MB."""
    http_server.drip("/endless", 500 * 16, 64 * 1024)
    http_server.drip("/lying", 500 * 16, 64 * 1024, length=1000)
    http_server.page("/bomb", gzip_bomb(1000), **{"Content-Encoding": "gzip"})
    code = (
        "import json, resource, sys\n"
        "from narrate.config import FetchLimits\n"
        "from narrate.errors import FetchError\n"
        "from narrate.article.fetch import fetch\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "reasons = []\n"
        "for url in sys.argv[1:]:\n"
        "    try:\n"
        "        reasons.append(len(fetch(url, FetchLimits(allow_private=True)).content))\n"
        "    except FetchError as exc:\n"
        "        reasons.append(exc.reason)\n"
        "grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before\n"
        "print(json.dumps({'reasons': reasons, 'grew_kb': grew}))\n"
    )
    urls = [http_server.url(p) for p in ("/endless", "/bomb", "/lying")]
    run = subprocess.run(
        [sys.executable, "-c", code, *urls], capture_output=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr.decode()
    result = json.loads(run.stdout)
    # A body longer than its Content-Length is cut at the declared length by the HTTP client.
    assert result["reasons"] == ["too large", "too large", 1000]
    assert result["grew_kb"] < 100 * 1024, result  # the default cap is 20 MB of body


def test_private_redirects_fail_alone_in_a_batch(tmp_path: Path) -> None:
    """With the guard on, a feed on a public address whose items redirect inward."""
    code = NETNS_SERVER + (
        "from pathlib import Path\n"
        "from narrate.feed import batch\n"
        "from narrate.config import FetchLimits\n"
        "from tests.feed_helpers import ARTICLES, page, rss\n"
        "SERVER.page('/good.html', page(*ARTICLES['bridge']))\n"
        "SERVER.page('/secret.html', page(*ARTICLES['bridge']))\n"
        "targets = {'Loopback': f'http://127.0.0.1:{PORT}/secret.html',\n"
        "           'Localhost': f'http://localhost:{PORT}/secret.html',\n"
        "           'Metadata': 'http://169.254.169.254/latest/meta-data/',\n"
        "           'Mapped': f'http://[::ffff:10.0.0.1]:{PORT}/secret.html'}\n"
        "items = [('Bridge reopens after repairs', BASE + '/good.html')]\n"
        "for title, target in targets.items():\n"
        "    SERVER.page(f'/to-{title}', '', status=302, Location=target)\n"
        "    items.append((title, f'{BASE}/to-{title}'))\n"
        "SERVER.page('/feed.xml', rss(BASE, items), 'application/rss+xml')\n"
        "summary = batch.run(batch.BatchConfig(feeds=(BASE + '/feed.xml',), out=Path(sys.argv[1]),"
        " disclaimer=None, workers=1, limits=FetchLimits(timeout_s=5)))\n"
        "print(json.dumps({'items': {i.title: [i.outcome, i.detail] for i in summary.items},"
        " 'hits': SERVER.hits}))\n"
    )
    out = run_in_netns(code, str(tmp_path / "pod"))
    items = out["items"]
    assert items.pop("Bridge reopens after repairs")[0] == "published"
    assert set(items) == {"Loopback", "Localhost", "Metadata", "Mapped"}
    for title, (outcome, detail) in items.items():
        assert outcome == "failed" and detail.startswith("blocked destination"), (title, detail)
    assert "/secret.html" not in out["hits"]


def test_empty_page_is_one_clear_line_from_the_cli(http_server) -> None:
    url = http_server.page("/empty.html", b"")
    run = subprocess.run(
        [sys.executable, "-m", "narrate", "script", url, "--allow-private"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    err = run.stderr.decode()
    assert run.returncode == 1 and err.count("\n") == 1, err
    assert err.startswith("Error: ") and "empty page" in err


# isolation: the extractor and the synthesis workers


def _work(_state: None, task: str) -> object:
    """Tasks that misbehave for real: a segfault, a hang, a memory blow-up."""
    if task == "segfault":
        ctypes.string_at(0)
    if task == "hang":
        time.sleep(60)
    if task == "hog":
        return len(bytearray(8 << 30))
    if task == "status":  # an extraction worker's size, whatever its forkserver preloaded
        from narrate.article import extract, segment
        from narrate.speech import lexicon_file

        article = extract.extract(Page(html=page(*ARTICLES["river"])))
        segment.segment(article, lexicon=lexicon_file.load_lexicon(article.lang, ()))
        return Path("/proc/self/status").read_text()
    return task.upper()


def _no_state(_arg: None) -> None:
    return None


def test_workers_lose_only_the_task_that_crashes_hangs_or_blows_up() -> None:
    tasks = ["a", "segfault", "b", "hog", "c", "hang", "d"]
    results = pool.run(
        tasks,
        init=_no_state,
        init_arg=None,
        work=_work,
        processes=2,
        timeout_s=3,
        retries=0,
        memory_bytes=2 << 30,
    )
    assert [results[i] for i in (0, 2, 4, 6)] == ["A", "B", "C", "D"]
    crashed, hog, hung = results[1], results[3], results[5]
    assert isinstance(crashed, pool.Failure) and crashed.crashed
    assert "signal 11" in crashed.message
    assert isinstance(hog, pool.Failure) and isinstance(hog.error, MemoryError)
    assert isinstance(hung, pool.Failure) and "timed out after 3 s" in hung.message


FORKED = """
import os, threading, time
from narrate import pipeline, workers as pool

def work(_state, task):
    if task == "segfault":
        import ctypes
        ctypes.string_at(0)
    return os.getppid()

def nothing(_arg):
    return None

with pool.Pool(init=nothing, init_arg=None, work=work, processes=1, retries=0, fork_now=True) as p:
    print(p.submit("parent").result() == os.getpid())
    crashed = p.submit("segfault").result()
    print(isinstance(crashed, pool.Failure) and crashed.crashed)
    try:
        p.submit("after").result(timeout=30)
    except pool.PoolError as exc:
        print(exc)
# The pool's joined thread can stay listed in /proc/self/task a moment after join() returns.
deadline = time.monotonic() + 5
while not pool.one_thread() and time.monotonic() < deadline:
    time.sleep(0.01)
print(pipeline.extraction_pool(pipeline.Options()).start_method)
threading.Thread(target=threading.Event().wait, daemon=True).start()
try:
    pool.Pool(init=nothing, init_arg=None, work=work, fork_now=True)
except RuntimeError as exc:
    print(exc)
print(pipeline.extraction_pool(pipeline.Options()).start_method)
"""


def test_a_pool_forked_from_a_one_thread_process_never_forks_from_its_thread() -> None:
    # A fresh interpreter: this one may have threads of other tests.
    run = subprocess.run(
        [sys.executable, "-c", FORKED], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "True",  # the worker is this process's child, not the forkserver's
        "True",  # a crash costs its task
        # and is not replaced by a fork from the pool's thread
        "its worker processes are gone (the last one died (signal 11))",
        "fork",  # an article's extractor is forked while the process has one thread
        "fork_now needs a process with no other thread",
        "forkserver",  # and comes from the forkserver once there are others
    ]


ORPHANED = """
import os, signal
from narrate import workers as pool

def work(_state, _task):
    return os.getpid(), os.readlink("/proc/self/fd/1")

p = pool.Pool(init=lambda _: None, init_arg=None, work=work, processes=1, fork_now=True)
print(*p.submit("x").result(), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_forked_worker_holds_no_stdout_and_ends_with_its_killed_parent() -> None:
    # run() reads stdout to its end: a worker still holding it would hold this up.
    cmd = [sys.executable, "-c", ORPHANED]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    pid, stdout = run.stdout.split()
    assert stdout == "/dev/null"
    deadline = time.monotonic() + 10
    while _running(int(pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(int(pid))


def _sign_in(register: Path) -> Path:
    with register.open("a") as f:
        f.write(f"{os.getpid()}\n")
    return register


def _nap(_register: Path, seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_a_warmed_pool_starts_one_worker_and_the_next_when_work_waits(tmp_path: Path) -> None:
    register = tmp_path / "workers"
    register.touch()
    with pool.Pool(init=_sign_in, init_arg=register, work=_nap, processes=2) as workers:
        workers.start(1)
        deadline = time.monotonic() + 30
        while not register.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)
        assert len(register.read_text().split()) == 1
        pids = {f.result() for f in [workers.submit(0.5), workers.submit(0.5)]}
    assert len(pids) == 2 and set(register.read_text().split()) == {str(p) for p in pids}


def _worker_size_mb() -> int:
    [status] = pool.run(
        ["status"],
        init=_no_state,
        init_arg=None,
        work=_work,
        processes=1,
        preload=pipeline.WORKER_MODULES,
    )
    line = next(x for x in status.splitlines() if x.startswith("VmSize:"))
    return int(line.split()[1]) // 1024


def test_extraction_out_of_memory_fails_that_page_and_the_next_one_works() -> None:
    # With a thread running, extraction workers come from the forkserver, as _worker_size_mb's:
    # one forked from this test process would start as big as it is.
    running = threading.Event()
    threading.Thread(target=running.wait, daemon=True).start()
    try:
        tight = pipeline.Options(extract=ExtractLimits(memory_mb=_worker_size_mb() + 64))
        with pytest.raises(InputError, match=r"extracting http://x\.example/big needed more"):
            pipeline.script_from_page(Page(html=SLOW_PAGE, url="http://x.example/big"), tight)
        script = pipeline.script_from_page(Page(html=page(*ARTICLES["river"])), tight)
        assert script.title == "River levels rise in the valley"
    finally:
        running.set()


def test_extraction_errors_keep_their_message() -> None:
    opts = pipeline.Options()
    with pytest.raises(InputError, match="binary data"):
        pipeline.script_from_page(Page(html="\x00\x01\x02" * 100, url="http://x.example/b"), opts)


# ffmpeg: no shell, no stdin, a timeout, and stderr in the error


def test_ffmpeg_failure_says_what_ffmpeg_said(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="No such file"):
        ffmpeg.run(["-i", str(tmp_path / "missing.wav"), "-f", "null", "-"])


def test_ffmpeg_arguments_never_reach_a_shell(tmp_path: Path) -> None:
    evil = tmp_path / "x.wav; touch pwned $(touch pwned2)"
    with pytest.raises(AudioError):
        ffmpeg.run(["-i", str(evil), "-f", "null", "-"])
    assert not (tmp_path / "pwned").exists() and not Path("pwned2").exists()


def test_ffmpeg_never_waits_on_stdin_and_is_timed_out() -> None:
    # Reading "-" gets the end of an empty stdin at once rather than waiting for a terminal.
    ffmpeg.run(["-f", "s16le", "-ar", "22050", "-i", "-", "-f", "null", "-"], timeout=60)
    with pytest.raises(AudioError, match=r"^ffmpeg timed out after 1 s: .* anullsrc "):
        ffmpeg.run(["-f", "lavfi", "-i", "anullsrc", "-f", "null", "-"], timeout=1)
    assert not _children_running("anullsrc"), "the timed-out ffmpeg was left running"


def _children_running(arg: str) -> list[int]:
    """This process's child processes with `arg` on their command line."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue  # not a process, or it ended while we looked
        if ppid == os.getpid() and arg.encode() in argv:
            found.append(int(proc.name))
    return found


# a full disk: the item fails, the previous feed, files and database stay


def _snapshot(out: Path) -> dict[str, bytes]:
    """The published files: all but the database and the lock, which a run rewrites."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not p.name.startswith("state.db") and p.name != LOCK_NAME
    }


def _rows(out: Path) -> dict[str, tuple[str, str | None]]:
    with State.open(out) as db:
        return {i.guid: (i.status, i.audio) for i in db.items()}


@pytest.mark.parametrize("target", [".mp3", ".vtt", "feed.xml"])
def test_no_space_left_fails_the_item_and_keeps_what_was_published(
    site: Site, tmp_path: Path, monkeypatch, target: str
) -> None:
    site.add("bridge", 1)
    cfg = config(site.feed_url, tmp_path / "pod")
    assert batch.run(cfg).exit_code == 0
    before, rows = _snapshot(cfg.out), _rows(cfg.out)
    [bridge] = read_feed(cfg.out)
    stem = bridge.audio.removesuffix(".mp3")
    published = {"feed.xml", "cover.png", bridge.audio, bridge.transcript, bridge.chapters}
    published |= {stem + ".srt", stem + ".transcript.json"}
    assert (cfg.out / LOCK_NAME).is_file() and set(before) == published

    site.add("river", 2)
    real_replace = os.replace

    def full_disk(src: object, dst: object, *args: object, **kw: object) -> None:
        if str(dst).endswith(target):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
        real_replace(src, dst, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", full_disk)
    now = datetime(2024, 6, 1, tzinfo=UTC)
    if target == "feed.xml":
        with pytest.raises(NarrateError, match="No space left on device"):
            batch.run(cfg, now=now)
    else:
        summary = batch.run(cfg, now=now)
        [river] = [i for i in summary.items if i.title.startswith("River")]
        assert river.outcome == "failed" and "No space left on device" in river.detail
    monkeypatch.setattr(os, "replace", real_replace)

    assert (cfg.out / "feed.xml").read_bytes() == before["feed.xml"]
    after = _snapshot(cfg.out)
    assert {k: v for k, v in after.items() if k in before} == before
    assert not [p for p in cfg.out.rglob("*.part")]
    assert {g: r for g, r in _rows(cfg.out).items() if g in rows} == rows

    # Space again: the next run (after the retry delay) publishes the item.
    again = batch.run(cfg, now=now + timedelta(days=1))
    assert again.exit_code == 0, again
    assert [p.title for p in read_feed(cfg.out)] == [
        "River levels rise in the valley",
        "Bridge reopens after repairs",
    ]


# kill -9 at exact points: the standard library's os.replace kills the run before or after a write


KILL_AT = {
    "synthesis": ("/clips/", "before"),
    "audio written": (".mp3", "after"),
    "transcript written": (".vtt", "after"),
    "feed about to be written": ("feed.xml", "before"),
    "feed written": ("feed.xml", "after"),
}
"""Stage → (a path ending or part that os.replace writes, kill before or after the rename)."""

KILLER = """
import os, signal, sys
from pathlib import Path
part, when = sys.argv[3], sys.argv[4]
real = os.replace
def replace(src, dst, *a, **kw):
    hit = part in str(dst) or str(dst).endswith(part)
    if hit and when == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    real(src, dst, *a, **kw)
    if hit:
        os.kill(os.getpid(), signal.SIGKILL)
os.replace = replace
from narrate.feed import batch
from narrate.config import Channel, FetchLimits
batch.run(batch.BatchConfig(feeds=(sys.argv[1],), out=Path(sys.argv[2]), base_url=%r,
    disclaimer=None, workers=1, channel=Channel(owner_email="ann@valley.example"),
    limits=FetchLimits(allow_private=True, timeout_s=5.0)))
"""


def _shape(items: list[Published]) -> list[Published]:
    return [replace(i, length=0) for i in items]


@pytest.mark.slow
def test_kill_9_at_each_write_then_rerun_gives_the_clean_feed(site: Site, tmp_path: Path) -> None:
    site.add("bridge", 1)
    site.add("school", 2)
    expected = _shape(_clean_run(site, tmp_path / "clean"))
    for stage, (part, when) in KILL_AT.items():
        out = tmp_path / stage.replace(" ", "-")
        env = dict(os.environ)
        if stage == "synthesis":  # a cold clip cache, so that synthesis writes clips
            env["NARRATE_CACHE_DIR"] = str(tmp_path / "cold-cache")
        proc = subprocess.run(
            [sys.executable, "-c", KILLER % BASE_URL, site.feed_url, str(out), part, when],
            env=env,
            cwd=ROOT,
            timeout=300,
            check=False,
            capture_output=True,
        )
        assert proc.returncode == -signal.SIGKILL, (stage, proc.stderr.decode()[-2000:])
        rerun = batch.run(config(site.feed_url, out))
        assert rerun.exit_code == 0, (stage, rerun)
        assert _shape(read_feed(out)) == expected, stage
        again = batch.run(config(site.feed_url, out))
        assert again.narrated == 0 and _shape(read_feed(out)) == expected, stage


def _clean_run(site: Site, out: Path) -> list[Published]:
    assert batch.run(config(site.feed_url, out)).exit_code == 0
    return read_feed(out)
