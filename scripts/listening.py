"""The listening table: sentences with inline quotations as narrate speaks them, before and after.

"Before" is the same script with no sentence marked to run on: every quotation its own
utterance with the roles' pauses, as narrate spoke them until sentences were voiced whole.
"""

from __future__ import annotations

import dataclasses
import glob
import itertools
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from narrate.article import extract, segment
from narrate.audio import voices
from narrate.audio.cache import ClipCache
from narrate.audio.inline import runs
from narrate.audio.master import assemble
from narrate.audio.synthesize import synthesize
from narrate.models import Chapter, Page, Script, Segment, Sentence

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "narration"
PAGES = 10
"""English corpus pages with inline quotations, in name order."""
SILENCE_MS = 150
_FRAME_MS = 10
_QUIET_DB = -35.0
"""A frame this far under the sentence's loudest frame counts as silence."""

Row = tuple[str, str, str]


def scripts() -> list[tuple[str, Script]]:
    """The sample and the first PAGES English corpus pages that have inline quotations."""
    found = [("sample", _script(ROOT / "samples" / "zelensky-gauntlet.html"))]
    for path in sorted(glob.glob(str(CORPUS / "*.html"))):
        script = _script(Path(path))
        if script.lang == "en" and any(len(r) > 1 for r in runs(script)):
            found.append((Path(path).stem, script))
        if len(found) > PAGES:
            break
    return found


def _script(path: Path) -> Script:
    return segment.segment(extract.extract(Page(path.read_text(encoding="utf-8"))))


def without_runs(script: Script) -> Script:
    """The script as narrate read it before: no sentence runs on into the next segment."""

    def unmarked(seg: Segment) -> Segment:
        return Segment(seg.role, tuple(Sentence(s.text, s.spoken) for s in seg.sentences))

    chapters = tuple(
        Chapter(c.title, tuple(unmarked(s) for s in c.segments)) for c in script.chapters
    )
    return dataclasses.replace(script, chapters=chapters)


def _quoted_runs(script: Script) -> list[Script]:
    """Each sentence with an inline quotation as a script of its own, one segment per part."""
    segs = script.segments
    out = []
    for run in runs(script):
        if len(run) > 1 and any(segs[i].role == "quote" for i, _ in run):
            parts = tuple(Segment(segs[i].role, (segs[i].sentences[j],)) for i, j in run)
            out.append(Script(title="run", chapters=(Chapter("run", parts),)))
    return out


def _loud(samples: np.ndarray, rate: int) -> np.ndarray:
    """Per _FRAME_MS frame: whether it is within _QUIET_DB of the loudest frame."""
    frame = rate * _FRAME_MS // 1000
    n = len(samples) // frame
    rms = np.sqrt(np.mean(samples[: n * frame].reshape(n, frame) ** 2, axis=1) + 1e-12)
    return 20 * np.log10(rms / rms.max()) > _QUIET_DB


def silences(samples: np.ndarray, rate: int) -> list[tuple[int, int]]:
    """(start, end) samples of each silence of SILENCE_MS or more inside the sound."""
    frame = rate * _FRAME_MS // 1000
    loud = _loud(samples, rate)
    voiced = np.flatnonzero(loud)
    out: list[tuple[int, int]] = []
    start = None
    for i in range(voiced[0], voiced[-1] + 1):
        if not loud[i] and start is None:
            start = i
        elif loud[i] and start is not None:
            if (i - start) * _FRAME_MS >= SILENCE_MS:
                out.append((start * frame, i * frame))
            start = None
    return out


@dataclasses.dataclass
class Spoken:
    """One sentence with an inline quotation, as spoken."""

    text: str
    samples: np.ndarray
    """From the first word to the last."""
    parts: list[tuple[str, str, int, int]]
    """(role, spoken text, start, end) of each part, in samples of `samples`."""

    def audio(self, role: str) -> np.ndarray:
        """The parts of one role, joined."""
        chosen = [self.samples[a:b] for r, _, a, b in self.parts if r == role]
        return np.concatenate(chosen) if chosen else np.zeros(0, np.float32)

    def seam_silences(self, rate: int) -> list[tuple[int, int]]:
        """Silences of SILENCE_MS or more where one part meets the next."""
        frame = rate * _FRAME_MS // 1000
        seams = [(p[3], q[2]) for p, q in itertools.pairwise(self.parts)]
        return [
            (a, b)
            for a, b in silences(self.samples, rate)
            if any(a <= e + frame and s - frame <= b for e, s in seams)
        ]

    def inserted_silences(self, plain: np.ndarray, rate: int) -> int:
        """Seam silences with none in the plain utterance at the same place (scaled by length).

        A comma that ends a quotation ("…tired,' Varga said") pauses in plain speech too:
        that pause is the voice's, not one narrate put between fragments.
        """
        frame = rate * _FRAME_MS // 1000
        voiced = np.flatnonzero(_loud(plain, rate))
        first, last = voiced[0] * frame, (voiced[-1] + 1) * frame
        scale = (last - first) / len(self.samples)
        near = SILENCE_MS * rate // 1000
        theirs = [(a - first, b - first) for a, b in silences(plain, rate)]
        return sum(
            not any(a * scale - near <= d and c <= b * scale + near for c, d in theirs)
            for a, b in self.seam_silences(rate)
        )


