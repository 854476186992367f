"""Resident memory of the resolver as it runs in the worker: the state on disk vs all in RAM.

The dense workload (`bench/dense_workload.py`, the same pool, re-stamping and arrival order as
`bench/dense_resolver_bench.py`) is written once as a JSON-lines stream (generated lazily, in a
child process, so that no process holds the whole stream), then a fresh process reads it line
by line as the `resolve` agent reads the analysed topic, decodes each article and:

- `--mode store` (the worker's resolver): `Resolver.handle` with the SQLite store of
  `processors/worker/resolver_state.py`; the journal and the changelog are counted, not kept (they are
  Kafka's memory, not the worker's);
- `--mode memory`: `apply_article` on a plain `TimelineState` (every version in RAM: what the
  resolver held before, without the faust tables' in-memory copies it also kept).

At each size: RSS (VmRSS), RSS growth per 1,000 articles since the start and over the slice
since the previous size (`slice_rss_growth_kb_per_1k`: flat memory is a slice growth near 0),
CPU per article, the store's file size, the garbage collector's full passes between two sizes
(`full_gc_ms`, each a pause of the loop), and in store mode the active-mention index's resident
mentions and block heads, and what it read back (`index_figures`). `--tracemalloc` adds the traced Python
allocations (slower: use it on small sizes); `--sizeof` adds the MB reachable from each
in-memory structure of the resolver's state (`structures_mb`), and store mode the reads of the
parts looked up in the store (`store_reads`). Then a restart: a fresh process opens the store and
rebuilds the in-memory indexes (`Resolver.recover` + `loaded`), its time and RSS, and the
active-mention index's page loads and writes during the rebuild (`--restart-only`: only that, of
the store a previous run with the same sizes left).

    .venv/bin/python bench/resolver_state_bench.py --sizes 10000,50000,100000 --json out.json

A size that takes longer than one sitting: give `--store` a file outside the cache and run the
same command again with `--resume` after a stop (a worker's restart: the store goes on from its
position, and a killed run loses nothing the store committed).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dense_resolver_bench import FullCollections  # noqa: E402
from bench.dense_workload import (  # noqa: E402
    _pool_weeks,
    add_workload_arguments,
    analysed_pool,
    head_names,
    raw_pool,
    restamp,
)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def native_memory() -> dict[str, float]:
    """Where the process's memory is, beside RSS (MB): SQLite's own allocations, process-wide
    (`sqlite3_memory_used` of the library `_sqlite3` links: every connection's page cache and
    statements), glibc malloc's heap in use and free-but-kept (`mallinfo2`: the bytes malloc
    holds; Python's small objects are in pymalloc arenas, mmap'd and counted apart), and
    Python's live small-object blocks (`sys.getallocatedblocks`)."""
    import ctypes
    import ctypes.util

    out: dict[str, float] = {"py_blocks_k": round(sys.getallocatedblocks() / 1000, 1)}
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("sqlite3") or "libsqlite3.so.0")
        lib.sqlite3_memory_used.restype = ctypes.c_int64
        out["sqlite_mb"] = round(lib.sqlite3_memory_used() / 2**20, 1)
    except OSError:
        pass
    try:
        libc = ctypes.CDLL("libc.so.6")

        class MallInfo2(ctypes.Structure):
            _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks",
                                                       "hblkhd", "usmblks", "fsmblks",
                                                       "uordblks", "fordblks", "keepcost")]

        libc.mallinfo2.restype = MallInfo2
        m = libc.mallinfo2()
        out.update(malloc_in_use_mb=round((m.uordblks + m.hblkhd) / 2**20, 1),
                   malloc_free_kept_mb=round(m.fordblks / 2**20, 1))
    except (OSError, AttributeError):
        pass
    out.update(pymalloc_memory())
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("RssAnon", "RssFile"):  # the heap's pages vs mapped files' (code, libraries)
            out[name.lower() + "_mb"] = round(int(value.split()[0]) / 1024, 1)
    return out


