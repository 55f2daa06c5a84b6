"""The real `narrate` command in a subprocess: sources (file, stdin, HTTP), outputs, and errors."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest
from mutagen.id3 import ID3

from narrate.audio.measure import decode, recognise, recogniser
from narrate.config import DISCLAIMER
from narrate.models import Clip
from tests.audio_helpers import parse_vtt
from tests.cli_run import SHORT, narrate


def test_script_is_the_same_from_a_file_stdin_and_http(http_server, sample: Path) -> None:
    html = sample.read_bytes()
    url = http_server.page("/news/story.html", html)
    runs = [
        narrate("script", str(sample), "--format", "json"),
        narrate("script", "-", "--format", "json", stdin=html),
        narrate("script", url, "--format", "json", "--allow-private"),
    ]
    for run in runs:
        assert run.returncode == 0, run.stderr
    scripts = [json.loads(run.stdout) for run in runs]
    assert scripts[0]["chapters"] == scripts[1]["chapters"] == scripts[2]["chapters"]
    assert [c["title"] for c in scripts[0]["chapters"][1:]] == [
        "Why It Matters",
        "What To Know",
        "What People Are Saying",
        "What Happens Next",
    ]
    first = scripts[0]["chapters"][0]["segments"][0]
    assert (first["role"], first["text"]) == ("disclaimer", DISCLAIMER)


def test_text_format_matches_the_golden_script(sample: Path) -> None:
    run = narrate("script", str(sample))
    golden = sample.with_suffix(".script.txt").read_text(encoding="utf-8")
    assert run.returncode == 0 and run.stdout.decode() == golden


def test_disclaimer_text_and_opt_out() -> None:
    custom = narrate("script", str(SHORT), "--format", "json", "--disclaimer", "A robot reads.")
    off = narrate("script", str(SHORT), "--format", "json", "--no-disclaimer")
    first = json.loads(custom.stdout)["chapters"][0]["segments"][0]
    assert first["role"] == "disclaimer" and first["text"] == "A robot reads."
    roles = [s["role"] for c in json.loads(off.stdout)["chapters"] for s in c["segments"]]
    assert "disclaimer" not in roles and roles[0] == "title"


def _bad_inputs(tmp: Path, server) -> dict[str, list[str]]:
    (tmp / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    (tmp / "empty.html").write_text("")
    (tmp / "nav.html").write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>")
    return {
        "missing file": ["script", str(tmp / "nope.html")],
        "not HTML": ["script", str(tmp / "image.png")],
        "empty page": ["script", str(tmp / "empty.html")],
        "no article": ["script", str(tmp / "nav.html")],
        "unreachable": ["script", "http://127.0.0.1:9/story", "--allow-private"],
        "HTTP 404": ["script", server.url("/gone"), "--allow-private"],
        "blocked": ["script", server.url("/gone")],
        "bad scheme": ["script", "ftp://example.com/story"],
        "bad voice": ["article", str(SHORT), "-o", str(tmp / "x.mp3"), "--voice", "nobody"],
        "output not mp3": ["article", str(SHORT), "-o", str(tmp / "x.vtt")],
        "output is a device": ["article", str(SHORT), "-o", "/dev/null"],
        "output under a file": ["article", str(SHORT), "-o", str(SHORT / "x.mp3")],
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing file",
        "not HTML",
        "empty page",
        "no article",
        "unreachable",
        "HTTP 404",
        "blocked",
        "bad scheme",
        "bad voice",
        "output not mp3",
        "output is a device",
        "output under a file",
    ],
)
def test_bad_input_is_one_line_and_non_zero(case: str, tmp_path: Path, http_server) -> None:
    run = narrate(*_bad_inputs(tmp_path, http_server)[case])
    err = run.stderr.decode()
    assert run.returncode != 0
    assert err.startswith("Error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and "unexpected" not in err and run.stdout == b""
    assert not (tmp_path / "x.mp3").exists() and not (tmp_path / "x.vtt").exists()
    assert Path("/dev/null").is_char_device()


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    run = narrate("--debug", "script", str(tmp_path / "nope.html"))
    assert run.returncode != 0 and b"Traceback" in run.stderr


@pytest.mark.slow
def test_article_writes_a_chaptered_mp3_with_transcript(tmp_path: Path, http_server) -> None:
    cover = b"\x89PNG\r\n\x1a\n" + bytes(200)
    http_server.page("/img/bridge.png", cover, ctype="image/png")
    image = '<meta property="og:image" content="/img/bridge.png">'  # relative: resolved
    html = SHORT.read_text(encoding="utf-8").replace("</head>", image + "\n</head>")
    url = http_server.page("/harbour.html", html)
    out = tmp_path / "deep" / "story.mp3"
    run = narrate("article", url, "-o", str(out), "--allow-private", "-v")
    assert run.returncode == 0, run.stderr
    err = run.stderr.decode()
    assert "script: 2 chapters" in err and f"Wrote {out}" in err
    tags = ID3(out)
    assert tags["TIT2"].text == ["Harbour Bridge Reopens After Repairs"]
    [apic] = tags.getall("APIC")
    assert (apic.mime, apic.data) == ("image/png", cover)
    assert tags["WOAS"].url == url
    assert [tags[k].element_id for k in sorted(tags.keys()) if k.startswith("CHAP")]
    chapters = json.loads(out.with_suffix(".chapters.json").read_text())["chapters"]
    assert [c["title"] for c in chapters] == [
        "Harbour Bridge Reopens After Repairs",
        "What Officials Said",
    ]
    cues = parse_vtt(out.with_suffix(".vtt").read_text())
    assert cues[0].voice == "disclaimer" and cues[0].start_ms >= 300
    assert {c.voice for c in cues} == {"disclaimer", "title", "narration", "heading", "quote"}
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "story.chapters.json",
        "story.mp3",
        "story.srt",
        "story.transcript.json",
        "story.vtt",
    ]


@pytest.mark.slow
def test_the_first_seconds_say_the_voice_is_ai_generated(tmp_path: Path) -> None:
    out = tmp_path / "story.mp3"
    assert narrate("-q", "article", str(SHORT), "-o", str(out)).returncode == 0
    rate = 22050
    first = decode(out)[: 10 * rate]
    heard = recognise(Clip(first, rate), recogniser())
    # pocketsphinx on synthetic speech is rough: ask for most of the disclaimer's words, in order.
    assert in_order(DISCLAIMER, heard) >= 0.5, heard
    assert "harbour" not in heard.split()[:4], heard


def in_order(ref: str, hyp: str) -> float:
    """Share of ref's words that hyp says in the same order (longest common subsequence)."""
    r, h = ref.lower().replace("-", " ").split(), hyp.lower().split()
    r = [w.strip(".,") for w in r]
    row = [0] * (len(h) + 1)
    for word in r:
        prev = 0
        for j, heard in enumerate(h, 1):
            prev, row[j] = row[j], prev + 1 if word == heard else max(row[j], row[j - 1])
    return row[-1] / len(r)


