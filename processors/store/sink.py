"""The single DuckDB writer: projects the changelog into tables and publishes analysts' snapshots.

Exactly-once effect: each batch's rows and the next offset to read are written in one transaction,
and the sink resumes from that offset, so a crash and a redelivery never duplicate or lose a row.

Analysts never open the writer's file. At most once per publish budget (`PublishBudget`, 1 s by
default) the sink brings a replica of it up to date with the batches committed since and
publishes that replica as `newsline.duckdb` (processors/store/replicas.py), at a cost that
follows those batches, not the database: any number of analysts can open that file (read-only or
not) at any time without taking a lock that could block ingestion; a session that is already open
keeps seeing the snapshot it opened until it reopens the file.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from processors.analysis.entities import alias_rows
from processors.store.keys import key_lists, pair_lists
from processors.store.project import EventDelta, ProjectionBatch, event_delta_row, fold
from processors.store.replicas import ReplicaPublisher
from readmodel import SCHEMA_SQL
from readmodel.metrics import Latency, SinkMetrics, write_sink_metrics
from schemas.codec import Rejection, decode, stored_version
from schemas.envelope import Envelope

log = logging.getLogger(__name__)

BOOTSTRAP_TIMEOUT_MS = 10_000  # a broker that does not answer: logged, and tried again

# Staged rows take their column types from the tables themselves (schema.sql is the one place
# they are declared); statuses and event ids are slices of `articles` and `events`.
_STAGED_SLICES = {
    "statuses": ("articles", ("version_id", "status", "superseded_by", "duplicate_of")),
    "event_ids": ("events", ("event_id",)),
}
# Staged event deltas (`apply_events`): an `events` row without its sources, with the deltas;
# and one row per mention that entered (`added`) or left an event.
_STAGED_EXTRA: dict[str, tuple[str, dict[str, str | None]]] = {
    "event_deltas": ("events", {"sources": None, "alive": "BOOLEAN", "whole": "BOOLEAN",
                                "sources_added": "VARCHAR[]", "sources_removed": "VARCHAR[]"}),
    "mention_deltas": ("event_mentions", {"added": "BOOLEAN"}),
}
_TYPES: dict[str, dict[str, str]] = {}


def _column_types(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, str]:
    """Column -> type of a table (or of a slice of one), read once from the catalog."""
    if name in _STAGED_EXTRA and name not in _TYPES:
        table, extra = _STAGED_EXTRA[name]
        types = {c: t for c, t in {**_column_types(con, table), **extra}.items() if t}
        _TYPES[name] = types
    if name not in _TYPES:
        table, only = _STAGED_SLICES.get(name, (name, ()))
        rows = con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? "
            "AND database_name = current_database() AND schema_name = 'main' "
            "ORDER BY column_index", [table]).fetchall()
        types = {str(c): str(t) for c, t in rows}
        _TYPES[name] = {c: types[c] for c in only} if only else types
    return _TYPES[name]


# The writer's only index beyond the schema's keys (replicas have none): a replica's catch-up
# reads the rows of the events a batch touched by event id (`replicas._copy_event_rows`).
EVENT_MENTIONS_INDEX = ("CREATE INDEX IF NOT EXISTS event_mentions_by_event "
                        "ON event_mentions (event_id)")


def open_writer(path: Path, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """Open (creating) a writer database with the analysts' schema; `threads` caps DuckDB's
    threads for this connection (None: DuckDB's default, one per core)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    con.execute(SCHEMA_SQL)
    con.execute(EVENT_MENTIONS_INDEX)
    aliases = alias_rows()
    con.execute("BEGIN TRANSACTION")
    con.execute("DELETE FROM entity_aliases")
    con.executemany("INSERT OR IGNORE INTO entity_aliases VALUES (?, lower(strip_accents(?)), ?, ?)",
                    [(a, a, name, kind) for a, name, kind in aliases])
    con.execute("COMMIT")
    return con


def _stage(con: duckdb.DuckDBPyConnection, name: str, rows: Iterable[dict[str, Any]],
           tmp: Path) -> str:
    """Bulk-load rows into a temp table through one NDJSON file (no row-by-row INSERTs)."""
    path = tmp / f"{name}.ndjson"
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False))
            fh.write("\n")
    cols = ", ".join(f"'{c}': '{t}'" for c, t in _column_types(con, name).items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE stage_{name} AS SELECT * FROM "
                f"read_json('{path}', format='newline_delimited', columns={{{cols}}})")
    return f"stage_{name}"