def pymalloc_memory() -> dict[str, float]:
    """Python's small-object allocator (MB): the arenas it holds from the system, and within
    them the bytes in live blocks and in free blocks of its pools (`sys._debugmallocstats`,
    which writes to the C stderr: read back from a temporary file). Arenas held while their
    live bytes stay flat is fragmentation: an arena goes back only when all its pools are empty."""
    import os
    import tempfile

    fields = {"# arenas allocated current": "pymalloc_arenas",
              "# bytes in allocated blocks": "pymalloc_live_mb",
              "# bytes in available blocks": "pymalloc_free_mb"}
    with tempfile.TemporaryFile(mode="w+") as tmp:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            os.dup2(tmp.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        tmp.seek(0)
        text = tmp.read()
    out: dict[str, float] = {}
    for line in text.splitlines():
        name, _, value = line.partition("=")
        key = fields.get(name.strip())
        if key is not None and key not in out:
            n = int(value.strip().replace(",", ""))
            out[key] = n if key == "pymalloc_arenas" else round(n / 2**20, 1)
    return out


def deep_size(root: object, stop: set[int]) -> int:
    """Bytes reachable from `root` (`sys.getsizeof` of each object once), not following
    classes, modules, functions or the objects in `stop` (the state itself, its store)."""
    import types

    skip = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
            types.MethodType)
    seen: set[int] = set(stop)
    todo = [root]
    total = 0
    while todo:
        obj = todo.pop()
        if id(obj) in seen or isinstance(obj, skip):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        todo.extend(gc.get_referents(obj))
    return total


def structure_sizes(resolver: object) -> dict[str, float]:
    """MB reachable from each in-memory structure of the resolver's state (an object shared by
    two structures, an interned id say, is counted in each)."""
    state = resolver.state  # type: ignore[attr-defined]
    active = state.active
    stop = {id(resolver), id(state), id(active), id(state.versions),
            id(resolver.store)}  # type: ignore[attr-defined]
    parts = {"statuses": state.statuses, "by_url": state.by_url, "copies": state.copies,
             "bands": state.bands, "banded": state.banded, "events": state.events,
             "owner": state.owner, "summaries": state.summaries,
             "versions_cache": getattr(state.versions, "cache", None),
             "active_resident": active.resident, "active_feats": active.feats,
             "active_blocks": active.blocks}
    for name, value in vars(state).items():  # anything else the state grew
        if name not in parts and name != "versions" and name != "active":
            parts[name] = value
    return {name: round(deep_size(v, stop) / 2**20, 2) for name, v in parts.items()
            if v is not None}


def index_figures(active: Any) -> dict[str, int]:
    """The bounded active-mention index: what is resident, what was read and written."""
    blocks, cold = active.blocks, active.spill
    return {"resident_mentions": len(active.resident), "block_heads": len(blocks.heads),
            "head_units": blocks.units, "block_loads": blocks.loads,
            "ref_loads": active.refs.loads, "cold_rows_read": cold.rows_read,
            "cold_rows_written": cold.rows_written, "page_builds": active.builds}


