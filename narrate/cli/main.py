"""The command line: parse, call the library, print. Nothing else lives here."""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from narrate import config, pipeline
from narrate.cli import feed as cli_feed
from narrate.cli.progress import bar as progress_bar
from narrate.config import VERSION, SettingsError
from narrate.errors import NarrateError
from narrate.models import ROLES

log = logging.getLogger("narrate")


class State:
    """Global flags every command sees."""

    def __init__(self, quiet: bool, verbose: int, debug: bool) -> None:
        self.quiet = quiet
        self.verbose = verbose
        self.debug = debug

    def apply(self) -> None:
        """Set narrate's log level from the flags (only the CLI sets levels)."""
        levels = (logging.WARNING, logging.INFO, logging.DEBUG)
        level = logging.ERROR if self.quiet else levels[min(self.verbose, 2)]
        logging.getLogger().setLevel(logging.DEBUG if self.debug else level)


def _verbosity(f: Callable[..., Any]) -> Callable[..., Any]:
    """-q/-v after the command name too: `narrate article URL -o x.mp3 -v` is how people type."""

    def quiet(ctx: click.Context, _: click.Parameter, value: bool) -> None:
        if value:
            ctx.find_object(State).quiet = True
            ctx.find_object(State).apply()

    def verbose(ctx: click.Context, _: click.Parameter, value: int) -> None:
        if value:
            ctx.find_object(State).verbose += value
            ctx.find_object(State).apply()

    f = click.option(
        "-q",
        "--quiet",
        is_flag=True,
        expose_value=False,
        callback=quiet,
        help="Only errors; no progress bar.",
    )(f)
    return click.option(
        "-v",
        "--verbose",
        count=True,
        expose_value=False,
        callback=verbose,
        help="Say what each stage did (-vv: debug).",
    )(f)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(VERSION, prog_name="narrate")
@click.option("-q", "--quiet", is_flag=True, help="Only errors; no progress bar.")
@click.option("-v", "--verbose", count=True, help="Say what each stage did (-vv: debug).")
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, quiet: bool, verbose: int, debug: bool) -> None:
    """Turn news articles into narrated, chaptered MP3s with local Piper voices."""
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    ctx.obj = State(quiet, verbose, debug)
    ctx.obj.apply()


def _options(
    voice: str | None,
    disclaimer: str | None,
    no_disclaimer: bool,
    allow_private: bool,
    lexicon: tuple[Path, ...],
    cover: bool = True,
    **extra: Any,
) -> pipeline.Options:
    settings = config.load(
        None,
        flags={
            "voice": voice,
            "disclaimer": False if no_disclaimer else disclaimer,
            "allow_private": True if allow_private else None,
            "lexicon": lexicon,
            **extra,
        },
    )
    return pipeline.Options.from_settings(settings, cover=cover)


def _source_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--allow-private",
        is_flag=True,
        help="Allow fetching from loopback and private networks (or NARRATE_ALLOW_PRIVATE=1).",
    )(f)
    f = click.option("--no-disclaimer", is_flag=True, help="Do not speak the AI-voice disclaimer.")(
        f
    )
    f = click.option("--disclaimer", metavar="TEXT", help="The AI-voice disclaimer spoken first.")(
        f
    )
    f = click.option(
        "--lexicon",
        multiple=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="A pronunciation lexicon (TOML) over the bundled one; repeatable.",
    )(f)
    return f


@cli.command()
@click.argument("source")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--unknown-words",
    is_flag=True,
    help="List the names and acronyms espeak-ng has no entry for, most frequent first.",
)
@_source_options
@_verbosity
def script(source: str, fmt: str, unknown_words: bool, **kw: Any) -> None:
    """Print the narration script of SOURCE (URL, HTML file or -)."""
    from narrate.article.segment import render_text
    from narrate.speech import pronounce

    result = pipeline.load_script(source, _options(None, **kw), pronounce=not unknown_words)
    if unknown_words:
        for word, count in pronounce.unknown_words(result):
            click.echo(f"{count:4d}  {word}")
        return
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(result), nl=False)


