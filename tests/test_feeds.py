"""Reading input feeds: every format, broken ones, OPML, identities and conditional GET."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from narrate.config import FetchLimits, is_url
from narrate.errors import InputError
from narrate.feed import opml
from narrate.feed import read as feeds
from narrate.feed.entry import Feed, canonical_url, html_to_text, url_guid

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
OPEN = FetchLimits(allow_private=True, timeout_s=5.0)


def load(name: str) -> Feed:
    feed = feeds.load(str(FIXTURES / name), OPEN).feed
    assert feed is not None
    return feed


@pytest.mark.parametrize(
    ("name", "kind", "title", "items", "first_title", "first_link"),
    [
        (
            "rss2-minimal.rss",
            "rss20",
            "RSS Title",
            1,
            "Example entry",
            "http://www.example.com/blog/post/1",
        ),
        (
            "atom-minimal.atom",
            "atom10",
            "Example Feed",
            2,
            "Atom-Powered Robots Run Amok",
            "http://example.org/2003/12/13/atom03",
        ),
        (
            "rss1-minimal.rdf",
            "rss10",
            "Example RDF News",
            2,
            "First story",
            "https://news.example/2024/first",
        ),
        (
            "rss092-latin1.rss",
            "rss092",
            "RSS0.92 Example",
            2,
            "The First Item",
            "http://www.oreilly.com/example/001.html",
        ),
        (
            "npr.json",
            "json",
            "Technology",
            25,
            "Keller Rinaudo: How can delivery drones save lives?",
            "https://www.npr.org/2021/10/29/1050315385/"
            "keller-rinaudo-how-can-delivery-drones-save-lives"
            "?utm_medium=JSONFeed&utm_campaign=technology",
        ),
    ],
)
def test_formats(
    name: str, kind: str, title: str, items: int, first_title: str, first_link: str
) -> None:
    feed = load(name)
    assert (feed.kind, feed.about.title, len(feed.entries)) == (kind, title, items)
    assert feed.entries[0].title == first_title
    assert feed.entries[0].link == first_link
    assert feed.warning is None


def test_guid_comes_from_the_feed_else_from_the_canonical_url() -> None:
    rss = load("rss2-minimal.rss").entries[0]
    assert rss.guid == rss.key == "7bd204c6-1655-4c27-aeee-53f933c5395f"
    latin = load("rss092-latin1.rss").entries[0]
    assert latin.guid == url_guid("http://www.oreilly.com/example/001.html")
    assert latin.key == "http://www.oreilly.com/example/001.html"


def test_dates_are_utc() -> None:
    assert load("rss2-minimal.rss").entries[0].published == datetime(2009, 9, 6, 16, 20, tzinfo=UTC)
    npr = load("npr.json").entries[0]
    assert npr.published is not None and npr.published.tzinfo == UTC


def test_content_encoded_is_the_fullest_body() -> None:
    entry = load("content-encoded.xml").entries[0]
    assert entry.content_html == "<p>Example content</p>"
    assert html_to_text(entry.content_html) == "Example content"
    assert entry.link is None and entry.guid  # no link, no guid: still a stable identity


def test_json_feed_content_is_html() -> None:
    entry = load("npr.json").entries[0]
    assert entry.content_html.startswith("<p>In rural areas")
    assert entry.summary.startswith("In rural areas")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("html-not-feed.rss", "an HTML page, not a feed"),
        ("illformed.xml", r"illformed.xml is not a readable feed: unclosed token \(line 7\)$"),
    ],
)
def test_malformed_documents(name: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load(name)


def test_lenient_read_keeps_items_of_a_broken_feed() -> None:
    feed = load("unclosed-rss.xml")
    assert feed.warning
    assert [e.link for e in feed.entries] == ["http://link/get?a=1&b=2"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty document"),
        (b"   \n", "empty document"),
        (b"{not json", "malformed JSON"),
        (b'{"version": "1", "items": []}', "not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": 3}', "without an items list"),
        (b"<?xml version='1.0'?><catalog><book/></catalog>", "root element <catalog>"),
        (b"\x00\x01\x02binary", "not an RSS, Atom or JSON feed"),
    ],
)
def test_not_feeds(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        feeds.parse_feed(data, source="x")


def test_json_feed_odd_items_are_skipped_not_fatal() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "T",
        "items": [
            "not an object",
            {"id": 7, "url": "/a", "content_text": "First.\n\nSecond."},
            {"id": "b"},
            {"id": "b", "url": "https://x.example/dup"},
        ],
    }
    feed = feeds.parse_feed(
        json.dumps(doc).encode(), source="x", base_url="https://x.example/feed.json"
    )
    assert [e.key for e in feed.entries] == ["7", "b"]
    assert feed.entries[0].link == "https://x.example/a"
    assert feed.entries[0].content_html == "<p>First.</p><p>Second.</p>"


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTP://Example.COM:80/a?b=1#frag", "http://example.com/a?b=1"),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("https://e.com/a?utm_source=rss&id=3&fbclid=z", "https://e.com/a?id=3"),
        (" https://e.com/p?x= ", "https://e.com/p?x="),
        ("http://127.0.0.1:99999/x#y", "http://127.0.0.1:99999/x"),
        ("http://[::1/x", "http://[::1/x"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical
    assert url_guid(url) == url_guid(canonical)


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One</p><p>Two &amp; three</p>", "One Two & three"),
        ("plain   text\n", "plain text"),
        ("<script>alert(1)</script><b>kept</b>", "kept"),
        ("a<br>b", "a b"),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_opml_lists_feeds_relative_to_itself() -> None:
    found = feeds.expand_sources([str(FIXTURES / "subscriptions.opml")], OPEN)
    assert found == [str(FIXTURES / "rss2-minimal.rss"), "https://example.org/atom.xml"]


def test_opml_and_plain_feeds_mix_without_duplicates() -> None:
    plain = str(FIXTURES / "rss2-minimal.rss")
    found = feeds.expand_sources([plain, str(FIXTURES / "subscriptions.opml")], OPEN)
    assert found == [plain, "https://example.org/atom.xml"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<opml><body></body>", "malformed OPML"),
        (b"<rss/>", "not an OPML document"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><opml/>', "DOCTYPE"),
    ],
)
def test_bad_opml(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        opml.parse(data)


def test_missing_file_says_what_to_give() -> None:
    with pytest.raises(InputError, match="no such feed file"):
        feeds.load("/nonexistent/feed.xml", OPEN)


def test_a_feed_file_is_read_up_to_the_feed_cap(tmp_path: Path) -> None:
    data = (FIXTURES / "rss2-minimal.rss").read_bytes()
    path = tmp_path / "feed.rss"
    path.write_bytes(data)
    exact = replace(OPEN, max_feed_bytes=len(data))
    feed = feeds.load(str(path), exact).feed
    assert feed is not None and feed.entries
    with pytest.raises(InputError, match=f"is larger than {len(data) - 1} bytes"):
        feeds.load(str(path), replace(exact, max_feed_bytes=len(data) - 1))


def test_conditional_get_over_http(http_server) -> None:  # type: ignore[no-untyped-def]
    body = (FIXTURES / "rss2-minimal.rss").read_bytes()
    etag = '"' + hashlib.sha1(body).hexdigest() + '"'

    http_server.page("/feed", body, "application/rss+xml", etag=etag)
    url = http_server.url("/feed")
    first = feeds.load(url, OPEN)
    assert first.status == "new" and first.etag == etag
    assert first.feed is not None and first.feed.entries[0].title == "Example entry"
    again = feeds.load(url, OPEN, etag=first.etag)
    assert again.status == "unchanged" and again.feed is None and again.etag == etag


def test_relative_links_resolve_against_the_feed_url(http_server) -> None:  # type: ignore[no-untyped-def]
    rss = (
        "<rss version='2.0'><channel><title>T</title>"
        "<item><title>A</title><link>/posts/a</link></item></channel></rss>"
    )
    url = http_server.page("/blog/feed.xml", rss, ctype="application/rss+xml")
    feed = feeds.load(url, OPEN).feed
    assert feed is not None
    assert feed.entries[0].link == http_server.url("/posts/a")


_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(list("<>&\x00\x01\x1b\u202e\ufffe😀مש")),
    ),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(title=_text, description=_text, link=_text)
def test_any_item_text_reads_or_fails_cleanly(title: str, description: str, link: str) -> None:
    rss = (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>T</title>"
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
        f"<description>{escape(description)}</description></item></channel></rss>"
    ).encode("utf-8", "surrogatepass")
    try:
        feed = feeds.parse_feed(rss, source="x")
    except InputError:
        return
    for entry in feed.entries:
        assert entry.key and entry.guid
        assert entry.link is None or is_url(entry.link)
