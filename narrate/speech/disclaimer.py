"""The standard disclaimer, spoken in the article's language."""

from __future__ import annotations

from narrate.config import DISCLAIMER
from narrate.speech.lang import primary_subtag

DISCLAIMERS = {
    "en": DISCLAIMER,
    "de": "Dieser Artikel wird von einer KI-generierten Stimme gelesen. "
    "Es kann zu Ungenauigkeiten kommen.",
    "es": "Este artículo lo lee una voz generada por inteligencia artificial. "
    "Puede haber imprecisiones.",
    "fr": "Cet article est lu par une voix générée par intelligence artificielle. "
    "Des erreurs peuvent survenir.",
    "it": "Questo articolo è letto da una voce generata dall'intelligenza artificiale. "
    "Potrebbero esserci imprecisioni.",
    "pt": "Este artigo é lido por uma voz gerada por inteligência artificial. "
    "Podem ocorrer imprecisões.",
}
"""The standard disclaimer in the languages narrate normalises or detects; others get English."""


def disclaimer_for(lang: str) -> str:
    """The standard disclaimer in the article's language, English when there is none."""
    return DISCLAIMERS.get(primary_subtag(lang), DISCLAIMER)
