"""`narrate feed` end to end against a real HTTP server on 127.0.0.1, real Piper and real SQLite.

Articles are two short paragraphs, spoken without the disclaimer, and the same texts recur across
tests so the session's clip cache keeps synthesis to a few seconds in all.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from narrate.cli.feed import feed as feed_command
from narrate.config import DISCLAIMER, SCHEMA, Channel, SettingsError, load
from narrate.errors import ConfigError
from narrate.feed import batch, items, publish
from narrate.feed import config as feed_settings
from narrate.feed.entry import About
from narrate.feed.state import FeedState, LockedError, State, locked
from tests.feed_helpers import (
    ARTICLES,
    BASE_URL,
    LIMITS,
    Post,
    Published,
    Site,
    feed_config,
    page,
    read_feed,
)
from tests.http_server import Route

ROOT = Path(__file__).resolve().parents[1]
CHANGED = "The river fell again on Thursday, sooner than officials expected."
GALLERY = (
    "<html><head><title>Gallery</title></head><body><div><img src='a.jpg'></div></body></html>"
)


def config(site: Site, out: Path, **kw: object) -> batch.BatchConfig:
    return feed_config(site.feed_url, out, **kw)


def guid(post: Post) -> str:
    return f"tag:valley.example,2024:{post.slug}"


def outcomes(summary: batch.RunSummary) -> dict[str, str]:
    return {i.title: i.outcome for i in (*summary.items, *summary.failed_earlier)}


# the acceptance scenario


@pytest.mark.slow
def test_publish_then_nothing_new_then_one_new_then_one_changed(site: Site, tmp_path: Path) -> None:
    for slug, day in (("bridge", 1), ("river", 2), ("school", 3)):
        site.add(slug, day)
    cfg = config(site, tmp_path / "pod")

    first = batch.run(cfg)
    assert first.exit_code == 0 and first.narrated == 3
    assert set(outcomes(first).values()) == {"published"}
    items = read_feed(cfg.out)
    assert [i.title for i in items] == [
        "School opens a new library",
        "River levels rise in the valley",
        "Bridge reopens after repairs",
    ]
    assert [i.guid for i in items] == [
        f"tag:valley.example,2024:{s}" for s in ("school", "river", "bridge")
    ]
    feed_bytes = (cfg.out / "feed.xml").read_bytes()

    second = batch.run(cfg)
    print(f"\nsecond run with nothing new: {second.elapsed_s:.2f} s")
    assert second.narrated == 0 and second.items == () and second.exit_code == 0
    assert [f.status for f in second.feeds] == ["unchanged"]
    assert (cfg.out / "feed.xml").read_bytes() == feed_bytes

    site.add("market", 4)
    third = batch.run(cfg)
    assert third.narrated == 1
    assert outcomes(third) == {
        "Farmers market moves to the square": "published",
        "School opens a new library": "unchanged",
        "River levels rise in the valley": "unchanged",
        "Bridge reopens after repairs": "unchanged",
    }
    after_add = read_feed(cfg.out)
    assert after_add[1:] == items

    site.edit("river", 1, CHANGED)
    fourth = batch.run(cfg)
    assert fourth.narrated == 1 and fourth.exit_code == 0
    assert outcomes(fourth)["River levels rise in the valley"] == "republished"
    final = read_feed(cfg.out)
    old = next(i for i in after_add if i.title.startswith("River"))
    new = next(i for i in final if i.title.startswith("River"))
    assert new.guid == old.guid
    assert new.audio != old.audio and not (cfg.out / old.audio).exists()
    assert "Thursday," in (cfg.out / new.transcript).read_text()
    assert [i for i in final if i != new] == [i for i in after_add if i != old]

    # The publisher deletes an article: its episode stays, the run reports the failure once.
    bridge = next(p for p in site.posts if p.slug == "bridge")
    site.server.routes.pop(bridge.path)  # type: ignore[attr-defined]
    site.publish()
    fifth = batch.run(cfg)
    gone = {i.guid: i for i in fifth.items}[guid(bridge)]
    assert gone.outcome == "failed" and "the published episode stays" in gone.detail
    assert fifth.exit_code == 1 and fifth.narrated == 0
    assert read_feed(cfg.out) == final
    sixth = batch.run(cfg)
    assert sixth.items == () and sixth.exit_code == 0

    # An article page turns into a gallery: nothing new to narrate, the episode stays.
    market = next(p for p in site.posts if p.slug == "market")
    site.serve(market.path, GALLERY)
    site.publish()
    gallery = batch.run(cfg)
    stays = {i.guid: i for i in gallery.items}[guid(market)]
    assert stays.outcome == "skipped" and "the episode stays" in stays.detail
    assert gallery.exit_code == 0 and read_feed(cfg.out) == final

    # Someone removes an episode file by hand: the next run narrates it again.
    school = next(i for i in final if i.title.startswith("School"))
    (cfg.out / school.audio).unlink()
    seventh = batch.run(cfg)
    assert outcomes(seventh) == {"School opens a new library": "published"}
    assert read_feed(cfg.out) == final  # same text, same file name; clips came from the cache


@pytest.mark.slow
def test_failures_stay_alone_and_retry_later(site: Site, tmp_path: Path) -> None:
    site.add("bridge", 1)
    long_text = " ".join(ARTICLES["school"][1]) + " " + "The feed carries the whole story. " * 20
    fallback = site.add("school", 2, content=f"<p>{escape(long_text)}</p>")
    site.serve(fallback.path, GALLERY)  # the page has no article: the feed's text stands in
    short = site.add("gallery", 3, key="market")
    site.serve(short.path, GALLERY)  # no article and only a summary: skipped
    missing = site.add("missing", 4, key="river")
    site.server.routes.pop(missing.path)
    binary = site.add("binary", 5, key="river")
    site.serve(binary.path, b"\x00\x01\x02\xff" * 64)
    slow = site.add("slow", 6, key="river")
    bad = site.add("bad", 7, key="river")
    bad.link = "http://127.0.0.1:99999/x"  # the feed lists a link with an impossible port
    site.publish()

    site.server.drip(slow.path, 40, 16384, delay_s=0.1, length=1 << 20)
    cfg = config(site, tmp_path / "pod", limits=replace(LIMITS, timeout_s=1.0))
    now = datetime(2024, 6, 1, tzinfo=UTC)
    first = batch.run(cfg, now=now)
    results = {i.title: i for i in first.items}
    assert first.exit_code == 1
    assert first.narrated == 2
    assert results["Bridge reopens after repairs"].outcome == "published"
    assert results["School opens a new library"].outcome == "published"
    assert results["Farmers market moves to the square"].outcome == "skipped"
    assert "shorter than 500 characters" in results["Farmers market moves to the square"].detail
    details = {i.guid: i.detail for i in first.items}
    assert details[guid(missing)].startswith("HTTP 404")
    assert "timed out" in details[guid(slow)] and "retry 2024-06-01T00:10:00" in details[guid(slow)]
    assert "binary data" in details[guid(binary)]
    assert "bad URL" in details[guid(bad)] or "bad port" in details[guid(bad)]
    with State.open(cfg.out) as db:
        rows = {i.link: i for i in db.items()}
    assert rows[site.url(missing.path)].last_error.startswith("HTTP 404")  # type: ignore[union-attr]
    assert not rows[site.url(missing.path)].transient
    assert "binary data" in (rows[site.url(binary.path)].last_error or "")
    assert rows[site.url(slow.path)].transient and "timed out" in (
        rows[site.url(slow.path)].last_error or ""
    )
    assert rows[site.url(slow.path)].next_retry == "2024-06-01T00:10:00+00:00"
    assert "bad URL" in (rows["http://127.0.0.1:99999/x"].last_error or "")
    assert len(read_feed(cfg.out)) == 2

    # Later the slow page answers; the permanent failures are not retried.
    site.serve(slow.path, page(*ARTICLES["river"]))
    second = batch.run(cfg, now=now + timedelta(hours=1))
    assert [(i.guid, i.outcome) for i in second.items] == [(guid(slow), "published")]
    assert {i.guid for i in second.failed_earlier} == {guid(missing), guid(binary), guid(bad)}
    assert second.exit_code == 1 and second.narrated == 1
    assert len(read_feed(cfg.out)) == 3


NOW = datetime(2024, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "retry_at"),
    [
        ("120", NOW + timedelta(seconds=120)),  # delta-seconds
        ("Sat, 01 Jun 2024 02:00:00 GMT", datetime(2024, 6, 1, 2, tzinfo=UTC)),  # an HTTP date
        (None, NOW + timedelta(minutes=10)),  # no Retry-After: the first backoff step
    ],
)
def test_transient_failures_back_off_then_quarantine(
    site: Site, tmp_path: Path, header: str | None, retry_at: datetime
) -> None:
    post = site.add("river", 1)

    retry = {"Retry-After": header} if header is not None else {}
    site.server.page(post.path, b"", status=429, **retry)
    cfg = config(site, tmp_path / "pod", max_attempts=2)
    now = NOW
    first = batch.run(cfg, now=now)
    assert [i.outcome for i in first.items] == ["failed"] and first.exit_code == 1
    assert "HTTP 429" in first.items[0].detail
    with State.open(cfg.out) as db:
        item = db.items()[0]
    assert item.transient and item.attempts == 1 and item.next_retry is not None
    assert datetime.fromisoformat(item.next_retry) == retry_at

    waiting = batch.run(cfg, now=now + timedelta(seconds=30))
    assert [i.outcome for i in waiting.items] == ["waiting"] and waiting.exit_code == 1

    last = batch.run(cfg, now=now + timedelta(days=1))
    assert [i.outcome for i in last.items] == ["quarantined"]
    assert "quarantined after 2 attempts" in last.items[0].detail
    later = batch.run(cfg, now=now + timedelta(days=30))
    assert [i.outcome for i in later.items] == ["quarantined"] and later.exit_code == 1
    assert read_feed(cfg.out) == []


def test_a_bug_inside_an_item_fails_it_for_good_with_its_reason(
    site: Site, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    post = site.add("river", 1)
    article = site.server.routes.pop(post.path)  # type: ignore[attr-defined]
    cfg = config(site, tmp_path / "pod")
    batch.run(cfg, now=NOW)  # the page is missing: the item is recorded and fails for good
    # A title stored as bytes (a hand-edited database, another tool's write) reaches code that
    # expects text: a real TypeError while naming the episode's files, nothing the network did.
    with State.open(cfg.out) as db:
        db.update(guid(post), status="discovered", title=b"River", attempts=0, last_error=None)
    site.server.routes[post.path] = article  # type: ignore[attr-defined]
    with caplog.at_level(logging.DEBUG, logger="narrate"):
        second = batch.run(cfg, now=NOW)
    [result] = second.items
    assert result.outcome == "failed" and second.exit_code == 1
    assert result.detail.startswith("unexpected TypeError: normalize() argument 2 must be str")
    with State.open(cfg.out) as db:
        row = db.item(guid(post))
    assert row is not None and row.status == "failed"
    assert not row.transient and row.next_retry is None  # permanent: no backoff, no retry
    bug = [r for r in caplog.records if r.exc_info and r.exc_info[0] is TypeError]
    assert bug and all(r.levelno == logging.DEBUG for r in bug)  # the traceback, for --debug
    later = batch.run(cfg, now=NOW + timedelta(days=1))
    assert later.items == () and [i.guid for i in later.failed_earlier] == [guid(post)]


@pytest.mark.slow
def test_a_paywalled_teaser_is_published_as_a_preview(site: Site, tmp_path: Path) -> None:
    free, teaser = site.add("bridge", 1), site.add("river", 2)
    paywalled = json.dumps({"@type": "NewsArticle", "isAccessibleForFree": False})
    offer = (
        "<div class='paywall-offer'><h2>Subscribe to keep reading</h2>"
        "<p>Already a subscriber? <a href='/login'>Sign in</a></p></div>"
    )
    html = (
        page(teaser.title, teaser.paragraphs)
        .replace("</head>", f"<script type='application/ld+json'>{paywalled}</script></head>")
        .replace("</article>", offer + "</article>")
    )
    site.serve(teaser.path, html)
    cfg = config(site, tmp_path / "pod")
    assert batch.run(cfg).exit_code == 0
    root = etree.fromstring((cfg.out / "feed.xml").read_bytes())
    described = {i.findtext("title"): i.findtext("description") for i in root.iter("item")}
    assert described[teaser.title].startswith(f"Preview: {teaser.title}: a short summary.")
    assert described[free.title].startswith(f"{free.title}: a short summary.")


@pytest.mark.slow
def test_the_next_page_is_fetched_while_an_item_is_narrated(site: Site, tmp_path: Path) -> None:
    for slug, day in (("bridge", 1), ("river", 2), ("school", 3)):
        site.add(slug, day)
    asked: dict[str, list[str]] = {}

    def progress(done: int, total: int, title: str) -> None:
        if title:
            asked[title] = list(site.server.hits)  # what the server had been asked by then

    summary = batch.run(config(site, tmp_path / "pod"), progress)
    assert summary.narrated == 3
    for post in site.posts[:2]:  # the two items after the newest
        assert post.path in asked[post.title], post.title  # fetched before its turn came


def test_limit_keeps_the_newest_and_prunes_older_files(site: Site, tmp_path: Path) -> None:
    for slug, day in (("bridge", 1), ("river", 2), ("school", 3)):
        site.add(slug, day)
    cfg = config(site, tmp_path / "pod", limit=2)
    first = batch.run(cfg)
    assert first.narrated == 2
    items = read_feed(cfg.out)
    assert [i.title for i in items] == [
        "School opens a new library",
        "River levels rise in the valley",
    ]
    site.add("bridge-again", 4, key="bridge")  # newer, same text: cheap from the clip cache
    second = batch.run(cfg)
    assert second.narrated == 1
    after = read_feed(cfg.out)
    assert [i.title for i in after] == [
        "Bridge reopens after repairs",
        "School opens a new library",
    ]
    river = items[1]
    assert not (cfg.out / river.audio).exists()  # pruned once out of the feed
    with State.open(cfg.out) as db:
        row = db.item(river.guid)
    assert (
        row is not None
        and row.status == "skipped"
        and "beyond --limit 2" in (row.skip_reason or "")
    )


def test_since_ignores_older_items_and_feed_errors_are_reported(site: Site, tmp_path: Path) -> None:
    site.add("river", 1)
    cfg = config(
        site,
        tmp_path / "pod",
        since=datetime(2024, 5, 10).date(),
        feeds=(site.feed_url, site.url("/nothing.xml")),
    )
    summary = batch.run(cfg)
    assert summary.items == () and summary.narrated == 0
    assert [f.status for f in summary.feeds] == ["new", "failed"]
    assert "HTTP 404" in summary.feeds[1].detail
    assert summary.exit_code == 1
    assert read_feed(cfg.out) == []


def narrate_feed(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "narrate", "feed", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_feed_that_does_not_parse_fails_the_run_and_publishes_nothing(tmp_path: Path) -> None:
    broken = '<?xml version="1.0"?>\n<rss><channel><item><title>x</item>\n'
    (tmp_path / "bad.xml").write_text(broken)
    run = narrate_feed(tmp_path, "bad.xml", "--out", "pod")
    assert run.returncode == 1
    assert run.stderr == "Error: bad.xml is not a readable feed: mismatched tag (line 2)\n"
    assert not (tmp_path / "pod" / "feed.xml").exists()
    run = narrate_feed(tmp_path, "bad.xml", "missing.xml", "--out", "pod")
    assert run.returncode == 1 and run.stderr == (
        "Error: none of the 2 feeds could be read; "
        "first: bad.xml is not a readable feed: mismatched tag (line 2)\n"
    )
    assert not (tmp_path / "pod" / "feed.xml").exists()


def test_a_leniently_read_feed_with_items_is_a_warning(tmp_path: Path) -> None:
    unclosed = "<rss version='2.0'><channel><title>T</title><item><title>x</title><guid>1</guid>"
    (tmp_path / "lenient.xml").write_text(unclosed)
    run = narrate_feed(tmp_path, "lenient.xml", "--out", "pod")
    assert run.returncode == 0, run.stderr
    assert "not well-formed" in run.stderr and "read leniently" in run.stderr
    assert "1 items; SAXParseException" in run.stdout
    assert "skipped" in run.stdout and "no link, and the feed gives no text" in run.stdout
    assert (tmp_path / "pod" / "feed.xml").is_file()


# kill -9 at several points, then re-run


STAGES: dict[str, str] = {
    "discovered": "SELECT COUNT(*) = 3 AND SUM(status = 'narrated') = 0 FROM items",
    "narrated": "SELECT SUM(status = 'narrated') >= 1 FROM items",
    "published": "SELECT SUM(status = 'published') >= 1 FROM items",
}


def _reached(out: Path, stage: str) -> bool:
    if stage == "part":
        return (
            bool(list((out / "episodes").glob(".*.part"))) if (out / "episodes").is_dir() else False
        )
    db = out / "state.db"
    if not db.exists():
        return False
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return bool(conn.execute(STAGES[stage]).fetchone()[0])
    except sqlite3.Error:
        return False


@pytest.mark.slow
def test_kill_9_at_any_stage_then_rerun_gives_the_clean_feed(site: Site, tmp_path: Path) -> None:
    for slug, day in (("bridge", 1), ("river", 2), ("school", 3)):
        site.add(slug, day)
    clean = config(site, tmp_path / "clean")
    batch.run(clean)
    expected = read_feed(clean.out)

    # Pages answer slowly so that the run spends time between stages.
    for post in site.posts:
        body = page(post.title, post.paragraphs).encode()

        site.server.routes[post.path] = Route(
            body, headers={"Content-Type": "text/html; charset=utf-8"}, delay_s=0.4
        )

    for stage in ("discovered", "part", "narrated", "published"):
        out = tmp_path / f"killed-at-{stage}"
        env = dict(os.environ)
        if stage == "part":  # a cold clip cache makes narration slow enough to catch mid-write
            env["NARRATE_CACHE_DIR"] = str(tmp_path / "cold-cache")
        proc = _start_batch(site, out, env)
        try:
            _wait_for(out, stage, proc, 120)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        rerun = batch.run(config(site, out))
        assert rerun.exit_code == 0, (stage, rerun)
        # Fresh synthesis varies a little (Piper's noise), so byte lengths may differ from the
        # clean run's; read_feed checks each length against its own file.
        assert _shape(read_feed(out)) == _shape(expected), stage
        again = batch.run(config(site, out))
        assert again.narrated == 0 and _shape(read_feed(out)) == _shape(expected)


def _shape(items: list[Published]) -> list[Published]:
    return [replace(i, length=0) for i in items]


def _start_batch(site: Site, out: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from narrate.feed import batch\n"
        "from narrate.config import Channel, FetchLimits\n"
        "batch.run(batch.BatchConfig(feeds=(sys.argv[1],), out=Path(sys.argv[2]),"
        f" base_url={BASE_URL!r}, disclaimer=None, workers=1,"
        " channel=Channel(owner_email='ann@valley.example'),"
        " limits=FetchLimits(allow_private=True, timeout_s=5.0)))\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, site.feed_url, str(out)],
        env=env,
        start_new_session=True,  # its own process group: kill -9 takes its workers too
    )


def _wait_for(out: Path, stage: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not _reached(out, stage):
        assert proc.poll() is None, f"the run ended before reaching {stage}"
        assert time.monotonic() < deadline, f"stage {stage} never reached"
        time.sleep(0.005)


# locking, CLI and configuration


def test_second_run_on_a_locked_folder_says_locked(site: Site, tmp_path: Path) -> None:
    site.add("river", 1)
    out = tmp_path / "pod"
    with locked(out), pytest.raises(LockedError, match="locked by another narrate feed run"):
        batch.run(config(site, out))


def test_cli_summary_and_exit_status(site: Site, tmp_path: Path) -> None:
    post = site.add("river", 1)
    site.server.routes.pop(post.path)  # type: ignore[attr-defined]
    out = tmp_path / "pod"
    args = [site.feed_url, "--out", str(out), "--base-url", BASE_URL, "--no-disclaimer"]
    args += ["--allow-private", "--limit", "5", "--since", "2024-01-01", "--workers", "1", "-q"]
    result = CliRunner().invoke(feed_command, args)
    assert result.exit_code == 1, result.output
    assert "FAILED failed      River levels rise in the valley" in result.output
    assert "HTTP 404" in result.output
    assert "0 narrated, 0 in" in result.output and "1 failed" in result.output

    with locked(out):
        result = CliRunner().invoke(feed_command, args)
    assert isinstance(result.exception, LockedError)


@pytest.mark.slow
def test_cli_publishes_with_progress(site: Site, tmp_path: Path) -> None:
    site.add("river", 1)
    out = tmp_path / "pod"
    args = [site.feed_url, "-o", str(out), "--base-url", BASE_URL, "--no-disclaimer"]
    result = CliRunner().invoke(feed_command, [*args, "--allow-private", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "new    published   River levels rise in the valley" in result.output
    assert "1 narrated, 1 in" in result.output


def test_example_config_documents_every_option(tmp_path: Path) -> None:
    example = ROOT / "narrate.example.toml"
    cfg = feed_settings.from_settings(load(example))
    text = example.read_text()
    top, channel = text.split("\n[channel]\n")
    for key, spec in SCHEMA.items():
        assert f"\n{key} =" in (channel if spec.channel else top) or f"\n# {key} =" in text, key
        assert spec.env is None or spec.env in text, spec.env
    assert cfg.base_url == "https://example.com/podcast/"
    assert cfg.channel.category == ("News", "Daily News")
    assert cfg.disclaimer == DISCLAIMER
    assert cfg.out == example.parent / "podcast"
    flags = feed_settings.from_settings(
        load(example, flags={"feeds": ("a.xml",), "limit": 3, "out": tmp_path, "disclaimer": False})
    )
    assert (flags.feeds, flags.limit, flags.out, flags.disclaimer) == (
        ("a.xml",),
        3,
        tmp_path,
        None,
    )


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("feeds = ['a']\nout = 'o'\ncolour = 1", "unknown setting"),
        ("feeds = ['a']\nout = 'o'\n[channel]\nowner = 'x'", r"unknown \[channel\] setting"),
        ("feeds = ['a']\nout = 'o'\ntitle = 'x'", "unknown setting.s. title"),
        ("feeds = ['a']\nout = 'o'\nchannel = 1", r"\[channel\] must be a table"),
        ("feeds = ['a']\nout = 'o'\nlimit = 'ten'", "limit must be a whole number of episodes"),
        ("feeds = ['a']\nout = 'o'\nlimit = 0", "limit must be at least 1, not 0"),
        ("feeds = ['a']\nout = 'o'\nsince = 'soon'", "since must be a date"),
        (
            "feeds = ['a']\nout = 'o'\n[channel]\ncategory = 'Cats'",
            "narrate.toml: category must be an Apple Podcasts category",
        ),
        (
            "feeds = ['a']\nout = 'o'\n[channel]\ncategory = 'News > A > B'",
            "category must be an Apple",
        ),
        ("feeds = ['a']\nout = 'o'\n[channel]\ncategory = ''", "category must be an Apple"),
        ("feeds = ['a']", "no output folder"),
        ("out = 'o'", "no feeds"),
        ("feeds = 1\nout = 'o'", "feeds must be a list of paths or URLs, not 1"),
        ("feeds = [", "invalid TOML"),
        ("feeds = ['a']\nout = 'o'\ntimeout = -5", "timeout must be more than 0, not -5"),
        ("feeds = ['a']\nout = 'o'\nmax_page_mb = -1", "max_page_mb must be more than 0, not -1"),
        ("feeds = ['a']\nout = 'o'\nmax_attempts = 0", "max_attempts must be at least 1"),
        ("feeds = ['a']\nout = 'o'\nbitrate = 'fast'", "bitrate must be an MP3 bitrate"),
        ("feeds = ['a']\nout = 'o'\nallow_private = 'maybe'", "allow_private must be true or"),
        ("feeds = ['a']\nout = 'o'\ndisclaimer = 3", "disclaimer must be true, false or a text"),
        ("feeds = ['a']\nout = 'o'\ncluster = 'farm'", "cluster must be `local` or a Dask sch"),
    ],
)
def test_bad_config(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "narrate.toml"
    path.write_text(toml)
    with pytest.raises((ConfigError, SettingsError), match=message):
        feed_settings.from_settings(load(path))


def test_the_channel_takes_settings_then_the_only_feed_then_defaults(tmp_path: Path) -> None:
    a, b = "https://a.example/feed", "https://b.example/feed"
    said = About("Valley News", "https://valley.example/", "News from the valley.", "de", "Desk")
    with State.open(tmp_path) as db:
        db.save_feed(FeedState(a, about=said))
        db.save_feed(FeedState(b, about=About("Hill Times")))

        def show(sources: list[str], **settings: object) -> tuple[str, ...]:
            mine = feed_config(a, tmp_path, channel=Channel(**settings))  # type: ignore[arg-type]
            ch = publish.channel(db, mine, sources)
            return ch.title, ch.description, ch.link, ch.language, ch.author

        assert show([a]) == (
            "Valley News",
            "News from the valley.",
            "https://valley.example/",
            "de",
            "Desk",
        )
        mine = {"title": "Mine", "description": "Mine.", "link": "https://mine.example/"}
        assert show([a], **mine, language="en", author="Me") == (
            "Mine",
            "Mine.",
            "https://mine.example/",
            "en",
            "Me",
        )
        both = "Narrated: Valley News, Hill Times"
        assert show([a, b]) == (both, f"Articles from {both}, read aloud.", BASE_URL, "en", both)


def test_content_hash_follows_the_spoken_text_only() -> None:
    from narrate.models import Chapter, Script, Segment, Sentence

    def script(spoken: str, text: str = "x") -> Script:
        seg = Segment("narration", (Sentence(text, spoken),))
        return Script("T", (Chapter("T", (seg,)),))

    assert items.content_hash(script("a")) == items.content_hash(script("a", text="<b>x</b>"))
    assert items.content_hash(script("a")) != items.content_hash(script("b"))
