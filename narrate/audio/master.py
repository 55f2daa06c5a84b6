"""Assembly: clips, in speaking order, → one timed signal with its cues and chapter marks."""

from __future__ import annotations

import logging
import wave
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from narrate.audio.bumper import Bumper
from narrate.errors import AudioError
from narrate.files import atomic_path
from narrate.models import (
    ChapterMark,
    Clip,
    Cue,
    Delivery,
    Layout,
    Role,
    Script,
    Segment,
    Sentence,
    Timeline,
    Word,
)

log = logging.getLogger(__name__)

LEAD_IN_MS = 300
"""Silence before the first word."""
TAIL_MS = 700
"""Silence after the last word."""
BUMPER_GAP_MS = 500
"""Silence between an intro and the lead-in before the first word."""


class Assembler:
    """Places each sentence's clip, in speaking order, with the roles' pauses before it.

    `add` gives the samples to append (the pause, then the clip), so a long episode is never
    held whole; `finish` gives the closing silence and the Layout: cues and chapter marks.
    Clips are used as they are: a role's gain_db and pitch are synthesis's business.
    """

    def __init__(
        self,
        script: Script,
        deliveries: Mapping[Role, Delivery],
        *,
        intro: Bumper | None = None,
        outro: Bumper | None = None,
        frame: int = 1,
    ):
        self._deliveries = deliveries
        self._intro, self._outro = intro, outro
        self._frame = frame
        """The intro and its gap take a whole number of these samples (see intro_length())."""
        self._places: list[tuple[int, Segment, int, Sentence]] = [
            (k, segment, j, sentence)
            for k, chapter in enumerate(script.chapters)
            for segment in chapter.segments
            for j, sentence in enumerate(segment.sentences)
        ]
        self._titles = [c.title for c in script.chapters]
        self.rate: int | None = None
        self.length = 0
        """Samples placed so far."""
        self._cues: list[Cue] = []
        self._starts: dict[int, int] = {}
        """Chapter index → sample where its first clip starts."""
        self._prev: Delivery | None = None
        self._joined: int | None = None

    @property
    def last(self) -> Cue:
        """The cue of the clip added last."""
        return self._cues[-1]

    def add(self, clip: Clip, pause: int | None = None) -> np.ndarray:
        """The pause before the next sentence and its clip's samples, to append in order.

        `pause` (samples) replaces the roles' pause before it: where two encodes join.
        """
        if self.rate is None:
            self.rate = clip.sample_rate
        elif clip.sample_rate != self.rate:
            raise AudioError(
                f"clips have different sample rates ({self.rate}, {clip.sample_rate} Hz); "
                "use voices with one sample rate for all roles"
            )
        samples = _mono(clip)
        head = np.zeros(0, np.float32)
        if self._intro is not None and not self._cues:
            head = self._bumper(self._intro, BUMPER_GAP_MS)
            head = np.concatenate(
                [head, np.zeros(intro_length(len(head), self._frame) - len(head))]
            )
            self.length = len(head)
        gap = self.place(len(samples), clip.words, clip.join_ms, pause)
        return np.concatenate([head, np.zeros(gap, np.float32), samples])

    def pause(self) -> int:
        """Samples of silence the roles put before the next clip."""
        _, segment, j, _ = self._next()
        here = self._deliveries.get(segment.role, Delivery())
        if self._joined is not None:
            gap = self._joined
        elif self._prev is None:
            gap = max(LEAD_IN_MS, here.pause_before_ms)
        elif j:
            gap = here.sentence_pause_ms
        else:
            # Pauses meet rather than add up, and a segment break is never shorter than a
            # sentence break.
            gap = max(self._prev.pause_after_ms, here.pause_before_ms, here.sentence_pause_ms)
        return self._samples(gap)

    def place(
        self,
        length: int,
        words: tuple[Word, ...] = (),
        join_ms: int | None = None,
        pause: int | None = None,
    ) -> int:
        """Place the next clip, of `length` samples, after `pause` (default: the roles');
        the pause it got. add() does this for a clip it is given the samples of."""
        chapter, segment, _, sentence = self._next()
        gap = self.pause() if pause is None else pause
        self._joined = join_ms
        self._prev = self._deliveries.get(segment.role, Delivery())
        start = self.length + gap
        self.length = start + length
        self._starts.setdefault(chapter, start)
        rate = self._rate()
        start_ms = start * 1000 / rate
        timed = tuple(
            Word(w.text, round(start_ms + w.start_ms), round(start_ms + w.end_ms)) for w in words
        )
        self._cues.append(
            Cue(_ms(start, rate), _ms(self.length, rate), segment.role, sentence.text, timed)
        )
        return gap

    def finish(self) -> tuple[np.ndarray, Layout]:
        """The closing silence, and where everything is in the whole."""
        if self._prev is None or self.rate is None:
            raise AudioError("the script has no sentences to master; check the article extraction")
        if len(self._cues) != len(self._places):
            raise AudioError(
                f"got clips for {len(self._cues)} of the script's {len(self._places)} sentences; "
                "synthesise the same script you master"
            )
        tail = np.zeros(self._samples(max(TAIL_MS, self._prev.pause_after_ms)), np.float32)
        if self._outro is not None:
            tail = np.concatenate([tail, self._bumper(self._outro, 0)])
        self.length += len(tail)
        for k, title in enumerate(self._titles):
            if k not in self._starts:
                log.debug("chapter %r has nothing to speak; no mark for it", title)
        marked = sorted(self._starts.items())
        total_ms = _ms(self.length, self.rate)
        starts_ms = [0] + [_ms(s, self.rate) for _, s in marked[1:]]
        ends_ms = [*starts_ms[1:], total_ms]
        marks = tuple(
            ChapterMark(self._titles[k], start, end)
            for (k, _), start, end in zip(marked, starts_ms, ends_ms, strict=True)
        )
        return tail, Layout(self.rate, self.length, marks, tuple(self._cues))

    def _bumper(self, bumper: Bumper, gap_ms: int) -> np.ndarray:
        """An intro or outro and the silence after it, at the episode's rate."""
        if bumper.sample_rate != self.rate:
            raise AudioError(
                f"{bumper.source} was decoded at {bumper.sample_rate} Hz but the voice speaks "
                f"at {self.rate} Hz; load it at the episode's rate"
            )
        return np.concatenate([bumper.samples, np.zeros(self._samples(gap_ms), np.float32)])

    def _next(self) -> tuple[int, Segment, int, Sentence]:
        if len(self._cues) >= len(self._places):
            raise AudioError("more clips than the script has sentences; master the script spoken")
        return self._places[len(self._cues)]

    def _samples(self, ms: int) -> int:
        return round(max(ms, 0) * self._rate() / 1000)

    def _rate(self) -> int:
        if self.rate is None:
            raise AudioError("the first clip sets the sample rate: add() it before place()")
        return self.rate


