"""Extraction: real pages in, junk-free typed blocks and metadata out; bad inputs refused."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from narrate.article.extract import extract
from narrate.errors import ExtractionError, InputError
from narrate.models import Article, Page

FIXTURES = Path(__file__).parent / "fixtures" / "pages"
SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "zelensky-gauntlet.html"

JUNK = (
    "Trustworthy",
    "Slide Circle",
    "Getty Images",
    "About the writer",
    "Read more",
    "Voice is AI-generated",
    "This combined image shows",
    "Senior News Reporter",
    "We use cookies",
    "Share on",
    "Sign up",
    "Related",
    "All rights reserved",
)


def _load(name: str) -> Page:
    if name == "sample":
        return Page(SAMPLE.read_text(encoding="utf-8"))
    return Page(gzip.decompress((FIXTURES / f"{name}.html.gz").read_bytes()).decode("utf-8"))


def _headings(article: Article) -> list[str]:
    return [b.text for b in article.blocks if b.kind == "heading"]


def _body(article: Article) -> str:
    return "\n".join(b.text for b in article.blocks)


# name, lang, title, headings (in order, a subset), min quote blocks, text present, text absent
PAGES = [
    (
        "sample",
        "en",
        "Zelensky Throws Down the Gauntlet to Putin",
        ["Why It Matters", "What To Know", "What People Are Saying", "What Happens Next"],
        0,
        "Copenhagen Democracy Summit",
        JUNK,
    ),
    (
        # trafilatura drops this page's h2s: they come back from heading recovery
        "daringfireball-about",
        "en",
        "About This Site",
        ["Server Software", "Web Standards"],
        0,
        "hosted by Joyent",
        ("Portfolio", "Mac Apps"),
    ),
    (
        "mozilla-devedition",
        "en",
        "Welcome to Firefox Developer Edition",
        ["WebIDE", "Valence", "Page Inspector", "Web Console", "Style Editor"],
        0,
        "Examine the HTML and CSS",
        ("Download",),
    ),
    (
        "medium-literally",
        "en",
        "On Behalf of “Literally”",
        ["When in Doubt, Leave it Out", "Insecurities?", "Graphical Representation"],
        1,
        "Literally means actually.",
        ("Sign up",),
    ),
    (
        "ars-minecraft",
        "en",
        "Just-released Minecraft exploit makes it easy to crash game servers",
        [],
        5,
        "The vulnerability stems from the fact",
        ("Reader comments",),
    ),
    ("linux-video-quotes", "en", "linux video", [], 10, "You didn't try vlc!", ()),
    (
        # code blocks are not narrated; the blockquoted tweet is
        "code-coverage-blog",
        "en",
        "Get your Frontend JavaScript Code Covered",
        [],
        1,
        "Drinking game for web devs",
        ("function(", "<script", "describe("),
    ),
    (
        "comwrap-dmexco-de",
        "de",
        "Take C.A.R.E. - comwrap auf der DMEXCO 2018",
        ["Neues Leitmotto", "comwrap und eZ auf der DMEXCO", "Unser Partner: eZ Systems"],
        0,
        "Curiosity, Action, Responsibility und Experience",
        (),
    ),
    (
        "lanacion-mapuche-es",
        "es",
        "Una solución no violenta para la cuestión mapuche",
        [],
        0,
        "La protesta social es indisociable de la democracia",
        ("Comentarios",),
    ),
]


@pytest.fixture(scope="module")
def articles() -> dict[str, Article]:
    return {name: extract(_load(name)) for name, *_ in PAGES}


@pytest.mark.parametrize(
    ("name", "lang", "title", "headings", "min_quotes", "present", "absent"),
    PAGES,
    ids=[p[0] for p in PAGES],
)
def test_real_pages(
    articles: dict[str, Article],
    name: str,
    lang: str,
    title: str,
    headings: list[str],
    min_quotes: int,
    present: str,
    absent: tuple[str, ...],
) -> None:
    article = articles[name]
    assert article.lang == lang
    assert article.title == title
    found = _headings(article)
    assert [h for h in found if h in headings] == headings
    assert sum(1 for b in article.blocks if b.kind == "quote") >= min_quotes
    body = _body(article)
    assert present in body
    for junk in absent:
        assert junk not in body, junk
    assert all(b.text.strip() == b.text and b.text for b in article.blocks)
    # the title is spoken from the metadata, never again from the body
    assert article.blocks[0].text != article.title


def test_recovered_headings_sit_before_their_text(articles: dict[str, Article]) -> None:
    blocks = articles["daringfireball-about"].blocks
    kinds = [(b.kind, b.text[:25]) for b in blocks]
    at = kinds.index(("heading", "Server Software"))
    assert blocks[at + 1].text.startswith("The Daring Fireball website is hosted by Joyent")
    assert blocks[at - 1].kind == "paragraph"


def test_sample_metadata(articles: dict[str, Article]) -> None:
    article = articles["sample"]
    assert article.byline == "Brendan Cole, Matthew Tostevin and Shane Croucher"
    assert article.site == "Newsweek"
    assert article.date == "2025-05-13"
    assert article.url == "https://www.newsweek.com/zelensky-throws-down-gauntlet-putin-2071212"
    assert article.image == "https://d.newsweek.com/en/full/2650000/putin-zelensky.jpg"
    assert [b.kind for b in article.blocks].count("heading") == 4
    # the update note is article text and is kept
    assert article.blocks[-1].text.startswith("Update 05/13/25")


def _page(body: str, head: str = "", lang: str | None = "en") -> Page:
    attr = f' lang="{lang}"' if lang else ""
    return Page(f"<!DOCTYPE html><html{attr}><head>{head}</head><body>{body}</body></html>")


FILLER = (
    "<p>The council met on Monday evening to discuss the new budget for the coming year, "
    "which includes money for schools, roads and the public library in the town centre.</p>"
    "<p>Several residents spoke during the public session and asked the council to keep the "
    "swimming pool open during the summer months, when families use it the most.</p>"
)


def test_lists_become_sentences() -> None:
    page = _page(
        "<article><h1>Budget news</h1>"
        + FILLER
        + "<p>The plan has three parts:</p><ul><li>New roads</li><li>More teachers;</li>"
        "<li>A longer library day!</li></ul>" + FILLER.replace("Monday", "Tuesday") + "</article>"
    )
    lists = [b.text for b in extract(page).blocks if b.kind == "list"]
    assert lists == ["New roads. More teachers. A longer library day!"]


def test_tables_become_sentences() -> None:
    table = (
        "<table><tr><th>Item</th><th>Cost</th></tr>"
        "<tr><td>Roads</td><td>2 million</td></tr><tr><td>Schools</td><td>3 million</td></tr>"
        "</table>"
    )
    page = _page("<article><h1>Budget news</h1>" + FILLER + table + FILLER + "</article>")
    tables = [b.text for b in extract(page).blocks if b.kind == "table"]
    assert tables == ["Item: Roads, Cost: 2 million. Item: Schools, Cost: 3 million."]


def test_title_prefers_headline_and_is_not_repeated() -> None:
    page = _page(
        "<article><h1>Council keeps the pool open</h1><p>Council keeps the pool open</p>"
        + FILLER
        + "</article>",
        head="<title>Council keeps the pool open | Town Gazette</title>"
        '<meta property="og:site_name" content="Town Gazette">',
    )
    article = extract(page)
    assert article.title == "Council keeps the pool open"
    assert article.site == "Town Gazette"
    assert all(b.text != article.title for b in article.blocks)


def test_title_without_headline_drops_site_suffix() -> None:
    page = _page(
        "<article>" + FILLER + "</article>",
        head="<title>Council keeps the pool open for the summer | Town Gazette</title>",
    )
    assert extract(page).title == "Council keeps the pool open for the summer"


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        (
            None,
            "Der Stadtrat hat am Montag beschlossen, dass das Schwimmbad auch im Sommer "
            "geöffnet bleibt. Die Familien der Stadt hatten sich dafür eingesetzt, und der "
            "Bürgermeister sagte, dass die Kosten von der Stadt getragen werden.",
            "de",
        ),
        (
            "en",  # a template's declared language loses against plainly Spanish text
            "El consejo de la ciudad decidió el lunes que la piscina se mantendrá abierta durante "
            "el verano. Las familias de la ciudad lo pidieron y el alcalde dijo que los costes "
            "los pagará el ayuntamiento con los fondos del año.",
            "es",
        ),
        ("pt-BR", "Обычный текст на русском языке о городском совете и бассейне. " * 4, "pt"),
        (None, "Обычный текст на русском языке о городском совете и бассейне. " * 4, "en"),
    ],
)
def test_language(lang: str | None, text: str, expected: str) -> None:
    page = _page(f"<article><h1>Title</h1><p>{text}</p><p>{text}</p></article>", lang=lang)
    assert extract(page).lang == expected


def test_junk_widgets_and_captions_are_dropped() -> None:
    page = _page(
        "<nav><ul><li><a href='/'>Home</a></li><li><a href='/news'>News</a></li></ul></nav>"
        "<article><h1>Budget news</h1>"
        + FILLER
        + "<figure><img src='a.jpg'><figcaption>The mayor at the meeting. Photo: AP</figcaption>"
        "</figure><p>Getty Images</p><p>Share on Facebook</p>"
        + FILLER.replace("Monday", "Friday")
        + "<h3>Related stories</h3><p>Another article about the pool and its long history in "
        "the town, with many more details than anyone needs to know.</p></article>"
        "<footer><p>© 2025 Town Gazette. All rights reserved.</p></footer>"
    )
    body = _body(extract(page))
    for junk in ("Home", "Photo", "Getty", "Share on", "Related", "Another article", "©"):
        assert junk not in body
    assert "swimming pool" in body


@pytest.mark.parametrize(
    ("html", "error", "message"),
    [
        ("", ExtractionError, "no article text found in"),
        ("   \n\t ", ExtractionError, "no article text found in"),
        ("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", InputError, "not an HTML page"),
        ("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", InputError, "not an HTML page"),
        (
            json.dumps({"title": "Not a page", "body": "<p>text</p>"}),
            InputError,
            "not an HTML page",
        ),
        ("[1, 2, 3]", InputError, "not an HTML page"),
        ("Just a plain text note with no markup at all. " * 10, InputError, "not an HTML page"),
        (
            "<html><body><nav><ul><li><a href='/a'>World</a></li><li><a href='/b'>Sport</a>"
            "</li></ul></nav><footer>© 2025 Site</footer></body></html>",
            ExtractionError,
            "no article text found in",
        ),
        ("<html><head><title>Empty</title></head><body></body></html>", ExtractionError, "no"),
    ],
    ids=["empty", "blank", "png", "pdf", "json-object", "json-array", "plain-text", "nav", "bare"],
)
def test_bad_inputs(html: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message) as info:
        extract(Page(html, url="https://example.org/x"))
    assert "example.org/x" in str(info.value) or error is ExtractionError


def test_fragment_such_as_feed_content() -> None:
    """Feed items carry HTML fragments; their title comes from the feed, not from the body."""
    article = extract(Page(FILLER + "<h2>The pool</h2>" + FILLER.replace("Monday", "Friday")))
    assert article.title == "Untitled article"
    assert [b.kind for b in article.blocks] == ["paragraph"] * 2 + ["heading"] + ["paragraph"] * 2


def test_no_date_is_guessed_from_a_copyright_footer() -> None:
    body = "".join(
        f"<p>Paragraph {i} of a story about the harbour and its bridge.</p>" for i in range(8)
    )
    html = (
        f"<html><body><article><h1>Harbour news</h1>{body}</article>"
        "<footer>© 2016 Example</footer></body></html>"
    )
    assert extract(Page(html=html)).date is None


def test_a_relative_lead_image_is_resolved_against_the_page() -> None:
    body = "".join(
        f"<p>Paragraph {i} of a story about the harbour and its bridge.</p>" for i in range(8)
    )
    html = (
        '<html><head><meta property="og:image" content="/img/bridge.jpg"></head>'
        f"<body><article><h1>Harbour news</h1>{body}</article></body></html>"
    )
    article = extract(Page(html=html, url="https://news.example/a/story.html"))
    assert article.image == "https://news.example/img/bridge.jpg"
