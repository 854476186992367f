"""Fold timeline changes into projection rows: pure, so the sink and `replay` share it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from schemas.envelope import Envelope
from schemas.timeline import (
    ArticleStatusChanged,
    ArticleVersionRecorded,
    EventChange,
    EventState,
    MentionRecorded,
)


@dataclass
class ProjectionBatch:
    """Rows to write for one batch of changes, already folded (last change wins)."""

    changelog: list[dict[str, Any]] = field(default_factory=list)
    articles: dict[str, dict[str, Any]] = field(default_factory=dict)
    statuses: dict[str, dict[str, Any]] = field(default_factory=dict)
    mentions: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, EventState | None] = field(default_factory=dict)
    next_offset: int = 0


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def event_row(state: EventState) -> dict[str, Any]:
    """An `events` row."""
    return {
        "event_id": state.event_id, "start_date": state.start.isoformat(),
        "end_date": state.end.isoformat(), "granularity": state.granularity,
        "summary": state.summary, "entities": state.entities,
        "mention_count": len(state.mention_ids), "source_count": len(state.sources),
        "sources": state.sources, "languages": state.languages,
        "first_reported_at": _iso(state.first_reported_at),
        "last_reported_at": _iso(state.last_reported_at), "anchor": state.anchor,
    }


def event_mention_rows(states: list[EventState]) -> Iterator[dict[str, Any]]:
    """The `event_mentions` rows of these events."""
    return ({"event_id": s.event_id, "mention_id": m} for s in states for m in s.mention_ids)


def fold(changes: list[tuple[int, Envelope[Any]]], batch: ProjectionBatch | None = None) -> ProjectionBatch:
    """Fold changes (with their log offsets, in log order) into a projection batch."""
    out = batch or ProjectionBatch()
    seen = {row["change_id"] for row in out.changelog}
    for offset, env in changes:
        data = env.data
        out.next_offset = max(out.next_offset, offset + 1)
        if env.id in seen:  # re-emitted after a crash: same id, same content
            continue
        seen.add(env.id)
        out.changelog.append({
            "log_offset": offset, "change_id": env.id, "type": env.type,
            "known_at": _iso(data.known_at), "cause": data.cause, "subject": env.subject,
            "data": data.model_dump(mode="json"),
        })
        if isinstance(data, ArticleVersionRecorded):
            row = data.model_dump(mode="json", exclude={"cause"})
            out.articles[data.version_id] = row
            out.statuses.pop(data.version_id, None)
        elif isinstance(data, ArticleStatusChanged):
            out.statuses[data.version_id] = {
                "version_id": data.version_id, "status": data.status,
                "superseded_by": data.superseded_by, "duplicate_of": data.duplicate_of,
            }
            if data.version_id in out.articles:
                out.articles[data.version_id].update(out.statuses.pop(data.version_id))
        elif isinstance(data, MentionRecorded):
            m = data.mention
            out.mentions[m.mention_id] = {
                "mention_id": m.mention_id, "version_id": data.version_id,
                "article_key": data.article_key, "sentence": m.sentence,
                "sentence_start": m.sentence_start, "expression": m.expression,
                "start_char": m.start_char, "end_char": m.end_char,
                "start_date": m.start.isoformat(), "end_date": m.end.isoformat(),
                "granularity": m.granularity, "value": m.value, "entities": m.entities,
                "keywords": m.keywords, "summary": m.summary, "known_at": _iso(data.known_at),
                "predicate": m.predicate, "predicate_kind": m.predicate_kind, "anchor": m.anchor,
            }
        elif isinstance(data, EventChange):
            out.events[data.event_id] = data.event
    return out
