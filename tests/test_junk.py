"""In-body junk: every kind, in six languages, is not narrated; the story around it all is."""

from __future__ import annotations

import html

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from narrate.article import junk, labels
from narrate.article.extract import extract
from narrate.article.segment import segment
from narrate.models import Page, Script
from tests.article_helpers import CASES, page, paragraphs, spoken_text

KINDS = (
    "related",
    "newsletter",
    "donation",
    "paywall",
    "advertisement",
    "caption",
    "feedback",
    "affiliate",
    "promo",
    "listen",
    "navigation",
    "bio",
    "comments",
)


def narrate(source: str) -> Script:
    return segment(extract(Page(source)), disclaimer=None)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", sorted(CASES))
def test_each_junk_kind_is_not_narrated(lang: str, kind: str) -> None:
    case = CASES[lang]
    insert, absent = case["junk"][kind]
    prose = paragraphs(case["prose"])
    text = spoken_text(narrate(page(lang, case["title"], [*prose[:2], insert, *prose[2:]])))
    assert absent.strip() not in text
    for paragraph in case["prose"]:
        assert " ".join(paragraph.split()) in text


@pytest.mark.parametrize("lang", sorted(CASES))
def test_all_junk_kinds_at_once_leave_the_story_whole_and_in_order(lang: str) -> None:
    case = CASES[lang]
    prose = paragraphs(case["prose"])
    inserts = [case["junk"][k][0] for k in KINDS]
    blocks = [prose[0], *inserts[:7], prose[1], prose[2], *inserts[7:], prose[3]]
    text = spoken_text(narrate(page(lang, case["title"], blocks)))
    positions = [text.find(" ".join(p.split())) for p in case["prose"]]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)
    assert [k for k in KINDS if case["junk"][k][1].strip() in text] == []


EN = CASES["en"]


def _en(*blocks: str, head: str = "") -> Script:
    return narrate(page("en", EN["title"], list(blocks), head))


def test_a_correction_and_an_editors_note_are_narrated() -> None:
    note = "Correction: An earlier version of this story gave the wrong date for the vote."
    editors = "Editor’s note: This story has been updated with the final cost of the project."
    prose = paragraphs(EN["prose"])
    text = spoken_text(
        _en(*prose, f'<p class="correction"><em>{note}</em></p>', f"<p><i>{editors}</i></p>")
    )
    assert note in text and editors in text


def test_an_update_note_in_an_info_box_is_narrated() -> None:
    note = "Update: The council will meet again on Friday to vote on the final budget."
    prose = paragraphs(EN["prose"])
    text = spoken_text(_en(*prose, f'<div class="alert alert-info"><p>{note}</p></div>'))
    assert note in text


def test_a_key_points_list_at_the_top_is_narrated() -> None:
    points = '<div class="key-points"><span>Key points</span><ul><li>The pier reopens in 2027.</li>'
    points += "<li>The regional government pays most of the cost.</li></ul></div>"
    text = spoken_text(_en(points, *paragraphs(EN["prose"])))
    assert "The pier reopens in 2027." in text
    assert "The regional government pays most of the cost." in text


def test_a_data_table_is_narrated_in_its_place() -> None:
    table = (
        "<table><caption>Crossings per day</caption><tr><th>Year</th><th>Crossings</th></tr>"
        "<tr><td>2019</td><td>42</td></tr><tr><td>2020</td><td>38</td></tr></table>"
    )
    prose = paragraphs(EN["prose"])
    text = spoken_text(_en(prose[0], prose[1], table, prose[2], prose[3]))
    assert "Crossings per day. Year: 2019, Crossings: 42. Year: 2020, Crossings: 38." in text
    assert text.index("Crossings: 42") < text.index(EN["prose"][2][:40])


def test_a_bold_lead_in_stays_a_sentence_and_is_no_heading() -> None:
    lead = "<p><strong>Maria Lund</strong>, who has run the ticket office since 1998, said she was"
    lead += " delighted that the ferry would come back to the town.</p>"
    script = _en(*paragraphs(EN["prose"][:2]), lead, *paragraphs(EN["prose"][2:]))
    assert "Maria Lund, who has run the ticket office since 1998" in spoken_text(script)
    assert [c.title for c in script.chapters[1:]] == []


def test_an_introduced_tweet_is_a_quote_without_its_link_and_handle_line() -> None:
    tweet = (
        '<blockquote class="twitter-tweet"><p lang="en">The pier vote passed seven to two tonight.'
        ' Construction starts in the spring. <a href="https://t.co/x">pic.twitter.com/AbCdEf</a>'
        "</p>&mdash; Westmere Council (@WestmereCouncil) "
        '<a href="https://twitter.com/x">May 3, 2025</a></blockquote>'
    )
    intro = "<p>The council announced the result on social media shortly after the meeting:</p>"
    prose = paragraphs(EN["prose"])
    script = _en(prose[0], intro, tweet, *prose[1:])
    quotes = " ".join(s.text for s in script.segments if s.role == "quote")
    assert "The pier vote passed seven to two tonight." in quotes
    text = spoken_text(script)
    assert "pic.twitter.com" not in text and "@WestmereCouncil" not in text


