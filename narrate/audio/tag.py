"""ID3v2.4 tags for an episode: metadata, AI disclosure, cover art and CHAP/CTOC chapters."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

from mutagen import MutagenError
from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
    ID3,
    TALB,
    TDRC,
    TIT2,
    TLAN,
    TLEN,
    TPE1,
    TSSE,
    TXXX,
    WOAS,
    WXXX,
    CTOCFlags,
    Encoding,
    Frame,
    ID3v1SaveOptions,
    PictureType,
)

from narrate.article.cover import Cover
from narrate.config import AI_DISCLOSURE, VERSION
from narrate.errors import AudioError
from narrate.models import ChapterMark, Layout, Script, Timeline
from narrate.speech.lang import primary_subtag

log = logging.getLogger(__name__)

AI_TAG = "AI_GENERATED"
"""Description of the TXXX frame that discloses synthetic narration."""
TOC_ID = "toc"
"""Element id of the top-level CTOC frame; chapters are chp0, chp1, …"""

# ISO 639-1 → ISO 639-2/T, for the languages Piper has voices for and a few more.
_ISO639_2 = {
    "af": "afr", "ar": "ara", "bg": "bul", "bn": "ben", "ca": "cat", "cs": "ces", "cy": "cym",
    "da": "dan", "de": "deu", "el": "ell", "en": "eng", "eo": "epo", "es": "spa", "et": "est",
    "eu": "eus", "fa": "fas", "fi": "fin", "fr": "fra", "ga": "gle", "gl": "glg", "he": "heb",
    "hi": "hin", "hr": "hrv", "hu": "hun", "hy": "hye", "id": "ind", "is": "isl", "it": "ita",
    "ja": "jpn", "ka": "kat", "kk": "kaz", "ko": "kor", "lb": "ltz", "lt": "lit", "lv": "lav",
    "mk": "mkd", "ml": "mal", "ms": "msa", "ne": "nep", "nl": "nld", "no": "nor", "nb": "nob",
    "nn": "nno", "pl": "pol", "pt": "por", "ro": "ron", "ru": "rus", "sk": "slk", "sl": "slv",
    "sq": "sqi", "sr": "srp", "sv": "swe", "sw": "swa", "ta": "tam", "te": "tel", "th": "tha",
    "tr": "tur", "uk": "ukr", "ur": "urd", "vi": "vie", "zh": "zho",
}  # fmt: skip
_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
_UTF8 = Encoding.UTF8


def write_tags(
    mp3: Path,
    script: Script,
    timeline_or_chapters: Timeline | Layout | Sequence[ChapterMark],
    *,
    cover: Cover | None = None,
) -> None:
    """Replace mp3's tags with the episode's ID3v2.4 metadata, cover and chapters."""
    if isinstance(timeline_or_chapters, Timeline | Layout):
        chapters = timeline_or_chapters.chapters
        duration_ms: int | None = timeline_or_chapters.duration_ms
    else:
        chapters = tuple(timeline_or_chapters)
        duration_ms = chapters[-1].end_ms if chapters else None
    tags = ID3()
    for frame in _frames(script, chapters, duration_ms, cover):
        tags.add(frame)
    try:
        tags.save(mp3, v1=ID3v1SaveOptions.REMOVE, v2_version=4)
        _order_chapter_frames(mp3)
    except (MutagenError, OSError) as exc:
        raise AudioError(f"cannot write tags to {mp3}: {exc}") from exc


def language_code(lang: str) -> str | None:
    """The ISO 639-2 code ID3 wants for an ISO 639-1 tag such as `en` or `pt-BR`, if known."""
    primary = primary_subtag(lang)
    if len(primary) == 3 and primary.isalpha():
        return primary
    return _ISO639_2.get(primary)


def _frames(
    script: Script,
    chapters: Sequence[ChapterMark],
    duration_ms: int | None,
    cover: Cover | None,
) -> list[Frame]:
    lang = language_code(script.lang)
    frames: list[Frame] = [TIT2(encoding=_UTF8, text=[script.title])]
    if artist := script.byline or script.site:
        frames.append(TPE1(encoding=_UTF8, text=[artist]))
    if script.site:
        frames.append(TALB(encoding=_UTF8, text=[script.site]))
    if script.date and (date := _DATE.match(script.date.strip())):
        frames.append(TDRC(encoding=_UTF8, text=[date.group(0)]))
    if lang:
        frames.append(TLAN(encoding=_UTF8, text=[lang]))
    else:
        log.debug("no ISO 639-2 code for language %r; TLAN left out", script.lang)
    if duration_ms is not None:
        frames.append(TLEN(encoding=_UTF8, text=[str(duration_ms)]))
    if script.url:
        frames.append(WOAS(url=script.url))
        frames.append(WXXX(encoding=_UTF8, desc="source", url=script.url))
    frames.append(COMM(encoding=_UTF8, lang=lang or "und", desc="", text=[AI_DISCLOSURE]))
    frames.append(TXXX(encoding=_UTF8, desc=AI_TAG, text=[AI_DISCLOSURE]))
    frames.append(TSSE(encoding=_UTF8, text=[f"narrate {VERSION}"]))
    if cover:
        frames.append(
            APIC(
                encoding=_UTF8,
                mime=cover.mime,
                type=PictureType.COVER_FRONT,
                desc="cover",
                data=cover.data,
            )
        )
    ids = [f"chp{i}" for i in range(len(chapters))]
    for element_id, mark in zip(ids, chapters, strict=True):
        frames.append(
            CHAP(
                element_id=element_id,
                start_time=mark.start_ms,
                end_time=mark.end_ms,
                sub_frames=[TIT2(encoding=_UTF8, text=[mark.title])],
            )
        )
    if ids:
        frames.append(
            CTOC(
                element_id=TOC_ID,
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[TIT2(encoding=_UTF8, text=[script.title])],
            )
        )
    return frames


def _order_chapter_frames(mp3: Path) -> None:
    """Put the CHAP frames in chapter order, in place.

    mutagen sorts frames by size; ID3 readers built on ffmpeg list chapters in frame order
    rather than by CTOC or start time, so the frames are reordered (same bytes, same size).
    """
    with open(mp3, "r+b") as fh:
        header = fh.read(10)
        # Only the plain layout mutagen writes: v2.4, no unsynchronisation, no extended header.
        if header[:4] != b"ID3\x04" or header[5] & 0xC0:
            return
        body = fh.read(_synchsafe(header[6:10]))
        frames: list[bytes] = []
        pos = 0
        while pos + 10 <= len(body) and body[pos : pos + 4] != b"\0\0\0\0":
            end = pos + 10 + _synchsafe(body[pos + 4 : pos + 8])
            frames.append(body[pos:end])
            pos = end
        chaps = sorted((f for f in frames if f[:4] == b"CHAP"), key=_chap_index)
        if not chaps:
            return
        queue = iter(chaps)
        ordered = [next(queue) if f[:4] == b"CHAP" else f for f in frames]
        fh.seek(10)
        fh.write(b"".join(ordered))


def _synchsafe(data: bytes) -> int:
    return (data[0] << 21) | (data[1] << 14) | (data[2] << 7) | data[3]


def _chap_index(frame: bytes) -> int:
    element_id = frame[10 : frame.index(b"\0", 10)]
    return int(element_id[3:]) if element_id[3:].isdigit() else -1