def apply_batch(con: duckdb.DuckDBPyConnection, batch: ProjectionBatch, *, topic: str,
                epoch: str, db: str = "main") -> None:
    """Write one folded batch and its next offset in a single transaction (to database `db`).

    Changes already stored (re-emitted after a crash) are skipped. They are rare, and skipping
    them costs a join over the whole changelog (`ON CONFLICT DO NOTHING` on this two-key table
    costs far more: 5 s a batch at 300,000 rows), so the batch is first written with plain
    INSERTs, whose key checks probe the indexes, and written again with the join and `OR
    REPLACE` / `OR IGNORE` (which scan the table: `processors/store/keys.py`) only if an INSERT
    meets a stored row. Every other statement reads the rows the batch touches by key
    (`key_lists`), so a batch's cost follows the batch, not the database. (The analysts'
    replicas, whose tables have no keys, are written by `replicas.write_overlay`.)
    """
    try:
        _write_batch(con, batch, topic=topic, epoch=epoch, db=db, known_new=True)
    except duckdb.ConstraintException:
        _write_batch(con, _first_of_each(con, batch, db), topic=topic, epoch=epoch, db=db,
                     known_new=False)


def _first_of_each(con: duckdb.DuckDBPyConnection, batch: ProjectionBatch,
                   db: str) -> ProjectionBatch:
    """The batch folded again without the changes already stored (a resend after a crash or
    a rebalance, same id): every projection applies the first of each change id only, so an
    event delta is never applied twice, whatever came between."""
    if not batch.changes:
        return batch
    stored = {str(r[0]) for keys in key_lists(e.id for _, e in batch.changes)
              for r in con.execute(f"SELECT change_id FROM {db}.changelog "
                                   f"WHERE change_id IN ({keys})").fetchall()}
    return batch.without(stored) if stored else batch


def _write_batch(con: duckdb.DuckDBPyConnection, batch: ProjectionBatch, *, topic: str,
                 epoch: str, db: str, known_new: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="newsline-sink-") as tmpdir:
        tmp = Path(tmpdir)
        con.execute("BEGIN TRANSACTION")
        try:
            if batch.changelog:
                stage = _stage(con, "changelog", batch.changelog, tmp)
                con.execute(f"INSERT INTO {db}.changelog SELECT * FROM {stage}" if known_new else
                            f"INSERT INTO {db}.changelog SELECT * FROM {stage} s WHERE NOT EXISTS "
                            f"(SELECT 1 FROM {db}.changelog c WHERE c.change_id = s.change_id) "
                            f"AND NOT EXISTS (SELECT 1 FROM {db}.changelog c "
                            f"WHERE c.log_offset = s.log_offset)")
            insert = "INSERT INTO" if known_new else "INSERT OR REPLACE INTO"
            if batch.articles:
                stage = _stage(con, "articles", batch.articles.values(), tmp)
                con.execute(f"{insert} {db}.articles SELECT * FROM {stage}")
            if batch.statuses:
                stage = _stage(con, "statuses", batch.statuses.values(), tmp)
                for keys in key_lists(batch.statuses):
                    con.execute(f"UPDATE {db}.articles a SET status = s.status, superseded_by "
                                f"= s.superseded_by, duplicate_of = s.duplicate_of FROM {stage} "
                                f"s WHERE a.version_id = s.version_id AND a.version_id IN ({keys})")
            if batch.mentions:
                stage = _stage(con, "mentions", batch.mentions.values(), tmp)
                con.execute(f"{insert} {db}.mentions SELECT * FROM {stage}")
            if batch.events:
                apply_events(con, batch.events, tmp, db, known_new=known_new)
            con.execute(f"INSERT OR REPLACE INTO {db}.sink_offsets VALUES (?, 0, ?, ?)",
                        [topic, batch.next_offset, epoch])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise


