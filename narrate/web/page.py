"""Listening pages: an episode page, its embeddable player and a feed index, as static HTML.

Templates are package data filled with `string.Template`; every value is HTML-escaped unless it
is `Safe` markup built here from escaped parts, so a feed title can never become markup.
Pages load nothing but the shared player.js/player.css beside them, under a strict CSP.
"""

from __future__ import annotations

import html
import importlib.resources
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Literal
from urllib.parse import quote, urlsplit

from narrate.article.segment import spoken_date
from narrate.config import AI_DISCLOSURE
from narrate.files import write_text_atomic
from narrate.models import ChapterMark, Cue, Role, Script
from narrate.outputs import artwork_path, sidecars
from narrate.web.sidecars import read_sidecars

ASSETS = ("player.js", "player.css")
"""The shared script and style sheet every page links to, written into the output folder."""

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; media-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'"
)
"""Pages run only the shared player.js and play only media of their own origin."""

EMBED_HEIGHT = 140
"""Pixels: the embed's iframe height."""

SPEEDS = (0.75, 1.0, 1.25, 1.5, 1.75, 2.0)


class Safe(str):
    """Markup that is already escaped: `fill` inserts it as it is."""


def fill(template: str, **values: object) -> Safe:
    """The template with every value substituted, HTML-escaped unless it is Safe."""
    return Safe(
        Template(template).substitute(
            {k: v if isinstance(v, Safe) else html.escape(str(v)) for k, v in values.items()}
        )
    )


def template(name: str) -> str:
    """A template of narrate/web/templates."""
    return (importlib.resources.files("narrate.web") / "templates" / name).read_text("utf-8")


def head(title: str, css: str, csp: str = CSP) -> Safe:
    """The <head> lines every page shares (head.html): charset, viewport, CSP, title, style."""
    return fill(template("head.html").rstrip("\n"), csp=csp, title=title, css=css)


@dataclass(frozen=True)
class PageInfo:
    """What a page says about its episode beyond the audio and its sidecars."""

    title: str
    audio: Path
    """The MP3; the .vtt and .chapters.json beside it, the pages are written beside it too."""
    lang: str = "en"
    site: str | None = None
    """The publication's name."""
    date: str | None = None
    """ISO 8601 date or date-time of publication."""
    url: str | None = None
    """The original article."""
    byline: str | None = None
    duration_ms: int | None = None
    """The audio's length; None: where the transcript ends."""

    @classmethod
    def of(cls, script: Script, audio: Path, duration_ms: int | None = None) -> PageInfo:
        """The page of a script narrated into audio."""
        return cls(
            title=script.title,
            audio=audio,
            duration_ms=duration_ms,
            lang=script.lang,
            site=script.site,
            date=script.date,
            url=script.url,
            byline=script.byline,
        )

    @property
    def transcript(self) -> Path:
        """The WebVTT transcript beside the MP3."""
        return sidecars(self.audio)[0]

    @property
    def chapters(self) -> Path:
        """The JSON chapters beside the MP3."""
        return sidecars(self.audio)[1]

    @property
    def artwork(self) -> Path:
        """The episode's square artwork beside the MP3 (present only when the article had one)."""
        return artwork_path(self.audio)

    @property
    def page(self) -> Path:
        """The episode page, NAME.html."""
        return self.audio.with_suffix(".html")

    @property
    def embed(self) -> Path:
        """The embeddable player, NAME.embed.html."""
        return self.audio.with_suffix(".embed.html")


