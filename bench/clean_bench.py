"""Time HTML cleaning per article: trafilatura alone versus the whole ``clean_article``.

Run from the repository root: PYTHONPATH=. python bench/clean_bench.py [FILE_OR_DIR.html ...]
Without arguments it times the dev set's HTML article. Pages are decoded as UTF-8; each is
cleaned ``--repeat`` times after one warm-up call (the first call compiles the rule table and
warms trafilatura, about half a second).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import trafilatura

from processors.analysis.clean import clean_article

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def pages(arguments: list[str]) -> list[tuple[str, str]]:
    """(name, html) of the given files and of the ``*.html`` files in the given folders."""
    if not arguments:
        articles = [json.loads(line) for line in (EXAMPLES / "niger-2023.jsonl").open()]
        return [(a["url"].rsplit("/", 1)[-1][:40], a["html"]) for a in articles if a.get("html")]
    found = []
    for argument in map(Path, arguments):
        files = sorted(argument.glob("*.html")) if argument.is_dir() else [argument]
        found += [(f.name, f.read_bytes().decode("utf-8", "replace")) for f in files]
    return [(name, html) for name, html in found if html.strip()]


def median_ms(call, repeat: int) -> float:
    """Median wall time of ``call`` in milliseconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def main() -> None:
    """Print one row per page and the median over pages."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    found = pages(args.paths)
    clean_article(text=None, html=found[0][1], language=None)  # warm-up
    print(f"{'page':<42} {'KB':>6} {'trafilatura ms':>14} {'clean ms':>9} {'paras':>5} {'removed':>7}")
    rows = []
    for name, html in found:
        extract_ms = median_ms(
            lambda html=html: trafilatura.extract(
                html, favor_precision=True, include_comments=False, include_tables=False
            ),
            args.repeat,
        )
        clean_ms = median_ms(
            lambda html=html: clean_article(text=None, html=html, language=None), args.repeat
        )
        cleaned = clean_article(text=None, html=html, language=None)
        paragraphs = len(cleaned.text.split("\n\n")) if cleaned.text else 0
        rows.append((extract_ms, clean_ms))
        print(
            f"{name[:42]:<42} {len(html.encode()) / 1024:>6.0f} {extract_ms:>14.1f} "
            f"{clean_ms:>9.1f} {paragraphs:>5} {cleaned.removed_lines:>7}"
        )
    print(
        f"{'median':<42} {'':>6} {statistics.median(r[0] for r in rows):>14.1f} "
        f"{statistics.median(r[1] for r in rows):>9.1f}"
    )


if __name__ == "__main__":
    main()
