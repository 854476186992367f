"""CPU time of `analyse_article` on one long article (the long poison test's huge article, cut
to each size), to see how the analysis' cost grows with the text: `.venv/bin/python -m
bench.huge_article 50000 100000 200000`. The analysis refuses over MAX_ANALYSED_CHARS, so this
calls its steps' entry point with the limit lifted."""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime

from processors.analysis import analyse
from schemas.articles import Article
from schemas.codec import envelope


def main(sizes: list[int]) -> None:
    """Print chars, CPU seconds and mentions for each size."""
    rng = random.Random(1)
    analyse.MAX_ANALYSED_CHARS = max(sizes)  # measure past the limit
    for chars in sizes:
        words = ("Niamey", "mardi", "le", "29", "juillet", "coup", "Bazoum.")
        text = " ".join(rng.choice(words) for _ in range(chars // 6))
        art = Article(url="https://poison.example/huge", text=text, language="fr",
                      published_at=datetime(2023, 7, 28, tzinfo=UTC))
        started = time.process_time()
        out = analyse.analyse_article(envelope(art, source="bench"))
        print(f"{len(text)} chars: {time.process_time() - started:.1f} s CPU, "
              f"{len(out.mentions)} mentions", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [50_000, 100_000, 200_000])