def write_stream(path: Path, n: int, seed: int, pool_size: int, pool_weeks: int, largest: int,
                 years: int, cache: Path) -> None:
    """`arrival_order(expand(pool, n), seed)` of the dense bench, written without holding the
    n articles: the arrival keys are drawn in expand's order, then each is re-stamped as it is
    written."""
    pool = analysed_pool("dense", raw_pool(seed, pool_size, weeks=pool_weeks, largest=largest),
                         cache=cache)
    head = head_names()
    span = _pool_weeks(pool)
    wrap = max(1, (years * 52) // max(1, span))
    rng = random.Random(seed)
    keys = []
    k = produced = 0
    while produced < n:
        shift = timedelta(weeks=(k % wrap) * span)
        for i, a in enumerate(pool[: n - produced]):
            t = (a.updated_at or a.published_at) + shift
            if rng.random() < 0.02:
                t += timedelta(days=rng.randint(2, 120))
            else:
                t += timedelta(minutes=rng.randint(0, 90))
            vid = a.version_id if k == 0 else f"{a.version_id}.{k}"
            keys.append((t, vid, k, i))
        produced += min(len(pool), n - produced)
        k += 1
    keys.sort(key=lambda x: (x[0], x[1]))
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for _, _, k, i in keys:
            shift_weeks = (k % wrap) * span
            f.write(restamp(pool[i], k, shift_weeks, True, head).model_dump_json() + "\n")
    tmp.replace(path)


class NullJournal:
    """Counts records: the journal lives in Kafka, not in the worker."""

    def __init__(self) -> None:
        self.n = 0
        self.bytes = 0

    async def append(self, key: bytes, value: bytes) -> int:
        self.n += 1
        self.bytes += len(value)
        return self.n - 1

    async def read(self, start: int):  # noqa: ANN201
        return
        yield


def run(stream: Path, sizes: list[int], mode: str, store_path: Path, hot_mentions: int | None,
        trace: bool, sizeof: bool = False, keep: bool = False, trim: bool = False,
        trim_every: int | None = None, trim_phase: int = 0, resume: bool = False) -> list[dict]:
    """Fold the stream in this process; a row per size. `resume` (store mode): keep the store
    a previous run left and go on after its position, as a restarted worker does (the way to
    reach sizes that take longer than one sitting: a killed run loses at most its last record,
    which the store's transaction did not commit)."""
    from processors.resolution.fold import TimelineState, apply_article
    from processors.worker.heap import PROCESS_HEAP
    from processors.worker.resolver_state import Resolver, Store
    from schemas.articles import ArticleAnalysed

    rows: list[dict] = []
    if trim_every is not None:  # the worker's periodic malloc_trim (processors/worker/heap.py)
        PROCESS_HEAP.every = trim_every
    # Trims half-way between two sizes when --trim-phase is given, so that RSS is not read
    # right after one (at a multiple of the period, the worker has just trimmed).
    PROCESS_HEAP.records = trim_phase
    gc.collect()
    if trace:
        tracemalloc.start()
    rss0 = rss_mb()
    last_rss, last_traced = rss0, 0
    journal = NullJournal()
    sent = [0]

    async def publish(messages: list) -> None:
        sent[0] += len(messages)

    async def main() -> None:
        resolver = state = None
        start = 0
        if mode == "store":
            if not resume:
                store_path.unlink(missing_ok=True)
            resolver = Resolver(Store(store_path), journal, publish)
            if hot_mentions is not None:
                resolver.hot_mentions = hot_mentions
            await resolver.recover()
            start = resolver.next_offset or 0
            if start:
                print(json.dumps({"resumed_from": start}), flush=True)
        else:
            state = TimelineState()
        nonlocal rss0, last_rss, last_traced
        if start:  # growth from the resumed process's start (the store already open)
            rss0 = last_rss = rss_mb()
        cpu = time.process_time()
        last_cpu, last_n = cpu, start
        full = FullCollections()  # the collector's full passes between two sizes
        gc.callbacks.append(full)
        with stream.open(encoding="utf-8") as f:
            for offset, line in enumerate(f):
                if offset >= sizes[-1]:
                    break
                if offset < start:  # folded by the run this one resumes
                    continue
                art = ArticleAnalysed.model_validate_json(line)
                full.at = offset
                if resolver is not None:
                    await resolver.handle(offset, art)
                else:
                    apply_article(state, art)
                n = offset + 1
                if n in sizes:
                    pauses = [round(1e3 * t, 1) for _, t in full.pauses]
                    gc.collect()
                    full.pauses.clear()  # not the bench's own collection
                    now = time.process_time()
                    rss = rss_mb()
                    row = {"mode": mode, "articles": n, "rss_mb": round(rss, 1),
                           "rss_growth_kb_per_1k": round((rss - rss0) * 1024 / (n - start)
                                                         * 1000),
                           "cpu_ms_per_article": round(1000 * (now - last_cpu) / (n - last_n), 2),
                           "store_mb": round(store_path.stat().st_size / 2**20, 1)
                           if mode == "store" else None,
                           "journal_mb": round(journal.bytes / 2**20, 1) if mode == "store"
                           else None,
                           "slice_rss_growth_kb_per_1k":
                               round((rss - last_rss) * 1024 / (n - last_n) * 1000)}
                    row["native"] = native_memory()
                    row["full_gc_ms"] = pauses  # the collector's own, each a pause of the loop
                    if mode == "store":
                        row.update(heap_trim_every=PROCESS_HEAP.every,
                                   heap_trims=PROCESS_HEAP.trims,
                                   heap_trim_cpu_ms=round(1000 * PROCESS_HEAP.cpu_s, 1))
                    if trim:  # give malloc's free memory back: how much of RSS was it?
                        import ctypes

                        ctypes.CDLL("libc.so.6").malloc_trim(0)
                        row["rss_after_malloc_trim_mb"] = round(rss_mb(), 1)
                        row["native_after_malloc_trim"] = native_memory()
                        rss = rss_mb()
                    active = resolver.state.active if resolver and resolver.state else None
                    if active is not None and active.spill is not None:  # bounded index
                        row.update(index_figures(active))
                    stored = getattr(resolver, "stored", None)
                    if stored:  # the state's parts looked up on disk: reads from the store
                        row["store_reads"] = {k: part.reads for k, part in stored.items()}
                    if sizeof and resolver is not None and resolver.state is not None:
                        row["structures_mb"] = structure_sizes(resolver)
                    if trace:
                        traced = tracemalloc.get_traced_memory()[0]
                        row["traced_mb"] = round(traced / 2**20, 1)
                        row["slice_traced_kb_per_1k"] = round(
                            (traced - last_traced) / 1024 / (n - last_n) * 1000)
                        last_traced = traced
                    if keep and resolver is not None and n != sizes[-1]:
                        # a copy of the store at this size, for `--restart-only --sizes n`
                        copy = sqlite3.connect(store_path.with_name(f"resolver-state-{n}.sqlite"))
                        resolver.store.con.backup(copy)
                        copy.close()
                    if start:
                        row["resumed_from"] = start
                    last_cpu, last_n, last_rss = now, n, rss
                    rows.append(row)
                    print(json.dumps(row), flush=True)
        if resolver is not None:
            resolver.store.close()

    asyncio.run(main())
    return rows


def restart(store_path: Path, hot_mentions: int | None = None, stream: Path | None = None,
            fresh: int = 0) -> dict:
    """A fresh process: open the store, recover and rebuild the in-memory state (with the
    `hot_mentions` cap of the run); what the active-mention index holds and read. Then
    `fresh` more articles of the stream (those after the stored ones) are
    folded: the first one's time (`first_article_s`, wall, from the process's start of the
    restart: what a fresh article waits for after a restart) and the others' CPU."""
    from processors.worker.resolver_state import Resolver, Store
    from schemas.articles import ArticleAnalysed

    async def main() -> dict:
        gc.collect()
        rss0 = rss_mb()
        t0 = time.perf_counter()
        c0 = time.process_time()
        r = Resolver(Store(store_path), NullJournal(), lambda m: asyncio.sleep(0))
        if hot_mentions is not None:
            r.hot_mentions = hot_mentions
        await r.recover()
        state = r.loaded()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        gc.collect()
        active = state.active
        row = {"mode": "restart", "articles": len(state.versions),
               "hot_mentions": active.hot_mentions,
               "rebuild_s": round(wall, 1), "rebuild_cpu_s": round(cpu, 1),
               "rss_mb": round(rss_mb(), 1), "rss_growth_mb": round(rss_mb() - rss0, 1),
               **index_figures(active)}
        start = r.next_offset or 0  # the stream's line = the offset the bench gave it
        more = []
        if stream is not None and fresh:
            with stream.open(encoding="utf-8") as f:
                for i, line in enumerate(f):
                    if i >= start + fresh:
                        break
                    if i >= start:
                        more.append(ArticleAnalysed.model_validate_json(line))
        if more:
            await r.handle(start, more[0])
            row["first_article_s"] = round(time.perf_counter() - t0, 2)
            row["first_article_cpu_s"] = round(time.process_time() - c0, 2)
            c1 = time.process_time()
            for i, art in enumerate(more[1:], start=start + 1):
                await r.handle(i, art)
            if len(more) > 1:
                row["next_cpu_ms_per_article"] = round(
                    (time.process_time() - c1) * 1000 / (len(more) - 1), 1)
            active = r.loaded().active
            row.update(after_fresh={**index_figures(active), "rss_mb": round(rss_mb(), 1)})
        r.store.close()
        return row

    row = asyncio.run(main())
    print(json.dumps(row), flush=True)
    return row


def bands_report(store_path: Path) -> dict:
    """Open a store with this tree's `Store` (which deletes the copy bands behind the horizon,
    also in a store written before it did): band rows and the file's size after `VACUUM`,
    before and after. The store is changed in place."""
    from processors.worker.resolver_state import Store

    def vacuumed_mb() -> float:
        out = store_path.with_suffix(".vacuumed")
        out.unlink(missing_ok=True)
        con = sqlite3.connect(store_path)
        con.execute("VACUUM INTO ?", (str(out),))
        con.close()
        size = out.stat().st_size / 2**20
        out.unlink()
        return round(size, 1)

    def bands() -> int:
        con = sqlite3.connect(store_path)
        n = con.execute("SELECT count(*) FROM bands").fetchone()[0]
        con.close()
        return int(n)

    row: dict = {"mode": "bands", "bands_before": bands(), "store_mb_before": vacuumed_mb()}
    cpu = time.process_time()
    Store(store_path).close()
    row.update(open_cpu_s=round(time.process_time() - cpu, 1), bands_after=bands(),
               store_mb_after=vacuumed_mb())
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,50000,100000")
    parser.add_argument("--modes", default="store,memory")
    add_workload_arguments(parser)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--no-restart", action="store_true")
    parser.add_argument("--hot-mentions", type=int,
                        help="store mode: resident active mentions (default: the resolver's)")
    parser.add_argument("--tracemalloc", action="store_true", help="trace Python allocations")
    parser.add_argument("--sizeof", action="store_true",
                        help="store mode: MB reachable from each in-memory structure per size")
    parser.add_argument("--stream-articles", type=int,
                        help="length of the stream written (default: the largest size); the "
                             "sizes read its first articles")
    parser.add_argument("--restart-only", action="store_true",
                        help="only the restart, of the store a previous run left (same sizes)")
    parser.add_argument("--keep-stores", action="store_true",
                        help="store mode: keep a copy of the store at every size but the last "
                             "(resolver-state-N.sqlite, for --restart-only --sizes N)")
    parser.add_argument("--malloc-trim", action="store_true",
                        help="at each size, after measuring, call glibc's malloc_trim(0) and "
                             "measure RSS again (the next slice starts from there)")
    parser.add_argument("--store", type=Path,
                        help="store mode: the store's file (default: in the cache, named after "
                             "the largest size; give another to run two benches at once)")
    parser.add_argument("--trim-every", type=int,
                        help="store mode: the worker's malloc_trim every N records "
                             "(processors/worker/heap.py; default: the worker's, 0: never)")
    parser.add_argument("--trim-phase", type=int, default=0,
                        help="records counted as resolved before the first (with --trim-every "
                             "1000 --trim-phase 500 the trims fall half-way between sizes that "
                             "are multiples of 1,000)")
    parser.add_argument("--bands-only", action="store_true",
                        help="only open the store (--store) with this tree's Store, which "
                             "deletes the bands behind the horizon: rows and size before/after")
    parser.add_argument("--resume", action="store_true",
                        help="store mode: keep the store (--store) a previous run left and go "
                             "on after its position; RSS growth is then counted from the resume")
    parser.add_argument("--fresh", type=int, default=20,
                        help="restart: articles folded after it (the first one timed)")
    parser.add_argument("--gc-threshold", metavar="G0,G1,G2",
                        help="the collector's thresholds in the fold's process (Python's: "
                             "700,10,10), to weigh its full passes (`full_gc_ms`)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.gc_threshold:
        gc.set_threshold(*(int(x) for x in args.gc_threshold.split(",")))
    sizes = sorted(int(s) for s in args.sizes.split(","))
    n = max(sizes[-1], args.stream_articles or 0)
    stream = args.cache / (f"resolver-stream-{args.seed}-{args.pool}-{args.pool_weeks}-"
                           f"{args.largest}-{args.years}-{n}.jsonl")
    store_path = args.store or args.cache / f"resolver-state-{sizes[-1]}.sqlite"
    if args.bands_only:
        bands_report(store_path)
        return
    if args.child == "write":
        write_stream(stream, n, args.seed, args.pool, args.pool_weeks, args.largest, args.years,
                     args.cache)
        return
    if args.child in ("store", "memory"):
        json.dump(run(stream, sizes, args.child, store_path, args.hot_mentions,
                      args.tracemalloc, args.sizeof, args.keep_stores, args.malloc_trim,
                      args.trim_every, args.trim_phase, args.resume),
                  sys.stdout)
        return
    if args.child == "restart":
        restart(store_path, args.hot_mentions, stream, args.fresh)
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    base = [sys.executable, __file__, *sys.argv[1:]]
    if not stream.exists():
        subprocess.run([*base, "--child", "write"], check=True)
    rows: list[dict] = []

    def save() -> None:
        if args.json:
            args.json.write_text(json.dumps({"cpus": os.cpu_count(), "rows": rows}, indent=1))

    if args.restart_only:
        args.modes = ""
        out = subprocess.run([*base, "--child", "restart"], check=True, capture_output=True,
                             text=True).stdout
        rows.extend(json.loads(x) for x in out.splitlines() if x.startswith("{"))
        print(out.strip(), flush=True)
    for mode in filter(None, args.modes.split(",")):
        # Rows as they come (a long run stopped early keeps what it measured).
        with subprocess.Popen([*base, "--child", mode], stdout=subprocess.PIPE,
                              text=True) as child:
            assert child.stdout is not None
            for line in child.stdout:
                if line.startswith("{"):
                    rows.append(json.loads(line))
                    print(line.strip(), flush=True)
                    save()
        if child.returncode:
            raise SystemExit(f"the {mode} run failed ({child.returncode})")
        if mode == "store" and not args.no_restart:
            out = subprocess.run([*base, "--child", "restart"], check=True, capture_output=True,
                                 text=True).stdout
            rows.extend(json.loads(x) for x in out.splitlines() if x.startswith("{"))
            print(out.strip(), flush=True)
    save()


if __name__ == "__main__":
    main()
