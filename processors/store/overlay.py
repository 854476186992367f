"""The projections' layout, shared by the sink's writer and the analysts' replicas.

Neither file has PRIMARY KEY or UNIQUE constraints, nor any index: DuckDB writes every ART
index whole at each checkpoint (the WAL's automatic one runs in a batch's COMMIT), so with its
keys the writer took 40.3 s for one batch in twelve at 1,000,000 events, against a median of
1.74 s (`bench/writer_bench.py`, `bench/results/writer-bench-keyless.json`; without them, 1.68 s
and 1.33 s). Without keys, DuckDB finds the rows a batch replaces by
scanning the whole key column, and a checkpoint after an UPDATE rewrites the updated columns of
every row group touched, which random keys spread over the whole table. So the four tables whose
rows are replaced (`OVERLAID`) are views over tables in schema `STORE`: `<table>_base`, the
bulk, written only by a fold; `<table>_recent`, the rows written since the last fold;
`<table>_moved`, the keys written since (their rows in the base are hidden);
`event_mentions_gone`, single (event, mention) pairs hidden in the base; and `articles_status`,
status changes since the last fold (the view applies them). A batch appends to `changelog` and
writes only the small tables, so its statements and its checkpoint cost what the batch carries.
The writer's layout (`layout_schema(pending=True)`) adds `events_pending`: an event changed since
the fold whose row was in the base has a partial row in `events_recent` (the sources that
entered since) and one in `events_pending` (those that left), so that a batch never reads the
base's `sources` (a scan of `events_base`: `apply_event_deltas`); the writer's view merges
them, and so does the fold (`resolve_pending`). The replicas, which analysts read, have no
partial rows: a catch-up reads the stored sources, once per publish. When the small tables
hold more than `FOLD_SHARE` of the base (and at least `FOLD_MIN_ROWS` rows), `fold_overlay`
folds them into the base: a scan of the base, once per that many changes.

Rows are staged through NDJSON files (`stage`), their column types read from the schema.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
from pydantic import BaseModel

from processors.store.keys import key_lists
from processors.store.project import EventDelta, ProjectionBatch, event_delta_row

STORE = "newsline_sink"  # the schema of the tables under the views
# Tables whose rows a change replaces, and the key by which rows are replaced together.
OVERLAID = {"articles": "version_id", "mentions": "mention_id", "events": "event_id",
            "event_mentions": "event_id"}
STATUS = ("status", "superseded_by", "duplicate_of")
# Fold the small tables into the base once they hold this share of its rows (and this many).
FOLD_SHARE = 0.05
FOLD_MIN_ROWS = 100_000

# Staged rows take their column types from the tables themselves (schema.sql is the one place
# they are declared); statuses and event ids are slices of `articles` and `events`.
_STAGED_SLICES = {
    "statuses": ("articles", ("version_id", "status", "superseded_by", "duplicate_of")),
    "event_ids": ("events", ("event_id",)),
}
# Staged event deltas: an `events` row without its sources, with the deltas; and one row per
# mention that entered (`added`) or left an event.
_STAGED_EXTRA: dict[str, tuple[str, dict[str, str | None]]] = {
    "event_deltas": ("events", {"sources": None, "alive": "BOOLEAN", "whole": "BOOLEAN",
                                "sources_added": "VARCHAR[]", "sources_removed": "VARCHAR[]"}),
    "mention_deltas": ("event_mentions", {"added": "BOOLEAN"}),
}
_TYPES: dict[str, dict[str, str]] = {}


def column_types(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, str]:
    """Column -> type of a relation (or of a slice of one), read once from the catalog."""
    if name in _STAGED_EXTRA and name not in _TYPES:
        table, extra = _STAGED_EXTRA[name]
        types = {c: t for c, t in {**column_types(con, table), **extra}.items() if t}
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


def jsonable(value: Any) -> Any:
    """A model in a row (a changelog row's `data`) as its JSON object."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"{type(value).__name__} in a staged row")


def stage(con: duckdb.DuckDBPyConnection, name: str, rows: Iterable[dict[str, Any]],
          tmp: Path) -> str:
    """Bulk-load rows into a temp table through one NDJSON file (no row-by-row INSERTs)."""
    path = tmp / f"{name}.ndjson"
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, default=jsonable))
            fh.write("\n")
    cols = ", ".join(f"'{c}': '{t}'" for c, t in column_types(con, name).items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE stage_{name} AS SELECT * FROM "
                f"read_json('{path}', format='newline_delimited', columns={{{cols}}})")
    return f"stage_{name}"


