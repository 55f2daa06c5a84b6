"""Headings in any markup, the headline once, paywalled teasers and live blogs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from narrate.article.extract import extract
from narrate.article.paywall import truncation_note
from narrate.article.segment import segment
from narrate.models import Page, Script
from tests.article_helpers import CASES, page, paragraphs, spoken_text
from tests.cli_run import narrate as cli

EN = CASES["en"]
PROSE = paragraphs(EN["prose"])


def narrate(source: str, **options: bool) -> Script:
    return segment(extract(Page(source)), disclaimer=None, **options)


def chapters(script: Script) -> list[str]:
    return [c.title for c in script.chapters[1:]]


@pytest.mark.parametrize(
    "markup",
    [
        "<h2>{}</h2>",
        "<h3 class='wp-block-heading'>{}</h3>",
        "<p><strong>{}</strong></p>",
        "<p><b><font size='3'>{}</font></b></p>",
        "<div class='subhead'>{}</div>",
        "<div data-block-type='subhead'><div>{}</div></div>",
        "<h2 class='article__sub-title'>{}</h2>",
    ],
)
def test_a_section_heading_in_any_markup_becomes_a_chapter(markup: str) -> None:
    blocks = [PROSE[0], PROSE[1], markup.format("What the pier will cost"), PROSE[2], PROSE[3]]
    script = narrate(page("en", EN["title"], blocks))
    assert chapters(script) == ["What the pier will cost"]
    assert script.chapters[1].segments[0].role == "heading"


def test_a_bold_label_ending_a_sentence_and_a_standfirst_are_no_chapters() -> None:
    label = "<p><strong>Support local journalism.</strong></p>"
    dek = "<h2 class='pw-subtitle-paragraph'>A pier for the island. Here is what it will cost.</h2>"
    long_h2 = "<h2>The pier has been closed for two years. Now the council wants it back.</h2>"
    script = narrate(page("en", EN["title"], [dek, PROSE[0], label, PROSE[1], long_h2, *PROSE[2:]]))
    assert chapters(script) == []
    assert "Now the council wants it back." in spoken_text(script)


def test_the_headline_is_spoken_once_and_a_kicker_is_not_body_text() -> None:
    kicker = "<p class='article-kicker'>Harbour</p>"
    overline = "<div class='b-overline'>Local news</div>"
    source = page("en", EN["title"], [overline, kicker, f"<h1>{EN['title']}</h1>", *PROSE])
    script = narrate(source)
    text = spoken_text(script)
    assert text.count(EN["title"]) == 1
    assert chapters(script) == []
    assert "Local news" not in text and "\nHarbour\n" not in text


def _json_ld(data: dict[str, object]) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


PAYWALLED = {
    "@context": "https://schema.org",
    "@type": "NewsArticle",
    "headline": EN["title"],
    "isAccessibleForFree": False,
    "hasPart": {
        "@type": "WebPageElement",
        "isAccessibleForFree": False,
        "cssSelector": ".paywalled-part",
    },
}
OFFER = (
    "<div class='paywall-offer'><h2>Subscribe to keep reading</h2><p>Get unlimited access for"
    " $1 a week.</p><p>Already a subscriber? <a href='/login'>Sign in</a></p></div>"
)


def test_a_truncated_teaser_is_flagged_and_closed_with_a_note() -> None:
    source = page(
        "en",
        EN["title"],
        [*PROSE[:2], "<div class='paywalled-part'></div>", OFFER],
        head=_json_ld(PAYWALLED),
    )
    script = narrate(source)
    assert script.truncated and script.to_dict()["truncated"] is True
    last = script.segments[-1]
    assert last.text == "The rest of this article is available to subscribers of The Westmere Echo."
    text = spoken_text(script)
    assert "Subscribe to keep reading" not in text and "Already a subscriber" not in text
    assert "Subscribe to keep reading" not in chapters(script)
    assert narrate(source, truncation_note=False).segments[-1].text != last.text


NOTE = "The rest of this article is available to subscribers of The Westmere Echo."


@pytest.mark.parametrize(
    ("args", "config", "noted"),
    [
        ((), "", True),
        (("--no-truncation-note",), "", False),
        ((), "truncation_note = false\n", False),
        (("--no-truncation-note",), "truncation_note = true\n", False),  # the flag wins
    ],
)
def test_the_truncation_note_is_set_by_flag_and_config(
    tmp_path: Path, args: tuple[str, ...], config: str, noted: bool
) -> None:
    source = tmp_path / "teaser.html"
    teaser = [*PROSE[:2], "<div class='paywalled-part'></div>", OFFER]
    source.write_text(page("en", EN["title"], teaser, head=_json_ld(PAYWALLED)))
    settings = tmp_path / "narrate.toml"
    settings.write_text(config)
    run = cli("script", str(source), "--format", "json", "--config", str(settings), *args, "-q")
    assert run.returncode == 0, run.stderr.decode()
    script = json.loads(run.stdout)
    texts = [seg["text"] for ch in script["chapters"] for seg in ch["segments"]]
    assert script["truncated"] is True
    assert (NOTE in texts) is noted


@pytest.mark.parametrize(("flag", "shown"), [((), True), (("-q",), False)])
def test_the_extraction_worker_logs_as_the_command_says(
    tmp_path: Path, flag: tuple[str, ...], shown: bool
) -> None:
    # Extraction runs in a worker process: its warnings follow -q and keep the CLI's format.
    source = tmp_path / "teaser.html"
    teaser = [*PROSE[:2], "<div class='paywalled-part'></div>", OFFER]
    source.write_text(page("en", EN["title"], teaser, head=_json_ld(PAYWALLED)))
    run = cli("script", str(source), *flag)
    assert run.returncode == 0
    expected = "WARNING narrate.article.extract: the page is a paywalled teaser"
    assert run.stderr.decode().startswith(expected) if shown else run.stderr == b""


def test_a_teaser_without_a_declared_part_is_known_by_its_offer() -> None:
    declared = {k: v for k, v in PAYWALLED.items() if k != "hasPart"}
    box = "<div class='piano-box'><p>To read the full story, subscribe.</p></div>"
    source = page("en", EN["title"], [*PROSE[:2], box], head=_json_ld(declared))
    assert narrate(source).truncated


def test_a_member_only_story_sent_whole_is_not_flagged() -> None:
    declared = {k: v for k, v in PAYWALLED.items() if k != "hasPart"}
    meter = "<div class='meter-banner'><p>You have 1 member-only story left this month.</p></div>"
    script = narrate(page("en", EN["title"], [meter, *PROSE], head=_json_ld(declared)))
    assert not script.truncated and "truncated" not in script.to_dict()
    assert all(" ".join(p.split()) in spoken_text(script) for p in EN["prose"])


@pytest.mark.parametrize("lang", ["en", "de", "es", "fr", "it", "pt"])
def test_the_truncation_note_is_in_the_page_language(lang: str) -> None:
    note = truncation_note("Il Faro", lang)
    assert "Il Faro" in note and note.endswith(".")
    assert len({truncation_note("X", code) for code in ("en", "de", "es", "fr", "it", "pt")}) == 6


LIVE = {"@context": "https://schema.org", "@type": "LiveBlogPosting", "headline": EN["title"]}


def _update(stamp: str, iso: str, title: str, body: str, badge: str = "") -> str:
    return (
        f"<article class='lb-update'><div class='lb-update__meta'>{badge}"
        f"<time datetime='2025-10-21T{iso}:00+01:00'>{stamp}</time></div>"
        f"<h3 class='lb-update__title'>{title}</h3><div class='lb-update__body'><p>{body}</p></div>"
        "<footer><button class='lb-share'>Share this update</button></footer></article>"
    )


def test_a_live_blog_reads_each_update_as_a_chapter_with_its_clock_time() -> None:
    updates = [
        _update("12 min ago", "16:28", "Ferry service suspended", EN["prose"][0]),
        _update(
            "1 hr ago",
            "15:10",
            "Power cut across the bay",
            EN["prose"][1],
            "<span class='lb-badge'>Key event</span>",
        ),
        _update("Pinned", "09:05", "Welcome to our live coverage", EN["prose"][2]),
    ]
    script = narrate(page("en", EN["title"], updates, head=_json_ld(LIVE)))
    assert chapters(script) == [
        "Ferry service suspended",
        "Power cut across the bay",
        "Welcome to our live coverage",
    ]
    assert [c.segments[1].text for c in script.chapters[1:]] == [
        "4:28 p.m.",
        "3:10 p.m.",
        "9:05 a.m.",
    ]
    text = spoken_text(script)
    for furniture in ("12 min ago", "1 hr ago", "Key event", "Pinned", "Share this update"):
        assert furniture not in text


def test_a_live_blog_in_german_writes_the_time_the_german_way() -> None:
    update = _update("vor 5 Min.", "16:28", "Fähre fällt aus", CASES["de"]["prose"][0])
    source = page("de", CASES["de"]["title"], [update, *paragraphs(CASES["de"]["prose"][1:])])
    script = narrate(source.replace("</head>", _json_ld(LIVE) + "</head>"))
    assert script.chapters[1].segments[1].text == "16:28."


def test_a_live_blog_update_without_a_headline_reads_its_time_before_its_text() -> None:
    update = (
        "<article class='lb-update'><div class='lb-update__meta'>"
        "<time datetime='2025-10-21T14:05:00+01:00'>2 hr ago</time></div>"
        f"<div class='lb-update__body'><p>{EN['prose'][0]}</p></div></article>"
    )
    text = spoken_text(narrate(page("en", EN["title"], [update, *PROSE[1:]], head=_json_ld(LIVE))))
    assert "2 hr ago" not in text
    assert text.index("2:05 p.m.") < text.index(EN["prose"][0][:30])


def test_a_press_release_boilerplate_ends_but_a_closing_section_about_something_stays() -> None:
    boiler = "<h2>About Westmere Ferries</h2><p>Westmere Ferries runs six crossings a day.</p>"
    script = narrate(page("en", EN["title"], [*PROSE, boiler]))
    assert "six crossings a day" not in spoken_text(script)
    section = "<h2>About the money</h2><p>The loan will be repaid from ferry fares.</p>"
    script = narrate(page("en", EN["title"], [*PROSE, section]))
    assert "repaid from ferry fares" in spoken_text(script)
    assert chapters(script) == ["About the money"]
