"""Sidecar files: WebVTT, SRT and Podcasting 2.0 JSON transcripts, and JSON chapters."""

from __future__ import annotations

import json
from collections.abc import Sequence

from narrate.errors import InputError
from narrate.models import ChapterMark, Cue, Script

CHAPTERS_VERSION = "1.2.0"
"""The JSON Chapters format version written (podcast namespace, jsonChapters.md)."""
TRANSCRIPT_VERSION = "1.0.0"
"""The JSON transcript format version written (podcast namespace, transcripts.md)."""


def render_vtt(cues: Sequence[Cue]) -> str:
    """WebVTT with one cue per sentence, the role as voice tag, word times inline when known."""
    blocks = ["WEBVTT\n"]
    for cue in cues:
        end = max(cue.end_ms, cue.start_ms + 1)
        blocks.append(
            f"{timestamp(cue.start_ms)} --> {timestamp(end)}\n<v {cue.role}>{_payload(cue, end)}\n"
        )
    return "\n".join(blocks)


def render_srt(cues: Sequence[Cue]) -> str:
    """SubRip: one numbered cue per sentence, plain text (SRT has no voices and no escaping)."""
    blocks = []
    for n, cue in enumerate(cues, 1):
        end = max(cue.end_ms, cue.start_ms + 1)
        stamps = f"{timestamp(cue.start_ms)} --> {timestamp(end)}".replace(".", ",")
        # One line per cue, and no arrow that a parser could take for a timing line.
        text = " ".join(cue.text.split()).replace("-->", "->")
        blocks.append(f"{n}\n{stamps}\n{text}\n")
    return "\n".join(blocks)


def render_transcript_json(cues: Sequence[Cue]) -> str:
    """The Podcasting 2.0 JSON transcript: one segment per sentence, the role as speaker."""
    doc = {
        "version": TRANSCRIPT_VERSION,
        "segments": [
            {
                "speaker": cue.role,
                "startTime": cue.start_ms / 1000,
                "endTime": max(cue.end_ms, cue.start_ms + 1) / 1000,
                "body": " ".join(cue.text.split()),
            }
            for cue in cues
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def render_chapters_json(chapters: Sequence[ChapterMark], script: Script) -> str:
    """Podcasting 2.0 JSON chapters: start and end in seconds (ms precision) and titles."""
    doc: dict[str, object] = {"version": CHAPTERS_VERSION, "title": script.title}
    if script.byline:
        doc["author"] = script.byline
    doc["chapters"] = [
        {"startTime": c.start_ms / 1000, "endTime": c.end_ms / 1000, "title": c.title}
        for c in chapters
    ]
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def read_chapters_json(text: str) -> tuple[ChapterMark, ...]:
    """The chapters of a JSON chapters file, as render_chapters_json wrote them."""
    try:
        doc = json.loads(text)
        return tuple(
            ChapterMark(
                str(c.get("title", "")),
                round(float(c["startTime"]) * 1000),
                round(float(c.get("endTime", c["startTime"])) * 1000),
            )
            for c in doc.get("chapters", [])
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"not a JSON chapters file: {exc}") from exc


def timestamp(ms: int) -> str:
    """A WebVTT timestamp, HH:MM:SS.mmm."""
    seconds, millis = divmod(max(ms, 0), 1000)
    minutes, secs = divmod(seconds, 60)
    hours, mins = divmod(minutes, 60)
    return f"{hours:02d}:{mins:02d}:{secs:02d}.{millis:03d}"


def _payload(cue: Cue, end_ms: int) -> str:
    tokens = cue.text.split()
    if not cue.words or len(cue.words) != len(tokens):
        # Word timings follow the spoken text; when it differs from the page text
        # (numbers, abbreviations) they cannot be placed on the page's words.
        return _escape(" ".join(tokens))
    out: list[str] = []
    last = cue.start_ms
    for token, word in zip(tokens, cue.words, strict=True):
        # WebVTT wants inline times strictly inside the cue and increasing.
        if last < word.start_ms < end_ms:
            out.append(f"<{timestamp(word.start_ms)}>{_escape(token)}")
            last = word.start_ms
        else:
            out.append(_escape(token))
    return " ".join(out)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
