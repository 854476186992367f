"""The faust worker's CPU per article, in-process: the agents' work without Kafka.

    .venv/bin/python bench/worker_costs.py --articles 400 --before HEAD~1 --rounds 2 \
        --json bench/results/worker-costs.json
    .venv/bin/python bench/worker_costs.py --articles 400 --profile worker.prof

Per article of the dense workload (`bench/e2e_bench.py`'s raw news, in publication order), what
the worker's two agents do between the broker's bytes in and out (`processors/app.py`):

- `analyse`: `analyse_value` on the raw record's bytes (decode, analysis, the analysed envelope
  encoded);
- `decode`: the `resolve` agent's decoding of the analysed record;
- `resolve`: `Resolver.handle` on a real SQLite store in a temporary folder (the fold, the
  journal record built and encoded, the store's transaction); the journal and the changelog
  are hashed, not sent. Within it, `fold` is `apply_article` and `store` is `Store.apply`
  (since group commit, `Store.begin`, `write` and `commit`). `--group N`: the articles go
  to `Resolver.handle_group` N at a time, as the agent hands them over under a backlog
  (analysed N at a time first); a tree without it resolves them one at a time.

The first 20 articles are analysed once, untimed, before the run: the worker builds its date
taggers once per process, not per article.

The raw envelopes carry fixed ids and times (each article's version time), so the journal
records, the changes and the store are the same bytes in every run: `digest` is a SHA-256 of
every journal record, every change message, the analysed data and the store's final rows (the
same with or without `--group`). Two trees
give the same output when their digests are equal, under the same `PYTHONHASHSEED` (`--before`
sets 0): the order of the statuses in a journal record follows a set's, so it changes with the
hash seed (nothing else did, on 400 articles; the store applies them as absolute writes).

`--before REV[,REV]` runs the same bench on each revision (`git archive`, in a temporary folder)
and on this tree, taking turns for `--rounds` rounds, each in a fresh process, and reports the
CPU per article of each and whether the digests agree. `--profile FILE` runs cProfile over the
articles and prints the top functions (by own time and by cumulated time). The JSON counts the
`compatible` pairs the resolver asked for and computed (`pair_scores_*`; `--pair-scores N` sets
how many `PairScores` keeps). `--statements` counts the SQLite statements per article, on the
resolver's store and on the index's temporary database (tracing each costs CPU: take the times
from a run without it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TREE = Path(os.environ.get("WORKER_COSTS_TREE", ROOT))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(TREE))  # the code measured (--before: an older revision's tree)


def raw_records(n: int, seed: int) -> list[bytes]:
    """The first n articles of the dense workload as raw-topic bytes with fixed ids and times."""
    from bench.e2e_bench import dense_articles
    from schemas.articles import Article
    from schemas.codec import encode, envelope

    out = []
    for doc in dense_articles(n, seed):
        art = Article.model_validate(doc)
        rid = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:32]
        out.append(encode(envelope(art, source="bench/worker", id=rid, time=art.version_time)))
    return out


class Timed:
    """Wraps a module's function and adds its CPU time to `totals[name]`."""

    def __init__(self, totals: dict[str, float], name: str, fn: Callable[..., Any]) -> None:
        self.totals, self.name, self.fn = totals, name, fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        t0 = time.process_time()
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.totals[self.name] += time.process_time() - t0


class Statements:
    """Counts the SQLite statements the worker runs (one per row of an `executemany`, as SQLite
    steps them): on the resolver's store file, and on the index's private temporary database
    (`ColdBlocks`, opened on ""). Each is a step of SQLite's that releases the GIL, which the
    worker's analysis thread then takes (`docs/measurements.md`, *What limits the settled
    rate*)."""

    def __init__(self) -> None:
        self.counts = {"store": 0, "index": 0}
        self.connect = sqlite3.connect

    def __enter__(self) -> Statements:
        def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
            con = self.connect(*args, **kwargs)
            which = "index" if args and args[0] == "" else "store"
            con.set_trace_callback(lambda _sql: self.counts.__setitem__(
                which, self.counts[which] + 1))
            return con

        sqlite3.connect = connect  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        sqlite3.connect = self.connect  # type: ignore[assignment]


