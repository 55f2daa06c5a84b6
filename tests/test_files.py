"""Atomic writes: the target appears whole, readable, or not at all."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from narrate.files import atomic_path, write_text_atomic


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    dest = tmp_path / "feed.xml"
    dest.write_text("old")
    with pytest.raises(OSError), atomic_path(dest) as tmp:
        tmp.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert dest.read_text() == "old"
    assert list(tmp_path.iterdir()) == [dest]


def test_written_files_are_readable_by_others(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644