def test_a_sentence_about_subscribers_is_not_a_call_to_action() -> None:
    sentence = (
        "Season ticket subscribers will get half of their November fare back, the company said."
    )
    text = spoken_text(_en(*paragraphs(EN["prose"]), f"<p>{sentence}</p>"))
    assert sentence in text


# --- ordinary prose is never removed ------------------------------------------------------------

_NEUTRAL_WORDS = str.split(
    "harbour council engineers island morning bridge river winter spring summer budget families"
    " workers residents village coast road station school market farmers boats water weather"
    " district mayor plans weeks years project timber stone fields street hospital"
)
_VERBS = str.split(
    "built planned repaired opened reviewed measured delayed approved visited described"
)
_NEUTRAL_CLASSES = ("", "text", "body-copy", "c-paragraph", "article-text", "story-body__p")


@st.composite
def prose_block(draw: st.DrawFn) -> str:
    """Three to five plain sentences with no junk markers: subject, verb, object, place."""
    sentences = []
    for _ in range(draw(st.integers(3, 5))):
        words = draw(st.lists(st.sampled_from(_NEUTRAL_WORDS), min_size=4, max_size=9))
        verb = draw(st.sampled_from(_VERBS))
        sentences.append(f"The {words[0]} {verb} the {' '.join(words[1:])}.")
    return " ".join(sentences)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(block=prose_block(), position=st.integers(0, 4), names=st.sampled_from(_NEUTRAL_CLASSES))
def test_removal_never_drops_ordinary_prose(block: str, position: int, names: str) -> None:
    assert not labels.is_junk_text(block)
    prose = paragraphs(EN["prose"])
    attr = f' class="{names}"' if names else ""
    prose.insert(position, f"<p{attr}>{html.escape(block)}</p>")
    assert block in spoken_text(_en(*prose))


@settings(max_examples=200, deadline=None)
@given(block=prose_block())
def test_the_text_rules_never_call_prose_junk(block: str) -> None:
    assert not labels.is_junk_text(block)
    assert not labels.is_date_line(block)


@pytest.mark.parametrize(
    "text",
    [
        "Share prices fell sharply on Monday after the ferry company warned on profits.",
        "Advertisement spending rose by a fifth last year, the trade body said.",
        "Tags are attached to each of the birds before they are released.",
        "Werbung für Tabak ist an Haltestellen künftig verboten.",
        "Contact tracing teams at the hospital worked through the night.",
        "Publicidad institucional: el gobierno gastó dos millones en campañas.",
        "Sponsored events drew more visitors than the council had expected.",
        "Source: Westmere Harbour Authority",  # under a data table, it says whose figures they are
    ],
)
def test_the_text_rules_leave_sentences_that_start_like_a_label(text: str) -> None:
    assert not labels.is_junk_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "Advertisement",
        "Anzeige",
        "Tags: ferry, harbour, council",
        "Write to Sam Ortega at sam.ortega@echo.example",
        "Sponsored by Kitchenly",
        "Read more: Ferry fares rise for the third year in a row",
        "Lesen Sie auch: Fährpreise steigen",
        "À lire aussi",
        "Subscribe now",
        "Sign up for our newsletter and never miss a story from the harbour.",
        "sexta-feira, 22 de outubro de 2010 às 20:13",
        "Updated May 13, 2025 at 3:14 p.m.",
        "https://www.example.com/news/story",
        "12 min ago",
        "vor 5 Minuten",
        "hace 3 horas",
        "il y a 20 min",
        "10 minuti fa",
        "há 2 horas",
    ],
)
def test_the_text_rules_find_labels_calls_to_action_and_date_lines(text: str) -> None:
    assert labels.is_junk_text(text)


def test_names_are_split_on_punctuation_camel_case_and_data_attributes() -> None:
    from lxml import etree

    el = etree.fromstring('<div class="NewsletterInline_root__Ff8Kc" data-testid="ad-slot"/>')
    tokens = ["newsletter", "inline", "root", "ff8", "kc", "testid", "ad", "slot"]
    assert junk.name_tokens(el) == tokens


def test_a_big_container_is_never_removed_for_its_name() -> None:
    prose = "".join(paragraphs(EN["prose"]))
    source = page("en", EN["title"], [f'<div class="paywall related-content">{prose}</div>'])
    text = spoken_text(narrate(source))
    assert all(" ".join(p.split()) in text for p in EN["prose"])


def test_a_text_of_page_furniture_only_is_refused() -> None:
    from narrate.errors import ExtractionError

    inserts = [CASES["en"]["junk"][k][0] for k in KINDS]
    with pytest.raises(ExtractionError):
        narrate(page("en", EN["title"], inserts))
