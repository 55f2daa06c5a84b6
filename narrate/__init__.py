"""narrate: turn a news article into a narrated, chaptered MP3 with local Piper voices."""

from narrate.config import VERSION as __version__

__all__ = ["__version__"]
