"""The sink's batch write as the database grows, statement by statement (this tree vs another).

    .venv/bin/python bench/writer_bench.py --sizes 1000000 4000000 --before 5e7e0b8

A writer (`sink.open_writer`) is filled in SQL with N events of two mentions each, N/2 articles,
2N mentions and N changelog rows, every key a hash as in production (random order: a zone map
prunes nothing). Then `--batches` batches go through the sink's `apply_batch`, each shaped like
a batch of the dense stream: per article its version row, 10 mentions, a status change of a
stored article, and 4 event changes (new events, mentions attached to stored events with their
source, one mention in ten retracted from a stored event). Every statement the writer runs is
timed (wall); the JSON gives each batch's time (`batch_s`, with its COMMIT's: `commit_s`, where
DuckDB's automatic checkpoint runs), their median and max and the statements' medians per size.
Then `CHECKPOINTED` more batches are each followed by a CHECKPOINT timed alone (`checkpoint_s`),
and, in the key-less layout (`processors/store/overlay.py`), the small tables are folded into
the base and checkpointed (`fold`).

`--before COMMIT` runs the same batches against that commit's `processors/` (a `git archive`
of it, imported instead of this tree's), size by size just before this tree's: one workload,
two versions of the writer, one run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

PREFILL = """
INSERT INTO {events}
SELECT 'ev-' || md5('e' || i), DATE '2015-01-01' + CAST(hash(i) % 3650 AS INTEGER),
       DATE '2015-01-01' + CAST(hash(i) % 3650 AS INTEGER), 'day', 'Synthetic event ' || i,
       ['Entity ' || (hash(i + 1) % 2000)], 2, 2,
       ['https://a.example/' || i, 'https://b.example/' || i], ['en'],
       TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_seconds(i),
       TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_seconds(i), 'explicit'