def run(raws: list[bytes], profile: str | None, group: int = 1,
        statements: bool = False) -> dict[str, Any]:
    """The worker's per-article path over `raws`; CPU per stage and the digest of the output.
    `statements`: also count the SQLite statements (`Statements`; the tracing costs CPU, so
    the times of such a run are not comparable with others)."""
    from processors.worker import resolver_state
    from processors.worker.analysis_pool import analyse_value
    from processors.worker.resolver_state import Resolver, Store
    from schemas.articles import ARTICLE_ANALYSED
    from schemas.codec import Rejection, decode

    cpu = {"analyse": 0.0, "decode": 0.0, "resolve": 0.0, "fold": 0.0, "store": 0.0}
    fold = resolver_state.apply_article
    # The store's transaction: `apply` before group commit; since, `apply` only wraps these.
    store_steps = [name for name in ("begin", "write", "commit")
                   if hasattr(resolver_state.Store, name)] or ["apply"]
    store_fns = {name: getattr(resolver_state.Store, name) for name in store_steps}
    digest = hashlib.sha256()
    # Each output hashed apart, then together: the same digest whatever the group size.
    journal, changes, analysed = hashlib.sha256(), hashlib.sha256(), hashlib.sha256()
    counts: dict[str, int] = {"journal_records": 0, "journal_bytes": 0, "changes": 0}

    class HashedJournal:
        async def append(self, key: bytes, value: bytes) -> int:
            journal.update(key + b"\0" + value + b"\n")
            counts["journal_records"] += 1
            counts["journal_bytes"] += len(value)
            return counts["journal_records"] - 1

        async def read(self, start: int):  # noqa: ANN202 - nothing to recover
            return
            yield

    async def publish(messages: list[tuple[bytes, bytes]]) -> None:
        for key, value in messages:
            changes.update(key + b"\0" + value + b"\n")
        counts["changes"] += len(messages)

    async def main(tmp: Path) -> None:
        resolver = Resolver(Store(tmp / "store.sqlite"), HashedJournal(), publish)
        await resolver.recover()
        for raw in raws[:20]:  # the taggers are built once per process (both languages)
            analyse_value(raw)
        handle_group = getattr(resolver, "handle_group", None)
        for start in range(0, len(raws), group):
            items = []
            for offset in range(start, min(start + group, len(raws))):
                t0 = time.process_time()
                outcome = analyse_value(raws[offset])
                t1 = time.process_time()
                assert outcome.value is not None, outcome.reason
                env = decode(outcome.value, expected=ARTICLE_ANALYSED)
                assert not isinstance(env, Rejection), env.reason
                cpu["analyse"] += t1 - t0
                cpu["decode"] += time.process_time() - t1
                items.append((offset, env.data))
            t2 = time.process_time()
            if handle_group is not None and group > 1:
                await handle_group(items)
            else:
                for offset, art in items:
                    await resolver.handle(offset, art)
            cpu["resolve"] += time.process_time() - t2
            for _, art in items:
                analysed.update(art.model_dump_json().encode() + b"\n")
        if resolver.state is not None:
            scores = resolver.state.active.scores
            counts.update(pair_scores_asked=scores.calls, pair_scores_computed=scores.misses,
                          pair_scores_kept=len(scores.scores))
        dump = resolver.store.dump()
        for part in (journal, changes, analysed):
            digest.update(part.digest())
        digest.update(json.dumps(dump, sort_keys=True, default=repr).encode())
        resolver.store.close()

    resolver_state.apply_article = Timed(cpu, "fold", fold)  # type: ignore[assignment]
    for name, fn in store_fns.items():
        setattr(resolver_state.Store, name,
                lambda self, *a, _fn=fn: Timed(cpu, "store", _fn)(self, *a))
    counted = Statements() if statements else None
    try:
        with tempfile.TemporaryDirectory(prefix="worker-costs-") as tmp, \
                counted or contextlib.nullcontext():
            wall = _timed_run(main, Path(tmp), profile)
    finally:
        resolver_state.apply_article = fold  # type: ignore[assignment]
        for name, fn in store_fns.items():
            setattr(resolver_state.Store, name, fn)
    n = len(raws)
    total = cpu["analyse"] + cpu["decode"] + cpu["resolve"]
    per = {k: round(1000 * v / n, 2) for k, v in cpu.items()}
    per["journal_and_rest"] = round(per["resolve"] - per["fold"] - per["store"], 2)
    if counted is not None:
        counts["sqlite_statements_per_article"] = {  # type: ignore[assignment]
            k: round(v / n, 1) for k, v in counted.counts.items()}
    return {"articles": n, "wall_s": round(wall, 2), "cpu_s": round(total, 2),
            "cpu_ms_per_article": round(1000 * total / n, 2), "stages_ms_per_article": per,
            **counts, "digest": digest.hexdigest()}


