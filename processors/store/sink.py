"""The single DuckDB writer: projects the changelog into tables and publishes analysts' snapshots.

Exactly-once effect: each batch's rows and the next offset to read are written in one transaction,
and the sink resumes from that offset, so a crash and a redelivery never duplicate or lose a row.
A change sent again (same id) at a later offset is dropped (`_first_of_each`). The writer has
the analysts' schema without keys, in the layout of `processors/store/overlay.py`, so that
neither a batch nor a checkpoint costs more as the database grows (no index to write).

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
from processors.store.keys import key_lists
from processors.store.overlay import (
    STORE,
    catalog,
    copy_into,
    due_for_fold,
    fold_and_checkpoint,
    layout_schema,
    resolve_pending,
    write_overlay,
)
from processors.store.project import ProjectionBatch, fold
from processors.store.replicas import TABLES as COPIED
from processors.store.replicas import ReplicaPublisher
from readmodel.metrics import Latency, SinkMetrics, write_sink_metrics
from schemas.codec import Rejection, decode, stored_version
from schemas.envelope import Envelope
from schemas.timeline import ArticleVersionRecorded

log = logging.getLogger(__name__)

BOOTSTRAP_TIMEOUT_MS = 10_000  # a broker that does not answer: logged, and tried again

def open_writer(path: Path, threads: int | None = None,
                memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """Open (creating) a writer database in the projections' layout (`overlay`); `threads` caps
    DuckDB's threads for this connection (None: DuckDB's default, one per core), `memory_limit`
    its buffer pool (None: DuckDB's default, 80% of the machine's RAM). A writer of an
    older version (the analysts' tables with their keys) is first copied into that layout
    (`upgrade_writer`); one of the layout before `events_pending` (7 December 2026) gets that
    table and the view that reads it, with no copy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _connect(path, threads)
    if _keyed(con):
        con = upgrade_writer(con, path, threads)
    if memory_limit:
        con.execute("SET memory_limit = ?", [memory_limit])
    without_words = _without_mention_words(con)
    con.execute(layout_schema(pending=True))
    if without_words:
        fill_mention_words(con)
    first: dict[tuple[str, str], str] = {}  # (alias, name) once, as its key did before
    for a, name, kind in alias_rows():
        first.setdefault((a, name), kind)
    aliases = [(a, a, name, kind) for (a, name), kind in first.items()]
    con.execute("BEGIN TRANSACTION")
    con.execute("DELETE FROM entity_aliases")
    con.executemany("INSERT INTO entity_aliases VALUES (?, lower(strip_accents(?)), ?, ?)",
                    aliases)
    con.execute("COMMIT")
    return con


# Compression methods the sink's checkpoints do not try. DuckDB analyses every column segment a
# checkpoint writes for each method; for FSST's symbol tables that costs more than the write
# on the small appends of a replica's catch-up: its CHECKPOINT took 88-124 ms with them and
# 29-44 ms without, for files 6-17% larger (catch-ups of 130 changes replayed from a dense
# stack's writer, scratch timing, 7 December 2026; docs/measurements.md, *Latency at 20
# articles a second*). The checkpoint is most of a publish, which bounds how fresh the
# analysts' file can be.
DISABLED_COMPRESSION = "fsst,dict_fsst"


def _connect(path: Path, threads: int | None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET disabled_compression_methods = '{DISABLED_COMPRESSION}'")
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    return con


def _keyed(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether this writer holds the analysts' tables themselves (the layout before `overlay`)."""
    row = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = "
                      "current_database() AND schema_name = 'main' AND table_name = 'events'"
                      ).fetchone()
    return bool(row and row[0])


def _without_mention_words(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether this writer's mentions predate their `participants` and `same_event_words`
    columns (8 December 2026): `layout_schema` adds them empty, `fill_mention_words` fills them."""
    row = con.execute("SELECT count(*) FILTER (table_name = 'mentions_base'), count(*) FILTER "
                      "(table_name = 'mentions_base' AND column_name = 'same_event_words') FROM "
                      "duckdb_columns() WHERE database_name = current_database() AND "
                      f"schema_name = '{STORE}'").fetchone()
    return bool(row and row[0] and not row[1])


def fill_mention_words(con: duckdb.DuckDBPyConnection) -> None:
    """Fill the mentions' `participants` and `same_event_words` stored before those columns
    existed, from the changelog table's `mention.recorded` changes (the last of each mention,
    as the projection keeps it): one transaction, once per data folder, so that the tables
    stay the changelog's projection (`newsline replay` finds them identical)."""
    words = "same_event_words"
    row = con.execute("SELECT data_type FROM duckdb_columns() WHERE database_name = "
                      f"current_database() AND schema_name = '{STORE}' AND table_name = "
                      f"'mentions_base' AND column_name = '{words}'").fetchone()
    kind = row[0] if row else None
    recorded = ("SELECT data->>'$.mention.mention_id' AS mention_id, arg_max(data->'$.mention', "
                "log_offset) AS m FROM main.changelog WHERE type = "
                "'org.newsline.mention.recorded' GROUP BY 1")
    con.execute("BEGIN TRANSACTION")
    for part in ("base", "recent"):
        con.execute(f"UPDATE {STORE}.mentions_{part} t SET participants = CAST(r.m->'participants' "
                    f"AS VARCHAR[]), {words} = coalesce(CAST(r.m->'references' AS {kind}), []) "
                    f"FROM ({recorded}) r WHERE r.mention_id = t.mention_id")
    con.execute("COMMIT")
    log.warning("filled the stored mentions' participants and same_event_words from the changelog")


def upgrade_writer(con: duckdb.DuckDBPyConnection, path: Path,
                   threads: int | None) -> duckdb.DuckDBPyConnection:
    """Copy a writer of the keyed layout (open as `con`, its WAL replayed) into a new file of
    the overlay layout, every row in the base tables, and put it in its place (atomic rename;
    killed before it, the old file is untouched and the next start does it again). Once per
    data folder, a cost in proportion to it; the replicas, whose layout changed too, are
    rebuilt by their first publish."""
    tmp = path.with_name(f".{path.stem}-upgrade.duckdb")
    log.warning("upgrading %s to the key-less layout (a copy of every table)", path)
    copy_into(con, tmp, COPIED)
    con.close()
    os.replace(tmp, path)
    Path(f"{path}.wal").unlink(missing_ok=True)
    return _connect(path, threads)


def apply_batch(con: duckdb.DuckDBPyConnection, batch: ProjectionBatch, *, topic: str,
                epoch: str, db: str = "main") -> None:
    """Write one folded batch and its next offset in a single transaction (to database `db`),
    without the changes already stored (`_first_of_each`), in the overlay layout
    (`overlay.write_overlay`, shared with the replicas); then fold the small tables into the
    base if they are due (`overlay.due_for_fold`).

    No statement reads a base table except, once per `FOLD_SHARE` of the base, the fold: the
    stored `sources` of the events a batch changes are merged later (`deferred`,
    `overlay.apply_event_deltas`); no checkpoint writes an index (there are none)."""
    write_overlay(con, _first_of_each(con, batch, db), topic=topic, epoch=epoch, db=db,
                  deferred=True)
    if due_for_fold(con, db):
        fold_and_checkpoint(con, db)


def _first_of_each(con: duckdb.DuckDBPyConnection, batch: ProjectionBatch,
                   db: str) -> ProjectionBatch:
    """The batch folded again without the changes already stored (a resend after a crash or a
    rebalance, same id): every projection applies the first of each change id only, so an
    event delta is never applied twice, whatever came between.

    A change sent again is the same bytes (ids are derived from the article and the change's
    rank, `processors/resolution/fold.py`), so it has the `known_at` of its first copy: the
    instant its article was accepted. The stored ids are read among the changelog rows whose
    `known_at` lies between the batch's first and last, which DuckDB prunes by the row
    groups' min/max (the table is appended in log order, which follows acceptance order):
    exact however far back the first copy is, and a read of the recent row groups while the
    stream flows in acceptance order."""
    rows = batch.changelog
    if not rows:
        return batch
    times = [datetime.fromisoformat(r["known_at"]) for r in rows]
    table = f"{catalog(con, db)}.main.changelog"
    stored = {str(r[0]) for keys in key_lists(r["change_id"] for r in rows)
              for r in con.execute(f"SELECT change_id FROM {table} WHERE known_at BETWEEN ? "
                                   f"AND ? AND change_id IN ({keys})",
                                   [min(times), max(times)]).fetchall()}
    return batch.without(stored) if stored else batch


def stored_position(con: duckdb.DuckDBPyConnection, topic: str) -> tuple[int, str | None]:
    """(next offset, epoch) recorded by the last committed batch."""
    row = con.execute("SELECT next_offset, epoch FROM sink_offsets WHERE topic = ? "
                      "AND \"partition\" = 0", [topic]).fetchone()
    return (int(row[0]), str(row[1])) if row else (0, None)


def publish_snapshot(con: duckdb.DuckDBPyConnection, writer_path: Path, target: Path) -> None:
    """Checkpoint the writer and atomically replace `target` with a whole copy of it.

    For one-off files (the dev database, tests); the running sink publishes replicas instead.
    The writer's partial `events` rows are merged first (`overlay.resolve_pending`), so the
    copy's view reads no pending sources.
    """
    con.execute("BEGIN TRANSACTION")
    resolve_pending(con)
    con.execute("COMMIT")
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
                 batch_max: int = 5000, flush_s: float = 0.2, publish_s: float = 0.2,
                 threads: int | None = 1, memory_limit: str | None = None,
                 reopen_changes: int = 0, publish_stretch: float = 1.5) -> None:
        """Prepare the writer database under `data_dir/.sink/`; `reopen_changes`: see
        `_reopen_if_due` (0: never)."""
        self.writer_path = data_dir / ".sink" / "writer.duckdb"
        self.target = data_dir / "newsline.duckdb"
        self.bootstrap, self.topic, self.epoch = bootstrap, topic, epoch
        self.batch_max, self.flush_s = batch_max, flush_s
        self.budget = PublishBudget(publish_s, stretch=publish_stretch)
        self.threads, self.memory_limit = threads, memory_limit
        self.reopen_changes, self.changes_since_open, self.reopened = reopen_changes, 0, 0
        self.hold_until_articles = 0
        self.data_dir = data_dir
        # Articles projected, not yet published: (accepted, emitted by the resolver, polled).
        self.unpublished: list[tuple[datetime, datetime, datetime]] = []
        self.latencies: deque[float] = deque(maxlen=1000)
        self.stages: dict[str, deque[float]] = {
            stage: deque(maxlen=1000) for stage in ("upstream", "transport", "sink")}
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
        con = open_writer(self.writer_path, self.threads, self.memory_limit)
        self.changes_since_open = 0
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
            con = open_writer(self.writer_path, self.threads, self.memory_limit)
            self.publisher.forget()
        # No checkpoint when the sink closes the writer: DuckDB's checkpoint at close rewrote the
        # row groups the last batches touched, 5-10 s after a fill of 10,000 articles at a load
        # of 15 (py-spy: `AttachedDatabase::Close` -> `CreateCheckpoint`), most of a Ctrl-C.
        # The WAL stays on disk with every commit in it and the next open replays it, as after
        # a kill -9: at most `wal_autocheckpoint` (16 MiB) of it, since DuckDB checkpoints
        # automatically past that while the sink runs (by hand: 2.6 MiB replayed in 0.46 s, 10k fill).
        con.execute("PRAGMA disable_checkpoint_on_shutdown")
        return con

    def _reopen_if_due(self, con: duckdb.DuckDBPyConnection,
                       written: int) -> duckdb.DuckDBPyConnection:
        """Count `written` changes; past `reopen_changes` since the writer was opened, close it
        and open it again (the same file: every batch is committed, the WAL is replayed).

        DuckDB keeps memory the writer's batches allocate outside its buffer pool, which
        `memory_limit` does not bound and a CHECKPOINT does not return: the sink's own batches
        in-process, no replica, grow the glibc heap by about 2 MB per 100 dense articles, and
        closing the connection gives it all back (`bench/sink_memory.py --reopen-changes`,
        docs/fault-campaign.md, *fifth session*). A reopen costs the replay of at most
        `wal_autocheckpoint` (16 MiB) of WAL: 0.2-1.6 s in the fault campaign's stacks."""
        self.changes_since_open += written
        if not self.reopen_changes or self.changes_since_open < self.reopen_changes:
            return con
        began = time.monotonic()
        con.close()
        con = self._open()
        self.reopened += 1
        log.info("sink writer reopened in %.2fs (memory DuckDB keeps until close)",
                 time.monotonic() - began)
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
        for accepted, emitted, polled in self.unpublished:
            self.latencies.append((now - accepted).total_seconds())
            self.stages["upstream"].append((emitted - accepted).total_seconds())
            self.stages["transport"].append((polled - emitted).total_seconds())
            self.stages["sink"].append((now - polled).total_seconds())
        self.unpublished.clear()
        self.published_snapshots += 1
        row = con.execute("SELECT next_offset FROM sink_offsets").fetchone()
        write_sink_metrics(self.data_dir, SinkMetrics(
            self.published_snapshots, row[0] if row else 0, Latency.of(self.latencies),
            self.last_publish, self.publisher.full_copies,
            {stage: Latency.of(seconds) for stage, seconds in self.stages.items()}))

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

        # offset -> (the record's CreateTime, when the poll returned it), for latency_stages
        arrivals: dict[int, tuple[datetime, datetime]] = {}

        def poll(timeout_ms: int, max_records: int) -> list[tuple[int, bytes]]:
            polled = consumer.poll(timeout_ms=timeout_ms, max_records=max_records)
            now = datetime.now(UTC)
            got = [m for msgs in polled.values() for m in msgs]
            arrivals.update((m.offset, (datetime.fromtimestamp(m.timestamp / 1000, UTC), now))
                            for m in got)
            return [(m.offset, m.value) for m in got]

        def write(records: list[tuple[int, bytes]]) -> None:
            nonlocal con
            changes, rejected = split_changes(records)
            batch, failed = fold_isolating(changes)
            self.dead_letters(dict(records), rejected, failed)
            batch.next_offset = max(batch.next_offset, records[-1][0] + 1)
            from_offset, _ = stored_position(con, self.topic)
            apply_batch(con, batch, topic=self.topic, epoch=self.epoch)
            self.publisher.record(changes, from_offset)
            self.unpublished.extend(_article_arrivals(batch, arrivals))
            for offset, _ in records:
                arrivals.pop(offset, None)
            log.info("sink projected %d changes up to offset %d", len(records),
                     batch.next_offset)
            con = self._reopen_if_due(con, len(records))

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


def _article_arrivals(batch: ProjectionBatch, arrivals: dict[int, tuple[datetime, datetime]]
                      ) -> list[tuple[datetime, datetime, datetime]]:
    """(accepted, emitted, polled) of each article version the batch records: the times of the
    change that recorded it (the first, if a resend brought it twice)."""
    out = {}
    for offset, env in batch.changes:
        data = env.data
        if isinstance(data, ArticleVersionRecorded) and data.version_id not in out \
                and offset in arrivals:
            out[data.version_id] = (data.known_at, *arrivals[offset])
    return list(out.values())


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

    The budget is `every_s`, stretched to `stretch` times the previous publish's duration when
    that is longer, so that publishing takes at most about 1/(1 + stretch) of the sink's time
    (two fifths, by default: 4 until 7 December, when `every_s` was 1 s and the p95 latency at
    20 articles a second about 1.8 s; docs/measurements.md, *Latency at 20 articles a
    second*): a publish
    costs about the same whatever it carries, and on a machine too busy to give the sink its
    share, publishing every `every_s` regardless would spend its time publishing a few articles
    at a time (bench/e2e_bench.py at a load average of 30 on 2 cores: publishes of 1-3 s,
    `last_publish` in bench/results/e2e-dense-publish.json).

    `committed()` after each batch write, `published()` after each publish; `due()` says
    whether to publish now, `deadline()` until when a batch may stay open (None: nothing is
    waiting to be published).
    """

    def __init__(self, every_s: float, clock: Callable[[], float] = time.monotonic,
                 stretch: float = 1.5) -> None:
        self.every_s, self.clock, self.stretch = every_s, clock, stretch
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
        self.budget = max(self.every_s, self.stretch * (self.clock() - started))
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
