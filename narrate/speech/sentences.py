"""Sentence splitting that keeps abbreviations, initials and quotations intact."""

from __future__ import annotations

import re

from narrate.speech.lang import CLOSERS, LanguageRules
from narrate.speech.registry import rules_for

_OPENERS = "\"'“‘„«‹([{¿¡*"
_TERMINALS = frozenset(".!?‽…")
_DOTTED = re.compile(r"(?:[^\W\d_]{1,3}\.)+[^\W\d_]{1,3}\.?")
_QUOTES = frozenset('"“”„«»‹›')
_QUOTE_OPEN_AFTER = frozenset(" ([{—–-/")
_MAX_PROTECTED_QUOTE = 400


def split_sentences(text: str, lang: str = "en") -> list[str]:
    """Split cleaned text into sentences, keeping abbreviations like U.S. and Dr. intact."""
    if not text:
        return []
    rules = rules_for(lang)
    tokens = text.split(" ")
    protected = _quote_spans(text)
    parts: list[str] = []
    start = pos = 0
    for i in range(len(tokens) - 1):
        pos += len(tokens[i])
        if not any(a < pos < b for a, b in protected) and _ends_sentence(
            tokens[i], tokens[i + 1], rules
        ):
            parts.append(text[start:pos])
            start = pos + 1
        pos += 1
    parts.append(text[start:])
    return [p for p in parts if p]


def _quote_spans(text: str) -> list[tuple[int, int]]:
    """Spans of matched double quotes; sentences inside a quotation stay together."""
    if not any(q in text for q in _QUOTES):
        return []
    spans: list[tuple[int, int]] = []
    stack: list[int] = []
    for i, ch in enumerate(text):
        if ch not in _QUOTES:
            continue
        if i == 0 or text[i - 1] in _QUOTE_OPEN_AFTER:
            stack.append(i)
        elif stack:
            start = stack.pop()
            if i - start <= _MAX_PROTECTED_QUOTE:
                spans.append((start, i))
    return spans


def _first_word(token: str) -> str:
    word = token.lstrip(_OPENERS)
    return re.split(r"[^\w'’-]", word, maxsplit=1)[0]


def _starts_sentence(token: str) -> bool:
    word = token.lstrip(_OPENERS + "—–-")
    return bool(word) and (word[0].isupper() or word[0].isdigit())


def _ends_sentence(token: str, following: str, rules: LanguageRules) -> bool:
    core = token.rstrip(CLOSERS)
    if not core or core[-1] not in _TERMINALS or not _starts_sentence(following):
        return False
    nxt = _first_word(following)
    if core[-1] in "!?‽":
        return True
    if core.endswith(("…", "..")):
        return nxt in rules.openers
    word = core[:-1].lstrip(_OPENERS)
    if not word:
        return True
    low = word.lower()
    if low in rules.never_final:
        return False
    if low in rules.before_number and nxt[:1].isdigit():
        return False
    if len(word) == 1 and word.isalpha() and word.isupper():
        return False  # an initial: "Donald J. Trump"
    if (
        low in rules.maybe_final
        or (_DOTTED.fullmatch(word) and "." in word)
        or (rules.ordinal_dot and word.isdigit() and len(word) <= 2)
    ):
        return nxt in rules.openers
    return True
