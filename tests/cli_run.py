"""Running the real `narrate` command in a subprocess, as a user would, for the CLI test modules."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SHORT = Path(__file__).parent / "fixtures" / "pages" / "short-article.html"
"""A two-chapter article that narrates in a few seconds."""


def narrate(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run `python -m narrate ARGS` with env over os.environ; returns the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "narrate", *args],
        input=stdin,
        capture_output=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        check=False,
    )
