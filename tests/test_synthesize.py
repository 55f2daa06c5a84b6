"""Synthesis with the real joe voice: splitting, refusal, word timings, the worker pool, quotes."""

from __future__ import annotations

import dataclasses
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from narrate import worker_process, workers
from narrate.audio import preloaded, voices
from narrate.audio.ahead import Ahead
from narrate.audio.audition import check_profile, say
from narrate.audio.cache import ClipCache
from narrate.audio.engine import Engine
from narrate.audio.executor import LocalExecutor, worker_init
from narrate.audio.job import Job
from narrate.audio.measure import median_f0, recognise, recogniser, word_errors
from narrate.audio.split import speakable, split_long
from narrate.audio.synthesize import synthesize, to_synthesise
from narrate.errors import SynthesisError, VoiceError
from narrate.models import Chapter, Clip, Delivery, Role, Script, Segment, Sentence

LONG = " ".join(
    [
        "The delegation, which had travelled overnight from Kyiv, arrived in Istanbul on",
        "Thursday morning; its members, officials said, were ready to discuss a ceasefire, the",
        "exchange of prisoners, the return of children taken to Russia, and the safety of",
        "shipping in the Black Sea, although none of them expected the Russian side to agree to",
        "more than a further meeting, and several warned that the talks could collapse within",
        "hours if Moscow sent only junior officials to the table, as it had done in the spring,",
        "when the last round ended after a single afternoon without any agreement at all on the",
        "questions that mattered most to the families of soldiers.",
    ]
)


def _script(*segments: tuple[Role, list[str]]) -> Script:
    built = tuple(Segment(role, tuple(Sentence(t, t) for t in texts)) for role, texts in segments)
    return Script(title="t", chapters=(Chapter("c", built),))


def _tokens(text: str) -> list[str]:
    return [w for w in re.findall(r"[\w'’-]+", text) if speakable(w)]


@pytest.mark.parametrize(
    ("text", "limit", "pieces"),
    [
        ("Short enough.", 400, ["Short enough."]),
        ("one, two, three, four", 9, ["one, two,", "three,", "four"]),
        ("alpha beta gamma delta", 11, ["alpha beta", "gamma delta"]),
        ("a; b: c (d) — e", 6, ["a; b:", "c (d)", "— e"]),
        ("x" * 25, 10, ["x" * 10, "x" * 10, "x" * 5]),
    ],
)
def test_split_long_cuts_at_clauses_then_words(text: str, limit: int, pieces: list[str]) -> None:
    assert split_long(text, limit) == pieces


def test_split_long_keeps_every_word_of_a_long_sentence() -> None:
    parts = split_long(LONG)
    assert len(parts) >= 2 and all(len(p) <= 400 for p in parts)
    assert " ".join(parts).split() == LONG.split()


@pytest.mark.parametrize("text", ["", "   ", "— … !", "“”"])
def test_unspeakable_text_never_reaches_piper(text: str, clip_cache: ClipCache) -> None:
    profile = voices.load_profile()
    with pytest.raises(SynthesisError, match="nothing to speak"):
        say(text, profile)
    script = _script(("narration", ["Fine.", text, "Also fine."]))
    with pytest.raises(SynthesisError, match="nothing to speak"):
        synthesize(script, profile, cache=clip_cache)
    assert clip_cache.info()[0] == 0  # refused before anything was synthesised


def test_say_gives_word_timings_in_order() -> None:
    text = "The president said the talks in Istanbul would continue."
    clip = say(text, voices.load_profile())
    assert clip.sample_rate == 22050 and clip.samples.dtype == np.float32
    assert [w.text for w in clip.words] == _tokens(text)
    starts = [w.start_ms for w in clip.words]
    assert starts == sorted(starts) and clip.words[-1].end_ms <= clip.duration_ms
    assert all(w.end_ms > w.start_ms for w in clip.words)


def test_a_long_sentence_is_split_for_piper_and_joined_into_one_clip(
    clip_cache: ClipCache,
) -> None:
    (clips,) = synthesize(_script(("narration", [LONG])), voices.load_profile(), cache=clip_cache)
    (clip,) = clips
    assert clip.duration_ms > 25_000
    assert [w.text for w in clip.words] == _tokens(LONG)
    ends = [w.end_ms for w in clip.words]
    assert ends == sorted(ends) and ends[-1] <= clip.duration_ms


