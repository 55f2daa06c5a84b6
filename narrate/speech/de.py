"""German: ordinal dates, Uhr times, and the order of the steps."""

from __future__ import annotations

import re
from types import MappingProxyType

from narrate.speech.lang import LanguageRules, word_set
from narrate.speech.steps import (
    HAS_DIGIT,
    drop_pictographs,
    expand_abbreviations,
    leftover_digits,
    negatives,
    neutral_symbols,
    numbers,
    percentages,
    prefix_money,
    ranges,
    suffix_currency,
)

_DE_MONTHS = "Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"
_DE_ORDINAL_DATE = re.compile(rf"(?<![0-9.,])([0-9]{{1,2}})\.\s(?=(?:{_DE_MONTHS})\b)")
_DE_TIME = re.compile(r"(?<![0-9.,:])([0-9]{1,2})[:.]([0-9]{2})\s?Uhr\b")
_DE_NUMERIC_DATE = re.compile(
    r"(?<![0-9.,])([0-9]{1,2})\.([0-9]{1,2})\.(?:([0-9]{4})|([0-9]{2}))?(?![0-9])"
)
"""24.12.2024, 24.12.24 and 24.12."""
_DE_ORDINAL = re.compile(r"(?<![0-9.,])([0-9]{1,2})\.\s(?=[A-ZÄÖÜ][a-zäöüß]{2,})")
"""Der 2. Weltkrieg, im 19. Jahrhundert — but not a number ending a sentence."""
_DE_DATIVE = frozenset({"am", "im", "vom", "zum", "beim", "dem", "den", "des", "seit", "ab", "bis"})


def _de_dates_times(text: str, rules: LanguageRules) -> str:
    if not HAS_DIGIT.search(text):
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


RULES = LanguageRules(
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
    never_final=word_set(
        "z.b z d.h u.a bzw nr dr prof ca vgl ggf inkl evtl hr fr st str v.a z.t abs art bd jh"
    ),
    maybe_final=word_set("usw etc mio mrd"),
    before_number=word_set("nr abs art s bd"),
    openers=word_set(
        "Der Die Das Ein Eine Er Sie Es Wir Ich Ihr Man Aber Und Oder Doch Dann Auch Am "
        "Im In Auf Nach Vor Bei Mit Seit Als Wenn Dies Diese Dieser Dieses Damit Denn "
        "Trotzdem Zudem Außerdem"
    ),
    currencies=MappingProxyType(
        {"€": ("Euro", "Euro"), "$": ("Dollar", "Dollar"), "£": ("Pfund", "Pfund")}
    ),
    ordinal_dot=True,
    steps=(
        drop_pictographs,
        _de_dates_times,
        ranges,
        prefix_money,
        suffix_currency,
        percentages,
        expand_abbreviations,
        negatives,
        numbers,
        leftover_digits,
        neutral_symbols,
    ),
)
