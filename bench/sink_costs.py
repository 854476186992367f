"""What the sink's fixed costs are per batch and per publish, in-process (no broker).

    .venv/bin/python bench/sink_costs.py --articles 600 --json bench/results/sink-costs.json

The dense workload's first N articles are analysed and folded once; their changes are then
written by the sink's own functions (`apply_batch` into a writer, `ReplicaPublisher.publish`)
in batches of `--per-batch` articles, publishing after every batch or every few, with DuckDB's
default threads or one. Reported: CPU ms per article (the process's CPU, DuckDB's threads
included) of the batch writes and of the publishes. Then the rows of the same batches staged
three ways (the sink's NDJSON file read by `read_json`, `executemany` into a temp table, one
INSERT ... VALUES with parameters), CPU ms per batch.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def changes(n: int, seed: int) -> list[list[tuple[int, bytes]]]:
    """Each article's changelog records (offset, value), as the resolver would send them."""
    from bench.e2e_bench import dense_articles
    from processors.analysis.analyse import analyse_article
    from processors.resolution.fold import TimelineState, apply_article, change_envelopes
    from schemas.articles import Article
    from schemas.codec import encode, envelope

    state, out, offset = TimelineState(), [], 0
    for doc in dense_articles(n, seed):
        analysed = analyse_article(envelope(Article.model_validate(doc), source="bench/sink"))
        records = []
        for env in change_envelopes(apply_article(state, analysed).changes, analysed.version_id):
            records.append((offset, encode(env)))
            offset += 1
        out.append(records)
    return out


def write_batch(con: Any, publisher: Any, records: list[tuple[int, bytes]]) -> int:
    """One batch as the sink writes it: decoded, folded, applied to the writer (`apply_batch`)
    and kept for the replicas (`ReplicaPublisher.record`); the next offset."""
    from processors.store.project import fold
    from processors.store.sink import apply_batch, split_changes, stored_position

    decoded, _ = split_changes(records)
    batch = fold(decoded)
    batch.next_offset = records[-1][0] + 1
    start, _ = stored_position(con, "changelog")
    apply_batch(con, batch, topic="changelog", epoch="bench")
    publisher.record(decoded, start)
    return batch.next_offset


def run(per_article: list[list[tuple[int, bytes]]], per_batch: int, publish_every: int,
        threads: int | None) -> dict[str, Any]:
    """Write and publish the changes; CPU ms per article of each."""
    from processors.store.replicas import ReplicaPublisher
    from processors.store.sink import open_writer

    tmp = Path(tempfile.mkdtemp(prefix="sink-costs-"))
    (tmp / ".sink").mkdir()
    writer = tmp / ".sink" / "writer.duckdb"
    con = open_writer(writer, threads)
    publisher = ReplicaPublisher(tmp / ".sink", tmp / "newsline.duckdb")
    cpu = {"write": 0.0, "publish": 0.0}
    batches = publishes = 0
    for i in range(0, len(per_article), per_batch):
        records = [r for a in per_article[i:i + per_batch] for r in a]
        t0 = time.process_time()
        next_offset = write_batch(con, publisher, records)
        t1 = time.process_time()
        batches += 1
        cpu["write"] += t1 - t0
        if batches % publish_every == 0 or i + per_batch >= len(per_article):
            how = publisher.publish(con, writer, topic="changelog", epoch="bench",
                                    next_offset=next_offset)
            if how == "catch-up":  # the first publish of each replica copies: not counted
                cpu["publish"] += time.process_time() - t1
                publishes += 1
    con.close()
    n = len(per_article)
    return {"per_batch": per_batch, "publish_every": publish_every, "threads": threads,
            "batches": batches, "catch_up_publishes": publishes,
            "cpu_ms_per_article": {k: round(1000 * v / n, 2) for k, v in cpu.items()}}


def staging(per_article: list[list[tuple[int, bytes]]], per_batch: int) -> dict[str, float]:
    """CPU ms per batch to stage the `mentions` and `changelog` rows three ways."""
    from processors.store.overlay import column_types as _column_types
    from processors.store.overlay import jsonable
    from processors.store.overlay import stage as _stage
    from processors.store.project import fold
    from processors.store.sink import open_writer, split_changes

    tmp = Path(tempfile.mkdtemp(prefix="sink-stage-"))
    con = open_writer(tmp / "w.duckdb", 1)
    batches = []
    for i in range(0, len(per_article), per_batch):
        decoded, _ = split_changes([r for a in per_article[i:i + per_batch] for r in a])
        batches.append(fold(decoded))

    def rows_of(name: str, cols: dict[str, str], rows: Any) -> list[list[Any]]:
        return [[json.dumps(r[c], default=jsonable) if t == "JSON" else r[c]
                 for c, t in cols.items()] for r in rows]

    def many(name: str, rows: Any) -> None:
        cols = _column_types(con, name)
        con.execute(f"CREATE OR REPLACE TEMP TABLE many_{name} "
                    f"({', '.join(f'{c} {t}' for c, t in cols.items())})")
        con.executemany(f"INSERT INTO many_{name} VALUES ({', '.join('?' for _ in cols)})",
                        rows_of(name, cols, rows))

    def values(name: str, rows: Any) -> None:
        cols = _column_types(con, name)
        vals = rows_of(name, cols, rows)
        one = "(" + ", ".join(f"?::{t}" for t in cols.values()) + ")"
        con.execute(f"CREATE OR REPLACE TEMP TABLE values_{name} AS SELECT * FROM "
                    f"(VALUES {', '.join(one for _ in vals)}) v({', '.join(cols)})",
                    [x for row in vals for x in row])

    out = {}
    for way, stage in (("ndjson (the sink)", lambda n, r: _stage(con, n, r, tmp)),
                       ("executemany", many), ("insert values", values)):
        t0 = time.process_time()
        for b in batches:
            stage("mentions", list(b.mentions.values()))
            stage("changelog", b.changelog)
        out[way] = round(1000 * (time.process_time() - t0) / len(batches), 2)
    con.close()
    return out


def workload_parser(doc: str | None, articles: int, per_batch: int) -> argparse.ArgumentParser:
    """The options of a bench of the sink's batches on the dense workload (`changes`):
    --articles, --per-batch, --seed, --json; the caller adds its own."""
    parser = argparse.ArgumentParser(description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=articles)
    parser.add_argument("--per-batch", type=int, default=per_batch)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--json", type=Path)
    return parser


def save(out: dict[str, Any], path: Path | None) -> dict[str, Any]:
    """Write a sink bench's figures to `path` (its --json), if given; return them."""
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(out, indent=2) + "\n")
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the cases and print and write the figures."""
    args = workload_parser(__doc__, articles=600, per_batch=10).parse_args(argv)
    per_article = changes(args.articles, args.seed)
    out: dict[str, Any] = {"bench": "sink_costs", "articles": args.articles,
                           "changes": sum(len(a) for a in per_article), "runs": []}
    k = args.per_batch
    for per_batch, every, threads in ((k, 1, None), (k, 1, 1), (2 * k, 1, 1), (k, 5, 1)):
        out["runs"].append(run(per_article, per_batch, every, threads))
        print(json.dumps(out["runs"][-1]), flush=True)
    out["staging_cpu_ms_per_batch"] = staging(per_article, k)
    print(json.dumps(out["staging_cpu_ms_per_batch"]), flush=True)
    return save(out, args.json)


if __name__ == "__main__":
    main()
