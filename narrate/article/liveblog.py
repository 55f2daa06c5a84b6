"""Live blogs (`LiveBlogPosting`): each update's clock time is read with it, relative stamps never.

An update carries a stamp such as "12 min ago" or "Updated 3:14 p.m." in a `<time>` element
whose `datetime` (or `title`) holds the real time. `prepare` rewrites every stamp as the clock
time and moves it just after the update's headline, so it is read at the start of the update's
chapter and not as the last line of the one before. Badges ("Pinned", "Key event") and share
buttons are furniture that `narrate.article.junk` removes by name.
"""

from __future__ import annotations

import json
import re

from lxml import etree

from narrate.article.junk import drop

_CLOCK = re.compile(r"^\d{1,2}[:.]\d\d(?:\s*[ap]\.?m\.?)?$", re.IGNORECASE)
_ISO_TIME = re.compile(r"T(\d\d):(\d\d)")
_HEADINGS = ("h2", "h3", "h4")
_UPDATE_DEPTH = 3
"""How far up from a stamp its update's container may be."""


def is_live_blog(tree: etree._Element) -> bool:
    """Whether the page's JSON-LD declares a LiveBlogPosting."""
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        if "LiveBlogPosting" in json.dumps(_types(data)):
            return True
    return False


def _types(data: object) -> list[object]:
    """Every @type value in a JSON-LD document, nested graphs included."""
    if isinstance(data, dict):
        found = [data.get("@type")]
        for value in data.values():
            if isinstance(value, dict | list):
                found += _types(value)
        return found
    if isinstance(data, list):
        return [t for item in data for t in _types(item)]
    return []


def clock(el: etree._Element, lang: str) -> str | None:
    """The clock time a <time> element stands for, as the language (a BCP 47 tag) writes it."""
    title = " ".join((el.get("title") or "").split())
    if _CLOCK.match(title):
        return title
    match = _ISO_TIME.search(el.get("datetime") or "")
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if not lang.lower().startswith("en"):
        return f"{hour}:{minute:02d}"
    suffix = "a.m." if hour < 12 else "p.m."
    return f"{(hour - 1) % 12 + 1}:{minute:02d} {suffix}"


def is_clock_line(text: str) -> bool:
    """A line that is only a clock time, as `prepare` writes it after an update's headline."""
    return bool(_CLOCK.match(text.strip().removesuffix(".")))


def _headline_after(stamp: etree._Element) -> etree._Element | None:
    """The update headline that follows a stamp inside the same update container."""
    node = stamp
    for _ in range(_UPDATE_DEPTH):
        parent = node.getparent()
        if parent is None:
            return None
        for sibling in node.itersiblings():
            if not isinstance(sibling.tag, str):
                continue
            heading = next(sibling.iter(*_HEADINGS), None)
            if heading is not None:
                return heading
        node = parent
    return None


def prepare(tree: etree._Element, lang: str) -> int:
    """Rewrite each update's stamp as its clock time, after its headline if it has one.

    Returns how many clock times were placed; stamps with no time behind them are dropped.
    """
    body = tree.find(".//body")
    if body is None:
        return 0
    moved = 0
    for stamp in list(body.iter("time")):
        parent = stamp.getparent()
        if parent is None:
            continue
        text = clock(stamp, lang)
        headline = _headline_after(stamp)
        drop(stamp)
        if not text:
            continue
        line = etree.Element("p")
        line.text = text if text.endswith(".") else f"{text}."
        if headline is not None:
            line.tail = headline.tail
            headline.tail = None
            headline.addnext(line)
            moved += 1
        elif parent is not body:
            # No headline: read the time before the update's text, outside the stamp's box
            # (extractors drop a "meta" box as page furniture).
            parent.addprevious(line)
            moved += 1
    return moved