def merged_sources(base: str, added: str, removed: str) -> str:
    """SQL for an event's sources from its row in the base (`base`, NULL if none) and what
    entered (`added`) and left (`removed`) since: (base - removed) + added, sorted as the
    resolver sorts them (DuckDB compares VARCHARs by their UTF-8 bytes: Python's order of str)."""
    return (f"list_sort(list_distinct(list_concat(list_filter(coalesce({base}, []::VARCHAR[]), "
            f"lambda x: NOT list_contains({removed}, x)), {added})))")


def _view(table: str, key: str, pending: bool = False) -> str:
    rows = (f"SELECT b.* FROM {STORE}.{table}_base b ANTI JOIN {STORE}.{table}_moved m "
            f"ON m.{key} = b.{key}")
    if table == "event_mentions":
        rows += (f" ANTI JOIN {STORE}.event_mentions_gone g ON g.event_id = b.event_id "
                 "AND g.mention_id = b.mention_id")
    if table == "events" and pending:  # the writer's partial rows: sources merged with the base's
        sources = merged_sources("o.sources", "r.sources", "p.sources_removed")
        return (f"CREATE OR REPLACE VIEW events AS {rows} UNION ALL SELECT r.* FROM "
                f"{STORE}.events_recent r ANTI JOIN {STORE}.events_pending p ON p.event_id = "
                f"r.event_id UNION ALL SELECT r.* REPLACE ({sources} AS sources) FROM "
                f"{STORE}.events_recent r JOIN {STORE}.events_pending p ON p.event_id = "
                f"r.event_id LEFT JOIN {STORE}.events_base o ON o.event_id = r.event_id;")
    rows += f" UNION ALL SELECT * FROM {STORE}.{table}_recent"
    if table != "articles":
        return f"CREATE OR REPLACE VIEW {table} AS {rows};"
    status = ", ".join(f"CASE WHEN s.version_id IS NULL THEN a.{c} ELSE s.{c} END AS {c}"
                       for c in STATUS)
    return (f"CREATE OR REPLACE VIEW articles AS SELECT a.* REPLACE ({status}) FROM ({rows}) a "
            f"LEFT JOIN {STORE}.articles_status s ON s.version_id = a.version_id;")


def layout_schema(pending: bool = False) -> str:
    """The analysts' schema (schema.sql) without PRIMARY KEY and UNIQUE constraints, in which
    the `OVERLAID` tables are views over tables in schema `STORE` (see the module's doc).
    `pending`: the writer's layout, with `events_pending` (its partial `events` rows, whose
    sources the view merges with the base's: `write_overlay(deferred=True)`). Idempotent: it
    opens an existing file as well as a new one, and a writer of the layout before
    `events_pending` as well (the table is created, the view replaced)."""
    from readmodel import SCHEMA_SQL

    sql = re.sub(r",\s*PRIMARY KEY\s*\([^)]*\)", "", SCHEMA_SQL)
    sql = re.sub(r"\s+(?:PRIMARY KEY|UNIQUE)\b", "", sql)
    for table, key in OVERLAID.items():
        found = re.search(rf"CREATE TABLE IF NOT EXISTS {table} \((.*?)\n\);", sql, re.S)
        if found is None:
            raise ValueError(f"schema.sql declares no table {table}")
        columns = found.group(1)
        parts = [f"CREATE TABLE IF NOT EXISTS {STORE}.{table}_{part} ({columns}\n);"
                 for part in ("base", "recent")]
        parts.append(f"CREATE TABLE IF NOT EXISTS {STORE}.{table}_moved "
                     f"({key} VARCHAR NOT NULL);")
        if table == "articles":
            parts.append(f"CREATE TABLE IF NOT EXISTS {STORE}.articles_status (version_id "
                         "VARCHAR NOT NULL, status VARCHAR NOT NULL, superseded_by VARCHAR, "
                         "duplicate_of VARCHAR);")
        if table == "event_mentions":
            parts.append(f"CREATE TABLE IF NOT EXISTS {STORE}.event_mentions_gone "
                         "(event_id VARCHAR NOT NULL, mention_id VARCHAR NOT NULL);")
        if table == "events" and pending:
            parts.append(f"CREATE TABLE IF NOT EXISTS {STORE}.events_pending (event_id VARCHAR "
                         "NOT NULL, sources_removed VARCHAR[] NOT NULL);")
        # A column added since a file was written: added to both parts before the view, whose
        # `SELECT *` then reads it (the parts' columns stay in one order).
        added = re.findall(rf"ALTER TABLE {table} (ADD COLUMN[^;]*);\n", sql)
        parts += [f"ALTER TABLE {STORE}.{table}_{part} {column};"
                  for column in added for part in ("base", "recent")]
        parts.append(_view(table, key, pending))
        sql = sql[:found.start()] + "\n".join(parts) + sql[found.end():]
        sql = re.sub(rf"ALTER TABLE {table} ADD COLUMN[^;]*;\n", "", sql)
        sql = sql.replace(f"COMMENT ON TABLE {table} IS", f"COMMENT ON VIEW {table} IS")
    return f"CREATE SCHEMA IF NOT EXISTS {STORE};\n{sql}"


