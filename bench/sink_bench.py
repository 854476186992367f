"""DuckDB sink throughput (batched vs row-by-row) and timeline query times as the data grows.

    .venv/bin/python bench/sink_bench.py --events 200000

Synthetic `EventCreated` changes (random dates over 10 years, 3 entities from a pool of 2,000, 2
mentions and sources each) are encoded as they are on the wire, then projected (1) by the sink's
own path: decode, fold, `apply_batch` in batches of 5,000 with offsets in the same transaction;
(2) by a naive baseline doing one INSERT per row for the same rows (on a slice, it is slow).
Then it times the snapshot publication and two `newsline timeline` queries on the result.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from processors.store.project import event_row, fold  # noqa: E402
from processors.store.sink import (  # noqa: E402
    apply_batch,
    decode_changes,
    open_writer,
    publish_snapshot,
)
from readmodel.read import read_timeline  # noqa: E402
from schemas.codec import encode, envelope  # noqa: E402
from schemas.timeline import EventCreated, EventState  # noqa: E402

TOPIC = "newsline.timeline.changelog"


def changes(n: int, seed: int = 1) -> list[tuple[int, bytes]]:
    """n encoded EventCreated changes with their offsets."""
    rng = random.Random(seed)
    t0 = datetime(2015, 1, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        day = date(2015, 1, 1) + timedelta(days=rng.randrange(3650))
        at = t0 + timedelta(seconds=i)
        ev = EventState(
            event_id=f"ev-{i:012x}", start=day, end=day, granularity="day",
            summary=f"Synthetic event {i} reported by two outlets.",
            entities=sorted({f"Entity {rng.randrange(2000)}" for _ in range(3)}),
            mention_ids=[f"v{i}a:10", f"v{i}b:20"],
            sources=[f"https://a.example/{i}", f"https://b.example/{i}"], languages=["en"],
            first_reported_at=at, last_reported_at=at)
        change = EventCreated(known_at=at, cause=f"v{i}a", event_id=ev.event_id, event=ev)
        env = envelope(change, source="bench", subject=ev.event_id, id=f"v{i}a:0", time=at)
        out.append((i, encode(env)))
    return out


def batched(path: Path, records: list[tuple[int, bytes]], batch: int = 5000) -> float:
    """Rows per second through the sink's own path."""
    con = open_writer(path)
    t0 = time.perf_counter()
    rows = 0
    for i in range(0, len(records), batch):
        part = records[i:i + batch]
        b = fold(decode_changes(part))
        apply_batch(con, b, topic=TOPIC, epoch="bench")
        rows += len(b.changelog) + len(b.events) + sum(
            len(s.mention_ids) for s in b.events.values() if s)
    elapsed = time.perf_counter() - t0
    con.close()
    return rows / elapsed


def naive(path: Path, records: list[tuple[int, bytes]]) -> float:
    """Rows per second with one INSERT per row (same rows, same tables)."""
    con = open_writer(path)
    t0 = time.perf_counter()
    rows = 0
    for offset, env in decode_changes(records):
        data = env.data
        con.execute("INSERT INTO changelog VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [offset, env.id, env.type, data.known_at, data.cause, env.subject,
                     data.model_dump_json()])
        r = event_row(data.event)
        con.execute("INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    list(r.values()))
        for m in data.event.mention_ids:
            con.execute("INSERT OR REPLACE INTO event_mentions VALUES (?, ?)", [r["event_id"], m])
        rows += 2 + len(data.event.mention_ids)
    elapsed = time.perf_counter() - t0
    con.close()
    return rows / elapsed


def main() -> None:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--naive-events", type=int, default=5_000)
    args = parser.parse_args()
    records = changes(args.events)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        fast = batched(d / "w.duckdb", records)
        slow = naive(d / "n.duckdb", records[:args.naive_events])
        con = open_writer(d / "w.duckdb")
        t0 = time.perf_counter()
        publish_snapshot(con, d / "w.duckdb", d / "newsline.duckdb")
        publish_s = time.perf_counter() - t0
        con.close()
        size_mb = (d / "newsline.duckdb").stat().st_size / 1e6
        t0 = time.perf_counter()
        n_entity = len(read_timeline(d / "newsline.duckdb", entity="Entity 7"))
        entity_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        n_range = len(read_timeline(d / "newsline.duckdb", since=date(2020, 3, 1),
                                    until=date(2020, 3, 31)))
        range_s = time.perf_counter() - t0
    print(f"| measure ({args.events:,} events) | value |")
    print("|---|---|")
    print(f"| sink, batched (rows/s) | {fast:,.0f} |")
    print(f"| naive row-by-row INSERT (rows/s, {args.naive_events:,} events) | {slow:,.0f} |")
    print(f"| batched / naive | {fast / slow:.1f}x |")
    print(f"| snapshot publish (checkpoint + copy + rename) | {publish_s:.2f} s for {size_mb:.0f} MB |")
    print(f"| timeline --entity (all time, {n_entity} events) | {entity_s * 1000:.0f} ms |")
    print(f"| timeline --since/--until (one month, {n_range} events) | {range_s * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
