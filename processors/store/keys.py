"""Keys as literal lists: `key IN ('a', 'b', ...)` filters of at most `KEY_CHUNK` constants.

DuckDB has no index join: a statement that joins a big table with a small staged one (`IN
(SELECT ...)`, `USING`, `UPDATE ... FROM`, `LEFT JOIN`) scans the big table, and so does `INSERT
OR IGNORE` / `OR REPLACE`. With an ART index, a filter of up to `index_scan_max_count` (2,048)
constants is an index scan (`docs/measurements.md`, *The writer's batch*). Since 7 December
2026 neither the writer nor the replicas have indexes (`processors/store/overlay.py`): the
lists remain where a batch reads stored rows by key (a replica's catch-up in
`overlay.apply_event_deltas`, `sink._first_of_each`), a scan filtered by the list."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

KEY_CHUNK = 1000  # keys per literal list: below DuckDB's index_scan_max_count (2,048)


def literal_list(keys: Iterable[str]) -> str:
    """`'a', 'b', ...`: keys as an SQL literal list (quotes escaped)."""
    return ", ".join("'" + k.replace("'", "''") + "'" for k in keys)


def key_lists(keys: Iterable[str], chunk: int = KEY_CHUNK) -> Iterator[str]:
    """Literal lists of at most `chunk` keys each (sorted, each key once)."""
    ordered = sorted(set(keys))
    for i in range(0, len(ordered), chunk):
        yield literal_list(ordered[i:i + chunk])

