"""Feeds: read RSS/Atom/JSON feeds, keep batch state, publish the podcast feed."""
