"""Live narration for `narrate serve`: an article spoken into a listener's stream as it is made.

One synthesis pool serves the server's whole life, shared in turns by at most `max_live`
narrations at once. A URL is checked (http(s), the host allowlist, the private-address guard)
before it may take a narration's place; each narration's cues are kept under the id its page
gave, so the page's transcript can grow as the audio is spoken.
"""

from __future__ import annotations

import collections
import logging
import os
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, BinaryIO
from urllib.parse import urlencode, urlsplit

from narrate import pipeline
from narrate.article import fetch
from narrate.audio import synthesize, voices
from narrate.audio.executor import LocalExecutor
from narrate.audio.lanes import SharedExecutor
from narrate.config import AI_DISCLOSURE, Settings
from narrate.errors import ExtractionError, FetchError, InputError, NarrateError
from narrate.models import Cue, Layout
from narrate.web import page

log = logging.getLogger(__name__)

RETRY_AFTER_S = 30
"""What a listener turned away because every narration is busy is told to wait."""
KEPT_TRANSCRIPTS = 32
"""Transcripts of recent narrations kept for their pages; older ones are forgotten."""
ASSETS = "/_live/"
"""Where the server serves the live page's player.js and player.css (from the package)."""
CSP = page.CSP + "; connect-src 'self'"
"""The live page also asks its server for the transcript as it grows."""
_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


@dataclass(frozen=True)
class LiveLimits:
    """What a server narrates live, and how much at once."""

    max_live: int = Settings.max_live
    """Narrations at once; more listeners get 503 with Retry-After."""
    allow_hosts: tuple[str, ...] = Settings.allow_host
    """Only these hosts and their subdomains; empty: any public host."""

    @classmethod
    def from_settings(cls, settings: Settings) -> LiveLimits:
        """The limits these settings ask for."""
        return cls(max_live=settings.max_live, allow_hosts=settings.allow_host)


