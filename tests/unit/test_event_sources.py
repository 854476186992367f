"""The writer's batch reads no base table: an event's sources stored in the base are merged
later (`events_pending`, `overlay.apply_event_deltas(deferred=True)`), by the writer's view, the
fold, a copy into a replica and `publish_snapshot`. These tests hold those sources to a plain
Python fold of the same deltas, over batches with folds between them, and to a replica's
catch-up path (`deferred=False`, which reads them); and a writer of the layout before
`events_pending` goes on where it was."""

import json
import random
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from processors.store.overlay import copy_into, fold_overlay, layout_schema, write_overlay
from processors.store.project import EventDelta, ProjectionBatch, fold
from processors.store.replicas import TABLES
from processors.store.sink import apply_batch, decode_changes, open_writer, publish_snapshot
from schemas.timeline import EventFacts
from tests.unit.test_store import TOPIC, changelog_records, project, table

AT = datetime(2026, 1, 1, tzinfo=UTC)
EVENTS = [f"ev-{i}" for i in range(40)]
URLS = [f"https://u{i}.example/a" for i in range(12)]


def facts(eid: str, n: int) -> EventFacts:
    return EventFacts(event_id=eid, start=date(2020, 1, 1), end=date(2020, 1, 1),
                      granularity="day", summary=f"Event {eid}", entities=["A"],
                      mention_count=n, source_count=n, languages=["en"],
                      first_reported_at=AT, last_reported_at=AT)


def random_batch(rng: random.Random, model: dict[str, list[str]], offset: int) -> ProjectionBatch:
    """Deltas of a dozen events (new, whole, died, sources in and out, one coming back), and
    `model` (event -> sources) folded by the same rules in Python."""
    b = ProjectionBatch(next_offset=offset + 1)
    for eid in rng.sample(EVENTS, 12):
        kind = rng.random()
        if kind < 0.1:
            b.events[eid] = EventDelta(None, whole=True)
            model.pop(eid, None)
            continue
        n = rng.randrange(1, 5)
        if kind < 0.3 or eid not in model:
            added = set(rng.sample(URLS, n))
            b.events[eid] = EventDelta(facts(eid, n), whole=True, sources_added=added)
            model[eid] = sorted(added)
            continue
        before = set(model[eid])
        removed = set(rng.sample(sorted(before), min(len(before), rng.randrange(3))))
        added = set(rng.sample(URLS, rng.randrange(3))) - removed
        if removed and rng.random() < 0.3:  # a source that left comes back in the same delta
            back = sorted(removed)[0]
            removed.discard(back)
            added.add(back)
        b.events[eid] = EventDelta(facts(eid, n), sources_added=added, sources_removed=removed)
        model[eid] = sorted((before | added) - removed)
    return b


