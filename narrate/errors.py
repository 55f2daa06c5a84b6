"""One error hierarchy; every message says what went wrong and what to do next."""

from __future__ import annotations

from datetime import datetime


class NarrateError(Exception):
    """Base class: the CLI prints these as one line `Error: …` and exits non-zero."""

    exit_code = 1


class InputError(NarrateError):
    """The source cannot be read, is not HTML, or holds no article."""


class FetchError(NarrateError):
    """A URL could not be fetched; `reason` is a short tag such as `HTTP 404` or `timed out`."""

    def __init__(
        self,
        message: str,
        reason: str = "fetch failed",
        transient: bool = False,
        retry_after: float | datetime | None = None,
    ):
        super().__init__(message)
        self.reason = reason
        self.transient = transient
        self.retry_after = retry_after
        """What the server's Retry-After said: seconds to wait, or the UTC time to wait for."""


class ExtractionError(NarrateError):
    """The page holds no article text that narrate can find."""


class VoiceError(NarrateError):
    """A voice profile or model is missing or invalid."""


class SynthesisError(NarrateError):
    """Piper failed on a piece of text."""


class AudioError(NarrateError):
    """ffmpeg or tagging failed."""


class ListenerGone(Exception):
    """The reader of a streamed narration went away (a closed pipe or connection): no error."""


class ConfigError(NarrateError):
    """A configuration, profile or lexicon file is invalid."""
