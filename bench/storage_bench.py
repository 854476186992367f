"""Two designs for the analysts' file, measured as the timeline grows (see docs/analyst-storage.md).

    .venv/bin/python bench/storage_bench.py --sizes 1000000 10000000

A. Snapshot (chosen): the sink writes a private DuckDB file and publishes a copy by atomic rename
   after each batch. Cost per publish: CHECKPOINT + file copy; queries hit native tables.
B. Parquet log: each batch appends a Parquet file; the analysts' file only holds views over
   `read_parquet('events/*.parquet')`, so it is never written while ingestion runs. Cost per
   batch: one small file; queries scan every file (latest-state-wins dedup needs a window).

Rows are generated in SQL (events with a random day over ten years and three entities from a
pool of 2,000), in the shape of the `events` table.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from processors.store.overlay import STORE  # noqa: E402
from processors.store.sink import open_writer, publish_snapshot  # noqa: E402

ROWS = """
SELECT printf('ev-%012x', i) AS event_id,
       DATE '2015-01-01' + CAST(hash(i) % 3650 AS INTEGER) AS start_date,
       DATE '2015-01-01' + CAST(hash(i) % 3650 AS INTEGER) AS end_date,
       'day' AS granularity, 'Synthetic event ' || i AS summary,
       ['Entity ' || (hash(i + 1) % 2000), 'Entity ' || (hash(i + 2) % 2000),
        'Entity ' || (hash(i + 3) % 2000)] AS entities,
       2 AS mention_count, 2 AS source_count,
       ['https://a.example/' || i, 'https://b.example/' || i] AS sources, ['en'] AS languages,
       TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_seconds(i) AS first_reported_at,
       TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_seconds(i) AS last_reported_at,
       'explicit' AS anchor
FROM range({lo}, {hi}) t(i)
"""
ENTITY_Q = ("SELECT count(*) FROM {src} WHERE list_contains(entities, 'Entity 7')")
RANGE_Q = ("SELECT count(*) FROM {src} WHERE start_date <= DATE '2020-03-31' "
           "AND end_date >= DATE '2020-03-01'")
BATCH = 5000


def timed(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    t0 = time.perf_counter()
    con.execute(sql).fetchall()
    return time.perf_counter() - t0


def snapshot_design(d: Path, size: int) -> dict[str, float]:
    """Publish cost, one batch's write, and query times for design A at `size` events."""
    writer = d / "a" / "writer.duckdb"
    con = open_writer(writer)
    events = f"{STORE}.events_base"  # `events` is a view over it (processors/store/overlay.py)
    con.execute(f"INSERT INTO {events} " + ROWS.format(lo=0, hi=size))
    t0 = time.perf_counter()
    con.execute(f"INSERT INTO {events} " + ROWS.format(lo=size, hi=size + BATCH))
    batch_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    publish_snapshot(con, writer, d / "a" / "newsline.duckdb")
    publish_s = time.perf_counter() - t0
    con.close()
    reader = duckdb.connect(str(d / "a" / "newsline.duckdb"), read_only=True)
    out = {"batch_write_s": batch_s, "publish_s": publish_s,
           "size_mb": (d / "a" / "newsline.duckdb").stat().st_size / 1e6,
           "entity_q_s": timed(reader, ENTITY_Q.format(src="events")),
           "range_q_s": timed(reader, RANGE_Q.format(src="events"))}
    reader.close()
    return out


def parquet_design(d: Path, size: int, files: int) -> dict[str, float]:
    """Append cost and query times for design B at `size` events spread over `files` files."""
    root = d / "b" / "events"
    root.mkdir(parents=True)
    con = duckdb.connect()
    step = max(1, size // files)
    for n, lo in enumerate(range(0, size, step)):
        con.execute(f"COPY ({ROWS.format(lo=lo, hi=min(size, lo + step))}) TO "
                    f"'{root}/part-{n:06d}.parquet' (FORMAT parquet)")
    t0 = time.perf_counter()
    con.execute(f"COPY ({ROWS.format(lo=size, hi=size + BATCH)}) TO "
                f"'{root}/part-new.parquet' (FORMAT parquet)")
    batch_s = time.perf_counter() - t0
    con.close()
    view = d / "b" / "newsline.duckdb"
    con = duckdb.connect(str(view))
    con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{root}/*.parquet')")
    con.close()
    reader = duckdb.connect(str(view), read_only=True)
    size_mb = sum(p.stat().st_size for p in root.iterdir()) / 1e6
    out = {"batch_write_s": batch_s, "publish_s": 0.0, "size_mb": size_mb,
           "entity_q_s": timed(reader, ENTITY_Q.format(src="events")),
           "range_q_s": timed(reader, RANGE_Q.format(src="events"))}
    reader.close()
    return out


def main() -> None:
    """Print one table row per design and size."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--files", type=int, default=200,
                        help="Parquet files for design B (batches not yet compacted)")
    args = parser.parse_args()
    print("| design | events | data MB | write one batch (5,000) | publish | entity query | "
          "one-month query |")
    print("|---|---|---|---|---|---|---|")
    for size in args.sizes:
        for name, run in (("A snapshot", lambda d, s=size: snapshot_design(d, s)),
                          ("B parquet log", lambda d, s=size: parquet_design(d, s, args.files))):
            d = Path(tempfile.mkdtemp(prefix="newsline-storage-"))
            try:
                r = run(d)
            finally:
                shutil.rmtree(d, ignore_errors=True)
            print(f"| {name} | {size:,} | {r['size_mb']:,.0f} | {r['batch_write_s'] * 1000:,.0f} ms"
                  f" | {r['publish_s']:.2f} s | {r['entity_q_s'] * 1000:,.0f} ms | "
                  f"{r['range_q_s'] * 1000:,.0f} ms |", flush=True)


if __name__ == "__main__":
    main()
