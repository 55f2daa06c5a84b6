"""Paywalls: tell a truncated teaser from a whole article, and say so in the page's language.

A page that sends only the opening of a paywalled story says so in its JSON-LD:
`isAccessibleForFree: false`, usually with a `hasPart` element whose `cssSelector` names the
paywalled part, which the server left empty. Where that part is not on the page at all, a
paywall box asking the reader to subscribe says the same. Pages that send the paywalled text
anyway (to subscribers, or a member-only story the meter let through) have neither, so they
are narrated whole and not flagged.
"""

from __future__ import annotations

import json
import re

from lxml import etree

from narrate.article import labels
from narrate.article.junk import name_tokens

_PAYWALL_NAMES = frozenset({"paywall", "regwall", "paywalled"})
_SIMPLE_SELECTOR = re.compile(r"^([a-zA-Z][\w-]*)?((?:[.#][\w-]+)*)$")
_OFFER_WORDS = 120
_MIN_CHARS = 40
"""A paywalled part holding less text than this was left empty by the server."""

NOTES = {
    "en": "The rest of this article is available to subscribers of {site}.",
    "de": "Der Rest dieses Artikels ist für Abonnenten von {site} verfügbar.",
    "es": "El resto de este artículo está disponible para los suscriptores de {site}.",
    "fr": "La suite de cet article est réservée aux abonnés de {site}.",
    "it": "Il resto di questo articolo è disponibile per gli abbonati di {site}.",
    "pt": "O resto deste artigo está disponível para os assinantes de {site}.",
}
_UNNAMED_SITE = {
    "en": "the site",
    "de": "der Website",
    "es": "el sitio",
    "fr": "ce site",
    "it": "questo sito",
    "pt": "o site",
}


def truncation_note(site: str | None, lang: str) -> str:
    """The closing line for a truncated teaser, in `lang` (English for other languages)."""
    lang = lang if lang in NOTES else "en"
    return NOTES[lang].format(site=site or _UNNAMED_SITE[lang])


def _json_ld(tree: etree._Element) -> list[dict[str, object]]:
    """The JSON-LD objects of the page, graphs and lists flattened one level."""
    found: list[dict[str, object]] = []
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        items = data if isinstance(data, list) else [data]
        for item in items:
            if isinstance(item, dict):
                found.append(item)
                graph = item.get("@graph")
                if isinstance(graph, list):
                    found += [g for g in graph if isinstance(g, dict)]
    return found


def _not_free(value: object) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def _select(tree: etree._Element, selector: str) -> list[etree._Element] | None:
    """Elements matching a simple CSS selector (tag, .class, #id); None if it is not simple."""
    match = _SIMPLE_SELECTOR.match(selector.strip())
    if not match or not selector.strip():
        return None
    tag, rest = match.group(1) or "*", match.group(2)
    conditions = [
        f"contains(concat(' ', normalize-space(@class), ' '), ' {part[1:]} ')"
        if part[0] == "."
        else f"@id='{part[1:]}'"
        for part in re.findall(r"[.#][\w-]+", rest)
    ]
    query = f"//body//{tag}" + "".join(f"[{c}]" for c in conditions)
    return tree.xpath(query)


def _part_empty(tree: etree._Element, parts: object) -> bool | None:
    """Whether the declared paywalled part is on the page but empty; None if none is found."""
    found = None
    for part in parts if isinstance(parts, list) else [parts]:
        if not isinstance(part, dict) or not _not_free(part.get("isAccessibleForFree")):
            continue
        for one in str(part.get("cssSelector") or "").split(","):
            elements = _select(tree, one)
            if not elements:
                continue
            text = " ".join(" ".join(t for el in elements for t in el.itertext()).split())
            found = found or len(text) < _MIN_CHARS
    return found


def _offer(el: etree._Element) -> bool:
    """A paywall box asking the reader to subscribe, not paywalled text that was sent anyway."""
    text = " ".join(el.itertext())
    if len(text.split()) > _OFFER_WORDS:
        return False
    if labels.ends_teaser(text):
        return True
    return bool(_PAYWALL_NAMES & set(name_tokens(el))) and labels.asks_reader(text)


def is_truncated(tree: etree._Element) -> bool:
    """Whether the page is a paywalled teaser rather than the whole article (before pruning)."""
    declared = [d for d in _json_ld(tree) if _not_free(d.get("isAccessibleForFree"))]
    if not declared:
        return False
    empty = [_part_empty(tree, d.get("hasPart")) for d in declared]
    if any(e is not None for e in empty):
        return any(empty)
    body = tree.find(".//body")
    return body is not None and any(_offer(el) for el in body.iter() if isinstance(el.tag, str))
