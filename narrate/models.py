"""Typed records that flow between narrate's stages. No I/O here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # only annotations: a replayed episode never loads numpy
    import numpy as np

Role = Literal["disclaimer", "title", "heading", "narration", "quote"]
ROLES: tuple[Role, ...] = ("disclaimer", "title", "heading", "narration", "quote")

BlockKind = Literal["heading", "paragraph", "quote", "list", "table"]

Progress = Callable[[int, int, str], None]
"""Called with (units done, units in all, what is being worked on; "" when nothing is named)."""


@dataclass(frozen=True)
class Page:
    """A fetched or read document, before extraction."""

    html: str
    """The decoded page."""
    url: str | None = None
    """Where it came from (after redirects), if it came from the web."""


@dataclass(frozen=True)
class Block:
    """One structural unit of an article body, in page order."""

    kind: BlockKind
    """What the page marked it as."""
    text: str
    """Its text; for lists and tables, already joined into speakable sentences."""


@dataclass(frozen=True)
class Article:
    """The extracted article: metadata and body blocks, free of page junk."""

    title: str
    blocks: tuple[Block, ...]
    lang: str = "en"
    """ISO 639-1 language of the text."""
    url: str | None = None
    """Canonical URL, else where it was fetched from."""
    byline: str | None = None
    site: str | None = None
    date: str | None = None
    """Publication date, ISO 8601 (YYYY-MM-DD)."""
    image: str | None = None
    """Lead image URL."""
    description: str | None = None
    truncated: bool = False
    """The page is a paywalled teaser: the blocks are only the opening of the article."""


@dataclass(frozen=True)
class Sentence:
    """One sentence: what the page says and what the voice will receive."""

    text: str
    spoken: str
    runs_on: bool = False
    """The sentence goes on in the next segment: narration up to an inline quotation, or it."""


@dataclass(frozen=True)
class Segment:
    """A run of sentences spoken by one role."""

    role: Role
    sentences: tuple[Sentence, ...]

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)

    @property
    def spoken(self) -> str:
        return " ".join(s.spoken for s in self.sentences)


@dataclass(frozen=True)
class Chapter:
    """A titled section of the narration."""

    title: str
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Script:
    """The narration script: exactly what is spoken, by whom, in which chapter."""

    title: str
    chapters: tuple[Chapter, ...]
    lang: str = "en"
    url: str | None = None
    byline: str | None = None
    date: str | None = None
    site: str | None = None
    image: str | None = None
    description: str | None = None
    truncated: bool = False
    """Narrates only a paywalled teaser, not the whole article."""

    @property
    def segments(self) -> tuple[Segment, ...]:
        """All segments in speaking order."""
        return tuple(s for c in self.chapters for s in c.segments)

    def to_dict(self, *, sentences: bool = False) -> dict[str, Any]:
        """The documented JSON shape of `narrate script --format json`; `truncated` only if so.

        With `sentences`, each segment also lists its sentences and the description is kept:
        the lossless form that from_dict reads back.
        """
        data: dict[str, Any] = {
            "title": self.title,
            "lang": self.lang,
            "url": self.url,
            "byline": self.byline,
            "date": self.date,
            "site": self.site,
            "image": self.image,
            "chapters": [
                {"title": c.title, "segments": [_segment_dict(s, sentences) for s in c.segments]}
                for c in self.chapters
            ],
        }
        if sentences:
            data["description"] = self.description
        if self.truncated:
            data["truncated"] = True
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Script:
        """The script of `to_dict(sentences=True)`; KeyError or TypeError when it is not one."""
        return cls(
            title=data["title"],
            chapters=tuple(
                Chapter(
                    c["title"],
                    tuple(
                        Segment(
                            s["role"],
                            tuple(
                                Sentence(t["text"], t["spoken"], t.get("runs_on", False))
                                for t in s["sentences"]
                            ),
                        )
                        for s in c["segments"]
                    ),
                )
                for c in data["chapters"]
            ),
            lang=data["lang"],
            url=data["url"],
            byline=data["byline"],
            date=data["date"],
            site=data["site"],
            image=data["image"],
            description=data["description"],
            truncated=data.get("truncated", False),
        )


def _segment_dict(segment: Segment, sentences: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"role": segment.role, "text": segment.text, "spoken": segment.spoken}
    if sentences:
        data["sentences"] = [
            {"text": s.text, "spoken": s.spoken, **({"runs_on": True} if s.runs_on else {})}
            for s in segment.sentences
        ]
    return data


@dataclass(frozen=True)
class Delivery:
    """How one role is voiced; None means the model's own default."""

    model: str = "joe"
    """Model reference: an .onnx path, a voice name, or `joe` for the bundled voice."""
    speaker_id: int | None = None
    """Speaker index, for multi-speaker models."""
    length_scale: float | None = None
    """Phoneme length scale (>1 is slower)."""
    noise_scale: float | None = None
    """Generator noise."""
    noise_w_scale: float | None = None
    """Phoneme width noise."""
    pitch_semitones: float = 0.0
    """Formant-preserving pitch shift applied after synthesis."""
    gain_db: float = 0.0
    """Level relative to the narrator, before loudness normalisation."""
    pause_before_ms: int = 0
    """Silence before each segment of this role."""
    pause_after_ms: int = 0
    """Silence after each segment of this role."""
    sentence_pause_ms: int = 250
    """Silence between sentences within a segment."""


