"""Publish the writer's state to analysts at a cost that follows the batch, not the database.

The analysts' file `newsline.duckdb` is a hard link to one of a few replica files
(`.sink/replica-N.duckdb`), each a complete DuckDB database with its own `sink_offsets`. To
publish, the sink takes a replica that nobody has open and that nobody but the sink has written
since, applies to it the changes it has missed (the sink keeps the recent changes in memory),
checkpoints it and links it in place of `newsline.duckdb` with an atomic rename. A replica
lags the writer by a batch or two. The replica just replaced keeps its inode: a session that has
it open goes on reading it, and the sink leaves it alone until that session closes (DuckDB's file
lock says so).

Replicas have the writer's layout (`processors/store/overlay.py`): the analysts' schema
without keys, the four tables whose rows a change replaces being views over a base and small
tables, so that a catch-up writes only the small tables and its checkpoint writes no index. A
catch-up is the writer's own batch write (`overlay.write_overlay`), applied to the replica's
state at its position with the changes it missed folded into one batch; when the small tables
hold more than `FOLD_SHARE` of the base (and at least `FOLD_MIN_ROWS` rows), it folds them into
the base: a scan of the base, once per that many changes.

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
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from processors.store.overlay import (
    FOLD_MIN_ROWS,
    FOLD_SHARE,
    copy_into,
    due_for_fold,
    fold_overlay,
    layout_schema,
    quoted_path,
    write_overlay,
)
from processors.store.project import ProjectionBatch, fold
from schemas.envelope import Envelope

TABLES = ("changelog", "articles", "mentions", "events", "event_mentions", "sink_offsets",
          "entity_aliases")

log = logging.getLogger(__name__)

REPLICA_SLOTS = 3  # the published one, the next one, and one spare for a held-open session
# Changes kept in memory to catch replicas up, at most: about 4.5 KB each decoded (tracemalloc,
# the synthetic events of bench/sink_bench.py), so about 270 MB: some 8 s of changes at 500
# articles/s, more than publishes are spaced by under load. Only those the next publish needs
# are kept (`ReplicaPublisher._trim`): the cap binds only if one publish's worth exceeds it.
KEEP_CHANGES = 60_000
# Beyond this many missed changes a whole copy is cheaper than folding them again in Python.
CATCH_UP_LIMIT = 500_000
# Replicas' layout (`overlay.layout_schema`); a replica written with another one is rebuilt.
LAYOUT = 3
replica_schema = layout_schema  # the analysts' file has the writer's layout


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
        self.held: set[Path] = set()  # replicas found open by someone else (their lock), since
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
                self._trim(path, epoch)
                return "catch-up"
        path = next((p for p in candidates if not p.exists()), candidates[-1])
        self._copy(con, writer_path, path, epoch=epoch, next_offset=next_offset)
        self.full_copies += 1
        self._link(path)
        self._trim(path, epoch)
        return "copy"

    def _trim(self, published: Path, epoch: str) -> None:
        """Keep in memory only the changes the next publish will need: those after the replica
        it will catch up first, the most advanced of this epoch and layout that is not the one
        just `published` nor held open by someone else (while the replicas take turns, about
        one publish's worth). A replica further behind (an analyst held it for a while) catches
        up from the writer's `changelog` table instead (`_missed`). Keeping every change since
        the replica furthest behind, as until 7 December, kept everything since the analyst
        opened the file: the sink's RSS rose through the whole soak, about 4.5 KB per change."""
        positions = [w.next_offset for p, w in self.written.items()
                     if p != published and p not in self.held
                     and w.epoch == epoch and w.layout == LAYOUT]
        keep_from = max(positions, default=self.written[published].next_offset)
        while self.changes and self.changes[0][0] < keep_from:
            self.changes.popleft()
        if self.kept_from is not None and self.kept_from < keep_from:
            self.kept_from = keep_from

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
            con.execute(f"ATTACH {quoted_path(path)} AS replica")
        except duckdb.Error as error:
            if _is_lock_error(error):
                self.held.add(path)
                return False  # an analyst (or the API) still has it open
            raise
        self.held.discard(path)
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
            write_overlay(con, batch, topic=topic, epoch=epoch, db="replica",
                          stored=(start, next_offset))
            # DuckDB's catalog estimates, not counts: counting the small tables at every
            # publish was 8% of the sink's samples at 20 articles/s (py-spy, e2e_bench)
            if due_for_fold(con, "replica", self.fold_share, self.fold_min_rows):
                fold_overlay(con, "replica")
                self.folds += 1
            con.execute("CHECKPOINT replica")
        finally:
            con.execute("DETACH replica")
        self._remember(path, epoch, next_offset)
        return True

    def _copy(self, con: duckdb.DuckDBPyConnection, writer_path: Path, path: Path, *,
              epoch: str, next_offset: int) -> None:
        """Rebuild the replica whole from the writer (a holder of the old one keeps its inode)."""
        tmp = path.parent / f".replica-{os.getpid()}.duckdb"
        copy_into(con, tmp, TABLES)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        Path(f"{path}.wal").unlink(missing_ok=True)
        self.held.discard(path)  # a new inode: whoever held the old one holds that one
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
