"""DuckDB sink at 1M and 10M events: batch write, publish cost, and naive row inserts, per size.

    .venv/bin/python bench/sink_bench.py --sizes 1000000 10000000 --json bench/results/sink.json

For each size the writer is first filled in SQL with that many events (two mentions each, one
changelog row each: the shape of `events`, `event_mentions` and `changelog`). Then:
- batches go through the sink's own path: encoded changes are decoded, folded and written with
  `apply_batch` (offsets in the same transaction); each batch holds new events (`EventCreated`) and
  revisions of events already stored (`EventRevised`, which rewrite their rows);
- after each batch the analysts' file is published the way the sink does it now (a replica is
  caught up and hard-linked, `ReplicaPublisher`), and, for comparison, the way it did before
  (checkpoint + copy of the whole writer file + rename, `publish_snapshot`);
- a naive baseline writes the same kind of rows with one INSERT per row into the same database;
- the sink restarts after one more batch: the first publish of a new publisher is timed
  (`restart_publish_s`: a catch-up from the writer's changelog table) beside the first publish of
  all (`start_copy_s`: a replica built whole, which is what every start cost before);
- a replica folds its small tables into its base tables once (`fold_publish_s`: a publish
  forced to fold; a replica folds once its small tables hold `FOLD_SHARE` of its base rows,
  `changes_between_folds` changes at this size);
- two `newsline timeline` queries run on the published file.

`--before COMMIT` also runs that commit's own `bench/sink_bench.py` (from `git archive`), size by
size just before this tree's, with the same arguments: both sides in one run, on one machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from processors.store.overlay import OVERLAID, STORE  # noqa: E402
from processors.store.project import event_row, fold  # noqa: E402
from processors.store.replicas import FOLD_MIN_ROWS, FOLD_SHARE, ReplicaPublisher  # noqa: E402
from processors.store.sink import (  # noqa: E402
    apply_batch,
    decode_changes,
    open_writer,
    publish_snapshot,
)
from readmodel.read import read_timeline  # noqa: E402
from schemas.codec import encode, envelope  # noqa: E402
from schemas.timeline import (  # noqa: E402
    EventCreated,
    EventFacts,
    EventMembers,
    EventRevised,
    EventState,
)

TOPIC = "newsline.timeline.changelog"
T0 = datetime(2015, 1, 1, tzinfo=UTC)
PREFILL = """
INSERT INTO events
SELECT printf('ev-%012x', i), DATE '2015-01-01' + CAST(hash(i) % 3650 AS INTEGER),
       DATE '2015-01-01' + CAST(hash(i) % 3650 AS INTEGER), 'day', 'Synthetic event ' || i,
       ['Entity ' || (hash(i + 1) % 2000), 'Entity ' || (hash(i + 2) % 2000)], 2, 2,
       ['https://a.example/' || i, 'https://b.example/' || i], ['en'],
       TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_seconds(i),
       TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_seconds(i), 'explicit'
FROM range({lo}, {hi}) t(i);
INSERT INTO event_mentions SELECT printf('ev-%012x', i), printf('v%da:10', i) FROM range({lo}, {hi}) t(i);
INSERT INTO event_mentions SELECT printf('ev-%012x', i), printf('v%db:20', i) FROM range({lo}, {hi}) t(i);
INSERT INTO changelog
SELECT i, printf('v%da:0', i), 'org.newsline.event.created',
       TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_seconds(i), printf('v%da', i),
       printf('ev-%012x', i), '{{}}'
