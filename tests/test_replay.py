"""Replay: an unchanged article comes back from the cache byte for byte, with no heavy stage."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from narrate import pipeline, replay
from narrate.audio import voices
from narrate.audio.cache import ClipCache
from narrate.feed.podcast import cover_png
from narrate.models import (
    ROLES,
    Chapter,
    ChapterMark,
    Cue,
    Episode,
    Page,
    Script,
    Segment,
    Sentence,
    Word,
)
from tests.cli_run import SHORT

HEAVY = ("onnxruntime", "piper", "trafilatura", "numpy", "mutagen")
"""What a replayed episode must not load: ONNX Runtime, Piper, the extractor, the audio stages."""

RUNNER = f"""
import _posixsubprocess, json, os, sys
started = []
def spy(real, program):
    def call(*args, **kw):
        started.append(os.fsdecode(program(args)))
        return real(*args, **kw)
    return call
# Every way this process can start another: subprocess, multiprocessing's fork server, fork.
_posixsubprocess.fork_exec = spy(_posixsubprocess.fork_exec, lambda a: a[0][0])
os.posix_spawn = spy(os.posix_spawn, lambda a: a[0])
os.fork = spy(os.fork, lambda a: "fork")
sys.argv = ["narrate", *sys.argv[1:]]
from narrate.cli.main import main
try:
    main()
finally:
    heavy = sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))
    print(json.dumps({{"started": started, "loaded": heavy}}), file=sys.stderr)
"""
"""`narrate ARGS` in this process, reporting what it started and which heavy libraries it loaded."""


@dataclass(frozen=True)
class Run:
    """What one narrate process did."""

    stdout: str
    log: str
    """What -v said."""
    started: list[str]
    """The programs it started, in order."""
    loaded: set[str]
    """The HEAVY libraries it imported."""

    @property
    def pooled(self) -> bool:
        """It started worker processes (for extraction or synthesis)."""
        return sys.executable in self.started

    @property
    def encoded(self) -> bool:
        """It ran ffmpeg."""
        return any("ffmpeg" in Path(p).name for p in self.started)

    @property
    def replayed(self) -> bool:
        """It started nothing and loaded no heavy library."""
        return not self.started and not self.loaded

    @property
    def kept_script(self) -> bool:
        """It took the page's script from the cache."""
        return "kept script used" in self.log

    @property
    def kept_episode(self) -> bool:
        """It wrote the episode from the cache."""
        return "kept episode written" in self.log


def narrate(*args: str, env: dict[str, str], cwd: Path | None = None) -> Run:
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, "-v", *args],
        capture_output=True,
        timeout=300,
        env={**os.environ, **env},
        cwd=cwd,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    *log, report = proc.stderr.decode().splitlines()
    found = json.loads(report)
    return Run(proc.stdout.decode(), "\n".join(log), found["started"], set(found["loaded"]))


def files(mp3: Path) -> dict[str, bytes]:
    """The MP3 and everything beside it, by the suffix after its stem."""
    return {p.name.removeprefix(mp3.stem): p.read_bytes() for p in mp3.parent.iterdir()}


