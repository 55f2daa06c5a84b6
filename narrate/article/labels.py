"""The text side of in-body junk: labels, calls to action and date lines, in six languages.

What a box says when its markup names nothing: "Read more: …", "Anzeige", "Subscribe now",
"sexta-feira, 22 de outubro de 2010 às 20:13". Only short blocks are judged, and a sentence of
news that merely mentions subscribers or newsletters is not a call to action. The vocabulary is
in `narrate.article.calls`.
"""

from __future__ import annotations

import re

from narrate.article.calls import DATE_WORDS, KEEP_READING, LABELS, PHRASES, READER

_LABEL = re.compile("^(?:" + "|".join(p for ps in LABELS.values() for p in ps) + ")", re.IGNORECASE)
_READER = re.compile(r"\b(?:" + "|".join(READER) + r")\b", re.IGNORECASE)
_PHRASE = re.compile("|".join(p for ps in PHRASES.values() for p in ps), re.IGNORECASE)
_PHRASE_RES = tuple(re.compile(p, re.IGNORECASE) for ps in PHRASES.values() for p in ps)
_WORD = re.compile(r"\w+")
_URL_ONLY = re.compile(r"^(?:https?://|www\.)\S+$")
_ADDRESS = re.compile(r"https?://\S+|\bwww\.\S+|\b[\w.+-]+@[\w-]+\.[\w.]+|\btwitter\.com/\w+")
_LINK_LINE_WORDS = 12
_TAG_LIST = re.compile(
    r"^(?:tags|topics|keywords|schlagwörter|themen|etiquetas|temas|mots-clés|argomenti)\b\s*:?\s*\w+"
    r"(?:[^,]*,){2}",
    re.IGNORECASE,
)
_TAG_LIST_WORDS = 80
_KEEP_READING = re.compile("|".join(KEEP_READING), re.IGNORECASE)
_YEAR_OR_CLOCK = re.compile(r"\b(?:19|20)\d\d\b|\b\d{1,2}[:.h]\d\d\b")
_DATE_LINE_WORDS = 16
_DATE_LINE_OTHER_WORDS = 2
"""A site or author name may sit on a date line ("LinkNaija August 08, 2018")."""
_LABEL_BLOCK_WORDS = 25
_PHRASES_BLOCK_WORDS = 50
_BUTTON_WORDS = 8
_SLOGAN_WORDS = 20


def ends_teaser(text: str) -> bool:
    """Whether the text is what a paywall box says where the teaser stops."""
    return bool(_KEEP_READING.search(" ".join(text.split())))


def asks_reader(text: str) -> bool:
    """Whether the text has any of the calls to action (subscribe, sign in, donate…)."""
    return bool(_PHRASE.search(text))


def is_date_line(text: str) -> bool:
    """A line that only says when ("sexta-feira, 22 de outubro de 2010 às 20:13"), any language."""
    tokens = _WORD.findall(text.lower())
    if not tokens or len(tokens) > _DATE_LINE_WORDS or not _YEAR_OR_CLOCK.search(text):
        return False
    rest = [t for t in tokens if not t.isdigit() and t not in DATE_WORDS]
    return len(rest) <= _DATE_LINE_OTHER_WORDS


def is_junk_text(text: str) -> bool:
    """Whether a block's words alone say it is an insert, a call to action or a date line."""
    words = len(text.split())
    if is_date_line(text) or _URL_ONLY.match(text.strip()):
        return True
    if words <= _LINK_LINE_WORDS and _ADDRESS.search(text):
        return True  # "Write to … at name@site", "More at https://…": a voice cannot read it out
    if words <= _LABEL_BLOCK_WORDS and _KEEP_READING.search(text):
        return True
    if words <= _TAG_LIST_WORDS and _TAG_LIST.match(text):
        return True
    if words <= _LABEL_BLOCK_WORDS and _LABEL.match(text):
        return True
    hits = sum(1 for p in _PHRASE_RES if p.search(text)) if _PHRASE.search(text) else 0
    sentence = text.rstrip().endswith((".", "!", "?"))
    # A box addresses its reader or is a slogan; a news sentence about subscribers is neither.
    boxed = not sentence or words <= _SLOGAN_WORDS or _READER.search(text)
    if hits >= 2 and words <= _PHRASES_BLOCK_WORDS and boxed:
        return True
    return hits >= 1 and words <= _BUTTON_WORDS and not sentence
