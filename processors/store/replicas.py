"""Publish the writer's state to analysts at a cost that follows the batch, not the database.

The analysts' file `newsline.duckdb` is a hard link to one of a few replica files
(`.sink/replica-N.duckdb`), each a complete DuckDB database with its own `sink_offsets`. To
publish, the sink takes a replica that nobody has open and that nobody but the sink has written
since, applies to it the changes it has missed (the sink keeps the recent changes in memory),
checkpoints it and links it in place of `newsline.duckdb` with an atomic rename. A replica
lags the writer by a batch or two. The replica just replaced keeps its inode: a session that has
it open goes on reading it, and the sink leaves it alone until that session closes (DuckDB's file
lock says so).

Replicas hold the analysts' schema without its PRIMARY KEY and UNIQUE constraints: with them, a
checkpoint after a small batch also writes the tables' ART indexes (`bench/checkpoint_keys.py`:
0.19-0.74 s with keys, 0.03-0.08 s without, at 100,000 and 1,000,000 rows), and only the writer
needs the keys, to make redelivery harmless. Analysts' queries do not use them.

Without keys, DuckDB finds the rows a batch replaces (a revised event, an article whose status
changed) by scanning the whole key column, and a checkpoint after an UPDATE rewrites the updated
columns of every row group it touched: a catch-up that replaced rows in place cost time in
proportion to the database (`bench/sink_statements.py`). So the four tables whose rows are
replaced (`OVERLAID`) are views in a replica, over tables in schema `newsline_sink`:
`<table>_base`, the bulk, never written by a catch-up; `<table>_recent`, the rows written since
the last fold; `<table>_moved`, the keys written since the last fold (their rows in the base
are hidden); and `articles_status`, the status changes of articles since the last fold. A
catch-up writes only these small tables and appends to `changelog`, so its statements and its
checkpoint cost what the batch carries. When the small tables hold more than
`FOLD_SHARE` of the base (and at least `FOLD_MIN_ROWS` rows), the catch-up folds them into the
base: that one costs a scan of the base, once per that many changes, so its share of each
change stays the same whatever the size of the database.

The changes a replica missed come from memory when they are still kept there, and otherwise
from the writer's own `changelog` table, read by offset range: a sink that restarts catches its
replicas up instead of copying the database. What the sink wrote to each replica
(its inode, size and mtime, and the position it holds) is kept beside it in `replica-N.json`,
so a replica that someone else wrote to since is still noticed after a restart.

A replica is rebuilt whole from the writer only when it cannot be caught up: when it is unknown
(no `replica-N.json`, or one from an older layout) or someone else wrote to it (an analyst's
read-write session), when it has missed more than `CATCH_UP_LIMIT` changes, or when every other
replica is held open.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from processors.store.keys import key_lists
from processors.store.project import ProjectionBatch, fold
from schemas.envelope import Envelope

TABLES = ("changelog", "articles", "mentions", "events", "event_mentions", "sink_offsets",
          "entity_aliases")

log = logging.getLogger(__name__)

REPLICA_SLOTS = 3  # the published one, the next one, and one spare for a held-open session
# Changes kept in memory to catch replicas up: about 4.5 KB each decoded (tracemalloc, the
# synthetic events of bench/sink_bench.py), so about 270 MB at most: some 8 s of changes at
# 500 articles/s, more than publishes are spaced by under load.
KEEP_CHANGES = 60_000
# Beyond this many missed changes a whole copy is cheaper than folding them again in Python.
CATCH_UP_LIMIT = 500_000
# Replicas' layout (`replica_schema`); a replica written with another one is rebuilt.
LAYOUT = 2
STORE = "newsline_sink"  # the schema of the tables under the analysts' views
# Tables whose rows a change replaces, and the key by which rows are replaced together.
OVERLAID = {"articles": "version_id", "mentions": "mention_id", "events": "event_id",
            "event_mentions": "event_id"}
STATUS = ("status", "superseded_by", "duplicate_of")
# Fold the small tables into the base once they hold this share of its rows (and this many).
FOLD_SHARE = 0.05
FOLD_MIN_ROWS = 100_000


@dataclass(frozen=True)
class _Written:
    """What the sink left in a replica file: its identity on disk and the position it holds."""

    inode: int
    size: int
    mtime_ns: int
    next_offset: int
    epoch: str
    layout: int


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def _sidecar(path: Path) -> Path:
    return path.with_suffix(".json")


def _view(table: str, key: str) -> str:
    rows = (f"SELECT b.* FROM {STORE}.{table}_base b ANTI JOIN {STORE}.{table}_moved m "
            f"ON m.{key} = b.{key} UNION ALL SELECT * FROM {STORE}.{table}_recent")
    if table != "articles":
        return f"CREATE VIEW {table} AS {rows};"
    status = ", ".join(f"CASE WHEN s.version_id IS NULL THEN a.{c} ELSE s.{c} END AS {c}"
                       for c in STATUS)
    return (f"CREATE VIEW articles AS SELECT a.* REPLACE ({status}) FROM ({rows}) a "
            f"LEFT JOIN {STORE}.articles_status s ON s.version_id = a.version_id;")


def replica_schema() -> str:
    """The analysts' schema (schema.sql) without PRIMARY KEY and UNIQUE constraints, in which
    the `OVERLAID` tables are views over tables in schema `STORE` (see the module's doc)."""
    from readmodel import SCHEMA_SQL

    sql = re.sub(r",\s*PRIMARY KEY\s*\([^)]*\)", "", SCHEMA_SQL)
    sql = re.sub(r"\s+(?:PRIMARY KEY|UNIQUE)\b", "", sql)
    for table, key in OVERLAID.items():
        found = re.search(rf"CREATE TABLE IF NOT EXISTS {table} \((.*?)\n\);", sql, re.S)
        if found is None:
            raise ValueError(f"schema.sql declares no table {table}")
        columns = found.group(1)
        parts = [f"CREATE TABLE {STORE}.{table}_{part} ({columns}\n);"
                 for part in ("base", "recent")]
        parts.append(f"CREATE TABLE {STORE}.{table}_moved ({key} VARCHAR NOT NULL);")
        if table == "articles":
            parts.append(f"CREATE TABLE {STORE}.articles_status (version_id VARCHAR NOT NULL, "
                         "status VARCHAR NOT NULL, superseded_by VARCHAR, duplicate_of VARCHAR);")
        parts.append(_view(table, key))
        sql = sql[:found.start()] + "\n".join(parts) + sql[found.end():]
        sql = re.sub(rf"ALTER TABLE {table} ADD COLUMN[^;]*;\n", "", sql)
        sql = sql.replace(f"COMMENT ON TABLE {table} IS", f"COMMENT ON VIEW {table} IS")
    return f"CREATE SCHEMA IF NOT EXISTS {STORE};\n{sql}"


def write_overlay(con: duckdb.DuckDBPyConnection, batch: ProjectionBatch, *, topic: str,
                  epoch: str, db: str = "replica") -> None:
    """Write one folded batch to a replica (database `db`) in one transaction: its changelog
    rows appended, the rows it replaces hidden and written to the small tables (`STORE`)."""
    from processors.store.sink import _stage

    store = f"{db}.{STORE}"

    def forget(table: str, key: str, keys: str) -> None:
        con.execute(f"DELETE FROM {store}.{table}_recent WHERE {key} IN (SELECT {key} FROM {keys})")
        con.execute(f"INSERT INTO {store}.{table}_moved SELECT DISTINCT {key} FROM {keys} k "
                    f"WHERE NOT EXISTS (SELECT 1 FROM {store}.{table}_moved m "
                    f"WHERE m.{key} = k.{key})")

    with tempfile.TemporaryDirectory(prefix="newsline-replica-") as tmpdir:
        tmp = Path(tmpdir)
        con.execute("BEGIN TRANSACTION")
        try:
            if batch.changelog:
                stage = _stage(con, "changelog", batch.changelog, tmp)
                con.execute(f"INSERT INTO {db}.main.changelog SELECT * FROM {stage}")
            for table, rows in (("articles", batch.articles), ("mentions", batch.mentions)):
                if rows:
                    key = OVERLAID[table]
                    stage = _stage(con, table, rows.values(), tmp)
                    forget(table, key, stage)
                    con.execute(f"INSERT INTO {store}.{table}_recent SELECT * FROM {stage}")
                    if table == "articles":  # a recorded version carries its own status
                        con.execute(f"DELETE FROM {store}.articles_status WHERE version_id IN "
                                    f"(SELECT version_id FROM {stage})")
            if batch.statuses:
                stage = _stage(con, "statuses", batch.statuses.values(), tmp)
                con.execute(f"DELETE FROM {store}.articles_status WHERE version_id IN "
                            f"(SELECT version_id FROM {stage})")
                con.execute(f"INSERT INTO {store}.articles_status SELECT * FROM {stage}")
            if batch.events:
                ids = _stage(con, "event_ids", ({"event_id": e} for e in batch.events), tmp)
                forget("events", "event_id", ids)
                forget("event_mentions", "event_id", ids)
                _copy_event_rows(con, sorted(batch.events), store)
            con.execute(f"DELETE FROM {db}.main.sink_offsets WHERE topic = ?", [topic])
            con.execute(f"INSERT INTO {db}.main.sink_offsets VALUES (?, 0, ?, ?)",
                        [topic, batch.next_offset, epoch])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise


def _copy_event_rows(con: duckdb.DuckDBPyConnection, event_ids: list[str], store: str) -> None:
    """Write to a replica's overlay the writer's rows of these events: a catch-up brings a
    replica to the writer's position, so an event's rows after it are the writer's now (the
    changes carry deltas, not the events' lists). Looked up by key in literal lists, which
    DuckDB answers from the writer's indexes (`events`' key, `sink.EVENT_MENTIONS_INDEX`):
    a join with a staged table would scan them, at a cost that grows with the database."""
    row = con.execute("SELECT current_database()").fetchone()
    source = f'"{row[0] if row else "main"}".main'
    for keys in key_lists(event_ids):
        con.execute(f"INSERT INTO {store}.events_recent SELECT * FROM {source}.events "
                    f"WHERE event_id IN ({keys})")
        con.execute(f"INSERT INTO {store}.event_mentions_recent SELECT * FROM "
                    f"{source}.event_mentions WHERE event_id IN ({keys})")


def overlay_rows(con: duckdb.DuckDBPyConnection, db: str = "replica") -> tuple[int, int]:
    """(rows in the small tables, rows in the base tables) of a replica; the second from
    DuckDB's catalog estimate (`duckdb_tables().estimated_size`), which costs no scan."""
    store = f"{db}.{STORE}"
    small = [f"{t}_{p}" for t in OVERLAID for p in ("recent", "moved")] + ["articles_status"]
    counts = " + ".join(f"(SELECT count(*) FROM {store}.{name})" for name in small)
    row = con.execute(f"SELECT {counts}, (SELECT coalesce(sum(estimated_size), 0) "
                      "FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? "
                      "AND table_name LIKE '%\\_base' ESCAPE '\\')",
                      [db, STORE]).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def fold_overlay(con: duckdb.DuckDBPyConnection, db: str = "replica") -> None:
    """Fold a replica's small tables into its base tables (one transaction; scans the base)."""
    store = f"{db}.{STORE}"
    con.execute("BEGIN TRANSACTION")
    try:
        for table, key in OVERLAID.items():
            con.execute(f"DELETE FROM {store}.{table}_base WHERE {key} IN "
                        f"(SELECT {key} FROM {store}.{table}_moved)")
            con.execute(f"INSERT INTO {store}.{table}_base SELECT * FROM {store}.{table}_recent")
            con.execute(f"DELETE FROM {store}.{table}_recent")
            con.execute(f"DELETE FROM {store}.{table}_moved")
        sets = ", ".join(f"{c} = s.{c}" for c in STATUS)
        con.execute(f"UPDATE {store}.articles_base b SET {sets} FROM {store}.articles_status s "
                    "WHERE b.version_id = s.version_id")
        con.execute(f"DELETE FROM {store}.articles_status")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _only_stored(con: duckdb.DuckDBPyConnection, batch: ProjectionBatch, start: int,
                 end: int) -> ProjectionBatch:
    """`batch` without the changes the writer did not store (changes emitted again at a later
    offset, skipped by `apply_batch`: a delta is applied once), read from the writer's offsets
    in [start, end)."""
    row = con.execute("SELECT count(*) FROM changelog WHERE log_offset >= ? AND log_offset < ?",
                      [start, end]).fetchone()
    if row is not None and row[0] == len(batch.changelog):
        return batch
    stored = {int(r[0]) for r in con.execute(
        "SELECT log_offset FROM changelog WHERE log_offset >= ? AND log_offset < ?",
        [start, end]).fetchall()}
    return batch.without({e.id for o, e in batch.changes if o not in stored})


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _is_lock_error(error: duckdb.Error) -> bool:
    return "lock" in str(error).lower()


class ReplicaPublisher:
    """Keeps `target` a hard link to an up-to-date replica of the writer."""

    def __init__(self, sink_dir: Path, target: Path, slots: int = REPLICA_SLOTS,
                 keep_changes: int = KEEP_CHANGES, fold_share: float = FOLD_SHARE,
                 fold_min_rows: int = FOLD_MIN_ROWS) -> None:
        """Replicas live in `sink_dir`, beside the writer; `target` is the analysts' file."""
        self.fold_share, self.fold_min_rows = fold_share, fold_min_rows
        self.folds = 0
        self.paths = [sink_dir / f"replica-{i}.duckdb" for i in range(slots)]
        self.target = target
        self.keep_changes = keep_changes
        self.changes: deque[tuple[int, Envelope[Any]]] = deque()
        self.kept_from: int | None = None  # every change at or after this offset is kept
        self.written: dict[Path, _Written] = {}
        self.full_copies = 0
        self.catch_ups = 0
        self.from_table = 0  # catch-ups that read the writer's changelog table
        for path in self.paths:
            try:
                self.written[path] = _Written(**json.loads(_sidecar(path).read_text()))
            except (OSError, ValueError, TypeError):
                continue

    def record(self, changes: list[tuple[int, Envelope[Any]]], from_offset: int) -> None:
        """Keep a committed batch (which started at `from_offset`) for replicas to catch up with."""
        if self.kept_from is None:
            self.kept_from = from_offset
        self.changes.extend(changes)
        while len(self.changes) > self.keep_changes:
            offset, _ = self.changes.popleft()
            self.kept_from = offset + 1

    def forget(self) -> None:
        """Drop the kept changes (the writer was rebuilt from a new log)."""
        self.changes.clear()
        self.kept_from = None

    def publish(self, con: duckdb.DuckDBPyConnection, writer_path: Path, *, topic: str,
                epoch: str, next_offset: int) -> str:
        """Bring one replica to the writer's position and publish it; say how ("catch-up"/"copy")."""
        published = _identity(self.target)
        candidates = [p for p in self.paths
                      if published is None or (_identity(p) or (-1,))[0] != published[0]]
        candidates.sort(key=lambda p: -(self.written[p].next_offset if p in self.written else -1))
        for path in candidates:
            if self._catch_up(con, path, topic=topic, epoch=epoch, next_offset=next_offset):
                self.catch_ups += 1
                self._link(path)
                return "catch-up"
        path = next((p for p in candidates if not p.exists()), candidates[-1])
        self._copy(con, writer_path, path, epoch=epoch, next_offset=next_offset)
        self.full_copies += 1
        self._link(path)
        return "copy"

    def _usable(self, path: Path, epoch: str, next_offset: int) -> _Written | None:
        written = self.written.get(path)
        now = _identity(path)
        if written is None or now != (written.inode, written.size, written.mtime_ns):
            return None  # not ours any more (or not known since the sink started)
        if written.layout != LAYOUT:
            return None
        if written.epoch != epoch or not written.next_offset <= next_offset:
            return None
        if next_offset - written.next_offset > CATCH_UP_LIMIT:
            return None
        return written

    def _missed(self, con: duckdb.DuckDBPyConnection, start: int,
                end: int) -> list[tuple[int, Envelope[Any]]]:
        """The changes in [start, end): from memory if kept, else from the writer's table."""
        if self.kept_from is not None and self.kept_from <= start:
            return [c for c in self.changes if c[0] >= start]
        from processors.store.sink import changes_in_table

        self.from_table += 1
        return changes_in_table(con, start, end)

    def _catch_up(self, con: duckdb.DuckDBPyConnection, path: Path, *, topic: str, epoch: str,
                  next_offset: int) -> bool:
        written = self._usable(path, epoch, next_offset)
        if written is None:
            return False
        try:
            con.execute(f"ATTACH {_quoted(path)} AS replica")
        except duckdb.Error as error:
            if _is_lock_error(error):
                return False  # an analyst (or the API) still has it open
            raise
        try:
            # Where the replica is: its own `sink_offsets`, written in the transaction of its
            # last catch-up. The sidecar can be behind it: a sink killed after that commit and
            # before the checkpoint left the batch in the replica's WAL, its file unchanged
            # (the identity `_usable` compares), and its sidecar unwritten; caught up from the
            # sidecar's position, the replica got those changes twice in its changelog.
            row = con.execute("SELECT next_offset, epoch FROM replica.main.sink_offsets "
                              "WHERE topic = ?", [topic]).fetchone()
            if row is None or row[1] != epoch or not written.next_offset <= row[0] <= next_offset:
                return False  # not what the sidecar says, nor a later position of it: copy
            start = int(row[0])
            missed = self._missed(con, start, next_offset)
            batch = _only_stored(con, fold(missed), start, next_offset)
            batch.next_offset = next_offset
            write_overlay(con, batch, topic=topic, epoch=epoch, db="replica")
            small, base = overlay_rows(con)
            if small > max(self.fold_min_rows, self.fold_share * base):
                fold_overlay(con)
                self.folds += 1
            con.execute("CHECKPOINT replica")
        finally:
            con.execute("DETACH replica")
        self._remember(path, epoch, next_offset)
        return True

    def _copy(self, con: duckdb.DuckDBPyConnection, writer_path: Path, path: Path, *,
              epoch: str, next_offset: int) -> None:
        """Rebuild the replica whole from the writer (a holder of the old one keeps its inode)."""
        row = con.execute("SELECT current_database()").fetchone()
        source = str(row[0]) if row else "main"
        tmp = path.parent / f".replica-{os.getpid()}.duckdb"
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
        con.execute(f"ATTACH {_quoted(tmp)} AS replica")
        try:
            con.execute("USE replica")
            con.execute(replica_schema())
            con.execute(f'USE "{source}"')
            con.execute("BEGIN TRANSACTION")
            for table in TABLES:
                into = f"{STORE}.{table}_base" if table in OVERLAID else f"main.{table}"
                con.execute(f'INSERT INTO replica.{into} SELECT * FROM "{source}".main.{table}')
            con.execute("COMMIT")
            con.execute("CHECKPOINT replica")
        finally:
            con.execute(f'USE "{source}"')
            con.execute("DETACH replica")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        Path(f"{path}.wal").unlink(missing_ok=True)
        self._remember(path, epoch, next_offset)

    def _remember(self, path: Path, epoch: str, next_offset: int) -> None:
        ident = _identity(path)
        assert ident is not None
        self.written[path] = _Written(*ident, next_offset=next_offset, epoch=epoch, layout=LAYOUT)
        sidecar = _sidecar(path)
        tmp = sidecar.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(vars(self.written[path])))
        os.replace(tmp, sidecar)

    def _link(self, path: Path) -> None:
        """Make `target` name the replica's inode, atomically for readers opening it."""
        tmp = self.target.parent / f".newsline-link-{os.getpid()}"
        tmp.unlink(missing_ok=True)
        os.link(path, tmp)
        os.replace(tmp, self.target)
