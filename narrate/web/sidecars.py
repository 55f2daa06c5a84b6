"""Read an episode's published sidecars (VTT transcript, JSON chapters) back into records.

Pages are a view of the published files, so `narrate article --html` and every `narrate feed`
run build them the same way, from what a podcast app would also see.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from narrate.audio.transcript import read_chapters_json
from narrate.errors import InputError
from narrate.models import ROLES, ChapterMark, Cue, Role, Word

_TIME = r"(\d{2,}):(\d{2}):(\d{2})\.(\d{3})"
_TIMING = re.compile(rf"^{_TIME} --> {_TIME}")
_VOICE = re.compile(r"^<v ([a-z]+)>(.*)$", re.DOTALL)
_INLINE = re.compile(rf"^<{_TIME}>(.*)$", re.DOTALL)


def _ms(h: str, m: str, s: str, ms: str) -> int:
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms)


def parse_vtt(text: str) -> tuple[Cue, ...]:
    """The cues of a transcript written by `audio.transcript.render_vtt`, word times included.

    The VTT keeps only word starts: a word ends where the next one starts, the last at the cue's
    end. A cue without inline times (page and spoken text differ) has no words.
    """
    cues: list[Cue] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        lines = block.split("\n")
        timing = next((i for i, line in enumerate(lines) if _TIMING.match(line)), None)
        if timing is None:
            continue  # the WEBVTT header, NOTE or STYLE blocks
        m = _TIMING.match(lines[timing])
        assert m is not None
        start, end = _ms(*m.groups()[:4]), _ms(*m.groups()[4:])
        payload = " ".join(lines[timing + 1 :])
        role: Role = "narration"
        if voice := _VOICE.match(payload):
            name, payload = voice.groups()
            role = name if name in ROLES else "narration"  # type: ignore[assignment]
        cues.append(_cue(start, end, role, payload))
    return tuple(cues)


def _cue(start: int, end: int, role: Role, payload: str) -> Cue:
    tokens: list[str] = []
    starts: list[int | None] = []
    for raw in payload.split():
        m = _INLINE.match(raw)
        starts.append(_ms(*m.groups()[:4]) if m else None)
        tokens.append(html.unescape(m.group(5) if m else raw))
    if not any(t is not None for t in starts):
        return Cue(start, end, role, " ".join(tokens))
    # render_vtt drops a time that is not strictly inside the cue and increasing (the first
    # word usually starts with the cue): such a word starts with the word before it.
    begins: list[int] = []
    for at in starts:
        begins.append(at if at is not None else begins[-1] if begins else start)
    ends = [next((b for b in begins[i + 1 :] if b > begin), end) for i, begin in enumerate(begins)]
    fixed = tuple(Word(t, b, e) for t, b, e in zip(tokens, begins, ends, strict=True))
    return Cue(start, end, role, " ".join(tokens), fixed)


def read_sidecars(
    transcript: Path, chapters: Path
) -> tuple[tuple[Cue, ...], tuple[ChapterMark, ...]]:
    """The cues and chapters of one episode from its .vtt and .chapters.json files."""
    try:
        return (
            parse_vtt(transcript.read_text(encoding="utf-8")),
            read_chapters_json(chapters.read_text(encoding="utf-8")),
        )
    except OSError as exc:
        raise InputError(f"cannot read {exc.filename}: {exc.strerror}") from exc
