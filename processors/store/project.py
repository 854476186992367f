"""Fold timeline changes into projection rows: pure, so the sink and `replay` share it.

Event changes are folded per event into one `EventDelta` per batch: the last facts, and what
entered and left the event's mentions and sources (or its whole lists, after a change that
carries them), so the sink rewrites a hot event's rows once per batch, from the deltas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schemas.envelope import Envelope
from schemas.timeline import (
    ArticleStatusChanged,
    ArticleVersionRecorded,
    EventChange,
    EventFacts,
    EventsMerged,
    EventState,
    MentionAttached,
    MentionRecorded,
    MentionRetracted,
)


@dataclass
class EventDelta:
    """What a batch did to one event: its last facts (None: it no longer exists) and the
    changes of its lists. `whole`: the lists were replaced (a change carried them whole, or
    the event was dissolved), so `mentions_added` / `sources_added` are the whole lists and
    nothing the projection held for the event before is kept."""

    facts: EventFacts | None
    whole: bool = False
    mentions_added: set[str] = field(default_factory=set)
    mentions_removed: set[str] = field(default_factory=set)
    sources_added: set[str] = field(default_factory=set)
    sources_removed: set[str] = field(default_factory=set)

    def apply(self, change: EventChange) -> None:
        """Fold the next change of this event (in log order)."""
        self.facts = change.event
        if change.event is None or change.members is not None:
            self.whole = True
            self.mentions_removed.clear()
            self.sources_removed.clear()
            members = change.members
            self.mentions_added = set(members.mention_ids) if members and change.event else set()
            self.sources_added = set(members.sources) if members and change.event else set()
        mentions: tuple[list[str], list[str]] = ([], [])
        if isinstance(change, MentionAttached):
            mentions = ([change.mention_id], [])
        elif isinstance(change, MentionRetracted):
            mentions = ([], [change.mention_id])
        elif isinstance(change, EventsMerged):
            mentions = (change.mention_ids, [])
        _move(self.mentions_added, self.mentions_removed, *mentions)
        _move(self.sources_added, self.sources_removed, change.sources_added,
              change.sources_removed)


def _move(added: set[str], removed: set[str], entered: list[str], left: list[str]) -> None:
    added.difference_update(left)
    removed.update(left)
    removed.difference_update(entered)
    added.update(entered)


@dataclass
class ProjectionBatch:
    """Rows to write for one batch of changes, already folded (last change wins)."""

    changelog: list[dict[str, Any]] = field(default_factory=list)
    articles: dict[str, dict[str, Any]] = field(default_factory=dict)
    statuses: dict[str, dict[str, Any]] = field(default_factory=dict)
    mentions: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, EventDelta] = field(default_factory=dict)
    next_offset: int = 0
    # The changes folded, in log order (`without` folds them again minus some).
    changes: list[tuple[int, Envelope[Any]]] = field(default_factory=list)

    def without(self, change_ids: set[str]) -> ProjectionBatch:
        """The same batch folded again without these changes (already stored: a delta must
        not be applied twice), with the same next offset."""
        out = fold([c for c in self.changes if c[1].id not in change_ids])
        out.next_offset = max(out.next_offset, self.next_offset)
        return out


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def event_row(state: EventState | EventFacts, sources: list[str] | None = None) -> dict[str, Any]:
    """An `events` row: of a whole state, or of facts with the event's `sources`."""
    if isinstance(state, EventState):
        facts, sources = EventFacts.of(state), state.sources
    else:
        facts = state
    return {
        "event_id": facts.event_id, "start_date": facts.start.isoformat(),
        "end_date": facts.end.isoformat(), "granularity": facts.granularity,
        "summary": facts.summary, "entities": facts.entities,
        "mention_count": facts.mention_count, "source_count": facts.source_count,
        "sources": sources, "languages": facts.languages,
        "first_reported_at": _iso(facts.first_reported_at),
        "last_reported_at": _iso(facts.last_reported_at), "anchor": facts.anchor,
    }


def event_delta_row(eid: str, delta: EventDelta) -> dict[str, Any]:
    """A staged row of an event a batch changed (`overlay.apply_event_deltas`): its `events` columns
    without `sources` (None if it no longer exists), and its source deltas."""
    row = event_row(delta.facts) if delta.facts is not None else {"event_id": eid}
    row.pop("sources", None)
    return {**row, "alive": delta.facts is not None, "whole": delta.whole,
            "sources_added": sorted(delta.sources_added),
            "sources_removed": sorted(delta.sources_removed)}


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
        out.changes.append((offset, env))
        # `data` stays the model: it is dumped to JSON when the row is staged
        # (`overlay.stage`), and a replica's catch-up copies the writer's rows instead.
        out.changelog.append({
            "log_offset": offset, "change_id": env.id, "type": env.type,
            "known_at": _iso(data.known_at), "cause": data.cause, "subject": env.subject,
            "data": data,
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
                "participants": m.participants,
                "same_event_words": [r.model_dump() for r in m.references],
            }
        elif isinstance(data, EventChange):
            delta = out.events.get(data.event_id)
            if delta is None:
                delta = out.events[data.event_id] = EventDelta(data.event)
            delta.apply(data)
    return out
