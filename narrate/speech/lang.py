"""Language rules shared by sentence splitting and spoken text: the record and number words."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

Step = Callable[[str, "LanguageRules"], str]

_SUBTAG_SEPARATOR = re.compile(r"[-_]")


def primary_subtag(tag: str) -> str:
    """The primary language subtag of a tag, lower case: `en_US`, `en-us`, ` EN ` → `en`."""
    return _SUBTAG_SEPARATOR.split(tag.strip(), maxsplit=1)[0].lower()


@dataclass(frozen=True, eq=False)
class LanguageRules:
    """How one language is split into sentences and turned into speakable text."""

    code: str
    """Primary language subtag, e.g. `en`."""
    number_lang: str | None
    """num2words language code; None when num2words cannot read this language's numbers."""
    decimal_comma: bool = True
    """Numbers are written 1.000,5 (True) rather than 1,000.5 (False)."""
    words: Mapping[str, str] = field(default_factory=dict)
    """Connecting words: `point`, `minus`, `percent`, `to` (ranges), `and`."""
    abbreviations: Mapping[str, str] = field(default_factory=dict)
    """Context-free expansions, keys written with their dots: `z.B.` → `zum Beispiel`."""
    never_final: frozenset[str] = frozenset()
    """Lower-case abbreviations (no final dot) after which a sentence never ends: `dr`, `e.g`."""
    maybe_final: frozenset[str] = frozenset()
    """Abbreviations that end a sentence only before a typical sentence opener: `etc`, `inc`."""
    before_number: frozenset[str] = frozenset()
    """Abbreviations that bind to a following number: `no` in `No. 5`, `jan` in `Jan. 5`."""
    openers: frozenset[str] = frozenset()
    """Words that typically open a sentence; used to decide after ambiguous abbreviations."""
    currencies: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """Currency symbol → (singular, plural) names."""
    ordinal_dot: bool = False
    """`3.` is an ordinal number (German), so `3. Mai` does not end a sentence."""
    steps: tuple[Step, ...] = ()
    """Rewrites applied in order by `to_spoken`."""

    def cardinal(self, n: int) -> str:
        """Number words for an integer, or the digits unchanged when the language has none."""
        return _cardinal(n, self.number_lang) if self.number_lang else str(n)

    def ordinal(self, n: int) -> str:
        """Ordinal words (`twenty-second`)."""
        return _number_words(n, self.number_lang, "ordinal") if self.number_lang else str(n)

    def year(self, n: int) -> str:
        """A year as people say it (`twenty twenty-two`)."""
        if not self.number_lang or not 1100 <= n <= 2099:
            return self.cardinal(n)
        return _number_words(n, self.number_lang, "year")

    def digits(self, text: str) -> str:
        """Read a digit string one digit at a time."""
        return " ".join(self.cardinal(int(d)) for d in text if "0" <= d <= "9")

    def decimal(self, text: str) -> str:
        """Read a number written with this language's separators (`1,250.5`, `3,5`)."""
        group, point = (".", ",") if self.decimal_comma else (",", ".")
        whole, _, frac = text.partition(point)
        whole = whole.replace(group, "")
        if not whole.isdigit():
            return text
        spoken = self.digits(whole) if len(whole) > 15 else self.cardinal(int(whole))
        if frac.isdigit():
            spoken += f" {self.words.get('point', point)} {self.digits(frac)}"
        return spoken


@lru_cache(maxsize=8192)
def _number_words(n: int, lang: str, to: str = "cardinal") -> str:
    from num2words import num2words  # here: voices need this module's tags, not its numbers

    try:
        words = num2words(n, lang=lang, to=to)
    except (NotImplementedError, OverflowError, ValueError, TypeError, IndexError, KeyError):
        words = num2words(n, lang=lang) if to != "cardinal" else str(n)
    if lang == "en":
        # American reading: no "and", no commas ("one thousand two hundred fifty").
        words = words.replace(",", "").replace(" and ", " ").replace("oh-", "oh ")
    return words


def _cardinal(n: int, lang: str) -> str:
    if n < 0:
        return "minus " + _cardinal(-n, lang) if lang == "en" else _number_words(n, lang)
    if n >= 10**15:
        return " ".join(_number_words(int(d), lang) for d in str(n))
    return _number_words(n, lang)


def word_set(text: str) -> frozenset[str]:
    """The words of a space-separated list, as a set."""
    return frozenset(text.split())


CLOSERS = "\"'”’»›)]}*"
"""Marks that may follow a sentence's final punctuation."""
