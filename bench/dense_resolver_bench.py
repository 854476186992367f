"""Resolver cost per article on news-like dense streams, at growing sizes.

    .venv/bin/python bench/dense_resolver_bench.py --sizes 10000,30000,100000 --json out.json
    .venv/bin/python bench/dense_resolver_bench.py --workload adversarial --sizes 2500,5000,10000
    .venv/bin/python bench/dense_resolver_bench.py --orders --sizes 5000   # two shuffles, pairwise F1

The articles come from `bench/dense_workload.py` (real analysis of generated news, cached, then
re-stamped beyond the pool). They arrive roughly in publication order with 2% late articles, as
JSON, and are decoded one at a time as the faust agent does (decoding is timed apart). At each
size the bench reports the last slice (`--slice` articles before that size): articles/s of the
fold and microseconds per article, events so far, and the resident memory per article (growth of
the process's RSS since the fold started, divided by the articles folded: that is the resolver's
state, versions included), and the spread of one article's fold (`fold_ms_by_article`: p50, p99,
p999, max, articles over 100 ms, the slowest, and the full garbage collections that ran inside a
fold: a day's settle lands on one article's fold, and so does a collection). `--budget` stops the
run after a slice that took longer than that many seconds (today's resolver is super-quadratic on
this workload), and the JSON says where it stopped. `--orders` instead folds the same articles in
two shuffled orders and reports the pairwise F1 between the two sets of events (mention pairs in
one event), the CPU time of the folds per article, and (dense workload) each order's pairwise
precision and recall against the generator's own grouping (`gold_pairs`), so that an agreement
bought by lumping shows.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dense_workload import (  # noqa: E402
    add_workload_arguments,
    adversarial_pool,
    analysed_pool,
    arrival_order,
    expand,
    raw_pool,
)
from processors.resolution import bounded, settle  # noqa: E402
from processors.resolution import fold as timeline  # noqa: E402
from processors.resolution.fold import TimelineState, apply_article  # noqa: E402
from schemas.articles import ArticleAnalysed  # noqa: E402


def rss_bytes() -> int:
    """Resident set size of this process (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def machine() -> dict:
    """What ran the bench."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                                capture_output=True, check=False).stdout.strip()
    except OSError:
        commit = ""
    return {"python": platform.python_version(), "platform": platform.platform(),
            "cpus": __import__("os").cpu_count(), "commit": commit,
            "pydantic": metadata.version("pydantic"),
            "date": datetime.now(UTC).isoformat(timespec="seconds")}


def workload(args: argparse.Namespace, n: int) -> list[ArticleAnalysed]:
    """The analysed articles of the chosen workload, in arrival order."""
    if args.workload == "adversarial":
        pool = analysed_pool("adversarial", adversarial_pool(args.seed, min(n, args.pool)),
                             cache=args.cache)
        arts = expand(pool, n, rename=False, spread=False)
    else:
        docs = raw_pool(args.seed, args.pool, weeks=args.pool_weeks, largest=args.largest)
        arts = expand(analysed_pool("dense", docs, cache=args.cache), n, years=args.years)
    return arrival_order(arts, args.seed)


def article_spread(each: list[float], pauses: list[tuple[int, float]]) -> dict:
    """Percentiles of the articles' fold CPU (ms): the latency one article adds to the
    worker's loop, whose worst cases the mean hides; and the oldest generation's garbage
    collections that ran inside a fold (`pauses`: position in the slice, seconds), which
    account for the slowest of them as the heap grows."""
    ranked = sorted(each)

    def at(q: float) -> float:
        return round(1e3 * ranked[min(len(ranked) - 1, int(q * len(ranked)))], 2)

    return {"p50": at(0.5), "p99": at(0.99), "p999": at(0.999), "max": round(1e3 * ranked[-1], 2),
            "over_100ms": sum(1 for t in each if t > 0.1),
            "slowest": [[i, round(1e3 * t, 2)] for i, t in sorted(  # [position in slice, ms]
                enumerate(each), key=lambda it: -it[1])[:8]],
            "full_gc": [[i, round(1e3 * t, 1)] for i, t in pauses]}


class FullCollections:
    """Times the garbage collector's oldest-generation passes (`gc.callbacks`), each with the
    position of the article whose fold it ran in."""

    def __init__(self) -> None:
        self.at = 0
        self.pauses: list[tuple[int, float]] = []
        self._start = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._start = time.process_time()
        else:
            self.pauses.append((self.at, time.process_time() - self._start))

    def __enter__(self) -> FullCollections:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


def fold_sizes(arts: list[ArticleAnalysed], sizes: list[int], slice_len: int,
               budget: float, rows: list[dict], save: Callable[[], None]) -> None:
    """Fold in order; at each size, figures of the slice that ends there (saved as they come)."""
    state = TimelineState()
    gc.collect()
    rss0 = rss_bytes()
    done = 0
    for size in sizes:
        # Fold up to the slice untimed except for the fold itself (decoding is timed apart).
        start = max(done, size - slice_len)
        for a in arts[done:start]:
            apply_article(state, ArticleAnalysed.model_validate_json(a.model_dump_json()))
        raw = [a.model_dump_json() for a in arts[start:size]]
        decode = 0.0
        mentions = 0
        each: list[float] = []  # each article's fold: a day's settle lands on one article
        wall = time.perf_counter()
        with FullCollections() as full:
            for r in raw:
                t0 = time.process_time()
                art = ArticleAnalysed.model_validate_json(r)
                t1 = time.process_time()
                full.at = len(each)
                apply_article(state, art)
                t2 = time.process_time()
                each.append(t2 - t1)
                decode += t1 - t0
                mentions += len(art.mentions)
        wall = time.perf_counter() - wall
        fold = sum(each)
        done = size
        gc.collect()
        n = len(raw)
        row = {"articles": size, "slice": n, "events": len(state.events),
               "mentions_per_article": round(mentions / n, 2),
               "articles_per_s": round(n / fold, 1), "us_per_article": round(1e6 * fold / n),
               "decode_us_per_article": round(1e6 * decode / n),
               "fold_ms_by_article": article_spread(each, full.pauses),
               "wall_s": round(wall, 2), "cpu_s": round(fold + decode, 2),
               "rss_mb": round(rss_bytes() / 1e6),
               "kb_per_article": round((rss_bytes() - rss0) / size / 1e3, 1)}
        rows.append(row)
        save()
        print(f"| {size:>9,} | {row['events']:>9,} | {row['articles_per_s']:>10,.0f} | "
              f"{row['us_per_article']:>10,} | {row['kb_per_article']:>8} |", flush=True)
        if fold > budget:
            print(f"stopped: the slice took {fold:.0f} s (> --budget {budget:.0f} s)")
            break


def pairwise_f1(a: TimelineState, b: TimelineState) -> dict:
    """Agreement of two foldings: mention pairs in one event in both, over pairs in each."""
    owner_b = {m: eid for eid, ev in b.events.items() for m in ev.mention_ids}
    both = Counter()
    for eid, ev in a.events.items():
        for m in ev.mention_ids:
            both[(eid, owner_b.get(m))] += 1

    def pairs(counts: list[int]) -> int:
        return sum(c * (c - 1) // 2 for c in counts)

    tp = pairs(list(both.values()))
    pa = pairs([len(ev.mention_ids) for ev in a.events.values()])
    pb = pairs([len(ev.mention_ids) for ev in b.events.values()])
    f1 = 2 * tp / (pa + pb) if pa + pb else 1.0
    same = len(set(a.events) & set(b.events))
    return {"pairs_a": pa, "pairs_b": pb, "pairs_both": tp, "pairwise_f1": round(f1, 5),
            "events_a": len(a.events), "events_b": len(b.events), "same_event_ids": same}


_STORY = re.compile(r"/(\d+)-\d+(?:~(\d+))?$")  # story id, instance (`dense_workload.restamp`)


def gold_pairs(state: TimelineState, owner: dict[str, str] | None = None) -> dict:
    """Pairwise precision and recall of the events against the generator's grouping: the
    mentions of one story instance (from the article's URL) with one date (start, end,
    granularity). Approximate: two happenings of a story on one day are one gold event, and a
    date the analysis gets wrong counts against the resolver. `owner`: mention -> event to
    score instead of the state's events (`order_diff.py --small-days`)."""
    gold: dict[str, tuple] = {}
    for vid, art in state.versions.items():
        found = _STORY.search(art.canonical_url)
        if found is None or state.statuses[vid].status != "current":
            continue
        for m in art.mentions:
            gold[m.mention_id] = (found.group(1), found.group(2), m.start, m.end, m.granularity)
    if owner is None:
        owner = {m: eid for eid, ev in state.events.items() for m in ev.mention_ids}
    own = {m: eid for m, eid in owner.items() if m in gold}

    def pairs(counts: Counter) -> int:
        return sum(c * (c - 1) // 2 for c in counts.values())

    tp = pairs(Counter((own[m], gold[m]) for m in own))
    found_pairs, gold_total = pairs(Counter(own.values())), pairs(Counter(gold[m] for m in own))
    # The counts too: a change of a few hundred of some 20 million pairs can move a rounded
    # figure by 0.0001 (one order's recall 0.39487 is 0.3949, 0.39484 is 0.3948).
    return {"precision": round(tp / found_pairs, 4) if found_pairs else 1.0,
            "recall": round(tp / gold_total, 4) if gold_total else 1.0,
            "pairs_right": tp, "pairs_found": found_pairs, "pairs_gold": gold_total}


def orders(arts: list[ArticleAnalysed], seed: int, gold: bool = False) -> dict:
    """Fold the same articles in two shuffled orders and compare."""
    states = []
    cpu = 0.0
    for k in (1, 2):
        order = list(arts)
        random.Random(seed + k).shuffle(order)
        state = TimelineState()
        t0, c0 = time.perf_counter(), time.process_time()
        for a in order:
            apply_article(state, a)
        cpu += time.process_time() - c0
        print(f"order {k}: {len(order)} articles in {time.perf_counter() - t0:.1f} s")
        states.append(state)
    out = pairwise_f1(*states)
    out["fold_cpu_us_per_article"] = round(1e6 * cpu / (2 * max(1, len(arts))))
    if gold:
        out["against_generator"] = [gold_pairs(s) for s in states]
    return out


def set_rules(rules: list[str]) -> None:
    """`--rule NAME=VALUE`: set a constant of `bounded` or `settle` for this run."""
    for rule in rules:
        name, value = rule.split("=", 1)
        module = bounded if hasattr(bounded, name) else settle
        old = getattr(module, name)  # AttributeError on a name neither module has
        setattr(module, name, type(old)(value))


def main() -> None:
    """Run the chosen workload and print the table (and write JSON)."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", choices=("dense", "adversarial"), default="dense")
    parser.add_argument("--sizes", default="10000,30000,100000")
    parser.add_argument("--slice", type=int, default=1000)
    parser.add_argument("--budget", type=float, default=600.0, help="seconds per slice")
    add_workload_arguments(parser)
    parser.add_argument("--orders", action="store_true", help="two shuffles, pairwise F1")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--component-limit", type=int,
                        help="override the largest component reclustered exactly (0: never)")
    parser.add_argument("--rule", action="append", default=[], metavar="NAME=VALUE",
                        help="override a constant of processors/resolution/bounded.py or "
                             "settle.py (JOIN_EVIDENCE=1.5, SETTLE_FROM=0...); repeatable")
    args = parser.parse_args()
    if args.component_limit is not None:
        timeline.COMPONENT_LIMIT = args.component_limit
    set_rules(args.rule)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    t0 = time.perf_counter()
    arts = workload(args, sizes[-1])
    prepared = time.perf_counter() - t0
    out: dict = {"bench": "dense_resolver", "workload": args.workload, "machine": machine(),
                 "args": {k: str(v) for k, v in vars(args).items()},
                 "prepare_s": round(prepared, 1), "articles": len(arts),
                 "updates": sum(1 for a in arts if a.updated_at)}
    print(f"{args.workload}: {len(arts):,} analysed articles ready in {prepared:.0f} s")

    def save() -> None:
        if args.json:
            args.json.write_text(json.dumps(out, indent=2) + "\n")

    if args.orders:
        out["orders"] = orders(arts[: sizes[-1]], args.seed, gold=args.workload == "dense")
        print(json.dumps(out["orders"]))
    else:
        print("|  articles |    events |  articles/s | us/article | KB/article |")
        print("|---|---|---|---|---|")
        out["sizes"] = []
        fold_sizes(arts, sizes, args.slice, args.budget, out["sizes"], save)
    save()


if __name__ == "__main__":
    main()
