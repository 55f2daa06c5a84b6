"""The progress bar both commands show: created once the total is known, with an ETA."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from narrate.models import Progress


@contextmanager
def bar(label: str, quiet: bool) -> Iterator[Progress | None]:
    """Yield an update function for a click progress bar on stderr, or None when quiet."""
    if quiet:
        yield None
        return
    shown: Any = None
    seen = 0

    def update(done: int, total: int, item: str) -> None:
        nonlocal shown, seen
        if total == 0:
            return
        if shown is None:
            shown = click.progressbar(
                length=total,
                label=label,
                show_eta=True,
                show_pos=True,
                file=sys.stderr,
                item_show_func=lambda text: cut(text, 40) if text else None,
            )
            shown.__enter__()
        shown.update(done - seen, item or None)
        seen = done

    try:
        yield update
    finally:
        if shown is not None:
            shown.__exit__(None, None, None)


def cut(text: str, width: int) -> str:
    """Text on one line, at most width characters."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
