"""The listening pages in a real browser: Chromium (Debian's) driven by Selenium over 127.0.0.1.

One `narrate feed` run (real Piper, real ffmpeg) over a three-item feed served on 127.0.0.1 makes
the folder; `narrate serve`'s server serves it, and a second server on another port embeds the
player in an iframe. Playback is muted and started without a gesture (autoplay policy flag).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import webvtt
from click.testing import CliRunner
from lxml import etree

from narrate.audio import ffmpeg
from narrate.cli.feed import feed as feed_command
from narrate.config import FetchLimits
from narrate.models import ChapterMark
from narrate.pipeline import Options
from narrate.web.live import Live, LiveLimits
from narrate.web.page import PageInfo, write_pages
from narrate.web.serve import make_server
from narrate.web.sidecars import read_sidecars

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = Path(os.environ.get("NARRATE_TEST_ARTIFACTS", ROOT / "build" / "test-artifacts"))
HOSTILE = "<script>alert(1)</script>"
HOUR_MS = 3_600_000
TIME = re.compile(r"<(\d\d:\d\d:\d\d\.\d{3})>(\S+)")

if not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()):
    pytest.skip(
        "no Chromium: apt-get install -y chromium chromium-driver (.ci/run does)",
        allow_module_level=True,
    )

from selenium import webdriver  # noqa: E402  (only once Chromium is known to be there)
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402


def _article(title: str, body: str) -> str:
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}"
        f"</title></head><body><article><h1>{escape(title)}</h1>{body}</article></body></html>"
    )


POSTS = [
    # (feed title, page file, page HTML, day of May 2025): the first is the page under test.
    ("Harbour Bridge Reopens After Repairs", "bridge.html", None, 4),
    (
        HOSTILE,
        "hostile.html",
        _article(
            "A title with markup",
            "<p>The headline of this item looks like markup, but it is only text.</p>"
            "<p>A page must show it as it is and run nothing.</p>",
        ),
        3,
    ),
    (
        "School opens a new library",
        "school.html",
        _article(
            "School opens a new library",
            "<p>The primary school opened its new library on Friday.</p>"
            "<p>Pupils chose most of the first books themselves.</p>",
        ),
        2,
    ),
]


def _serve(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    server = make_server(folder, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@dataclass(frozen=True)
class Published:
    """The narrated folder, served, and what the test needs to find in it."""

    out: Path
    base: str
    """Where the folder is served."""
    host: str
    """Another port, serving a page that embeds the player."""
    page: str
    """The bridge episode's page path, relative to base."""
    titles: tuple[str, ...]
    """The feed's item titles."""


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    source = tmp_path_factory.mktemp("site")
    sample = (ROOT / "tests" / "fixtures" / "pages" / "short-article.html").read_text()
    items = []
    for title, name, body, day in POSTS:
        (source / name).write_text(body or sample, encoding="utf-8")
        when = format_datetime(datetime(2025, 5, day, 8, tzinfo=UTC), usegmt=True)
        items.append((title, name, when))
    news, news_url = _serve(source)
    (source / "feed.xml").write_text(
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Coastal Times</title><link>{news_url}</link><description>News.</description>"
        + "".join(
            f"<item><title>{escape(escape(t))}</title><link>{news_url}{n}</link>"
            f"<guid isPermaLink='false'>{n}</guid><pubDate>{w}</pubDate></item>"
            for t, n, w in items
        )
        + "</channel></rss>",
        encoding="utf-8",
    )
    out = tmp_path_factory.mktemp("podcast")
    result = CliRunner().invoke(
        feed_command,
        [
            *(news_url + "feed.xml", "--out", str(out), "--allow-private", "--no-disclaimer"),
            *("--workers", "1", "--base-url", "https://pod.example/coast/", "-q"),
        ],
    )
    assert result.exit_code == 0, result.output
    served, base = _serve(out)
    host_dir = tmp_path_factory.mktemp("host")
    feed = etree.parse(str(out / "feed.xml"))
    enclosure = str(feed.xpath("string(//item[1]/enclosure/@url)"))
    page = enclosure.removeprefix("https://pod.example/coast/").removesuffix(".mp3") + ".html"
    embed = base + page.removesuffix(".html") + ".embed.html"
    (host_dir / "index.html").write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Host</title></head><body>"
        f"<h1>A news site</h1><iframe id='player' src='{embed}' width='600' height='140' "
        "style='border:0'></iframe></body></html>"
    )
    host, host_url = _serve(host_dir)
    yield Published(out, base, host_url, page, tuple(feed.xpath("//item/title/text()")))
    for server in (news, served, host):
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--mute-audio",
        "--autoplay-policy=no-user-gesture-required",
        "--window-size=1280,900",
        "--no-first-run",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


