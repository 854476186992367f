"""A deliberately simple reference for the projections, independent of processors/store.

It reads changelog envelopes as plain JSON (no pydantic models, no `fold`) and keeps, per event,
its last state (dropped when a change says it is gone) and, per article version, its last
status. Tests compare the sink's tables with it, so a projection bug shows even where `replay`
(which reuses the sink's fold) would agree with the sink.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

ARTICLE_TYPES = ("org.newsline.article.version-recorded", "org.newsline.article.status-changed")


def reference_projection(envelopes: list[dict[str, Any]]) -> tuple[dict[str, tuple], dict[str, tuple]]:
    """({event_id: (start, end, sorted sources, mention count)}, {version_id: (status, by, of)})."""
    events: dict[str, tuple] = {}
    articles: dict[str, tuple] = {}
    seen: set[str] = set()
    for env in envelopes:
        if env["id"] in seen:  # a change re-emitted after a crash
            continue
        seen.add(env["id"])
        data = env["data"]
        if env["type"] in ARTICLE_TYPES:
            articles[data["version_id"]] = (data["status"], data.get("superseded_by"),
                                            data.get("duplicate_of"))
        elif env["type"].startswith("org.newsline.event."):
            event = data["event"]
            if event is None:
                events.pop(data["event_id"], None)
            else:
                events[data["event_id"]] = (event["start"], event["end"], sorted(event["sources"]),
                                            len(event["mention_ids"]))
    return events, articles


def projected(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, tuple], dict[str, tuple]]:
    """The same two mappings, read from the sink's tables."""
    events = {r[0]: (r[1].isoformat(), r[2].isoformat(), sorted(r[3]), r[4]) for r in con.execute(
        "SELECT event_id, start_date, end_date, sources, mention_count FROM events").fetchall()}
    articles = {r[0]: (r[1], r[2], r[3]) for r in con.execute(
        "SELECT version_id, status, superseded_by, duplicate_of FROM articles").fetchall()}
    return events, articles


def envelopes_of(records: list[tuple[int, bytes]]) -> list[dict[str, Any]]:
    """Changelog records (offset, value bytes) as JSON envelopes, in offset order."""
    return [json.loads(value) for _, value in sorted(records, key=lambda r: r[0])]