def assemble(
    script: Script,
    clips: Sequence[tuple[Clip, ...]],
    deliveries: Mapping[Role, Delivery],
    *,
    intro: Bumper | None = None,
    outro: Bumper | None = None,
) -> Timeline:
    """Join one tuple of clips per segment into one signal, with chapter marks and cues.

    An intro and BUMPER_GAP_MS come first, so every time after them moves by exactly that much
    (the first chapter still starts at 0, holding the intro); an outro follows the tail.
    """
    segments = script.segments
    if len(clips) != len(segments):
        raise AudioError(
            f"got clips for {len(clips)} segments but the script has {len(segments)}; "
            "synthesise the same script you master"
        )
    for i, (segment, seg_clips) in enumerate(zip(segments, clips, strict=True)):
        if len(seg_clips) != len(segment.sentences):
            raise AudioError(
                f"segment {i} has {len(segment.sentences)} sentences but {len(seg_clips)} clips; "
                "synthesise the same script you master"
            )
    _common_rate([c for seg_clips in clips for c in seg_clips])
    assembler = Assembler(script, deliveries, intro=intro, outro=outro)
    parts = [assembler.add(clip) for seg_clips in clips for clip in seg_clips]
    tail, layout = assembler.finish()
    return Timeline(
        np.concatenate([*parts, tail]), layout.sample_rate, layout.chapters, layout.cues
    )


def intro_length(samples: int, frame: int) -> int:
    """Samples an intro and its gap of `samples` take: rounded up to whole `frame`s, so that
    an episode joined from parts (narrate.audio.parts) has every later time moved by as much
    as the intro itself, the parts' frame boundaries where they were without it."""
    return -(-samples // frame) * frame


def at_rate(clip: Clip, rate: int) -> Clip:
    """The clip, refused when it is not at the narration voice's rate."""
    if clip.sample_rate == rate:
        return clip
    raise AudioError(
        f"a clip is {clip.sample_rate} Hz but the narration voice {rate} Hz; "
        "use voices with one sample rate for all roles"
    )


def _common_rate(clips: Sequence[Clip]) -> int:
    rates = sorted({c.sample_rate for c in clips})
    if not rates:
        raise AudioError("the script has no sentences to master; check the article extraction")
    if len(rates) > 1:
        raise AudioError(
            f"clips have different sample rates ({', '.join(map(str, rates))} Hz); "
            "use voices with one sample rate for all roles"
        )
    return rates[0]


def _mono(clip: Clip) -> np.ndarray:
    samples = np.asarray(clip.samples, dtype=np.float32)
    if samples.ndim != 1:
        raise AudioError(f"clip audio must be mono (1-D), got shape {samples.shape}")
    return samples


def _ms(samples: int, rate: int) -> int:
    return round(samples * 1000 / rate)


def write_wav(clip: Clip, out: Path) -> None:
    """Write one clip as 16-bit PCM WAV atomically (for auditioning with `narrate say`)."""
    pcm16 = (np.clip(_mono(clip), -1.0, 1.0) * 32767).astype("<i2").tobytes()
    with atomic_path(out) as tmp, wave.open(str(tmp), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(clip.sample_rate)
        wav.writeframes(pcm16)
