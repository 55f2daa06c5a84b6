"""In-body boilerplate by markup: page furniture that sits inside the article container.

Before trafilatura sees the page, `prune` removes subtrees that the page's own markup names as
furniture (class, id, role, aria and data-* names such as `newsletter`, `paywall`, `related`),
figures, asides, hidden copies, embeds' chrome and blocks that are mostly one link ("Read more:
<headline>"). It is guarded so that what carries the story (a big container, the headline,
several paragraphs of prose, an embedded post) is never removed because of a name. Boxes whose
markup says nothing are found by their words after extraction (`narrate.article.labels`).
"""

from __future__ import annotations

import itertools
import re

from lxml import etree

from narrate.speech.clean import comparison_key


def _names(words: str) -> frozenset[str]:
    return frozenset(words.split())


_PULL_QUOTE_CHARS = 20
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_SPLIT = re.compile(r"[^a-z0-9]+")

# Names that mark furniture. Whole tokens after splitting on punctuation and camelCase.
_JUNK_NAMES = _names(
    """related recirc recirculation promo promos promotion newsletter newsletters paywall regwall
    meter metering donate donation donations subscribe subscription subscriptions signup ad ads
    adslot adunit advert adverts advertisement advertising dfp sponsor sponsored sponsorship
    affiliate affiliates disclosure disclaimer share shares sharing sharebar toc breadcrumb
    breadcrumbs tags taglist comments comment disqus rating ratings feedback helpful cta upsell
    outbrain taboola recommended recommendations popular trending bio authorbox follow followus
    toolbar tools badge kicker overline eyebrow dachzeile topline roofline caption captions
    figcaption cutline credit credits gallery slideshow carousel video podcast banner modal popup
    overlay consent cookie cookies sidebar widget listen audio support membership inread alerts
    print offer offers rightcol leftcol dek deck standfirst strapline subline rollover tooltip
    popover hovercard"""
)
# A dek or standfirst ("dek", "standfirst") restates the story: benchmark bodies leave it out,
# and the listener hears the story itself right after the headline.
# Compound class names without separators ("promobox", "followus", "storytools").
_JUNK_PREFIXES = (
    "promo",
    "newsletter",
    "paywall",
    "subscri",
    "sponsor",
    "advert",
    "donat",
    "breadcrumb",
    "related",
    "follow",
    "share",
    "affiliate",
    "cutline",
    "caption",
    "gallery",
    "carousel",
    "slideshow",
    "sidebar",
)
_JUNK_SUFFIXES = ("tools", "promo", "widget", "banner", "sidebar")
_JUNK_PAIRS = frozenset(
    {
        ("also", "read"),
        ("read", "more"),
        ("read", "also"),
        ("key", "events"),
        ("reading", "time"),
        ("read", "time"),
        ("tag", "list"),
        ("about", "author"),
        ("author", "box"),
        ("author", "card"),
        ("most", "popular"),
        ("more", "stories"),
        ("story", "tools"),
        ("social", "share"),
        ("share", "count"),
        ("member", "preview"),
        ("app", "promo"),
        ("app", "install"),
        ("right", "rail"),
        ("latest", "news"),
        ("more", "news"),
        ("top", "stories"),
        ("right", "column"),
        ("left", "column"),
    }
)
# Names of what looks like furniture but is the story.
_KEEP_NAMES = _names("summary highlights takeaways correction corrections")
_KEEP_PAIRS = frozenset(
    {("key", "points"), ("editor", "note"), ("editors", "note"), ("key", "takeaways")}
)
_JUNK_TAGS = _names(
    """aside nav form button select input textarea label dialog iframe video audio svg canvas
    amp-ad amp-sticky-ad amp-embed amp-carousel amp-instagram amp-iframe amp-video amp-audio
    amp-social-share figcaption"""
)
_INLINE_TAGS = _names("a span strong b em i font time small abbr cite sup sub mark")
_RUNNING_TEXT_WORDS = 12
_TABLE_PARTS = _names("tr th thead tbody tfoot caption col colgroup")
_DATA_VALUE_CHARS = 40
_BLOCK_TAGS = _names("p div li ul ol table section blockquote h2 h3 h4 h5 h6")
_LINK_LABEL_WORDS = 6
_LINK_BLOCK_WORDS = 30
_LINK_ITEM_WORDS = 60
_LINK_ITEM_SHARE = 0.8