def database(con: duckdb.DuckDBPyConnection, db: str) -> str:
    """The name of database `db` ("main": the connection's current database)."""
    if db == "main":
        row = con.execute("SELECT current_database()").fetchone()
        return str(row[0]) if row else "main"
    return db


def catalog(con: duckdb.DuckDBPyConnection, db: str) -> str:
    """The quoted name of database `db` (`database`), for SQL."""
    return '"' + database(con, db).replace('"', '""') + '"'


def quoted_path(path: Path) -> str:
    """A file name as a SQL string literal (`ATTACH`)."""
    return "'" + str(path).replace("'", "''") + "'"


def write_overlay(con: duckdb.DuckDBPyConnection, batch: ProjectionBatch, *, topic: str,
                  epoch: str, db: str = "main", deferred: bool = False,
                  stored: tuple[int, int] | None = None) -> None:
    """Write one folded batch and its next offset to database `db` in one transaction: its
    changelog rows appended, the rows it replaces hidden and written to the small tables
    (`STORE`). The caller has dropped the changes already stored (a delta is applied once).
    `deferred` (the writer, `layout_schema(pending=True)`): no read of the base tables; an
    event's sources in the base are merged later (`apply_event_deltas`). `stored` (a
    replica's catch-up): the batch's changelog rows are the connection's own (the writer's)
    at offsets [start, end), copied from its table rather than staged from Python again:
    the same rows, without encoding each change's data once more."""
    cat = catalog(con, db)
    store = f"{cat}.{STORE}"
    with tempfile.TemporaryDirectory(prefix="newsline-overlay-") as tmpdir:
        tmp = Path(tmpdir)
        con.execute("BEGIN TRANSACTION")
        try:
            if batch.changelog and stored is not None:
                con.execute(f"INSERT INTO {cat}.main.changelog SELECT * FROM "
                            f"{catalog(con, 'main')}.main.changelog WHERE log_offset >= ? AND "
                            "log_offset < ? ORDER BY log_offset", list(stored))
            elif batch.changelog:
                staged = stage(con, "changelog", batch.changelog, tmp)
                con.execute(f"INSERT INTO {cat}.main.changelog SELECT * FROM {staged}")
            for table, rows in (("articles", batch.articles), ("mentions", batch.mentions)):
                if rows:
                    key = OVERLAID[table]
                    staged = stage(con, table, rows.values(), tmp)
                    _forget(con, store, table, key, staged)
                    con.execute(f"INSERT INTO {store}.{table}_recent SELECT * FROM {staged}")
                    if table == "articles":  # a recorded version carries its own status
                        con.execute(f"DELETE FROM {store}.articles_status WHERE version_id IN "
                                    f"(SELECT version_id FROM {staged})")
            if batch.statuses:
                staged = stage(con, "statuses", batch.statuses.values(), tmp)
                con.execute(f"DELETE FROM {store}.articles_status WHERE version_id IN "
                            f"(SELECT version_id FROM {staged})")
                con.execute(f"INSERT INTO {store}.articles_status SELECT * FROM {staged}")
            if batch.events:
                apply_event_deltas(con, batch.events, tmp, cat, deferred=deferred)
            con.execute(f"DELETE FROM {cat}.main.sink_offsets WHERE topic = ?", [topic])
            con.execute(f"INSERT INTO {cat}.main.sink_offsets VALUES (?, 0, ?, ?)",
                        [topic, batch.next_offset, epoch])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise


