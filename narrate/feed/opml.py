"""OPML subscription lists: the feed addresses they name, read with the standard library."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import urljoin

from narrate.errors import InputError


def sniff(path: str) -> bool:
    """True when a local file starts like an OPML document."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(2048).lower()
    except OSError:
        return False
    return b"<opml" in head


def parse(data: bytes, base_url: str | None = None) -> list[str]:
    """Feed URLs listed in an OPML document (outline xmlUrl attributes), in order, deduplicated."""
    if re.search(rb"<!(DOCTYPE|ENTITY)", data[:4096], re.I):
        raise InputError("refusing an OPML file with a DOCTYPE or entity declarations")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise InputError(f"malformed OPML: {exc}") from exc
    if root.tag.lower() != "opml":
        raise InputError(f"not an OPML document (root element <{root.tag}>)")
    urls: list[str] = []
    for outline in root.iter("outline"):
        attrs = {k.lower(): v for k, v in outline.attrib.items()}
        url = (attrs.get("xmlurl") or "").strip()
        if url:
            urls.append(urljoin(base_url, url) if base_url else url)
    return list(dict.fromkeys(urls))
