"""Boundary cleaning of text that comes from the outside: pages, feeds, lexicons."""

from __future__ import annotations

import re
import unicodedata

_WHITESPACE_CONTROLS = frozenset("\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85")
_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """Boundary cleaning: NFC, no control/format/bidi characters, collapsed white space."""
    if not text.isascii() or not text.isprintable():
        chars = []
        for ch in text:
            if ch in _WHITESPACE_CONTROLS:
                chars.append(" ")
            elif unicodedata.category(ch)[0] != "C":
                chars.append(ch)
        text = unicodedata.normalize("NFC", "".join(chars))
    return _SPACES.sub(" ", text).strip()


_NOT_ALNUM = re.compile(r"[\W_]+")


def comparison_key(text: str) -> str:
    """Text reduced for comparing: lower-case letters and digits only."""
    return _NOT_ALNUM.sub("", text.lower())
