"""The `narrate feed` and `narrate serve` commands: parse, call batch/serve, print."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from narrate import web
from narrate.cli.flags import (
    bumper_options,
    global_flags,
    source_options,
    source_settings,
    state,
)
from narrate.cli.progress import bar as progress_bar
from narrate.cli.progress import cut

if TYPE_CHECKING:
    from narrate.feed import batch

_MARK = {
    "published": "new",
    "republished": "updated",
    "unchanged": "same",
    "skipped": "skipped",
    "failed": "FAILED",
    "waiting": "FAILED",
    "quarantined": "FAILED",
}


@click.command()
@click.argument("feeds", nargs=-1)
@click.option(
    "-o", "--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder."
)
@click.option("--base-url", metavar="URL", help="Public URL of the output folder.")
@click.option("--limit", type=int, help="Keep the newest N episodes.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Ignore items before DATE.")
@click.option("--workers", type=int, help="Synthesis processes [one per core].")
@click.option(
    "--cluster", metavar="ADDRESS", help="Synthesise on a Dask scheduler (tcp://HOST:8786, local)."
)
@click.option("--voice", metavar="PROFILE", help="Voice profile name or TOML path.")
@bumper_options
@source_options
@global_flags
@click.pass_context
def feed(ctx: click.Context, **kw: Any) -> None:
    """Narrate new and changed items of FEED... (RSS, Atom, JSON Feed, OPML) into a podcast."""
    from narrate.feed import batch  # feedparser and SQLite load only for this command
    from narrate.feed import config as feed_settings

    flags = state(ctx)
    config = feed_settings.from_settings(source_settings(flags, **kw))
    with progress_bar("Narrating", flags.quiet) as progress:
        summary = batch.run(config, progress)
    from narrate.web.site import write_site

    write_site(config.out)  # the listening pages show what feed.xml now lists
    click.echo(render_summary(summary))
    ctx.exit(summary.exit_code)


@click.command("serve")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--port", type=click.IntRange(0, 65535), default=web.DEFAULT_PORT, show_default=True)
@click.option(
    "--host",
    default=web.HOST,
    show_default=True,
    help="The address to listen on (a warning when other machines can reach it).",
)
@click.option("--no-live", is_flag=True, help="Only the folder: no /listen, /read or workers.")
@click.option("--max-live", type=int, help="Live narrations at once; more get 503.  [default: 2]")
@click.option(
    "--allow-host",
    multiple=True,
    metavar="HOST",
    help="Narrate only articles on HOST and its subdomains; repeatable.  [default: any]",
)
@click.option("--workers", type=int, help="Synthesis processes [one per core].")
@click.option("--voice", metavar="PROFILE", help="Voice profile name or TOML path.")
@source_options
@global_flags
@click.pass_context
def serve(ctx: click.Context, folder: Path, port: int, host: str, no_live: bool, **kw: Any) -> None:
    """Serve FOLDER on 127.0.0.1 with byte ranges, and narrate articles live at /listen?url=URL."""
    from narrate.web.serve import loopback
    from narrate.web.serve import serve as serve_folder

    settings = source_settings(state(ctx), **kw)
    live = None
    if not no_live:
        from narrate import pipeline
        from narrate.web.live import LiveLimits

        live = (pipeline.Options.from_settings(settings), LiveLimits.from_settings(settings))
    if not loopback(host):
        click.echo(
            f"Warning: serving on {host}: other machines can reach this server"
            + ("" if no_live else ", and have it narrate (see --allow-host)"),
            err=True,
        )

    def ready(base: str) -> None:
        click.echo(f"Serving {folder} at {base}feed.xml (Ctrl-C stops)", err=True)
        if live is not None:
            click.echo(f"Live: {base}read?url=URL (page), {base}listen?url=URL (MP3)", err=True)

    serve_folder(folder, port, ready, host=host, live=live)


def render_summary(summary: batch.RunSummary) -> str:
    """The summary table: one line per feed, per item touched, then the totals."""
    lines = []
    for f in summary.feeds:
        detail = f"{f.items} items" if f.status == "new" else f.detail
        if f.status == "new" and f.detail:
            detail += f"; {f.detail}"
        lines.append(f"feed   {f.status:<9} {cut(f.source, 60):<60} {detail}")
    for i in (*summary.items, *summary.failed_earlier):
        lines.append(f"{_MARK[i.outcome]:<7}{i.outcome:<12}{cut(i.title, 50):<50} {i.detail}")
    lines.append(
        f"{summary.narrated} narrated, {summary.in_feed} in {summary.feed_path}, "
        f"{summary.failed} failed, in {summary.elapsed_s:.1f} s"
    )
    return "\n".join(lines)
