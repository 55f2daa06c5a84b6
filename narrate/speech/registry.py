"""The language registry: the rules of each language narrate knows, generic rules for others."""

from __future__ import annotations

from functools import lru_cache

from num2words import CONVERTER_CLASSES

from narrate.speech import de, en, es
from narrate.speech.lang import LanguageRules, Step, primary_subtag
from narrate.speech.steps import drop_pictographs, leftover_digits, neutral_symbols, numbers

LANGUAGES: dict[str, LanguageRules] = {"en": en.RULES, "de": de.RULES, "es": es.RULES}


def rules_for(lang: str) -> LanguageRules:
    """The rules for a language tag's primary subtag; generic rules when narrate has none."""
    code = primary_subtag(lang)
    rules = LANGUAGES.get(code)
    if rules is None:
        rules = _generic_rules(code)
    return rules


@lru_cache(maxsize=64)
def _generic_rules(code: str) -> LanguageRules:
    number_lang = code if code in CONVERTER_CLASSES else None
    point = getattr(CONVERTER_CLASSES.get(code), "pointword", ",")
    words = {"point": point if isinstance(point, str) else ","}
    steps: tuple[Step, ...] = (drop_pictographs, neutral_symbols)
    if number_lang:
        steps += (numbers, leftover_digits)
    return LanguageRules(
        code=code,
        number_lang=number_lang,
        decimal_comma=code not in _POINT_DECIMAL_LANGS,
        words=words,
        steps=steps,
    )


_POINT_DECIMAL_LANGS = frozenset({"en", "ja", "ko", "zh", "th", "he", "hi", "ms", "tl", "ga", "cy"})
