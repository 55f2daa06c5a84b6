"""The kinds of value a setting can take: raw text or TOML values checked into settings.

Each check returns the value, or raises ValueError saying what it wants ("a number of
seconds"), which narrate.config turns into one line naming where the bad value came from.
Like config, this module imports nothing of narrate.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

Check = Callable[[Any], Any]
"""Turns a raw value (TOML, flag or environment text) into a setting, or says what it wants."""


def number(unit: str, *, whole: bool = False, least: float = 0, most: float | None = None) -> Check:
    """A finite number of unit above `least` (whole: at least `least`), parsed from text too."""
    kind = f"a whole number of {unit}" if whole else f"a number of {unit}"

    def check(value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = int(value) if whole else float(value)
            except ValueError:
                raise ValueError(kind) from None
        if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
            raise ValueError(kind)
        if not math.isfinite(value):
            raise ValueError(kind)
        if whole and value < least:
            raise ValueError(f"at least {least:g}")
        if not whole and value <= least:
            raise ValueError(f"more than {least:g}")
        if most is not None and value > most:
            raise ValueError(f"at most {most:g}")
        return value if whole else float(value)

    return check


def flag(value: Any) -> bool:
    """true/false, yes/no, on/off or 1/0."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError("true or false (1 or 0)")


def text(value: Any) -> str:
    """A text that is not blank."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a text")
    return value


def texts(value: Any) -> tuple[str, ...]:
    """A list of paths or URLs (one alone is a list of one)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str | Path) for v in value):
        raise ValueError("a list of paths or URLs")
    return tuple(str(v) for v in value)


def paths(value: Any) -> tuple[Path, ...]:
    """A list of paths."""
    return tuple(Path(v) for v in texts(value))


_HOST = re.compile(r"^(?:[a-z0-9-]+\.)*[a-z0-9-]+$|^[0-9a-f:.]+$")


def hosts(value: Any) -> tuple[str, ...]:
    """A list of host names, lower-cased."""
    names = tuple(v.lower().strip(".") for v in texts(value))
    if not all(_HOST.match(name) for name in names):
        raise ValueError("host names, such as example.com (no scheme, port or path)")
    return names


def path(value: Any) -> Path:
    """A path."""
    if not isinstance(value, str | Path) or not str(value):
        raise ValueError("a path")
    return Path(value)


def day(value: Any) -> date:
    """A date, from TOML or YYYY-MM-DD text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError("a date (YYYY-MM-DD)") from None
