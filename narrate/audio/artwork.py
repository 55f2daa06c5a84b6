"""Episode artwork: the article's lead image fitted onto the square canvas podcast apps want."""

from __future__ import annotations

import logging

from narrate.audio import ffmpeg
from narrate.errors import AudioError

log = logging.getLogger(__name__)

SIZE = 1400
"""Pixels a side: Apple Podcasts takes square artwork of 1400 to 3000 px; the least is smallest."""

_DECODERS = {"image/jpeg": "mjpeg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}


def square_jpeg(image: bytes, mime: str, size: int = SIZE) -> bytes | None:
    """The image scaled to fit a size×size canvas, centred, as JPEG; None if it cannot be read."""
    decoder = _DECODERS.get(mime)
    if decoder is None:
        return None
    fit = (
        f"scale={size}:{size}:force_original_aspect_ratio=decrease,"
        f"pad={size}:{size}:(ow-iw)/2:(oh-ih)/2:color=0x20252b,format=yuvj420p"
    )
    # The page's image is untrusted: the demuxer and decoder are fixed by its sniffed type and
    # only the pipe is allowed, so no probe can take it for a playlist that reads other files.
    args = ["-protocol_whitelist", "pipe", "-f", "image2pipe", "-c:v", decoder, "-i", "pipe:0"]
    args += ["-vf", fit, "-frames:v", "1", "-q:v", "3", "-f", "image2", "-c:v", "mjpeg", "pipe:1"]
    try:
        out = ffmpeg.run(args, input=image, timeout=60).stdout
    except AudioError as exc:
        log.info("no episode artwork: %s", exc)
        return None
    return out if out.startswith(b"\xff\xd8\xff") else None
