"""Compare narrate's narrated text with plain trafilatura on the shared article corpus.

Token precision / recall / F1 against the ground-truth body text of the English real-world pages,
heading and quote counts against Readability's typed blocks, and time per page.
Run with `make eval`; prints a note and exits 0 when the corpus is not there.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import statistics
import sys
import time
from collections import Counter
from multiprocessing import Pool
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"
ARTICLES = CORPUS / "articles"
WORD = re.compile(r"\w+")


def _tokens(text: str) -> Counter[str]:
    return Counter(WORD.findall(text.lower()))


def _prf(got: str, expected: str) -> tuple[float, float, float]:
    g, e = _tokens(got), _tokens(expected)
    common = sum((g & e).values())
    if not common:
        return 0.0, 0.0, 0.0
    p, r = common / sum(g.values()), common / sum(e.values())
    return p, r, 2 * p * r / (p + r)


def _evaluate(row: dict[str, Any]) -> dict[str, Any]:
    import trafilatura

    from narrate.article.extract import extract
    from narrate.article.segment import credit_line, segment
    from narrate.errors import NarrateError
    from narrate.models import Page

    raw = gzip.decompress((ARTICLES / row["file"]).read_bytes())
    html = raw.decode(row.get("charset") or "utf-8", errors="replace")
    result: dict[str, Any] = {"id": row["id"], "error": None}

    start = time.perf_counter()
    try:
        article = extract(Page(html, row.get("url")))
        script = segment(article, disclaimer=None)
        credit = credit_line(article)
        segments = [s for s in script.segments if not (s.role == "narration" and s.text == credit)]
        narrated = "\n".join(s.text for s in segments)
        headings = sum(1 for b in article.blocks if b.kind == "heading")
        quotes = sum(1 for b in article.blocks if b.kind == "quote")
    except NarrateError as err:
        narrated, headings, quotes = "", 0, 0
        result["error"] = str(err)
    result["narrate_s"] = time.perf_counter() - start

    start = time.perf_counter()
    plain = trafilatura.extract(html, url=row.get("url")) or ""
    result["plain_s"] = time.perf_counter() - start

    expected = row["expected_text"]
    result["narrate"] = _prf(narrated, expected)
    result["plain"] = _prf(plain, expected)
    result["headings"] = headings
    result["quotes"] = quotes
    blocks = row.get("expected_blocks")
    if blocks is not None:
        result["expected_headings"] = sum(1 for b in blocks if b["type"] == "heading")
        result["expected_quotes"] = sum(1 for b in blocks if b["type"] == "quote")
    return result


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def main() -> int:
    """Evaluate and print the comparison table."""
    logging.disable(logging.WARNING)  # trafilatura warns about every page it finds thin
    manifest = ARTICLES / "manifest.jsonl"
    if not manifest.is_file():
        print(f"note: corpus not found at {ARTICLES.resolve()}; nothing to evaluate")
        return 0
    rows = [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines()]
    rows = [
        r
        for r in rows
        if r["lang"] == "en"
        and not r["synthetic"]
        and r["ground_truth"] in ("full", "reference-output")
        and r["expected_text"]
    ]
    if len(sys.argv) > 1:
        rows = rows[: int(sys.argv[1])]
    started = time.perf_counter()
    with Pool(2) as pool:
        results = pool.map(_evaluate, rows, chunksize=4)
    wall = time.perf_counter() - started

    print(f"{len(results)} English pages with full ground truth ({wall:.0f} s wall, 2 processes)\n")
    print(f"{'extractor':<22}{'precision':>10}{'recall':>10}{'F1':>10}{'median s':>10}{'p90 s':>8}")
    for name in ("plain", "narrate"):
        scores = [r[name] for r in results]
        times = sorted(r[f"{name}_s"] for r in results)
        label = "trafilatura.extract" if name == "plain" else "narrate (extract+seg)"
        print(
            f"{label:<22}"
            f"{_mean([s[0] for s in scores]):>10.3f}"
            f"{_mean([s[1] for s in scores]):>10.3f}"
            f"{_mean([s[2] for s in scores]):>10.3f}"
            f"{statistics.median(times):>10.3f}"
            f"{times[int(len(times) * 0.9)]:>8.3f}"
        )
    errors = [r for r in results if r["error"]]
    print(f"\nnarrate errors: {len(errors)}")
    for r in errors:
        print(f"  {r['id']}: {r['error']}")

    readability = [r for r in results if "expected_headings" in r]
    if readability:
        print(f"\nReadability pages ({len(readability)}): narrate found vs expected_blocks")
        print(f"{'':<10}{'found':>8}{'expected':>10}{'pages equal':>13}")
        for kind in ("headings", "quotes"):
            found = sum(r[kind] for r in readability)
            expected = sum(r[f"expected_{kind}"] for r in readability)
            equal = sum(1 for r in readability if r[kind] == r[f"expected_{kind}"])
            print(f"{kind:<10}{found:>8}{expected:>10}{equal:>9}/{len(readability)}")

    worse = sorted(results, key=lambda r: r["narrate"][2] - r["plain"][2])[:8]
    print("\nlargest F1 losses against trafilatura.extract:")
    for r in worse:
        print(f"  {r['id']}: narrate {r['narrate'][2]:.3f} vs plain {r['plain'][2]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
