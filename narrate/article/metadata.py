"""An article's metadata from its page: the headline without the site's name, byline, language."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lxml import etree

from narrate.speech.clean import clean, comparison_key
from narrate.speech.lang import primary_subtag, word_set

if TYPE_CHECKING:
    from trafilatura.settings import Document

TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ", " • ")
"""What separates a headline from the site's name in <title> and og:title."""

_STOPWORDS: dict[str, frozenset[str]] = {
    "en": word_set("the and of to in is that for it was on with as are by this be have from"),
    "de": word_set("der die und das ist nicht mit den von zu sich des auf für im dem ein eine"),
    "es": word_set("el la de que y los en las del por con una para es se lo como más pero"),
    "fr": word_set("le la les et des est une que pour dans qui pas sur au du avec ce il par"),
    "it": word_set("il di che la e per un una sono non gli del della con le si è al nel"),
    "pt": word_set("o a de que e do da em um para com não uma os no se na por mais as dos"),
}


def meta(tree: etree._Element, *names: str) -> str | None:
    """The first non-empty <meta> content among the property or name `names`."""
    for name in names:
        values = tree.xpath(f"//meta[@property='{name}' or @name='{name}']/@content")
        if values and clean(values[0]):
            return clean(values[0])
    return None


def title(doc: Document, tree: etree._Element) -> str:
    """The headline: og:title or the page's h1, else <title>, without a site-name suffix."""
    h1s = [
        clean(h.text_content())
        for h in tree.xpath("//body//h1")
        if not h.xpath("ancestor::a | .//a[@href='/']")  # a logo linking home is no headline
    ]
    h1s = [h for h in h1s if h]
    page_title = clean(" ".join(tree.xpath("//head/title//text()")))
    candidates = [meta(tree, "og:title", "twitter:title"), h1s[0] if len(h1s) == 1 else None]
    candidates += [page_title, doc.title]
    title = next((c for c in candidates if c and len(c) <= 300), None)
    if not title:
        return "Untitled article"
    return _strip_site(title, comparison_key(doc.sitename or doc.hostname or ""))


def _strip_site(title: str, site: str) -> str:
    """Drop "| Site" suffixes (and "Site |" prefixes) that pages add to their titles."""
    for _ in range(3):
        for sep in TITLE_SEPARATORS:
            head, _, tail = title.rpartition(sep)
            first, _, rest = title.partition(sep)
            if head and (
                (site and (comparison_key(tail) == site or site.startswith(comparison_key(tail))))
                or (len(tail.split()) <= 4 and len(head.split()) >= 4 and sep.strip() in "|·•")
            ):
                title = head.strip()
                break
            if rest and site and comparison_key(first) == site:
                title = rest.strip()
                break
        else:
            return title
    return title


def byline(author: str | None, lang: str) -> str | None:
    """Authors as one speakable phrase: "A, B and C"."""
    if not author:
        return None
    names = [clean(n) for n in re.split(r";|\|", author)]
    names = [
        re.sub(r"^(?:by|von|por|par|di)\s+", "", n, flags=re.IGNORECASE)
        for n in names
        if n and "@" not in n and "http" not in n and len(n.split()) <= 6
    ]
    names = list(dict.fromkeys(n for n in names if n))[:5]
    if not names:
        return None
    if len(names) == 1:
        return names[0]
    conj = {"de": "und", "es": "y", "fr": "et", "it": "e", "pt": "e"}.get(lang, "and")
    return f"{', '.join(names[:-1])} {conj} {names[-1]}"


def language(tree: etree._Element, text: str) -> str:
    """ISO 639-1: the page's declared language unless its text plainly says otherwise."""
    declared = (
        tree.get("lang")
        or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
        or meta(tree, "og:locale", "content-language", "language", "dc.language")
        or ""
    )
    declared_code = primary_subtag(declared)[:2]
    detected = _detect_language(text)
    if detected:
        return detected
    return declared_code if declared_code.isalpha() and len(declared_code) == 2 else "en"


def _detect_language(text: str) -> str | None:
    """Stop-word counting among en/de/es/fr/it/pt; None unless one language clearly wins."""
    words = re.findall(r"\w+", text[:20_000].lower())
    scores = {lang: sum(1 for w in words if w in stop) for lang, stop in _STOPWORDS.items()}
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top >= 8 and top >= 2 * second and top >= 0.15 * len(words):
        return best
    return None
