"""Articles per second, on one core, of the Newsline temporal tagger and of dateparser.

Three workloads: the seed article (repeated); a few thousand articles built by recombining
sentences of the dev set, the seed and the TimeML corpora (seeded RNG, so every run sees the
same articles); and the 982 English news articles of ECB+ as published (real articles, with
the vocabulary of real news: most of their words are new to the tagger's memo). Both systems
run on the same articles in the same run, taking turns batch by batch:

    python bench/temporal_speed.py [--articles 2000] [--seed 7] [--batch 25] [--no-ecbplus] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from datetime import time as dt_time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from temporal_eval import CORPORA, CORPUS_FILES, load_corpus  # noqa: E402

from processors.analysis.temporal import extract_dates  # noqa: E402

EXAMPLES = REPO / "examples"
_SENTENCE_END = re.compile(r"(?<=[.!?»\"])\s+(?=[A-ZÀ-Ý«\"])")
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Article:
    """What both systems are given: text, language, publication time."""

    text: str
    language: str
    published_at: datetime


def sentences_of(text: str) -> list[str]:
    """Split a text into sentences (good enough to recombine them)."""
    return [
        sentence.strip()
        for paragraph in text.split("\n")
        for sentence in _SENTENCE_END.split(paragraph)
        if len(sentence.strip()) > 20
    ]


def sentence_pools(corpora: Path = CORPORA) -> dict[str, list[str]]:
    """Collect sentences per language from the examples and the corpora."""
    pools: dict[str, list[str]] = {"fr": [], "en": []}
    seed = json.loads((EXAMPLES / "seed-rtl-2023-09-04.json").read_text(encoding="utf-8"))
    pools["fr"].extend(sentences_of(seed["text"]))
    for line in (EXAMPLES / "niger-2023.jsonl").read_text(encoding="utf-8").splitlines():
        article = json.loads(line)
        text = article.get("text") or _TAG.sub("\n", article.get("html", ""))
        pools[article["language"]].extend(sentences_of(text))
    for language in CORPUS_FILES:
        for document in load_corpus(language, corpora):
            pools[language].extend(sentences_of(document.text))
    return pools


def realistic_articles(count: int, seed: int, pools: dict[str, list[str]]) -> list[Article]:
    """Build ``count`` articles of 3-6 paragraphs of 2-4 sentences, half French, half English."""
    rng = random.Random(seed)
    paris = timezone(timedelta(hours=2))
    articles = []
    for index in range(count):
        language = "fr" if index % 2 == 0 else "en"
        paragraphs = [
            " ".join(rng.choice(pools[language]) for _ in range(rng.randint(2, 4)))
            for _ in range(rng.randint(3, 6))
        ]
        published = datetime(2023, 1, 1, 8, tzinfo=paris if language == "fr" else UTC)
        published += timedelta(days=rng.randint(0, 364), minutes=rng.randint(0, 600))
        articles.append(Article("\n\n".join(paragraphs), language, published))
    return articles


def seed_articles(count: int) -> list[Article]:
    """The seed article, ``count`` times."""
    seed = json.loads((EXAMPLES / "seed-rtl-2023-09-04.json").read_text(encoding="utf-8"))
    published = datetime.fromisoformat(seed["published_at"])
    return [Article(seed["text"], seed["language"], published)] * count


def ecbplus_articles() -> list[Article]:
    """The ECB+ articles, each published at noon UTC of the date its header or URL gives."""
    from ecbplus_eval import read_corpus

    return [
        Article(doc.text, "en", datetime.combine(doc.published, dt_time(12), tzinfo=UTC))
        for doc in read_corpus()
    ]


def run_newsline(article: Article) -> int:
    """Tag one article with Newsline; return how many expressions it found."""
    return len(extract_dates(article.text, published_at=article.published_at, language=article.language))


def run_dateparser(article: Article) -> int:
    """Tag one article with dateparser's search_dates; return how many dates it found."""
    from dateparser.search import search_dates

    base = article.published_at.replace(tzinfo=None)
    found = search_dates(article.text, languages=[article.language], settings={"RELATIVE_BASE": base})
    return len(found or [])


def race(systems: dict[str, Callable[[Article], int]], articles: list[Article], batch: int) -> dict:
    """Time each system on the articles, taking turns batch by batch (after warm-up calls).

    Each system runs a batch back to back, as it would alone; taking turns spreads any load
    that other processes put on the machine evenly over the systems, so their ratio holds.
    The warm-up tags the first article of each language, so that loading a language's tables
    (once per process) is not billed to whichever batch meets that language first.
    """
    first_of_language = {article.language: article for article in reversed(articles)}
    for run in systems.values():
        for article in first_of_language.values():
            run(article)
    seconds = dict.fromkeys(systems, 0.0)
    found = dict.fromkeys(systems, 0)
    for first in range(0, len(articles), batch):
        for name, run in systems.items():
            began = time.perf_counter()
            found[name] += sum(run(article) for article in articles[first : first + batch])
            seconds[name] += time.perf_counter() - began
    return {
        name: {"articles": len(articles), "seconds": seconds[name],
               "per_second": len(articles) / seconds[name], "expressions": found[name]}
        for name in systems
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Measure both systems on both workloads and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--seed-repeats", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=25, help="articles per turn of each system")
    parser.add_argument("--no-ecbplus", action="store_true", help="skip the ECB+ articles")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    workloads = {
        "seed article": seed_articles(args.seed_repeats),
        f"{args.articles} recombined": realistic_articles(args.articles, args.seed, sentence_pools()),
    }
    if not args.no_ecbplus:
        ecbplus = ecbplus_articles()
        workloads[f"{len(ecbplus)} ECB+ (en)"] = ecbplus
    rows = []
    for name, articles in workloads.items():
        timed = race({"newsline": run_newsline, "dateparser": run_dateparser}, articles, args.batch)
        newsline, dateparser = timed["newsline"], timed["dateparser"]
        ratio = newsline["per_second"] / dateparser["per_second"]
        chars = sum(len(article.text) for article in articles) / len(articles)
        rows.append({"workload": name, "mean_chars": round(chars), "newsline": newsline,
                     "dateparser": dateparser, "ratio": ratio})  # fmt: skip
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'workload':<18} {'chars':>6} {'newsline art/s':>15} {'dateparser art/s':>17} "
          f"{'ratio':>7}")  # fmt: skip
    for row in rows:
        print(
            f"{row['workload']:<18} {row['mean_chars']:>6} "
            f"{row['newsline']['per_second']:>15.1f} {row['dateparser']['per_second']:>17.1f} "
            f"{row['ratio']:>6.1f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
