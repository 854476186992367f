"""Seconds the temporal tagger takes on adversarial texts of growing length (was a unit test).

Two texts that once made the tagger quadratic (25 s): digits joined by hyphens with no white
space, and thousands of English dates in one sentence-less run. Each is tagged at 1x, 2x and 4x
its base length; a linear tagger takes about twice as long for twice the text:

    python bench/temporal_linearity.py [--base-fr 20000] [--base-en 3000] [--max-ratio 3.0]

Exit 1 if doubling a text multiplies its time by more than --max-ratio (timings on a shared
machine are noisy, so each size is timed three times and the fastest kept).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from processors.analysis.temporal import extract_dates  # noqa: E402

PUBLISHED = datetime(2023, 9, 4, tzinfo=UTC)


def adversarial_text(language: str, n: int) -> str:
    """The adversarial text of one language, with n units."""
    if language == "fr":
        return "-".join(str(number) for number in range(n))  # no white space at all
    return " ".join(f"on May {number % 28 + 1}, 20{number % 30:02d} at {number % 12 + 1} pm"
                    for number in range(n))


def fastest(text: str, language: str, repeat: int = 3) -> float:
    """Fastest of `repeat` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        extract_dates(text, published_at=PUBLISHED, language=language)
        best = min(best, time.perf_counter() - began)
    return best


def main(argv: list[str] | None = None) -> int:
    """Print seconds per size and the doubling ratios; exit 1 past --max-ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-fr", type=int, default=20_000)
    parser.add_argument("--base-en", type=int, default=3_000)
    parser.add_argument("--max-ratio", type=float, default=3.0)
    args = parser.parse_args(argv)
    extract_dates("Lundi 4 septembre.", published_at=PUBLISHED, language="fr")  # build tables once
    extract_dates("On Monday, 4 September.", published_at=PUBLISHED, language="en")
    status = 0
    print(f"{'language':<9}{'units':>8}{'chars':>10}{'seconds':>10}{'x time':>8}")
    for language, base in (("fr", args.base_fr), ("en", args.base_en)):
        previous = None
        for factor in (1, 2, 4):
            text = adversarial_text(language, base * factor)
            seconds = fastest(text, language)
            ratio = seconds / previous if previous else None
            print(f"{language:<9}{base * factor:>8}{len(text):>10}{seconds:>10.3f}"
                  f"{f'{ratio:.2f}' if ratio else '':>8}")
            if ratio and ratio > args.max_ratio:
                print(f"FAIL {language}: doubling the text took {ratio:.2f}x the time", file=sys.stderr)
                status = 1
            previous = seconds
    return status


if __name__ == "__main__":
    sys.exit(main())
