"""The `narrate` command group and its error handling; each command family has its module."""

from __future__ import annotations

import logging
import signal
import sys

import click

from narrate.cli import article, cache, feed, voices
from narrate.cli.flags import global_flags, state
from narrate.config import VERSION, SettingsError
from narrate.errors import NarrateError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(VERSION, prog_name="narrate")
@global_flags
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Turn news articles into narrated, chaptered MP3s with local Piper voices."""
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    state(ctx).apply()


for command in (
    article.script,
    article.article,
    article.say,
    voices.voices,
    voices.lexicon,
    cache.cache,
    feed.feed,
    feed.serve,
):
    cli.add_command(command)


class Terminated(BaseException):
    """SIGTERM arrived; a BaseException so that no `except Exception` swallows it."""


def _terminate(_signum: int, _frame: object) -> None:
    raise Terminated


def main() -> None:
    """Entry point: errors become one line and a non-zero exit (tracebacks only with --debug)."""
    debug = "--debug" in sys.argv[1:]
    # SIGTERM (timeout, systemd, kill) unwinds like Ctrl-C: temp files are removed on the way out.
    signal.signal(signal.SIGTERM, _terminate)
    try:
        status = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Error: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except (NarrateError, SettingsError) as exc:
        if debug:
            raise
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Error: interrupted", err=True)
        sys.exit(130)
    except Terminated:
        click.echo("Error: terminated", err=True)
        sys.exit(143)
    except Exception as exc:
        if debug:
            raise
        click.echo(
            f"Error: unexpected {type(exc).__name__}: {exc} (run with --debug for details)",
            err=True,
        )
        sys.exit(2)
    # Without standalone mode click returns a command's ctx.exit(code) instead of exiting.
    if isinstance(status, int) and status:
        sys.exit(status)
