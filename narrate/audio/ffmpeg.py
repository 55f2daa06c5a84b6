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
        raise AudioError(f"ffmpeg timed out after {timeout:.0f} s: {shlex.join(cmd)}") from exc
    except OSError as exc:
        raise AudioError(f"cannot run ffmpeg ({cmd[0]}): {exc.strerror}") from exc
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise AudioError(f"ffmpeg failed ({proc.returncode}): {' | '.join(tail)}")
    return proc
