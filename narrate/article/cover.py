"""An article's lead image as episode artwork: fetched, recognised by its bytes, bounded."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from narrate.article import fetch
from narrate.config import FetchLimits
from narrate.errors import FetchError

log = logging.getLogger(__name__)

MAX_COVER_BYTES = 5 * 1024 * 1024
"""Larger covers are left out: podcast apps want artwork well under this."""


@dataclass(frozen=True)
class Cover:
    """Artwork for an episode."""

    data: bytes = field(repr=False)
    """The image file's bytes, as fetched."""
    mime: str
    """Its type, read from the bytes: image/jpeg, image/png, image/gif or image/webp."""


def image_type(data: bytes) -> str | None:
    """The MIME type of a JPEG, PNG, GIF or WebP image by its first bytes, else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def fetch_cover(url: str | None, limits: FetchLimits) -> Cover | None:
    """The image at url, best effort: a missing or unusable cover never fails an episode."""
    if not url:
        return None
    try:
        resp = fetch.fetch(url, limits, kind="image")
    except FetchError as exc:
        log.info("no cover image: %s", exc)
        return None
    mime = image_type(resp.content)
    if mime is None:
        log.info("no cover image: %s is not a JPEG, PNG, GIF or WebP image", url)
        return None
    if len(resp.content) > MAX_COVER_BYTES:
        log.info("no cover image: %s is over %d bytes", url, MAX_COVER_BYTES)
        return None
    return Cover(resp.content, mime)
