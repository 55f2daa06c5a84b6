"""trafilatura's XML body → body blocks in page order: headings, paragraphs, quotes, lists, tables.

Lists and tables become speakable sentences; program code is left out, preformatted prose kept.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from narrate.models import BlockKind
from narrate.speech.clean import clean

log = logging.getLogger(__name__)

HEADING_LEVELS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_END_PUNCT = '.!?…:;"”’»)'
_CODE_SYMBOLS = frozenset("{}=<>;$#\\|_`~^")
_CODE_TOKEN = re.compile(r"\)\s*;|//\s|=>|==|\w\.\w+\(")


@dataclass
class Item:
    """A body block while extraction is still deciding; `level` is kept for headings."""

    kind: BlockKind
    text: str
    level: int = 0


def _text(el: etree._Element, skip: frozenset[str] = frozenset()) -> str:
    """All text under `el`, line breaks as spaces, without the subtrees named in `skip`."""
    parts: list[str] = []

    def visit(e: etree._Element) -> None:
        if e.tag == "lb":
            parts.append(" ")
        elif e.text:
            parts.append(e.text)
        for child in e:
            if child.tag not in skip:
                visit(child)
            if child.tail:
                parts.append(child.tail)

    visit(el)
    return clean("".join(parts))


def walk(el: etree._Element) -> Iterator[Item]:
    """Body blocks in page order from trafilatura's XML (head, p, quote, list, table, code)."""
    if el.text and el.text.strip() and el.tag in ("body", "div"):
        yield Item("paragraph", clean(el.text))
    for child in el:
        yield from _element(child)
        if child.tail and child.tail.strip() and el.tag in ("body", "div"):
            yield Item("paragraph", clean(child.tail))


def _element(el: etree._Element) -> Iterator[Item]:
    tag = el.tag
    if tag == "head":
        rend = el.get("rend", "h2")
        yield Item("heading", _text(el), HEADING_LEVELS.get(rend, 2))
    elif tag == "p":
        yield from _paragraph(el)
    elif tag == "quote":
        # One quote block per paragraph of the quotation, so each keeps its own pause.
        for item in _walk_mixed(el):
            yield Item("quote", item.text)
    elif tag == "list":
        yield from _list(el)
    elif tag == "table":
        yield from _table(el)
    elif tag == "code":
        yield from _code(el)
    elif tag in ("div", "item", "cell", "note"):
        yield from _walk_mixed(el)
    elif tag not in ("graphic", "lb", "ref") or _text(el):
        yield Item("paragraph", _text(el))


def _walk_mixed(el: etree._Element) -> Iterator[Item]:
    """Blocks of a container that may hold both loose text and block elements."""
    loose: list[str] = [el.text or ""]
    for child in el:
        if child.tag in ("p", "head", "quote", "list", "table", "div", "code"):
            if "".join(loose).strip():
                yield Item("paragraph", clean(" ".join(loose)))
            loose = []
            yield from _element(child)
        else:
            loose.append(_text(child) if child.tag != "lb" else " ")
        loose.append(child.tail or "")
    if "".join(loose).strip():
        yield Item("paragraph", clean(" ".join(loose)))


def _code(el: etree._Element) -> Iterator[Item]:
    """Preformatted prose (plain-text documents in <pre>) is read; program code is not."""
    parts: list[str] = []
    for node in el.iter():
        parts.append("\n" if node.tag == "lb" else node.text or "")
        if node is not el and node.tail:
            parts.append(node.tail)
    raw = "".join(parts)
    chars = [ch for ch in raw if not ch.isspace()]
    letters = sum(ch.isalpha() for ch in chars)
    if len(chars) < 40 or letters < 0.75 * len(chars) or looks_like_code(raw):
        log.debug("skipping a code block: code is not narrated")
        return
    for chunk in re.split(r"\n\s*\n", raw):
        if text := clean(chunk):
            yield Item("paragraph", text)


def looks_like_code(text: str) -> bool:
    """Program code: braces, semicolons and operators far denser than in prose."""
    chars = [ch for ch in text if not ch.isspace()]
    symbols = sum(ch in _CODE_SYMBOLS for ch in chars)
    return (symbols >= 4 and symbols > 0.02 * len(chars)) or len(_CODE_TOKEN.findall(text)) >= 2


def _paragraph(el: etree._Element) -> Iterator[Item]:
    if any(c.tag in ("list", "table", "quote", "head") for c in el):
        yield from _walk_mixed(el)
    else:
        yield Item("paragraph", _text(el))


def _terminate(text: str) -> str:
    """End a list item or table row with punctuation so the voice pauses there."""
    text = text.rstrip(" ,;–—-")
    return text if not text or text.endswith(tuple(_END_PUNCT)) else text + "."


def _list(el: etree._Element) -> Iterator[Item]:
    items = [i for i in el.iter("item")]
    if any(i.find("head") is not None for i in items):
        # Listicles put section headings in list items (trafilatura #309): keep them as headings.
        for item in el.findall("item"):
            yield from _walk_mixed(item)
        return
    texts = [_terminate(_text(i, skip=frozenset({"list"}))) for i in items]
    text = " ".join(t for t in texts if t)
    if text:
        yield Item("list", text)


def _table(el: etree._Element) -> Iterator[Item]:
    rows = [[c for c in row if c.tag == "cell"] for row in el.iter("row")]
    cells = [c for row in rows for c in row]
    layout = (
        len(rows) < 2
        or max(len(r) for r in rows) < 2
        or any(c.find(".//p") is not None or c.find(".//list") is not None for c in cells)
        or any(len(_text(c).split()) > 20 for c in cells)
    )
    if layout:
        # A table used for page layout: its cells hold prose, not data.
        for cell in cells:
            yield from _walk_mixed(cell)
        return
    header: list[str] | None = None
    sentences: list[str] = []
    captioned = False
    for row in rows:
        texts = [_text(c) for c in row]
        if not sentences and sum(1 for t in texts if t) == 1 and len(texts) > 1 and texts[0]:
            # trafilatura gives a <caption> a row of its own: the table's title, not its header.
            sentences.append(_terminate(texts[0]))
            captioned = True
            continue
        first = not sentences or (captioned and len(sentences) == 1)
        if header is None and first and all(c.get("role") == "head" for c in row):
            header = texts
            continue
        if header and len(header) == len(texts):
            parts = [f"{h}: {v}" if h and v else v for h, v in zip(header, texts, strict=True)]
        else:
            parts = texts
        sentence = _terminate(", ".join(p for p in parts if p))
        if sentence:
            sentences.append(sentence)
    if sentences:
        yield Item("table", " ".join(sentences))
