"""Speech text: clean, split into sentences, and spell out what a voice would misread."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

from num2words import CONVERTER_CLASSES, num2words

log = logging.getLogger(__name__)

Step = Callable[[str, "LanguageRules"], str]

# --------------------------------------------------------------------------- clean

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


# --------------------------------------------------------------------------- languages


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


def _rules_for(lang: str) -> LanguageRules:
    code = (lang or "").replace("_", "-").split("-")[0].lower()
    rules = LANGUAGES.get(code)
    if rules is None:
        rules = _generic_rules(code)
    return rules


@lru_cache(maxsize=64)
def _generic_rules(code: str) -> LanguageRules:
    number_lang = code if code in CONVERTER_CLASSES else None
    point = getattr(CONVERTER_CLASSES.get(code), "pointword", ",")
    words = {"point": point if isinstance(point, str) else ","}
    steps: tuple[Step, ...] = (_drop_pictographs, _neutral_symbols)
    if number_lang:
        steps += (_numbers, _leftover_digits)
    return LanguageRules(
        code=code,
        number_lang=number_lang,
        decimal_comma=code not in _POINT_DECIMAL_LANGS,
        words=words,
        steps=steps,
    )


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_POINT_DECIMAL_LANGS = frozenset({"en", "ja", "ko", "zh", "th", "he", "hi", "ms", "tl", "ga", "cy"})

# --------------------------------------------------------------------------- split

_CLOSERS = "\"'”’»›)]}*"
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
    rules = _rules_for(lang)
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
    core = token.rstrip(_CLOSERS)
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


# --------------------------------------------------------------------------- to_spoken


def to_spoken(sentence: str, lang: str = "en") -> str:
    """What the TTS receives for one sentence: numbers, symbols and abbreviations in words."""
    rules = _rules_for(lang)
    text = clean(sentence)
    spoken = text
    for step in rules.steps:
        try:
            spoken = step(spoken, rules)
        except Exception:  # a rule failing on odd text must not stop a narration
            log.warning("normaliser step %s failed on %r", step.__name__, text, exc_info=True)
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
    end = original.rstrip(_CLOSERS)
    if spoken and end and end[-1] in ".!?" and spoken.rstrip(_CLOSERS)[-1:] not in ".!?…:":
        spoken += end[-1]
    return spoken


# --------------------------------------------------------------------------- shared steps

_PICTOGRAPHS = re.compile(
    "[\u2190-\u21ff\u2300-\u23ff\u2460-\u24ff\u2500-\u27bf\u2900-\u297f\u2b00-\u2bff"
    "\u3030\u303d\u3297\u3299\u20d0-\u20ff\ufe00-\ufe0f\u2122\u00ae"
    "\U0001f000-\U0001faff\U0001fc00-\U0001fffd\U000e0000-\U000e007f]"
)


def _drop_pictographs(text: str, rules: LanguageRules) -> str:
    return _PICTOGRAPHS.sub(" ", text)


_NEUTRAL = (
    (re.compile(r"(?<=\w)/(?=\w)"), " "),
    # Typographic furniture that espeak-ng would read out ("pilcrow", "bullet", "much greater").
    (re.compile(r"[|*_~^\\<>`¶•·‣◦≫≪†‡]+"), " "),
    (re.compile(r"[{]"), "("),
    (re.compile(r"[}]"), ")"),
)


def _neutral_symbols(text: str, rules: LanguageRules) -> str:
    for pattern, replacement in _NEUTRAL:
        text = pattern.sub(replacement, text)
    if text.isascii():
        return text
    return "".join(ch for ch in text if ch < "\x80" or unicodedata.category(ch) not in _UNSPEAKABLE)


_UNSPEAKABLE = frozenset({"So", "Sk", "Co", "Cn"})


def _abbreviations(text: str, rules: LanguageRules) -> str:
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
_HAS_DIGIT = re.compile(r"[0-9]")
_YEAR_EXCLUDE = _words(
    "number no nr nº núm section article page pages pp flight route room model version "
    "chapter rule item unit line bus channel code resolution bill highway interstate "
    "paragraph artikel seite"
)


def _spoken_number(text: str, rules: LanguageRules, before: str = "") -> str:
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


def _ranges(text: str, rules: LanguageRules) -> str:
    if not _HAS_DIGIT.search(text):
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


def _percentages(text: str, rules: LanguageRules) -> str:
    if not _HAS_DIGIT.search(text):
        return text

    def replace(m: re.Match[str]) -> str:
        sign = rules.words["minus"] + " " if m.group(1) else ""
        return f"{sign}{_spoken_number(m.group(2), rules)} {rules.words['percent']}"

    return _PERCENT.sub(replace, text)


def _negatives(text: str, rules: LanguageRules) -> str:
    if not _HAS_DIGIT.search(text):
        return text
    return _NEGATIVE.sub(rules.words.get("minus", "-") + " ", text)


def _numbers(text: str, rules: LanguageRules) -> str:
    if not _HAS_DIGIT.search(text):
        return text
    text = _VERSION.sub(
        lambda m: f" {rules.words.get('point', '.')} ".join(
            _spoken_number(p, rules) for p in m.group(0).split(".")
        ),
        text,
    )
    pattern = _NUMBER_POINT if not rules.decimal_comma else _NUMBER_COMMA
    return pattern.sub(
        lambda m: _spoken_number(m.group(0), rules, m.string[: m.start()]),
        text,
    )


# English 1,234.5 — German/Spanish 1.234,5; a lone "1,5" in German is a decimal.
_NUMBER_POINT = re.compile(r"(?<![0-9])(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")
_NUMBER_COMMA = re.compile(r"(?<![0-9])(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]+)?")


def _leftover_digits(text: str, rules: LanguageRules) -> str:
    if not _HAS_DIGIT.search(text):
        return text
    return _DIGITS.sub(lambda m: f" {_spoken_number(m.group(0), rules)} ", text)


# --------------------------------------------------------------------------- English

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTH_ALT = "|".join(_MONTHS)
_MONTH_ABBR = {
    "Jan": "January",
    "Feb": "February",
    "Mar": "March",
    "Apr": "April",
    "Jun": "June",
    "Jul": "July",
    "Aug": "August",
    "Sep": "September",
    "Sept": "September",
    "Oct": "October",
    "Nov": "November",
    "Dec": "December",
}
_ZONES = {
    "ET": "Eastern Time",
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "CT": "Central Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "MT": "Mountain Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "PT": "Pacific Time",
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
    "GMT": "G.M.T",
    "UTC": "U.T.C",
    "BST": "British Summer Time",
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "EET": "Eastern European Time",
    "EEST": "Eastern European Summer Time",
    "MSK": "Moscow time",
    "JST": "Japan time",
}
_ZONE_ALT = "|".join(sorted(_ZONES, key=len, reverse=True))
_AMPM = r"([AaPp])\.?\s?[Mm]\b\.?"

_EN_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"“”]+", re.IGNORECASE)
_EN_DOMAIN = re.compile(
    r"(?<![\w@.])(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+"
    r"(?:com|org|net|gov|edu|io|uk|de|fr|es|eu|info|ai|app|dev|news|tv|ly|ru|ua|ca|au|jp"
    r"|cn|nl|ch|se|pl|ie|nz|int|mil|biz)\b(?:/[^\s\"“”<>]*)?",
    re.IGNORECASE,
)
_EN_EMAIL = re.compile(
    r"(?<![\w.+-])([A-Za-z0-9][A-Za-z0-9._%+-]*)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
)
_EN_HANDLE = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{1,30})\b")
_EN_HASHTAG = re.compile(r"(?<![\w#])#([A-Za-z]\w*)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|_+")
_URL_TAIL = re.compile(r"[.,;:!?)\]'\"’”]+$")


def _say_domain(host: str) -> str:
    host = re.sub(r"^(?:https?://)?(?:www\.)?", "", host, flags=re.IGNORECASE)
    host = re.split(r"[/?#:]", host, maxsplit=1)[0]
    return " dot ".join(p for p in host.split(".") if p)


def _en_web(text: str, rules: LanguageRules) -> str:
    if "@" in text:
        text = _EN_EMAIL.sub(
            lambda m: (
                " dot ".join(p for p in re.split(r"[._+-]+", m.group(1)) if p)
                + " at "
                + _say_domain(m.group(2))
            ),
            text,
        )
        text = _EN_HANDLE.sub(lambda m: "at " + _CAMEL.sub(" ", m.group(1)).strip(), text)

    def url(m: re.Match[str]) -> str:
        raw = m.group(0)
        tail = _URL_TAIL.search(raw)
        core = raw[: tail.start()] if tail else raw
        return _say_domain(core) + (tail.group(0) if tail else "")

    if "." in text:
        text = _EN_URL.sub(url, text)
        text = _EN_DOMAIN.sub(url, text)
    if "#" in text:
        text = _EN_HASHTAG.sub(lambda m: "hashtag " + _CAMEL.sub(" ", m.group(1)).strip(), text)
    return text


_EN_EARLY = (
    (re.compile(r"\bNo\.\s?(?=[0-9])"), "number "),
    (re.compile(r"\bNos\.\s?(?=[0-9])"), "numbers "),
    (re.compile(r"#\s?(?=[0-9])"), "number "),
    (re.compile(r"AT&T"), "A.T and T"),
    (re.compile(r"\bPh\.?D\b\.?"), "P.H.D"),
    (re.compile(r"(?<![\w.])([ap])\.m\.(?!\w)"), lambda m: m.group(1).upper() + "M"),
    (re.compile(r"\b(24/7)\b"), "twenty-four seven"),
    (re.compile(r"\b(9/11)\b"), "nine eleven"),
    (re.compile(r"\b(50/50)\b"), "fifty-fifty"),
    (re.compile(r"©"), " copyright "),
    (re.compile(r"№\s?"), "number "),
    # Codes with digits between letters (H5N1, W3C, A320neo) are read piece by piece.
    (
        re.compile(r"\b[A-Za-z]+[0-9]+[A-Za-z][A-Za-z0-9]*\b"),
        lambda m: " ".join(re.findall(r"[A-Za-z]+|[0-9]+", m.group(0))),
    ),
    (re.compile(r"(?<=[0-9])x\b"), " times"),
    # Ranges whose ends both carry the unit: "10%-15%", "$10-$15".
    (re.compile(r"([0-9.]+)%\s?[-–]\s?(?=[0-9.]+%)"), r"\1 to "),
    (re.compile(r"(\$[0-9][0-9.,]*)\s?[-–]\s?(?=\$[0-9])"), r"\1 to "),
    # "$1.2-billion contract", "$4.5 bn", "1bn users": the scale word belongs to the number.
    (re.compile(r"(?<=[0-9])-(?=(?:million|billion|trillion)\b)"), " "),
    (re.compile(r"(?<=[0-9])\s(?=(?:bn|bln|mn|mln|tn)\b)"), ""),
    (re.compile(r"(?<![\w$€£.,])([0-9][0-9.,]*)(bn|bln)\b"), r"\1 billion"),
    (re.compile(r"(?<![\w$€£.,])([0-9][0-9.,]*)(mn|mln)\b"), r"\1 million"),
)


_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50}
# I to XX as a whole token. Every alternative is non-empty: an optional-everything pattern matched
# the empty string before "Vladimir", "It" or "II's" and read it as "the zeroth".
_ROMAN = r"(?=[IVX]+\b)(?:XX|X(?:IX|IV|V?I{0,3})|IX|IV|VI{0,3}|I{1,3})"
_ROMAN_COUNTED = re.compile(
    r"\b(War|Part|Phase|Chapter|Act|Book|Volume|Article|Title|Type|Class|Stage|Level|Category"
    r"|Round|Bowl|Section|Schedule|Annex|Appendix|Episode|Grade|Tier|Mark|Apollo|Vatican)"
    rf"\s({_ROMAN})\b(?!['’])"
)
_NOT_NAMES = _words("The A An In On Of And Or To For At By With From As Is It This That")
_ROMAN_REGNAL = re.compile(rf"\b([A-Z][a-z]+)\s(?!I\b|V\b|X\b)({_ROMAN})(?:(['’]s)\b|\b(?!['’]))")
"""A name and its regnal number, possessive included: "Elizabeth II's" → "the second's"."""


def _roman(numeral: str) -> int:
    values = [_ROMAN_VALUES[c] for c in numeral]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def _en_early(text: str, rules: LanguageRules) -> str:
    # espeak-ng ends a sentence at ". Capital": an initial's dot would break "Donald J. Trump".
    text = _INITIAL_DOT.sub(r"\1", text)
    for pattern, replacement in _EN_EARLY:
        text = pattern.sub(replacement, text)
    text = _ROMAN_COUNTED.sub(lambda m: f"{m.group(1)} {rules.cardinal(_roman(m.group(2)))}", text)
    text = _ROMAN_REGNAL.sub(
        lambda m: (
            m.group(0)
            if m.group(1) in _NOT_NAMES
            else f"{m.group(1)} the {rules.ordinal(_roman(m.group(2)))}{m.group(3) or ''}"
        ),
        text,
    )
    return _MONTH_ABBR_RE.sub(lambda m: _MONTH_ABBR[m.group(1)], text)


_INITIAL_DOT = re.compile(r"(?<![\w.])([A-Z])\.(?=\s[A-Z][a-z])")


_MONTH_ABBR_RE = re.compile(r"\b(" + "|".join(_MONTH_ABBR) + r")\.?(?=\s[0-9])")

_ISO_DATE = re.compile(r"(?<![0-9-])([0-9]{4})-([0-9]{2})-([0-9]{2})(?![0-9-])")
_NUM_DATE = re.compile(r"(?<![0-9/.])([0-9]{1,2})/([0-9]{1,2})/([0-9]{4}|[0-9]{2})(?![0-9/])")
_MONTH_DAY = re.compile(
    rf"\b({_MONTH_ALT})\s([0-9]{{1,2}})(?:st|nd|rd|th)?\b(?![.,:][0-9])(?:,?\s([0-9]{{4}})\b)?"
)
_DAY_MONTH = re.compile(
    rf"(?<![\w.,])([0-9]{{1,2}})(?:st|nd|rd|th)?\s(?:of\s)?({_MONTH_ALT})\b(?:,?\s([0-9]{{4}})\b)?"
)


def _en_date(rules: LanguageRules, year: int | None, month: int, day: int) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    spoken = f"{_MONTHS[month - 1]} {rules.ordinal(day)}"
    return spoken + (f", {rules.year(year)}" if year is not None else "")


def _en_dates(text: str, rules: LanguageRules) -> str:
    if not _HAS_DIGIT.search(text):
        return text

    def iso(m: re.Match[str]) -> str:
        y, mo, d = (int(g) for g in m.groups())
        return _en_date(rules, y, mo, d) or m.group(0)

    def numeric(m: re.Match[str]) -> str:
        mo, d, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if len(m.group(3)) == 2:
            y += 2000 if y < 50 else 1900
        if mo > 12 >= d:
            mo, d = d, mo
        return _en_date(rules, y, mo, d) or m.group(0)

    def month_day(m: re.Match[str]) -> str:
        y = int(m.group(3)) if m.group(3) else None
        return _en_date(rules, y, _MONTHS.index(m.group(1)) + 1, int(m.group(2))) or m.group(0)

    def day_month(m: re.Match[str]) -> str:
        d = int(m.group(1))
        if not 1 <= d <= 31:
            return m.group(0)
        the = "" if m.string[: m.start()].rstrip().lower().endswith("the") else "the "
        spoken = f"{the}{rules.ordinal(d)} of {m.group(2)}"
        return spoken + (f", {rules.year(int(m.group(3)))}" if m.group(3) else "")

    if "-" in text:
        text = _ISO_DATE.sub(iso, text)
    if "/" in text:
        text = _NUM_DATE.sub(numeric, text)
    text = _MONTH_DAY.sub(month_day, text)
    return _DAY_MONTH.sub(day_month, text)


_CLOCK = re.compile(
    rf"(?<![0-9:.,])([0-9]{{1,2}}):([0-9]{{2}})(?::[0-9]{{2}})?(?![0-9:])"
    rf"(?:\s?{_AMPM})?(?:\s({_ZONE_ALT})\b)?"
)
_HOUR = re.compile(rf"(?<![0-9:.,])([0-9]{{1,2}})\s?{_AMPM}(?:\s({_ZONE_ALT})\b)?")


def _en_times(text: str, rules: LanguageRules) -> str:
    if not _HAS_DIGIT.search(text):
        return text

    def suffix(ampm: str | None, zone: str | None) -> str:
        out = f" {ampm.upper()}M" if ampm else ""
        return out + (f" {_ZONES[zone]}" if zone else "")

    def clock(m: re.Match[str]) -> str:
        h, mins = int(m.group(1)), int(m.group(2))
        if h > 24 or mins > 59:
            return m.group(0)
        spoken = rules.cardinal(h)
        if mins == 0:
            if not m.group(3):
                spoken += " o'clock" if 1 <= h <= 12 else " hundred"
        elif mins < 10:
            spoken += " oh " + rules.cardinal(mins)
        else:
            spoken += " " + rules.cardinal(mins)
        return spoken + suffix(m.group(3), m.group(4))

    def hour(m: re.Match[str]) -> str:
        h = int(m.group(1))
        if not 1 <= h <= 12:
            return m.group(0)
        return rules.cardinal(h) + suffix(m.group(2), m.group(3))

    if ":" in text:
        text = _CLOCK.sub(clock, text)
    return _HOUR.sub(hour, text)


_PHONE = re.compile(
    r"(?<![0-9])(?:\+?1[ .-])?(\(?[0-9]{3}\)?)[ .-]([0-9]{3})[ .-]([0-9]{4})(?![0-9])"
)


def _en_phones(text: str, rules: LanguageRules) -> str:
    if not _HAS_DIGIT.search(text):
        return text
    return _PHONE.sub(lambda m: ", ".join(rules.digits(g) for g in m.groups()), text)


_CURRENCY_NAMES: dict[str, tuple[str, str, str, str]] = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "US$": ("U.S dollar", "U.S dollars", "cent", "cents"),
    "U.S.$": ("U.S dollar", "U.S dollars", "cent", "cents"),
    "A$": ("Australian dollar", "Australian dollars", "cent", "cents"),
    "AU$": ("Australian dollar", "Australian dollars", "cent", "cents"),
    "C$": ("Canadian dollar", "Canadian dollars", "cent", "cents"),
    "CA$": ("Canadian dollar", "Canadian dollars", "cent", "cents"),
    "NZ$": ("New Zealand dollar", "New Zealand dollars", "cent", "cents"),
    "HK$": ("Hong Kong dollar", "Hong Kong dollars", "cent", "cents"),
    "R$": ("real", "reais", "centavo", "centavos"),
    "€": ("euro", "euros", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "¥": ("yen", "yen", "", ""),
    "₹": ("rupee", "rupees", "paisa", "paise"),
    "₽": ("ruble", "rubles", "kopek", "kopeks"),
    "₴": ("hryvnia", "hryvnias", "kopiyka", "kopiykas"),
    "₩": ("won", "won", "", ""),
    "₺": ("lira", "lira", "", ""),
    "₪": ("shekel", "shekels", "agora", "agorot"),
    "CHF": ("Swiss franc", "Swiss francs", "centime", "centimes"),
}
_SCALES = {
    "trillion": "trillion",
    "tn": "trillion",
    "tr": "trillion",
    "billion": "billion",
    "bn": "billion",
    "bln": "billion",
    "b": "billion",
    "B": "billion",
    "million": "million",
    "mn": "million",
    "mln": "million",
    "m": "million",
    "M": "million",
    "thousand": "thousand",
    "k": "thousand",
    "K": "thousand",
}
_EN_MONEY = re.compile(
    r"(?<![\w$€£¥])([-−])?(US\$|U\.S\.\s?\$|AU\$|A\$|CA\$|C\$|NZ\$|HK\$|R\$|\$|€|£|¥|₹|₽|₴|₩|₺|₪|CHF)"
    r"\s?([0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)"
    r"(?:\s?((?i:trillion|billion|million|thousand))\b|(tn|tr|bn|bln|mn|mln|m|b|k|K|M|B)\b)?"
)


def _en_money(text: str, rules: LanguageRules) -> str:
    if not _HAS_DIGIT.search(text):
        return text

    def replace(m: re.Match[str]) -> str:
        sign, symbol, amount = m.group(1), m.group(2).replace(" ", ""), m.group(3)
        one, many, sub_one, sub_many = _CURRENCY_NAMES[symbol]
        scale = _SCALES.get((m.group(4) or "").lower() or m.group(5) or "")
        whole, _, frac = amount.replace(",", "").partition(".")
        if len(whole) > 15:
            return m.group(0)
        n = int(whole)
        if scale:
            spoken = f"{rules.decimal(amount)} {scale} {many}"
        elif frac and len(frac) == 2 and sub_one:
            cents = int(frac)
            parts = []
            if n or not cents:
                parts.append(f"{rules.cardinal(n)} {one if n == 1 else many}")
            if cents:
                parts.append(f"{rules.cardinal(cents)} {sub_one if cents == 1 else sub_many}")
            spoken = " and ".join(parts)
        elif frac:
            spoken = f"{rules.decimal(amount)} {many}"
        else:
            spoken = f"{rules.decimal(amount)} {one if n == 1 else many}"
        return ("minus " if sign else "") + spoken

    return _EN_MONEY.sub(replace, text)


_DECADE_SHORT = re.compile(r"(?<![\w'’])['’]([0-9]0)s\b")
_DECADE = re.compile(r"(?<![\w.,])([0-9]{1,3}0)['’]?s\b")
_ORDINAL = re.compile(r"(?<![\w.,])([0-9]{1,9})(st|nd|rd|th)\b")


def _plural(words: str) -> str:
    head, _, last = words.rpartition(" ")
    last = last[:-1] + "ies" if last.endswith("y") else last + "s"
    return f"{head} {last}".strip()


def _en_decades_ordinals(text: str, rules: LanguageRules) -> str:
    if not _HAS_DIGIT.search(text):
        return text
    text = _DECADE_SHORT.sub(lambda m: _plural(rules.cardinal(int(m.group(1)))), text)

    def decade(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return _plural(rules.year(n) if len(m.group(1)) == 4 else rules.cardinal(n))

    text = _DECADE.sub(decade, text)
    return _ORDINAL.sub(lambda m: rules.ordinal(int(m.group(1))), text)


_UNITS: dict[str, tuple[str, str]] = {
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "kph": ("kilometer per hour", "kilometers per hour"),
    "mph": ("mile per hour", "miles per hour"),
    "sq km": ("square kilometer", "square kilometers"),
    "sq ft": ("square foot", "square feet"),
    "km": ("kilometer", "kilometers"),
    "kg": ("kilogram", "kilograms"),
    "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"),
    "mg": ("milligram", "milligrams"),
    "ml": ("milliliter", "milliliters"),
    "lbs": ("pound", "pounds"),
    "lb": ("pound", "pounds"),
    "ft": ("foot", "feet"),
    "mi": ("mile", "miles"),
    "kWh": ("kilowatt-hour", "kilowatt-hours"),
    "kW": ("kilowatt", "kilowatts"),
    "MW": ("megawatt", "megawatts"),
    "GW": ("gigawatt", "gigawatts"),
    "GB": ("gigabyte", "gigabytes"),
    "MB": ("megabyte", "megabytes"),
    "TB": ("terabyte", "terabytes"),
    "°C": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"),
}
_EN_UNIT = re.compile(
    r"(?<![\w.,])([-−]?)([0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)\s?("
    + "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
    + r")(?![\w/])"
)
_BOEING = re.compile(r"\b(Boeing|Airbus)\s([0-9]{3})(s?)\b")
_LETTERS_NUMBER = re.compile(r"\b([A-Za-z]+)-?([0-9]+)(s?)\b(?![.,][0-9])")
_NUMBER_LETTERS = re.compile(r"(?<![\w.,])([0-9]+)([A-Za-z]+)\b")


def _model_number(digits: str, rules: LanguageRules) -> str:
    """Read `737` as `seven thirty-seven` and `16` as `sixteen`, as model names are said."""
    if (digits[0] == "0" and len(digits) > 1) or len(digits) > 4:
        return rules.digits(digits)
    n = int(digits)
    if len(digits) == 3 and n % 100:
        tail = n % 100
        return f"{rules.cardinal(n // 100)} " + (
            f"oh {rules.cardinal(tail)}" if tail < 10 else rules.cardinal(tail)
        )
    if len(digits) == 4:
        return rules.year(n) if 1100 <= n <= 2099 else rules.cardinal(n)
    return rules.cardinal(n)


def _en_units_models(text: str, rules: LanguageRules) -> str:
    if not _HAS_DIGIT.search(text):
        return text

    def unit(m: re.Match[str]) -> str:
        one, many = _UNITS[m.group(3)]
        sign = "minus " if m.group(1) else ""
        return f"{sign}{rules.decimal(m.group(2))} {one if m.group(2) == '1' else many}"

    text = _EN_UNIT.sub(unit, text)

    def model(m: re.Match[str]) -> str:
        words = _model_number(m.group(2), rules)
        return f"{m.group(1)} {_plural(words) if m.group(3) else words}"

    def number_letters(m: re.Match[str]) -> str:
        words = _spoken_number(m.group(1), rules)
        return _plural(words) if m.group(2) == "s" else f"{words} {m.group(2)}"

    text = _BOEING.sub(model, text)
    text = _LETTERS_NUMBER.sub(model, text)
    return _NUMBER_LETTERS.sub(number_letters, text)


_FRACTION = re.compile(
    r"(?<![\w/.,])(?:([0-9]{1,3})\s)?([0-9]{1,2})/([0-9]{1,2})(?![\w/]|[.,][0-9])"
)
"""A fraction, with the whole number of a mixed one ("1 1/2")."""
_EN_SYMBOLS = (
    (re.compile(r"(?<=[0-9])\s?\+\s?(?=[0-9])"), " plus "),
    (re.compile(r"(?<=[0-9])\+"), " plus"),
    (re.compile(r"(?<=[0-9])\s?[×x]\s?(?=[0-9])"), " by "),
    (re.compile(r"(?<=[0-9])\s?=\s?(?=[0-9])"), " equals "),
    (re.compile(r"±"), " plus or minus "),
    (re.compile(r"[~≈]\s?(?=[0-9$€£])"), "about "),
    (re.compile(r"<\s?(?=[0-9$€£])"), "less than "),
    (re.compile(r">\s?(?=[0-9$€£])"), "more than "),
    (re.compile(r"\s?&\s?"), " and "),
    (re.compile(r"\s@\s"), " at "),
    (re.compile(r"§§\s?"), " sections "),
    (re.compile(r"§\s?"), " section "),
    (re.compile(r"°(?=\w)"), " degrees "),
    (re.compile(r"°"), " degrees"),
    (re.compile(r"%"), " percent"),
    (re.compile(r"[#@]"), " "),
    (re.compile(r"½"), " and a half"),
    (re.compile(r"¼"), " and a quarter"),
    (re.compile(r"¾"), " and three quarters"),
)


def _en_symbols(text: str, rules: LanguageRules) -> str:
    def fraction(m: re.Match[str]) -> str:
        whole, a, b = m.group(1), int(m.group(2)), int(m.group(3))
        if not 0 < a < b <= 10:
            spoken = f"{rules.cardinal(a)} slash {rules.cardinal(b)}"
            return f"{rules.cardinal(int(whole))} {spoken}" if whole else spoken
        name = {2: "half", 4: "quarter"}.get(b) or rules.ordinal(b)
        if a > 1:
            name = "halves" if b == 2 else name + "s"
        if whole:  # "1 1/2 cups": one and a half cups
            return f"{rules.cardinal(int(whole))} and {'a' if a == 1 else rules.cardinal(a)} {name}"
        return f"{rules.cardinal(a)} {name}"

    if "/" in text:
        text = _FRACTION.sub(fraction, text)
    for pattern, replacement in _EN_SYMBOLS:
        text = pattern.sub(replacement, text)
    return text


_EN_TITLES = {
    "Dr": "Doctor",
    "Mr": "Mister",
    "Mrs": "Missus",
    "Ms": "Miz",
    "Prof": "Professor",
    "Gen": "General",
    "Sen": "Senator",
    "Sens": "Senators",
    "Rep": "Representative",
    "Reps": "Representatives",
    "Gov": "Governor",
    "Lt": "Lieutenant",
    "Col": "Colonel",
    "Capt": "Captain",
    "Sgt": "Sergeant",
    "Adm": "Admiral",
    "Rev": "Reverend",
    "Pres": "President",
    "Cmdr": "Commander",
    "Maj": "Major",
    "Supt": "Superintendent",
    "Insp": "Inspector",
    "Fr": "Father",
    "Mt": "Mount",
    "Ft": "Fort",
    "Hon": "Honorable",
}
_EN_TITLE = re.compile(
    r"\b(?:(Dr|Mr|Mrs|Ms)\.|(Dr|Mr|Mrs|Ms|St)\.?(?=\s[A-Z])|("
    + "|".join(t for t in _EN_TITLES if t not in ("Dr", "Mr", "Mrs", "Ms"))
    + r")\.(?=\s[A-Z]))"
)
_EN_STREET = re.compile(r"\b([A-Z][a-z]+) St\.?+(?!\w)(?!\s[A-Z])")


def _en_titles(text: str, rules: LanguageRules) -> str:
    text = _EN_STREET.sub(r"\1 Street", text)

    def title(m: re.Match[str]) -> str:
        short = m.group(1) or m.group(2) or m.group(3)
        return "Saint" if short == "St" else _EN_TITLES[short]

    return _EN_TITLE.sub(title, text)


_DOTTED_LETTERS = re.compile(r"(?<![\w.])((?:[A-Za-z]\.){2,})(?![\w])")
_CAPS = re.compile(r"(?<![\w.'’])([A-Z][A-Z]+)(['’]s|s)?(?![\w'’])")
_VOWELS = frozenset("AEIOU")


def _letters(word: str, suffix: str = "") -> str:
    # "F.B.I" keeps espeak-ng's acronym stress and never ends its sentence; plurals need "F-B-I's".
    if suffix:
        return "-".join(word.upper()) + "'s"
    return ".".join(word.upper())


def _en_acronyms(text: str, rules: LanguageRules) -> str:
    text = _DOTTED_LETTERS.sub(lambda m: _letters(m.group(1).replace(".", "")), text)

    def caps(m: re.Match[str]) -> str:
        word, suffix = m.group(1), m.group(2) or ""
        if word in _EN_WORD_ACRONYMS:
            return _EN_WORD_ACRONYMS[word] + suffix
        if word in _EN_KEEP:
            return m.group(0)
        if word in _EN_LETTER_ACRONYMS or (len(word) <= 4 and not _VOWELS & set(word)):
            return _letters(word, suffix)
        if len(word) >= 5:
            return word.capitalize() + suffix
        return m.group(0)

    return _CAPS.sub(caps, text)


_EN_WORD_ACRONYMS = {
    w.upper(): w
    for w in _words(
        "Nato Unesco covid aids Fifa Unicef Asean Sars Mers Isis Isil Uefa Nafta "
        "Swat laser radar Scotus Potus Flotus Nasdaq Darpa Interpol Europol Norad Mercosur "
        "Apec Brics Ikea Lego Hamas Seal Wasp Unifil Frontex Ofcom Ofsted Acas Eurostat "
        "Gif Jpeg Captcha Wifi Ram Rom Lidar Sonar Ebola Mossad Pemex Petrobras"
    )
}
_EN_WORD_ACRONYMS |= {
    "NASA": "Nassa",
    "OPEC": "O-peck",
    "FEMA": "Feema",
    "ICE": "ice",
    "OK": "okay",
    "DEFCON": "Defcon",
    "UNRWA": "Unrwa",
}
_EN_KEEP = frozenset({"AM", "PM", "I", "A"})
_EN_LETTER_ACRONYMS = _words(
    "FBI CIA NSA DEA ATF EU UK US USA UN UAE CEO CFO COO CTO BBC CNN NBC CBS ABC NPR PBS "
    "MSNBC AP AFP UPI GDP IMF WHO NGO MP TV PC AI IT DC LA NYC IRS EPA FDA CDC DOJ DHS DOD "
    "FAA FCC SEC FTC NHS ITV ECB IAEA OSCE UNHCR ICC ICJ ISS NBA NFL MLB NHL PGA WTA ATP UFC "
    "EV SUV CPU GPU USB PDF HTML URL API DNA RNA HIV ICU ER GOP DNC RNC UAW AFL CIO NAACP "
    "LGBT LGBTQ IPO ETF CPI PPI FX AP CCTV KGB FSB SBU GRU SVR IDF IRGC PKK PLO ANC SNP DUP "
    "CDU CSU SPD FDP PR HR ID VIP DIY FAQ CBD THC PTSD ADHD BMW VW HP IBM AMD TSMC GE GM UBS "
    "HSBC RBS IBT LLC LLP PLC OECD WTO EPA UFO IQ PhD OPCW MI MIT UCLA NYU USC BYU NYPD LAPD "
    "TSA DMV VA NIH NOAA NTSB SCO BRI EIB EBRD IEA IPCC COP UNGA UNSC OAS AU ECOWAS ISW "
    "RFK JFK LBJ FDR MLK ESPN HBO MTV CBC ABC RTE ZDF ARD DW RFE RFERL VOA NYT WSJ FT WP "
    "AOC MAGA GPS SMS PIN ATM EU's UN's"
)


# --------------------------------------------------------------------------- German, Spanish

_DE_MONTHS = "Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"
_DE_ORDINAL_DATE = re.compile(rf"(?<![0-9.,])([0-9]{{1,2}})\.\s(?=(?:{_DE_MONTHS})\b)")
_DE_TIME = re.compile(r"(?<![0-9.,:])([0-9]{1,2})[:.]([0-9]{2})\s?Uhr\b")
_DE_MONEY = re.compile(r"(?<![\w.,])([€$£])\s?([0-9][0-9.,]*[0-9]|[0-9])")
_DE_NUMERIC_DATE = re.compile(
    r"(?<![0-9.,])([0-9]{1,2})\.([0-9]{1,2})\.(?:([0-9]{4})|([0-9]{2}))?(?![0-9])"
)
"""24.12.2024, 24.12.24 and 24.12."""
_DE_ORDINAL = re.compile(r"(?<![0-9.,])([0-9]{1,2})\.\s(?=[A-ZÄÖÜ][a-zäöüß]{2,})")
"""Der 2. Weltkrieg, im 19. Jahrhundert — but not a number ending a sentence."""
_DE_DATIVE = frozenset({"am", "im", "vom", "zum", "beim", "dem", "den", "des", "seit", "ab", "bis"})


def _de_dates_times(text: str, rules: LanguageRules) -> str:
    if not _HAS_DIGIT.search(text):
        return text

    def ordinal(m: re.Match[str]) -> str:
        before = m.string[: m.start()].rstrip().rsplit(" ", 1)[-1]
        word = rules.ordinal(int(m.group(1)))
        return (word if before in ("der", "Der", "die", "Die") else word + "n") + " "

    text = _DE_ORDINAL_DATE.sub(ordinal, text)
    months = _DE_MONTHS.split("|")

    def numeric_date(m: re.Match[str]) -> str:
        day, month = int(m.group(1)), int(m.group(2))
        if not (1 <= day <= 31 and 1 <= month <= 12):
            return m.group(0)
        year = m.group(3) or (f"20{m.group(4)}" if m.group(4) else "")
        return (ordinal(m).strip() + f" {months[month - 1]}" + (f" {year}" if year else "")).strip()

    text = _DE_NUMERIC_DATE.sub(numeric_date, text)

    def plain_ordinal(m: re.Match[str]) -> str:
        following = m.string[m.end() :].split(" ", 1)[0]
        if following in rules.openers:
            return m.group(0)
        before = m.string[: m.start()].rstrip().rsplit(" ", 1)[-1].lower()
        word = rules.ordinal(int(m.group(1)))
        return (word + "n" if before in _DE_DATIVE else word) + " "

    text = _DE_ORDINAL.sub(plain_ordinal, text)

    def time(m: re.Match[str]) -> str:
        h, mins = int(m.group(1)), int(m.group(2))
        spoken = f"{rules.cardinal(h)} Uhr"
        return spoken + (f" {rules.cardinal(mins)}" if mins else "")

    return _DE_TIME.sub(time, text)


def _prefix_money(text: str, rules: LanguageRules) -> str:
    """`€20` → `20 Euro`: most languages say the amount first."""
    if not _HAS_DIGIT.search(text):
        return text
    # "€1,5 Mio." is "eins Komma fünf Millionen Euro": a scale word goes before the currency.
    text = re.sub(
        r"(?<![\w.,])([€$£])\s?([0-9][0-9.,]*[0-9]|[0-9])\s?(Mio\.|Mrd\.|Millionen|Milliarden)",
        lambda m: f"{m.group(2)} {m.group(3)} {rules.currencies[m.group(1)][1]}",
        text,
    )
    return _DE_MONEY.sub(lambda m: f"{m.group(2)} {rules.currencies[m.group(1)][1]}", text)


def _suffix_currency(text: str, rules: LanguageRules) -> str:
    if not _HAS_DIGIT.search(text):
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


_ES_ORDINAL = re.compile(r"(?<![\w.,])([0-9]{1,2})\.?[ºª°](?!\w)")


def _es_ordinals(text: str, rules: LanguageRules) -> str:
    if not _HAS_DIGIT.search(text):
        return text

    def replace(m: re.Match[str]) -> str:
        word = rules.ordinal(int(m.group(1)))
        return word[:-1] + "a" if m.group(0).endswith("ª") and word.endswith("o") else word

    return _ES_ORDINAL.sub(replace, text)


def _es_numbers(text: str, rules: LanguageRules) -> str:
    if not _HAS_DIGIT.search(text):
        return text
    # Spain writes 1.000,5 and Mexico 1,000.5: a group of exactly three digits is thousands.
    text = re.sub(r"(?<=[0-9]),(?=[0-9]{3}(?![0-9]))", ".", text)
    text = re.sub(r"(?<![0-9.])([0-9]+)\.([0-9]{1,2})(?![0-9])", r"\1,\2", text)
    return _numbers(text, rules)


# --------------------------------------------------------------------------- registry

_EN_OPENERS = _words(
    "The A An This That These Those There Their His Her Its It He She They We I You Our My "
    "But And Or So Yet In On At As For If When While After Before Since Although However "
    "Meanwhile Also Some Many Most All Not What Why How Who Where Then Still Now Last "
    "Earlier Later One Both Each Other Such"
)

LANGUAGES: dict[str, LanguageRules] = {
    "en": LanguageRules(
        code="en",
        number_lang="en",
        decimal_comma=False,
        words=MappingProxyType(
            {"point": "point", "minus": "minus", "percent": "percent", "to": "to", "and": "and"}
        ),
        abbreviations=MappingProxyType(
            {
                "vs.": "versus",
                "vs": "versus",
                "v.": "versus",
                "e.g.": "for example",
                "i.e.": "that is",
                "etc.": "et cetera",
                "approx.": "approximately",
                "Inc.": "Inc",
                "Ltd.": "Limited",
                "Corp.": "Corporation",
                "Co.": "Company",
                "Jr.": "Junior",
                "Sr.": "Senior",
                "Ave.": "Avenue",
                "Blvd.": "Boulevard",
                "Dept.": "Department",
                "Govt.": "government",
                "est.": "established",
                "cf.": "compare",
            }
        ),
        never_final=_words(
            "mr mrs ms dr prof gen sen sens rep reps gov lt col capt sgt adm rev pres cmdr maj "
            "supt insp st mt ft hon vs v e.g i.e cf approx"
        ),
        maybe_final=_words("etc inc ltd corp co jr sr ave blvd dept govt est a.m p.m u.s u.k"),
        before_number=_words(
            "no nos jan feb mar apr jun jul aug sep sept oct nov dec p pp fig vol ch sec art"
        ),
        openers=_EN_OPENERS,
        steps=(
            _drop_pictographs,
            _en_web,
            _en_early,
            _en_dates,
            _en_times,
            _en_phones,
            _ranges,
            _en_money,
            _percentages,
            _en_decades_ordinals,
            _en_units_models,
            _en_symbols,
            _negatives,
            _numbers,
            _leftover_digits,
            _en_titles,
            _abbreviations,
            _en_acronyms,
            _neutral_symbols,
        ),
    ),
    "de": LanguageRules(
        code="de",
        number_lang="de",
        words=MappingProxyType(
            {"point": "Komma", "minus": "minus", "percent": "Prozent", "to": "bis", "and": "und"}
        ),
        abbreviations=MappingProxyType(
            {
                "z.B.": "zum Beispiel",
                "z. B.": "zum Beispiel",
                "d.h.": "das heißt",
                "u.a.": "unter anderem",
                "bzw.": "beziehungsweise",
                "usw.": "und so weiter",
                "etc.": "et cetera",
                "Nr.": "Nummer",
                "Dr.": "Doktor",
                "Prof.": "Professor",
                "ca.": "circa",
                "Mio.": "Millionen",
                "Mrd.": "Milliarden",
                "Str.": "Straße",
                "vgl.": "vergleiche",
                "ggf.": "gegebenenfalls",
                "inkl.": "inklusive",
                "evtl.": "eventuell",
                "Hr.": "Herr",
                "Fr.": "Frau",
                "St.": "Sankt",
                "v.a.": "vor allem",
                "z.T.": "zum Teil",
                "%": "Prozent",
            }
        ),
        never_final=_words(
            "z.b z d.h u.a bzw nr dr prof ca vgl ggf inkl evtl hr fr st str v.a z.t abs art bd jh"
        ),
        maybe_final=_words("usw etc mio mrd"),
        before_number=_words("nr abs art s bd"),
        openers=_words(
            "Der Die Das Ein Eine Er Sie Es Wir Ich Ihr Man Aber Und Oder Doch Dann Auch Am "
            "Im In Auf Nach Vor Bei Mit Seit Als Wenn Dies Diese Dieser Dieses Damit Denn "
            "Trotzdem Zudem Außerdem"
        ),
        currencies=MappingProxyType(
            {"€": ("Euro", "Euro"), "$": ("Dollar", "Dollar"), "£": ("Pfund", "Pfund")}
        ),
        ordinal_dot=True,
        steps=(
            _drop_pictographs,
            _de_dates_times,
            _ranges,
            _prefix_money,
            _suffix_currency,
            _percentages,
            _abbreviations,
            _negatives,
            _numbers,
            _leftover_digits,
            _neutral_symbols,
        ),
    ),
    "es": LanguageRules(
        code="es",
        number_lang="es",
        words=MappingProxyType(
            {"point": "coma", "minus": "menos", "percent": "por ciento", "to": "a", "and": "y"}
        ),
        abbreviations=MappingProxyType(
            {
                "Sr.": "señor",
                "Sra.": "señora",
                "Srta.": "señorita",
                "Dr.": "doctor",
                "Dra.": "doctora",
                "Ud.": "usted",
                "Uds.": "ustedes",
                "EE.UU.": "Estados Unidos",
                "EE. UU.": "Estados Unidos",
                "etc.": "etcétera",
                "núm.": "número",
                "Núm.": "número",
                "pág.": "página",
                "aprox.": "aproximadamente",
                "p.ej.": "por ejemplo",
                "p. ej.": "por ejemplo",
                "a.C.": "antes de Cristo",
                "d.C.": "después de Cristo",
                "Av.": "avenida",
                "Avda.": "avenida",
                "%": "por ciento",
            }
        ),
        never_final=_words("sr sra srta dr dra ud uds núm pág aprox p.ej ej av avda lic ing gral"),
        maybe_final=_words("etc ee.uu a.c d.c"),
        before_number=_words("núm no nº pág art"),
        openers=_words(
            "El La Los Las Un Una Unos Unas Pero Y En Este Esta Estos Estas Eso Él Ella "
            "Ellos Ellas No Sin Con Por Para Según Además También Así Luego Hoy Ayer"
        ),
        currencies=MappingProxyType(
            {"€": ("euro", "euros"), "$": ("dólar", "dólares"), "£": ("libra", "libras")}
        ),
        steps=(
            _drop_pictographs,
            _es_ordinals,
            _ranges,
            _prefix_money,
            _suffix_currency,
            _percentages,
            _abbreviations,
            _negatives,
            _es_numbers,
            _leftover_digits,
            _neutral_symbols,
        ),
    ),
}
