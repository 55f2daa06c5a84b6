"""Small CMS-like pages for the extraction tests: a page builder and the junk cases it fills."""

from __future__ import annotations

import html
import tomllib
from pathlib import Path

from narrate.models import Script

CASES = tomllib.loads((Path(__file__).parent / "fixtures" / "junk" / "cases.toml").read_text())


def page(lang: str, title: str, blocks: list[str], head: str = "") -> str:
    """A CMS-like page: header, the article's blocks in an article body, a footer."""
    body = "\n".join(blocks)
    return f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">
<title>{html.escape(title)} | The Westmere Echo</title>
<meta property="og:title" content="{html.escape(title)}">
<meta property="og:site_name" content="The Westmere Echo">{head}</head><body>
<header class="site-header"><nav><a href="/">Home</a> <a href="/news">News</a></nav></header>
<main><article class="post"><h1>{html.escape(title)}</h1>
<div class="entry-content">{body}</div></article></main>
<footer><p>About us · Contact · Privacy</p></footer></body></html>"""


def spoken_text(script: Script) -> str:
    return "\n".join(" ".join(s.text.split()) for s in script.segments)


def paragraphs(texts: list[str]) -> list[str]:
    return [f"<p>{html.escape(t)}</p>" for t in texts]


_PLACES = ("harbour", "market", "station", "library", "stadium", "bridge", "museum", "school")


def unique_sentences(count: int, topic: str) -> list[str]:
    """News-like sentences that no other test speaks, so no cached clip can stand in for them."""
    return [
        f"The {topic} committee said the {_PLACES[n % len(_PLACES)]} in ward {n + 1} "
        f"would need {n + 3} more inspectors before winter."
        for n in range(count)
    ]
