"""JSON Feed (jsonfeed.org, versions 1 and 1.1), read with the standard library."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html import escape
from typing import Any

from narrate.article.fetch import decode
from narrate.errors import InputError
from narrate.feed.entry import (
    About,
    Entry,
    Feed,
    absolute,
    clean_text,
    html_to_text,
    make_entry,
    make_feed,
    safe_str,
)


def parse(data: bytes, source: str, base_url: str | None) -> Feed:
    """A JSON Feed document; InputError when it is not one."""
    try:
        doc = json.loads(decode(data, "application/json"))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"{source}: malformed JSON ({exc})") from exc
    if not isinstance(doc, dict) or "jsonfeed.org" not in str(doc.get("version", "")):
        raise InputError(f"{source}: JSON but not a JSON Feed (no jsonfeed.org version)")
    items = doc.get("items")
    if not isinstance(items, list):
        raise InputError(f"{source}: JSON Feed without an items list")
    base = safe_str(doc.get("feed_url")) or base_url

    def one(item: Any) -> Entry | None:
        if not isinstance(item, dict):
            return None
        link = absolute(safe_str(item.get("url")) or safe_str(item.get("external_url")), base)
        text = safe_str(item.get("content_text"))
        html = safe_str(item.get("content_html")) or _escape_text(text)
        summary = safe_str(item.get("summary")) or html_to_text(html)[:300]
        title = clean_text(safe_str(item.get("title"))) or summary[:80] or (link or "")
        raw = item.get("id")
        raw_id = (
            safe_str(str(raw)).strip()
            if isinstance(raw, str | int) and not isinstance(raw, bool)
            else ""
        )
        if not (raw_id or link or html):
            return None
        when = safe_str(item.get("date_published")) or safe_str(item.get("date_modified"))
        date = _iso_date(when)
        return make_entry(raw_id, link, title, summary, html or summary, _author(item), date)

    about = About(
        title=clean_text(safe_str(doc.get("title"))),
        link=safe_str(doc.get("home_page_url")) or None,
        description=clean_text(safe_str(doc.get("description"))) or None,
        language=safe_str(doc.get("language")) or None,
        author=_author(doc),
        image=safe_str(doc.get("icon")) or None,
    )
    return make_feed(source, about, (one(i) for i in items), "json")


def _author(obj: Mapping[str, Any]) -> str | None:
    people = obj.get("authors")
    if not isinstance(people, list):
        people = [obj.get("author")]
    names = [clean_text(p.get("name")) for p in people if isinstance(p, dict)]
    return ", ".join(n for n in names if n) or None


def _escape_text(text: str) -> str:
    return "".join(f"<p>{escape(p)}</p>" for p in text.split("\n\n") if p.strip())


def _iso_date(text: str) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            value = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
