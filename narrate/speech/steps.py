"""Rewrite steps shared by several languages: symbols, abbreviations, numbers, money."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from narrate.speech.lang import LanguageRules, word_set

_PICTOGRAPHS = re.compile(
    "[\u2190-\u21ff\u2300-\u23ff\u2460-\u24ff\u2500-\u27bf\u2900-\u297f\u2b00-\u2bff"
    "\u3030\u303d\u3297\u3299\u20d0-\u20ff\ufe00-\ufe0f\u2122\u00ae"
    "\U0001f000-\U0001faff\U0001fc00-\U0001fffd\U000e0000-\U000e007f]"
)


def drop_pictographs(text: str, rules: LanguageRules) -> str:
    """Emoji, arrows and other pictographs become spaces."""
    return _PICTOGRAPHS.sub(" ", text)


_NEUTRAL = (
    (re.compile(r"(?<=\w)/(?=\w)"), " "),
    # Typographic furniture that espeak-ng would read out ("pilcrow", "bullet", "much greater").
    (re.compile(r"[|*_~^\\<>`¶•·‣◦≫≪†‡]+"), " "),
    (re.compile(r"[{]"), "("),
    (re.compile(r"[}]"), ")"),
)


def neutral_symbols(text: str, rules: LanguageRules) -> str:
    """Typographic furniture and unspeakable symbols out; braces become parentheses."""
    for pattern, replacement in _NEUTRAL:
        text = pattern.sub(replacement, text)
    if text.isascii():
        return text
    return "".join(ch for ch in text if ch < "\x80" or unicodedata.category(ch) not in _UNSPEAKABLE)


_UNSPEAKABLE = frozenset({"So", "Sk", "Co", "Cn"})


def expand_abbreviations(text: str, rules: LanguageRules) -> str:
    """The language's context-free abbreviations written out."""
    pattern = _abbreviation_pattern(rules)
    if pattern is None:
        return text
    return pattern.sub(lambda m: rules.abbreviations[m.group(0)], text)


@lru_cache(maxsize=32)
def _abbreviation_pattern(rules: LanguageRules) -> re.Pattern[str] | None:
    if not rules.abbreviations:
        return None
    keys = sorted(rules.abbreviations, key=len, reverse=True)
    return re.compile(r"(?<![\w.])(?:" + "|".join(map(re.escape, keys)) + r")(?!\w)")


_NUM = r"[0-9]+(?:[.,][0-9]+)*"
_PERCENT = re.compile(rf"(?<![\w.,])([-−]?)({_NUM})\s?(?:%|percent\b|per\s?cent\b|Prozent\b)")
_RANGE = re.compile(rf"(?<![\w.,/:−-])({_NUM})(?:\s?[–—]\s?|-| - )({_NUM})(?![\w/−-]|[.,][0-9])")
_NEGATIVE = re.compile(r"(?<![\w.,)])[-−](?=[0-9])")
_VERSION = re.compile(r"(?<![\w.,])[0-9]+(?:\.[0-9]+){2,}(?![\w.,]?[0-9])")
_DIGITS = re.compile(r"[0-9]+")
HAS_DIGIT = re.compile(r"[0-9]")
_YEAR_EXCLUDE = word_set(
    "number no nr nº núm section article page pages pp flight route room model version "
    "chapter rule item unit line bus channel code resolution bill highway interstate "
    "paragraph artikel seite"
)


def spoken_number(text: str, rules: LanguageRules, before: str = "") -> str:
    """Words for one number token written with the language's separators."""
    if text.isdigit():
        if (len(text) > 1 and text[0] == "0") or len(text) > 15:
            return rules.digits(text)
        n = int(text)
        if len(text) == 4 and 1100 <= n <= 2099:
            prev = before.rstrip(" #").rsplit(" ", 1)[-1].rstrip(".").lower()
            if prev not in _YEAR_EXCLUDE:
                return rules.year(n)
        return rules.cardinal(n)
    return rules.decimal(text)


def _number_value(text: str) -> float:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return float("inf")


