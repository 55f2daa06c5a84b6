"""Inline quotations with the real joe voice: one utterance, the quoted span voiced in place."""

from __future__ import annotations

import dataclasses
import itertools
import logging
import os
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest

from narrate.article.segment import segment
from narrate.audio import inline, master, transcript, voices
from narrate.audio.align import _by_prefixes, aligned_model, tokens
from narrate.audio.cache import ClipCache, clip_key
from narrate.audio.engine import Engine, shift_pitch
from narrate.audio.job import Job
from narrate.audio.measure import median_f0
from narrate.audio.synthesize import synthesize
from narrate.errors import SynthesisError
from narrate.models import ROLES, Article, Block, Clip, Script, Word
from tests.audio_helpers import parse_vtt

PARAGRAPH = (
    "Yermak pointed to “very strong and very clear statements” by President Donald Trump "
    "that he would like the two leaders to meet."
)
QUOTED = "very strong and very clear statements"
PLAIN = "Newsweek has contacted the Kremlin for comment."
PLAIN_KEY = "c94e3527f51d9759a20e2c1f65d938c483e6cd82fec46ef1760c22506150fcb3"
"""The key of PLAIN in the default profile's narration, computed before inline quotes existed."""


@pytest.fixture(scope="module")
def unpatchable(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The joe voice with a second, unused Ceil node: it speaks, but Piper cannot patch it."""
    joe = voices.resolve_model("joe")
    proto = onnx.load(str(joe.onnx))
    proto.graph.node.append(onnx.helper.make_node("Ceil", ["scales"], ["unused_ceil"]))
    dest = tmp_path_factory.mktemp("voice") / "en_US-joe-unpatchable.onnx"
    onnx.save(proto, str(dest))
    shutil.copy(joe.config, dest.with_name(dest.name + ".json"))
    return dest


def _article(*paragraphs: str) -> Script:
    blocks = tuple(Block("paragraph", p) for p in paragraphs)
    return segment(Article(title="Talks", blocks=blocks), disclaimer=None)


def _profile(**models: str) -> voices.Profile:
    """The default profile, with other models for some roles."""
    profile = voices.load_profile()
    deliveries = {
        r: dataclasses.replace(profile.delivery(r), model=models.get(r, profile.delivery(r).model))
        for r in ROLES
    }
    return dataclasses.replace(profile, deliveries=deliveries)


def test_the_segmenter_marks_only_pieces_that_run_on_into_a_quotation() -> None:
    script = _article(PARAGRAPH, "He said: “We will announce it when the time is right.”")
    marked = [(seg.role, s.text) for seg in script.segments for s in seg.sentences if s.runs_on]
    # The colon introduces a whole-sentence quotation: that one keeps its own utterance.
    assert marked == [("narration", "Yermak pointed to"), ("quote", QUOTED)]
    assert [len(r) for r in inline.runs(script)] == [1, 3, 1, 1]


def test_an_inline_quote_is_one_utterance_with_the_quote_voice_on_exactly_its_words(
    clip_cache: ClipCache,
) -> None:
    script = _article(PARAGRAPH)
    # Without Piper's noise the two utterances compared below differ only by the quote's voice:
    # with it, their median pitch alone differs by up to ±10% (this test failed 1 run in 8).
    default = voices.load_profile()
    profile = dataclasses.replace(
        default,
        deliveries={
            r: dataclasses.replace(default.delivery(r), noise_scale=0.0, noise_w_scale=0.0)
            for r in ROLES
        },
    )
    clips = synthesize(script, profile, cache=clip_cache)
    timeline = master.assemble(script, clips, profile.deliveries)
    cues = parse_vtt(transcript.render_vtt(timeline.cues))
    spoken = [(c.voice, c.text) for c in cues]
    assert spoken[1:] == [
        ("narration", "Yermak pointed to"),
        ("quote", QUOTED),
        ("narration", "by President Donald Trump that he would like the two leaders to meet."),
    ]
    # No pause inside the sentence: each part starts on the sample where the last one ended.
    assert cues[2].start_ms == cues[1].end_ms and cues[3].start_ms == cues[2].end_ms
    # The parts tile the sentence's one clip, sample for sample.
    narration, quote = profile.delivery("narration"), profile.delivery("quote")
    parts = [
        (d, s.spoken)
        for d, seg in zip((narration, quote, narration), script.segments[1:], strict=True)
        for s in seg.sentences
    ]
    fingerprint = voices.resolve_model("joe").fingerprint
    key = clip_key(f"{fingerprint}:1", narration, " ".join(t for _, t in parts), parts)
    whole = clip_cache.get(key)
    assert whole is not None
    assert np.array_equal(np.concatenate([c.samples for (c,) in clips[1:]]), whole.samples)
    # Each part's word times lie inside its own cue, one per word.
    # (The VTT leaves out a word's time when it is the cue's start, so the records are read.)
    for cue in timeline.cues[1:]:
        assert len(cue.words) == len(cue.text.split()), cue
        assert all(cue.start_ms <= w.start_ms <= w.end_ms <= cue.end_ms for w in cue.words), cue
    rate = timeline.sample_rate
    quote = timeline.samples[cues[2].start_ms * rate // 1000 : cues[2].end_ms * rate // 1000]
    # The same sentence unquoted, one plain utterance: the same words in the same place, unshifted.
    plain_script = _article(PARAGRAPH.replace("“", "").replace("”", ""))
    plain = master.assemble(
        plain_script, synthesize(plain_script, profile, cache=clip_cache), profile.deliveries
    )
    words = plain.cues[-1].words
    first, last = len(["Yermak", "pointed", "to"]), len(f"Yermak pointed to {QUOTED}".split()) - 1
    same = plain.samples[words[first].start_ms * rate // 1000 : words[last].end_ms * rate // 1000]
    assert median_f0(quote, rate) >= 1.10 * median_f0(same, rate)  # +3 semitones is +19%


def test_no_click_where_the_processed_span_meets_the_narration() -> None:
    profile = voices.load_profile()
    joe = voices.resolve_model("joe")
    onnx_file, aligned = aligned_model(joe, Path(os.environ["NARRATE_CACHE_DIR"]) / "models")
    assert aligned
    narration, quote = profile.delivery("narration"), profile.delivery("quote")
    parts = ((narration, "Yermak pointed to"), (quote, QUOTED), (narration, "by President Trump."))
    text = " ".join(t for _, t in parts)
    engine = Engine(threads=1)
    whole = engine.render(Job(joe, onnx_file, True, narration, text))
    voiced = inline.voice_parts(
        whole,
        narration,
        parts,
        1.0,
        lambda x, semitones, tempo: shift_pitch(x, whole.sample_rate, semitones, tempo),
    )
    counts = [len(tokens(t)) for _, t in parts]
    before = inline.cuts(whole.words, counts, whole.sample_rate, len(whole.samples))
    after = inline.cuts(voiced.words, counts, voiced.sample_rate, len(voiced.samples))
    margin = 50 * whole.sample_rate // 1000

    def jump(samples: np.ndarray, start: int, end: int) -> float:
        """The largest sample-to-sample step in the span and 50 ms either side."""
        return float(np.max(np.abs(np.diff(samples[start - margin : end + margin]))))

    # A click is a step far larger than speech makes; the shift up itself steepens speech ×1.19.
    assert jump(voiced.samples, after[1], after[2]) <= 1.5 * jump(whole.samples, *before[1:3])
    # The quote role's length_scale 0.92 makes the span shorter, by that much.
    span_old, span_new = before[2] - before[1], after[2] - after[1]
    assert span_new == pytest.approx(0.92 * span_old, rel=0.03)
    # Only the span changed length. The cuts sit midway between words in whole milliseconds,
    # and the pause after the span's last word shrinks with it: a few ms either way.
    shrink = len(voiced.samples) - len(whole.samples)
    assert abs(shrink - (span_new - span_old)) <= 5 * whole.sample_rate // 1000


def test_a_plain_sentence_keeps_the_cache_key_it_had_before(clip_cache: ClipCache) -> None:
    profile = voices.load_profile()
    fingerprint = voices.resolve_model("joe").fingerprint
    assert clip_key(f"{fingerprint}:1", profile.delivery("narration"), PLAIN) == PLAIN_KEY
    synthesize(_article(PLAIN, PARAGRAPH), profile, cache=clip_cache)
    assert clip_cache.path(PLAIN_KEY).is_file()
    # The parts of the sentence with a quotation are not cached as fragments any more.
    fragment = clip_key(f"{fingerprint}:1", profile.delivery("quote"), QUOTED)
    assert not clip_cache.path(fragment).is_file()


def test_a_voice_without_alignments_falls_back_to_fragments_and_says_so_once(
    unpatchable: Path, clip_cache: ClipCache, caplog: pytest.LogCaptureFixture
) -> None:
    profile = _profile(**{r: str(unpatchable) for r in ROLES})
    script = _article(PARAGRAPH, "The talks, he said, were “going nowhere at all, very slowly.”")
    with caplog.at_level(logging.INFO, logger="narrate.audio.synthesize"):
        clips = synthesize(script, profile, cache=clip_cache)
    said = [r for r in caplog.records if "inline quotes spoken apart" in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.INFO
    flat = [c for seg in clips for c in seg]
    assert len(flat) == 6 and all(c.join_ms is None and not c.words for c in flat)
    timeline = master.assemble(script, clips, profile.deliveries)
    cues = timeline.cues[1:]  # after the title
    assert [c.role for c in cues] == ["narration", "quote", "narration", "narration", "quote"]
    # Today's fragments: the roles' pauses between them (the quote's 150 ms, sentences' 250 ms).
    gaps = [b.start_ms - a.end_ms for a, b in itertools.pairwise(cues)]
    assert min(gaps) >= 150, gaps


def test_a_quote_in_another_voice_is_joined_closely_without_a_cadence(
    unpatchable: Path, clip_cache: ClipCache
) -> None:
    profile = _profile(quote=str(unpatchable))
    script = _article(PARAGRAPH)
    clips = synthesize(script, profile, cache=clip_cache)
    flat = [c for seg in clips for c in seg]
    assert [c.join_ms for c in flat] == [None, inline.GAP_MS, inline.GAP_MS, None]
    timeline = master.assemble(script, clips, profile.deliveries)
    gaps = [b.start_ms - a.end_ms for a, b in itertools.pairwise(timeline.cues)]
    assert gaps[1:] == [inline.GAP_MS, inline.GAP_MS]
    # The fragments were spoken ending in a comma, so Piper does not close them as sentences.
    joe = voices.resolve_model("joe")
    narration = profile.delivery("narration")
    assert clip_cache.path(
        clip_key(f"{joe.fingerprint}:1", narration, "Yermak pointed to,")
    ).is_file()


def test_run_on_text_ends_fragments_in_a_pause_not_a_full_stop() -> None:
    assert inline.run_on_text("We will win.") == "We will win,"
    assert inline.run_on_text("We will win;") == "We will win;"
    assert inline.run_on_text("and include") == "and include,"


def test_a_quoted_part_without_words_is_refused_not_guessed() -> None:
    clip = Clip(np.zeros(2205, np.float32), 22050, ())
    with pytest.raises(SynthesisError, match="word timings"):
        inline.split(clip, ["Yermak pointed to", QUOTED])


def test_cuts_fall_between_the_words_either_side() -> None:
    words = (Word("a", 0, 100), Word("b", 120, 200), Word("c", 260, 300))
    assert inline.cuts(words, [1, 2], 1000, 400) == [0, 110, 400]
    assert inline.cuts(words, [2, 1], 1000, 400) == [0, 230, 400]


def test_words_espeak_runs_together_share_only_their_own_phoneme_word() -> None:
    toks = ["added", "that", "the", "plan"]
    spans = [(0, 100), (120, 190), (200, 300)]  # espeak says "that the" as one word
    # Prefix counts: "added" 1, "added that" 2, "added that the" 2, "… plan" 3.
    assert _by_prefixes(toks, spans, [1, 2, 2, 3]) == [(0, 100), (120, 160), (160, 190), (200, 300)]
    # Counts that disagree with the alignments leave the spans to the letter-share fallback.
    assert _by_prefixes(toks, spans, [1, 2, 3, 4]) == spans