_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_HIDDEN_SHARE = 0.5
_BOX_TITLE = re.compile(
    r"^(?:related|recommended|trending|popular|more (?:news|stories|from|on)|latest news"
    r"|top stories|most (?:read|popular|viewed)|read (?:more|next|also)|also read"
    r"|you (?:may|might) also like"
    r"|newsletters?|share this|follow us|sponsored|advertisement)\b",
    re.IGNORECASE,
)
_BOX_TITLE_WORDS = 5


def name_tokens(el: etree._Element) -> list[str]:
    """The words of an element's class, id, role, aria-label and data-* names, lower-case."""
    parts = [el.get("class") or "", el.get("id") or "", el.get("role") or ""]
    parts.append(el.get("aria-label") or "")
    for key, value in el.attrib.items():
        if key.startswith("data-"):
            parts.append(key[5:])
            if len(value) <= _DATA_VALUE_CHARS:
                parts.append(value)
    text = _CAMEL.sub(r"\1 \2", " ".join(parts)).lower()
    return [t for t in _SPLIT.split(text) if t]


def _pairs(tokens: list[str]) -> set[tuple[str, str]]:
    """Neighbouring name words, both ways round ("quote pull" as "pull quote")."""
    pairs = set(itertools.pairwise(tokens))
    return pairs | {(b, a) for a, b in pairs}


def _named_junk(tokens: list[str]) -> bool:
    pairs = _pairs(tokens)
    if pairs & _KEEP_PAIRS:
        return False
    if pairs & _JUNK_PAIRS:
        return True
    for token in tokens:
        base = token[:-1] if token.endswith("s") and len(token) > 3 else token
        if token in _JUNK_NAMES or base in _JUNK_NAMES:
            return True
        if len(token) > 5 and (token.startswith(_JUNK_PREFIXES) or token.endswith(_JUNK_SUFFIXES)):
            return True
    return False


def _kept(tokens: list[str]) -> bool:
    pairs = _pairs(tokens)
    return bool(pairs & _KEEP_PAIRS) or any(t in _KEEP_NAMES for t in tokens)


def _words(el: etree._Element) -> int:
    return len(" ".join(el.itertext()).split())


def _carries_story(el: etree._Element, total_words: int) -> bool:
    """Too much of the page, the headline, or several paragraphs of prose to be a box."""
    if el.tag in ("html", "body", "main", "article") or el.find(".//h1") is not None:
        return True
    words = _words(el)
    if words > 0.4 * total_words and words > 80:
        return True
    prose = sum(1 for p in el.iter("p") if _words(p) >= 25)
    return prose >= 3 or (prose >= 2 and words > 150)


def _is_tweet(el: etree._Element) -> bool:
    return el.tag == "blockquote" and "twitter" in (el.get("class") or "")


def _tidy_tweet(el: etree._Element) -> None:
    """Keep a tweet's own text as a block quote; drop its links, handle and date line."""
    paragraphs = [p for p in el if p.tag == "p"]
    for child in list(el):
        if child not in paragraphs:
            el.remove(child)
    el.text = None
    for p in paragraphs:
        p.tail = None
        for a in list(p.iter("a")):
            label = (a.text_content() or "").strip()
            if label.startswith(("pic.twitter.com", "http", "t.co/")):
                drop(a)
    el.attrib.clear()
    # Extractors discard "social"/"embed" wrappers whole: lift the quote out of them.
    parent = el.getparent()
    while parent is not None and parent.getparent() is not None and parent.tag != "body":
        names = set(name_tokens(parent))
        others = [c for c in parent if c is not el and " ".join(c.itertext()).strip()]
        if others or not names & {"embed", "oembed", "social", "twitter", "tweet"}:
            break
        el.tail = parent.tail
        parent.getparent().replace(parent, el)
        parent = el.getparent()