def clock(ms: int) -> str:
    """A duration as M:SS or H:MM:SS."""
    minutes, seconds = divmod(round(ms / 1000), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _day(date: str, lang: str) -> str:
    """A date as the page's language writes it ("May 4, 2025", "4. Mai 2025")."""
    return spoken_date(date, lang) or date


def _http(url: str | None) -> str | None:
    """Only http(s) links are written: a `javascript:` link from a feed never reaches a page."""
    return url if url and urlsplit(url).scheme in ("http", "https") else None


def original_link(url: str | None) -> Safe:
    """The link to the article on its site, when it has an http(s) address."""
    url = _http(url)
    if not url:
        return Safe("")
    return Safe(
        f'<a href="{html.escape(url)}" rel="noopener noreferrer">Read the original article</a>'
    )


def sentence_html(cue: Cue) -> Safe:
    """One cue as a sentence span; each timed word a span a click can seek to."""
    if not cue.words:
        body = html.escape(cue.text)
    else:
        parts = []
        last = -1
        for word in cue.words:
            text = html.escape(word.text)
            # A word whose start the VTT dropped shares its predecessor's: no time of its own.
            parts.append(
                f'<span data-t="{word.start_ms}">{text}</span>' if word.start_ms > last else text
            )
            last = max(last, word.start_ms)
        body = " ".join(parts)
    # The role is named on hover for all but plain narration, which is most of the text.
    title = "" if cue.role == "narration" else f' title="{cue.role}"'
    return Safe(
        f'<span class="s r-{cue.role}" data-b="{cue.start_ms}" data-e="{cue.end_ms}"{title}>'
        f"{body}</span>"
    )


def block_of(previous: Role | None, role: Role) -> Literal["h3", "p", ""]:
    """Where a sentence goes after one of `previous`: a heading, a new paragraph, or "" (on)."""
    if role in ("title", "heading"):
        return "h3"
    if previous in (None, "title", "heading") or (previous == "disclaimer" != role):
        return "p"  # the disclaimer is its own paragraph
    return ""


def transcript_html(cues: Sequence[Cue]) -> Safe:
    """The transcript: titles and headings as headings, other sentences in flowing paragraphs."""
    out: list[str] = []
    run: list[str] = []
    previous: Role | None = None
    for cue in cues:
        block = block_of(previous, cue.role)
        if block and run:
            out.append("<p>" + " ".join(run) + "</p>")
            run.clear()
        if block == "h3":
            out.append(f"<h3>{sentence_html(cue)}</h3>")
        else:
            run.append(sentence_html(cue))
        previous = cue.role
    if run:
        out.append("<p>" + " ".join(run) + "</p>")
    return Safe("\n".join(out))


def seconds(ms: int) -> str:
    """Milliseconds as the shortest exact decimal seconds, for #t= links: 61500 → 61.5."""
    return f"{ms / 1000:.3f}".rstrip("0").rstrip(".")


def chapters_html(chapters: Sequence[ChapterMark]) -> Safe:
    """The chapter list: each a #t= link to its start (the player seeks), with its time."""
    items = [
        f'<li><a href="#t={seconds(c.start_ms)}" data-c="{c.start_ms}">'
        f"{html.escape(c.title)}</a> <span>{clock(c.start_ms)}</span></li>"
        for c in chapters
    ]
    return Safe("<ol>" + "".join(items) + "</ol>")


def speeds_html() -> Safe:
    """The options of the speed menu, 1× chosen."""
    return Safe(
        "".join(
            f'<option value="{s:g}"{" selected" if s == 1.0 else ""}>{s:g}×</option>'
            for s in SPEEDS
        )
    )


def _common(info: PageInfo, cues: Sequence[Cue], assets: str) -> dict[str, object]:
    url = _http(info.url)
    site = info.site or (urlsplit(url).hostname if url else None) or ""
    meta = [html.escape(site)] if site else []
    if info.date:
        meta.append(
            f'<time datetime="{html.escape(info.date)}">'
            f"{html.escape(_day(info.date, info.lang))}</time>"
        )
    duration = info.duration_ms
    if duration is None:
        duration = cues[-1].end_ms if cues else 0
    meta.append(clock(duration))
    return {
        "lang": info.lang,
        "title": info.title,
        "site": site,
        "meta": Safe(" · ".join(meta)),
        "byline": info.byline or "",
        "head": head(info.title, assets + "player.css"),
        "js": assets + "player.js",
        "audio": quote(info.audio.name),
        "vtt": quote(info.transcript.name),
        "disclosure": AI_DISCLOSURE,
        "speeds": speeds_html(),
        "transcript": transcript_html(cues),
        "original": original_link(url),
        "art": Safe(
            f'<img class="art" src="{quote(info.artwork.name)}" alt="" width="112" height="112">'
            if info.artwork.is_file()
            else ""
        ),
        "art_src": quote(info.artwork.name) if info.artwork.is_file() else "",
    }


def render_episode(
    info: PageInfo, cues: Sequence[Cue], chapters: Sequence[ChapterMark], assets: str = ""
) -> str:
    """The episode page: disclosure, player, chapters, word-synced transcript, embed snippet."""
    embed = quote(info.embed.name)
    snippet = (
        f'<iframe src="{embed}" title="Listen: {html.escape(info.title)}" width="100%" '
        f'height="{EMBED_HEIGHT}" style="border:0" loading="lazy"></iframe>'
    )
    return fill(
        template("episode.html"),
        **_common(info, cues, assets),
        chapters=chapters_html(chapters),
        embed=embed,
        snippet=snippet,
    )


def render_embed(info: PageInfo, cues: Sequence[Cue], assets: str = "") -> str:
    """The compact player for an iframe: title, disclosure, audio, a transcript toggle."""
    return fill(
        template("embed.html"),
        **_common(info, cues, assets),
        page=quote(info.page.name),
        height=EMBED_HEIGHT,
    )


def write_assets(folder: Path) -> None:
    """Write player.js and player.css into folder (unchanged files are left alone)."""
    for name in ASSETS:
        data = (importlib.resources.files("narrate.web") / "assets" / name).read_text("utf-8")
        dest = folder / name
        if not dest.is_file() or dest.read_text("utf-8") != data:
            write_text_atomic(dest, data)


def write_pages(
    info: PageInfo,
    cues: Sequence[Cue],
    chapters: Sequence[ChapterMark],
    assets_dir: Path | None = None,
) -> tuple[Path, Path]:
    """Write NAME.html and NAME.embed.html beside the MP3, and the assets into assets_dir."""
    folder = assets_dir or info.audio.parent
    write_assets(folder)
    assets = Path(os.path.relpath(folder, info.audio.parent)).as_posix() + "/"
    assets = "" if assets == "./" else quote(assets)
    write_text_atomic(info.page, render_episode(info, cues, chapters, assets))
    write_text_atomic(info.embed, render_embed(info, cues, assets))
    return info.page, info.embed


def write_episode(info: PageInfo) -> tuple[Path, Path]:
    """The pages of one narrated MP3, from its .vtt and .chapters.json, assets beside it."""
    cues, chapters = read_sidecars(info.transcript, info.chapters)
    return write_pages(info, cues, chapters)


@dataclass(frozen=True)
class IndexEntry:
    """One episode on the feed index."""

    title: str
    page: str
    """The episode page, relative to the index."""
    duration_ms: int
    chapters: int
    date: str | None = None


def subscribe_links(feed_url: str) -> tuple[tuple[str, str], ...]:
    """The feed URL and the podcast:// and pcast: forms podcast apps register for it."""
    rest = feed_url.split("://", 1)[1] if "://" in feed_url else feed_url
    return (
        ("RSS feed", feed_url),
        ("Open in a podcast app", f"podcast://{rest}"),
        ("Open with pcast:", f"pcast://{rest}"),
    )


def render_index(
    title: str, description: str, feed_url: str, entries: Iterable[IndexEntry], lang: str = "en"
) -> str:
    """The feed index: episodes newest first, the disclosure and the subscribe links."""
    rows = sorted(entries, key=lambda e: e.date or "", reverse=True)
    items = "".join(
        fill(
            '<li><a href="$page">$title</a><span class="meta">$date · $duration · $chapters</span>'
            "</li>",
            page=e.page,
            title=e.title,
            date=Safe(
                f'<time datetime="{html.escape(e.date)}">{html.escape(_day(e.date, lang))}</time>'
                if e.date
                else "undated"
            ),
            duration=clock(e.duration_ms),
            chapters=f"{e.chapters} chapter{'s' if e.chapters != 1 else ''}",
        )
        for e in rows
    )
    links = "".join(
        fill('<li><a href="$href">$label</a></li>', href=href, label=label)
        for label, href in subscribe_links(feed_url)
    )
    return fill(
        template("index.html"),
        lang=lang,
        title=title,
        description=description,
        head=head(title, "player.css"),
        disclosure=AI_DISCLOSURE,
        episodes=Safe(items or "<li>No episodes yet.</li>"),
        subscribe=Safe(links),
        feed=feed_url,
    )