def sources(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    return dict(con.execute("SELECT event_id, sources FROM events").fetchall())


def test_sources_after_many_batches_and_folds_equal_a_plain_fold(tmp_path):
    """120 batches, the writer folding at random points (so partial rows stand on base rows
    that a later delta changes again, dies or replaces whole); after every batch its `events`
    equal the Python fold, and so do a replica's path, a copy, and `publish_snapshot`'s file."""
    rng = random.Random(15)
    writer = open_writer(tmp_path / "w.duckdb")
    replica = duckdb.connect(str(tmp_path / "r.duckdb"))
    replica.execute("SET TimeZone = 'UTC'")
    replica.execute(layout_schema())
    model: dict[str, list[str]] = {}
    pending = 0
    for i in range(120):
        b = random_batch(rng, model, i)
        apply_batch(writer, b, topic=TOPIC, epoch="e1")
        write_overlay(replica, b, topic=TOPIC, epoch="e1")
        pending = max(pending, writer.execute(
            "SELECT count(*) FROM newsline_sink.events_pending p JOIN newsline_sink.events_base "
            "o USING (event_id)").fetchone()[0])
        if rng.random() < 0.15:
            fold_overlay(writer)
        if rng.random() < 0.1:
            fold_overlay(replica)
        assert sources(writer) == model, i
        assert sources(replica) == model, i
    assert pending > 5  # the partial rows did stand on stored base rows
    assert table(writer, "events", "event_id") == table(replica, "events", "event_id")
    copy_into(writer, tmp_path / "copy.duckdb", TABLES)
    publish_snapshot(writer, tmp_path / "w.duckdb", tmp_path / "snapshot.duckdb")
    assert writer.execute("SELECT count(*) FROM newsline_sink.events_pending").fetchone()[0] == 0
    assert sources(writer) == model
    for path in ("copy.duckdb", "snapshot.duckdb"):
        con = duckdb.connect(str(tmp_path / path), read_only=True)
        assert sources(con) == model, path
        con.close()


def scanned(node: Any) -> set[str]:
    """The tables a plan (`EXPLAIN (FORMAT json)`, parsed) reads."""
    if isinstance(node, list):
        return set().union(*map(scanned, node))
    table = node.get("extra_info", {}).get("Table")
    return ({table} if table else set()) | scanned(node.get("children", []))


class Explained:
    """The writer's connection, the tables each statement's plan reads kept."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.plans: list[tuple[str, set[str]]] = []

    def execute(self, sql: str, *args: Any) -> Any:
        if sql.split()[0].upper() in {"SELECT", "INSERT", "DELETE", "UPDATE", "CREATE"}:
            plan = self.con.execute(f"EXPLAIN (FORMAT json) {sql}", *args).fetchall()
            self.plans.append((sql, scanned([json.loads(row[1]) for row in plan])))
        return self.con.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.con, name)


def test_a_batch_of_the_writer_scans_no_base_table(tmp_path):
    """Its cost must not grow with the database: no statement of a batch reads a `_base`
    table (before `events_pending`, the stored sources of the events it changed were read
    from them: a scan of `events_base`), unless the small tables are due for a fold."""
    rng = random.Random(3)
    model: dict[str, list[str]] = {}
    con = open_writer(tmp_path / "w.duckdb")
    for i in range(10):
        apply_batch(con, random_batch(rng, model, i), topic=TOPIC, epoch="e1")
    fold_overlay(con)  # every row in the base, so a plan that reads it says so
    assert con.execute("SELECT count(*) FROM newsline_sink.events_base").fetchone()[0] > 20
    explained = Explained(con)
    for i in range(10, 13):
        b = random_batch(rng, model, i)
        assert sum(not d.whole for d in b.events.values()) > 3
        apply_batch(explained, b, topic=TOPIC, epoch="e1")
    read = set().union(*(tables for _, tables in explained.plans))
    assert any(t.endswith("newsline_sink.events_recent") for t in read), read
    assert [sql for sql, tables in explained.plans
            if any(t.endswith("_base") for t in tables)] == []
    assert sources(con) == model


def test_a_writer_of_the_layout_before_events_pending_goes_on(tmp_path):
    """A writer written by the code of 7 December 2026 (`layout_schema()` and the batch that
    read the stored sources), with rows in its base and in its small tables: opened, it gets
    `events_pending` and its view, and its tables end as those of one projection."""
    records = changelog_records()
    path = tmp_path / "w.duckdb"
    old = duckdb.connect(str(path))
    old.execute("SET TimeZone = 'UTC'")
    old.execute(layout_schema())
    for n, i in enumerate(range(0, 12, 4)):
        part = records[i:i + 4]
        b = fold(decode_changes(part))
        b.next_offset = part[-1][0] + 1
        write_overlay(old, b, topic=TOPIC, epoch="e1")
        if n == 1:
            fold_overlay(old)
    assert old.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = "
                       "'events_pending'").fetchone()[0] == 0
    old.close()
    con = open_writer(path)
    for i in range(12, len(records), 4):
        part = records[i:i + 4]
        b = fold(decode_changes(part))
        b.next_offset = part[-1][0] + 1
        apply_batch(con, b, topic=TOPIC, epoch="e1")
    once = project(tmp_path / "once.duckdb", records, batch=4)
    for name, order in (("events", "event_id"), ("event_mentions", "event_id, mention_id"),
                        ("articles", "version_id"), ("changelog", "log_offset")):
        assert table(con, name, order) == table(once, name, order), name