def _forget(con: duckdb.DuckDBPyConnection, store: str, table: str, key: str,
            keys: str) -> None:
    """Hide the rows of these keys (a staged table's `key` column): the base's by `_moved`."""
    con.execute(f"DELETE FROM {store}.{table}_recent WHERE {key} IN (SELECT {key} FROM {keys})")
    con.execute(f"INSERT INTO {store}.{table}_moved SELECT DISTINCT {key} FROM {keys} k "
                f"WHERE NOT EXISTS (SELECT 1 FROM {store}.{table}_moved m "
                f"WHERE m.{key} = k.{key})")


def stage_event_deltas(con: duckdb.DuckDBPyConnection, events: dict[str, EventDelta],
                       tmp: Path) -> tuple[str, str]:
    """Stage a batch's event deltas: (events table, mentions table) (`_STAGED_EXTRA`)."""
    deltas = stage(con, "event_deltas", (event_delta_row(e, d) for e, d in events.items()), tmp)
    mentions = stage(con, "mention_deltas", (
        {"event_id": e, "mention_id": m, "added": added} for e, d in events.items()
        for added, ids in ((True, d.mentions_added), (False, d.mentions_removed))
        for m in sorted(ids)), tmp)
    return deltas, mentions


def event_rows_sql(con: duckdb.DuckDBPyConnection, deltas: str, events: str) -> str:
    """The `events` rows of the living events in `deltas`, their sources the table `events`'
    (the rows of these events before the batch) with the deltas applied, sorted as the resolver
    sorts them (DuckDB compares VARCHARs by their UTF-8 bytes: Python's order of str)."""
    cols = ", ".join(f"{_delta_sources('e.sources')} AS sources" if c == "sources" else f"d.{c}"
                     for c in column_types(con, "events"))
    return (f"SELECT {cols} FROM {deltas} d LEFT JOIN {events} e ON e.event_id = d.event_id "
            "WHERE d.alive")


def _delta_sources(prior: str) -> str:
    """SQL for an event's sources after the delta `d` of a batch, from `prior` (its sources
    before the batch, NULL for none); sorted."""
    return ("CASE WHEN d.whole THEN list_sort(d.sources_added) ELSE list_sort(list_filter("
            f"list_distinct(list_concat(coalesce({prior}, []::VARCHAR[]), d.sources_added)), "
            "lambda x: NOT list_contains(d.sources_removed, x))) END")


def apply_event_deltas(con: duckdb.DuckDBPyConnection, events: dict[str, EventDelta],
                       tmp: Path, cat: str, deferred: bool = False) -> None:
    """Apply a batch's event deltas (inside the caller's transaction) to `events` and
    `event_mentions` of database `cat` (quoted): an event's row is written once per batch,
    from its deltas and its stored `sources`; of its mentions, only those that entered or
    left are written, with no read: a pair that entered or left hides its copy in the base
    (`event_mentions_gone`), and one that entered goes to `event_mentions_recent`; an event
    whose lists were replaced whole (or that died) hides all its rows.

    The stored sources, when not `deferred`, are read by key from the `events` view: a scan of
    `events_base`, which grows with the database (a replica's catch-up, once per publish).
    `deferred` (the writer) reads only the small tables: an event whose row is in the base
    gets a partial row in `events_recent`, the sources that entered since the fold, and one
    in `events_pending`, those that left (`_deferred_event_rows`); the writer's view merges
    them with the base's, and the fold writes the merged lists (`resolve_pending`)."""
    store = f"{cat}.{STORE}"
    deltas, mentions = stage_event_deltas(con, events, tmp)
    if deferred:
        _deferred_event_rows(con, store, deltas)
    else:
        con.execute(f"CREATE OR REPLACE TEMP TABLE events_before AS "
                    f"SELECT event_id, sources FROM {cat}.main.events WITH NO DATA")
        for keys in key_lists(e for e, d in events.items()
                              if d.facts is not None and not d.whole):
            con.execute(f"INSERT INTO events_before SELECT event_id, sources FROM "
                        f"{cat}.main.events WHERE event_id IN ({keys})")
        con.execute(f"CREATE OR REPLACE TEMP TABLE event_rows AS "
                    f"{event_rows_sql(con, deltas, 'events_before')}")
        _forget(con, store, "events", "event_id", deltas)
        con.execute(f"INSERT INTO {store}.events_recent SELECT * FROM event_rows")
    con.execute(f"CREATE OR REPLACE TEMP TABLE whole_events AS "
                f"SELECT event_id FROM {deltas} WHERE whole")
    _forget(con, store, "event_mentions", "event_id", "whole_events")
    con.execute(f"CREATE OR REPLACE TEMP TABLE moved_pairs AS SELECT DISTINCT m.event_id, "
                f"m.mention_id FROM {mentions} m JOIN {deltas} d ON d.event_id = m.event_id "
                "WHERE NOT d.whole")
    con.execute(f"DELETE FROM {store}.event_mentions_recent r WHERE EXISTS (SELECT 1 FROM "
                "moved_pairs p WHERE p.event_id = r.event_id AND p.mention_id = r.mention_id)")
    con.execute(f"INSERT INTO {store}.event_mentions_gone SELECT * FROM moved_pairs p "
                f"WHERE NOT EXISTS (SELECT 1 FROM {store}.event_mentions_gone g "
                "WHERE g.event_id = p.event_id AND g.mention_id = p.mention_id)")
    con.execute(f"INSERT INTO {store}.event_mentions_recent SELECT DISTINCT event_id, "
                f"mention_id FROM {mentions} WHERE added")


