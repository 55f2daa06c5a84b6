"""The `cache info` and `cache clear` commands."""

from __future__ import annotations

import click

from narrate.cli.flags import global_flags


@click.group()
@global_flags
def cache() -> None:
    """Inspect or clear the clip cache (NARRATE_CACHE_DIR)."""


@cache.command("info")
@global_flags
def cache_info() -> None:
    """Show where the cache is and how big it is."""
    from narrate.audio.cache import ClipCache

    store = ClipCache()
    entries, size = store.info()
    click.echo(f"{store.root}: {entries} clips, {size / 1e6:.1f} MB")


@cache.command("clear")
@global_flags
def cache_clear() -> None:
    """Remove every cached clip."""
    from narrate.audio.cache import ClipCache

    click.echo(f"Removed {ClipCache().clear()} clips")
