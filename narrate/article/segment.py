"""Article → Script: chapters of role-tagged segments, with quoted speech split from narration."""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Iterator

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

from narrate.article.paywall import truncation_note as _truncation_note
from narrate.config import DISCLAIMER
from narrate.models import Article, Block, Chapter, Role, Script, Segment, Sentence
from narrate.speech.clean import clean, comparison_key
from narrate.speech.disclaimer import disclaimer_for
from narrate.speech.lang import primary_subtag
from narrate.speech.lexicon import Lexicon
from narrate.speech.sentences import split_sentences
from narrate.speech.spoken import to_spoken

# Opening mark → the marks that may close it.
_QUOTE_PAIRS = {
    '"': '"',
    "“": "”",
    "„": "“”",
    "«": "»",
    "‹": "›",
    "‘": "’",
    "‚": "‘’",
}
_QUOTE_MARKS = frozenset('"“”„«»‹›‘’‚')
_AFTER_QUOTE = re.compile(r"[,.;!?…]+")
_SCARE_QUOTE_WORDS = 3
"""A quotation of at most this many words is a scare quote and stays in the narration."""
_DUPLICATE_MIN_CHARS = 30
"""Shorter repeats ("Yes.") can be genuine; only longer ones count as duplicates."""
_DUPLICATE_WINDOW = 6
"""How many blocks apart a pull quote and the text it repeats may be."""

# (by author, for site, from site) per language.
_CREDIT_WORDS = {
    "en": ("By", "for", "From"),
    "de": ("Von", "für", "Von"),
    "es": ("Por", "para", "De"),
    "fr": ("Par", "pour", "De"),
    "it": ("Di", "per", "Da"),
    "pt": ("Por", "para", "De"),
}


def segment(
    article: Article,
    disclaimer: str | None = DISCLAIMER,
    lexicon: Lexicon | None = None,
    truncation_note: bool = True,
) -> Script:
    """Turn an article into the narration script: title chapter first, then one per heading.

    The standard disclaimer is spoken in the article's language; a custom one as given. A
    lexicon (of the article's language) shapes each sentence's spoken text as it is made. A
    paywalled teaser ends with a line saying the rest is for subscribers, unless told not to.
    """
    lang = article.lang
    front: list[Segment] = []
    if disclaimer == DISCLAIMER:
        disclaimer = disclaimer_for(lang)
    if disclaimer:
        front.extend(_segments("disclaimer", disclaimer, lang, lexicon))
    front.extend(_segments("title", article.title, lang, lexicon))
    credit = credit_line(article)
    if credit:
        front.extend(_segments("narration", credit, lang, lexicon))

    chapters: list[Chapter] = []
    title, segments = article.title, front
    for block in _without_duplicates(article.blocks):
        if block.kind == "heading":
            if segments:
                chapters.append(Chapter(title, tuple(segments)))
            title, segments = clean(block.text) or title, []
        segments.extend(_block_segments(block, lang, lexicon))
    if article.truncated and truncation_note:
        note = _truncation_note(article.site, lang)
        segments.extend(_segments("narration", note, lang, lexicon))
    if segments:
        chapters.append(Chapter(title, tuple(segments)))
    return Script(
        title=article.title,
        chapters=tuple(chapters),
        lang=lang,
        url=article.url,
        byline=article.byline,
        date=article.date,
        site=article.site,
        image=article.image,
        description=article.description,
        truncated=article.truncated,
    )


def render_text(script: Script) -> str:
    """The script as text: `## Chapter` lines, then one `role: text` line per segment."""
    lines: list[str] = []
    for chapter in script.chapters:
        lines.append(f"## {chapter.title}")
        lines.extend(f"{s.role}: {s.text}" for s in chapter.segments)
    return "\n".join(lines) + "\n"


def credit_line(article: Article) -> str | None:
    """One short spoken line for byline, site and date, e.g. "By A, for Site. May 13, 2025."."""
    by, for_, from_ = _CREDIT_WORDS.get(article.lang, ("", "", ""))
    byline = clean(article.byline or "")
    site = clean(article.site or "")
    if byline and site and site.lower() not in byline.lower():
        credit = f"{by} {byline}, {for_} {site}." if by else f"{byline}, {site}."
    elif byline:
        credit = f"{by} {byline}." if by else f"{byline}."
    elif site:
        credit = f"{from_} {site}." if from_ else f"{site}."
    else:
        credit = ""
    date = spoken_date(article.date, article.lang) if article.date else None
    if date:
        credit = f"{credit} {date}.".strip()
    return credit.replace("..", ".") or None


def spoken_date(iso: str, lang: str = "en") -> str | None:
    """An ISO date as people write it in `lang` ("May 13, 2025"), for the voice to read out.

    The ISO text when babel knows no such locale; None when it is no date.
    """
    match = re.match(r"(\d{4})-(\d\d)-(\d\d)", iso)
    if not match:
        return None
    try:
        day = datetime.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None
    locale = _locale(lang)
    # Some locales space with U+202F ("2025 г."); clean() makes that a plain space.
    return clean(format_date(day, "long", locale=locale)) if locale else match.group(0)


def _locale(lang: str) -> Locale | None:
    """The babel locale of a tag (`en-GB` writes 13 May), else of its language, if babel has one."""
    for tag in (lang.strip().replace("-", "_"), primary_subtag(lang)):
        try:
            return Locale.parse(tag)
        except (UnknownLocaleError, ValueError):
            continue
    return None