@pytest.mark.slow
def test_quiet_run_prints_nothing_and_a_failed_run_keeps_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "story.mp3"
    run = narrate("-q", "article", str(SHORT), "-o", str(out))
    assert run.returncode == 0 and run.stdout == b"" and run.stderr == b""
    before = out.read_bytes()
    broken = tmp_path / "broken.html"
    broken.write_text("<html><body><nav>Home</nav></body></html>")
    assert narrate("-q", "article", str(broken), "-o", str(out)).returncode != 0
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "broken.html",
        "story.chapters.json",
        "story.mp3",
        "story.srt",
        "story.transcript.json",
        "story.vtt",
    ]


def test_say_voices_lexicon_and_cache_commands(tmp_path: Path) -> None:
    wav = tmp_path / "hello.wav"
    run = narrate("say", "Hello there.", "--role", "quote", "-o", str(wav))
    assert run.returncode == 0, run.stderr
    with wave.open(str(wav)) as w:
        assert w.getframerate() == 22050 and w.getnframes() > 22050 // 2
    listing = narrate("voices").stdout.decode()
    assert "default" in listing and "en_US-joe-medium" in listing
    without, with_ = (
        line.split(":", 1)[1].strip()
        for line in narrate("lexicon", "show", "Peskov").stdout.decode().splitlines()
    )
    assert without and with_ and without != with_
    assert re.search(
        r"\d+ clips, \d+ scripts, \d+ episodes, ", narrate("cache", "info").stdout.decode()
    )


