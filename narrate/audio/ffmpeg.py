"""The one place narrate runs ffmpeg: which binary, how it is called, what a failure says."""

from __future__ import annotations

import contextlib
import functools
import logging
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

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
        raise AudioError(_failed(cmd, proc.returncode, proc.stderr))
    return proc


def start(args: Sequence[str], *, stdout: IO[bytes] | None = None) -> Running:
    """Start ffmpeg reading stdin as it is fed; it writes to `stdout` or to files in `args`."""
    cmd = [binary(), "-hide_banner", "-nostdin", *args]
    log.debug("ffmpeg: %s", shlex.join(cmd))
    # stderr goes to a file: a pipe nobody reads until the end could fill and stall ffmpeg.
    errors = tempfile.TemporaryFile()  # noqa: SIM115 - Running closes it
    try:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=stdout or subprocess.DEVNULL, stderr=errors
        )
    except OSError as exc:
        errors.close()
        raise AudioError(f"cannot run ffmpeg ({cmd[0]}): {exc.strerror}") from exc
    return Running(proc, cmd, errors)


@dataclass
class Running:
    """An ffmpeg started by start(): fed through `stdin`, then finished or killed."""

    proc: subprocess.Popen[bytes]
    cmd: list[str]
    errors: IO[bytes]

    @property
    def stdin(self) -> IO[bytes]:
        assert self.proc.stdin is not None
        return self.proc.stdin

    def finish(self, timeout: float = DEFAULT_TIMEOUT_S) -> bytes:
        """Close its input and wait for it to end; its stderr, or AudioError when it failed."""
        with contextlib.suppress(BrokenPipeError):
            self.stdin.close()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            self.kill()
            raise AudioError(f"ffmpeg timed out after {timeout:.0f} s: {_shown(self.cmd)}") from exc
        stderr = self._stderr()
        if self.proc.returncode != 0:
            raise AudioError(_failed(self.cmd, self.proc.returncode, stderr))
        return stderr

    def kill(self) -> None:
        """End it now, its output unfinished."""
        self.proc.kill()
        self.proc.wait()
        with contextlib.suppress(OSError):
            self.stdin.close()
        self.errors.close()

    def why(self) -> str:
        """Why it stopped taking input: its exit and last words."""
        self.proc.wait()
        return _failed(self.cmd, self.proc.returncode, self._stderr())

    def _stderr(self) -> bytes:
        if self.errors.closed:
            return b""
        self.errors.seek(0)
        stderr = self.errors.read()
        self.errors.close()
        return stderr


def _failed(cmd: Sequence[str], code: int, stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()[-_SHOWN_LINES:]
    said = " | ".join(_cut(line.strip()) for line in lines) or "no error output"
    return f"ffmpeg failed ({code}): {said}; command: {_shown(cmd)}"


def _shown(cmd: Sequence[str]) -> str:
    """A command as a shell line for a message, long arguments and long tails cut."""
    parts = [_cut(arg) for arg in cmd[:_SHOWN_ARGS]]
    rest = len(cmd) - _SHOWN_ARGS
    return shlex.join(parts) + (f" … ({rest} more arguments)" if rest > 0 else "")


def _cut(text: str) -> str:
    return text if len(text) <= _SHOWN_ARG else f"{text[:_SHOWN_ARG]}…"
