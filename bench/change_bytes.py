"""Bytes per article that the resolver writes, per slice of the dense workload: what grows with the story.

    nice -n 10 .venv/bin/python bench/change_bytes.py --sizes 500,1000,2000 \
        --before HEAD~1 --json bench/results/change-bytes.json

The stream is `bench/resolver_state_bench.py`'s (the dense workload, in arrival order, written
once to the cache). A fresh process folds it with the worker's `Resolver.handle` on a real SQLite
store in a temporary folder, and for every article counts the bytes of:

- `journal`: its journal record (`newsline.resolver.journal`), split into `journal_events` (the
  event writes the store applies), `journal_states` (record v2: the state of each event its
  changes are about, once), `journal_changes` (the change envelopes it carries to resend) and
  the rest (the article, statuses, position);
- `changes`: the change messages it publishes to the timeline changelog (what the sink writes
  to DuckDB's `changelog.data`, one JSON per change);
- `event_changes`, `events_touched`: the event changes among them and the events they are
  about (each change of an event carries its whole state: an article that attaches three
  mentions to one event sends it three times);
- `lists`: of those journal and change bytes, the whole `mention_ids` and `sources` lists of
  event states (the lists an article re-sends whole when it attaches one mention to an event);
- `store_written`: the bytes the process wrote over the slice (`wchar` of `/proc/self/io`: the
  SQLite store's WAL and checkpoints; the journal and the changelog are not written), and
  `store_mb` its file's size (WAL folded in) at the end of the slice.

Per slice (the articles between two sizes) it reports these per article and the CPU per article
of `Resolver.handle` (the fold, the record's encoding, the store's transaction; parsing for the
counts is outside it). `--before REV` runs the same counts on that revision's resolver (`git
archive` of the tree, in a temporary folder) before this tree's, in the same invocation, so the
two can be compared (CPU figures are noisy: compare the ratios of one run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TREE = Path(os.environ.get("CHANGE_BYTES_TREE", ROOT))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(TREE))  # the resolver measured (--before: an older revision's tree)

LISTS = ("mention_ids", "sources")
COUNTED = ("change_messages", "event_changes", "events_touched")  # counts, not bytes


def list_bytes(doc: Any) -> int:
    """Bytes of the `mention_ids` and `sources` lists anywhere in a JSON document."""
    if isinstance(doc, dict):
        return sum(len(json.dumps(v, separators=(",", ":"))) if k in LISTS and
                   isinstance(v, list) else list_bytes(v) for k, v in doc.items())
    if isinstance(doc, list):
        return sum(list_bytes(v) for v in doc)
    return 0


def _size(doc: Any) -> int:
    return len(json.dumps(doc, separators=(",", ":")))


class Counts:
    """Byte totals, reset at every size."""

    def __init__(self) -> None:
        self.t: dict[str, int] = dict.fromkeys(
            ("journal", "journal_events", "journal_states", "journal_changes", "journal_lists",
             "changes",
             "change_messages", "event_changes", "events_touched", "changes_lists"), 0)

    def record(self, raw: bytes) -> None:
        d = json.loads(raw)
        self.t["journal"] += len(raw)
        self.t["journal_events"] += _size(d.get("events", {}))
        self.t["journal_changes"] += _size(d.get("changes", []))
        states = d.get("states", {})  # (record v2: each changed event's state, once)
        self.t["journal_states"] += _size(states)
        self.t["journal_lists"] += list_bytes(d.get("events", {})) + sum(
            list_bytes(json.loads(v)) for v in [*states.values(), *(v for _, v in d["changes"])])

    def messages(self, messages: list[tuple[bytes, bytes]]) -> None:
        touched = set()
        for key, value in messages:
            env = json.loads(value)
            self.t["changes"] += len(key) + len(value)
            self.t["change_messages"] += 1
            self.t["changes_lists"] += list_bytes(env)
            if env["type"].startswith("org.newsline.event."):
                self.t["event_changes"] += 1
                touched.add(env["subject"])
        self.t["events_touched"] += len(touched)


def written() -> int:
    """Bytes this process has passed to `write` (Linux)."""
    with open("/proc/self/io", encoding="ascii") as f:
        return next(int(x.split()[1]) for x in f if x.startswith("wchar"))


def run(stream: Path, sizes: list[int], store_dir: Path) -> list[dict[str, Any]]:
    """Fold the stream's first articles with `Resolver.handle`; a row per slice."""
    from processors.worker.resolver_state import Resolver, Store
    from schemas.articles import ArticleAnalysed

    counts = Counts()
    cpu = [0.0]

    class CountingJournal:
        n = 0

        async def append(self, key: bytes, value: bytes) -> int:
            t0 = time.process_time()
            counts.record(value)
            cpu[0] -= time.process_time() - t0  # counting is not the resolver's work
            self.n += 1
            return self.n - 1

        async def read(self, start: int):  # noqa: ANN202 - nothing to recover
            return
            yield

    async def publish(messages: list[tuple[bytes, bytes]]) -> None:
        t0 = time.process_time()
        counts.messages(messages)
        cpu[0] -= time.process_time() - t0

    store_path = store_dir / "resolver.sqlite"
    rows: list[dict[str, Any]] = []

    async def main() -> None:
        resolver = Resolver(Store(store_path), CountingJournal(), publish)
        await resolver.recover()
        last_n, last_written = 0, written()
        with stream.open(encoding="utf-8") as f:
            for offset, line in enumerate(f):
                if offset >= sizes[-1]:
                    break
                art = ArticleAnalysed.model_validate_json(line)
                t0 = time.process_time()
                await resolver.handle(offset, art)
                cpu[0] += time.process_time() - t0
                n = offset + 1
                if n not in sizes:
                    continue
                resolver.store.con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                size = store_path.stat().st_size
                per = n - last_n
                row: dict[str, Any] = {"articles": n, "slice": [last_n, n],
                                       "cpu_ms_per_article": round(1000 * cpu[0] / per, 2)}
                for k, v in counts.t.items():
                    count = k in COUNTED
                    row[f"{k}_per_article" if count else f"{k}_kb_per_article"] \
                        = round(v / per / (1 if count else 1024), 2)
                t = counts.t
                row["journal_lists_share"] = round(t["journal_lists"] / max(1, t["journal"]), 3)
                row["changes_lists_share"] = round(t["changes_lists"] / max(1, t["changes"]), 3)
                now_written = written()
                row["store_written_kb_per_article"] = round((now_written - last_written) / per
                                                            / 1024, 2)
                row["store_mb"] = round(size / 2**20, 2)
                rows.append(row)
                print(json.dumps(row), flush=True)
                counts.__init__()  # type: ignore[misc]
                cpu[0] = 0.0
                last_n, last_written = n, written()
        resolver.store.close()

    asyncio.run(main())
    return rows


