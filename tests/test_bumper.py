"""Intros and outros: any format decoded once, checked before synthesis, all times shifted."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import ID3

from narrate import config, pipeline
from narrate.audio import encode, ffmpeg, master, voices
from narrate.audio.bumper import Bumper, load_bumper
from narrate.audio.cache import ClipCache, encode_clip
from narrate.audio.measure import decode
from narrate.errors import AudioError, InputError
from narrate.feed import config as feed_config
from narrate.feed import items
from narrate.models import Clip
from tests.audio_helpers import RATE, deliveries, parse_vtt, script_of, tone
from tests.cli_run import SHORT, narrate

SINE_S = 1.234


def make_audio(
    dest: Path,
    seconds: float = SINE_S,
    rate: int = 22050,
    channels: int = 1,
    source: str = "sine=frequency=440",
) -> Path:
    """A tone (or any lavfi source) written by the bundled ffmpeg in the format dest names."""
    ffmpeg.run(
        [
            *("-f", "lavfi", "-i", f"{source}:sample_rate={rate}:duration={seconds}"),
            *("-ac", str(channels), "-y", str(dest)),
        ]
    )
    return dest


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


@pytest.mark.parametrize(
    ("name", "rate", "channels"),
    [("sting.wav", 22050, 1), ("sting.ogg", 44100, 2), ("sting.flac", 44100, 2)],
)
def test_any_format_becomes_mono_at_the_voice_rate_and_the_episode_loudness(
    tmp_path: Path, clip_cache: ClipCache, name: str, rate: int, channels: int
) -> None:
    path = make_audio(tmp_path / name, rate=rate, channels=channels)
    bumper = load_bumper(path, RATE, cache=clip_cache)
    assert bumper.sample_rate == RATE and bumper.source == path
    assert bumper.samples.dtype == np.float32 and bumper.samples.ndim == 1
    assert abs(bumper.duration_ms - SINE_S * 1000) <= 5  # Vorbis may drop a few ms at the end
    assert encode.loudness(bumper.samples, RATE) == pytest.approx(encode.TARGET_LUFS_MONO, abs=0.2)


def test_fades_shape_both_ends_and_never_lengthen_the_clip(
    tmp_path: Path, clip_cache: ClipCache
) -> None:
    path = make_audio(tmp_path / "sting.wav")
    plain = load_bumper(path, RATE, cache=clip_cache).samples
    faded = load_bumper(path, RATE, 400, 400, cache=clip_cache).samples
    assert len(faded) == len(plain)
    edge, middle = RATE // 20, slice(len(plain) // 2 - RATE // 20, len(plain) // 2 + RATE // 20)
    for head in (faded[:edge], faded[-edge:]):
        assert rms(head) < 0.2 * rms(faded[middle])
    assert rms(plain[:edge]) == pytest.approx(rms(plain[middle]), rel=0.1)
    longer = load_bumper(path, RATE, 0, 5000, cache=clip_cache).samples  # more than the file
    assert len(longer) == len(plain) and rms(longer[:edge]) > rms(longer[-edge:]) * 5


def test_a_file_is_decoded_once_then_read_back_from_the_cache(
    tmp_path: Path, clip_cache: ClipCache
) -> None:
    path = make_audio(tmp_path / "sting.ogg", rate=44100, channels=2)
    first = load_bumper(path, RATE, 0, 200, cache=clip_cache)
    [entry] = clip_cache.bumpers.iterdir()
    # Plant another signal in the entry: a second load that decoded the file would not return it.
    planted = np.linspace(-0.5, 0.5, 1000, dtype=np.float32)
    entry.write_bytes(encode_clip(Clip(samples=planted, sample_rate=RATE)))
    again = load_bumper(path, RATE, 0, 200, cache=clip_cache)
    assert np.array_equal(again.samples, planted) and again.source == path
    assert len(first.samples) != len(planted)
    # Other fades, another rate or other file content are other entries, decoded afresh.
    load_bumper(path, RATE, 0, 300, cache=clip_cache)
    load_bumper(path, 16000, 0, 200, cache=clip_cache)
    make_audio(path, seconds=0.9, rate=44100, channels=2)
    assert abs(load_bumper(path, RATE, 0, 200, cache=clip_cache).duration_ms - 900) <= 5
    assert len(list(clip_cache.bumpers.iterdir())) == 4


def test_narrate_cache_counts_and_clears_decoded_bumpers(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path / "cache")
    load_bumper(make_audio(tmp_path / "sting.wav"), RATE, cache=cache)
    [entry] = cache.bumpers.iterdir()
    assert cache.info() == (0, entry.stat().st_size)
    cache.clear()
    assert not entry.exists()


def _bad_files(tmp: Path) -> dict[str, tuple[Path, str]]:
    (tmp / "notes.mp3").write_text("these are my show notes, not audio\n")
    (tmp / "empty.wav").write_bytes(b"")
    (tmp / "folder.wav").mkdir()
    return {
        "missing": (tmp / "nope.ogg", f"intro file not found: {tmp / 'nope.ogg'}"),
        "text named .mp3": (
            tmp / "notes.mp3",
            f"the intro {tmp / 'notes.mp3'} is not audio that ffmpeg can decode",
        ),
        "empty": (tmp / "empty.wav", "is not audio that ffmpeg can decode"),
        "a folder": (tmp / "folder.wav", f"the intro {tmp / 'folder.wav'} is not a file"),
        "2 min 1 s": (
            make_audio(tmp / "long.wav", seconds=121, rate=8000),
            "is longer than 2 minutes",
        ),
        "silent": (
            make_audio(tmp / "silent.flac", source="anullsrc=channel_layout=mono"),
            "is silent",
        ),
    }


@pytest.mark.parametrize(
    "case", ["missing", "text named .mp3", "empty", "a folder", "2 min 1 s", "silent"]
)
def test_an_unusable_file_is_one_line_saying_why(
    case: str, tmp_path: Path, clip_cache: ClipCache
) -> None:
    path, message = _bad_files(tmp_path)[case]
    with pytest.raises(InputError) as info:
        load_bumper(path, RATE, cache=clip_cache)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert not clip_cache.bumpers.exists()


def test_exactly_two_minutes_is_allowed(tmp_path: Path, clip_cache: ClipCache) -> None:
    path = make_audio(tmp_path / "two.wav", seconds=120, rate=8000)
    assert load_bumper(path, 8000, cache=clip_cache).duration_ms == 120_000


def test_assemble_shifts_every_time_by_the_intro_and_its_gap() -> None:
    script = script_of(
        ("Title", [("disclaimer", ["a", "b"]), ("title", ["c"])]),
        ("Part two", [("heading", ["d"]), ("narration", ["e", "f"])]),
    )
    clips = [
        tuple(tone(300 + 10 * i) for i, _ in enumerate(seg.sentences)) for seg in script.segments
    ]
    pauses = deliveries(disclaimer=(0, 400, 200), heading=(600, 300, 0), narration=(0, 0, 250))
    intro = Bumper(tone(1234, level=0.1).samples, RATE, Path("intro.wav"))
    outro = Bumper(tone(777, level=0.1).samples, RATE, Path("outro.wav"))
    plain = master.assemble(script, clips, pauses)
    framed = master.assemble(script, clips, pauses, intro=intro, outro=outro)
    shift = intro.duration_ms + master.BUMPER_GAP_MS
    assert [c.start_ms for c in framed.chapters] == [0] + [
        c.start_ms + shift for c in plain.chapters[1:]
    ]
    assert [c.end_ms for c in framed.chapters] == [
        *(c.end_ms + shift for c in plain.chapters[:-1]),
        plain.duration_ms + shift + outro.duration_ms,
    ]
    assert [(c.start_ms, c.end_ms) for c in framed.cues] == [
        (c.start_ms + shift, c.end_ms + shift) for c in plain.cues
    ]
    assert framed.cues[0].role == "disclaimer"
    assert framed.duration_ms == plain.duration_ms + shift + outro.duration_ms
    lead = len(intro.samples) + RATE * master.BUMPER_GAP_MS // 1000
    samples = framed.samples
    assert rms(samples[: len(intro.samples)]) > 0 and not np.any(samples[len(intro.samples) : lead])
    assert np.array_equal(samples[lead : lead + len(plain.samples)], plain.samples)
    assert np.array_equal(samples[: len(intro.samples)], intro.samples)  # levels: the encoder's
    with pytest.raises(AudioError, match="decoded at 16000 Hz"):
        master.assemble(script, clips, pauses, outro=Bumper(outro.samples, 16000, Path("o.wav")))


def test_the_flag_wins_over_the_profile_and_the_profile_gives_the_rest(
    tmp_path: Path, clip_cache: ClipCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NARRATE_CACHE_DIR", str(clip_cache.root))
    (tmp_path / "voices").mkdir()
    make_audio(tmp_path / "voices" / "house.wav")
    make_audio(tmp_path / "voices" / "bye.flac", seconds=0.5)
    mine = make_audio(tmp_path / "mine.wav", seconds=0.75)
    source = tmp_path / "voices" / "house.toml"
    source.write_text(
        '[defaults]\nmodel = "joe"\n'
        '[bumpers]\nintro = "house.wav"\noutro = "bye.flac"\nfade_in_ms = 100\nfade_out_ms = 0\n'
    )
    profile = voices.load_profile(str(source))
    assert profile.bumpers == voices.Bumpers(
        tmp_path / "voices" / "house.wav", tmp_path / "voices" / "bye.flac", 100, 0
    )
    intro, outro = pipeline.load_bumpers(pipeline.Options(profile=str(source)), profile)
    assert (intro.source, outro.source) == (profile.bumpers.intro, profile.bumpers.outro)
    faded = load_bumper(profile.bumpers.intro, RATE, 100, 0, cache=clip_cache)
    assert np.array_equal(intro.samples, faded.samples)
    opts = pipeline.Options(profile=str(source), intro=mine, bumper_fade_in_ms=0)
    intro, outro = pipeline.load_bumpers(opts, profile)
    assert (intro.source, intro.duration_ms, outro.source) == (mine, 750, profile.bumpers.outro)
    assert np.array_equal(intro.samples, load_bumper(mine, RATE, cache=clip_cache).samples)
    assert pipeline.load_bumpers(pipeline.Options(), voices.load_profile()) == (None, None)


def test_the_feed_config_carries_the_bumpers_to_every_episode(tmp_path: Path) -> None:
    path = tmp_path / "pod.toml"
    path.write_text('feeds = ["f.xml"]\nout = "pod"\nintro = "in.wav"\nbumper_fade_out_ms = 300\n')
    settings = config.load(path, env={}, flags={"outro": Path("out.flac")})
    opts = items.options(feed_config.from_settings(settings))
    assert (opts.intro, opts.outro) == (tmp_path / "in.wav", Path("out.flac"))
    assert (opts.bumper_fade_in_ms, opts.bumper_fade_out_ms) == (None, 300)


def _chapters(out: Path) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(ID3 CHAP, .chapters.json) as (start ms, end ms) pairs."""
    tags = ID3(out)
    [toc] = tags.getall("CTOC")
    chaps = {c.element_id: c for c in tags.getall("CHAP")}
    id3 = [(chaps[e].start_time, chaps[e].end_time) for e in toc.child_element_ids]
    listed = json.loads(out.with_suffix(".chapters.json").read_text())["chapters"]
    return id3, [(round(c["startTime"] * 1000), round(c["endTime"] * 1000)) for c in listed]


