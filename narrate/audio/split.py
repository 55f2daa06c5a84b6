"""Long text in pieces Piper can render: memory grows with the length of one utterance."""

from __future__ import annotations

import re
from collections.abc import Sequence

SPLIT_CHARS = 400
"""Longer sentences are split at clauses, then words: memory grows with utterance length."""

_CLAUSE = re.compile(r"(?<=[,;:)])\s+|\s+(?=[—–(])|(?<=[—–])\s+")


def speakable(text: str) -> bool:
    """True when the text has something to say: a letter or a digit."""
    return any(ch.isalnum() for ch in text)


def split_long(text: str, limit: int = SPLIT_CHARS) -> list[str]:
    """Pieces of at most `limit` characters, cut at clause boundaries, else between words."""
    text = text.strip()
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    for clause in _CLAUSE.split(text):
        pieces.extend([clause] if len(clause) <= limit else _split_words(clause, limit))
    return [p for p in _pack(pieces, limit) if speakable(p)]


def _split_words(text: str, limit: int) -> list[str]:
    words: list[str] = []
    for word in text.split():
        words.extend(word[i : i + limit] for i in range(0, len(word), limit))
    return _pack(words, limit)


def _pack(pieces: Sequence[str], limit: int) -> list[str]:
    out: list[str] = []
    for piece in pieces:
        if out and len(out[-1]) + 1 + len(piece) <= limit:
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out
