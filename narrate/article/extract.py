"""Page → Article: the article's metadata and body blocks, free of page junk (trafilatura)."""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import urljoin

import trafilatura
from lxml import etree
from trafilatura.settings import set_date_params

from narrate.article import headings, junk, labels, liveblog, metadata, paywall
from narrate.article.blocks import HEADING_LEVELS, looks_like_code, walk
from narrate.article.blocks import Item as _Item
from narrate.article.metadata import TITLE_SEPARATORS
from narrate.errors import ExtractionError, InputError
from narrate.models import Article, Block, Page
from narrate.speech.clean import clean, comparison_key
from narrate.speech.lang import word_set

log = logging.getLogger(__name__)
_TRAFILATURA_LOG = logging.getLogger("trafilatura")

_TAG = re.compile(r"<(?:!doctype|!--|/?[a-z][a-z0-9]*)[\s>/]", re.IGNORECASE)
_DOCUMENT = re.compile(r"<(?:html|body|head)[\s>]", re.IGNORECASE)
_BINARY_MAGIC = ("%PDF", "\x89PNG", "GIF8", "PK\x03\x04", "\xff\xd8\xff", "\x1f\x8b", "ID3")
_MAX_HEADING_WORDS = 25
_KICKER_WORDS = 5
_MIN_WORDS = 12
"""Less body text than this is a navigation or error page, not an article."""

# Last-resort filters for widget text that slips past trafilatura's structural pruning. They only
# apply to short blocks, so a sentence that merely mentions these words is never dropped.
_JUNK = re.compile(
    r"^(?:is this article trustworthy|slide circle to vote|reader avg|about the (?:writer|author)s?"
    r"|read more|read next|related(?: articles| stories| posts)?|more from|sign up for|subscribe"
    r"|share (?:this|on)|follow us|we use cookies|listen to this article|advertisement"
    r"|click here|continue reading|recommended|most popular|trending now|you might also like"
    r"|newsletter|comments?$|leave a (?:reply|comment)|this site uses cookies)\b",
    re.IGNORECASE,
)
_JUNK_ANYWHERE = re.compile(
    r"voice is ai[- ]generated|rate this article|we value your input|all rights reserved"
    r"|(?:photo|image|picture|illustration|video)(?: credit)?s?\s*:|©|this is a modal window"
    r"|\(credits?:"
    r"|^(?:topics|tags|filed under|categories)\s*:",
    re.IGNORECASE,
)
_CREDIT = re.compile(
    r"^(?:(?:photo|image|picture|credit)s?:?\s*)?(?:[\w .'-]+/\s*)?(?:getty images|afp|ap|reuters"
    r"|shutterstock|epa|alamy|associated press|istock(?:photo)?|bloomberg|dpa|anadolu)"
    r"(?: via getty images)?\.?$",
    re.IGNORECASE,
)
_JUNK_SECTION = re.compile(
    r"^(?:(?:related|recommended|sponsored|trending)\b|see also$|further reading$|advertisement$"
    r"|(?:(?:featured|recent|popular|latest|top|other|more) (?:\w+ )?(?:posts|stories|articles|news"
    r"|slide ?shows|videos|galleries|columns|links|reads)|comments?|newsletters?|editor'?s picks"
    r"|most (?:read|popular|viewed|shared)|about the (?:author|writer)s?)\W*\d*\W*$"
    r"|(?:more (?:from|on|in|like this)|you (?:may|might) (?:also )?(?:like|enjoy)|sign up"
    r"|read (?:more|next|this next)|leave a (?:reply|comment)|share (?:this|on)|follow us)\b"
    r"|\d+\s*/\s*\d+\b)",
    re.IGNORECASE,
)


_UI_WORDS = word_set(
    "previous next prev close open menu share play pause mute unmute loading comments comment"
    " selected off on chapters chapter descriptions subtitles captions settings default"
    " fullscreen skip back to top print email tweet facebook twitter pinterest linkedin whatsapp"
    " reddit copy link more less show hide view all gallery image images photo photos of"
)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE_LINE = re.compile(
    rf"^(?:(?:published|updated|posted|last updated)(?: on)?:?\s+)?(?:[a-z]+day,?\s+)?"
    rf"(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?(?:\s+\d{{4}})?|\d{{1,2}}\.?\s+{_MONTH},?(?:\s+\d{{4}})?"
    rf"|\d{{4}}-\d\d-\d\d|\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}})"
    rf"(?:,?\s+(?:at\s+)?\d{{1,2}}[:.]\d\d\s*(?:[ap]\.?m\.?)?(?:\s+[a-z]{{2,4}})?)?\.?$",
    re.IGNORECASE,
)
# "About Ascom": a name, capitalised, not "About the money", which may well be a section.
_ABOUT_SECTION = re.compile(
    r"^(?:About|ABOUT|Über|Acerca de|Sobre|À propos d[eu']|Chi è)"
    r"\s+[A-Z0-9]\S*(?:\s+[A-Z0-9&]\S*){0,2}$"
)
_BYLINE_LINE = re.compile(r"^(?:by|von|por|par|di|door)\s+\S", re.IGNORECASE)


