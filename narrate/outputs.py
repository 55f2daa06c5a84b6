"""The files one narration writes: the MP3, checked before any work, and the files beside it."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from narrate.config import is_url
from narrate.errors import InputError
from narrate.files import slug
from narrate.models import Script


def check_output(out: Path) -> None:
    """Refuse an output path before any work: it must be a creatable, replaceable .mp3 file."""
    if out.suffix.lower() != ".mp3":
        raise InputError(
            f"the output must be an .mp3 file (its .vtt and .chapters.json go beside it): {out}"
        )
    if out.exists() and not out.is_file():
        raise InputError(f"{out} exists and is not a regular file; narrate replaces files only")
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the folder {parent}: {exc.strerror}") from exc
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise InputError(f"cannot write into {parent}")
    if len(out.name.encode()) > 200:
        raise InputError(f"the output file name is too long: {out.name[:40]}…")


def sidecars(out: Path) -> tuple[Path, Path]:
    """The transcript and chapters files that go with an MP3."""
    return out.with_suffix(".vtt"), out.with_suffix(".chapters.json")


def extra_transcripts(out: Path) -> tuple[Path, Path]:
    """The SRT and JSON transcripts beside an MP3: the formats some podcast apps read instead."""
    return out.with_suffix(".srt"), out.with_suffix(".transcript.json")


def artwork_path(out: Path) -> Path:
    """The episode's square artwork beside an MP3, when the article had a usable lead image."""
    return out.with_suffix(".cover.jpg")


def default_output(script: Script, source: str) -> Path:
    """SLUG.mp3 in the current folder: after the title, else the URL's last part, else article."""
    url = script.url or (source if is_url(source) else "")
    last = Path(urlsplit(url).path.rstrip("/")).stem
    return Path(f"{slug(script.title) or slug(last) or 'article'}.mp3")