@cli.command()
@click.argument("source")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The MP3 to write; .vtt and .chapters.json go beside it.",
)
@click.option("--voice", metavar="PROFILE", help="Voice profile name (in voices/) or TOML path.")
@click.option("--bitrate", help="MP3 bitrate (CBR), 8k to 160k.  [default: 64k]")
@click.option("--workers", type=int, help="Synthesis processes [one per core].")
@click.option("--no-cover", is_flag=True, help="Do not fetch the page's image as cover art.")
@_source_options
@_verbosity
@click.pass_obj
def article(
    state: State,
    source: str,
    output: Path,
    voice: str | None,
    bitrate: str | None,
    workers: int | None,
    no_cover: bool,
    **kw: Any,
) -> None:
    """Narrate SOURCE (URL, HTML file or -) into a chaptered MP3."""
    started = time.monotonic()
    opts = _options(voice, bitrate=bitrate, workers=workers, cover=not no_cover, **kw)
    script_ = pipeline.load_script(source, opts)
    log.info(
        "script: %d chapters, %d segments, %d sentences, language %s",
        len(script_.chapters),
        len(script_.segments),
        sum(len(s.sentences) for s in script_.segments),
        script_.lang,
    )
    with progress_bar("Synthesising", state.quiet) as progress:
        episode = pipeline.narrate_script(script_, output, opts, progress)
    if not state.quiet:
        minutes, seconds = divmod(round(episode.duration_ms / 1000), 60)
        click.echo(
            f"Wrote {episode.audio} ({minutes}:{seconds:02d}, {len(episode.chapters)} chapters, "
            f"{episode.loudness_lufs:.1f} LUFS) with {episode.transcript.name} and "
            f"{episode.chapters_json.name} in {time.monotonic() - started:.1f} s",
            err=True,
        )


@cli.command()
@click.argument("text")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="WAV file to write.",
)
@click.option("--role", type=click.Choice(ROLES), default="narration", show_default=True)
@click.option("--voice", metavar="PROFILE", help="Voice profile name or TOML path.")
def say(text: str, output: Path, role: str, voice: str | None) -> None:
    """Speak one line with a profile's ROLE delivery, for auditioning."""
    from narrate.audio import audition, voices
    from narrate.audio.master import write_wav

    clip = audition.say(text, voices.load_profile(voice), role)  # type: ignore[arg-type]
    write_wav(clip, output)
    click.echo(f"Wrote {output} ({clip.duration_ms / 1000:.1f} s)", err=True)


@cli.group(invoke_without_command=True)
@click.pass_context
def voices(ctx: click.Context) -> None:
    """List voice profiles and the Piper models narrate can find."""
    if ctx.invoked_subcommand is not None:
        return
    from narrate.audio import voices as v

    click.echo("Profiles:")
    for profile in v.list_profiles():
        click.echo(f"  {profile}")
    click.echo("Models:")
    for model in v.list_models():
        click.echo(f"  {model}")


@voices.command("check")
@click.option("--voice", metavar="PROFILE", help="Check only this profile.")
def voices_check(voice: str | None) -> None:
    """Resolve every profile and synthesise a test sentence with each role."""
    from narrate.audio import audition
    from narrate.audio import voices as v

    failed = 0
    profiles = (
        [v.load_profile(voice)] if voice else [v.load_profile(p.name) for p in v.list_profiles()]
    )
    for profile in profiles:
        for role, ok, message in audition.check_profile(profile):
            failed += not ok
            click.echo(f"{'ok ' if ok else 'FAIL'} {profile.name}/{role}: {message}")
    if failed:
        raise NarrateError(f"{failed} voice check(s) failed")


@cli.group()
def lexicon() -> None:
    """Check how words are pronounced."""


@lexicon.command("show")
@click.argument("word")
@click.option("--lang", default="en", show_default=True, help="Language of the lexicon.")
@click.option(
    "--lexicon",
    "files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A user lexicon over the bundled one; repeatable.",
)
def lexicon_show(word: str, lang: str, files: tuple[Path, ...]) -> None:
    """Print espeak-ng's phonemes for WORD without and with the lexicon."""
    from narrate.speech import lexicon_file, pronounce

    without, with_ = pronounce.lexicon_show(word, lang, lexicon_file.load_lexicon(lang, files))
    click.echo(f"without lexicon: {without}")
    click.echo(f"with lexicon:    {with_}")


@cli.group()
def cache() -> None:
    """Inspect or clear the clip cache (NARRATE_CACHE_DIR)."""


@cache.command("info")
def cache_info() -> None:
    """Show where the cache is and how big it is."""
    from narrate.audio.cache import ClipCache

    store = ClipCache()
    entries, size = store.info()
    click.echo(f"{store.root}: {entries} clips, {size / 1e6:.1f} MB")


@cache.command("clear")
def cache_clear() -> None:
    """Remove every cached clip."""
    from narrate.audio.cache import ClipCache

    click.echo(f"Removed {ClipCache().clear()} clips")


cli.add_command(cli_feed.feed)
cli.add_command(cli_feed.serve)


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