def extract(page: Page) -> Article:
    """Extract the article (metadata and junk-free body blocks) from a page."""
    # trafilatura's own notes ("discarding data: None") are for --debug; narrate says what failed.
    _TRAFILATURA_LOG.setLevel(logging.DEBUG if log.isEnabledFor(logging.DEBUG) else logging.ERROR)
    source = page.url or "the page"
    _check_html(page.html, source)
    html = page.html
    fragment = not _DOCUMENT.search(html[:5000])
    if fragment:
        # A fragment, such as a feed item's content: trafilatura wants a whole document.
        html = f"<!DOCTYPE html><html><body><article>{html}</article></body></html>"
    tree = trafilatura.load_html(html)
    if tree is None:
        raise InputError(f"not an HTML page: {source} could not be parsed as HTML")
    truncated = paywall.is_truncated(tree)
    live = liveblog.is_live_blog(tree)
    if truncated:
        log.warning("%s is a paywalled teaser: narrating only the opening", source)
    removed = junk.prune(tree)
    if live:
        liveblog.prepare(tree, tree.get("lang") or "")
    marked = headings.mark(tree)
    log.debug("removed %d in-body furniture subtrees, marked %d headings", removed, marked)
    doc = trafilatura.bare_extraction(
        tree,
        url=page.url,
        include_formatting=True,
        include_tables=True,
        include_comments=False,
        include_images=False,
        include_links=False,
        with_metadata=True,
        output_format="python",
        # Only dates the page states in its markup: a guess from "© 2016" would be read aloud.
        date_extraction_params=set_date_params(extensive=False),
    )
    if doc is None or doc.body is None:
        raise ExtractionError(f"no article text found in {source}; is it an article page?")

    items = list(walk(doc.body))
    authors = frozenset(
        comparison_key(a) for a in re.split(r"[;|]", doc.author or "") if comparison_key(a)
    )
    items = _recover_headings(items, tree, authors)
    title = metadata.title(doc, tree) if not fragment else "Untitled article"
    items = _drop_junk_sections(items)
    # The page's own <h1> is the headline too, even where it words it unlike the metadata.
    headlines = {comparison_key(title)} | {
        comparison_key(h.text_content()) for h in tree.xpath("//body//h1")[:3]
    }
    items = _drop_kicker(items, title)
    items = _drop_junk(items, title, live, frozenset(k for k in headlines if k))
    items = _drop_empty_sections(items)
    blocks = tuple(Block(i.kind, i.text) for i in items)
    if sum(len(b.text.split()) for b in blocks if b.kind != "heading") < _MIN_WORDS:
        raise ExtractionError(f"no article text found in {source}; is it an article page?")

    body_text = " ".join(b.text for b in blocks)
    lang = metadata.language(tree, body_text)
    url = doc.url if doc.url and doc.url.startswith("http") else page.url
    date = doc.date[:10] if doc.date and re.match(r"\d{4}-\d\d-\d\d", doc.date) else None
    return Article(
        title=title,
        blocks=blocks,
        lang=lang,
        url=url,
        byline=metadata.byline(doc.author, lang),
        site=clean(doc.sitename) if doc.sitename else None,
        date=date,
        image=urljoin(page.url or "", doc.image) if doc.image else None,
        description=clean(doc.description) if doc.description else None,
        truncated=truncated,
    )


def _check_html(html: str, source: str) -> None:
    """Refuse what is not an HTML page, and say what it looks like instead."""
    head = html[:8192].lstrip("\ufeff \t\r\n")
    if not head.strip():
        raise ExtractionError(f"no article text found in {source}: the page is empty")
    odd = sum(1 for ch in head if (ord(ch) < 32 and ch not in "\t\n\r\f") or ch == "\ufffd")
    if head.startswith(_BINARY_MAGIC) or "\x00" in head or odd > len(head) * 0.05:
        raise InputError(f"not an HTML page: {source} holds binary data; give narrate a web page")
    if head[0] in "{[":
        try:
            json.loads(html)
        except ValueError:
            pass
        else:
            raise InputError(f"not an HTML page: {source} is JSON; give narrate the article's page")
    if not _TAG.search(html[:200_000]):
        raise InputError(f"not an HTML page: {source} is plain text with no HTML tags")


# --- heading recovery ---------------------------------------------------------------------------


