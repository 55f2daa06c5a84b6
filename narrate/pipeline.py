"""Composes the stages: source → Page → Article → Script → clips → Timeline → Episode files."""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from narrate import replay
from narrate.article import fetch
from narrate.audio import voices
from narrate.config import ExtractLimits, FetchLimits, Settings
from narrate.errors import InputError, NarrateError
from narrate.files import atomic_path, write_bytes_atomic, write_text_atomic
from narrate.models import ROLES, Cue, Episode, Layout, Page, Progress, Script
from narrate.outputs import artwork_path, check_output, default_output, extra_transcripts, sidecars

# Extraction (trafilatura) and synthesis (ONNX Runtime, Piper) are imported where they run, so
# that an article replayed from the cache (narrate.replay) loads neither.
if TYPE_CHECKING:
    from narrate import workers as pool
    from narrate.audio import bumper
    from narrate.audio.executor import Executor

log = logging.getLogger(__name__)

WORKER_MODULES = (
    __name__,
    "narrate.article.extract",
    "narrate.article.segment",
    "narrate.speech.lexicon_file",
    "narrate.audio.engine",
)
"""What a run's workers use, for the forkserver to import once when a pool that forks from it
(a feed's extraction or synthesis) starts it first. An article's extraction worker is forked
from narrate instead (extraction_pool), and its synthesis pool preloads Piper alone."""


@dataclass(frozen=True)
class Options:
    """What one narration may vary; defaults are the documented ones."""

    profile: str | None = None
    """Voice profile name or path; None is voices/default.toml."""
    disclaimer: str | None = Settings.disclaimer
    """Spoken first; None only when the user disables it explicitly."""
    truncation_note: bool = Settings.truncation_note
    """Close a paywalled teaser by saying the rest is for the site's subscribers."""
    bitrate: str = Settings.bitrate
    """MP3 bitrate (CBR)."""
    workers: int | None = None
    """Synthesis processes; None is one per core."""
    cover: bool = True
    """Fetch the page's lead image as cover art."""
    lexicons: tuple[Path, ...] = ()
    """User pronunciation lexicons, applied over the bundled one in order."""
    intro: Path | None = None
    """Audio before the disclaimer; None is the voice profile's."""
    outro: Path | None = None
    """Audio after the last words; None is the voice profile's."""
    bumper_fade_in_ms: int | None = None
    """Fade-in of the intro and outro; None is the voice profile's."""
    bumper_fade_out_ms: int | None = None
    """Fade-out of the intro and outro; None is the voice profile's."""
    limits: FetchLimits = field(default_factory=FetchLimits)
    extract: ExtractLimits = field(default_factory=ExtractLimits)

    @classmethod
    def from_settings(cls, settings: Settings, *, cover: bool = True) -> Options:
        """The options these settings describe; `cover` is a flag of the article command only."""
        return cls(
            profile=settings.voice,
            disclaimer=settings.disclaimer,
            truncation_note=settings.truncation_note,
            bitrate=settings.bitrate,
            workers=settings.workers,
            cover=cover,
            lexicons=settings.lexicon,
            intro=settings.intro,
            outro=settings.outro,
            bumper_fade_in_ms=settings.bumper_fade_in_ms,
            bumper_fade_out_ms=settings.bumper_fade_out_ms,
            limits=settings.fetch,
            extract=settings.extract,
        )


def _page_script(_state: None, task: tuple[Page, Options, tuple[Path, ...] | None]) -> Script:
    """Extract, then segment with the lexicons for the article's language (None: no lexicon)."""
    from narrate.article import extract, segment
    from narrate.speech import lexicon_file

    page, opts, lexicons = task
    article = extract.extract(page)
    words = None if lexicons is None else lexicon_file.load_lexicon(article.lang, lexicons)
    return segment.segment(
        article, disclaimer=opts.disclaimer, lexicon=words, truncation_note=opts.truncation_note
    )


def _import_extraction(_arg: None) -> None:
    """A worker's start: what extraction needs is imported before the page arrives."""
    from narrate.article import extract, segment  # noqa: F401
    from narrate.speech import lexicon_file  # noqa: F401


def extraction_pool(opts: Options) -> pool.Pool:
    """An extraction worker, starting now and bounded in time and memory.

    While this process has no other thread yet, the worker is forked from it: it then imports
    trafilatura alongside the synthesis workers loading theirs, instead of before them in
    the forkserver they share (and its memory cap counts from the size it is forked at).
    """
    from narrate import workers as pool

    try:
        return pool.Pool(
            init=_import_extraction,
            init_arg=None,
            work=_page_script,
            processes=1,
            timeout_s=opts.extract.timeout_s,
            retries=0,  # the same page would fail the same way again
            memory_bytes=opts.extract.memory_mb * 1024 * 1024 or None,
            preload=WORKER_MODULES,
            fork_now=pool.one_thread(),
        )
    except OSError as exc:
        raise NarrateError(f"cannot start the extraction worker: {exc}") from exc