FROM range({lo}, {hi}) t(i);
"""


def state(i: int, rng: random.Random, mentions: int = 2) -> EventState:
    day = date(2015, 1, 1) + timedelta(days=rng.randrange(3650))
    at = T0 + timedelta(seconds=i)
    return EventState(
        event_id=f"ev-{i:012x}", start=day, end=day, granularity="day",
        summary=f"Synthetic event {i} reported by two outlets.",
        entities=sorted({f"Entity {rng.randrange(2000)}" for _ in range(3)}),
        mention_ids=[f"v{i}{chr(97 + k)}:{10 * k}" for k in range(mentions)],
        sources=[f"https://{chr(97 + k)}.example/{i}" for k in range(mentions)], languages=["en"],
        first_reported_at=at, last_reported_at=at)


def whole(ev: EventState) -> dict[str, Any]:
    """An event change's facts and whole lists (a revision then replaces the event's rows)."""
    return {"event": EventFacts.of(ev),
            "members": EventMembers(mention_ids=ev.mention_ids, sources=ev.sources)}


def batch_records(first_offset: int, n: int, existing: int, rng: random.Random,
                  revised_share: float = 0.2) -> list[tuple[int, bytes]]:
    """n encoded changes from `first_offset`: new events, and revisions of stored events."""
    out = []
    for k in range(n):
        offset = first_offset + k
        at = T0 + timedelta(seconds=offset)
        if existing and rng.random() < revised_share:
            target = rng.randrange(existing)
            ev = state(target, rng, mentions=3)
            change: Any = EventRevised(known_at=at, cause=f"r{offset}", event_id=ev.event_id,
                                       **whole(ev))
        else:
            ev = state(offset, rng)
            change = EventCreated(known_at=at, cause=f"v{offset}a", event_id=ev.event_id,
                                  **whole(ev))
        env = envelope(change, source="bench", subject=ev.event_id, id=f"c{offset}:0", time=at)
        out.append((offset, encode(env)))
    return out


def rows_of(batch: Any) -> int:
    return len(batch.changelog) + len(batch.events) + sum(
        len(d.mentions_added) for d in batch.events.values() if d.facts)


def overlay_rows_of(batch: Any) -> int:
    """Rows a catch-up writes to a replica's small tables for this batch (recent and moved)."""
    return (2 * len(batch.articles) + 2 * len(batch.mentions) + len(batch.statuses)
            + 2 * len(batch.events)
            + sum(1 + len(d.mentions_added) for d in batch.events.values() if d.facts))


# Where rows are written in bulk: a table's base in the writer's layout (`processors/store/overlay.py`).
BASE = {t: f"{STORE}.{t}_base" if t in OVERLAID else t
        for t in ("changelog", "articles", "mentions", "events", "event_mentions")}


def into_base(sql: str) -> str:
    """`sql` with its `INSERT INTO <table>` writing the table's base (`BASE`)."""
    for table, base in BASE.items():
        sql = sql.replace(f"INSERT INTO {table}\n", f"INSERT INTO {base}\n")
        sql = sql.replace(f"INSERT INTO {table} ", f"INSERT INTO {base} ")
    return sql


def naive(con: duckdb.DuckDBPyConnection, records: list[tuple[int, bytes]]) -> float:
    """Rows per second with one INSERT per row (same rows, same tables, same database)."""
    t0 = time.perf_counter()
    rows = 0
    con.execute("BEGIN")
    for offset, env in decode_changes(records):
        data = env.data
        con.execute(f"INSERT INTO {BASE['changelog']} VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [offset, env.id, env.type, data.known_at, data.cause, env.subject,
                     data.model_dump_json()])
        r = event_row(data.event, data.members.sources)
        con.execute(f"INSERT INTO {BASE['events']} VALUES ({', '.join('?' * len(r))})",
                    list(r.values()))
        for m in data.members.mention_ids:
            con.execute(f"INSERT INTO {BASE['event_mentions']} VALUES (?, ?)",
                        [r["event_id"], m])
        rows += 2 + len(data.members.mention_ids)
    con.execute("ROLLBACK")  # leave the database as it was for the other measures
    return rows / (time.perf_counter() - t0)