@dataclass(frozen=True)
class Word:
    """A word's place in a clip, when the voice gives alignments."""

    text: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True, eq=False)
class Clip:
    """Synthesised audio of one sentence."""

    samples: np.ndarray = field(repr=False)
    """Mono float32 PCM in [-1, 1]."""
    sample_rate: int
    words: tuple[Word, ...] = ()
    """Word timings relative to the clip start; empty when the voice has no alignments."""
    join_ms: int | None = None
    """Silence before the next clip, the rest of the same sentence; None: the roles' pauses."""

    @property
    def duration_ms(self) -> int:
        return round(len(self.samples) * 1000 / self.sample_rate)


@dataclass(frozen=True)
class ChapterMark:
    """A chapter's place in the episode."""

    title: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Cue:
    """One sentence's place in the episode, for the transcript."""

    start_ms: int
    end_ms: int
    role: Role
    text: str
    words: tuple[Word, ...] = ()
    """Word timings relative to the episode start."""


@dataclass(frozen=True)
class Layout:
    """Where everything is in an episode's signal, without the signal."""

    sample_rate: int
    length: int
    """Samples in all."""
    chapters: tuple[ChapterMark, ...]
    cues: tuple[Cue, ...]

    @property
    def duration_ms(self) -> int:
        return round(self.length * 1000 / self.sample_rate)


@dataclass(frozen=True, eq=False)
class Timeline:
    """The assembled episode before encoding: one signal and where everything is in it."""

    samples: np.ndarray = field(repr=False)
    """Mono float32 PCM of the whole episode."""
    sample_rate: int
    chapters: tuple[ChapterMark, ...]
    cues: tuple[Cue, ...]

    @property
    def duration_ms(self) -> int:
        return round(len(self.samples) * 1000 / self.sample_rate)

    @property
    def layout(self) -> Layout:
        return Layout(self.sample_rate, len(self.samples), self.chapters, self.cues)


@dataclass(frozen=True)
class Episode:
    """The mastered result of one article."""

    audio: Path
    transcript: Path
    chapters_json: Path
    duration_ms: int
    chapters: tuple[ChapterMark, ...]
    cues: tuple[Cue, ...]
    loudness_lufs: float
    """The file's integrated loudness (LUFS) as predicted before encoding."""
    script: Script
    """What was narrated: its title, site, date and link describe the episode."""