FROM range({lo}, {hi}) t(i);
INSERT INTO {event_mentions} SELECT 'ev-' || md5('e' || i), md5('m' || (2 * i)) FROM range({lo}, {hi}) t(i);
INSERT INTO {event_mentions} SELECT 'ev-' || md5('e' || i), md5('m' || (2 * i + 1))
FROM range({lo}, {hi}) t(i);
INSERT INTO {mentions}
SELECT md5('m' || i), md5('v' || (i // 4)), 'k' || (i // 4), 'A sentence of article ' || (i // 4),
       0, 'Monday', 10, 16, DATE '2015-01-01' + CAST(hash(i) % 3650 AS INTEGER),
       DATE '2015-01-01' + CAST(hash(i) % 3650 AS INTEGER), 'day', NULL, ['Entity 1'], ['said'],
       'summary', TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_seconds(i), 'said', 'reporting',
       'explicit', NULL, []
FROM range(2 * {lo}, 2 * {hi}) t(i);
INSERT INTO {articles}
SELECT md5('v' || i), 'k' || i, 'https://a.example/' || i, 'https://a.example/' || i, 'Title',
       'a.example', 'en', TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_seconds(i), NULL,
       TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_seconds(i), md5('c' || i), 4, 'original', NULL, NULL
FROM range({lo} // 2, {hi} // 2) t(i);
INSERT INTO changelog
SELECT i, 'c-' || md5('c' || i), 'org.newsline.event.created',
       TIMESTAMPTZ '2015-01-01 00:00:00+00' + to_seconds(i), 'v' || i, 'ev-' || md5('e' || i), '{{}}'
FROM range({lo}, {hi}) t(i);
"""
T0 = datetime(2020, 1, 1, tzinfo=UTC)
CHECKPOINTED = 3  # batches followed by a CHECKPOINT of their own, after the others
TOPIC = "newsline.timeline.changelog"


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - keys, not security


def make_batch(size: int, first: int, articles: int, rng: random.Random) -> Any:
    """A projection batch shaped like the dense stream's (see the module's docstring)."""
    from processors.store.project import EventDelta, ProjectionBatch
    from schemas.timeline import EventFacts

    b = ProjectionBatch(next_offset=first)
    offset = first
    at = T0 + timedelta(seconds=first)

    def log(kind: str, subject: str) -> None:
        nonlocal offset
        b.changelog.append({"log_offset": offset, "change_id": f"c-{offset}-{first}",
                            "type": kind, "known_at": at.isoformat(), "cause": "bench",
                            "subject": subject, "data": {}})
        offset += 1

    def facts(eid: str, n: int) -> EventFacts:
        day = date(2015, 1, 1) + timedelta(days=rng.randrange(3650))
        return EventFacts(event_id=eid, start=day, end=day, granularity="day",
                          summary="Synthetic event", entities=["Entity 1"], mention_count=n,
                          source_count=n, languages=["en"], first_reported_at=at,
                          last_reported_at=at)

    for a in range(articles):
        vid = md5(f"new-v{first}-{a}")
        b.articles[vid] = {
            "version_id": vid, "article_key": f"new-k{first}-{a}", "canonical_url": f"u{vid}",
            "url": f"u{vid}", "title": "Title", "source": "b.example", "language": "en",
            "published_at": at.isoformat(), "updated_at": None, "known_at": at.isoformat(),
            "content_hash": vid, "mention_count": 10, "status": "original",
            "superseded_by": None, "duplicate_of": None}
        log("org.newsline.article.recorded", vid)
        mids = [md5(f"new-m{first}-{a}-{k}") for k in range(10)]
        for mid in mids:
            b.mentions[mid] = {
                "mention_id": mid, "version_id": vid, "article_key": f"new-k{first}-{a}",
                "sentence": "A sentence", "sentence_start": 0, "expression": "Monday",
                "start_char": 2, "end_char": 8, "start_date": "2020-01-06",
                "end_date": "2020-01-06", "granularity": "day", "value": None,
                "entities": ["Entity 1"], "keywords": ["said"], "summary": "s",
                "known_at": at.isoformat(), "predicate": "said", "predicate_kind": "reporting",
                "anchor": "explicit"}
            log("org.newsline.mention.recorded", mid)
        old = md5(f"v{rng.randrange(size // 2)}")
        b.statuses[old] = {"version_id": old, "status": "superseded", "superseded_by": vid,
                           "duplicate_of": None}
        log("org.newsline.article.status", old)
        for k in range(4):
            if k == 0:  # a new event of this article's first mention
                eid = "ev-" + md5(f"new-e{first}-{a}")
                d = b.events[eid] = EventDelta(facts(eid, 1), whole=True,
                                               mentions_added={mids[0]},
                                               sources_added={f"u{vid}"})
            else:  # a mention attached to a stored event, its source added
                i = rng.randrange(size)
                eid = "ev-" + md5(f"e{i}")
                d = b.events.setdefault(eid, EventDelta(facts(eid, 3)))
                d.mentions_added.add(mids[k])
                d.sources_added.add(f"u{vid}")
                if rng.random() < 0.1:
                    d.mentions_removed.add(md5(f"m{2 * i}"))
            log("org.newsline.event.changed", eid)
    b.next_offset = offset
    return b


class Timed:
    """The writer's connection, each statement timed by its first words."""

    def __init__(self, con: Any) -> None:
        self.con = con
        self.times: dict[str, float] = defaultdict(float)

    def execute(self, sql: str, *args: Any) -> Any:
        t = time.perf_counter()
        out = self.con.execute(sql, *args)
        key = " ".join(sql.split()[:5])
        for word in ("main.", "stage_"):  # one key per statement kind
            key = key.replace(word, "")
        self.times[key[:60]] += time.perf_counter() - t
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self.con, name)


def run_side(size: int, batches: int, articles: int, seed: int, tmp: Path) -> dict[str, Any]:
    from processors.store.sink import apply_batch, open_writer

    con = open_writer(tmp / "writer.duckdb")
    row = con.execute("SELECT count(*) FROM duckdb_schemas() WHERE schema_name = "
                      "'newsline_sink'").fetchone()
    layout = bool(row and row[0])  # the overlay layout: fill its base tables
    tables = {t: f"newsline_sink.{t}_base" if layout else t
              for t in ("events", "event_mentions", "mentions", "articles")}
    t = time.perf_counter()
    for lo in range(0, size, 1_000_000):
        con.execute(PREFILL.format(lo=lo, hi=min(size, lo + 1_000_000), **tables))
    con.execute("CHECKPOINT")
    prefill_s = time.perf_counter() - t
    rng = random.Random(seed)
    offset, walls, per, checkpoints = size, [], [], []
    for i in range(batches + CHECKPOINTED):
        b = make_batch(size, offset, articles, rng)
        timed = Timed(con)
        t = time.perf_counter()
        apply_batch(timed, b, topic=TOPIC, epoch="bench")
        if i < batches:  # as the sink runs: DuckDB checkpoints past 16 MiB of WAL, in a COMMIT
            walls.append(time.perf_counter() - t)
            per.append(timed.times)
        else:  # then a few batches each followed by a CHECKPOINT, timed alone
            t = time.perf_counter()
            con.execute("CHECKPOINT")
            checkpoints.append(time.perf_counter() - t)
        offset = b.next_offset
    fold_s = None
    if layout:  # the periodic fold of the small tables into the base, and its checkpoint
        from processors.store.overlay import fold_overlay, overlay_rows

        small, _ = overlay_rows(con)
        t = time.perf_counter()
        fold_overlay(con)
        con.execute("CHECKPOINT")
        fold_s = {"seconds": round(time.perf_counter() - t, 3), "small_rows": small}
    con.close()
    keys = sorted({k for p in per for k in p})
    return {"size": size, "prefill_s": round(prefill_s, 1),
            "changes_per_batch": len(b.changelog),
            "batch_s": [round(w, 3) for w in walls],
            "batch_median_s": round(statistics.median(walls), 3),
            "batch_max_s": round(max(walls), 3),
            "commit_s": [round(p.get("COMMIT", 0.0), 3) for p in per],
            "checkpoint_s": [round(c, 3) for c in checkpoints],
            "fold": fold_s,
            "statements_median_s": {k: round(statistics.median(p.get(k, 0.0) for p in per), 3)
                                    for k in keys}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--batches", type=int, default=6)
    parser.add_argument("--articles", type=int, default=100, help="articles per batch")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--before", help="a commit whose processors/ to run too, size by size")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--tree", type=Path, help=argparse.SUPPRESS)  # the side to import
    args = parser.parse_args()
    sys.path.insert(0, str(args.tree or ROOT))
    if args.tree:  # a child: one side, one size, its result on stdout
        with tempfile.TemporaryDirectory(prefix="writer-bench-") as d:
            print(json.dumps(run_side(args.sizes[0], args.batches, args.articles, args.seed,
                                      Path(d))))
        return
    results = []
    with tempfile.TemporaryDirectory(prefix="writer-bench-trees-") as trees:
        sides = {"after": ROOT}
        if args.before:
            before = Path(trees) / "before"
            before.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.before,
                                      "processors", "schemas", "readmodel"],
                                     check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
            sides = {"before": before, **sides}
        for size in args.sizes:
            for name, tree in sides.items():
                out = subprocess.run(
                    [sys.executable, __file__, "--tree", str(tree), "--sizes", str(size),
                     "--batches", str(args.batches), "--articles", str(args.articles),
                     "--seed", str(args.seed)], check=True, capture_output=True, text=True)
                row = {"side": name, **json.loads(out.stdout)}
                results.append(row)
                print(f"{name:6} {size:>10,} events: batch of {row['changes_per_batch']} "
                      f"changes {row['batch_median_s']:.3f} s median, {row['batch_max_s']:.3f} "
                      f"s max of {args.batches}; checkpoints {row['checkpoint_s']} s; fold "
                      f"{row['fold']}; prefill {row['prefill_s']} s", flush=True)
                for k, v in sorted(row["statements_median_s"].items(), key=lambda kv: -kv[1])[:6]:
                    print(f"         {v:7.3f} s  {k}")
    if args.json:
        args.json.write_text(json.dumps({
            "bench": "writer_bench", "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
            "before": args.before, "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
