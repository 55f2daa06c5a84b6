"""cover: an article's lead image fetched from a real HTTP server, kept only when it is usable."""

from __future__ import annotations

import logging

import pytest

from narrate.article.cover import MAX_COVER_BYTES, Cover, fetch_cover, image_type
from narrate.config import FetchLimits
from tests.http_server import Server

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
LIMITS = FetchLimits(allow_private=True)


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (b"\xff\xd8\xff\xe0" + bytes(16), "image/jpeg"),
        (PNG, "image/png"),
        (b"GIF89a" + bytes(16), "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
        (b"", None),
    ],
)
def test_image_type_reads_the_first_bytes(data: bytes, mime: str | None) -> None:
    assert image_type(data) == mime


def test_a_cover_is_the_bytes_and_their_sniffed_type(http_server: Server) -> None:
    # The server's Content-Type is wrong on purpose: the bytes decide.
    url = http_server.page("/lead.png", PNG, ctype="application/octet-stream")
    assert fetch_cover(url, LIMITS) == Cover(PNG, "image/png")


@pytest.mark.parametrize(
    ("body", "status", "why"),
    [
        (b"<html>not an image</html>", 200, "is not a JPEG, PNG, GIF or WebP image"),
        (PNG + bytes(MAX_COVER_BYTES), 200, f"is over {MAX_COVER_BYTES} bytes"),
        (b"gone", 404, "404"),
    ],
)
def test_an_unusable_cover_is_left_out_with_its_reason(
    http_server: Server, caplog: pytest.LogCaptureFixture, body: bytes, status: int, why: str
) -> None:
    url = http_server.page("/lead", body, ctype="image/png", status=status)
    with caplog.at_level(logging.INFO, logger="narrate.article.cover"):
        assert fetch_cover(url, LIMITS) is None
    assert why in caplog.text and http_server.hits == ["/lead"]


def test_no_image_url_fetches_nothing(http_server: Server) -> None:
    assert fetch_cover(None, LIMITS) is None and fetch_cover("", LIMITS) is None
    assert http_server.hits == []
