"""A deliberately simple reference for the projections, independent of processors/store.

It reads changelog envelopes as plain JSON (no pydantic models, no `fold`) and keeps, per event,
its last facts and the sets of its mentions and sources, folded from the changes' deltas (whole
lists replace them: an event change of version 1, whose state has its lists, or one with
`members`), dropped when a change says it is gone; and per article version, its last status.
Tests compare the sink's tables with it, so a projection bug shows even where `replay` (which
reuses the sink's fold) would agree with the sink.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

ARTICLE_TYPES = ("org.newsline.article.version-recorded", "org.newsline.article.status-changed")


def reference_projection(envelopes: list[dict[str, Any]]) -> tuple[dict[str, tuple], dict[str, tuple]]:
    """({event_id: (start, end, sorted sources, mention count)}, {version_id: (status, by, of)})."""
    events, articles = _fold(envelopes)
    return {eid: ev[:4] for eid, ev in events.items()}, articles


def reference_lists(envelopes: list[dict[str, Any]]) -> dict[str, tuple[list[str], list[str]]]:
    """{event_id: (sorted mention ids, sorted sources)} of the events alive after `envelopes`."""
    return {eid: (ev[4], ev[2]) for eid, ev in _fold(envelopes)[0].items()}


def _fold(envelopes: list[dict[str, Any]]) -> tuple[dict[str, tuple], dict[str, tuple]]:
    events: dict[str, tuple] = {}
    articles: dict[str, tuple] = {}
    lists: dict[str, tuple[set[str], set[str]]] = {}
    last: dict[str, dict[str, Any]] = {}
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
            eid, event = data["event_id"], data["event"]
            last[eid] = event
            if event is None:
                lists.pop(eid, None)
                events.pop(eid, None)
                continue
            whole = data.get("members") or (event if "mention_ids" in event else None)
            if whole is not None:
                lists[eid] = (set(whole["mention_ids"]), set(whole["sources"]))
            mentions, sources = lists[eid]
            entered = [data["mention_id"]] if env["type"].endswith("mention-attached") else \
                data.get("mention_ids", []) if env["type"].endswith(".merged") else []
            mentions.update(entered)
            if env["type"].endswith("mention-retracted"):
                mentions.discard(data["mention_id"])
            sources.update(data.get("sources_added", []))
            sources.difference_update(data.get("sources_removed", []))
    for eid, (mentions, sources) in lists.items():
        events[eid] = (last[eid]["start"], last[eid]["end"], sorted(sources), len(mentions),
                       sorted(mentions))
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