def _open(browser: WebDriver, url: str) -> None:
    browser.get(url)
    browser.get_log("browser")  # start each page with an empty console
    _wait(
        browser,
        "return document.querySelector('audio') === null || "
        "document.querySelector('audio').readyState >= 1",
    )


def _wait(browser: WebDriver, script: str, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := browser.execute_script(script):
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for: {script}")


def _state(browser: WebDriver) -> dict[str, Any]:
    return browser.execute_script(
        "const a = document.querySelector('audio');"
        "const s = document.querySelector('.s.now'), w = document.querySelector('.word');"
        "return {t: a.currentTime, paused: a.paused, rate: a.playbackRate,"
        " sentence: s && s.textContent.replace(/\\s+/g, ' ').trim(),"
        " word: w && w.textContent, wordT: w && +w.dataset.t};"
    )


def _play_at(browser: WebDriver, seconds: float) -> dict[str, Any]:
    """Seek, play for a moment (muted), pause, and report what the page marks."""
    browser.execute_script(
        "const a = document.querySelector('audio'); a.muted = true;"
        f"a.currentTime = {seconds}; a.play();"
    )
    _wait(browser, "return !document.querySelector('audio').paused")
    time.sleep(0.3)
    browser.execute_script("document.querySelector('audio').pause()")
    time.sleep(0.2)  # the pause's timeupdate marks the final position
    return _state(browser)


@dataclass(frozen=True)
class VttCue:
    start: float
    end: float
    text: str
    words: tuple[tuple[float, str], ...]


def _seconds(stamp: str) -> float:
    h, m, s = stamp.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def _vtt(published: Published) -> list[VttCue]:
    """The episode's VTT as webvtt-py reads it, with word times from the inline timestamps."""
    path = published.out / published.page.removesuffix(".html")
    cues = []
    for c in webvtt.read(str(path) + ".vtt"):
        words = tuple((_seconds(stamp), html.unescape(w)) for stamp, w in TIME.findall(c.raw_text))
        cues.append(VttCue(_seconds(c.start), _seconds(c.end), html.unescape(c.text), words))
    return cues


def test_highlight_follows_the_vtt_at_three_times(browser: WebDriver, published: Published) -> None:
    _open(browser, published.base + published.page)
    timed = [c for c in _vtt(published) if len(c.words) >= 3 and c.end - c.start > 1.5]
    assert len(timed) >= 3
    for cue in (timed[0], timed[len(timed) // 2], timed[-1]):
        state = _play_at(browser, cue.start + 0.3)
        t = state["t"]
        assert not state["paused"] or t > cue.start + 0.3  # it did play
        [current] = [c for c in _vtt(published) if c.start <= t < c.end]
        assert state["sentence"] == " ".join(current.text.split())
        spoken = [(s, w) for s, w in current.words if s <= t]
        assert spoken, f"no word of the cue has started by {t}"  # 0.3 s into a cue, one has
        start, word = spoken[-1]
        assert (state["word"], state["wordT"]) == (word, round(start * 1000))


def test_chapter_click_seeks_and_marks(browser: WebDriver, published: Published) -> None:
    _open(browser, published.base + published.page)
    chapters = json.loads(
        (published.out / published.page.replace(".html", ".chapters.json")).read_text()
    )["chapters"]
    assert len(chapters) == 2
    link = browser.find_elements(By.CSS_SELECTOR, ".chapters a")[1]
    link.click()
    t = browser.execute_script("return document.querySelector('audio').currentTime")
    assert abs(t - chapters[1]["startTime"]) <= 0.25
    assert link.get_attribute("aria-current") == "true"
    assert browser.execute_script("return location.hash") == f"#t={chapters[1]['startTime']:g}"


def test_word_click_seeks_to_its_time(browser: WebDriver, published: Published) -> None:
    _open(browser, published.base + published.page)
    cue = [c for c in _vtt(published) if len(c.words) >= 3][-1]
    start, text = cue.words[2]
    word = browser.find_element(By.CSS_SELECTOR, f"[data-t='{round(start * 1000)}']")
    assert word.text == text
    word.click()
    t = browser.execute_script("return document.querySelector('audio').currentTime")
    assert abs(t - start) <= 0.25
    browser.execute_script("document.querySelector('audio').pause()")


def test_speed_and_keys(browser: WebDriver, published: Published) -> None:
    _open(browser, published.base + published.page + "#t=1")
    Select(browser.find_element(By.CSS_SELECTOR, "[data-speed]")).select_by_value("1.5")
    assert _state(browser)["rate"] == 1.5
    browser.execute_script("document.querySelector('audio').muted = true")
    browser.find_element(By.TAG_NAME, "h1").click()  # focus on the page, not a control
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.SPACE)
    _wait(browser, "return !document.querySelector('audio').paused")
    body.send_keys(Keys.SPACE)
    _wait(browser, "return document.querySelector('audio').paused")
    before = _state(browser)["t"]
    body.send_keys(Keys.ARROW_RIGHT)
    assert abs(_state(browser)["t"] - (before + 15)) <= 0.25
    body.send_keys(Keys.ARROW_LEFT)
    assert abs(_state(browser)["t"] - before) <= 0.25
    starts = [c.get_attribute("data-c") for c in browser.find_elements(By.CSS_SELECTOR, "[data-c]")]
    body.send_keys("n")  # from inside the first chapter to the start of the second
    assert abs(_state(browser)["t"] * 1000 - int(starts[1])) <= 250
    body.send_keys("p")  # at a chapter's start, "previous" goes to the one before
    assert _state(browser)["t"] <= 0.25
    # Every control is reachable by Tab and shows its focus.
    controls = browser.execute_script(
        "return Array.from(document.querySelectorAll('button:not([hidden]), select, .chapters a'))"
        ".map(e => e.tabIndex)"
    )
    assert controls and all(i >= 0 for i in controls)


def test_index_lists_every_episode(browser: WebDriver, published: Published) -> None:
    _open(browser, published.base + "index.html")
    links = browser.find_elements(By.CSS_SELECTOR, ".episodes a")
    assert [a.text for a in links] == list(published.titles)
    assert len(links) == len(POSTS)
    subscribe = [
        a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, ".subscribe a")
    ]
    assert subscribe == [
        "https://pod.example/coast/feed.xml",
        "podcast://pod.example/coast/feed.xml",
        "pcast://pod.example/coast/feed.xml",
    ]
    _no_outside_requests(browser)


def test_embed_plays_in_an_iframe_from_another_port(
    browser: WebDriver, published: Published
) -> None:
    browser.get(published.host)
    frame = browser.find_element(By.ID, "player")
    browser.switch_to.frame(frame)
    try:
        _wait(browser, "return document.querySelector('audio').readyState >= 1")
        assert browser.execute_script("return document.documentElement.scrollHeight") <= 140
        toggle = browser.find_element(By.CSS_SELECTOR, "[data-toggle]")
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true"
        assert browser.find_element(By.ID, "tr").is_displayed()
        state = _play_at(browser, 1.0)
        assert state["sentence"]
        assert browser.execute_script("return document.documentElement.scrollHeight") <= 140
        _no_outside_requests(browser)
    finally:
        browser.switch_to.default_content()


def test_hostile_title_is_text(browser: WebDriver, published: Published) -> None:
    _open(browser, published.base + "index.html")
    [link] = [a for a in browser.find_elements(By.CSS_SELECTOR, ".episodes a") if a.text == HOSTILE]
    link.click()
    _wait(browser, "return document.querySelector('audio').readyState >= 1")
    assert browser.find_element(By.TAG_NAME, "h1").text == HOSTILE
    assert browser.title == HOSTILE
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    _no_outside_requests(browser)


def _no_outside_requests(browser: WebDriver) -> None:
    names = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert names, "the page loaded no resources at all"
    outside = [n for n in names if not n.startswith("http://127.0.0.1:")]
    assert outside == []


def test_episode_page_loads_only_local_resources(browser: WebDriver, published: Published) -> None:
    _open(browser, published.base + published.page)
    _play_at(browser, 2.0)
    _no_outside_requests(browser)
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_screenshots(browser: WebDriver, published: Published) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    _open(browser, published.base + published.page)
    _play_at(browser, 9.0)
    browser.execute_script("scrollTo(0, 0)")
    desktop = ARTIFACTS / "episode-desktop.png"
    assert browser.save_screenshot(str(desktop))
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True},
    )
    try:
        _open(browser, published.base + published.page)
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390  # nothing wider than the phone
        phone = ARTIFACTS / "episode-phone.png"
        assert browser.save_screenshot(str(phone))
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert desktop.stat().st_size > 10_000 and phone.stat().st_size > 10_000