def script_from_page(
    page: Page, opts: Options, *, pronounce: bool = True, extraction: pool.Pool | None = None
) -> Script:
    """Extract and segment a page; with `pronounce`, the lexicons shape the spoken text.

    It runs in `extraction` (a worker from extraction_pool), else in a worker started now:
    a page that hangs, crashes or exhausts the HTML parser fails alone, with its reason.
    """
    from narrate import workers as pool

    source = page.url or "the page"
    task = (page, opts, opts.lexicons if pronounce else None)
    try:
        with extraction or extraction_pool(opts) as worker:
            outcome = worker.submit(task).result()
    except pool.PoolError as exc:
        raise NarrateError(f"cannot start the extraction worker: {exc}") from exc
    if not isinstance(outcome, pool.Failure):
        return outcome
    error = outcome.error
    if isinstance(error, NarrateError):
        raise error
    if isinstance(error, MemoryError):
        raise InputError(
            f"extracting {source} needed more than {opts.extract.memory_mb} MB "
            "(NARRATE_EXTRACT_MEMORY_MB raises the limit)"
        )
    if outcome.timed_out:
        raise InputError(
            f"extracting {source} took longer than {opts.extract.timeout_s:g} s "
            "(NARRATE_EXTRACT_TIMEOUT raises the limit)"
        )
    if outcome.crashed:
        raise InputError(f"the extractor crashed on {source} ({outcome.message})")
    what = f"{type(error).__name__}: {error}" if error is not None else outcome.message
    raise InputError(f"cannot extract {source}: {what}")


def script_from_html(html: str, url: str | None, opts: Options) -> Script:
    """Extract and segment HTML that is already in hand (e.g. a feed item's content)."""
    return script_from_page(Page(html=html, url=url), opts)


def load_script(source: str, opts: Options, *, pronounce: bool = True) -> Script:
    """Fetch or read a source, then extract and segment it."""
    return script_from_page(fetch.read_source(source, opts.limits), opts, pronounce=pronounce)


Bumpers = tuple["bumper.Bumper | None", "bumper.Bumper | None"]
"""An episode's intro and outro."""


def load_bumpers(opts: Options, profile: voices.Profile | None = None) -> Bumpers:
    """The intro and outro (the options', else the profile's) decoded at the voice's rate.

    Cheap once decoded (cached); called before fetching and synthesis, so a bad file costs nothing.
    """
    profile = profile or voices.load_profile(opts.profile)
    own = profile.bumpers
    intro, outro = opts.intro or own.intro, opts.outro or own.outro
    if intro is None and outro is None:
        return None, None
    rate = voices.resolve_model(profile.delivery("narration").model).sample_rate
    fade_in = own.fade_in_ms if opts.bumper_fade_in_ms is None else opts.bumper_fade_in_ms
    fade_out = own.fade_out_ms if opts.bumper_fade_out_ms is None else opts.bumper_fade_out_ms

    def load(path: Path | None, kind: str) -> bumper.Bumper | None:
        from narrate.audio import bumper

        return bumper.load_bumper(path, rate, fade_in, fade_out, kind=kind) if path else None

    return load(intro, "intro"), load(outro, "outro")


def narrate_script(
    script: Script,
    out: Path,
    opts: Options,
    progress: Progress | None = None,
    executor: Executor | None = None,
) -> Episode:
    """Speak and master a script into out (MP3) plus its transcript and chapters files.

    `executor` runs the synthesis (one for a whole run); None starts workers for this script.
    """
    from narrate.article import cover
    from narrate.audio import artwork, tag, transcript

    check_output(out)
    profile = profile_for(opts, script)
    bumpers = load_bumpers(opts, profile)
    art = cover.fetch_cover(script.image, opts.limits) if opts.cover else None
    with atomic_path(out) as tmp:
        layout, loudness = speak(script, profile, tmp, opts, progress, executor, bumpers)
        tag.write_tags(tmp, script, layout, cover=art)
    vtt, chapters = sidecars(out)
    write_text_atomic(vtt, transcript.render_vtt(layout.cues))
    write_text_atomic(chapters, transcript.render_chapters_json(layout.chapters, script))
    srt, json_transcript = extra_transcripts(out)
    write_text_atomic(srt, transcript.render_srt(layout.cues))
    write_text_atomic(json_transcript, transcript.render_transcript_json(layout.cues))
    square = artwork.square_jpeg(art.data, art.mime) if art else None
    if square:
        write_bytes_atomic(artwork_path(out), square)
    else:
        artwork_path(out).unlink(missing_ok=True)  # an earlier version's image is not this one's
    return Episode(
        audio=out,
        transcript=vtt,
        chapters_json=chapters,
        duration_ms=layout.duration_ms,
        chapters=layout.chapters,
        cues=layout.cues,
        loudness_lufs=loudness,
        script=script,
    )