def ranges(text: str, rules: LanguageRules) -> str:
    """`2020-2024` and `5–10` read with the language's word for `to`."""
    if not HAS_DIGIT.search(text):
        return text

    def replace(m: re.Match[str]) -> str:
        a, b = m.group(1), m.group(2)
        if len(a) == 4 and a.isdigit() and 1100 <= int(a) <= 2099 and len(b) == 2 and b.isdigit():
            full = a[:2] + b
            if int(full) > int(a):
                b = full
        if _number_value(b) < _number_value(a):
            return f"{a} {b}"  # a model number such as "787-9", not a range
        return f"{a} {rules.words.get('to', '-')} {b}"

    return _RANGE.sub(replace, text)


def percentages(text: str, rules: LanguageRules) -> str:
    """`5%` and `-3 percent` in words with the language's percent word."""
    if not HAS_DIGIT.search(text):
        return text

    def replace(m: re.Match[str]) -> str:
        sign = rules.words["minus"] + " " if m.group(1) else ""
        return f"{sign}{spoken_number(m.group(2), rules)} {rules.words['percent']}"

    return _PERCENT.sub(replace, text)


def negatives(text: str, rules: LanguageRules) -> str:
    """A minus sign before a number read as the language's minus word."""
    if not HAS_DIGIT.search(text):
        return text
    return _NEGATIVE.sub(rules.words.get("minus", "-") + " ", text)


def numbers(text: str, rules: LanguageRules) -> str:
    """Version numbers and numbers with the language's separators in words."""
    if not HAS_DIGIT.search(text):
        return text
    text = _VERSION.sub(
        lambda m: f" {rules.words.get('point', '.')} ".join(
            spoken_number(p, rules) for p in m.group(0).split(".")
        ),
        text,
    )
    pattern = _NUMBER_POINT if not rules.decimal_comma else _NUMBER_COMMA
    return pattern.sub(
        lambda m: spoken_number(m.group(0), rules, m.string[: m.start()]),
        text,
    )


# English 1,234.5 — German/Spanish 1.234,5; a lone "1,5" in German is a decimal.
_NUMBER_POINT = re.compile(r"(?<![0-9])(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")
_NUMBER_COMMA = re.compile(r"(?<![0-9])(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]+)?")


def leftover_digits(text: str, rules: LanguageRules) -> str:
    """Any digits still left, in words."""
    if not HAS_DIGIT.search(text):
        return text
    return _DIGITS.sub(lambda m: f" {spoken_number(m.group(0), rules)} ", text)


_AMOUNT = r"(?<![\w.,])([€$£])\s?([0-9][0-9.,]*[0-9]|[0-9])"
_SYMBOL_AMOUNT = re.compile(_AMOUNT)
_SYMBOL_AMOUNT_SCALE = re.compile(_AMOUNT + r"\s?(Mio\.|Mrd\.|Millionen|Milliarden)")


def prefix_money(text: str, rules: LanguageRules) -> str:
    """`€20` → `20 Euro`: most languages say the amount first."""
    if not HAS_DIGIT.search(text):
        return text
    # "€1,5 Mio." is "eins Komma fünf Millionen Euro": a scale word goes before the currency.
    text = _SYMBOL_AMOUNT_SCALE.sub(
        lambda m: f"{m.group(2)} {m.group(3)} {rules.currencies[m.group(1)][1]}", text
    )
    return _SYMBOL_AMOUNT.sub(lambda m: f"{m.group(2)} {rules.currencies[m.group(1)][1]}", text)


def suffix_currency(text: str, rules: LanguageRules) -> str:
    """`3,20 €` → `3 Euro 20`: the currency after the amount, cents after it."""
    if not HAS_DIGIT.search(text):
        return text
    # "3,20 €" is said "drei Euro zwanzig": the cents follow the currency.
    text = re.sub(
        r"(?<![0-9.,])([0-9][0-9.]*),([0-9]{2})\s?([€$£])(?!\w)",
        lambda m: f"{m.group(1)} {rules.currencies[m.group(3)][1]} {int(m.group(2))}",
        text,
    )
    return re.sub(
        r"(?<=[0-9])\s?([€$£])(?!\w)", lambda m: f" {rules.currencies[m.group(1)][1]}", text
    )