@pytest.mark.slow
def test_sigterm_removes_the_partial_output(tmp_path: Path, sample: Path) -> None:
    out = tmp_path / "story.mp3"
    proc = subprocess.Popen(
        [sys.executable, "-m", "narrate", "-q", "article", str(sample), "-o", str(out)],
        stderr=subprocess.PIPE,
        env={**os.environ, "NARRATE_CACHE_DIR": str(tmp_path / "cold-cache")},
    )
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob("*.part")) and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    proc.terminate()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and err.decode().startswith("Error: terminated"), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cold-cache"]


def test_feed_exit_status_reports_failed_items(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        "<link>http://127.0.0.1:9/</link><description>d</description>"
        "<item><title>Gone</title><link>http://127.0.0.1:9/gone</link><guid>g1</guid></item>"
        "</channel></rss>"
    )
    run = narrate("feed", str(feed), "--out", str(tmp_path / "pod"), "--allow-private", "-q")
    assert run.returncode != 0, run.stdout
    assert b"1 failed" in run.stdout


def _every_command(tmp: Path) -> dict[str, tuple[list[str], int, str]]:
    """Each command with quick arguments: its exit status and how stderr starts when quiet."""
    return {
        "script": (["script", str(SHORT)], 0, ""),
        "article": (["article", str(SHORT), "-o", str(tmp / "x.vtt")], 1, "Error: the output"),
        "say": (["say", "Hello.", "-o", str(tmp / "hi.wav")], 0, ""),
        "voices": (["voices"], 0, ""),
        "voices check": (["voices", "check", "--voice", "nobody"], 1, "Error: no voice profile"),
        "lexicon show": (["lexicon", "show", "Peskov"], 0, ""),
        "cache info": (["cache", "info"], 0, ""),
        "cache clear": (["cache", "clear"], 0, ""),
        "feed": (["feed", "f.xml", "-o", str(tmp / "pod"), "--limit", "0"], 2, "Error: --limit"),
        "serve": (["serve", str(tmp / "none")], 2, "Usage: "),
    }


@pytest.mark.parametrize("where", ["before", "after"])
@pytest.mark.parametrize("command", list(_every_command(Path())))
def test_every_command_takes_the_global_flags_in_either_place(
    command: str, where: str, tmp_path: Path
) -> None:
    args, status, stderr = _every_command(tmp_path)[command]
    words = len(command.split())
    flags = ["-q", "--config", str(tmp_path / "narrate.toml")]
    (tmp_path / "narrate.toml").write_text("")
    line = [*flags, *args] if where == "before" else [*args[:words], *flags, *args[words:]]
    run = narrate(*line, env={"NARRATE_CACHE_DIR": str(tmp_path / "cache")})
    assert run.returncode == status, run.stderr
    assert run.stderr.decode().startswith(stderr) and (stderr or not run.stderr), run.stderr
    assert b"No such option" not in run.stderr


def test_debug_after_the_command_shows_the_traceback(tmp_path: Path) -> None:
    run = narrate("say", "Hi.", "-o", str(tmp_path / "x.wav"), "--voice", "nobody", "--debug")
    assert run.returncode != 0 and b"Traceback" in run.stderr and b"VoiceError" in run.stderr


def test_a_bad_output_is_refused_before_the_page_is_fetched(tmp_path: Path, http_server) -> None:
    url = http_server.page("/story.html", SHORT.read_bytes())
    for output in (tmp_path / "x.vtt", SHORT / "x.mp3", Path("/dev/null")):
        run = narrate("article", url, "-o", str(output), "--allow-private")
        assert run.returncode == 1 and run.stderr.startswith(b"Error: "), run.stderr
    assert http_server.hits == []


def test_the_distribution_has_its_own_name_and_installs_narrate() -> None:
    # "narrate" on the package index is an unrelated TTS tool; ours installs as narrate-news.
    dist = importlib.metadata.distribution("narrate-news")
    [script] = [e for e in dist.entry_points if e.group == "console_scripts"]
    assert (script.name, script.value) == ("narrate", "narrate.cli.main:main")