@pytest.fixture(scope="module")
def cold(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The short article narrated once into an empty cache: its MP3 and the environment."""
    root = tmp_path_factory.mktemp("replay")
    env = {"NARRATE_CACHE_DIR": str(root / "cache")}
    mp3 = root / "cold" / "story.mp3"
    run = narrate("article", str(SHORT), "-o", str(mp3), env=env)
    # What the warm runs are checked for is really seen when it happens.
    assert run.pooled and run.encoded and {"numpy", "mutagen"} <= run.loaded, run
    assert not run.kept_script and not run.kept_episode, run.log
    return mp3, env


@pytest.mark.slow
def test_an_unchanged_article_is_replayed_byte_for_byte(
    cold: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    mp3, env = cold
    again = tmp_path / "again" / "other name.mp3"
    run = narrate("article", str(SHORT), "-o", str(again), env=env)
    assert run.replayed and run.kept_script and run.kept_episode, run
    assert files(again) == files(mp3)
    assert sorted(files(mp3)) == [".chapters.json", ".mp3", ".srt", ".transcript.json", ".vtt"]


@pytest.mark.slow
def test_without_o_the_mp3_is_named_after_the_title_here_and_its_path_printed(
    cold: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    mp3, env = cold
    run = narrate("article", str(SHORT), env=env, cwd=tmp_path)
    name = "harbour-bridge-reopens-after-repairs.mp3"
    assert run.stdout == f"{name}\n" and run.replayed
    assert files(tmp_path / name) == files(mp3)
    (tmp_path / name).write_bytes(b"an older narration")
    assert narrate("article", str(SHORT), env=env, cwd=tmp_path).stdout == f"{name}\n"
    assert files(tmp_path / name) == files(mp3)  # replaced, as -o replaces


@pytest.mark.slow
def test_changed_page_bytes_with_the_same_article_replay_after_extraction(
    cold: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    mp3, env = cold
    page = tmp_path / "refetched.html"
    html = SHORT.read_text(encoding="utf-8")
    page.write_text(html.replace("</head>", '<script>var token = "5f2c";</script></head>'))
    run = narrate("article", str(page), "-o", str(tmp_path / "out" / "story.mp3"), env=env)
    # Extracted again (the workers start meanwhile), but neither synthesised nor encoded.
    assert not run.kept_script and run.kept_episode, run.log
    assert run.pooled and not run.encoded and not run.loaded & {"mutagen", "piper"}, run
    assert files(tmp_path / "out" / "story.mp3") == files(mp3)


@pytest.mark.slow
def test_another_bitrate_or_voice_is_narrated_again(
    cold: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    mp3, env = cold
    out = tmp_path / "low" / "story.mp3"
    run = narrate("article", str(SHORT), "-o", str(out), "--bitrate", "32k", env=env)
    assert run.kept_script and not run.kept_episode and run.encoded, run
    assert files(out)[".mp3"] != files(mp3)[".mp3"] and files(out)[".vtt"] == files(mp3)[".vtt"]
    profile = tmp_path / "brighter.toml"
    profile.write_text('[defaults]\nmodel = "joe"\n[quote]\npitch_semitones = 5.0\n')
    out = tmp_path / "bright" / "story.mp3"
    run = narrate("article", str(SHORT), "-o", str(out), "--voice", str(profile), env=env)
    assert run.kept_script and not run.kept_episode and run.encoded, run
    assert files(out)[".mp3"] != files(mp3)[".mp3"]


@pytest.mark.slow
def test_an_edited_lexicon_is_read_again(cold: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    _, env = cold
    lexicon = tmp_path / "names.toml"
    out = tmp_path / "story.mp3"
    args = ("article", str(SHORT), "-o", str(out), "--lexicon", str(lexicon))
    lexicon.write_text('[en]\ncrews = "crooze"\n')
    narrate(*args, env=env)
    first = out.read_bytes()
    lexicon.write_text('[en]\ncrews = "krewz"\n')
    run = narrate(*args, env=env)
    assert not run.kept_script and not run.kept_episode and run.encoded, run
    assert out.read_bytes() != first


@pytest.mark.slow
def test_a_replay_writes_the_cover_without_fetching_it_again(http_server, tmp_path: Path) -> None:
    http_server.page("/lead.png", cover_png("Harbour"), ctype="image/png")
    html = SHORT.read_text(encoding="utf-8")
    url = http_server.page(
        "/story.html",
        html.replace("</head>", '<meta property="og:image" content="/lead.png"></head>'),
    )
    env = {"NARRATE_CACHE_DIR": str(tmp_path / "cache")}
    first, second = tmp_path / "a" / "story.mp3", tmp_path / "b" / "story.mp3"
    narrate("article", url, "-o", str(first), "--allow-private", env=env)
    assert http_server.hits == ["/story.html", "/lead.png"]
    run = narrate("article", url, "-o", str(second), "--allow-private", env=env)
    assert http_server.hits == ["/story.html", "/lead.png", "/story.html"]
    assert run.replayed and run.kept_episode, run
    assert ".cover.jpg" in files(first) and files(second) == files(first)


# ---------------------------------------------------------------- the two levels, in process


@dataclass(frozen=True)
class Opts:
    """Options as pipeline.Options has them, plus a Path field it does not have yet."""

    bitrate: str = "64k"
    workers: int | None = None
    lexicons: tuple[Path, ...] = ()
    intro: Path | None = None


def _script(text: str = "Hello there.", title: str = "T") -> Script:
    sentences = (Sentence(text, text), Sentence("And on.", "And on", runs_on=True))
    return Script(title=title, chapters=(Chapter("T", (Segment("narration", sentences),)),))


class Narration:
    """Stands in for extraction or synthesis: counts its calls and writes made-up files."""

    def __init__(self) -> None:
        self.calls = 0

    def script(self) -> Script:
        self.calls += 1
        return _script()

    def episode(self, mp3: Path, script: Script) -> Episode:
        self.calls += 1
        mp3.parent.mkdir(parents=True, exist_ok=True)
        mp3.write_bytes(b"ID3 and audio " * 100)
        vtt, chapters = pipeline.sidecars(mp3)
        vtt.write_text("WEBVTT\n")
        chapters.write_text('{"chapters": []}\n')
        cue = Cue(300, 900, "narration", "Hello there.", (Word("Hello", 300, 500),))
        marks = (ChapterMark("T", 0, 1600),)
        return Episode(mp3, vtt, chapters, 1600, marks, (cue,), -19.25, script=script)


def _beside(mp3: Path) -> tuple[Path, ...]:
    return (mp3, *pipeline.sidecars(mp3), pipeline.artwork_path(mp3))


def test_a_page_script_is_kept_for_the_same_page_and_the_options_that_shape_it(
    tmp_path: Path,
) -> None:
    cache = ClipCache(tmp_path / "cache")
    lexicon = tmp_path / "lexicon.toml"
    lexicon.write_text("[en]\n")
    made = Narration()
    page = Page("<p>Hello there.</p>", "https://example.com/a")
    opts = Opts(lexicons=(lexicon,))
    assert replay.script(page, opts, made.script, cache) == _script() and made.calls == 1
    quicker = dataclasses.replace(opts, bitrate="32k", workers=2)
    assert replay.script(page, quicker, made.script, cache) == _script() and made.calls == 1
    replay.script(Page(page.html + " ", page.url), opts, made.script, cache)
    replay.script(Page(page.html, "https://example.com/b"), opts, made.script, cache)
    lexicon.write_text('[en]\nHello = "Hullo"\n')
    replay.script(page, opts, made.script, cache)
    assert made.calls == 4 and cache.kept() == (4, 0)


def test_a_kept_episode_is_written_whole_and_an_absent_file_removed(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path / "cache")
    profile = voices.load_profile()
    first, second = tmp_path / "a" / "one.mp3", tmp_path / "b" / "two.mp3"
    made = Narration()
    kept = replay.episode(
        _script(), _beside(first), Opts(), profile, lambda: made.episode(first, _script()), cache
    )
    pipeline.artwork_path(second).parent.mkdir()
    pipeline.artwork_path(second).write_bytes(b"an earlier article's image")
    again = replay.episode(
        _script(),
        _beside(second),
        Opts(workers=3),
        profile,
        lambda: made.episode(second, _script()),
        cache,
    )
    assert made.calls == 1 and files(second) == files(first)
    paths = dict(audio=second, transcript=_beside(second)[1], chapters_json=_beside(second)[2])
    assert again == dataclasses.replace(kept, **paths)
    assert cache.kept() == (0, 1)


@pytest.mark.parametrize(
    "change",
    [
        lambda opts, intro, profile: (_script("Hello here."), opts, profile),
        lambda opts, intro, profile: (_script(title="U"), opts, profile),
        lambda opts, intro, profile: (_script(), dataclasses.replace(opts, bitrate="32k"), profile),
        lambda opts, intro, profile: (
            intro.write_bytes(b"another jingle"),
            _script(),
            opts,
            profile,
        )[1:],
        lambda opts, intro, profile: (
            _script(),
            opts,
            dataclasses.replace(
                profile,
                deliveries={
                    **profile.deliveries,
                    "quote": dataclasses.replace(profile.deliveries["quote"], gain_db=-2.0),
                },
            ),
        ),
    ],
    ids=["spoken text", "title", "bitrate", "a Path option's file", "one role's delivery"],
)
def test_what_shapes_the_files_is_in_the_episode_key(tmp_path: Path, change) -> None:
    cache = ClipCache(tmp_path / "cache")
    intro = tmp_path / "intro.wav"
    intro.write_bytes(b"jingle")
    mp3 = tmp_path / "one.mp3"
    made = Narration()

    def episode(script: Script, opts: Opts, profile: voices.Profile) -> None:
        replay.episode(
            script, _beside(mp3), opts, profile, lambda: made.episode(mp3, script), cache
        )

    same = (Opts(intro=intro), intro, voices.load_profile())
    episode(_script(), same[0], same[2])
    episode(_script(), same[0], same[2])
    assert made.calls == 1
    episode(*change(*same))
    assert made.calls == 2


def test_a_damaged_episode_entry_is_narrated_again(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path / "cache")
    profile = voices.load_profile()
    mp3 = tmp_path / "one.mp3"
    made = Narration()
    for _ in range(2):
        replay.episode(
            _script(), _beside(mp3), Opts(), profile, lambda: made.episode(mp3, _script()), cache
        )
        [entry] = cache.episodes.iterdir()
        entry.write_bytes(entry.read_bytes()[:-3])
    assert made.calls == 2


# ---------------------------------------------------------------- the script's lossless form

_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
_sentences = st.builds(Sentence, _text, _text, st.booleans())
_segments = st.builds(
    Segment, st.sampled_from(ROLES), st.lists(_sentences, min_size=1, max_size=3).map(tuple)
)
_chapters = st.builds(Chapter, _text, st.lists(_segments, max_size=3).map(tuple))
_optional = st.none() | _text


@given(
    st.builds(
        Script,
        title=_text,
        chapters=st.lists(_chapters, max_size=3).map(tuple),
        lang=st.sampled_from(["en", "de", "pt-BR"]),
        url=_optional,
        byline=_optional,
        date=_optional,
        site=_optional,
        image=_optional,
        description=_optional,
        truncated=st.booleans(),
    )
)
def test_a_script_survives_its_json_round_trip(script: Script) -> None:
    data = json.loads(json.dumps(script.to_dict(sentences=True)))
    assert Script.from_dict(data) == script
    assert set(script.to_dict()) <= set(data)
