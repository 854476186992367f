"""Export the analysts' DuckDB file as Parquet, one file per table plus the `timeline` view.

Reads the published snapshot read-only (never the writer's file), so an export can run while
ingestion goes on and sees one consistent snapshot. Each file is written under a temporary name
and renamed into place, so a reader of `out_dir` never sees a half-written file.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)

# Relation -> the order rows are written in (keys, so that two exports of one snapshot are equal).
EXPORTED: dict[str, str] = {
    "articles": "version_id",
    "mentions": "mention_id",
    "events": "event_id",
    "event_mentions": "event_id, mention_id",
    "changelog": "log_offset",
    "timeline": "start_date, end_date, first_reported_at, event_id",
}


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export_parquet(duckdb_path: Path, out_dir: Path) -> list[Path]:
    """Write `<relation>.parquet` in `out_dir` for every exported relation; return their paths."""
    duckdb_path, out_dir = Path(duckdb_path), Path(out_dir)
    if not duckdb_path.exists():
        raise FileNotFoundError(f"no analysts' database at {duckdb_path}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        for name, order in EXPORTED.items():
            target = out_dir / f"{name}.parquet"
            partial = out_dir / f".{name}.parquet.partial"
            con.execute(f"COPY (SELECT * FROM {name} ORDER BY {order}) TO {_literal(partial)} "
                        "(FORMAT parquet, COMPRESSION zstd)")
            os.replace(partial, target)
            written.append(target)
    finally:
        con.close()
    log.info("exported %d relations from %s to %s", len(written), duckdb_path, out_dir)
    return written