def _timed_run(main: Callable[[Path], Any], tmp: Path, profile: str | None) -> float:
    """Wall seconds of `asyncio.run(main(tmp))`, under cProfile if `profile` names a file."""
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    wall0 = time.perf_counter()
    asyncio.run(main(tmp))
    wall = time.perf_counter() - wall0
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    return wall


def print_profile(path: str, top: int = 30) -> None:
    import pstats

    for key in ("tottime", "cumulative"):
        print(f"--- by {key}")
        pstats.Stats(path).sort_stats(key).print_stats(top)


def compare(args: argparse.Namespace) -> dict[str, Any]:
    """This bench on each revision of `--before` and on this tree, in turns, fresh processes."""
    trees: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="worker-costs-trees-") as tmp:
        for rev in [r for r in args.before.split(",") if r]:
            trees[rev] = Path(tmp) / rev.replace("/", "_")
            trees[rev].mkdir()
            archive = subprocess.run(["git", "archive", rev], cwd=ROOT, check=True,
                                     capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(trees[rev])], input=archive, check=True)
        trees["."] = ROOT
        runs: dict[str, list[dict[str, Any]]] = {rev: [] for rev in trees}
        for _ in range(args.rounds):
            for rev, tree in trees.items():
                out = subprocess.run(
                    [sys.executable, __file__, "--articles", str(args.articles),
                     "--seed", str(args.seed), "--group", str(args.group),
                     *(["--statements"] if args.statements else [])],
                    env={**os.environ, "WORKER_COSTS_TREE": str(tree), "PYTHONHASHSEED": "0"}, check=True,
                    capture_output=True, text=True).stdout
                runs[rev].append(json.loads(out.strip().splitlines()[-1]))
                print(rev, json.dumps(runs[rev][-1]), flush=True)
    best = {rev: min(r["cpu_ms_per_article"] for r in rs) for rev, rs in runs.items()}
    digests = {rev: sorted({r["digest"] for r in rs}) for rev, rs in runs.items()}
    return {"runs": runs, "best_cpu_ms_per_article": best,
            "after_over_before": {rev: round(best["."] / b, 3) for rev, b in best.items()
                                  if rev != "."},
            "identical_output": len({d for ds in digests.values() for d in ds}) == 1}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--before", help="revisions to compare with this tree (REV[,REV])")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--profile", help="cProfile the run into this file and print its top")
    parser.add_argument("--json", help="write the result here too")
    parser.add_argument("--pair-scores", type=int, help="pairs a PairScores keeps (its cap)")
    parser.add_argument("--group", type=int, default=1,
                        help="articles resolved as one group (Resolver.handle_group)")
    parser.add_argument("--statements", action="store_true",
                        help="count the SQLite statements per article (its times are slower)")
    args = parser.parse_args()
    if args.pair_scores is not None:
        from processors.resolution import coreference

        coreference.PAIR_SCORES = args.pair_scores
    if args.before:
        out = compare(args)
    else:
        out = run(raw_records(args.articles, args.seed), args.profile, max(1, args.group),
                  args.statements)
        if args.profile:
            print_profile(args.profile)
    out = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
           "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                       "load_1m": os.getloadavg()[0]}, "args": vars(args), **out}
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
