"""What every command shares: the global flags (in either place) and the settings they load."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from narrate import config
from narrate.config import Settings


@dataclass
class State:
    """The global flags, whether given before or after the command name."""

    quiet: bool = False
    verbose: int = 0
    debug: bool = False
    config: Path | None = None
    """The TOML settings file (--config)."""

    def apply(self) -> None:
        """Set narrate's log level from the flags (only the CLI sets levels)."""
        levels = (logging.WARNING, logging.INFO, logging.DEBUG)
        level = logging.ERROR if self.quiet else levels[min(self.verbose, 2)]
        logging.getLogger().setLevel(logging.DEBUG if self.debug else level)

    def settings(self, **flags: Any) -> Settings:
        """Defaults ← --config file ← NARRATE_* ← these flags (None: not given)."""
        return config.load(self.config, flags=flags)


def state(ctx: click.Context) -> State:
    """The run's State; a command invoked on its own (tests) gets a fresh one."""
    return ctx.ensure_object(State)


def _set(attr: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, _: click.Parameter, value: Any) -> None:
        if value:
            flags = state(ctx)
            setattr(flags, attr, getattr(flags, attr) + value if attr == "verbose" else value)
            flags.apply()

    return callback


def global_flags(f: Callable[..., Any]) -> Callable[..., Any]:
    """-q, -v, --debug and --config, accepted by the group and by every command."""
    for decls, kw in (
        (("--config",), {"type": click.Path(exists=True, dir_okay=False, path_type=Path)}),
        (("--debug",), {"is_flag": True}),
        (("-v", "--verbose"), {"count": True}),
        (("-q", "--quiet"), {"is_flag": True}),
    ):
        attr = decls[-1].lstrip("-")
        f = click.option(*decls, expose_value=False, callback=_set(attr), help=_HELP[attr], **kw)(f)
    return f


_HELP = {
    "config": "TOML settings (see narrate.example.toml); NARRATE_* and flags override it.",
    "debug": "Show tracebacks on errors.",
    "verbose": "Say what each stage did (-vv: debug).",
    "quiet": "Only errors; no progress bar.",
}


def source_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The options of commands that read an article: lexicon, disclaimer, private networks."""
    f = click.option(
        "--allow-private",
        is_flag=True,
        help="Allow fetching from loopback and private networks (or NARRATE_ALLOW_PRIVATE=1).",
    )(f)
    f = click.option("--no-disclaimer", is_flag=True, help="Do not speak the AI-voice disclaimer.")(
        f
    )
    f = click.option(
        "--no-truncation-note",
        is_flag=True,
        help="Do not close a paywalled teaser with a line saying the rest is for subscribers.",
    )(f)
    f = click.option("--disclaimer", metavar="TEXT", help="The AI-voice disclaimer spoken first.")(
        f
    )
    return click.option(
        "--lexicon",
        multiple=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="A pronunciation lexicon (TOML) over the bundled one; repeatable.",
    )(f)


def bumper_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--intro and --outro: a publisher's audio around each episode."""
    for name, where in (("--outro", "after the last words"), ("--intro", "before the disclaimer")):
        f = click.option(
            name,
            metavar="FILE",
            type=click.Path(dir_okay=False, path_type=Path),
            help=f"Audio to play {where} (any format ffmpeg decodes, at most 2 minutes).",
        )(f)
    return f


def source_settings(
    flags: State,
    *,
    lexicon: tuple[Path, ...],
    disclaimer: str | None,
    no_disclaimer: bool,
    no_truncation_note: bool,
    allow_private: bool,
    **more: Any,
) -> Settings:
    """The settings of a command with source_options, plus its other flags."""
    return flags.settings(
        lexicon=lexicon,
        disclaimer=False if no_disclaimer else disclaimer,
        truncation_note=False if no_truncation_note else None,
        allow_private=True if allow_private else None,
        **more,
    )