def speak(
    script: Script,
    profile: voices.Profile,
    dest: Path | BinaryIO,
    opts: Options,
    progress: Progress | None = None,
    executor: Executor | None = None,
    bumpers: Bumpers = (None, None),
    on_cue: Callable[[Cue], None] | None = None,
) -> tuple[Layout, float]:
    """Synthesise, assemble and encode at once, each clip as soon as it is spoken, at the gain
    the voices' levels predict: into a stream, or a file of parts (narrate.audio.parts).
    Returns where everything is, and the loudness (LUFS) the audio will decode at.
    """
    from narrate.audio import bumper, encode, levels, master, parts, synthesize
    from narrate.audio.cache import ClipCache
    from narrate.audio.job import model_for

    cache = ClipCache()
    gain = levels.gain_db(script, levels.levels(profile, cache, executor))
    rate = model_for(profile.delivery("narration")).sample_rate
    deliveries = {role: profile.delivery(role) for role in ROLES}
    clips = synthesize.stream(
        script, profile, workers=opts.workers, progress=progress, cache=cache, executor=executor
    )
    checked = (master.at_rate(clip, rate) for _, clip in clips)
    if isinstance(dest, Path):
        return parts.write(script, profile, checked, dest, cache, gain, opts.bitrate, bumpers)
    intro, outro = bumper.at_level(bumpers, gain)
    assembler = master.Assembler(script, deliveries, intro=intro, outro=outro)
    encoder = encode.Encoder(rate, gain, dest, bitrate=opts.bitrate)
    try:
        for clip in checked:
            encoder.write(assembler.add(clip))
            if on_cue is not None:
                on_cue(assembler.last)
        tail, layout = assembler.finish()
        last = time.monotonic()
        loudness = encoder.close(tail)
        log.info("audio finished %.2f s after the last clip", time.monotonic() - last)
        return layout, loudness
    finally:
        encoder.abort()


def profile_for(opts: Options, script: Script) -> voices.Profile:
    """The voice profile that speaks a script: the chosen one, for the script's language."""
    return voices.load_profile(opts.profile).for_language(
        script.lang, explicit=opts.profile is not None
    )


@contextlib.contextmanager
def _run_executor(opts: Options, executor: Executor | None) -> Iterator[Executor]:
    """The caller's executor, or one for this narration that starts loading voices now."""
    if executor is not None:
        yield executor
        return
    from narrate.audio import synthesize
    from narrate.audio.executor import LocalExecutor

    # Its forkserver preloads Piper alone: an extraction_pool worker imports the rest itself.
    with LocalExecutor(opts.workers) as own:
        own.start(synthesize.voices_of(voices.load_profile(opts.profile)))
        yield own


def narrate_article(
    source: str,
    out: Path | None,
    opts: Options,
    progress: Progress | None = None,
    executor: Executor | None = None,
) -> Episode:
    """The main job: a URL, file or `-` to a chaptered MP3 (None: default_output's name).

    An unchanged page, or a changed page with an unchanged article, is replayed from the cache:
    then no worker is started.
    """
    if out is not None:
        check_output(out)
    load_bumpers(opts)  # a bad intro fails now; the language's voice is not known yet
    page = fetch.read_source(source, opts.limits)
    with contextlib.ExitStack() as stack:
        # Started for the first thing the cache cannot answer; the workers load their voices
        # while the page is extracted.
        running = functools.cache(lambda: stack.enter_context(_run_executor(opts, executor)))

        def extracted() -> Script:
            # First: forked before running() adds threads.
            extraction = stack.enter_context(extraction_pool(opts))
            running()
            return script_from_page(page, opts, extraction=extraction)

        script = _logged(replay.script(page, opts, extracted))
        if out is None:
            out = default_output(script, source)
            check_output(out)
        return replay.episode(
            script,
            (out, *sidecars(out), *extra_transcripts(out), artwork_path(out)),
            opts,
            profile_for(opts, script),
            lambda: narrate_script(script, out, opts, progress, running()),
        )


def stream_article(
    source: str,
    sink: BinaryIO,
    opts: Options,
    progress: Progress | None = None,
    executor: Executor | None = None,
    on_cue: Callable[[Cue], None] | None = None,
) -> Layout:
    """A URL, file or `-` spoken as MP3 into `sink` as it is synthesised (no tags or sidecars).

    Raises ListenerGone when the reader goes away.
    """
    load_bumpers(opts)
    with extraction_pool(opts) as extraction, _run_executor(opts, executor) as running:
        page = fetch.read_source(source, opts.limits)  # while the workers start
        script = _logged(script_from_page(page, opts, extraction=extraction))
        profile = profile_for(opts, script)
        bumpers = load_bumpers(opts, profile)
        layout, _ = speak(script, profile, sink, opts, progress, running, bumpers, on_cue)
        return layout


def _logged(script: Script) -> Script:
    log.info(
        "script: %d chapters, %d segments, %d sentences, language %s",
        len(script.chapters),
        len(script.segments),
        sum(len(s.sentences) for s in script.segments),
        script.lang,
    )
    return script
