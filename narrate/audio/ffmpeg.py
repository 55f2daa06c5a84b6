"""The one place narrate runs ffmpeg: which binary, how it is called, what a failure says."""

from __future__ import annotations

import functools
import logging
import shlex
import shutil
import subprocess
from collections.abc import Sequence

from narrate.errors import AudioError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 600.0
_SHOWN_ARG = 120
"""Longer arguments (filter graphs, deep paths) are cut in error messages."""
_SHOWN_ARGS = 40
"""Arguments shown before the rest of a command is left out of an error message."""
_SHOWN_LINES = 3
"""Lines of ffmpeg's stderr an error message ends with: the error is at the end."""


@functools.cache
def binary() -> str:
    """The system ffmpeg when present, else the one bundled with imageio-ffmpeg."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def run(
    args: Sequence[str], *, input: bytes | None = None, timeout: float = DEFAULT_TIMEOUT_S
) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg with `args`, no shell and no stdin unless given; AudioError carries stderr."""
    cmd = [binary(), "-hide_banner", "-nostdin", *args]
    log.debug("ffmpeg: %s", shlex.join(cmd))
    try:
        proc = subprocess.run(
            cmd,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AudioError(f"ffmpeg timed out after {timeout:.0f} s: {_shown(cmd)}") from exc
    except OSError as exc:
        raise AudioError(f"cannot run ffmpeg ({cmd[0]}): {exc.strerror}") from exc
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-_SHOWN_LINES:]
        said = " | ".join(_cut(line.strip()) for line in lines) or "no error output"
        raise AudioError(f"ffmpeg failed ({proc.returncode}): {said}; command: {_shown(cmd)}")
    return proc


def _shown(cmd: Sequence[str]) -> str:
    """A command as a shell line for a message, long arguments and long tails cut."""
    parts = [_cut(arg) for arg in cmd[:_SHOWN_ARGS]]
    rest = len(cmd) - _SHOWN_ARGS
    return shlex.join(parts) + (f" … ({rest} more arguments)" if rest > 0 else "")


def _cut(text: str) -> str:
    return text if len(text) <= _SHOWN_ARG else f"{text[:_SHOWN_ARG]}…"
