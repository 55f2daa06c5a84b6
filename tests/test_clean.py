"""Tests for boundary cleaning."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from narrate.speech.clean import clean, comparison_key

CLEAN_CASES = [
    ("  hello   world \n", "hello world"),
    ("tab\there\nnew", "tab here new"),
    ("zero\u200bwidth", "zerowidth"),
    ("bidi \u202eevil\u202c text", "bidi evil text"),
    ("isolate \u2066x\u2069", "isolate x"),
    ("\ufeffBOM at start", "BOM at start"),
    ("nul\x00byte", "nulbyte"),
    ("bell\x07", "bell"),
    ("lone \ud800 surrogate", "lone surrogate"),
    ("e\u0301 composed", "é composed"),
    ("non\u00a0breaking\u2003spaces", "non breaking spaces"),
    ("soft\u00adhyphen", "softhyphen"),
    ("line\u2028separator", "line separator"),
    ("", ""),
    ("\n\t ", ""),
]


@pytest.mark.parametrize(("raw", "expected"), CLEAN_CASES)
def test_clean(raw: str, expected: str) -> None:
    assert clean(raw) == expected


@given(st.text())
def test_clean_is_safe_and_idempotent(text: str) -> None:
    cleaned = clean(text)
    assert clean(cleaned) == cleaned
    assert cleaned == cleaned.strip()
    assert "  " not in cleaned
    assert not re.search(r"[\x00-\x1f\x7f\u200b\u202a-\u202e\u2066-\u2069\ufeff]", cleaned)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("The U.S. — a “Review”!", "theusareview"),
        ("snake_case and 42", "snakecaseand42"),
        ("Ünïcode Straße", "ünïcodestraße"),
        ("—…", ""),
    ],
)
def test_comparison_key(text: str, key: str) -> None:
    assert comparison_key(text) == key


def test_line_breaks_separate_words() -> None:
    assert clean("one\ntwo\r\nthree\u2029four") == "one two three four"
