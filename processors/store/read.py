"""Read the analysts' DuckDB file: the timeline as `newsline timeline` and `GET /timeline` show it."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from processors.entities import canonical_entity

_FIELDS = ("event_id, start_date, end_date, granularity, summary, entities, mention_count, "
           "sources, first_reported_at, languages")


def _connect(path: Path) -> duckdb.DuckDBPyConnection | None:
    if not path.exists():
        return None
    con = duckdb.connect(str(path), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    return con


def read_timeline(path: Path, *, entity: str | None = None, since: date | None = None,
                  until: date | None = None, as_of: datetime | None = None,
                  language: str | None = None, min_sources: int = 1) -> list[dict[str, Any]]:
    """Events sorted by (start, end, first report), filtered like the CLI's flags.

    `language` keeps events reported in that language (among others); `min_sources` keeps events
    with at least that many independent sources (syndicated copies do not count).
    """
    con = _connect(path)
    if con is None:
        return []
    try:
        source = "timeline_as_of($as_of)" if as_of is not None else "timeline"
        where: list[str] = ["1=1"]
        params: dict[str, Any] = {}
        if as_of is not None:
            params["as_of"] = as_of
        if since is not None:
            where.append("end_date >= $since")
            params["since"] = since
        if until is not None:
            where.append("start_date <= $until")
            params["until"] = until
        if language:
            where.append("list_contains(languages, $language)")
            params["language"] = language.strip().lower()
        if min_sources > 1:
            where.append("len(sources) >= $min_sources")
            params["min_sources"] = min_sources
        if entity:
            where.append("list_contains(list_transform(entities, lambda x: lower(strip_accents(x))),"
                         " $entity)")
            params["entity"] = _match_key(canonical_entity(entity))
        rows = con.execute(
            f"SELECT {_FIELDS} FROM {source} WHERE {' AND '.join(where)} "
            "ORDER BY start_date, end_date, first_reported_at, event_id", params
        ).fetchall()
    finally:
        con.close()
    return [
        {"event_id": r[0], "start": r[1].isoformat(), "end": r[2].isoformat(),
         "granularity": r[3], "summary": r[4], "entities": list(r[5]), "mentions": r[6],
         "sources": list(r[7]), "first_reported_at": r[8].isoformat(), "languages": list(r[9])}
        for r in rows
    ]


def _match_key(name: str) -> str:
    """Lower-case and strip accents, as the SQL side does with lower(strip_accents(x))."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def read_article(path: Path, version_or_key: str) -> dict[str, Any] | None:
    """One article version (by version id, or the current version of an article key)."""
    con = _connect(path)
    if con is None:
        return None
    try:
        cur = con.execute(
            "SELECT * FROM articles WHERE version_id = $id OR (article_key = $id AND status "
            "<> 'superseded') ORDER BY version_id = $id DESC LIMIT 1", {"id": version_or_key})
        row = cur.fetchone()
        if row is None:
            return None
        names = [d[0] for d in cur.description]
    finally:
        con.close()
    return {n: (v.isoformat() if hasattr(v, "isoformat") else v) for n, v in zip(names, row,
                                                                                 strict=True)}
