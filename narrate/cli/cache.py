"""The `cache info` and `cache clear` commands."""

from __future__ import annotations

import click

from narrate.cli.flags import global_flags


@click.group()
@global_flags
def cache() -> None:
    """Inspect or clear the cache of clips, scripts and episodes (NARRATE_CACHE_DIR)."""


@cache.command("info")
@global_flags
def cache_info() -> None:
    """Show where the cache is and how big it is."""
    from narrate.audio.cache import ClipCache

    store = ClipCache()
    clips, size = store.info()
    scripts, episodes = store.kept()
    click.echo(
        f"{store.root}: {clips} clips, {scripts} scripts, {episodes} episodes, {size / 1e6:.1f} MB"
    )


@cache.command("clear")
@global_flags
def cache_clear() -> None:
    """Remove every cached clip, script and episode."""
    from narrate.audio.cache import ClipCache

    store = ClipCache()
    scripts, episodes = store.kept()
    click.echo(f"Removed {store.clear()} clips, {scripts} scripts and {episodes} episodes")
