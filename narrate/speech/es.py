"""Spanish: ordinals, either way of grouping digits, and the order of the steps."""

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

_ES_ORDINAL = re.compile(r"(?<![\w.,])([0-9]{1,2})\.?[ºª°](?!\w)")


def _es_ordinals(text: str, rules: LanguageRules) -> str:
    if not HAS_DIGIT.search(text):
        return text

    def replace(m: re.Match[str]) -> str:
        word = rules.ordinal(int(m.group(1)))
        return word[:-1] + "a" if m.group(0).endswith("ª") and word.endswith("o") else word

    return _ES_ORDINAL.sub(replace, text)


def _es_numbers(text: str, rules: LanguageRules) -> str:
    if not HAS_DIGIT.search(text):
        return text
    # Spain writes 1.000,5 and Mexico 1,000.5: a group of exactly three digits is thousands.
    text = re.sub(r"(?<=[0-9]),(?=[0-9]{3}(?![0-9]))", ".", text)
    text = re.sub(r"(?<![0-9.])([0-9]+)\.([0-9]{1,2})(?![0-9])", r"\1,\2", text)
    return numbers(text, rules)


RULES = LanguageRules(
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
    never_final=word_set("sr sra srta dr dra ud uds núm pág aprox p.ej ej av avda lic ing gral"),
    maybe_final=word_set("etc ee.uu a.c d.c"),
    before_number=word_set("núm no nº pág art"),
    openers=word_set(
        "El La Los Las Un Una Unos Unas Pero Y En Este Esta Estos Estas Eso Él Ella "
        "Ellos Ellas No Sin Con Por Para Según Además También Así Luego Hoy Ayer"
    ),
    currencies=MappingProxyType(
        {"€": ("euro", "euros"), "$": ("dólar", "dólares"), "£": ("libra", "libras")}
    ),
    steps=(
        drop_pictographs,
        _es_ordinals,
        ranges,
        prefix_money,
        suffix_currency,
        percentages,
        expand_abbreviations,
        negatives,
        _es_numbers,
        leftover_digits,
        neutral_symbols,
    ),
)
