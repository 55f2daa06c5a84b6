"""A synthesis pool shared by narrations at once: lanes take turns, and a lane that leaves costs
nothing more. One real worker (Piper) makes the order of answers the order of hand-over."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future, wait

import pytest

from narrate.audio import voices
from narrate.audio.executor import LocalExecutor
from narrate.audio.job import Job
from narrate.audio.lanes import SharedExecutor
from narrate.models import Clip


@pytest.fixture(scope="module")
def shared() -> Iterator[SharedExecutor]:
    executor = SharedExecutor(LocalExecutor(1), depth=1)
    yield executor
    executor.close()


def job(text: str) -> Job:
    model = voices.resolve_model("joe")
    return Job(model, str(model.onnx), False, voices.load_profile().delivery("narration"), text)


def answered_in_order(futures: dict[str, Future[Clip]]) -> list[str]:
    order: list[str] = []
    lock = threading.Lock()
    for name, future in futures.items():

        def note(_: Future[Clip], name: str = name) -> None:
            with lock:
                order.append(name)

        future.add_done_callback(note)
    wait(list(futures.values()), timeout=120)
    return order


def test_a_second_narration_is_not_queued_behind_the_whole_first(shared: SharedExecutor) -> None:
    first, second = shared.lane(), shared.lane()
    futures = {f"a{i}": first.submit(job(f"Sentence {i} of the long read.")) for i in range(5)}
    futures |= {f"b{i}": second.submit(job(f"Sentence {i} of the short one.")) for i in range(2)}
    order = answered_in_order(futures)
    # a0 went straight to the worker; then the lanes took turns.
    assert order == ["a0", "a1", "b0", "a2", "b1", "a3", "a4"]
    assert all(isinstance(f.result(), Clip) for f in futures.values())


def test_a_lane_that_closes_drops_what_it_had_not_sent(shared: SharedExecutor) -> None:
    leaving, staying = shared.lane(), shared.lane()
    gone = [leaving.submit(job(f"Words {i} nobody will hear.")) for i in range(4)]
    kept = [staying.submit(job(f"Words {i} somebody hears.")) for i in range(2)]
    leaving.close()
    wait(kept, timeout=120)
    assert isinstance(gone[0].result(timeout=120), Clip)  # it was with the worker already
    assert [f.cancelled() for f in gone[1:]] == [True, True, True]
    assert all(isinstance(f.result(), Clip) for f in kept)


def test_a_job_cancelled_while_it_waits_is_skipped(shared: SharedExecutor) -> None:
    lane = shared.lane()
    futures = [lane.submit(job(f"Line {i} of a short test.")) for i in range(3)]
    assert futures[1].cancel()
    assert isinstance(futures[2].result(timeout=120), Clip)
    assert isinstance(futures[0].result(), Clip) and futures[1].cancelled()
