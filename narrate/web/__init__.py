"""Web: serving what narrate publishes."""

HOST = "127.0.0.1"
"""Where `narrate serve` listens unless told otherwise: this machine only."""
DEFAULT_PORT = 8000