def _deferred_event_rows(con: duckdb.DuckDBPyConnection, store: str, deltas: str) -> None:
    """Write the events rows of `deltas` reading only the small tables. An event's sources
    before the batch are its row in `events_recent` (complete, or partial if in
    `events_pending`), none if it died since the fold (hidden, no recent row), else its row in
    the base, unread: the new row is then partial, relative to the base (the sources that
    entered since the fold in `events_recent`, those that left in `events_pending`). A delta
    does the same to a complete list and to a partial one ((S + a) - r), and the sources that
    left a partial row are (R - a) + r; a whole delta gives a complete row."""
    cols = ", ".join(f"{_delta_sources('r.sources')} AS sources" if c == "sources" else f"d.{c}"
                     for c in column_types(con, "events"))
    removed = ("list_sort(list_distinct(list_concat(list_filter(coalesce(p.sources_removed, "
               "[]::VARCHAR[]), lambda x: NOT list_contains(d.sources_added, x)), "
               "d.sources_removed)))")
    con.execute(f"CREATE OR REPLACE TEMP TABLE event_rows AS SELECT {cols}, NOT d.whole AND ("
                "p.event_id IS NOT NULL OR (r.event_id IS NULL AND d.event_id NOT IN (SELECT "
                f"event_id FROM {store}.events_moved))) AS partial, {removed} AS removed "
                f"FROM {deltas} d LEFT JOIN {store}.events_recent r ON r.event_id = d.event_id "
                f"LEFT JOIN {store}.events_pending p ON p.event_id = d.event_id WHERE d.alive")
    _forget(con, store, "events", "event_id", deltas)
    con.execute(f"INSERT INTO {store}.events_recent SELECT * EXCLUDE (partial, removed) "
                "FROM event_rows")
    con.execute(f"DELETE FROM {store}.events_pending WHERE event_id IN "
                f"(SELECT event_id FROM {deltas})")
    con.execute(f"INSERT INTO {store}.events_pending SELECT event_id, removed FROM event_rows "
                "WHERE partial")


def _has_pending(con: duckdb.DuckDBPyConnection, db: str) -> bool:
    row = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND "
                      "schema_name = ? AND table_name = 'events_pending'",
                      [database(con, db), STORE]).fetchone()
    return bool(row and row[0])


def resolve_pending(con: duckdb.DuckDBPyConnection, db: str = "main") -> None:
    """Write the merged sources of the partial `events_recent` rows of `db` and empty
    `events_pending` (inside the caller's transaction; a join with the base: one scan)."""
    if not _has_pending(con, db):
        return
    store = f"{catalog(con, db)}.{STORE}"
    sources = merged_sources("o.sources", "r.sources", "p.sources_removed")
    con.execute(f"UPDATE {store}.events_recent t SET sources = m.sources FROM (SELECT "
                f"r.event_id, {sources} AS sources FROM {store}.events_recent r JOIN "
                f"{store}.events_pending p ON p.event_id = r.event_id LEFT JOIN "
                f"{store}.events_base o ON o.event_id = r.event_id) m "
                "WHERE t.event_id = m.event_id")
    con.execute(f"DELETE FROM {store}.events_pending")


