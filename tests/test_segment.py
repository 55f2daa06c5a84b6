"""Segmentation: chapters, roles, quoted speech, duplicates, and the golden sample script."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from narrate.article.extract import extract
from narrate.article.segment import credit_line, render_text, segment, split_quotes, spoken_date
from narrate.config import DISCLAIMER
from narrate.models import Article, Block, Page, Script

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "zelensky-gauntlet.html"
GOLDEN = ROOT / "samples" / "zelensky-gauntlet.script.txt"
QUOTE_MARKS = '"“”„«»‹›‘’‚'


@pytest.fixture(scope="module")
def sample() -> Script:
    return segment(extract(Page(SAMPLE.read_text(encoding="utf-8"))))


def test_golden_script(sample: Script) -> None:
    """The sample's script as text; NARRATE_UPDATE_GOLDEN=1 rewrites the golden file."""
    text = render_text(sample)
    if os.environ.get("NARRATE_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_sample_chapters_and_roles(sample: Script) -> None:
    titles = [c.title for c in sample.chapters]
    assert titles == [
        "Zelensky Throws Down the Gauntlet to Putin",
        "Why It Matters",
        "What To Know",
        "What People Are Saying",
        "What Happens Next",
    ]
    first = sample.chapters[0].segments
    assert [s.role for s in first[:3]] == ["disclaimer", "title", "narration"]
    assert first[0].text == DISCLAIMER
    assert first[2].text == (
        "By Brendan Cole, Matthew Tostevin and Shane Croucher, for Newsweek. May 13, 2025."
    )
    for chapter in sample.chapters[1:]:
        assert chapter.segments[0].role == "heading"
        assert chapter.segments[0].text == chapter.title
    quotes = [s.text for s in sample.segments if s.role == "quote"]
    assert "very strong and very clear statements" in quotes
    saying = sample.chapters[3].segments
    assert [s.text for s in saying if s.role == "quote"] == [
        "I think if President Putin will refuse to come to Turkey, it will be the last signal "
        "that Russia doesn't want to end this war.",
        "new sanctions, new military aid to Ukraine, because it will be a clear demonstration "
        "of the position of Putin and Russia.",
        "We will announce it when the president deems it necessary.",
        "This week's going to be crucial because we will get the answer from the Russians and "
        "from Putin if they're actually willing to engage in serious talks about a ceasefire "
        "and at some point sustainable and lasting peace.",
    ]
    # attributions stay with the narrator; short scare quotes too
    assert any(s.role == "narration" and s.text.endswith("Dmitry Peskov said:") for s in saying)
    assert any('"very strong"' in s.text and s.role == "narration" for s in saying)
    everything = render_text(sample)
    for junk in ("Trustworthy", "Slide Circle", "Getty Images", "Read more", "Voice is AI"):
        assert junk not in everything
    for segment_ in sample.segments:
        assert segment_.sentences
        assert all(s.text and s.spoken for s in segment_.sentences)


def test_json_shape(sample: Script) -> None:
    data = json.loads(json.dumps(sample.to_dict()))
    assert set(data) == {"title", "lang", "url", "byline", "date", "site", "image", "chapters"}
    assert data["title"] == "Zelensky Throws Down the Gauntlet to Putin"
    assert data["lang"] == "en"
    assert data["date"] == "2025-05-13"
    assert len(data["chapters"]) == 5
    for chapter in data["chapters"]:
        assert set(chapter) == {"title", "segments"}
        for seg in chapter["segments"]:
            assert set(seg) == {"role", "text", "spoken"}
            assert seg["role"] in ("disclaimer", "title", "heading", "narration", "quote")
            assert seg["text"] and seg["spoken"]


def test_without_disclaimer_the_title_comes_first() -> None:
    article = Article(title="A headline", blocks=(Block("paragraph", "Some body text here."),))
    script = segment(article, disclaimer=None)
    assert [s.role for s in script.segments] == ["title", "narration"]
    assert len(script.chapters) == 1 and script.chapters[0].title == "A headline"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'Yermak pointed to "very strong and very clear statements" by Trump.',
            [
                ("narration", "Yermak pointed to"),
                ("quote", "very strong and very clear statements"),
                ("narration", "by Trump."),
            ],
        ),
        (
            "Peskov said: “We will announce it. It will be soon, when the time is right.”",
            [
                ("narration", "Peskov said:"),
                ("quote", "We will announce it. It will be soon, when the time is right."),
            ],
        ),
        (
            "“I told him ‘never again’ and I meant it,” she said.",
            [("quote", "I told him ‘never again’ and I meant it,"), ("narration", "she said.")],
        ),
        (
            '"This is the first paragraph of a long quotation that goes on',
            [("quote", "This is the first paragraph of a long quotation that goes on")],
        ),
        ('Putin will come when he "deems it necessary."', None),
        ("A so-called “peace plan” was mentioned.", None),
        ("It doesn’t matter what the ’90s rock band said about it.", None),
        ('The board stands 12" wide and 8" deep, the maker said.', None),
        (
            "Merz sagte: „Wir werden das gemeinsam schaffen, ganz sicher.“ Dann ging er.",
            [
                ("narration", "Merz sagte:"),
                ("quote", "Wir werden das gemeinsam schaffen, ganz sicher."),
                ("narration", "Dann ging er."),
            ],
        ),
        (
            "Il a dit : « Nous allons le faire ensemble, bien sûr. » Puis il est parti.",
            [
                ("narration", "Il a dit :"),
                ("quote", "Nous allons le faire ensemble, bien sûr."),
                ("narration", "Puis il est parti."),
            ],
        ),
        (
            "“Stop the war now,” he said. “Then we can talk about the rest of it.”",
            [
                ("quote", "Stop the war now,"),
                ("narration", "he said."),
                ("quote", "Then we can talk about the rest of it."),
            ],
        ),
    ],
    ids=[
        "straight",
        "curly-multi-sentence",
        "nested-single",
        "unclosed",
        "scare-quote-3-words",
        "scare-quote-curly",
        "apostrophes",
        "inch-marks",
        "german",
        "french",
        "two-quotes",
    ],
)
def test_split_quotes(text: str, expected: list[tuple[str, str]] | None) -> None:
    assert split_quotes(text) == (expected or [("narration", text)])


