"""The listening pages of a `narrate feed` folder: one page and embed per episode, and index.html.

They are built from the published feed.xml (and each episode's sidecars), not from the batch's
internals, so the pages always show exactly what podcast apps see.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote, unquote

from narrate.config import AI_DISCLOSURE
from narrate.errors import InputError
from narrate.feed.state import locked
from narrate.files import write_text_atomic
from narrate.outputs import sidecars
from narrate.web.page import IndexEntry, PageInfo, render_index, write_pages
from narrate.web.sidecars import read_sidecars

log = logging.getLogger(__name__)

INDEX_FILE = "index.html"
_NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
}


@dataclass(frozen=True)
class Site:
    """What write_site wrote."""

    index: Path
    pages: tuple[Path, ...]
    """The episode pages, newest first, as the feed lists them."""


def write_site(out: Path, feed_file: str = "feed.xml") -> Site:
    """Write every episode's page and embed beside its MP3, player assets and out/index.html."""
    with locked(out):
        return _write_site(out, out / feed_file)


def _text(el: ET.Element, path: str) -> str | None:
    found = el.find(path, _NS)
    return found.text.strip() if found is not None and found.text else None


def _write_site(out: Path, feed: Path) -> Site:
    try:
        channel = ET.parse(feed).getroot().find("channel")
    except (OSError, ET.ParseError) as exc:
        raise InputError(f"cannot read {feed}: {exc}") from exc
    if channel is None:
        raise InputError(f"{feed} is not an RSS feed")
    self_link = channel.find("atom:link[@rel='self']", _NS)
    feed_url = self_link.get("href", "") if self_link is not None else feed.name
    base = feed_url.rsplit("/", 1)[0] + "/"
    show = _text(channel, "title") or "Narrated articles"
    lang = _text(channel, "language") or "en"
    root = out.resolve()
    pages: list[Path] = []
    entries: list[IndexEntry] = []
    for item in channel.findall("item"):
        enclosure = item.find("enclosure")
        url = enclosure.get("url", "") if enclosure is not None else ""
        audio = (out / unquote(url[len(base) :])).resolve() if url.startswith(base) else None
        if audio is None or not audio.is_relative_to(root) or not audio.is_file():
            log.warning("no page for %s: its MP3 is not in %s", url, out)
            continue
        published = _text(item, "pubDate")
        date = parsedate_to_datetime(published).date().isoformat() if published else None
        try:
            cues, chapters = read_sidecars(*sidecars(audio))
        except InputError as exc:
            log.warning("no page for %s: %s", url, exc)  # the feed and other pages still stand
            continue
        info = PageInfo(
            title=_text(item, "title") or "Untitled",
            audio=audio,
            lang=lang,
            site=show,
            date=date,
            url=_text(item, "link"),
            byline=_text(item, "itunes:author"),
            # The chapters end with the audio; itunes:duration is rounded up to whole seconds.
            duration_ms=chapters[-1].end_ms if chapters else None,
        )
        write_pages(info, cues, chapters, assets_dir=root)
        pages.append(info.page)
        entries.append(
            IndexEntry(
                title=info.title,
                page=quote(info.page.relative_to(root).as_posix()),
                duration_ms=info.duration_ms or int(_text(item, "itunes:duration") or 0) * 1000,
                chapters=len(chapters),
                date=date,
            )
        )
    # The feed's description carries the disclosure for apps; the index shows it on its own.
    description = (_text(channel, "description") or "").replace(AI_DISCLOSURE, "").strip()
    index = root / INDEX_FILE
    write_text_atomic(index, render_index(show, description, feed_url, entries, lang))
    return Site(index=index, pages=tuple(pages))
