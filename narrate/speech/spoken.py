"""Spoken text: what the voice receives for a sentence, through its language's rewrite steps."""

from __future__ import annotations

import logging
import re

from narrate.speech.clean import clean
from narrate.speech.lang import CLOSERS
from narrate.speech.registry import rules_for

log = logging.getLogger(__name__)


def to_spoken(sentence: str, lang: str = "en") -> str:
    """What the TTS receives for one sentence: numbers, symbols and abbreviations in words."""
    rules = rules_for(lang)
    text = clean(sentence)
    spoken = text
    for step in rules.steps:
        try:
            spoken = step(spoken, rules)
        except Exception as exc:  # a rule failing on odd text must not stop a narration
            # Users see warnings by default: one line; the traceback is for --debug.
            log.warning(
                "spoken-text step %s skipped on %r: %s: %s",
                step.__name__,
                text,
                type(exc).__name__,
                exc,
            )
            log.debug("step %s failed", step.__name__, exc_info=True)
    return _finish(spoken, text)


_FINAL_FIXES = (
    (re.compile(r"\[+"), "("),
    (re.compile(r"\]+"), ")"),
    (re.compile(r"\s+"), " "),
    (re.compile(r" +([,.;:!?…)])"), r"\1"),
    (re.compile(r"([(“‘«¿¡]) +"), r"\1"),
    (re.compile(r"\( *\)"), ""),
    (re.compile(r",(?:\s*,)+"), ","),
)


def _finish(spoken: str, original: str) -> str:
    for pattern, replacement in _FINAL_FIXES:
        spoken = pattern.sub(replacement, spoken)
    spoken = spoken.strip(" ,;")
    # A rewrite may have eaten the full stop of a final abbreviation ("the U.S.", "5 p.m.").
    end = original.rstrip(CLOSERS)
    if spoken and end and end[-1] in ".!?" and spoken.rstrip(CLOSERS)[-1:] not in ".!?…:":
        spoken += end[-1]
    return spoken