def _recover_headings(
    items: list[_Item], tree: etree._Element, authors: frozenset[str]
) -> list[_Item]:
    """Put back h2–h4 headings the page has but trafilatura dropped, before the text they head."""
    keys = [comparison_key(i.text) for i in items]
    existing = {k for k, i in zip(keys, items, strict=True) if i.kind == "heading"}
    page_headings = tree.xpath("//body//*[self::h2 or self::h3 or self::h4]")[:200]
    # Reverse page order: a heading directly followed by a sub-heading finds it already in place.
    for h in reversed(page_headings):
        text = clean(h.text_content())
        key = comparison_key(text)
        if not key or key in existing or len(text.split()) > _MAX_HEADING_WORDS:
            continue
        if _is_junk(_Item("heading", text)) or _JUNK_SECTION.match(text) or key in authors:
            continue
        linked = "".join(h.xpath("ancestor::a//text() | .//a//text()"))
        if len(comparison_key(linked)) * 2 >= len(key):
            continue  # a headline linking elsewhere belongs to a teaser, not to this article
        following = h.xpath(
            "following::text()[normalize-space()][not(ancestor::script or ancestor::style)]"
            "[position() <= 12]"
        )
        follow_key = comparison_key(" ".join(str(t) for t in following))[:40]
        if len(follow_key) < 15:
            continue
        for index in range(len(items)):
            # Compare with the text stream from this block on: a sub-heading may come first.
            stream = "".join(keys[index : index + 8])
            if not stream.startswith(follow_key) or not keys[index]:
                continue
            if index == 0:
                break  # a heading above all the text is a dek, date or author line, not a section
            before = items[index - 1]
            if before.kind == "paragraph" and comparison_key(before.text) == key:
                before.kind, before.level = "heading", HEADING_LEVELS[h.tag]
            else:
                items.insert(index, _Item("heading", text, HEADING_LEVELS[h.tag]))
                keys.insert(index, key)
            existing.add(key)
            log.debug("recovered heading %r", text)
            break
    return items


# --- junk and duplicates ------------------------------------------------------------------------


def _is_junk(item: _Item) -> bool:
    words = len(item.text.split())
    if all(w.strip(".,:;!?…()[]|»«›‹").lower() in _UI_WORDS for w in item.text.split()):
        return True
    if words <= 12 and (_JUNK.match(item.text) or _DATE_LINE.match(item.text)):
        return True
    if words <= 30 and _JUNK_ANYWHERE.search(item.text):
        return True
    if labels.is_junk_text(item.text):
        return True
    return words <= 8 and bool(_CREDIT.match(item.text))


def _drop_junk(
    items: list[_Item], title: str, live: bool = False, headlines: frozenset[str] = frozenset()
) -> list[_Item]:
    headlines = headlines | {comparison_key(title)}
    kept: list[_Item] = []
    for index, item in enumerate(items):
        if live and liveblog.is_clock_line(item.text):
            kept.append(item)  # an update's time, which a date-line rule would drop
            continue
        if not comparison_key(item.text) or _is_junk(item):
            continue
        if item.kind in ("paragraph", "quote") and looks_like_code(item.text):
            log.debug("skipping code in a %s: %.40s", item.kind, item.text)
            continue
        leading = not any(k.kind != "heading" for k in kept) and index < 4
        if (index < 4 or item.kind == "heading") and comparison_key(item.text) in headlines:
            continue  # the title is spoken once, from the metadata, and is no chapter
        if leading and _is_title_line(item.text, title):
            continue
        if item.kind == "heading" and headings.is_sentences(item.text):
            item.kind = "paragraph"  # a standfirst in heading markup is read, but heads nothing
        if leading and len(item.text.split()) <= 12 and _BYLINE_LINE.match(item.text):
            continue
        kept.append(item)
    return kept


def _drop_kicker(items: list[_Item], title: str) -> list[_Item]:
    """Drop the kicker or section label above an in-body headline: it is no body text."""
    title_key = comparison_key(title)
    for index, item in enumerate(items[:4]):
        if comparison_key(item.text) == title_key:
            before = [
                i
                for i in items[:index]
                if len(i.text.split()) > _KICKER_WORDS or i.text.rstrip().endswith((".", "!", "?"))
            ]
            return before + items[index:]
    return items


def _is_title_line(text: str, title: str) -> bool:
    """The page's <title> line: the headline, a separator and a short site name."""
    rest = text[len(title) :] if text.startswith(title) else ""
    return any(rest.startswith(sep) for sep in TITLE_SEPARATORS) and len(rest.split()) <= 5


def _drop_junk_sections(items: list[_Item]) -> list[_Item]:
    """Drop sections headed like page furniture ("Related stories", "Comments", "3/50")."""
    headed = [i for i, item in enumerate(items) if item.kind == "heading"]
    if headed and _ABOUT_SECTION.match(items[headed[-1]].text):
        # A press release's closing "About Ascom" boilerplate, not part of the story.
        items = items[: headed[-1]]
    kept: list[_Item] = []
    skip_level = 0
    for item in items:
        if item.kind == "heading":
            if skip_level and item.level > skip_level:
                continue
            skip_level = item.level if _JUNK_SECTION.match(item.text) else 0
        if not skip_level:
            kept.append(item)
    return kept


def _drop_empty_sections(items: list[_Item]) -> list[_Item]:
    """Drop headings with nothing under them before the next heading of the same or higher rank."""
    kept: list[_Item] = []
    for index, item in enumerate(items):
        if item.kind == "heading":
            rest = items[index + 1 :]
            nxt = rest[0] if rest else None
            if nxt is None or (nxt.kind == "heading" and nxt.level <= item.level):
                continue
        kept.append(item)
    return kept
