"""`newsline replay`: rebuild every projection from the changelog table and compare."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from processors.store.project import fold
from processors.store.sink import apply_batch, changes_in_table, open_writer

TABLES = {"articles": "version_id", "mentions": "mention_id", "events": "event_id",
          "event_mentions": "event_id, mention_id", "changelog": "log_offset"}


def _rows(con: duckdb.DuckDBPyConnection, table: str, order: str) -> list[tuple[Any, ...]]:
    if table == "changelog":  # compared as read today: a row of an older version, upcast
        return [(o, e.id, e.type, e.subject, e.data.model_dump(mode="json"))
                for o, e in changes_in_table(con)]
    return con.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()


def rebuild_and_compare(data_dir: Path) -> dict[str, Any]:
    """Fold the published changelog into a fresh database; report table-by-table equality."""
    source = data_dir / "newsline.duckdb"
    target = data_dir / "replay.duckdb"
    target.unlink(missing_ok=True)
    src = duckdb.connect(str(source), read_only=True)
    src.execute("SET TimeZone = 'UTC'")
    changes = changes_in_table(src)
    out = open_writer(target)
    epoch_row = src.execute("SELECT topic, epoch FROM sink_offsets").fetchone()
    topic, epoch = epoch_row if epoch_row else ("changelog", "replay")
    for i in range(0, len(changes), 5000):
        apply_batch(out, fold(changes[i:i + 5000]), topic=topic, epoch=epoch)
    report: dict[str, Any] = {"changes": len(changes), "tables": {}}
    for table, order in TABLES.items():
        a, b = _rows(src, table, order), _rows(out, table, order)
        report["tables"][table] = {"rows": len(a), "identical": a == b}
    src.close()
    out.close()
    report["identical"] = all(t["identical"] for t in report["tables"].values())
    report["rebuilt"] = str(target)
    return report