def stage_event_deltas(con: duckdb.DuckDBPyConnection, events: dict[str, EventDelta],
                       tmp: Path) -> tuple[str, str]:
    """Stage a batch's event deltas: (events table, mentions table) (`_STAGED_EXTRA`)."""
    deltas = _stage(con, "event_deltas", (event_delta_row(e, d) for e, d in events.items()), tmp)
    mentions = _stage(con, "mention_deltas", (
        {"event_id": e, "mention_id": m, "added": added} for e, d in events.items()
        for added, ids in ((True, d.mentions_added), (False, d.mentions_removed))
        for m in sorted(ids)), tmp)
    return deltas, mentions


def event_rows_sql(con: duckdb.DuckDBPyConnection, deltas: str, events: str) -> str:
    """The `events` rows of the living events in `deltas`, their sources the table `events`'
    (the rows of these events before the batch) with the deltas applied, sorted as the resolver
    sorts them (DuckDB compares VARCHARs by their UTF-8 bytes: Python's order of str)."""
    sources = ("CASE WHEN d.whole THEN list_sort(d.sources_added) ELSE list_sort(list_filter("
               "list_distinct(list_concat(coalesce(e.sources, []::VARCHAR[]), d.sources_added)), "
               "x -> NOT list_contains(d.sources_removed, x))) END")
    cols = ", ".join(sources + " AS sources" if c == "sources" else f"d.{c}"
                     for c in _column_types(con, "events"))
    return (f"SELECT {cols} FROM {deltas} d LEFT JOIN {events} e ON e.event_id = d.event_id "
            "WHERE d.alive")


def apply_events(con: duckdb.DuckDBPyConnection, events: dict[str, EventDelta], tmp: Path,
                 db: str = "main", known_new: bool = True) -> None:
    """Apply a batch's event deltas to `events` and `event_mentions` (inside the caller's
    transaction): a hot event's row is written once per batch, from its deltas, and only its
    mentions that entered or left are written; the stored rows are read and deleted by key
    (`key_lists`). Set operations: a delta applied twice changes nothing more (though the sink
    applies each change id once: `apply_batch`); `known_new` False: mentions that entered are
    inserted unless already there (`OR IGNORE`, which scans the table)."""
    deltas, mentions = stage_event_deltas(con, events, tmp)
    for keys in key_lists(e for e, d in events.items() if d.whole):
        con.execute(f"DELETE FROM {db}.event_mentions WHERE event_id IN ({keys})")
    for keys, pairs in pair_lists((e, m) for e, d in events.items() for m in d.mentions_removed):
        con.execute(f"DELETE FROM {db}.event_mentions WHERE event_id IN ({keys}) "
                    f"AND event_id || chr(31) || mention_id IN ({pairs})")
    insert = "INSERT INTO" if known_new else "INSERT OR IGNORE INTO"
    con.execute(f"{insert} {db}.event_mentions SELECT event_id, mention_id "
                f"FROM {mentions} WHERE added")
    con.execute(f"CREATE OR REPLACE TEMP TABLE events_before AS "
                f"SELECT event_id, sources FROM {db}.events WITH NO DATA")
    for keys in key_lists(events):
        con.execute(f"INSERT INTO events_before SELECT event_id, sources FROM {db}.events "
                    f"WHERE event_id IN ({keys})")
    con.execute(f"CREATE OR REPLACE TEMP TABLE event_rows AS "
                f"{event_rows_sql(con, deltas, 'events_before')}")
    for keys in key_lists(events):
        con.execute(f"DELETE FROM {db}.events WHERE event_id IN ({keys})")
    con.execute(f"INSERT INTO {db}.events SELECT * FROM event_rows")