def test_an_hour_long_page_highlights_without_long_tasks(
    browser: WebDriver, published: Published, tmp_path: Path
) -> None:
    # A real episode's cues and word times, repeated to an hour, over an hour of encoded silence.
    stem = published.out / published.page.removesuffix(".html")
    cues, _ = read_sidecars(stem.with_suffix(".vtt"), stem.with_suffix(".chapters.json"))
    span = cues[-1].end_ms + 250
    laps = HOUR_MS // span
    hour = tuple(
        replace(
            c,
            start_ms=c.start_ms + lap * span,
            end_ms=c.end_ms + lap * span,
            words=tuple(
                replace(w, start_ms=w.start_ms + lap * span, end_ms=w.end_ms + lap * span)
                for w in c.words
            ),
        )
        for lap in range(laps)
        for c in cues
    )
    chapters = tuple(
        ChapterMark(f"Part {lap + 1}", lap * span, (lap + 1) * span) for lap in range(laps)
    )
    audio = tmp_path / "hour.mp3"
    ffmpeg.run(
        ["-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono", "-t", "3600", "-b:a", "32k", str(audio)]
    )
    info = PageInfo(title="An hour", audio=audio)
    write_pages(info, hour, chapters)
    server, base = _serve(tmp_path)
    try:
        _open(browser, base + "hour.html")
        browser.execute_script(
            "window.longTasks = [];"
            "new PerformanceObserver((list) => longTasks.push("
            "  ...list.getEntries().map((e) => e.duration))).observe({type: 'longtask'});"
        )
        for at in (5.0, 1800.0, 3590.0):
            state = _play_at(browser, at)
            time.sleep(0.5)
            assert state["sentence"]
        long_tasks = browser.execute_script("return longTasks.slice()")
        # The control: a task that is long on purpose is seen, so the observer does observe.
        browser.execute_script(
            "setTimeout(() => {"
            "  const t = performance.now(); while (performance.now() - t < 150); })"
        )
        time.sleep(0.4)
        assert max(browser.execute_script("return longTasks"), default=0) >= 150
    finally:
        server.shutdown()
        server.server_close()
    assert sum(len(c.words) for c in hour) > 4000
    assert [d for d in long_tasks if d > 100] == []