@pytest.mark.slow
def test_intro_and_outro_shift_id3_json_chapters_and_vtt_exactly(tmp_path: Path) -> None:
    intro = make_audio(tmp_path / "intro.ogg", rate=44100, channels=2)
    outro = make_audio(tmp_path / "outro.flac", seconds=0.8, rate=48000)
    plain, framed = tmp_path / "plain.mp3", tmp_path / "framed.mp3"
    assert narrate("-q", "article", str(SHORT), "-o", str(plain)).returncode == 0
    run = narrate(
        *("-q", "article", str(SHORT), "-o", str(framed)),
        *("--intro", str(intro), "--outro", str(outro)),
    )
    assert run.returncode == 0, run.stderr
    cache = ClipCache(Path(os.environ["NARRATE_CACHE_DIR"]))
    # The intro and its gap take whole MP3 frames in a file: the file is joined from parts.
    took = len(load_bumper(intro, RATE, cache=cache).samples) + master.BUMPER_GAP_MS * RATE // 1000
    shift = round(master.intro_length(took, encode.frame_samples(RATE)) * 1000 / RATE)
    tail = load_bumper(outro, RATE, cache=cache, kind="outro").duration_ms
    assert abs(shift - 1734) <= 26 and abs(tail - 800) <= 1

    def near(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
        return len(a) == len(b) and all(
            abs(x - y) <= 1 for p, q in zip(a, b, strict=True) for x, y in zip(p, q, strict=True)
        )

    for before, after in zip(_chapters(plain), _chapters(framed), strict=True):
        assert len(after) == 2 and after[0][0] == 0  # the first chapter holds the intro
        moved = [(0, before[0][1] + shift), (before[1][0] + shift, before[1][1] + shift + tail)]
        assert near(after, moved), (before, after)
    cues = parse_vtt(plain.with_suffix(".vtt").read_text())
    shifted = parse_vtt(framed.with_suffix(".vtt").read_text())
    assert shifted[0].voice == "disclaimer"  # still the first words spoken
    assert near(
        [(c.start_ms, c.end_ms) for c in shifted],
        [(c.start_ms + shift, c.end_ms + shift) for c in cues],
    )
    words = [(w, w) for c in shifted for w in c.inline_ms]
    assert words and near(words, [(w + shift, w + shift) for c in cues for w in c.inline_ms])
    audio = decode(framed)
    ms = RATE // 1000
    assert rms(audio[100 * ms : 1100 * ms]) > 10 * rms(audio[1300 * ms : 1700 * ms])
    # The intro sits at the speech's level: both near the target, not the intro 6 dB over it.
    intro_lufs = encode.loudness(audio[: 1200 * ms], RATE)
    speech_lufs = encode.loudness(audio[shift * ms : -(tail + 800) * ms], RATE)
    assert intro_lufs == pytest.approx(encode.TARGET_LUFS_MONO, abs=1.5)
    assert speech_lufs == pytest.approx(encode.TARGET_LUFS_MONO, abs=1.0)


@pytest.mark.slow
@pytest.mark.parametrize("case", ["missing", "text named .mp3", "2 min 1 s"])
def test_a_bad_intro_stops_narrate_article_before_any_synthesis(case: str, tmp_path: Path) -> None:
    path, message = _bad_files(tmp_path)[case]
    cache = tmp_path / "cache"
    out = tmp_path / "story.mp3"
    args = ["article", str(SHORT), "-o", str(out), "--intro", str(path)]
    run = narrate(*args, env={"NARRATE_CACHE_DIR": str(cache)})
    err = run.stderr.decode()
    assert run.returncode == 1 and err.startswith("Error: ") and err.count("\n") == 1, err
    assert message in err and "Traceback" not in err and "ffmpeg failed" not in err
    assert not out.exists() and not list(tmp_path.glob("story.*"))
    assert not list(cache.glob("clips/*/*.clip")) and not list(cache.glob("bumpers/*"))


def test_a_bad_outro_stops_narrate_feed_before_any_feed_is_read(
    tmp_path: Path, http_server
) -> None:
    feed = http_server.page("/feed.xml", "<rss/>", ctype="application/rss+xml")
    out = tmp_path / "pod"
    run = narrate(
        *("feed", feed, "-o", str(out), "--allow-private"),
        *("--outro", str(tmp_path / "gone.ogg")),
    )
    assert run.returncode == 1
    assert run.stderr.decode() == f"Error: outro file not found: {tmp_path / 'gone.ogg'}\n"
    assert http_server.requests == [] and not (out / "feed.xml").exists()