def test_pull_quote_is_spoken_once() -> None:
    body = (
        "The mayor said the pool would stay open all summer long for every family in town, "
        "whatever it costs."
    )
    article = Article(
        title="Pool",
        blocks=(
            Block("quote", "“The pool would stay open all summer long for every family in town”"),
            Block("paragraph", body),
            Block("paragraph", body),
        ),
    )
    segments = segment(article, disclaimer=None).segments
    assert [s.role for s in segments] == ["title", "narration"]
    assert segments[1].text == body


def test_block_quote_loses_its_outer_marks() -> None:
    article = Article(title="T", blocks=(Block("quote", "“We will win, and we will win soon.”"),))
    segments = segment(article, disclaimer=None).segments
    assert (segments[-1].role, segments[-1].text) == ("quote", "We will win, and we will win soon.")


def test_unspeakable_segments_are_dropped() -> None:
    article = Article(
        title="T",
        blocks=(
            Block("paragraph", "🎙️ 🎙️"),
            Block("heading", "★"),
            Block("paragraph", "Real text."),
        ),
    )
    segments = segment(article, disclaimer=None).segments
    assert [(s.role, s.text) for s in segments] == [("title", "T"), ("narration", "Real text.")]


@pytest.mark.parametrize(
    ("lang", "byline", "site", "date", "expected"),
    [
        ("en", "Ann Lee", "Gazette", "2025-05-13", "By Ann Lee, for Gazette. May 13, 2025."),
        ("en", None, "Gazette", None, "From Gazette."),
        ("en", "Gazette Staff", "Gazette", None, "By Gazette Staff."),
        ("en", None, None, "2024-02-01", "February 1, 2024."),
        (
            "de",
            "Anna Schmidt",
            "Die Zeit",
            "2025-03-01",
            "Von Anna Schmidt, für Die Zeit. 1. März 2025.",
        ),
        (
            "es",
            "Ana López",
            "El País",
            "2025-12-24",
            "Por Ana López, para El País. 24 de diciembre de 2025.",
        ),
        ("ru", "Анна", None, "2025-01-02", "Анна. 2 января 2025 г."),
        ("en", None, None, None, None),
    ],
)
def test_credit_line(
    lang: str, byline: str | None, site: str | None, date: str | None, expected: str | None
) -> None:
    article = Article(title="T", blocks=(), lang=lang, byline=byline, site=site, date=date)
    assert credit_line(article) == expected


