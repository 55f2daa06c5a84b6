"""The clip cache: keys, round trips, corruption, and what re-narration re-synthesises."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest

from narrate.audio import voices
from narrate.audio.cache import (
    ClipCache,
    clip_key,
    decode_clip,
    encode_clip,
)
from narrate.audio.synthesize import synthesize
from narrate.models import Chapter, Clip, Delivery, Script, Segment, Sentence, Word


def _clip(n: int = 2205) -> Clip:
    rng = np.random.default_rng(n)
    samples = rng.uniform(-0.5, 0.5, n).astype(np.float32)
    return Clip(
        samples=samples, sample_rate=22050, words=(Word("Hello", 10, 60), Word("élan", 70, 99))
    )


def test_a_clip_survives_the_round_trip() -> None:
    clip = _clip()
    back = decode_clip(encode_clip(clip))
    assert back.sample_rate == 22050 and back.words == clip.words
    np.testing.assert_array_equal(back.samples, clip.samples)
    assert back.samples.dtype == np.float32


def test_keys_follow_model_audio_settings_and_text_not_pauses() -> None:
    base = clip_key("fp", Delivery(), "Hello.")
    assert clip_key("fp", Delivery(), "Hello.") == base
    assert clip_key("fp", Delivery(pause_before_ms=900, sentence_pause_ms=10), "Hello.") == base
    for changed in (
        clip_key("fp2", Delivery(), "Hello."),
        clip_key("fp", Delivery(), "Hello!"),
        clip_key("fp", Delivery(pitch_semitones=3), "Hello."),
        clip_key("fp", Delivery(length_scale=1.1), "Hello."),
        clip_key("fp", Delivery(gain_db=-1), "Hello."),
        clip_key("fp", Delivery(noise_scale=0.5), "Hello."),
    ):
        assert changed != base


def test_get_put_info_clear(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    assert cache.get("ab" * 32) is None
    assert cache.info() == (0, 0)
    cache.put("ab" * 32, _clip())
    cache.put("cd" * 32, _clip(100))
    got = cache.get("ab" * 32)
    assert got is not None and len(got.samples) == 2205
    entries, size = cache.info()
    assert entries == 2 and size > 2205 * 4
    assert not list(tmp_path.rglob("*.part"))
    cache.models.mkdir()
    (cache.models / "derived.onnx").write_bytes(bytes(1000))
    assert cache.info() == (2, size + 1000)
    assert cache.clear() == 2
    assert cache.info() == (0, 0) and cache.get("ab" * 32) is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],  # truncated audio
        lambda b: b[:5],  # truncated header
        lambda b: b[:-4] + bytes(4),  # changed samples
        lambda b: b"NRCLIP\x01\x00\xff\xff\x00\x00{" + b[15:],  # header length nonsense
        lambda b: b"garbage" * 10,
        lambda b: b"",
    ],
)
def test_a_damaged_entry_is_a_miss_and_is_removed(tmp_path: Path, damage) -> None:
    cache = ClipCache(tmp_path)
    key = "ef" * 32
    cache.put(key, _clip())
    path = cache.path(key)
    path.write_bytes(damage(path.read_bytes()))
    assert cache.get(key) is None
    assert not path.exists()


def _script(*paragraphs: str) -> Script:
    segments = tuple(Segment("narration", (Sentence(p, p),)) for p in paragraphs)
    return Script(title="t", chapters=(Chapter("c", segments),))


def test_renarration_synthesises_only_what_changed(clip_cache: ClipCache) -> None:
    # Piper's noise makes every synthesis unique, so identical samples mean a cache hit.
    cache = clip_cache
    profile = voices.load_profile()
    first = synthesize(_script("One short line.", "Another line."), profile, cache=cache)
    seen: list[tuple[int, int]] = []
    again = synthesize(
        _script("One short line.", "Another line."),
        profile,
        cache=cache,
        progress=lambda d, t, _: seen.append((d, t)),
    )
    assert seen == [(2, 2)]
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a[0].samples, b[0].samples)
    edited = synthesize(_script("One short line.", "A changed line."), profile, cache=cache)
    np.testing.assert_array_equal(edited[0][0].samples, first[0][0].samples)
    assert not np.array_equal(edited[1][0].samples[:1000], first[1][0].samples[:1000])
    assert cache.info()[0] == 3


def test_a_corrupt_entry_is_synthesised_again(clip_cache: ClipCache) -> None:
    cache = clip_cache
    profile = voices.load_profile()
    synthesize(_script("Check this."), profile, cache=cache)
    (path,) = list(cache.clips.rglob("*.clip"))
    path.write_bytes(path.read_bytes()[:-100])
    (again,) = synthesize(_script("Check this."), profile, cache=cache)
    assert len(again[0].samples) > 0 and cache.info()[0] == 1
    assert cache.get(path.stem) is not None


def test_a_profile_change_to_one_role_keeps_the_others(clip_cache: ClipCache) -> None:
    cache = clip_cache
    profile = voices.load_profile()
    synthesize(_script("Steady."), profile, cache=cache)
    louder = dataclasses.replace(
        profile,
        deliveries={**profile.deliveries, "quote": Delivery(gain_db=-3)},
    )
    seen: list[tuple[int, int]] = []
    synthesize(
        _script("Steady."), louder, cache=cache, progress=lambda d, t, _: seen.append((d, t))
    )
    assert seen == [(1, 1)]


def test_kept_entries_round_trip_and_stay_bounded(tmp_path: Path) -> None:
    store = ClipCache(tmp_path)
    paths = [store.episodes / f"{i:02d}.episode" for i in range(12)]
    for i, path in enumerate(paths):
        store.keep(path, {"n": i}, bytes([i]) * 1000, 8)
        os.utime(path, (1000 + i, 1000 + i))
    assert store.load(paths[0], lambda h, b: (h, b)) is None
    assert store.load(paths[-1], lambda h, b: (h["n"], b)) == (11, bytes([11]) * 1000)
    assert len(list(store.episodes.glob("*.episode"))) == 8


def test_a_torn_kept_entry_is_a_miss_and_is_removed(tmp_path: Path) -> None:
    store = ClipCache(tmp_path)
    path = store.episodes / "torn.episode"
    store.keep(path, {}, b"x" * 5000, 8)
    path.write_bytes(path.read_bytes()[:-10])
    assert store.load(path, lambda h, b: b) is None
    assert not path.exists()


def test_kept_scripts_and_episodes_are_counted_and_cleared_with_the_clips(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    cache.put("ab" * 32, _clip())
    clips_only = cache.info()
    cache.keep(cache.scripts / "a.script", {}, b"{}", 10)
    cache.keep(cache.episodes / "b.episode", {"files": []}, b"audio" * 100, 10)
    assert cache.kept() == (1, 1)
    assert cache.info()[0] == 1 and cache.info()[1] > clips_only[1] + 500
    assert cache.clear() == 1
    assert cache.kept() == (0, 0) and cache.info() == (0, 0)


def test_the_least_recently_used_entry_is_dropped_first(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    kept = [cache.episodes / f"{i}.episode" for i in range(3)]
    for i, path in enumerate(kept):
        cache.keep(path, {}, bytes([i]), 3)
        os.utime(path, (1000 + i, 1000 + i))
    assert cache.load(kept[0], lambda _, payload: payload) == b"\x00"
    cache.keep(cache.episodes / "3.episode", {}, b"\x03", 3)
    assert sorted(p.name for p in cache.episodes.iterdir()) == [
        "0.episode",
        "2.episode",
        "3.episode",
    ]