def test_deep_link_position_memory_and_media_session(
    browser: WebDriver, published: Published
) -> None:
    _open(browser, published.base + published.page + "#t=12.5")
    assert abs(_state(browser)["t"] - 12.5) <= 0.25
    assert browser.execute_script("return navigator.mediaSession.metadata.title") == (
        "Harbour Bridge Reopens After Repairs"
    )
    at = _play_at(browser, 20.0)["t"]  # pausing stores the position
    _open(browser, published.base + published.page)
    assert abs(_state(browser)["t"] - at) <= 0.25


def test_follows_the_sentence_until_the_reader_scrolls(
    browser: WebDriver, published: Published
) -> None:
    browser.set_window_size(1280, 500)  # short, so the transcript is longer than the window
    try:
        _open(browser, published.base + published.page + "#t=0")
        last = _vtt(published)[-1]
        _play_at(browser, last.start + 0.2)
        visible = "const r = document.querySelector('.s.now').getBoundingClientRect();"
        _wait(browser, visible + "return r.top >= 0 && r.bottom <= innerHeight")
        follow = browser.find_element(By.CSS_SELECTOR, "[data-follow]")
        assert not follow.is_displayed()
        ActionChains(browser).scroll_by_amount(0, -400).perform()
        _wait(browser, "return !document.querySelector('[data-follow]').hidden")
        browser.execute_script("scrollTo(0, 0)")
        _play_at(browser, _vtt(published)[-2].start + 0.2)
        assert browser.execute_script("return scrollY") == 0  # the reader's place is kept
        follow.click()
        assert not follow.is_displayed()
        _wait(browser, visible + "return r.top >= 0 && r.bottom <= innerHeight")
        # Tab reaches the controls, with a visible focus ring.
        browser.find_element(By.TAG_NAME, "h1").click()
        ActionChains(browser).send_keys(Keys.TAB).perform()
        outline = browser.execute_script(
            "const e = document.activeElement;return [e.tagName, getComputedStyle(e).outlineStyle]"
        )
        assert outline[0] in ("A", "BUTTON", "SELECT", "AUDIO") and outline[1] != "none"
    finally:
        browser.set_window_size(1280, 900)