class Refused(Exception):
    """A request the server will not narrate: its HTTP status and one line saying why."""

    def __init__(self, status: HTTPStatus, message: str, retry_after_s: int | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after_s = retry_after_s


def failure_status(error: NarrateError) -> HTTPStatus:
    """The status of a narration that failed before its first byte."""
    if isinstance(error, FetchError) and error.reason == "bad URL":
        return HTTPStatus.BAD_REQUEST
    if isinstance(error, FetchError) and error.reason == "blocked destination":
        return HTTPStatus.FORBIDDEN  # a redirect to a private address
    if isinstance(error, FetchError | InputError | ExtractionError):
        return HTTPStatus.BAD_GATEWAY  # the page could not be fetched or holds no article
    return HTTPStatus.INTERNAL_SERVER_ERROR


def host_allowed(host: str, allow_hosts: tuple[str, ...]) -> bool:
    """True when no allowlist is set, or host is one of its names or their subdomains."""
    host = host.lower().rstrip(".")
    return not allow_hosts or any(host == a or host.endswith("." + a) for a in allow_hosts)


class Transcript:
    """The cues of one narration so far, for a page that asks what is new."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cues: list[Cue] = []
        self._placed = 0
        """Cues the current narration has placed."""
        self.done = False
        self.error: str | None = None
        """Why the narration failed, when it did."""

    def begin(self) -> None:
        """A narration starts: the first, or the same page's audio asked for again."""
        with self._lock:
            self._placed = 0
            self.done, self.error = False, None

    def add(self, cue: Cue) -> None:
        """The next cue placed; one an earlier narration already gave (from the same cached
        clips, so at the same time) is not given twice."""
        with self._lock:
            if self._placed >= len(self._cues):
                self._cues.append(cue)
            self._placed += 1

    def fail(self, message: str) -> None:
        """The narration ended early, or never began: tell its page why."""
        self.error = message
        self.done = True

    def news(self, first: int) -> dict[str, Any]:
        """What a page polling from cue `first` on is told: the cues' markup, where each goes.

        A page places each sentence by its `block` (page.block_of) and shows it once it is
        spoken; `next` is where to ask from next time, `done` says no more will come.
        """
        first = max(0, first)
        with self._lock:
            done = self.done  # read first: a cue added after this is still sent next time
            cues = self._cues[first:]
            previous = self._cues[first - 1].role if 0 < first <= len(self._cues) else None
        out = []
        for cue in cues:
            out.append(
                {"html": page.sentence_html(cue), "block": page.block_of(previous, cue.role)}
            )
            previous = cue.role
        return {"cues": out, "next": first + len(cues), "done": done, "error": self.error}


class Live:
    """The server's narrations: the shared pool, the places, the checks and the transcripts."""

    def __init__(
        self, opts: pipeline.Options, limits: LiveLimits, executor: SharedExecutor | None = None
    ):
        """`executor`: workers of the caller's to share (it closes them); None starts this one's."""
        self.opts = opts
        self.limits = limits
        self._own = executor is None
        if executor is None:
            workers = opts.workers or os.cpu_count() or 1
            # The forkserver imports the pipeline, so the extraction workers forked for each
            # article start with trafilatura loaded; the synthesis workers start and load the
            # voices now, so the first listener finds them warm.
            local = LocalExecutor(workers, preload=[pipeline.__name__])
            executor = SharedExecutor(local, depth=workers)
            executor.start(synthesize.voices_of(voices.load_profile(opts.profile)))
        self._shared = executor
        self._places = threading.BoundedSemaphore(limits.max_live)
        self._lock = threading.Lock()
        self._transcripts: collections.OrderedDict[str, Transcript] = collections.OrderedDict()

    def check(self, url: str | None) -> None:
        """Refused (400, 403) unless url is a public http(s) page on an allowed host."""
        if not url:
            raise Refused(HTTPStatus.BAD_REQUEST, "give the article as ?url=https://…")
        try:
            host = fetch.check_destination(url, self.opts.limits)
        except FetchError as exc:
            raise Refused(failure_status(exc), str(exc)) from exc
        if not host_allowed(host, self.limits.allow_hosts):
            raise Refused(
                HTTPStatus.FORBIDDEN,
                f"{host} is not among the hosts this server narrates "
                f"({', '.join(self.limits.allow_hosts)})",
            )

    @contextmanager
    def place(self) -> Iterator[None]:
        """One of the narrations at once, or Refused 503 with Retry-After when all are taken."""
        if not self._places.acquire(blocking=False):
            raise Refused(
                HTTPStatus.SERVICE_UNAVAILABLE,
                f"all {self.limits.max_live} live narrations are busy; try again shortly",
                RETRY_AFTER_S,
            )
        try:
            yield
        finally:
            self._places.release()

    def narrate(self, url: str, sink: BinaryIO, transcript: Transcript | None = None) -> Layout:
        """Speak url into sink as it is synthesised (call within place()); cues to transcript.

        Raises ListenerGone when the reader goes away: the sentences not yet begun are
        dropped. Every clip synthesised lands in the clip cache, so the next listener of the
        same article hears it at once.
        """
        transcript = transcript or Transcript()
        transcript.begin()
        lane = self._shared.lane()
        try:
            layout = pipeline.stream_article(
                url, sink, self.opts, executor=lane, on_cue=transcript.add
            )
        except NarrateError as exc:
            transcript.fail(str(exc))
            raise
        finally:
            lane.close()
            transcript.done = True
        return layout

    def reserve(self) -> str:
        """A new transcript's id, for a page about to play a narration."""
        transcript_id = secrets.token_urlsafe(12)
        with self._lock:
            self._transcripts[transcript_id] = Transcript()
            while len(self._transcripts) > KEPT_TRANSCRIPTS:
                self._transcripts.popitem(last=False)
        return transcript_id

    def transcript(self, transcript_id: str | None) -> Transcript | None:
        """The transcript reserved under that id, if it is still kept."""
        if not transcript_id or not _ID.match(transcript_id):
            return None
        with self._lock:
            return self._transcripts.get(transcript_id)

    def close(self) -> None:
        """Stop the synthesis workers, if they are this one's."""
        if self._own:
            self._shared.close()


def render_page(url: str, transcript_id: str) -> str:
    """The listening page in live mode: it plays /listen and grows its transcript from /cues."""
    host = urlsplit(url).hostname or url
    audio = "/listen?" + urlencode({"url": url, "id": transcript_id})
    return page.fill(
        page.template("live.html"),
        head=page.head(f"Listening: {host}", ASSETS + "player.css", CSP),
        js=ASSETS + "player.js",
        site=host,
        original=page.original_link(url),
        disclosure=AI_DISCLOSURE,
        audio=audio,
        cues="/cues?" + urlencode({"id": transcript_id}),
        speeds=page.speeds_html(),
    )