def drop(el: etree._Element) -> None:
    """Remove an element from its tree but keep the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail and el.tail.strip():
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _link_block(el: etree._Element) -> bool:
    """A short block that is one link with at most a label ("Read more: <headline>")."""
    if any(child.tag in _BLOCK_TAGS for child in el):
        return False
    words = _words(el)
    if not words or words > _LINK_BLOCK_WORDS:
        return False
    linked = sum(len(" ".join(a.itertext()).split()) for a in el.iter("a"))
    return linked >= 0.5 * words and words - linked <= _LINK_LABEL_WORDS


def _linked_item(li: etree._Element) -> bool:
    """A list item that is a link, whatever it wraps (a headline card, an image and a title)."""
    words = _words(li)
    if not words or words > _LINK_ITEM_WORDS:
        return False
    linked = sum(len(" ".join(a.itertext()).split()) for a in li.iter("a"))
    return linked >= _LINK_ITEM_SHARE * words


def _link_list(el: etree._Element) -> bool:
    """A list whose every item is a link: related stories, tags, a table of contents."""
    items = [li for li in el if li.tag == "li"]
    return len(items) >= 2 and all(_linked_item(li) for li in items)


def prune(tree: etree._Element) -> int:
    """Remove in-body furniture from a parsed page, in place; return how many subtrees went."""
    body = tree.find(".//body")
    if body is None:
        return 0
    for script in body.xpath(".//script[not(@type='application/ld+json')] | .//style"):
        drop(script)  # their text would count as words
    total = _words(body)
    removed = 0
    for el in list(body.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None:
            continue
        if _inside_removed(el, body):
            continue
        if _is_tweet(el):
            if "instagram" in (el.get("class") or ""):
                continue
            _tidy_tweet(el)
            continue
        if _repeated_pull_quote(el, body) or _is_junk_element(el, total):
            drop(el)
            removed += 1
    for heading in list(body.iter("h2", "h3", "h4", "h5", "h6")):
        box = _orphaned_box_title(heading) if heading.getparent() is not None else None
        if box is not None and box.tag not in ("body", "main", "article"):
            drop(box)
            removed += 1
    return removed


def _orphaned_box_title(heading: etree._Element) -> etree._Element | None:
    """A box's title ("Related news") left alone in its container once the box went; else None.

    Left in place it would head, and so take down with it, the story's next section.
    """
    text = " ".join(" ".join(heading.itertext()).split())
    if len(text.split()) > _BOX_TITLE_WORDS or not _BOX_TITLE.match(text):
        return None
    node = heading
    while node.getparent() is not None and _words(node.getparent()) == _words(heading):
        node = node.getparent()
    return node if node is not heading else None


def _repeated_pull_quote(el: etree._Element, body: etree._Element) -> bool:
    """A pull quote that repeats a sentence of the body: heard once, without its attribution."""
    tokens = name_tokens(el)
    if "pullquote" not in tokens and ("pull", "quote") not in _pairs(tokens):
        return False
    quoted = comparison_key(" ".join(t for p in el.iter("p") for t in p.itertext()))
    if len(quoted) < _PULL_QUOTE_CHARS:
        return False
    rest = comparison_key(
        " ".join(t for p in body.iter("p") if el not in p.iterancestors() for t in p.itertext())
    )
    return quoted in rest


def _inside_removed(el: etree._Element, body: etree._Element) -> bool:
    """Whether an ancestor was already removed (iteration runs over a snapshot)."""
    node = el.getparent()
    while node is not None and node is not body:
        node = node.getparent()
    return node is None


def _is_junk_element(el: etree._Element, total: int) -> bool:
    tag = el.tag
    if tag in _TABLE_PARTS:
        return False  # rows and cells of a data table are named after their data
    if tag == "figure":
        if el.find(".//table") is not None or el.find(".//blockquote") is not None:
            return False
        return not _carries_story(el, total)
    if tag == "blockquote" and "instagram" in (el.get("class") or ""):
        return True
    tokens = name_tokens(el)
    hidden = el.get("hidden") is not None or _HIDDEN_STYLE.search(el.get("style") or "")
    if hidden and tag not in ("html", "body", "main", "article") and not _kept(tokens):
        # Hidden copies (microdata, duplicates) are never seen; only most of the page is kept.
        return _words(el) <= _HIDDEN_SHARE * total
    if tag in _JUNK_TAGS or el.get("aria-hidden") == "true":
        parent = el.getparent()
        if tag == "figcaption" and parent is not None and parent.find(".//table") is not None:
            return False  # a data table's caption says what the table is
        return not _kept(tokens) and not _carries_story(el, total)
    if tag in ("p", "div") and _link_block(el):
        return not _kept(tokens) and not _carries_story(el, total)
    if tag in ("ul", "ol") and _link_list(el):
        return not _kept(tokens) and not _carries_story(el, total)
    if not tokens or not _named_junk(tokens) or _kept(tokens):
        return False
    if el.xpath(".//blockquote[contains(@class, 'twitter')]"):
        return False  # an embed wrapper named after video or social: the post's text is content
    if tag in _INLINE_TAGS and _in_running_text(el):
        return False  # a link or span inside a sentence: its name is about tracking, not content
    return not _carries_story(el, total)


def _in_running_text(el: etree._Element) -> bool:
    parent = el.getparent()
    return parent is not None and _words(parent) - _words(el) >= _RUNNING_TEXT_WORDS