def _without_duplicates(blocks: tuple[Block, ...]) -> Iterator[Block]:
    """Blocks minus repeats: a pull quote that repeats body text, or a block seen before."""
    keys = [comparison_key(b.text) for b in blocks]

    def repeats(i: int, j: int) -> bool:
        """Whether block i repeats block j (of a pair, exactly one repeats the other)."""
        if keys[i] != keys[j]:
            return keys[i] in keys[j]
        i_quote, j_quote = blocks[i].kind == "quote", blocks[j].kind == "quote"
        return i_quote and not j_quote if i_quote != j_quote else i > j

    for i, block in enumerate(blocks):
        if block.kind != "heading" and len(keys[i]) >= _DUPLICATE_MIN_CHARS:
            # Only nearby repeats: recipes and FAQs legitimately repeat text sections apart.
            near = range(max(0, i - _DUPLICATE_WINDOW), min(len(blocks), i + _DUPLICATE_WINDOW + 1))
            if any(j != i and blocks[j].kind != "heading" and repeats(i, j) for j in near):
                continue
        yield block


def _block_segments(block: Block, lang: str, lexicon: Lexicon | None) -> list[Segment]:
    if block.kind == "heading":
        return _segments("heading", block.text, lang, lexicon)
    if block.kind == "quote":
        return _segments("quote", _unwrap(clean(block.text)), lang, lexicon)
    segments: list[Segment] = []
    for role, text in split_quotes(clean(block.text)):
        segments.extend(_segments(role, text, lang, lexicon))
    last = len(segments) - 1
    return [s if i == last or _ENDS.search(s.text) else _run_on(s) for i, s in enumerate(segments)]


_ENDS = re.compile(r"[.!?…:][\"'”’»)\]]*$")
"""A piece ending so is a sentence of its own: a colon introduces a whole-sentence quotation."""


def _run_on(segment: Segment) -> Segment:
    """The segment with its last sentence marked to go on into the next (an inline quotation)."""
    *head, last = segment.sentences
    return Segment(segment.role, (*head, dataclasses.replace(last, runs_on=True)))


def _segments(role: Role, text: str, lang: str, lexicon: Lexicon | None) -> list[Segment]:
    """Zero or one segment: the speakable sentences of `text`, spoken text lexicon applied."""
    sentences: list[Sentence] = []
    for raw in split_sentences(clean(text), lang):
        sentence = raw.strip()
        spoken = to_spoken(sentence, lang).strip() if sentence else ""
        if any(ch.isalnum() for ch in spoken):
            if lexicon is not None:
                spoken = lexicon.apply(spoken)
            sentences.append(Sentence(sentence, spoken))
    return [Segment(role, tuple(sentences))] if sentences else []


def _unwrap(text: str) -> str:
    """A block quote's text without the quote marks around all of it."""
    if len(text) >= 2 and text[0] in _QUOTE_PAIRS and text[-1] in _QUOTE_PAIRS[text[0]]:
        inner = text[1:-1]
        if not any(ch in _QUOTE_MARKS for ch in inner if ch not in "'’"):
            return inner.strip()
    return text


def _is_opening(text: str, i: int) -> bool:
    mark = text[i]
    before = text[i - 1] if i else " "
    after = text[i + 1] if i + 1 < len(text) else ""
    if not after or (after.isspace() and mark not in "«‹"):
        return False
    if mark in '"‘':
        # Straight and single marks double as inch signs and apostrophes: they open words only.
        return before.isspace() or before in "([{—–-:/…"
    return True


def _closing(text: str, start: int, mark: str) -> int:
    """Index of the mark that closes a quotation opened by `mark`, or -1 if it never closes."""
    closers = _QUOTE_PAIRS[mark]
    for j in range(start, len(text)):
        if text[j] not in closers:
            continue
        if mark in "‘‚" and j + 1 < len(text) and text[j + 1].isalnum():
            continue  # an apostrophe inside a word: doesn’t
        return j
    return -1


def split_quotes(text: str) -> list[tuple[Role, str]]:
    """Split a paragraph into narration and quotation pieces at quotation marks.

    Attributions stay in the narration; scare quotes of up to three words stay in the narration
    with their marks; a quotation that never closes runs to the end of the paragraph; punctuation
    right after a closing mark goes with the quotation.
    """
    pieces: list[tuple[Role, str]] = []
    narration_start = 0
    i = 0
    while i < len(text):
        mark = text[i]
        if mark not in _QUOTE_PAIRS or not _is_opening(text, i):
            i += 1
            continue
        close = _closing(text, i + 1, mark)
        end = len(text) if close < 0 else close + 1
        inner = text[i + 1 : close if close >= 0 else len(text)]
        trailing = _AFTER_QUOTE.match(text, end)
        if trailing:
            inner += trailing.group(0)
            end = trailing.end()
        if len(inner.split()) > _SCARE_QUOTE_WORDS:
            pieces.append(("narration", text[narration_start:i]))
            pieces.append(("quote", inner))
            narration_start = end
        i = end
    pieces.append(("narration", text[narration_start:]))
    return [(role, t.strip()) for role, t in pieces if t.strip()]
