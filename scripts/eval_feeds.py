"""Read every feed of the shared corpus with narrate.feed.read: items or a clear error, no crash.

Usage: python scripts/eval_feeds.py [CORPUS_FEEDS_DIR] [-v]
Prints one block per feed and a table of outcomes by manifest kind; exits 1 if anything crashed.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

from narrate.config import FetchLimits
from narrate.errors import NarrateError
from narrate.feed import read as feeds

DEFAULT = Path("/work/shared/corpus/feeds")


def main(argv: list[str]) -> int:
    """Read each manifest entry; report items, warnings and errors."""
    verbose = "-v" in argv
    args = [a for a in argv if a != "-v"]
    root = Path(args[0]) if args else DEFAULT
    manifest = [json.loads(line) for line in (root / "manifest.jsonl").read_text().splitlines()]
    limits = FetchLimits()
    outcomes: Counter[tuple[str, str]] = Counter()
    crashes = 0
    started = time.perf_counter()
    for row in manifest:
        if row["kind"] == "podcast-aux":
            continue
        path = root / row["file"]
        try:
            feed = feeds.load(str(path), limits).feed
            assert feed is not None
            outcome = "warning" if feed.warning else "ok"
            lines = feeds.describe(feed, limit=3 if verbose else 1)
        except NarrateError as exc:
            outcome, lines = "error", [f"error: {exc}"]
        except Exception:
            crashes += 1
            outcome, lines = "CRASH", ["CRASH:", traceback.format_exc()]
        outcomes[(row["kind"], outcome)] += 1
        print(f"{row['file']}  [{row['kind']}]")
        for line in lines:
            print(f"  {line}")
    elapsed = time.perf_counter() - started
    print()
    print(f"{'kind':<12} {'ok':>4} {'warning':>8} {'error':>6} {'CRASH':>6}")
    for kind in sorted({k for k, _ in outcomes}):
        counts = [outcomes[(kind, o)] for o in ("ok", "warning", "error", "CRASH")]
        print(f"{kind:<12} {counts[0]:>4} {counts[1]:>8} {counts[2]:>6} {counts[3]:>6}")
    print(f"{sum(outcomes.values())} feeds in {elapsed:.1f} s, {crashes} crashes")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