def child(args: argparse.Namespace, stream: Path, sizes: list[int], tree: Path,
          label: str) -> list[dict[str, Any]]:
    """This bench in a fresh process, measuring the resolver of `tree`."""
    env = {**os.environ, "CHANGE_BYTES_TREE": str(tree), "PYTHONHASHSEED": "0"}
    cmd = [sys.executable, __file__, "--child", str(stream), "--sizes", args.sizes]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    rows = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    for row in rows:
        row["tree"] = label
        print(json.dumps(row), flush=True)
    return rows


def main() -> None:
    from bench.dense_workload import add_workload_arguments

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="500,1000,2000")
    add_workload_arguments(parser)
    parser.add_argument("--before", help="a revision to measure first (git archive)")
    parser.add_argument("--json", type=Path, help="write the rows here too")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if args.child:
        with tempfile.TemporaryDirectory() as tmp:
            run(args.child, sizes, Path(tmp))
        return
    from bench.resolver_state_bench import write_stream

    # The resolver state bench's stream (same name: one file serves both benches).
    stream = args.cache / (f"resolver-stream-{args.seed}-{args.pool}-{args.pool_weeks}-"
                           f"{args.largest}-{args.years}-{sizes[-1]}.jsonl")
    args.cache.mkdir(parents=True, exist_ok=True)
    if not stream.exists():
        write_stream(stream, sizes[-1], args.seed, args.pool, args.pool_weeks, args.largest,
                     args.years, args.cache)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.before:
            before = Path(tmp) / "before"
            before.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.before],
                                     check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
            rows += child(args, stream, sizes, before, args.before)
        rows += child(args, stream, sizes, ROOT, "this tree")
    if args.json:
        args.json.write_text(json.dumps({"cpus": os.cpu_count(), "sizes": sizes,
                                         "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
