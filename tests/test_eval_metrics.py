"""The eval harness's scores: the scrapinghub shingle metric and the narration-set checks."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


EVAL = _script("eval_extract")
NARRATION = _script("eval_narration")


def test_shingles_are_four_word_runs_with_counts() -> None:
    # "a b c d e" has two 4-shingles; the repeated text doubles one of them.
    assert EVAL.shingle_counts("a b c d e", "a b c d e") == (1.0, 0.0, 0.0)
    tp, fp, fn = EVAL.shingle_counts("a b c d a b c d", "a b c d")
    assert (tp, fp, fn) == pytest.approx((1 / 5, 4 / 5, 0.0))


def test_tokens_are_word_runs_and_punctuation_does_not_count() -> None:
    assert EVAL.shingle_counts("One, two; three — four!", "one two three four")[0] == 0.0
    assert EVAL.shingle_counts("One, two; three — four!", "One two three four") == (1.0, 0.0, 0.0)


def test_precision_and_recall_are_means_over_pages_and_f1_comes_from_them() -> None:
    pages = [(0.5, 0.5, 0.0), (1.0, 0.0, 0.0), (0.0, 0.0, 1.0)]
    p, r, f = EVAL.benchmark_prf(pages)
    # Page 3 has nothing narrated: left out of precision, counted (0) in recall.
    assert p == pytest.approx((0.5 + 1.0) / 2)
    assert r == pytest.approx((1.0 + 1.0 + 0.0) / 3)
    assert f == pytest.approx(2 * p * r / (p + r))


def test_snippet_scores_count_kept_and_leaked_snippets() -> None:
    row = {"expected_with": ["kept text", "lost text"], "expected_without": ["junk here"]}
    assert EVAL.snippet_counts("the kept   text and junk here", row) == (1, 1, 1, 0)


def test_heading_order_is_a_longest_common_subsequence() -> None:
    assert NARRATION._in_order(["A", "X", "B", "C"], ["A", "B", "C"]) == 3
    assert NARRATION._in_order(["C", "B", "A"], ["A", "B", "C"]) == 1


def test_order_needs_every_string_after_the_one_before() -> None:
    assert NARRATION._ordered("one two three", ["one", "three"])
    assert not NARRATION._ordered("one two three", ["three", "one"])
    assert not NARRATION._ordered("one two three", ["one", "four"])