def stored_position(con: duckdb.DuckDBPyConnection, topic: str) -> tuple[int, str | None]:
    """(next offset, epoch) recorded by the last committed batch."""
    row = con.execute("SELECT next_offset, epoch FROM sink_offsets WHERE topic = ? "
                      "AND \"partition\" = 0", [topic]).fetchone()
    return (int(row[0]), str(row[1])) if row else (0, None)


def publish_snapshot(con: duckdb.DuckDBPyConnection, writer_path: Path, target: Path) -> None:
    """Checkpoint the writer and atomically replace `target` with a whole copy of it.

    For one-off files (the dev database, tests); the running sink publishes replicas instead.
    """
    con.execute("CHECKPOINT")
    fd, tmp_name = tempfile.mkstemp(prefix=".newsline-snapshot-", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        shutil.copyfile(writer_path, tmp)
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def split_changes(records: Iterable[tuple[int, bytes]]
                  ) -> tuple[list[tuple[int, Envelope[Any]]], list[tuple[int, bytes, Rejection]]]:
    """Changelog records decoded, and those that do not decode (with why)."""
    out, rejected = [], []
    for offset, value in records:
        env = decode(value)
        if isinstance(env, Rejection):
            rejected.append((offset, value, env))
            continue
        out.append((offset, env))
    return out, rejected


def decode_changes(records: Iterable[tuple[int, bytes]]) -> list[tuple[int, Envelope[Any]]]:
    """Decode changelog records; undecodable ones are logged and skipped (the sink dead-letters
    them, see `Sink.dead_letters`)."""
    out, rejected = split_changes(records)
    for offset, _, rejection in rejected:
        log.error("changelog offset %d undecodable: %s", offset, rejection.reason)
    return out


def changes_in_table(con: duckdb.DuckDBPyConnection, start: int = 0,
                     end: int | None = None) -> list[tuple[int, Envelope[Any]]]:
    """The changes stored in the `changelog` table at offsets [start, end), as envelopes.

    The table holds each change's data as projected (validated by the models of the code that
    wrote it) and no schema version: `stored_version` tells a version-1 event change (whole
    state) from a version-2 one, and `decode` upcasts the first.
    """
    rows = con.execute("SELECT log_offset, change_id, type, known_at, subject, data "
                       "FROM changelog WHERE log_offset >= ? AND log_offset < ? "
                       "ORDER BY log_offset", [start, (1 << 63) - 1 if end is None else end]
                       ).fetchall()
    records = []
    for offset, change_id, kind, known_at, subject, data in rows:
        body = json.loads(data)
        doc = {"id": change_id, "source": "newsline/resolve", "type": kind,
               "schemaversion": stored_version(kind, body), "time": known_at.isoformat(),
               "subject": subject, "data": body}
        records.append((offset, json.dumps(doc).encode()))
    return decode_changes(records)


def fold_isolating(changes: list[tuple[int, Envelope[Any]]]
                   ) -> tuple[ProjectionBatch, list[tuple[int, Exception]]]:
    """Fold a batch; if that fails, fold it change by change and set aside the ones that fail."""
    try:
        return fold(changes), []
    except Exception:  # a change that decodes but cannot be projected: find which
        batch, failed = ProjectionBatch(), []
        for offset, env in changes:
            try:
                fold([(offset, env)], batch)
            except Exception as exc:
                failed.append((offset, exc))
        return batch, failed


class Sink:
    """Consumes the changelog topic and keeps the DuckDB projections and snapshot current."""

    def __init__(self, data_dir: Path, bootstrap: str, topic: str, epoch: str,
                 batch_max: int = 5000, flush_s: float = 1.0, publish_s: float = 1.0,
                 threads: int | None = 1) -> None:
        """Prepare the writer database under `data_dir/.sink/`."""
        self.writer_path = data_dir / ".sink" / "writer.duckdb"
        self.target = data_dir / "newsline.duckdb"
        self.bootstrap, self.topic, self.epoch = bootstrap, topic, epoch
        self.batch_max, self.flush_s = batch_max, flush_s
        self.budget = PublishBudget(publish_s)
        self.threads = threads
        self.hold_until_articles = 0
        self.data_dir = data_dir
        self.unpublished: list[datetime] = []  # known_at of articles projected, not yet published
        self.latencies: deque[float] = deque(maxlen=1000)
        self.published_snapshots = 0
        self.publisher = ReplicaPublisher(self.writer_path.parent, self.target)
        self.last_publish: dict[str, Any] = {}

    def dead_letters(self, values: dict[int, bytes], rejected: list[tuple[int, bytes, Rejection]],
                     failed: list[tuple[int, Exception]]) -> None:
        """Park changelog records that cannot be projected in the dead-letter topic, durably,
        before the batch's offset is committed (the rest of the batch goes on)."""
        if not rejected and not failed:
            return
        from kafka import KafkaProducer

        from schemas.codec import encode, envelope
        from schemas.dead_letters import DeadLetter
        from schemas.envelope import now_utc
        from schemas.topics import TOPICS

        letters = [(o, v, r.reason, r.errors) for o, v, r in rejected] + [
            (o, values[o], f"projection failed: {e!r}",
             [{"path": "(processing)", "message": repr(e)}]) for o, e in failed]
        producer = KafkaProducer(bootstrap_servers=self.bootstrap, acks="all",
                                 client_id="newsline-sink", max_request_size=20 << 20)
        try:
            for offset, value, reason, errors in letters:
                log.error("changelog offset %d dead-lettered: %s", offset, reason)
                letter = DeadLetter(topic=self.topic, partition=0, offset=offset, key_b64=None,
                                    value_b64=base64.b64encode(value or b"").decode(),
                                    error=reason, errors=errors, received_at=now_utc())
                producer.send(TOPICS["dead_letter"].name, value=encode(envelope(
                    letter, source="newsline/sink", id=f"{self.topic}:0:{offset}")))
            producer.flush(timeout=30)
        finally:
            producer.close(timeout=5)

    def _open(self) -> duckdb.DuckDBPyConnection:
        con = open_writer(self.writer_path, self.threads)
        _, epoch = stored_position(con, self.topic)
        if epoch is not None and epoch != self.epoch:
            # A new log (another Kafka cluster, e.g. its data folder was deleted): the stored
            # offset means nothing there. Rebuild from offset 0, but keep the old snapshot
            # published until the rebuild holds as many articles. A restart of the same cluster
            # keeps its id, so this does not happen on restarts.
            row = con.execute("SELECT count(*) FROM articles").fetchone()
            self.hold_until_articles = int(row[0]) if row else 0
            log.warning("changelog epoch changed (%s -> %s): rebuilding projections, publishing "
                        "again once %d articles are back", epoch, self.epoch,
                        self.hold_until_articles)
            con.close()
            self.writer_path.unlink()
            Path(str(self.writer_path) + ".wal").unlink(missing_ok=True)
            con = open_writer(self.writer_path, self.threads)
            self.publisher.forget()
        # No checkpoint when the sink closes the writer: DuckDB's checkpoint at close rewrote the
        # row groups the last batches touched, 5-10 s after a fill of 10,000 articles at a load
        # of 15 (py-spy: `AttachedDatabase::Close` -> `CreateCheckpoint`), most of a Ctrl-C.
        # The WAL stays on disk with every commit in it and the next open replays it, as after
        # a kill -9: at most `wal_autocheckpoint` (16 MiB) of it, since DuckDB checkpoints
        # automatically past that while the sink runs (by hand: 2.6 MiB replayed in 0.46 s, 10k fill).
        con.execute("PRAGMA disable_checkpoint_on_shutdown")
        return con

    def _publish(self, con: duckdb.DuckDBPyConnection) -> bool:
        """Publish every committed batch to the analysts' file; False while a rebuild holds it.

        A publish catches a replica up with the batches it missed and checkpoints it, a cost
        that is mostly fixed per publish (a checkpoint rewrites each table it touches), so
        `run` publishes on a time budget (`PublishBudget`) rather than after every batch.
        """
        if self.hold_until_articles:
            row = con.execute("SELECT count(*) FROM articles").fetchone()
            if row is None or row[0] < self.hold_until_articles:
                return False
            self.hold_until_articles = 0
        started = time.monotonic()
        next_offset, _ = stored_position(con, self.topic)
        how = self.publisher.publish(con, self.writer_path, topic=self.topic, epoch=self.epoch,
                                     next_offset=next_offset)
        self.last_publish = {"how": how, "seconds": round(time.monotonic() - started, 4)}
        self._record_latency(con)
        return True

    def _record_latency(self, con: duckdb.DuckDBPyConnection) -> None:
        """Accepted-to-visible latency of the articles just published, for GET /metrics."""
        now = datetime.now(UTC)
        self.latencies.extend((now - k).total_seconds() for k in self.unpublished)
        self.unpublished.clear()
        self.published_snapshots += 1
        row = con.execute("SELECT next_offset FROM sink_offsets").fetchone()
        write_sink_metrics(self.data_dir, SinkMetrics(
            self.published_snapshots, row[0] if row else 0, Latency.of(self.latencies),
            self.last_publish, self.publisher.full_copies))

    def run(self, stop: Any) -> None:
        """Project until `stop.is_set()`, publishing on the time budget (`run_loop`)."""
        from kafka import KafkaConsumer, TopicPartition

        began = time.monotonic()
        con = self._open()
        log.info("sink writer open in %.2fs", time.monotonic() - began)
        started = time.monotonic()
        published = self._publish(con)  # what an earlier run committed, before anything new
        self.budget.published(started)
        if not published:
            self.budget.committed()
        tp = TopicPartition(self.topic, 0)
        consumer = connect_when_up(lambda timeout_ms: KafkaConsumer(
            bootstrap_servers=self.bootstrap, enable_auto_commit=False,
            client_id="newsline-sink", max_partition_fetch_bytes=20 << 20,
            fetch_max_bytes=50 << 20, bootstrap_timeout_ms=timeout_ms), stop.is_set)
        if consumer is None:  # asked to stop before the broker was back
            con.close()
            return
        consumer.assign([tp])
        consumer.seek(tp, stored_position(con, self.topic)[0])

        def poll(timeout_ms: int, max_records: int) -> list[tuple[int, bytes]]:
            polled = consumer.poll(timeout_ms=timeout_ms, max_records=max_records)
            return [(m.offset, m.value) for msgs in polled.values() for m in msgs]

        def write(records: list[tuple[int, bytes]]) -> None:
            changes, rejected = split_changes(records)
            batch, failed = fold_isolating(changes)
            self.dead_letters(dict(records), rejected, failed)
            batch.next_offset = max(batch.next_offset, records[-1][0] + 1)
            from_offset, _ = stored_position(con, self.topic)
            apply_batch(con, batch, topic=self.topic, epoch=self.epoch)
            self.publisher.record(changes, from_offset)
            self.unpublished.extend(datetime.fromisoformat(a["known_at"])
                                    for a in batch.articles.values())
            log.info("sink projected %d changes up to offset %d", len(records),
                     batch.next_offset)

        try:
            run_loop(poll, write, lambda: self._publish(con), self.budget, self.batch_max,
                     self.flush_s, stop.is_set)
        finally:
            began = time.monotonic()
            consumer.close()
            closed = time.monotonic()
            con.close()
            log.info("sink stopping: consumer closed in %.2fs, writer closed in %.2fs",
                     closed - began, time.monotonic() - closed)


def connect_when_up(connect: Callable[[int], Any], stopping: Callable[[], bool],
                    timeout_ms: int = BOOTSTRAP_TIMEOUT_MS) -> Any:
    """`connect(timeout_ms)` again until the broker answers: None if `stopping()` first.

    A kafka-python client's constructor gives up when no broker answers within its bootstrap
    timeout. A sink (re)started while its broker is down or restarting (`newsline up` restarts
    the broker first; about 30 s under heavy load) then exited 1, and that extra death spent
    the supervisor's restart budget during the fault campaign's kills (`newsline/stack.py`):
    it gave up on the whole stack. It waits instead, saying so."""
    from kafka.errors import KafkaError

    while not stopping():
        try:
            return connect(timeout_ms)
        except KafkaError as exc:  # KafkaTimeoutError: no broker answered in time
            log.warning("the broker does not answer (%s); trying again", exc)
    return None


class PublishBudget:
    """When the sink publishes: at most once per budget, and a committed change no later than a
    budget after the previous publish started (or at once, if that is past), plus the time of
    the batch write under way.

    The budget is `every_s`, stretched to `STRETCH` times the previous publish's duration when
    that is longer, so that publishing takes at most about a fifth of the sink's time: a publish
    costs about the same whatever it carries, and on a machine too busy to give the sink its
    share, publishing every `every_s` regardless would spend its time publishing a few articles
    at a time (bench/e2e_bench.py at a load average of 30 on 2 cores: publishes of 1-3 s,
    `last_publish` in bench/results/e2e-dense-publish.json).

    `committed()` after each batch write, `published()` after each publish; `due()` says
    whether to publish now, `deadline()` until when a batch may stay open (None: nothing is
    waiting to be published).
    """

    STRETCH = 4.0

    def __init__(self, every_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.every_s, self.clock = every_s, clock
        self.last: float | None = None  # when the previous publish started
        self.budget = every_s
        self.pending = False

    def committed(self) -> None:
        self.pending = True

    def deadline(self) -> float | None:
        if not self.pending:
            return None
        return self.clock() if self.last is None else self.last + self.budget

    def due(self) -> bool:
        deadline = self.deadline()
        return deadline is not None and self.clock() >= deadline

    def published(self, started: float) -> None:
        self.budget = max(self.every_s, self.STRETCH * (self.clock() - started))
        self.last, self.pending = started, False


def run_loop(poll: Callable[[int, int], list[tuple[int, bytes]]],
             write: Callable[[list[tuple[int, bytes]]], None], publish: Callable[[], bool],
             budget: PublishBudget, batch_max: int, flush_s: float,
             stopped: Callable[[], bool]) -> None:
    """The sink's loop: write batches as `collect_batch` closes them (a batch also closes when
    a publish falls due), and publish what they committed when `budget` says so.

    `write` commits a batch (rows and next offset in one transaction); `publish` makes every
    committed batch visible to analysts and returns False if it could not (a rebuild holds
    it back), in which case the changes stay pending for the next try.
    """
    while not stopped():
        if budget.due():
            started = budget.clock()
            published = publish()
            budget.published(started)
            if not published:  # held back (a rebuild): try again a budget later
                budget.committed()
        records = collect_batch(poll, batch_max, flush_s, budget.clock, budget.deadline())
        if records:
            write(records)
            budget.committed()
    if budget.pending:  # stopping: leave nothing committed unpublished
        started = budget.clock()
        if publish():
            budget.published(started)


def collect_batch(poll: Callable[[int, int], list[tuple[int, bytes]]], batch_max: int,
                  flush_s: float, clock: Callable[[], float] = time.monotonic,
                  until: float | None = None) -> list[tuple[int, bytes]]:
    """One batch of (offset, value): from its first record until `flush_s` after it (or
    `until`, if earlier: a publish falls due), or `batch_max` records; nothing if a poll of
    100 ms (or until `until`) finds the log drained.

    The window counts from the batch's first record, not from the first empty poll: the
    resolver sends each article's changes together, so the log goes quiet between articles and
    a batch closed at every quiet poll held about one article, each paying a batch write and a
    publish (measured with bench/e2e_bench.py: the sink then used more CPU per article than the
    worker). `poll(timeout_ms, max_records)` returns the records it got.
    """
    records: list[tuple[int, bytes]] = []
    closes = 0.0
    while len(records) < batch_max:
        if records:
            wait_ms = max(1, int(1000 * (closes - clock())))
        else:
            wait_ms = 100 if until is None else max(1, min(100, int(1000 * (until - clock()))))
        got = poll(wait_ms, batch_max - len(records))
        if not records:
            if not got:
                return records
            closes = clock() + flush_s if until is None else min(clock() + flush_s, until)
        records.extend(got)
        if clock() >= closes:
            break
    return records