def test_parallel_synthesis_keeps_script_order(clip_cache: ClipCache) -> None:
    texts = [
        "Yes.",
        "The minister arrived late on Thursday evening.",
        "No.",
        "Markets in Europe rose sharply after the announcement was made in the capital.",
        "Talks resume today.",
        "He said nothing.",
    ]
    done: list[int] = []
    result = synthesize(
        _script(("narration", texts[:3]), ("quote", texts[3:])),
        voices.load_profile(),
        workers=2,
        cache=clip_cache,
        progress=lambda d, t, _: done.append(d),
    )
    assert [len(seg) for seg in result] == [3, 3]
    clips = [c for seg in result for c in seg]
    for text, clip in zip(texts, clips, strict=True):
        assert [w.text for w in clip.words] == _tokens(text)
    assert done == sorted(done) and done[-1] == 6


# Task functions for the pool; module level so the worker processes can import them.


def _die_once(engine: Engine, job: Job) -> Clip:
    """Render, but the first time a marked sentence comes up, kill this worker mid-job."""
    marker = Path(job.text.split("@")[1]) if "@" in job.text else None
    if marker and not marker.exists():
        marker.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return engine.render(dataclasses.replace(job, text=job.text.split("@")[0]))


def _echo_init(arg: object) -> object:
    return arg


def _behave(state: object, task: str) -> str:
    if task == "segfault":
        os.kill(os.getpid(), signal.SIGSEGV)
    if task == "hang":
        time.sleep(60)
    if task == "raise":
        raise SynthesisError("bad text")
    return task.upper()


def test_a_worker_killed_mid_job_costs_only_a_retry(tmp_path: Path) -> None:
    model = voices.resolve_model("joe")
    delivery = voices.load_profile().delivery("narration")
    texts = ["First one.", f"The doomed sentence.@{tmp_path / 'killed'}", "Third.", "Fourth one."]
    jobs = [Job(model, str(model.onnx), False, delivery, t) for t in texts]
    results = workers.run(
        jobs, init=worker_init, init_arg=[], work=_die_once, processes=2, timeout_s=60
    )
    assert (tmp_path / "killed").exists()  # a worker really died
    assert all(isinstance(r, Clip) and len(r.samples) > 0 for r in results)
    assert results[1].duration_ms > results[2].duration_ms  # the retried one, in its place


def _pid(_state: object, _task: int) -> int:
    return os.getpid()


def test_a_worker_is_renewed_after_max_tasks_and_every_task_is_answered() -> None:
    with workers.Pool(init=_echo_init, init_arg=None, work=_pid, processes=1, max_tasks=2) as pool:
        pids = [pool.submit(i).result(timeout=60) for i in range(5)]
    assert len(pids) == 5 and all(isinstance(p, int) for p in pids)
    assert [len(set(pids[i : i + 2])) for i in (0, 2, 4)] == [1, 1, 1]  # two each, then a new one
    assert len(set(pids)) == 3


def _resident(_state: object, _task: int) -> int:
    return worker_process.resident(os.getpid())


def _hoard(held: list[bytes], mb: int) -> int:
    held.append(b"x" * (mb << 20))  # written, so resident
    return os.getpid()


def _fresh_list(_arg: object) -> list[bytes]:
    return []


def test_a_worker_that_grows_past_renew_bytes_is_renewed_after_its_tenth_answer() -> None:
    with workers.Pool(init=_echo_init, init_arg=None, work=_resident, processes=1) as pool:
        start = pool.submit(0).result(timeout=60)
    assert start > 0
    limit = start + 100 * 2**20  # passed at the seventh answer: 7 x 16 MB held
    with workers.Pool(
        init=_fresh_list, init_arg=None, work=_hoard, processes=1, renew_bytes=limit
    ) as pool:
        pids = [pool.submit(16).result(timeout=60) for _ in range(12)]
    assert workers.RENEW_MIN_TASKS == 10
    assert len(set(pids[:10])) == 1  # over the limit from the seventh, but ten come first
    assert pids[10] != pids[9] and pids[10] == pids[11]