def speak_runs(sentences: Sequence[Script], cache: ClipCache) -> list[Spoken]:
    """Each sentence through synthesis and assembly, cut from its first word to its last."""
    profile = voices.load_profile()
    flat = Script(
        title="runs", chapters=tuple(Chapter("run", s.chapters[0].segments) for s in sentences)
    )
    clips = synthesize(flat, profile, cache=cache)
    timeline = assemble(flat, clips, profile.deliveries)
    rate = timeline.sample_rate
    out = []
    k = 0
    for s in sentences:
        cues = timeline.cues[k : k + len(s.segments)]
        k += len(s.segments)
        first = cues[0].start_ms * rate // 1000
        parts = [
            (c.role, seg.spoken, c.start_ms * rate // 1000 - first, c.end_ms * rate // 1000 - first)
            for c, seg in zip(cues, s.segments, strict=True)
        ]
        text = " ".join(seg.spoken for seg in s.segments)
        out.append(Spoken(text, timeline.samples[first : first + parts[-1][3]], parts))
    return out


def plain(texts: Sequence[str], cache: ClipCache) -> list[np.ndarray]:
    """Each text spoken as one plain narration utterance."""
    profile = voices.load_profile()
    line = Segment("narration", tuple(Sentence(t, t) for t in texts))
    clips = synthesize(Script("plain", (Chapter("plain", (line,)),)), profile, cache=cache)
    return [c.samples for c in clips[0]]


def listening_table(
    found: Sequence[tuple[str, Script]],
    cache: ClipCache,
    f0: Callable[[np.ndarray, int], float],
    wer: Callable[[Sequence[tuple[str, np.ndarray]]], float],
) -> list[Row]:
    """Rows of the listening table over every sentence with an inline quotation in `found`."""
    after = [r for _, s in found for r in _quoted_runs(s)]
    before = [without_runs(r) for r in after]
    texts = [" ".join(x.spoken for x in r.segments) for r in after]
    whole = plain(texts, cache)
    rows: list[Row] = [
        ("pages / sentences with inline quotes", f"{len(found)} / {len(after)}", ""),
        (
            f"one plain utterance: silences ≥ {SILENCE_MS} ms",
            str(sum(len(silences(w, 22050)) for w in whole)),
            "Piper's own pauses (commas) in the same words",
        ),
        (
            "one plain utterance: WER",
            f"{wer(list(zip(texts, whole, strict=True))):.3f}",
            "the recogniser on unbroken speech",
        ),
    ]
    for name, runs_of in (("before", before), ("after", after)):
        spoken = speak_runs(runs_of, cache)
        ratios = [len(s.samples) / len(w) for s, w in zip(spoken, whole, strict=True)]
        f0_q = f0(np.concatenate([s.audio("quote") for s in spoken]), 22050)
        f0_n = f0(np.concatenate([s.audio("narration") for s in spoken]), 22050)
        each = [(t, s.samples[a:b]) for s in spoken for _, t, a, b in s.parts]
        rows += [
            (
                f"{name}: duration ÷ one plain utterance",
                f"median {statistics.median(ratios):.3f}, max {max(ratios):.3f}",
                "≤ 1.02",
            ),
            (
                f"{name}: silences ≥ {SILENCE_MS} ms at the quotes' edges",
                str(sum(len(s.seam_silences(22050)) for s in spoken)),
                "where the voice pauses too",
            ),
            (
                f"{name}:   of them not in the plain utterance",
                str(sum(s.inserted_silences(w, 22050) for s, w in zip(spoken, whole, strict=True))),
                "0: none inserted",
            ),
            (
                f"{name}: silences ≥ {SILENCE_MS} ms anywhere inside",
                str(sum(len(silences(s.samples, 22050)) for s in spoken)),
                "vs the plain utterance's",
            ),
            (
                f"{name}: median F0 narration / quote",
                f"{f0_n:.0f} / {f0_q:.0f} Hz",
                f"{100 * (f0_q - f0_n) / f0_n:+.0f}% (≥ 10%)",
            ),
            (
                f"{name}: WER, whole sentences / each part alone",
                f"{wer([(s.text, s.samples) for s in spoken]):.3f} / {wer(each):.3f}",
                "not worse",
            ),
        ]
    return rows
