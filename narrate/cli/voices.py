"""The commands about how narrate sounds: `voices` (and `voices check`) and `lexicon show`."""

from __future__ import annotations

from pathlib import Path

import click

from narrate.cli.flags import global_flags
from narrate.errors import NarrateError


@click.group(invoke_without_command=True)
@global_flags
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
@global_flags
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


@click.group()
@global_flags
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
@global_flags
def lexicon_show(word: str, lang: str, files: tuple[Path, ...]) -> None:
    """Print espeak-ng's phonemes for WORD without and with the lexicon."""
    from narrate.speech import lexicon_file, pronounce

    without, with_ = pronounce.lexicon_show(word, lang, lexicon_file.load_lexicon(lang, files))
    click.echo(f"without lexicon: {without}")
    click.echo(f"with lexicon:    {with_}")