def run_size(d: Path, size: int, batches: int, batch: int, naive_events: int,
             seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    writer = d / ".sink" / "writer.duckdb"
    target = d / "newsline.duckdb"
    con = open_writer(writer)
    t0 = time.perf_counter()
    for lo in range(0, size, 1_000_000):
        con.execute(into_base(PREFILL.format(lo=lo, hi=min(size, lo + 1_000_000))))
    con.execute("DELETE FROM sink_offsets WHERE topic = ?", [TOPIC])
    con.execute("INSERT INTO sink_offsets VALUES (?, 0, ?, 'bench')", [TOPIC, size])
    con.execute("CHECKPOINT")
    prefill_s = time.perf_counter() - t0
    publisher = ReplicaPublisher(writer.parent, target)
    t = time.perf_counter()
    first = [publisher.publish(con, writer, topic=TOPIC, epoch="bench", next_offset=size)]
    start_copy_s = time.perf_counter() - t
    offset, write_s, publish_s, publish_cpu, hows, rows = size, [], [], [], [], 0
    overlay = 0
    for _ in range(batches):
        records = batch_records(offset, batch, size, rng)
        t = time.perf_counter()
        changes = decode_changes(records)
        b = fold(changes)
        apply_batch(con, b, topic=TOPIC, epoch="bench")
        write_s.append(time.perf_counter() - t)
        rows += rows_of(b)
        overlay += overlay_rows_of(b)
        publisher.record(changes, offset)
        offset = b.next_offset
        t, c = time.perf_counter(), time.process_time()
        hows.append(publisher.publish(con, writer, topic=TOPIC, epoch="bench", next_offset=offset))
        publish_s.append(time.perf_counter() - t)
        publish_cpu.append(time.process_time() - c)
    # One more batch, published by a catch-up forced to fold its replica's small tables.
    folding: dict[str, Any] = {}
    if hasattr(publisher, "folds"):
        publisher.fold_share, publisher.fold_min_rows = 0.0, 0
        records = batch_records(offset, batch, size, rng)
        changes = decode_changes(records)
        b = fold(changes)
        apply_batch(con, b, topic=TOPIC, epoch="bench")
        publisher.record(changes, offset)
        offset = b.next_offset
        t, c = time.perf_counter(), time.process_time()
        how = publisher.publish(con, writer, topic=TOPIC, epoch="bench", next_offset=offset)
        fold_s, fold_cpu = time.perf_counter() - t, time.process_time() - c
        publisher.fold_share, publisher.fold_min_rows = FOLD_SHARE, FOLD_MIN_ROWS
        row = con.execute("SELECT (SELECT count(*) FROM articles) + (SELECT count(*) FROM mentions)"
                          " + (SELECT count(*) FROM events) + (SELECT count(*) FROM event_mentions)"
                          ).fetchone()
        base = int(row[0]) if row else 0
        between = max(FOLD_MIN_ROWS, FOLD_SHARE * base) / (overlay / (batches * batch))
        folding = {"fold_publish_how": how, "folds": publisher.folds,
                   "fold_publish_s": round(fold_s, 3), "fold_publish_cpu_s": round(fold_cpu, 3),
                   "base_rows": base,
                   "overlay_rows_per_change": round(overlay / (batches * batch), 2),
                   "changes_between_folds": round(between)}
    # The sink restarts after one more batch: a new publisher, nothing in memory.
    records = batch_records(offset, batch, size, rng)
    b = fold(decode_changes(records))
    apply_batch(con, b, topic=TOPIC, epoch="bench")
    offset = b.next_offset
    restarted = ReplicaPublisher(writer.parent, target)
    t, c = time.perf_counter(), time.process_time()
    restart_how = restarted.publish(con, writer, topic=TOPIC, epoch="bench", next_offset=offset)
    restart_s, restart_cpu = time.perf_counter() - t, time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    publish_snapshot(con, writer, d / "copy.duckdb")
    copy_s, copy_cpu = time.perf_counter() - t, time.process_time() - c
    (d / "copy.duckdb").unlink()
    slow = naive(con, batch_records(offset, naive_events, size, rng))
    con.close()
    t = time.perf_counter()
    n_entity = len(read_timeline(target, entity="Entity 7"))
    entity_s = time.perf_counter() - t
    t = time.perf_counter()
    n_range = len(read_timeline(target, since=date(2020, 3, 1), until=date(2020, 3, 31)))
    range_s = time.perf_counter() - t
    fast = rows / sum(write_s)
    steady = [s for s, h in zip(publish_s, hows, strict=True) if h == "catch-up"]
    steady_cpu = [s for s, h in zip(publish_cpu, hows, strict=True) if h == "catch-up"]
    if folding and steady_cpu:
        # Two replicas take turns, each folding once per `changes_between_folds` changes.
        folding["fold_cpu_s_per_publish_amortised"] = round(
            2 * max(0.0, folding["fold_publish_cpu_s"] - statistics.median(steady_cpu))
            * batch / folding["changes_between_folds"], 4)
    return {
        "events": size, "file_mb": round(writer.stat().st_size / 1e6, 1),
        "prefill_s": round(prefill_s, 1), "batch_changes": batch, "batches": batches,
        "batch_write_s_median": round(statistics.median(write_s), 3),
        "batched_rows_per_s": round(fast), "naive_rows_per_s": round(slow),
        "batched_over_naive": round(fast / slow, 1),
        "publish_how": first + hows,
        "replica_publish_s_median": round(statistics.median(steady), 3) if steady else None,
        "replica_publish_s_max": round(max(steady), 3) if steady else None,
        "replica_publish_cpu_s_median": round(statistics.median(steady_cpu), 3) if steady else None,
        "start_copy_s": round(start_copy_s, 3), "restart_publish_how": restart_how,
        "restart_publish_s": round(restart_s, 3), "restart_publish_cpu_s": round(restart_cpu, 3),
        "whole_copy_publish_s": round(copy_s, 3), "whole_copy_publish_cpu_s": round(copy_cpu, 3),
        "timeline_entity_ms": round(entity_s * 1000), "timeline_entity_events": n_entity,
        "timeline_month_ms": round(range_s * 1000), "timeline_month_events": n_range,
        **folding,
    }


def write_json(args: argparse.Namespace, results: list[dict[str, Any]],
               before: list[dict[str, Any]]) -> None:
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({
        "bench": "sink", "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpus": os.cpu_count()},
        "versions": {"duckdb": duckdb.__version__},
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "results": results,
        **({"before": {"commit": args.before, "results": before}} if args.before else {})},
        indent=2) + "\n", encoding="utf-8")


