"""The SQLite state and the folder lock, on real files."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from narrate.errors import NarrateError
from narrate.feed.entry import About
from narrate.feed.state import (
    SCHEMA_VERSION,
    FeedState,
    Item,
    LockedError,
    State,
    locked,
    now_iso,
)

SCHEMA_1 = Path(__file__).parent / "fixtures" / "state-v1.sql"
"""A state.db written by schema 1 (generated: see fixtures/LICENSES.md)."""


def item(guid: str = "g1", **kw: object) -> Item:
    values: dict[str, object] = {
        "guid": guid,
        "feed_url": "https://example.com/feed",
        "source_key": guid,
        "title": f"Title {guid}",
        "status": "discovered",
        "discovered_at": now_iso(),
    }
    values.update(kw)
    return Item(**values)  # type: ignore[arg-type]


def test_wal_and_busy_timeout(tmp_path: Path) -> None:
    with State.open(tmp_path) as db:
        assert db.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.db.execute("PRAGMA busy_timeout").fetchone()[0] == 30000
        assert db.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_items_round_trip_and_survive_reopening(tmp_path: Path) -> None:
    with State.open(tmp_path) as db:
        db.discover(item("a", link="https://e.com/a", published="2024-01-02T00:00:00+00:00"))
        db.discover(item("b", published="2024-01-03T00:00:00+00:00"))
        db.update("a", status="failed", attempts=1, transient=True, last_error="HTTP 503")
    with State.open(tmp_path) as db:
        a = db.item("a")
        assert a is not None and a.status == "failed" and a.transient and a.attempts == 1
        assert db.find("https://example.com/feed", "a") == a
        assert [i.guid for i in db.items()] == ["b", "a"]  # newest first
        assert [i.guid for i in db.items(["failed"])] == ["a"]
        assert db.items(feed_urls=["https://other"]) == []


def test_guid_is_unique_and_update_checks_columns(tmp_path: Path) -> None:
    with State.open(tmp_path) as db:
        db.discover(item("a"))
        with pytest.raises(Exception, match="UNIQUE"):
            db.discover(item("a"))
        with pytest.raises(ValueError, match="unknown item columns"):
            db.update("a", colour="red")
        with pytest.raises(KeyError):
            db.update("missing", title="x")


def test_status_is_checked(tmp_path: Path) -> None:
    with State.open(tmp_path) as db, pytest.raises(Exception, match="CHECK"):
        db.discover(item("a", status="done"))


def test_transaction_rolls_back_as_a_whole(tmp_path: Path) -> None:
    with State.open(tmp_path) as db:
        db.discover(item("a"))
        with pytest.raises(RuntimeError), db.transaction():
            db.update("a", title="changed")
            db.discover(item("b"))
            raise RuntimeError("crash")
        a = db.item("a")
        assert a is not None and a.title == "Title a"
        assert db.item("b") is None


def test_publish_marks_only_narrated_items(tmp_path: Path) -> None:
    with State.open(tmp_path) as db:
        db.discover(item("a", status="narrated", audio="episodes/a.mp3", attempts=2))
        db.discover(item("b"))
        db.mark_published(["a", "b"], now_iso())
        a, b = db.item("a"), db.item("b")
        assert a is not None and a.status == "published" and a.attempts == 0 and a.published_at
        assert b is not None and b.status == "discovered"


def test_referenced_files(tmp_path: Path) -> None:
    with State.open(tmp_path) as db:
        db.discover(
            item(
                "a", audio="episodes/a.mp3", transcript="episodes/a.vtt", chapters="episodes/a.json"
            )
        )
        db.discover(item("b"))
        assert db.referenced_files() == {"episodes/a.mp3", "episodes/a.vtt", "episodes/a.json"}


def test_feed_validators(tmp_path: Path) -> None:
    with State.open(tmp_path) as db:
        assert db.feed("u") is None
        db.save_feed(FeedState(url="u", etag='"1"', about=About(title="T")))
        said = About("T2", "https://e.com/", "News.", "en", "Ann", "https://e.com/logo.png")
        db.save_feed(FeedState(url="u", etag='"2"', last_modified="Mon", about=said))
        assert db.feed("u") == FeedState(url="u", etag='"2"', last_modified="Mon", about=said)


def _write(folder: Path, sql: str) -> Path:
    path = folder / "state.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(sql)
    return path


def _rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with closing(sqlite3.connect(path)) as conn:
        return {
            table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in ("meta", "feeds", "items")
        }


def test_a_schema_1_database_upgrades_with_nothing_lost(tmp_path: Path) -> None:
    path = _write(tmp_path, SCHEMA_1.read_text())
    before = _rows(path)
    assert ("schema_version", "1") in before["meta"] and len(before["items"]) == 3
    with State.open(tmp_path) as db:
        assert db.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.get_meta("podcast_guid") == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
        bridge = db.item("tag:valley.example,2024:bridge")
        river = db.item("tag:valley.example,2024:river")
        feed = db.feed("https://valley.example/feed.xml")
    assert bridge is not None and bridge.status == "published" and bridge.duration_ms == 6020
    assert bridge.files == (
        "episodes/bridge-reopens-after-repairs-0123456789.mp3",
        "episodes/bridge-reopens-after-repairs-0123456789.vtt",
        "episodes/bridge-reopens-after-repairs-0123456789.chapters.json",
    )
    assert river is not None and river.transient and river.next_retry == "2024-06-01T08:20:00+00:00"
    assert feed is not None and feed.etag == '"abc123"'
    assert feed.about == About(
        "Valley News",
        "https://valley.example/",
        "News from the valley.",
        "en",
        "Valley Desk",
        "https://valley.example/logo.png",
    )
    after = _rows(path)
    assert after["items"] == before["items"] and after["feeds"] == before["feeds"]
    assert after["meta"] == [row for row in before["meta"] if row[0] != "schema_version"]
    with State.open(tmp_path):  # an upgraded file opens as it is
        pass
    assert _rows(path) == after


@pytest.mark.parametrize(
    "sql",
    [
        "PRAGMA user_version = 99",
        # A schema-1 file kept its number in the meta table.
        SCHEMA_1.read_text().replace("('schema_version','1')", "('schema_version','99')"),
    ],
)
def test_newer_schema_is_refused(tmp_path: Path, sql: str) -> None:
    _write(tmp_path, sql)
    refused = rf"newer narrate \(schema 99, this one knows {SCHEMA_VERSION}\); upgrade narrate"
    with pytest.raises(NarrateError, match=refused):
        State.open(tmp_path)


def test_lock_in_process(tmp_path: Path) -> None:
    with (
        locked(tmp_path),
        pytest.raises(LockedError, match="locked by another narrate feed run"),
        locked(tmp_path),
    ):
        pass
    with locked(tmp_path):  # released
        pass


def test_lock_held_by_another_process(tmp_path: Path) -> None:
    code = (
        "import sys, time; from pathlib import Path; from narrate.feed.state import locked\n"
        "with locked(Path(sys.argv[1])):\n"
        "    print('held', flush=True); time.sleep(30)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with pytest.raises(LockedError, match=rf"pid {proc.pid}\)"), locked(tmp_path):
            pass
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 10
    while True:  # the kernel drops the lock with the process
        try:
            with locked(tmp_path):
                break
        except LockedError:
            assert time.monotonic() < deadline
            time.sleep(0.05)
