"""Ways for the writer's batch to know a stored event's sources, measured on synthetic events.

    .venv/bin/python bench/sources_options.py --sizes 1000000 4000000 \\
        --json bench/results/sources-options.json

A table shaped like `events_base` (N events, ids `ev-<md5>` in random order as the writer's,
two sources each) is built in a temporary DuckDB file. Per size, best of three (wall):

- `by_key`: what a batch of the writer read until `events_pending`: `event_id, sources` of
  `KEYS` random stored events, `WHERE event_id IN (list)` (DuckDB applies it after the scan);
  `by_key_ids_only`: the same read of `event_id` alone (the least a scan filtered by key reads);
- `sorted_lists_of_1000` / `_of_50`: the same keys against a copy sorted by `event_id`, in
  lists of that many keys (DuckDB prunes the row groups outside a list's min/max; random keys
  spread over all of them);
- `analysts`: queries on `events` as the replicas define it (the base minus `moved`, plus
  `recent`: N/20 rows, the fold's threshold) and as a view that would merge partial rows'
  sources with the base's at read time (every recent row partial): what analysts would pay if
  the replicas deferred that merge as the writer does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

KEYS = 300  # stored events a batch of 1,600 changes (100 articles) attaches mentions to
BASE = """CREATE TABLE events_base AS SELECT 'ev-' || md5('e' || i) AS event_id,
    DATE '2015-01-01' + CAST(hash(i) % 3650 AS INTEGER) AS start_date,
    ['Entity ' || (hash(i + 1) % 2000)] AS entities,
    ['https://a.example/' || i, 'https://b.example/' || i] AS sources FROM range({n}) t(i)"""
MERGED = ("list_sort(list_distinct(list_concat(list_filter(coalesce(o.sources, []::VARCHAR[]), "
          "lambda x: NOT list_contains(p.sources_removed, x)), r.sources)))")
VIEWS = {
    "replicas": "SELECT b.* FROM events_base b ANTI JOIN moved m ON m.event_id = b.event_id "
                "UNION ALL SELECT * FROM recent",
    "merged_at_read": "SELECT b.* FROM events_base b ANTI JOIN moved m ON m.event_id = "
                      "b.event_id UNION ALL SELECT r.* FROM recent r ANTI JOIN pending p ON "
                      "p.event_id = r.event_id UNION ALL SELECT r.* REPLACE (" + MERGED +
                      " AS sources) FROM recent r JOIN pending p ON p.event_id = r.event_id "
                      "LEFT JOIN events_base o ON o.event_id = r.event_id",
}
QUERIES = {
    "count": "SELECT count(*) FROM {v}",
    "sum_of_sources": "SELECT sum(len(sources)) FROM {v}",
    "one_month": "SELECT event_id, entities FROM {v} WHERE start_date BETWEEN DATE '2020-01-01' "
                 "AND DATE '2020-01-31'",
    "one_month_with_sources": "SELECT event_id, sources FROM {v} WHERE start_date BETWEEN "
                              "DATE '2020-01-01' AND DATE '2020-01-31'",
    "one_event": "SELECT * FROM {v} WHERE event_id = (SELECT min(event_id) FROM recent)",
}


def best(con: duckdb.DuckDBPyConnection, sqls: list[str], reps: int = 3) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        for sql in sqls:
            con.execute(sql).fetchall()
        times.append(time.perf_counter() - t)
    return round(min(times), 3)


def literal(keys: list[str]) -> str:
    return ", ".join(f"'{k}'" for k in keys)


def run(n: int, seed: int, tmp: Path) -> dict[str, Any]:
    con = duckdb.connect(str(tmp / f"events-{n}.duckdb"))
    t = time.perf_counter()
    con.execute(BASE.format(n=n))
    con.execute("CREATE TABLE events_sorted AS SELECT * FROM events_base ORDER BY event_id")
    con.execute(f"CREATE TABLE recent AS SELECT * REPLACE (['https://c.example/x'] AS sources) "
                f"FROM events_base USING SAMPLE {n // 20} ROWS (reservoir, {seed})")
    con.execute("CREATE TABLE moved AS SELECT event_id FROM recent")
    con.execute("CREATE TABLE pending AS SELECT event_id, ['https://a.example/0'] AS "
                "sources_removed FROM recent")
    for name, sql in VIEWS.items():
        con.execute(f"CREATE VIEW {name} AS {sql}")
    con.execute("CHECKPOINT")
    built = round(time.perf_counter() - t, 1)
    rng = random.Random(seed)
    keys = sorted("ev-" + hashlib.md5(f"e{rng.randrange(n)}".encode()).hexdigest()  # noqa: S324
                  for _ in range(KEYS))

    def lists(table: str, size: int, cols: str = "event_id, sources") -> list[str]:
        return [f"SELECT {cols} FROM {table} WHERE event_id IN ({literal(keys[i:i + size])})"
                for i in range(0, len(keys), size)]

    out: dict[str, Any] = {"size": n, "build_s": built, "keys": KEYS, "reads_s": {
        "by_key": best(con, lists("events_base", 1000)),
        "by_key_ids_only": best(con, lists("events_base", 1000, "event_id")),
        "sorted_lists_of_1000": best(con, lists("events_sorted", 1000)),
        "sorted_lists_of_50": best(con, lists("events_sorted", 50)),
    }, "analysts_s": {view: {q: best(con, [sql.format(v=view)]) for q, sql in QUERIES.items()}
                      for view in VIEWS}}
    con.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="sources-options-") as d:
        for n in args.sizes:
            row = run(n, args.seed, Path(d))
            results.append(row)
            print(json.dumps(row), flush=True)
    if args.json:
        args.json.write_text(json.dumps({
            "bench": "sources_options", "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version(),
                        "duckdb": duckdb.__version__}, "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
