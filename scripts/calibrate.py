"""Measure the level of every delivery of the bundled voice profiles into voices/levels.json.

Run after changing a bundled profile's voice, pitch or gain, or levels.PASSAGE; a test checks
that the shipped levels still match a fresh measurement.
"""

from __future__ import annotations

import json
import statistics
import tempfile
from pathlib import Path

from narrate.audio import levels, voices
from narrate.audio.cache import ClipCache

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 8


def main() -> None:
    found: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as work:
        for profile in voices.list_profiles():
            for variant in [None, *profile.variants]:
                chosen = profile if variant is None else profile.for_language(variant)
                try:
                    # Piper's noise moves a measurement by ±0.3 LU: ship the mean of several.
                    runs = [
                        levels.measure(chosen, ClipCache(Path(work) / str(i)))
                        for i in range(ROUNDS)
                    ]
                except Exception as exc:  # a variant whose voice is not installed here
                    print(f"skipping {profile.name} {variant or ''}: {exc}")
                    continue
                for key in runs[0]:
                    found[key] = {
                        "lufs": round(statistics.mean(r[key].lufs for r in runs), 2),
                        "limiter_loss": round(
                            statistics.mean(r[key].limiter_loss for r in runs), 2
                        ),
                    }
    out = ROOT / "voices" / "levels.json"
    body = {"version": levels.VERSION, "levels": dict(sorted(found.items()))}
    out.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(found)} levels to {out}")


if __name__ == "__main__":
    main()
