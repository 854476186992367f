"""Rows looked up by key in literal lists, which DuckDB answers from its ART indexes.

DuckDB has no index join: a statement that joins a big table with a small staged one (`IN
(SELECT ...)`, `USING`, `UPDATE ... FROM`, `LEFT JOIN`) scans the big table, and so does `INSERT
OR IGNORE` / `OR REPLACE` (measured at 4M rows: 0.3-0.6 s for 256 keys, against 0.02-0.06 s
through a literal list; `docs/measurements.md`, *The writer's batch*). A filter `key IN ('a',
'b', ...)` of up to `index_scan_max_count` (2,048) constants is an index scan, so the sink and
the replicas cut the keys a batch touches into lists of `KEY_CHUNK` and add that filter to each
statement: its cost then follows the batch, not the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

KEY_CHUNK = 1000  # keys per literal list: below DuckDB's index_scan_max_count (2,048)


def key_lists(keys: Iterable[str], chunk: int = KEY_CHUNK) -> Iterator[str]:
    """`'a', 'b', ...` SQL literal lists of at most `chunk` keys each (sorted, quotes escaped)."""
    ordered = sorted(set(keys))
    for i in range(0, len(ordered), chunk):
        yield ", ".join("'" + k.replace("'", "''") + "'" for k in ordered[i:i + chunk])
