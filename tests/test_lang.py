"""Tests for the shared language rules: tag parsing and the standard disclaimer per language."""

from __future__ import annotations

import pytest

from narrate.config import DISCLAIMER
from narrate.speech.disclaimer import DISCLAIMERS, disclaimer_for
from narrate.speech.lang import primary_subtag


@pytest.mark.parametrize(
    ("tag", "primary"),
    [
        ("en", "en"),
        ("en-US", "en"),
        ("en_GB", "en"),
        (" EN ", "en"),
        ("pt-BR", "pt"),
        ("zh-Hant-TW", "zh"),
        ("gsw_CH", "gsw"),
        ("", ""),
    ],
)
def test_primary_subtag(tag: str, primary: str) -> None:
    assert primary_subtag(tag) == primary


@pytest.mark.parametrize(("tag", "code"), [("de-AT", "de"), ("pt_BR", "pt"), ("FR", "fr")])
def test_disclaimer_in_the_article_language(tag: str, code: str) -> None:
    assert disclaimer_for(tag) == DISCLAIMERS[code] != DISCLAIMER


@pytest.mark.parametrize("tag", ["en-US", "ja", "xx", ""])
def test_disclaimer_falls_back_to_english(tag: str) -> None:
    assert disclaimer_for(tag) == DISCLAIMER
