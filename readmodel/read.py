"""Read the analysts' DuckDB file: the timeline as `newsline timeline` and `GET /timeline` show it."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

_FIELDS = ("event_id, start_date, end_date, granularity, summary, entities, mention_count, "
           "sources, first_reported_at, languages, anchor")
ANCHORS = ("explicit", "narrative", "publication", "none")
DEFAULT_ANCHORS = ("explicit",)  # the `timeline` view's: a date in the event's own sentence


_PUNCTUATION = "[-\u2010\u2011\u2013''\u2019`.\\s]+"  # as in entity_key (processors' analysis)


def _name_key(sql: str) -> str:
    """SQL for the matching key of a name: no accents, lower case, ``-'.`` and spaces as one space."""
    return f"trim(regexp_replace(lower(strip_accents({sql})), '{_PUNCTUATION}', ' ', 'g'))"


# The names an --entity value stands for: itself, and every canonical name the alias table
# (`entity_aliases`, loaded by the sink) maps it to, in any language ('Poutine' -> Vladimir Putin).
_ENTITY_MATCH = (
    f"list_has_any(list_transform(entities, lambda x: {_name_key('x')}), "
    f"list_concat((SELECT list(DISTINCT {_name_key('a.name')}) FROM entity_aliases a "
    f"WHERE {_name_key('a.alias')} = {_name_key('$entity')}), [{_name_key('$entity')}]))"
)


# The dated expression of the summary's sentence (the mention the summary was taken from: same
# sentence, same dates), so a reader sees which date of the sentence the event is.
_EXPRESSION = ("SELECT first(m.expression ORDER BY m.known_at, m.mention_id) FROM mentions m "
               "WHERE m.summary = ev.summary AND m.start_date = ev.start_date "
               "AND m.end_date = ev.end_date")


def connect(path: Path) -> duckdb.DuckDBPyConnection | None:
    """A read-only session on the analysts' file in UTC, or None before the sink published it."""
    if not path.exists():
        return None
    con = duckdb.connect(str(path), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    return con


def read_timeline(path: Path, *, entity: str | None = None, since: date | None = None,
                  until: date | None = None, as_of: datetime | None = None,
                  language: str | None = None, min_sources: int = 1,
                  anchors: tuple[str, ...] = DEFAULT_ANCHORS) -> list[dict[str, Any]]:
    """Events sorted by (start, end, first report), filtered like the CLI's flags.

    `language` keeps events reported in that language (among others); `min_sources` keeps events
    with at least that many independent sources (syndicated copies do not count); `anchors`
    keeps events dated that way (explicit only by default, as the `timeline` view).
    Each carries `expression`: the dated expression, as written, of its summary's sentence.
    """
    con = connect(path)
    if con is None:
        return []
    try:
        source = "timeline_as_of($as_of, anchors := $anchors)" if as_of is not None else "events"
        where: list[str] = ["list_contains($anchors, anchor)"]
        params: dict[str, Any] = {"anchors": list(anchors)}
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
            where.append(_ENTITY_MATCH)
            params["entity"] = entity
        rows = con.execute(
            f"WITH ev AS (SELECT {_FIELDS} FROM {source} WHERE {' AND '.join(where)}) "
            f"SELECT ev.*, ({_EXPRESSION}) FROM ev "
            "ORDER BY start_date, end_date, first_reported_at, event_id", params
        ).fetchall()
    finally:
        con.close()
    return [
        {"event_id": r[0], "start": r[1].isoformat(), "end": r[2].isoformat(),
         "granularity": r[3], "summary": r[4], "entities": list(r[5]), "mentions": r[6],
         "sources": list(r[7]), "first_reported_at": r[8].isoformat(), "languages": list(r[9]),
         "anchor": r[10], "expression": r[11]}
        for r in rows
    ]


def name_key(name: str) -> str:
    """The matching key of a name in Python, as `_name_key` computes it in SQL (for tools that
    filter events in memory the way `--entity` does)."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[-\u2010\u2011\u2013'\u2019`.]+", " ", bare).split())


def read_article(path: Path, version_or_key: str) -> dict[str, Any] | None:
    """One article version (by version id, or the current version of an article key)."""
    con = connect(path)
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
