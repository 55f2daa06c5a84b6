"""Score narrate's narration script on the narration development set (in-body junk pages).

Per page and overall: include (share of `must_include` narrated), junk (share of `must_exclude`
narrated; lower is better), headings (expected chapter headings found in order, divided by the
larger of expected and produced heading counts, so extra chapters cost too), quotes (share of
`quotes` inside a quote segment), order (1 when the `order` strings are narrated in order), lang,
title (1 when the title matches and the headline is spoken once). The same substring
normalisation as the set's README: whitespace, no-break spaces included, collapsed; case kept.
Run with `make eval`; prints a note and exits 0 when the set is not there.
"""

from __future__ import annotations

import json
import logging
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

SET = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "narration"
METRICS = ("include", "junk", "headings", "quotes", "order", "lang", "title")
TARGETS = {
    "include": 0.98,
    "junk": 0.01,
    "headings": 0.95,
    "quotes": 0.90,
    "order": 1.0,
    "lang": 1.0,
    "title": 1.0,
}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _in_order(found: list[str], expected: list[str]) -> int:
    """Length of the longest common subsequence of the two heading lists."""
    table = [[0] * (len(expected) + 1) for _ in range(len(found) + 1)]
    for i, f in enumerate(found):
        for j, e in enumerate(expected):
            best = max(table[i][j + 1], table[i + 1][j])
            table[i + 1][j + 1] = table[i][j] + 1 if f == e else best
    return table[-1][-1]


def _ordered(text: str, strings: list[str]) -> bool:
    position = 0
    for s in strings:
        found = text.find(s, position)
        if found < 0:
            return False
        position = found + len(s)
    return True


def score_page(html: str, expected: dict[str, Any]) -> tuple[dict[str, float], dict[str, Any]]:
    """Narrate one page and score it against its expected.json; also return what went wrong."""
    from narrate.article.extract import extract
    from narrate.article.segment import segment
    from narrate.models import Page

    article = extract(Page(html, None))
    script = segment(article, disclaimer=None)
    segments = [(s.role, _norm(s.text)) for s in script.segments]
    text = "\n".join(t for _, t in segments)
    quoted = "\n".join(t for role, t in segments if role == "quote")
    headings = [_norm(c.title) for c in script.chapters[1:]]
    include = [s for s in expected["must_include"] if s not in text]
    junk = [s for s in expected["must_exclude"] if s in text]
    quotes = [s for s in expected["quotes"] if s not in quoted]
    wanted = [_norm(h) for h in expected["headings"]]
    matched = _in_order(headings, wanted)
    title = _norm(expected["title"])
    title_ok = _norm(script.title) == title and text.count(title) == 1
    scores = {
        "include": 1 - len(include) / len(expected["must_include"]),
        "junk": len(junk) / len(expected["must_exclude"]),
        "headings": matched / max(len(wanted), len(headings)) if wanted or headings else 1.0,
        "quotes": 1 - len(quotes) / len(expected["quotes"]) if expected["quotes"] else 1.0,
        "order": float(_ordered(text, expected["order"])),
        "lang": float(script.lang == expected["lang"]),
        "title": float(title_ok),
    }
    misses = {
        "missing": include,
        "junk": junk,
        "quotes": quotes,
        "extra headings": [h for h in headings if h not in wanted],
        "missed headings": [h for h in wanted if h not in headings],
        "title": [] if title_ok else [script.title, text.count(title)],
        "truncated": getattr(script, "truncated", None),
    }
    return scores, misses


def main() -> int:
    """Print the per-page and overall table; -v also prints what each page got wrong."""
    verbose = "-v" in sys.argv
    logging.disable(logging.WARNING)  # the paywalled page's warning is the "trunc" column here
    pages = sorted(SET.glob("*.expected.json"))
    if not pages:
        print(f"note: narration set not found at {SET.resolve()}; nothing to evaluate")
        return 0
    rows: list[tuple[str, dict[str, float], dict[str, Any], float]] = []
    for path in pages:
        name = path.name.removesuffix(".expected.json")
        expected = json.loads(path.read_text(encoding="utf-8"))
        html = (SET / f"{name}.html").read_text(encoding="utf-8")
        start = time.process_time()  # CPU time: the machine is shared
        scores, misses = score_page(html, expected)
        rows.append((name, scores, misses, (time.process_time() - start) * 1000))

    print(f"narration set: {len(rows)} pages (junk: lower is better)\n")
    print(f"{'page':<26}" + "".join(f"{m:>9}" for m in METRICS) + f"{'trunc':>7}{'ms':>6}")
    for name, scores, misses, ms in rows:
        cells = "".join(f"{scores[m]:>9.2f}" for m in METRICS)
        print(f"{name:<26}{cells}{str(misses['truncated'])[:5]:>7}{ms:>6.0f}")
    means = {m: statistics.fmean(r[1][m] for r in rows) for m in METRICS}
    print(f"{'overall':<26}" + "".join(f"{means[m]:>9.2f}" for m in METRICS))
    print(f"{'target':<26}" + "".join(f"{TARGETS[m]:>9.2f}" for m in METRICS))
    print(f"median ms/page (extract+segment, CPU): {statistics.median(r[3] for r in rows):.0f}")
    if verbose:
        for name, _, misses, _ in rows:
            shown = {k: v for k, v in misses.items() if v and k != "truncated"}
            if shown:
                print(f"\n{name}")
                for key, value in shown.items():
                    print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
