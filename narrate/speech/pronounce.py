"""What espeak-ng makes of words: those it would guess, and one word with and without a lexicon."""

from __future__ import annotations

import collections
import re
from collections.abc import Iterator

from narrate.models import Script
from narrate.speech import espeak as espeak_dict
from narrate.speech.lang import primary_subtag
from narrate.speech.lexicon import APOSTROPHES, Lexicon, is_acronym
from narrate.speech.lexicon_file import load_lexicon
from narrate.speech.spoken import to_spoken

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def _words(text: str) -> Iterator[tuple[str, bool]]:
    """Words of one sentence with whether each starts the sentence (or a quotation)."""
    first = True
    for match in _WORD.finditer(text):
        word = match.group()
        if word[-2:-1] in APOSTROPHES and word[-1:] in "sS":
            word = word[:-2]
        yield word, first
        first = False


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper()


def _known(word: str, lang: str, lower_words: set[str], lexicon: Lexicon | None) -> bool:
    lower = word.lower()
    if len(word) < 2 or lower in lower_words:
        return True
    if lexicon is not None and lexicon.get(word) is not None:
        return True
    forms = [lower]
    if lower.endswith("s") and not is_acronym(word):
        forms.append(lower[:-1])
        if lower.endswith("es"):
            forms.append(lower[:-2])
    return any(espeak_dict.in_dictionary(f, lang) for f in forms)


def unknown_words(script: Script, lexicon: Lexicon | None = None) -> list[tuple[str, int]]:
    """Capitalised words and acronyms of the article that espeak-ng's dictionary for the
    script's language does not list (so it guesses them from their spelling), with how often
    each occurs, most frequent first. Words the lexicon covers are left out when it is given.

    A capital at the start of a sentence or in a title only marks a name when the same word is
    also capitalised mid-sentence, or when a capitalised word follows it (Kajsa Ollongren);
    words that also occur in lower case are ordinary words, and words the normaliser rewrote
    are left out. Common words espeak-ng reads by rule (Tuesday) are listed too: the list is
    what espeak-ng guesses, for a person to check with `narrate lexicon show`.
    """
    lang = primary_subtag(script.lang) or "en"
    sentences: list[tuple[bool, list[tuple[str, bool]]]] = []
    for seg in script.segments:
        if seg.role == "disclaimer":
            continue
        titled = seg.role in ("title", "heading")
        for sentence in seg.sentences:
            # Words the normaliser rewrote (ET → Eastern Time) never reach espeak-ng.
            spoken = {w for w, _ in _words(sentence.spoken)}
            words = [(w, first) for w, first in _words(sentence.text) if w in spoken]
            sentences.append((titled, words))

    lower_words = {w for _, words in sentences for w, _ in words if w[:1].islower()}
    names: set[str] = set()
    for titled, words in sentences:
        for i, (word, first) in enumerate(words):
            if not _is_capitalised(word):
                continue
            before_capital = i + 1 < len(words) and _is_capitalised(words[i + 1][0])
            if is_acronym(word) or (not titled and (not first or before_capital)):
                names.add(word)

    counts: collections.Counter[str] = collections.Counter()
    for _, words in sentences:
        counts.update(w for w, _ in words if w in names)
    unknown = [(w, n) for w, n in counts.items() if not _known(w, lang, lower_words, lexicon)]
    return sorted(unknown, key=lambda item: (-item[1], item[0]))


def lexicon_show(word: str, lang: str = "en", lexicon: Lexicon | None = None) -> tuple[str, str]:
    """The phonemes Piper gets for `word` after the normaliser, without and with the lexicon
    (default: the bundled one for `lang`)."""
    if lexicon is None:
        lexicon = load_lexicon(lang)
    spoken = to_spoken(word, lang)
    without = espeak_dict.phonemize(spoken, lang)
    return without, espeak_dict.phonemize(lexicon.apply(spoken), lang)
