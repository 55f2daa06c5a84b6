"""The commands for one article: `script`, `article` and `say`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from narrate import pipeline
from narrate.cli.flags import (
    bumper_options,
    global_flags,
    source_options,
    source_settings,
    state,
)
from narrate.cli.progress import bar as progress_bar
from narrate.errors import ListenerGone
from narrate.models import ROLES


def _output(text: str, required: bool = True) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        required=required,
        help=text,
    )


@click.command()
@click.argument("source")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--unknown-words",
    is_flag=True,
    help="List the names and acronyms espeak-ng has no entry for, most frequent first.",
)
@source_options
@global_flags
@click.pass_context
def script(ctx: click.Context, source: str, fmt: str, unknown_words: bool, **kw: Any) -> None:
    """Print the narration script of SOURCE (URL, HTML file or -)."""
    from narrate.article.segment import render_text
    from narrate.speech import pronounce

    opts = pipeline.Options.from_settings(source_settings(state(ctx), **kw))
    result = pipeline.load_script(source, opts, pronounce=not unknown_words)
    if unknown_words:
        for word, count in pronounce.unknown_words(result):
            click.echo(f"{count:4d}  {word}")
        return
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(result), nl=False)


@click.command()
@click.argument("source")
@_output(
    "The MP3 to write; its transcripts, chapters and artwork go beside it. "
    "- streams the MP3 to stdout as it is spoken.  "
    "[default: SLUG.mp3 here, after the title, its name printed]",
    required=False,
)
@click.option("--voice", metavar="PROFILE", help="Voice profile name (in voices/) or TOML path.")
@click.option("--bitrate", metavar="RATE", help="MP3 bitrate (CBR), 8k to 160k.  [default: 64k]")
@click.option("--workers", type=int, help="Synthesis processes [one per core].")
@click.option("--no-cover", is_flag=True, help="Do not fetch the page's image as cover art.")
@click.option("--html", is_flag=True, help="Also write NAME.html, NAME.embed.html and the player.")
@bumper_options
@source_options
@global_flags
@click.pass_context
def article(
    ctx: click.Context, source: str, output: Path | None, no_cover: bool, html: bool, **kw: Any
) -> None:
    """Narrate SOURCE (URL, HTML file or -) into a chaptered MP3."""
    started = time.monotonic()
    flags = state(ctx)
    opts = pipeline.Options.from_settings(source_settings(flags, **kw), cover=not no_cover)
    if str(output) == "-":
        _stream(source, opts, flags.quiet, html)
        return
    with progress_bar("Synthesising", flags.quiet) as progress:
        episode = pipeline.narrate_article(source, output, opts, progress)
    if html:
        from narrate.web import page

        page.write_episode(page.PageInfo.of(episode.script, episode.audio, episode.duration_ms))
    if not flags.quiet:
        minutes, seconds = divmod(round(episode.duration_ms / 1000), 60)
        chapters = f"{len(episode.chapters)} chapter" + "s" * (len(episode.chapters) != 1)
        click.echo(
            f"Wrote {episode.audio} ({minutes}:{seconds:02d}, {chapters}, "
            f"{episode.loudness_lufs:.1f} LUFS) with {episode.transcript.name} and "
            f"{episode.chapters_json.name} in {time.monotonic() - started:.1f} s",
            err=True,
        )
    if output is None:
        click.echo(episode.audio)


def _stream(source: str, opts: pipeline.Options, quiet: bool, html: bool) -> None:
    """`-o -`: MP3 to stdout as it is spoken; a reader that leaves ends the run quietly."""
    if html:
        raise click.UsageError("--html needs an output file, not -")
    sink = click.get_binary_stream("stdout")
    if sink.isatty():
        raise click.UsageError(
            "refusing to write MP3 to a terminal; pipe it (| mpv -) or use -o FILE"
        )
    try:
        with progress_bar("Speaking", quiet) as progress:
            layout = pipeline.stream_article(source, sink, opts, progress)
    except ListenerGone:
        return  # the player closed: nothing is wrong, and nothing is left running
    if not quiet:
        minutes, seconds = divmod(round(layout.duration_ms / 1000), 60)
        click.echo(f"Streamed {minutes}:{seconds:02d} of audio", err=True)


@click.command()
@click.argument("text")
@_output("WAV file to write.")
@click.option("--role", type=click.Choice(ROLES), default="narration", show_default=True)
@click.option("--voice", metavar="PROFILE", help="Voice profile name or TOML path.")
@global_flags
@click.pass_context
def say(ctx: click.Context, text: str, output: Path, role: str, voice: str | None) -> None:
    """Speak one line with a profile's ROLE delivery, for auditioning."""
    from narrate.audio import audition, voices
    from narrate.audio.master import write_wav

    profile = voices.load_profile(state(ctx).settings(voice=voice).voice)
    clip = audition.say(text, profile, role)  # type: ignore[arg-type]
    write_wav(clip, output)
    if not state(ctx).quiet:
        click.echo(f"Wrote {output} ({clip.duration_ms / 1000:.1f} s)", err=True)