def test_works_from_file_urls(browser: WebDriver, published: Published) -> None:
    page = published.out / published.page
    _open(browser, page.as_uri())
    state = _play_at(browser, 10.0)
    assert state["sentence"] and state["t"] > 10.0  # the script ran and the MP3 played
    # Chromium refuses the <track> from file:// (each file is its own origin); nothing else fails.
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert all(".vtt" in e for e in errors), errors


LIVE_SENTENCES = [
    f"The river festival in lane {n} drew {n + 20} boat crews despite the rain." for n in range(12)
]


@pytest.fixture(scope="module")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`narrate serve` with live narration, and an article on another local server: (base, URL)."""
    source = tmp_path_factory.mktemp("live-site")
    body = "".join(f"<p>{' '.join(LIVE_SENTENCES[i : i + 3])}</p>" for i in range(0, 12, 3))
    (source / "festival.html").write_text(_article("River Festival Draws Crowds", body))
    news, news_url = _serve(source)
    live = Live(Options(limits=FetchLimits(allow_private=True), workers=2), LiveLimits())
    server = make_server(tmp_path_factory.mktemp("live-out"), 0, live=live)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", news_url + "festival.html"
    for running in (news, server):
        running.shutdown()
        running.server_close()


_SHOWN = (
    "return Array.from(document.querySelectorAll('[data-transcript] .s'))"
    ".filter((s) => s.offsetParent !== null).map((s) => s.textContent.replace(/\\s+/g, ' '))"
)


def test_the_live_page_plays_as_it_is_synthesised_and_its_transcript_grows(
    browser: WebDriver, live_site: tuple[str, str]
) -> None:
    base, url = live_site
    browser.get(base + "read?url=" + quote(url, safe=""))
    _wait(browser, "return document.querySelector('audio').currentTime > 0.5", timeout=60)
    early = browser.execute_script(_SHOWN)
    assert early and early[0].startswith("This article is read by an")
    _wait(browser, _SHOWN + ".some((t) => t.includes('lane one drew'))", timeout=60)
    later = browser.execute_script(_SHOWN)
    assert len(later) > len(early)  # sentences appear as they are spoken
    heard = browser.execute_script(
        "const a = document.querySelector('audio');"
        "return {ready: a.readyState, paused: a.paused, t: a.currentTime,"
        " now: document.querySelector('.s.now') && document.querySelector('.s.now').textContent,"
        " title: document.querySelector('h1').textContent, head: document.title}"
    )
    assert heard["ready"] >= 2 and not heard["paused"] and heard["t"] > 3
    assert heard["now"] and " ".join(heard["now"].split()) == later[-1]
    assert heard["title"] == heard["head"] == "River Festival Draws Crowds"
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
