"""Resolver throughput: articles folded per second as the state grows.

    .venv/bin/python bench/resolver_bench.py --articles 2000

Synthetic articles are the analysed dev-set and seed articles, shifted in time (a random number of
days, seeded), with fresh URLs, fingerprints and entity suffixes, so that the state grows like a
real multi-story stream: the easy case (no story grows). Prints the rate per slice of 250
articles, in CPU time of the process. `bench/dense_resolver_bench.py` is the dense case.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from processors.analysis.analyse import analyse_article  # noqa: E402
from processors.resolution.fold import TimelineState, apply_article  # noqa: E402
from schemas.articles import Article, ArticleAnalysed  # noqa: E402
from schemas.codec import envelope  # noqa: E402


def base_articles() -> list[ArticleAnalysed]:
    """The bundled examples, analysed."""
    docs = [json.loads(line) for line in (ROOT / "examples/niger-2023.jsonl").open()]
    docs.append(json.loads((ROOT / "examples/seed-rtl-2023-09-04.json").read_text()))
    return [analyse_article(envelope(Article.model_validate(d), source="bench")) for d in docs]


def synthetic(bases: list[ArticleAnalysed], n: int, seed: int = 7) -> list[ArticleAnalysed]:
    """n shifted copies of the bases, each its own story and article."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        base = bases[i % len(bases)]
        shift = timedelta(days=rng.randrange(0, 3 * 365))
        story = i // len(bases)
        vid = f"{base.version_id}-{i}"
        mentions = [m.model_copy(update={
            "mention_id": f"{vid}:{m.start_char}", "start": m.start + shift, "end": m.end + shift,
            "entities": [f"{e} {story % 97}" for e in m.entities],
            "context_entities": [f"{e} {story % 97}" for e in m.context_entities],
        }) for m in base.mentions]
        out.append(base.model_copy(update={
            "version_id": vid, "article_key": f"k{i}",
            "canonical_url": f"{base.canonical_url}/{i}", "url": f"{base.url}/{i}",
            "published_at": base.published_at + shift, "submitted_at": base.submitted_at + shift,
            "updated_at": None, "content_hash": f"h{i}",
            "signature": [rng.randrange(1 << 32) for _ in range(len(base.signature))],
            "mentions": mentions,
        }))
    return out


def main() -> None:
    """Fold synthetic articles and print the rate per slice."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--slice", type=int, default=250)
    parser.add_argument("--memory", action="store_true", help="trace the state's memory")
    args = parser.parse_args()
    # As the agent receives them: JSON, decoded per message (so tracemalloc sees the state).
    arts = [a.model_dump_json() for a in synthetic(base_articles(), args.articles)]
    state = TimelineState()
    print("| articles so far | events | articles/s in this slice | resolver state (MB) |")
    print("|---|---|---|---|")
    if args.memory:  # tracemalloc slows the fold about twofold: rates then read lower
        tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for start in range(0, len(arts), args.slice):
        t0 = time.process_time()  # CPU time: on a shared machine the wall clock counts others
        for raw in arts[start:start + args.slice]:
            apply_article(state, ArticleAnalysed.model_validate_json(raw))
        rate = len(arts[start:start + args.slice]) / (time.process_time() - t0)
        mb = (tracemalloc.get_traced_memory()[0] - base) / 1e6
        memory = f"{mb:,.1f}" if args.memory else "(--memory)"
        print(f"| {start + args.slice} | {len(state.events)} | {rate:,.0f} | {memory} |")


if __name__ == "__main__":
    main()