def overlay_rows(con: duckdb.DuckDBPyConnection, db: str = "main") -> tuple[int, int]:
    """(rows in the small tables, rows in the base tables) of database `db`; the second from
    DuckDB's catalog estimate (`duckdb_tables().estimated_size`), which costs no scan."""
    cat = catalog(con, db)
    store = f"{cat}.{STORE}"
    small = ([f"{t}_{p}" for t in OVERLAID for p in ("recent", "moved")]
             + ["articles_status", "event_mentions_gone"])
    counts = " + ".join(f"(SELECT count(*) FROM {store}.{name})" for name in small)
    row = con.execute(f"SELECT {counts}, (SELECT coalesce(sum(estimated_size), 0) "
                      "FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? "
                      "AND table_name LIKE '%\\_base' ESCAPE '\\')",
                      [database(con, db), STORE]).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def due_for_fold(con: duckdb.DuckDBPyConnection, db: str = "main", share: float | None = None,
                 min_rows: int | None = None) -> bool:
    """Whether the small tables of `db` hold enough rows to fold them into the base
    (`FOLD_SHARE` of it and `FOLD_MIN_ROWS` unless given), by DuckDB's catalog estimates: no
    count, which reads the tables, after every batch. An estimate counts the rows deleted since
    the last checkpoint too (a fold may come a little early), so a fold is followed by a
    checkpoint (`fold_and_checkpoint`), or the next batches would find the fold due again."""
    rows = con.execute("SELECT coalesce(sum(estimated_size) FILTER (WHERE table_name LIKE "
                       "'%\\_base' ESCAPE '\\'), 0), coalesce(sum(estimated_size) FILTER (WHERE "
                       "table_name NOT LIKE '%\\_base' ESCAPE '\\'), 0) FROM duckdb_tables() "
                       "WHERE database_name = ? AND schema_name = ?",
                       [database(con, db), STORE]).fetchone()
    assert rows is not None
    share = FOLD_SHARE if share is None else share
    min_rows = FOLD_MIN_ROWS if min_rows is None else min_rows
    return int(rows[1]) > max(min_rows, share * int(rows[0]))


def fold_and_checkpoint(con: duckdb.DuckDBPyConnection, db: str = "main") -> None:
    """`fold_overlay`, then a CHECKPOINT of `db`, which drops the emptied small tables' rows
    from the catalog's estimates (`due_for_fold`)."""
    fold_overlay(con, db)
    con.execute(f"CHECKPOINT {catalog(con, db)}")


def fold_overlay(con: duckdb.DuckDBPyConnection, db: str = "main") -> None:
    """Fold the small tables of `db` into its base tables (one transaction; scans the base)."""
    store = f"{catalog(con, db)}.{STORE}"
    con.execute("BEGIN TRANSACTION")
    try:
        resolve_pending(con, db)  # before the base rows it reads are deleted
        for table, key in OVERLAID.items():
            con.execute(f"DELETE FROM {store}.{table}_base WHERE {key} IN "
                        f"(SELECT {key} FROM {store}.{table}_moved)")
            if table == "event_mentions":
                con.execute(f"DELETE FROM {store}.event_mentions_base b USING "
                            f"{store}.event_mentions_gone g WHERE g.event_id = b.event_id "
                            "AND g.mention_id = b.mention_id")
                con.execute(f"DELETE FROM {store}.event_mentions_gone")
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


def copy_into(con: duckdb.DuckDBPyConnection, path: Path, tables: Iterable[str]) -> None:
    """Write a new database file `path` in this layout holding every row of `tables` of the
    connection's current database (which has this layout, or the analysts' tables themselves:
    either way, `<table>` names the rows): the overlaid tables' rows go to their base. One
    transaction, then a checkpoint; detached after, success or not."""
    source = catalog(con, "main")
    path.unlink(missing_ok=True)
    Path(f"{path}.wal").unlink(missing_ok=True)
    con.execute(f"ATTACH {quoted_path(path)} AS copy_target")
    try:
        con.execute("USE copy_target")
        con.execute(layout_schema())
        con.execute(f"USE {source}")
        con.execute("BEGIN TRANSACTION")
        for table in tables:
            into = f"{STORE}.{table}_base" if table in OVERLAID else f"main.{table}"
            con.execute(f"INSERT INTO copy_target.{into} BY NAME SELECT * FROM {source}.main.{table}")
        con.execute("COMMIT")
        con.execute("CHECKPOINT copy_target")
    finally:
        con.execute(f"USE {source}")
        con.execute("DETACH copy_target")