@pytest.mark.parametrize(
    ("lang", "iso", "spoken"),
    [
        ("en", "2025-05-13", "May 13, 2025"),
        ("de", "2025-03-01", "1. März 2025"),
        ("es", "2025-12-24", "24 de diciembre de 2025"),
        ("fr", "2025-05-13T09:30:00-04:00", "13 mai 2025"),
        ("it", "2025-08-02", "2 agosto 2025"),
        ("pt", "2025-06-10", "10 de junho de 2025"),
        # languages and regions that had no hand-written table
        ("nl", "2025-05-13", "13 mei 2025"),
        ("pl", "2025-05-01", "1 maja 2025"),
        ("en-GB", "2025-05-13", "13 May 2025"),
        ("de_AT", "2025-01-06", "6. Jänner 2025"),
        ("ru", "2025-01-02", "2 января 2025 г."),
        ("xx", "2025-05-13", "2025-05-13"),
    ],
)
def test_spoken_date_in_the_article_language(lang: str, iso: str, spoken: str) -> None:
    assert spoken_date(iso, lang) == spoken


@pytest.mark.parametrize("iso", ["2025-13-40", "2025-02-30", "2025-00-10", "yesterday", ""])
def test_spoken_date_rejects_nonsense(iso: str) -> None:
    assert spoken_date(iso) is None


# --- properties -----------------------------------------------------------------------------------

WORDS = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzÄäéñ0123456789 ,.;:!?-'\"“”‘’„«»()\n"),
    max_size=120,
)
BLOCKS = st.lists(
    st.tuples(st.sampled_from(["heading", "paragraph", "quote", "list", "table"]), WORDS),
    max_size=8,
)


def _alnum(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def _squash(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace() and ch not in QUOTE_MARKS)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BLOCKS)
def test_segmentation_keeps_all_body_text_once(raw: list[tuple[str, str]]) -> None:
    keys = [_alnum(t.lower()) for _, t in raw]
    # repeats within a few blocks are dropped on purpose (pull quotes): leave them out here
    assume(
        not any(
            len(a) >= 30 and i != j and a in b
            for i, a in enumerate(keys)
            for j, b in enumerate(keys)
        )
    )
    article = Article(title="Title", blocks=tuple(Block(k, t) for k, t in raw))  # type: ignore[arg-type]
    script = segment(article, disclaimer=None)
    body = script.segments[1:]
    got = "".join(s.text for s in body)
    want = "".join(t for _, t in raw)
    assert _alnum(got) == _alnum(want)
    if all(any(ch.isalnum() for ch in s) for _, t in raw for s in t.split()):
        assert _squash(got) == _squash(want)
    for s in script.segments:
        assert s.sentences and all(x.text.strip() for x in s.sentences)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(["heading", "paragraph", "quote", "list"]), st.text()), max_size=6
    ),
    st.text(max_size=40),
)
def test_segmentation_never_crashes(raw: list[tuple[str, str]], title: str) -> None:
    article = Article(title=title, blocks=tuple(Block(k, t) for k, t in raw))  # type: ignore[arg-type]
    script = segment(article)
    for chapter in script.chapters:
        assert chapter.segments
        for s in chapter.segments:
            assert s.sentences and all(x.text and x.spoken for x in s.sentences)
    render_text(script)


@pytest.mark.parametrize(
    ("lang", "start"),
    [
        ("en", "This article is read"),
        ("de", "Dieser Artikel"),
        ("es-ES", "Este artículo"),
        ("fi", "This article is read"),
    ],
)
def test_the_standard_disclaimer_speaks_the_article_language(lang: str, start: str) -> None:
    article = Article(title="T", blocks=(Block("paragraph", "Some body text here."),), lang=lang)
    assert segment(article).segments[0].text.startswith(start)
    custom = segment(article, disclaimer="Read by a robot.").segments[0]
    assert (custom.role, custom.text) == ("disclaimer", "Read by a robot.")
