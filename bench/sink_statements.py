"""Where a replica catch-up's time goes, statement by statement, at a given database size.

    .venv/bin/python bench/sink_statements.py --sizes 1000000 --rounds 3

A replica (the analysts' schema without keys, `replica_schema()`) is filled in SQL with N events
the way `bench/sink_bench.py` fills its writer (two mentions and one changelog row each, plus N
articles and 2N mentions), then caught up `--rounds` times with what a publish carries: two
batches of `--batch` changes of `bench/sink_bench.py` (80% new events, 20% revisions of stored
ones) and a quarter batch of status changes of stored articles, written by the replicas' own
`write_overlay` and followed by `CHECKPOINT`. Each statement is timed (wall and the process's
CPU, DuckDB's threads included); the table gives the median per round. Then the small tables
are folded into the base once (`fold_overlay` + `CHECKPOINT`), timed as `fold`. (A catch-up
copies the rows of the events a batch touched from the writer, its current database; here that
is the replica itself, so those statements read the rows they hide, and write none.)

Before the replicas' overlay layout (209c625), the same catch-up was `apply_batch(...,
keyed=False)` on plain tables: `bench/results/sink-statements-before.txt` (and after:
`bench/results/sink-statements-after.txt`, run right after it).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sink_bench import PREFILL, T0, TOPIC, batch_records, into_base  # noqa: E402
from processors.store.project import fold  # noqa: E402
from processors.store.replicas import (  # noqa: E402
    LAYOUT,
    fold_overlay,
    replica_schema,
    write_overlay,
)
from processors.store.sink import decode_changes  # noqa: E402
from schemas.codec import encode, envelope  # noqa: E402
from schemas.timeline import ArticleStatusChanged  # noqa: E402

ARTICLES = """
INSERT INTO articles
SELECT printf('v%d', i), printf('k%d', i), 'https://a.example/' || i, 'https://a.example/' || i,
       'Title ' || i, 'Outlet ' || (i % 500), 'en',
       TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_seconds(i), NULL,
       TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_seconds(i), md5(i::VARCHAR), 2, 'current', NULL, NULL
FROM range({lo}, {hi}) t(i);
INSERT INTO mentions
SELECT printf('v%d:%d', i, k * 10), printf('v%d', i), printf('k%d', i), 'A sentence ' || i,
       0, 'Monday', 2, 8, DATE '2015-01-01' + CAST(hash(i) % 3650 AS INTEGER),
       DATE '2015-01-01' + CAST(hash(i) % 3650 AS INTEGER), 'day', NULL, ['Entity ' || (i % 2000)],
       ['kw'], 'A sentence ' || i, TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_seconds(i), NULL,
       NULL, 'explicit', NULL, []
FROM range({lo}, {hi}) t(i), range(2) s(k);
"""


class Timed:
    """A connection whose `execute` records each statement's wall and CPU time."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.times: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])

    def execute(self, sql: str, params: Any = None) -> duckdb.DuckDBPyConnection:
        wall, cpu = time.perf_counter(), time.process_time()
        out = self.con.execute(sql, params)
        key = " ".join(sql.split())[:70]
        self.times[key][0] += time.perf_counter() - wall
        self.times[key][1] += time.process_time() - cpu
        return out


def statuses(first_offset: int, n: int, existing: int, rng: random.Random) -> list[tuple[int, bytes]]:
    out = []
    for k in range(n):
        offset, target = first_offset + k, rng.randrange(existing)
        at = T0 + timedelta(seconds=offset)
        change = ArticleStatusChanged(known_at=at, cause=f"v{offset}", version_id=f"v{target}",
                                      status="superseded", superseded_by=f"v{offset}",
                                      duplicate_of=None)
        env = envelope(change, source="bench", subject=f"v{target}", id=f"s{offset}:0", time=at)
        out.append((offset, encode(env)))
    return out


def prefill(path: Path, size: int) -> None:
    """A replica file holding `size` events, articles and twice as many mentions."""
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    con.execute(replica_schema())
    sql = into_base(PREFILL + ARTICLES)
    for lo in range(0, size, 1_000_000):
        con.execute(sql.format(lo=lo, hi=min(size, lo + 1_000_000)))
    con.execute("INSERT INTO sink_offsets VALUES (?, 0, ?, 'bench')", [TOPIC, size])
    con.execute("CHECKPOINT")
    con.close()


def run_size(d: Path, size: int, rounds: int, batch: int, seed: int,
             cache: Path | None = None) -> dict[str, Any]:
    """Catch a replica of `size` events up `rounds` times; per-statement medians."""
    rng = random.Random(seed)
    t0 = time.perf_counter()
    path = d / "replica.duckdb"
    if cache is not None:  # fill once, then start every run from a copy of the filled file
        filled = cache / f"replica-{size}-layout{LAYOUT}.duckdb"
        if not filled.exists():
            prefill(d / "filling.duckdb", size)
            shutil.move(d / "filling.duckdb", filled)
        shutil.copyfile(filled, path)
    else:
        prefill(path, size)
    prefill_s = time.perf_counter() - t0
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    offset, per_round = size, []
    for _ in range(rounds):
        records = batch_records(offset, 2 * batch, size, rng)
        records += statuses(offset + len(records), batch // 4, size, rng)
        b = fold(decode_changes(records))
        b.next_offset = offset + len(records)
        timed = Timed(con)
        wall, cpu = time.perf_counter(), time.process_time()
        write_overlay(timed, b, topic=TOPIC, epoch="bench", db="replica")
        timed.execute("CHECKPOINT")
        total = (time.perf_counter() - wall, time.process_time() - cpu)
        per_round.append((dict(timed.times), total))
        offset = b.next_offset
    wall, cpu = time.perf_counter(), time.process_time()
    fold_overlay(con, db="replica")
    con.execute("CHECKPOINT")
    folded = (time.perf_counter() - wall, time.process_time() - cpu)
    con.close()
    keys = list(per_round[0][0])
    return {
        "events": size, "prefill_s": round(prefill_s, 1), "rounds": rounds,
        "changes_per_round": 2 * batch + batch // 4,
        "total_s_median": round(statistics.median(t[0] for _, t in per_round), 3),
        "total_cpu_s_median": round(statistics.median(t[1] for _, t in per_round), 3),
        "fold_s": round(folded[0], 3), "fold_cpu_s": round(folded[1], 3),
        "statements": {k: [round(statistics.median(r[0][k][0] for r in per_round), 4),
                           round(statistics.median(r[0][k][1] for r in per_round), 4)]
                       for k in keys if all(k in r[0] for r in per_round)},
    }


def main() -> None:
    """Run each size and print the statements' medians (wall s, CPU s)."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--cache", type=Path, help="keep filled files here and reuse them")
    args = parser.parse_args()
    results = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            results.append(run_size(Path(tmp), size, args.rounds, args.batch, args.seed,
                                    cache=args.cache))
        r = results[-1]
        print(f"{size:,} events: catch-up {r['total_s_median']:.3f} s "
              f"({r['total_cpu_s_median']:.3f} s CPU), prefill {r['prefill_s']} s; then a fold "
              f"of {args.rounds} catch-ups: {r['fold_s']:.3f} s ({r['fold_cpu_s']:.3f} s CPU)")
        for sql, (wall, cpu) in sorted(r["statements"].items(), key=lambda kv: -kv[1][1]):
            print(f"  {wall:7.3f} s  {cpu:7.3f} s CPU  {sql}")
    if args.json:
        args.json.write_text(json.dumps({"bench": "sink_statements", "args": {
            k: str(v) for k, v in vars(args).items() if k != "cache"}, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
