"""Measure the level of every delivery of the bundled voice profiles into voices/levels.json.

Run after changing a bundled profile's voice, pitch or gain, or levels.PASSAGE; a test checks
that the shipped levels still match a fresh measurement.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict
from pathlib import Path

from narrate.audio import levels, voices
from narrate.audio.cache import ClipCache

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    found: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as work:
        cache = ClipCache(Path(work))
        for profile in voices.list_profiles():
            for variant in [None, *profile.variants]:
                try:
                    chosen = profile if variant is None else profile.for_language(variant)
                    measured = levels.measure(chosen, cache)
                except Exception as exc:  # a variant whose voice is not installed here
                    print(f"skipping {profile.name} {variant or ''}: {exc}")
                    continue
                found.update({k: asdict(v) for k, v in measured.items()})
    out = ROOT / "voices" / "levels.json"
    body = {"version": levels.VERSION, "levels": dict(sorted(found.items()))}
    out.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(found)} levels to {out}")


if __name__ == "__main__":
    main()
