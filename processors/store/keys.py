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


def literal_list(keys: Iterable[str]) -> str:
    """`'a', 'b', ...`: keys as an SQL literal list (quotes escaped)."""
    return ", ".join("'" + k.replace("'", "''") + "'" for k in keys)


def key_lists(keys: Iterable[str], chunk: int = KEY_CHUNK) -> Iterator[str]:
    """Literal lists of at most `chunk` keys each (sorted, each key once)."""
    ordered = sorted(set(keys))
    for i in range(0, len(ordered), chunk):
        yield literal_list(ordered[i:i + chunk])


def pair_lists(pairs: Iterable[tuple[str, str]], chunk: int = KEY_CHUNK) -> Iterator[tuple[str, str]]:
    """(first keys, pairs) literal lists of at most `chunk` pairs each: a filter `a IN (first
    keys) AND a || chr(31) || b IN (pairs)` is an index scan on `a`, then an exact match of the
    pairs among the rows it found (a join on the pairs, or `b IN (...)`, would scan the table
    or match pairs that are not there)."""
    ordered = sorted(set(pairs))
    for i in range(0, len(ordered), chunk):
        part = ordered[i:i + chunk]
        yield (literal_list(sorted({a for a, _ in part})),
               literal_list(f"{a}\x1f{b}" for a, b in part))
