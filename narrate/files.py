"""Output files: whole or not at all (a temp file beside the target, renamed), under safe names."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


@contextlib.contextmanager
def atomic_path(dest: Path) -> Iterator[Path]:
    """Yield a temp path beside dest; on success fsync and rename it over dest, else remove it."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        # mkstemp makes 0600 files; published audio and feeds must be readable by a web server.
        tmp.chmod(0o666 & ~_umask())
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes_atomic(dest: Path, data: bytes) -> None:
    """Write data to dest atomically."""
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(dest: Path, text: str) -> None:
    """Write UTF-8 text to dest atomically."""
    write_bytes_atomic(dest, text.encode("utf-8"))


def slug(text: str, limit: int = 60) -> str:
    """A safe file name stem: text ASCII-folded, lowercase, hyphenated, cut; "" if none is left."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _SLUG_JUNK.sub("-", folded.lower()).strip("-")[:limit].rstrip("-")
