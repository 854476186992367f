"""The timeline as a fold: (state, analysed article) -> (state, changes).

Statuses (current / superseded / duplicate) and events are recomputed from the set of recorded
article versions, then diffed against what was already published; the diff is the changelog.
Because the recomputation depends only on the set, the same articles in any order end in the same
timeline, and a redelivered article (already recorded) changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from processors.dedupe import choose_original, estimate_jaccard, lsh_bands
from processors.resolve import MentionRef, resolve_events
from schemas.articles import ArticleAnalysed
from schemas.timeline import (
    ArticleStatus,
    ArticleStatusChanged,
    ArticleVersionRecorded,
    Change,
    EventCreated,
    EventDissolved,
    EventRevised,
    EventsMerged,
    EventState,
    MentionAttached,
    MentionRecorded,
    MentionRetracted,
)

NEAR_DUPLICATE_JACCARD = 0.8


@dataclass(frozen=True, slots=True)
class Status:
    """Where one article version stands."""

    status: ArticleStatus = "current"
    superseded_by: str | None = None
    duplicate_of: str | None = None


@dataclass
class TimelineState:
    """Everything the resolver knows; `versions`, `statuses` and `events` are persisted."""

    versions: dict[str, ArticleAnalysed] = field(default_factory=dict)
    statuses: dict[str, Status] = field(default_factory=dict)
    events: dict[str, EventState] = field(default_factory=dict)
    bands: dict[str, set[str]] = field(default_factory=dict)  # derived: LSH band -> versions

    def index(self, art: ArticleAnalysed) -> None:
        """Add a version to the derived near-duplicate index."""
        for band in lsh_bands(tuple(art.signature)):
            self.bands.setdefault(band, set()).add(art.version_id)


@dataclass
class Transition:
    """What one article changed: the changes to publish and the state keys to persist."""

    changes: list[Change] = field(default_factory=list)
    statuses: dict[str, Status] = field(default_factory=dict)
    events: dict[str, EventState | None] = field(default_factory=dict)


def _version_order(art: ArticleAnalysed) -> tuple[Any, str]:
    return (art.updated_at or art.published_at, art.version_id)


def compute_statuses(state: TimelineState) -> dict[str, Status]:
    """Newest version of each URL is current; current copies point at the earliest original."""
    newest: dict[str, ArticleAnalysed] = {}
    for art in state.versions.values():
        best = newest.get(art.canonical_url)
        if best is None or _version_order(art) > _version_order(best):
            newest[art.canonical_url] = art
    current = {a.version_id for a in newest.values()}
    parent = {vid: vid for vid in current}

    def find(v: str) -> str:
        while parent[v] != v:
            v = parent[v]
        return v

    for vid in sorted(current):
        art = state.versions[vid]
        sig = tuple(art.signature)
        candidates = {o for band in lsh_bands(sig) for o in state.bands.get(band, ())}
        for other in sorted(candidates & current):
            if other == vid or find(other) == find(vid):
                continue
            o = state.versions[other]
            if o.content_hash == art.content_hash or \
                    estimate_jaccard(sig, tuple(o.signature)) >= NEAR_DUPLICATE_JACCARD:
                a, b = sorted((find(vid), find(other)))
                parent[b] = a
    groups: dict[str, list[str]] = {}
    for vid in current:
        groups.setdefault(find(vid), []).append(vid)
    out: dict[str, Status] = {}
    for members in groups.values():
        original = choose_original([(state.versions[v].published_at, v) for v in members])
        for vid in members:
            out[vid] = Status() if vid == original else Status("duplicate", duplicate_of=original)
    for art in state.versions.values():
        if art.version_id not in current:
            out[art.version_id] = Status("superseded",
                                         superseded_by=newest[art.canonical_url].version_id)
    return out


def _mention_refs(state: TimelineState, statuses: dict[str, Status]) -> list[MentionRef]:
    return [
        MentionRef(m, art.version_id, art.canonical_url, art.language, art.published_at)
        for art in state.versions.values() if statuses[art.version_id].status == "current"
        for m in art.mentions
    ]


def diff_events(old: dict[str, EventState], new: dict[str, EventState],
                base: dict[str, Any]) -> list[Change]:
    """Changes that turn the `old` events into the `new` ones."""
    changes: list[Change] = []
    owner = {m: eid for eid, ev in new.items() for m in ev.mention_ids}
    absorbed: dict[str, list[str]] = {}
    for eid in sorted(set(old) - set(new)):
        targets = sorted({owner[m] for m in old[eid].mention_ids if m in owner})
        if targets:
            absorbed.setdefault(targets[0], []).append(eid)
    for eid in sorted(new):
        ev = new[eid]
        if eid not in old:
            changes.append(EventCreated(**base, event_id=eid, event=ev))
        if absorbed.get(eid):
            changes.append(EventsMerged(**base, event_id=eid, event=ev, merged_ids=absorbed[eid]))
        if eid in old and old[eid] != ev:
            before, after = set(old[eid].mention_ids), set(ev.mention_ids)
            moved_in = {m for a in absorbed.get(eid, []) for m in old[a].mention_ids}
            for m in sorted(after - before - moved_in):
                changes.append(MentionAttached(**base, event_id=eid, event=ev, mention_id=m))
            for m in sorted(before - after):
                changes.append(MentionRetracted(**base, event_id=eid, event=ev, mention_id=m))
            if before == after:
                changes.append(EventRevised(**base, event_id=eid, event=ev))
    for eid in sorted(set(old) - set(new)):
        changes.append(EventDissolved(**base, event_id=eid, event=None))
    return changes


def apply_article(state: TimelineState, art: ArticleAnalysed) -> Transition:
    """Record one analysed version and return the changes it causes (none if already known)."""
    if art.version_id in state.versions:
        return Transition()
    base: dict[str, Any] = {"known_at": art.submitted_at, "cause": art.version_id}
    state.versions[art.version_id] = art
    state.index(art)
    statuses = compute_statuses(state)
    events = resolve_events(_mention_refs(state, statuses))
    t = Transition()
    t.changes.extend(MentionRecorded(**base, version_id=art.version_id,
                                     article_key=art.article_key, mention=m)
                     for m in art.mentions)
    for vid in sorted(statuses):
        if vid != art.version_id and statuses[vid] != state.statuses.get(vid):
            s = statuses[vid]
            t.changes.append(ArticleStatusChanged(**base, version_id=vid, status=s.status,
                                                  superseded_by=s.superseded_by,
                                                  duplicate_of=s.duplicate_of))
    t.statuses = {v: s for v, s in statuses.items() if s != state.statuses.get(v)}
    t.changes.extend(diff_events(state.events, events, base))
    t.events = {eid: ev for eid, ev in events.items() if state.events.get(eid) != ev}
    t.events.update({eid: None for eid in state.events if eid not in events})
    own = statuses[art.version_id]
    t.changes.append(ArticleVersionRecorded(
        **base, article_key=art.article_key, version_id=art.version_id,
        canonical_url=art.canonical_url, url=art.url, title=art.title, source=art.source,
        language=art.language, published_at=art.published_at, updated_at=art.updated_at,
        content_hash=art.content_hash, mention_count=len(art.mentions), status=own.status,
        superseded_by=own.superseded_by, duplicate_of=own.duplicate_of))
    state.statuses = statuses
    state.events = events
    return t