_PROBE = (
    "import narrate.audio.preloaded; from narrate.audio import engine; print(*engine._INHERITED)"
)


def test_a_voice_offered_to_a_forkserver_loads_in_it_and_in_no_other_process() -> None:
    model = voices.resolve_model("joe")
    env = {**os.environ, **preloaded.environment([(model, str(model.onnx))])}
    started_here = [sys.executable, "-c", _PROBE]  # a child of this process, as its forkserver
    started_by_another = ["sh", "-c", '"$0" "$@"; true', *started_here]  # a grandchild
    loaded = [
        subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
        for cmd in (started_here, started_by_another)
    ]
    assert loaded == [f"('{model.onnx}', '{model.fingerprint}')\n", "\n"]
    assert preloaded.ENV not in os.environ
    garbled = {**env, preloaded.ENV: '{"parent": 1'}  # the forkserver still starts, empty
    run = subprocess.run(started_here, env=garbled, capture_output=True, check=True)
    assert run.stdout == b"\n"


def test_synthesis_workers_start_with_the_voice_their_forkserver_loaded(tmp_path: Path) -> None:
    page = tmp_path / "news.html"
    page.write_text(
        "<html><head><title>Small news</title></head><body><article><h1>Small news</h1>"
        "<p>The council met on Tuesday and agreed to open the library on Sundays.</p>"
        "<p>Residents welcomed it.</p></article></body></html>"
    )
    cmd = [
        sys.executable,
        "-m",
        "narrate",
        "-vv",
        "article",
        str(page),
        "-o",
        str(tmp_path / "n.mp3"),
    ]
    env = {**os.environ, "NARRATE_CACHE_DIR": str(tmp_path / "cache")}
    log = subprocess.run(
        [*cmd, "--workers", "2", "--no-cover"], env=env, capture_output=True, text=True, check=True
    ).stderr
    assert len(re.findall(r"started worker \d+ \(forkserver\)", log)) == 2
    assert "narrate.audio.engine: loaded" not in log  # neither worker loaded a model itself
    assert ", 1 chapter, " in log  # and the summary counts in English
    assert (tmp_path / "n.mp3").stat().st_size > 0


def test_jobs_queued_ahead_are_handed_to_the_stream_that_asks_for_them(
    clip_cache: ClipCache,
) -> None:
    model = voices.resolve_model("joe")
    delivery = voices.load_profile().delivery("narration")

    def job(text: str) -> Job:
        return Job(model, str(model.onnx), False, delivery, text)

    ahead = Ahead(LocalExecutor(1), clip_cache)
    try:
        early, made = ahead.queue(0, [job("One."), job("Two.")])
        assert ahead.queue(0, [job("One.")]) == [early]  # queued once
        assert ahead.submit(job("One.")) is early
        assert isinstance(early.result(timeout=60), Clip)
        again = ahead.submit(job("One."))  # handed out once: asked again, it is made again
        assert again is not early and again.result(timeout=60).duration_ms > 0
        made.result(timeout=60)
        ahead.release(0)  # its item never asked for "Two.": kept, not lost
        assert clip_cache.has(job("Two.").key) and ahead.unclaimed() == 0
        unasked = ahead.queue(1, [job(f"Number {n}.") for n in range(4)])
    finally:
        ahead.close()
    assert sum(f.cancelled() for f in unasked) >= 3  # one worker: at most one had started
    with pytest.raises(SynthesisError, match="closed"):
        ahead.submit(job("Late."))


def test_a_stream_claims_every_sentence_queued_ahead_for_its_script(
    clip_cache: ClipCache,
) -> None:
    profile = voices.load_profile()
    script = _script(("narration", ["A first sentence here.", "And a second one."]))
    ahead = Ahead(LocalExecutor(2), clip_cache)
    try:
        queued = ahead.queue(0, to_synthesise(script, profile, clip_cache))
        assert len(queued) == 2  # none cached yet
        clips = synthesize(script, profile, cache=clip_cache, executor=ahead)
        assert ahead.unclaimed() == 0  # each one the stream asked for was the one queued
    finally:
        ahead.close()
    assert all(f.done() and not f.cancelled() for f in queued) and len(clips[0]) == 2


