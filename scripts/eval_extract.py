"""Compare narrate's narrated body with plain `trafilatura.extract` on the shared article corpus.

Three sets, both extractors in the same run:
- scrapinghub's article-extraction benchmark (181 pages), scored with that benchmark's metric:
  `\\w+` tokens, 4-token shingles with counts, per page tp/fp/fn from the shingle multisets divided
  by (tp+fp+fn); precision and recall are means over pages (pages with tp+fp = 0 left out of
  precision, tp+fn = 0 out of recall) and F1 comes from those two means;
- Readability's test pages (real ones, not synthetic): token-bag precision / recall / F1;
- trafilatura's test pages: snippets that must be in the text (`expected_with`) or not
  (`expected_without`), scored as trafilatura's own evaluation does.
The narrated body leaves out the disclaimer, the spoken headline, the byline/date line and the
truncation note (narrate's own lines, not the page's).
Also the median extraction + segmentation time per page, as CPU time of the process (the machine
is shared, and waiting for a core is not narrate's time). Run with `make eval`; prints a note and
exits 0 when the corpus is not there.
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

ARTICLES = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "articles"
WORD = re.compile(r"\w+")
SHINGLE = 4
Scores = tuple[float, float, float]


def _shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = WORD.findall(text)
    return Counter(tuple(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1))


def shingle_counts(got: str, expected: str) -> Scores:
    """The benchmark's per-page (tp, fp, fn), each divided by tp+fp+fn."""
    g, e = _shingles(got), _shingles(expected)
    tp = sum((g & e).values())
    fp = sum((g - e).values())
    fn = sum((e - g).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def benchmark_prf(pages: list[Scores]) -> Scores:
    """Precision and recall as means over pages, F1 from the two means."""
    precisions = [tp / (tp + fp) for tp, fp, _ in pages if tp + fp > 0]
    recalls = [tp / (tp + fn) for tp, _, fn in pages if tp + fn > 0]
    p = statistics.fmean(precisions) if precisions else 0.0
    r = statistics.fmean(recalls) if recalls else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def token_prf(got: str, expected: str) -> Scores:
    """Bag-of-tokens precision, recall and F1, lower-cased."""
    g, e = Counter(WORD.findall(got.lower())), Counter(WORD.findall(expected.lower()))
    common = sum((g & e).values())
    if not common:
        return 0.0, 0.0, 0.0
    p, r = common / sum(g.values()), common / sum(e.values())
    return p, r, 2 * p * r / (p + r)


def snippet_counts(got: str, row: dict[str, Any]) -> tuple[int, int, int, int]:
    """(tp, fn, fp, tn) over a page's expected_with / expected_without snippets."""
    text = " ".join(got.split())
    present = [" ".join(s.split()) in text for s in row.get("expected_with") or []]
    leaked = [" ".join(s.split()) in text for s in row.get("expected_without") or []]
    return sum(present), len(present) - sum(present), sum(leaked), len(leaked) - sum(leaked)


def _narrated(html: str, url: str | None) -> tuple[str, float, int, int, str | None, bool]:
    """narrate's body text, its time in seconds, heading and quote block counts, error, paywall."""
    from narrate.article.extract import extract
    from narrate.article.paywall import truncation_note
    from narrate.article.segment import credit_line, segment
    from narrate.errors import NarrateError
    from narrate.models import Page

    start = time.process_time()
    try:
        article = extract(Page(html, url))
        script = segment(article, disclaimer=None)
    except NarrateError as err:
        return "", time.process_time() - start, 0, 0, str(err), False
    seconds = time.process_time() - start
    # Our own lines are not the page's text: the credit line and the truncation note.
    ours = {credit_line(article), truncation_note(article.site, article.lang)}
    body = [
        s.text
        for s in script.segments
        if s.role != "title" and not (s.role == "narration" and s.text in ours)
    ]
    headings = sum(1 for b in article.blocks if b.kind == "heading")
    quotes = sum(1 for b in article.blocks if b.kind == "quote")
    return "\n".join(body), seconds, headings, quotes, None, article.truncated


def _evaluate(row: dict[str, Any]) -> dict[str, Any]:
    import trafilatura

    raw = gzip.decompress((ARTICLES / row["file"]).read_bytes())
    html = raw.decode(row.get("charset") or "utf-8", errors="replace")
    narrated, seconds, headings, quotes, error, truncated = _narrated(html, row.get("url"))
    plain = trafilatura.extract(html, url=row.get("url")) or ""
    result: dict[str, Any] = {
        "id": row["id"],
        "set": row["file"].split("/")[0],
        "error": error,
        "ms": seconds * 1000,
        "headings": headings,
        "quotes": quotes,
        "truncated": truncated,
    }
    if result["set"] == "scrapinghub":
        result["narrate"] = shingle_counts(narrated, row["expected_text"])
        result["plain"] = shingle_counts(plain, row["expected_text"])
    elif result["set"] == "readability":
        result["narrate"] = token_prf(narrated, row["expected_text"])
        result["plain"] = token_prf(plain, row["expected_text"])
        blocks = row.get("expected_blocks") or []
        result["expected_headings"] = sum(1 for b in blocks if b["type"] == "heading")
        result["expected_quotes"] = sum(1 for b in blocks if b["type"] == "quote")
    else:
        result["narrate"] = snippet_counts(narrated, row)
        result["plain"] = snippet_counts(plain, row)
    return result


def _selected(row: dict[str, Any]) -> bool:
    kind = row["file"].split("/")[0]
    if kind == "trafilatura":
        return bool(row.get("expected_with") or row.get("expected_without"))
    return bool(row["expected_text"]) and not row["synthetic"]


def _snippet_prf(pages: list[tuple[int, int, int, int]]) -> Scores:
    tp, fn, fp, _ = (sum(c) for c in zip(*pages, strict=True))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def _print_set(title: str, results: list[dict[str, Any]], score: Any) -> None:
    print(f"\n{title} ({len(results)} pages)")
    print(f"{'extractor':<24}{'precision':>10}{'recall':>10}{'F1':>10}")
    for name, label in (("plain", "trafilatura.extract"), ("narrate", "narrate")):
        p, r, f = score([r[name] for r in results])
        print(f"{label:<24}{p:>10.4f}{r:>10.4f}{f:>10.4f}")


def _mean_prf(pages: list[Scores]) -> Scores:
    return tuple(statistics.fmean(s[i] for s in pages) for i in range(3))  # type: ignore[return-value]


def _page_f1(result: dict[str, Any], name: str) -> float:
    if result["set"] == "scrapinghub":
        tp, fp, fn = result[name]
        return 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return result[name][2]


def main() -> int:
    """Evaluate and print the comparison tables; an optional argument caps the page count."""
    logging.disable(logging.WARNING)  # trafilatura warns about every page it finds thin
    manifest = ARTICLES / "manifest.jsonl"
    if not manifest.is_file():
        print(f"note: corpus not found at {ARTICLES.resolve()}; nothing to evaluate")
        return 0
    rows = [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if _selected(r)]
    if len(sys.argv) > 1:
        rows = rows[: int(sys.argv[1])]
    started = time.perf_counter()
    with Pool(2) as pool:
        results = pool.map(_evaluate, rows, chunksize=4)
    wall = time.perf_counter() - started
    by_set = {s: [r for r in results if r["set"] == s] for s in ("scrapinghub", "readability")}
    by_set["trafilatura"] = [r for r in results if r["set"] == "trafilatura"]

    print(f"{len(results)} pages ({wall:.0f} s wall, 2 processes)")
    _print_set("scrapinghub benchmark, its shingle metric", by_set["scrapinghub"], benchmark_prf)
    _print_set("Readability pages, token bag", by_set["readability"], _mean_prf)
    _print_set("trafilatura pages, snippets", by_set["trafilatura"], _snippet_prf)
    timed = [r["ms"] for r in results if r["set"] != "trafilatura"]
    print(f"\nnarrate extract+segment: median {statistics.median(timed):.0f} ms/page (CPU)")
    flagged = [r["id"] for r in results if r["truncated"]]
    print(f"flagged as paywalled teasers: {len(flagged)} {' '.join(flagged)}")

    errors = [r for r in results if r["error"]]
    print(f"\nnarrate errors: {len(errors)}")
    for r in errors:
        print(f"  {r['id']}: {r['error']}")
    readability = by_set["readability"]
    print(f"\nReadability pages ({len(readability)}): narrate found vs expected_blocks")
    print(f"{'':<10}{'found':>8}{'expected':>10}{'pages equal':>13}")
    for kind in ("headings", "quotes"):
        found = sum(r[kind] for r in readability)
        expected = sum(r[f"expected_{kind}"] for r in readability)
        equal = sum(1 for r in readability if r[kind] == r[f"expected_{kind}"])
        print(f"{kind:<10}{found:>8}{expected:>10}{equal:>9}/{len(readability)}")
    scored = [r for r in results if r["set"] != "trafilatura"]
    worse = sorted(scored, key=lambda r: _page_f1(r, "narrate") - _page_f1(r, "plain"))[:10]
    print("\nlargest F1 losses against trafilatura.extract:")
    for r in worse:
        ours, theirs = _page_f1(r, "narrate"), _page_f1(r, "plain")
        print(f"  {r['id']}: narrate {ours:.3f} vs plain {theirs:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
