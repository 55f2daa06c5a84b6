"""ffmpeg: a failing call says what was run and what ffmpeg said, on one line, bounded."""

from __future__ import annotations

import shlex

import pytest

from narrate.audio import ffmpeg
from narrate.errors import AudioError

SILENCE = ["-f", "lavfi", "-i", "anullsrc", "-t", "0.1"]


def failure(args: list[str]) -> str:
    with pytest.raises(AudioError) as err:
        ffmpeg.run(args)
    message = str(err.value)
    assert "\n" not in message
    return message


def test_a_failure_carries_the_command_and_ffmpegs_last_words() -> None:
    args = [*SILENCE, "-af", "nosuchfilter", "-f", "null", "-"]
    message = failure(args)
    assert message.startswith("ffmpeg failed (")
    assert "No such filter: 'nosuchfilter'" in message
    assert message.endswith(
        "; command: " + shlex.join([ffmpeg.binary(), "-hide_banner", "-nostdin", *args])
    )


def test_a_huge_argument_is_cut_in_the_message() -> None:
    graph = "volume=1," * 3000 + "nosuchfilter"
    message = failure([*SILENCE, "-af", graph, "-f", "null", "-"])
    assert len(message) < 800
    assert f"-af '{graph[:120]}…' -f null -" in message
    assert "No such filter: 'nosuchfilter'" in message


def test_a_long_command_shows_its_start_and_how_much_is_left_out() -> None:
    tags = [arg for i in range(100) for arg in ("-metadata", f"k{i}=v")]
    message = failure([*SILENCE, "-af", "nosuchfilter", *tags, "-f", "null", "-"])
    shown = 40 - 3 - len(SILENCE) - 2  # the binary, -hide_banner, -nostdin, then ours
    assert f"-af nosuchfilter {shlex.join(tags[:shown])} … ({len(tags) + 3 - shown} more" in message
    assert "No such filter: 'nosuchfilter'" in message