def test_the_pool_isolates_crashes_hangs_and_errors() -> None:
    tasks = ["a", "segfault", "b", "hang", "raise", "c"]
    seen: list[int] = []
    results = workers.run(
        tasks,
        init=_echo_init,
        init_arg=None,
        work=_behave,
        processes=2,
        timeout_s=1.0,
        on_done=lambda i, r: seen.append(i),
    )
    assert [results[i] for i in (0, 2, 5)] == ["A", "B", "C"]
    crash, hang, raised = results[1], results[3], results[4]
    assert isinstance(crash, workers.Failure) and crash.crashed and "died" in crash.message
    assert isinstance(hang, workers.Failure) and hang.crashed and "timed out" in hang.message
    assert isinstance(raised, workers.Failure) and not raised.crashed
    assert [f.timed_out for f in (crash, hang, raised)] == [False, True, False]
    assert isinstance(raised.error, SynthesisError)
    assert sorted(seen) == list(range(6))


def test_a_sentence_that_keeps_failing_is_reported_with_its_text(clip_cache: ClipCache) -> None:
    cache = clip_cache
    script = _script(("narration", ["Short one.", LONG * 3, "Short two."]))
    with pytest.raises(SynthesisError, match=r"timed out after 1\.5 s.*The delegation, which"):
        synthesize(script, voices.load_profile(), workers=2, cache=cache, timeout_s=1.5)
    assert cache.info()[0] == 2  # the others were kept


# Quote distinctness: median F0 and recognisability, measured on the same sentences.

SENTENCES = [
    "The president said the talks in Istanbul would continue next week.",
    "We are ready for a ceasefire, but the killing must stop first.",
    "Officials in Moscow did not respond to a request for comment.",
    "This war can end only when the aggressor understands it cannot win.",
    "The minister promised new money for schools and hospitals in the north.",
    "Prices rose again last month, and families are feeling the pressure.",
    "We will announce it when the president deems it necessary.",
    "The storm closed roads across the region and left thousands without power.",
    "Nobody expected the vote to be this close, the senator told reporters.",
    "It will be the last signal that they do not want to end this war.",
]
"""Enough words (about 120) that a recogniser's word error rate is steady between syntheses."""


def test_quotes_sound_distinct_yet_stay_intelligible() -> None:
    profile = voices.load_profile()
    decoder = recogniser()
    stats = {}
    for role in ("narration", "quote"):
        clips = [say(s, profile, role) for s in SENTENCES]
        f0 = median_f0(np.concatenate([c.samples for c in clips]), 22050)
        errors = [
            word_errors(s, recognise(c, decoder)) for s, c in zip(SENTENCES, clips, strict=True)
        ]
        stats[role] = (f0, sum(e for e, _ in errors) / sum(n for _, n in errors))
    (f0_n, wer_n), (f0_q, wer_q) = stats["narration"], stats["quote"]
    assert abs(f0_q - f0_n) / f0_n >= 0.10, stats
    assert wer_q <= wer_n + 0.1, stats


def test_check_profile_reports_every_role() -> None:
    rows = check_profile(voices.load_profile())
    assert [r for r, _, _ in rows] == ["disclaimer", "title", "heading", "narration", "quote"]
    assert all(ok for _, ok, _ in rows), rows
    quote = dict((r, m) for r, _, m in rows)["quote"]
    assert "en_US-joe-medium" in quote and "pitch +3 st" in quote
    broken = dataclasses.replace(
        voices.load_profile(),
        deliveries={
            **voices.load_profile().deliveries,
            "title": Delivery(model="xx_XX-missing-low"),
            "quote": Delivery(speaker_id=4),
        },
    )
    bad = {r: m for r, ok, m in check_profile(broken) if not ok}
    assert set(bad) == {"title", "quote"}
    assert "piper.download_voices xx_XX-missing-low" in bad["title"]
    assert "speaker_id 4 is out of range" in bad["quote"]
    with pytest.raises(VoiceError, match="out of range"):
        say("Hello.", broken, "quote")
