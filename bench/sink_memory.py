"""The sink's memory over a long run, in-process (no broker): does its RSS level off?

    .venv/bin/python bench/sink_memory.py --articles 4000 --json bench/results/sink-memory.json

The dense workload's first N articles are analysed and folded first (their changes held by this
script: a constant share of the RSS from then on); then the sink's own functions write them as
the soak of the fault campaign sees them, two articles a batch (`apply_batch`), each batch
followed by a publish (`ReplicaPublisher.publish`: a replica's catch-up, or a copy), DuckDB on
one thread as in the sink. Every `--every` articles: the process's RSS, DuckDB's buffer manager
(`duckdb_memory()`), Python's live small objects (`sys.getallocatedblocks`) and the changes the
publisher keeps for replicas. Growth is counted from the first sample (after the changes are
made), so the script's own data is not in it.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run(per_article: list[list[tuple[int, bytes]]], per_batch: int, every: int,
        memory_limit: str | None = None, reopen_changes: int = 0,
        publish: bool = True) -> list[dict]:
    """Write and publish the changes batch by batch, through the sink's own writer (`Sink`:
    its `memory_limit`, None for DuckDB's default of 80% of RAM, and its reopen after
    `reopen_changes`, 0 for never); a sample every `every` articles. `publish=False` writes the
    writer only (no replica; the changes kept for replicas are then dropped after each batch,
    as a publish would), to tell the two apart."""
    from bench.resolver_state_bench import native_memory, rss_mb
    from bench.sink_costs import write_batch
    from processors.store.sink import Sink

    tmp = Path(tempfile.mkdtemp(prefix="sink-memory-"))
    sink = Sink(tmp, "unused:9092", "changelog", "bench", threads=1, memory_limit=memory_limit,
                reopen_changes=reopen_changes)
    con = sink._open()
    publisher, writer = sink.publisher, sink.writer_path
    samples: list[dict] = []

    def sample(done: int) -> None:
        row = con.execute("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory()"
                          ).fetchone()
        samples.append({"articles": done, "rss_mb": round(rss_mb(), 1),
                        "duckdb_buffers_mb": round((row[0] if row else 0) / 2**20, 1),
                        "py_blocks_k": round(sys.getallocatedblocks() / 1000, 1),
                        "kept_changes": len(publisher.changes), "reopened": sink.reopened,
                        "files_mb": round(sum(p.stat().st_size for p in tmp.rglob("*.duckdb*"))
                                          / 2**20, 1)})
        samples[-1].update({k: v for k, v in native_memory().items()
                            if k in ("rssanon_mb", "rssfile_mb", "malloc_in_use_mb",
                                     "malloc_free_kept_mb")})
        print(json.dumps(samples[-1]), flush=True)

    sample(0)
    for i in range(0, len(per_article), per_batch):
        records = [r for a in per_article[i:i + per_batch] for r in a]
        next_offset = write_batch(con, publisher, records)
        con = sink._reopen_if_due(con, len(records))
        if publish:
            publisher.publish(con, writer, topic="changelog", epoch="bench",
                              next_offset=next_offset)
        else:
            publisher.changes.clear()
        done = min(i + per_batch, len(per_article))
        if done % every == 0 or done == len(per_article):
            sample(done)
    con.close()
    return samples


def main(argv: list[str] | None = None) -> dict[str, Any]:
    from bench.sink_costs import changes, save, workload_parser

    parser = workload_parser(__doc__, articles=4000, per_batch=2)
    parser.add_argument("--every", type=int, default=200)
    parser.add_argument("--memory-limit", help="DuckDB's memory_limit for the sink's writer")
    parser.add_argument("--reopen-changes", type=int, default=0,
                        help="reopen the writer after this many changes (0: never)")
    parser.add_argument("--no-publish", action="store_true", help="the writer only, no replica")
    args = parser.parse_args(argv)
    per_article = changes(args.articles, args.seed)
    samples = run(per_article, args.per_batch, args.every, args.memory_limit,
                  args.reopen_changes, not args.no_publish)
    first = samples[0]["rss_mb"]
    out: dict[str, Any] = {"bench": "sink_memory", "articles": args.articles,
                           "per_batch": args.per_batch, "memory_limit": args.memory_limit,
                           "reopen_changes": args.reopen_changes,
                           "publish": not args.no_publish,
                           "changes": sum(len(a) for a in per_article), "samples": samples,
                           "rss_growth_mb": round(samples[-1]["rss_mb"] - first, 1)}
    return save(out, args.json)


if __name__ == "__main__":
    main()