def run_before(args: argparse.Namespace, tree: Path, size: int) -> dict[str, Any]:
    """One size through the `--before` commit's own bench, in a subprocess."""
    out = tree / f"before-{size}.json"
    subprocess.run([sys.executable, str(tree / "bench" / "sink_bench.py"), "--sizes", str(size),
                    "--batches", str(args.batches), "--batch", str(args.batch), "--naive-events",
                    str(args.naive_events), "--seed", str(args.seed), "--json", str(out)],
                   check=True)
    result: dict[str, Any] = json.loads(out.read_text())["results"][0]
    return result


def main() -> None:
    """Run every size and print a table (and write JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--batches", type=int, default=8)
    parser.add_argument("--batch", type=int, default=2000, help="changes per batch")
    parser.add_argument("--naive-events", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--before", help="a commit whose bench to run too, size by size")
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    before: list[dict[str, Any]] = []
    tree = Path(tempfile.mkdtemp(prefix="sink-before-"))
    if args.before:
        subprocess.run(f"git -C '{ROOT}' archive {args.before} | tar -x -C '{tree}'", shell=True,
                       check=True)
    for size in args.sizes:
        if args.before:
            before.append(run_before(args, tree, size))
            print("before:", json.dumps(before[-1]), flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            results.append(run_size(Path(tmp), size, args.batches, args.batch, args.naive_events,
                                    args.seed))
        print(json.dumps(results[-1]), flush=True)
        if args.json:  # after each size, so a long run keeps what it measured
            write_json(args, results, before)
    print()
    print("| events | file MB | batch write (median) | batched rows/s | naive rows/s | batched / naive "
          "| publish, replica catch-up (median / max; CPU) | publish, whole copy (before; CPU) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['events']:,} | {r['file_mb']:.0f} | {r['batch_write_s_median']:.2f} s | "
              f"{r['batched_rows_per_s']:,} | {r['naive_rows_per_s']:,} | {r['batched_over_naive']}x | "
              f"{r['replica_publish_s_median']:.2f} / {r['replica_publish_s_max']:.2f} s; "
              f"{r['replica_publish_cpu_s_median']:.2f} s | "
              f"{r['whole_copy_publish_s']:.2f} s; {r['whole_copy_publish_cpu_s']:.2f} s |")


if __name__ == "__main__":
    main()
