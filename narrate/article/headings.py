"""Section headings in any markup: subhead blocks and bold-only paragraphs become real headings.

CMSs mark a section heading as `<h2>`, but also as `<div class="subhead">`, `<p><strong>…</strong>
</p>` or a `data-block-type="subhead"` block. `mark` rewrites those as `<h3>` in the parsed page
before extraction, so every later step sees one kind of heading; `is_heading_text` refuses
what only looks like one (a bold lead-in that goes on as a sentence, a standfirst in an `<h2>`).
"""

from __future__ import annotations

import itertools
import re

from lxml import etree

from narrate.article.junk import name_tokens

MAX_WORDS = 14
"""A heading is a phrase; longer bold text is emphasis."""
_SUBHEAD_NAMES = frozenset(
    {"subhead", "subheading", "crosshead", "intertitle", "zwischentitel", "zwischenueberschrift"}
)
_SUBHEAD_PAIRS = frozenset({("sub", "title"), ("sub", "head"), ("sub", "heading")})
_STANDFIRST_NAMES = frozenset({"subtitle", "dek", "deck", "standfirst", "lede", "summary"})
_BOLD = frozenset({"strong", "b"})
_BLOCK_CHILDREN = frozenset(
    {"p", "div", "ul", "ol", "table", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "section"}
)
_CONTENT_BLOCKS = ("p", "ul", "ol", "table", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6")
_NOT_A_HEADING_END = (".", ":", ";", ",", "…")
# A full stop after a word (not "5." or "U.S.") and a capital: one sentence ends, another begins.
_SENTENCE_BREAK = re.compile(r"[^\W\d]{2}\.\s+[^\W\d_]")
_STANDFIRST_WORDS = 10


def is_heading_text(text: str) -> bool:
    """A phrase that can head a section: short, one sentence at most, not a label or clause."""
    text = text.strip()
    words = len(text.split())
    if not text or words > MAX_WORDS or text.endswith(_NOT_A_HEADING_END):
        return False
    return not _SENTENCE_BREAK.search(text)


def is_sentences(text: str) -> bool:
    """Two or more sentences: a standfirst or a paragraph, whatever its markup says."""
    return len(text.split()) >= _STANDFIRST_WORDS and bool(_SENTENCE_BREAK.search(text.strip()))


def _bold_only(p: etree._Element) -> bool:
    """A paragraph whose whole text sits inside <strong>/<b>, perhaps through <font> wrappers."""
    outermost = [b for b in p.iter("strong", "b") if not any(a.tag in _BOLD for a in _up_to(b, p))]
    bold = "".join("".join(b.itertext()) for b in outermost)
    return bool(bold.strip()) and bold.split() == "".join(p.itertext()).split()


def _up_to(el: etree._Element, top: etree._Element) -> list[etree._Element]:
    """The ancestors of `el` below `top`."""
    ancestors = []
    for a in el.iterancestors():
        if a is top:
            break
        ancestors.append(a)
    return ancestors


def _heads_text(el: etree._Element) -> bool:
    """Text follows it, in its container or one of the next few up: a heading heads something."""
    node: etree._Element | None = el
    for _ in range(4):
        if node is None:
            return False
        if any("".join(s.itertext()).strip() for s in itertools.islice(node.itersiblings(), 3)):
            return True
        node = node.getparent()
    return False


def _to_heading(el: etree._Element) -> None:
    text = " ".join(" ".join(el.itertext()).split())
    tail = el.tail
    el.clear()
    el.tag, el.text, el.tail = "h3", text, tail


def mark(tree: etree._Element) -> int:
    """Rewrite subhead blocks and bold-only paragraphs in the page as <h3>; return how many."""
    body = tree.find(".//body")
    if body is None:
        return 0
    marked = 0
    for el in list(body.iter("h2", "h3", "h4", "h5", "h6")):
        if _STANDFIRST_NAMES & set(name_tokens(el)):
            el.tag = "p"  # a subtitle or dek in heading markup is read, but heads no section
    for el in list(body.iter("p", "div")):
        if el.getparent() is None:
            continue
        tokens = name_tokens(el)
        pairs = set(itertools.pairwise(tokens))
        named = bool(_SUBHEAD_NAMES & set(tokens) or _SUBHEAD_PAIRS & pairs)
        if not named and el.tag != "p":
            continue  # only a named block or a bold-only paragraph can be a heading
        if el.find(".//h1") is not None:
            continue
        # A named subhead may wrap its text in a <div>; anything else must hold only inline text.
        inner = el.iter(*_CONTENT_BLOCKS) if named else (c for c in el if c.tag in _BLOCK_CHILDREN)
        if next((c for c in inner if c is not el), None) is not None:
            continue
        text = " ".join(" ".join(el.itertext()).split())
        if not is_heading_text(text) or el.xpath("ancestor::li | ancestor::blockquote"):
            continue
        bold = el.tag == "p" and _bold_only(el) and not el.xpath(".//a")
        if (named or bold) and _heads_text(el):
            _to_heading(el)
            marked += 1
    return marked
