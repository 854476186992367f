"""The articles behind each event: its sources, their mentions and their syndicated copies.

`GET /timeline?detail=true` adds them to every event, so the web page shows only what analysts can
query too (the `mentions`, `event_mentions`, `articles` and `changelog` tables). With an `as_of`
instant, an event's mentions are those of its state known then (from the changelog); syndicated
copies are those known then, with today's copy status.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from readmodel.read import connect

_MENTIONS_NOW = "SELECT event_id, mention_id FROM event_mentions WHERE list_contains($ids, event_id)"
# An event's mentions as of an instant: the fold of its changes known then (as `timeline_as_of`
# folds its sources): its last whole list (a version-1 change's state, or `members`), then per
# mention the last change after it that attached it (or took it over in a merge) or retracted it.
_MENTIONS_AS_OF = """
    WITH changes AS (
        SELECT subject AS event_id, log_offset, type, data FROM changelog
        WHERE type LIKE 'org.newsline.event.%' AND known_at <= $as_of::TIMESTAMPTZ
          AND list_contains($ids, subject)),
    alive AS (
        SELECT event_id FROM changes
        QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY log_offset DESC) = 1
              AND json_type(data->'$.event') = 'OBJECT'),
    whole AS (
        SELECT event_id, log_offset AS since, from_json(coalesce(
            data->'$.members.mention_ids', data->'$.event.mention_ids'), '["VARCHAR"]') AS ids
        FROM changes
        WHERE json_type(data, '$.members') = 'OBJECT'
           OR json_type(data, '$.event.mention_ids') = 'ARRAY'
        QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY log_offset DESC) = 1),
    moves AS (
        SELECT c.event_id, c.log_offset, u.mention_id,
               c.type <> 'org.newsline.event.mention-retracted' AS entered
        FROM changes c, unnest(CASE
            WHEN c.type = 'org.newsline.event.merged'
                THEN from_json(c.data->'$.mention_ids', '["VARCHAR"]')
            WHEN c.type IN ('org.newsline.event.mention-attached',
                            'org.newsline.event.mention-retracted')
                THEN [c.data->>'$.mention_id'] END) AS u(mention_id)),
    last_moves AS (
        SELECT m.* FROM moves m JOIN whole w ON w.event_id = m.event_id
        WHERE m.log_offset >= w.since
        QUALIFY row_number() OVER (PARTITION BY m.event_id, m.mention_id
                                   ORDER BY m.log_offset DESC) = 1)
    SELECT w.event_id, u.mention_id FROM whole w SEMI JOIN alive a ON a.event_id = w.event_id,
           unnest(w.ids) AS u(mention_id)
    WHERE NOT EXISTS (SELECT 1 FROM last_moves m
                      WHERE m.event_id = w.event_id AND m.mention_id = u.mention_id)
    UNION ALL
    SELECT m.event_id, m.mention_id FROM last_moves m SEMI JOIN alive a ON a.event_id = m.event_id
    WHERE m.entered"""
_REPORTS = """
    SELECT em.event_id, m.mention_id, m.sentence, m.sentence_start, m.expression, m.start_char,
           m.end_char, m.start_date, m.end_date, m.granularity, a.version_id, a.canonical_url,
           a.url, a.title, a.source, a.language, a.published_at, a.known_at
    FROM ({em}) em JOIN mentions m USING (mention_id) JOIN articles a ON a.version_id = m.version_id
    ORDER BY em.event_id, a.published_at, a.version_id, m.start_char"""
_COPIES = """
    SELECT duplicate_of, url, title, source, language, published_at, known_at FROM articles
    WHERE status = 'duplicate' AND list_contains($originals, duplicate_of)
      AND ($as_of IS NULL OR known_at <= $as_of::TIMESTAMPTZ)
    ORDER BY published_at, version_id"""


def expression_span(sentence: str, expression: str, offset: int) -> tuple[int, int] | None:
    """Where the expression is in its sentence (code points), from its offset in the clean text.

    Falls back to the first occurrence when the offset does not point at it; None if absent.
    """
    if 0 <= offset and sentence[offset:offset + len(expression)] == expression:
        return offset, offset + len(expression)
    found = sentence.find(expression)
    return (found, found + len(expression)) if found >= 0 and expression else None


def _article(row: tuple[Any, ...]) -> dict[str, Any]:
    return {"version_id": row[10], "canonical_url": row[11], "url": row[12], "title": row[13],
            "outlet": row[14], "language": row[15], "published_at": row[16].isoformat(),
            "known_at": row[17].isoformat(), "mentions": [], "copies": []}


def _mention(row: tuple[Any, ...]) -> dict[str, Any]:
    span = expression_span(row[2], row[4], row[5] - row[3])
    return {"mention_id": row[1], "sentence": row[2], "expression": row[4],
            "expression_start": span[0] if span else None,
            "expression_end": span[1] if span else None,
            "start": row[7].isoformat(), "end": row[8].isoformat(), "granularity": row[9]}


def read_reports(path: Path, events: list[dict[str, Any]],
                 as_of: datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """event_id -> its source articles (one per canonical URL, in publication order).

    Each article carries the event's mentions found in it (sentence, expression and where the
    expression is in the sentence) and the syndicated copies of it (which are not sources).
    """
    ids = [e["event_id"] for e in events]
    con = connect(path)
    if con is None or not ids:
        return {}
    try:
        em = _MENTIONS_AS_OF if as_of is not None else _MENTIONS_NOW
        params: dict[str, Any] = {"ids": ids}
        if as_of is not None:
            params["as_of"] = as_of
        rows = con.execute(_REPORTS.format(em=em), params).fetchall()
        originals = sorted({r[10] for r in rows})
        copies = con.execute(_COPIES, {"originals": originals, "as_of": as_of}).fetchall()
    finally:
        con.close()
    copies_of: dict[str, list[dict[str, Any]]] = {}
    for c in copies:
        copies_of.setdefault(c[0], []).append({
            "url": c[1], "title": c[2], "outlet": c[3], "language": c[4],
            "published_at": c[5].isoformat(), "known_at": c[6].isoformat()})
    out: dict[str, dict[str, dict[str, Any]]] = {}
    versions: dict[tuple[str, str], set[str]] = {}  # (event, canonical URL) -> versions seen
    for row in rows:
        by_url = out.setdefault(row[0], {})
        article = by_url.get(row[11])
        if article is None or row[17] > datetime.fromisoformat(article["known_at"]):
            newer = _article(row)  # the latest version reporting it speaks for the article
            if article is not None:
                newer["mentions"] = article["mentions"]
            by_url[row[11]] = article = newer
        article["mentions"].append(_mention(row))
        versions.setdefault((row[0], row[11]), set()).add(row[10])
    for (eid, url), vids in versions.items():
        article = out[eid][url]
        article["copies"] = sorted((c for v in vids for c in copies_of.get(v, [])),
                                   key=lambda c: (c["published_at"], c["url"]))
    return {eid: sorted(by_url.values(), key=lambda a: (a["published_at"], a["canonical_url"]))
            for eid, by_url in out.items()}


def read_arrivals(path: Path) -> list[dict[str, Any]]:
    """The instants at which articles were accepted (`known_at`), oldest first, with the articles.

    These are the steps at which the timeline changed: `as_of` any of them replays the timeline
    as it was known right after those articles arrived.
    """
    con = connect(path)
    if con is None:
        return []
    try:
        rows = con.execute(
            "SELECT known_at, list({'title': title, 'outlet': source, 'url': url, "
            "'status': status} ORDER BY version_id) FROM articles GROUP BY known_at "
            "ORDER BY known_at").fetchall()
    finally:
        con.close()
    return [{"known_at": r[0].isoformat(), "articles": list(r[1])} for r in rows]
