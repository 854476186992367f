"""The timeline as a fold: (state, analysed article) -> (state, changes).

Statuses (current / superseded / duplicate) and events are recomputed for the part of the state an
article touches, then diffed against what was already published; the diff is the changelog. Both
recomputations are functions of the *set* of recorded versions (`processors.resolve` explains why
recomputing only the touched groups agrees with recomputing everything), so the same articles in
any order end in the same timeline, and a redelivered article (already recorded) changes nothing.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from processors.dedupe import DEFAULT_THRESHOLD, choose_original, estimate_jaccard, lsh_bands
from processors.resolve import MentionRef, resolve_events
from processors.resolve_bounded import COMPONENT_LIMIT, Summary, maintain
from processors.timeline_index import ActiveMentions
from schemas.articles import ArticleAnalysed
from schemas.codec import envelope
from schemas.envelope import Envelope
from schemas.timeline import (
    ArticleStatus,
    ArticleStatusChanged,
    ArticleVersionRecorded,
    Change,
    EventChange,
    EventCreated,
    EventDissolved,
    EventRevised,
    EventsMerged,
    EventState,
    MentionAttached,
    MentionRecorded,
    MentionRetracted,
)

# Syndicated copies of a dispatch appear within days of it; pages that share text further apart
# (an anniversary piece quoting an old story) are not copies of each other.
SYNDICATION_WINDOW = timedelta(days=7)
# How far back (from the newest publication seen) the near-duplicate index reaches: late
# arrivals within this horizon still find their originals, older ones are not looked up.
COPY_INDEX_HORIZON = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class Status:
    """Where one article version stands."""

    status: ArticleStatus = "current"
    superseded_by: str | None = None
    duplicate_of: str | None = None


@dataclass
class TimelineState:
    """What the resolver knows. `versions`, `statuses`, `events` are persisted; the rest derived."""

    versions: dict[str, ArticleAnalysed] = field(default_factory=dict)
    statuses: dict[str, Status] = field(default_factory=dict)
    events: dict[str, EventState] = field(default_factory=dict)
    bands: dict[str, set[str]] = field(default_factory=dict)
    banded: list[tuple[datetime, str]] = field(default_factory=list)  # heap of (published, id)
    newest: datetime | None = None
    by_url: dict[str, set[str]] = field(default_factory=dict)
    copies: dict[str, set[str]] = field(default_factory=dict)  # original -> its copies
    active: ActiveMentions = field(default_factory=ActiveMentions)
    owner: dict[str, str] = field(default_factory=dict)  # mention id -> event id
    summaries: dict[str, Summary] = field(default_factory=dict)  # event id -> (bounded path)

    def index(self, art: ArticleAnalysed) -> None:
        """Add a version to the derived near-duplicate and URL indexes."""
        self.by_url.setdefault(art.canonical_url, set()).add(art.version_id)
        if self.newest is None or art.published_at > self.newest:
            self.newest = art.published_at
            self.evict_copies_index()
        if art.published_at >= self.newest - COPY_INDEX_HORIZON:
            for band in lsh_bands(art.signature):
                self.bands.setdefault(band, set()).add(art.version_id)
            heapq.heappush(self.banded, (art.published_at, art.version_id))

    def evict_copies_index(self) -> None:
        """Keep only versions published within `COPY_INDEX_HORIZON` of the newest one in the
        near-duplicate index, so it stays bounded however long the stream runs. An article that
        arrives later than that after its copies is not matched with them."""
        if self.newest is None:
            return
        horizon = self.newest - COPY_INDEX_HORIZON
        while self.banded and self.banded[0][0] < horizon:
            _, vid = heapq.heappop(self.banded)
            for band in lsh_bands(self.versions[vid].signature):
                members = self.bands.get(band)
                if members is not None:
                    members.discard(vid)
                    if not members:
                        del self.bands[band]

    def rebuild(self) -> None:
        """Derive every index from the persisted parts (after a restart)."""
        for art in self.versions.values():
            self.index(art)
            if self.statuses.get(art.version_id, Status()).status == "current":
                self.active.add(_refs(art))
        for vid, st in self.statuses.items():
            if st.duplicate_of:
                self.copies.setdefault(st.duplicate_of, set()).add(vid)
        self.owner = {m: eid for eid, ev in self.events.items() for m in ev.mention_ids}


@dataclass
class Transition:
    """What one article changed: the changes to publish and the state keys to persist."""

    changes: list[Change] = field(default_factory=list)
    statuses: dict[str, Status] = field(default_factory=dict)
    events: dict[str, EventState | None] = field(default_factory=dict)


def _refs(art: ArticleAnalysed) -> list[MentionRef]:
    return [MentionRef(m, art.version_id, art.canonical_url, art.language, art.published_at)
            for m in art.mentions]


def _version_order(art: ArticleAnalysed) -> tuple[Any, str]:
    return (art.updated_at or art.published_at, art.version_id)


def _group(state: TimelineState, vid: str) -> set[str]:
    """The version, its original and the original's other copies."""
    st = state.statuses.get(vid)
    original = st.duplicate_of if st and st.duplicate_of else vid
    return {original, vid} | state.copies.get(original, set())


def is_copy_pair(a: ArticleAnalysed, b: ArticleAnalysed) -> bool:
    """Same text (hash or MinHash estimate), published within the syndication window."""
    if abs(a.published_at - b.published_at) > SYNDICATION_WINDOW:
        return False
    return a.content_hash == b.content_hash or \
        estimate_jaccard(a.signature, b.signature) >= DEFAULT_THRESHOLD


def _near_copies(state: TimelineState, vid: str, among: Callable[[str], bool]) -> set[str]:
    art = state.versions[vid]
    found = {o for band in lsh_bands(art.signature) for o in state.bands.get(band, ())}
    return {o for o in found if o != vid and among(o) and is_copy_pair(art, state.versions[o])}


def recompute_statuses(state: TimelineState, art: ArticleAnalysed) -> dict[str, Status]:
    """Statuses of every version whose status can depend on `art` (newest of a URL is current;
    current copies point at the earliest-published original)."""
    same_url = state.by_url[art.canonical_url]
    newest = max(same_url, key=lambda v: _version_order(state.versions[v]))
    out = {v: Status("superseded", superseded_by=newest) for v in same_url if v != newest}
    def current(v: str) -> bool:
        if v in same_url:
            return v == newest
        st = state.statuses.get(v)
        return st is not None and st.status != "superseded"

    touched = {newest} | _near_copies(state, newest, current)
    for v in list(touched) + [v for v in same_url if v in state.statuses]:
        touched |= _group(state, v)
    touched = {v for v in touched if current(v)}
    parent = {v: v for v in touched}

    def find(v: str) -> str:
        while parent[v] != v:
            v = parent[v]
        return v

    for v in sorted(touched):
        for o in sorted(_near_copies(state, v, touched.__contains__)):
            a, b = sorted((find(v), find(o)))
            parent[b] = a
    groups: dict[str, list[str]] = {}
    for v in touched:
        groups.setdefault(find(v), []).append(v)
    for members in groups.values():
        original = choose_original([(state.versions[v].published_at, v) for v in members])
        for v in members:
            out[v] = Status() if v == original else Status("duplicate", duplicate_of=original)
    return out


def diff_events(old: dict[str, EventState], new: dict[str, EventState],
                base: dict[str, Any]) -> list[Change]:
    """Changes that turn the `old` events into the `new` ones."""
    changes: list[Change] = []
    gone = set(old) - set(new)
    owner = {m: eid for eid, ev in new.items() for m in ev.mention_ids} if gone else {}
    absorbed: dict[str, list[str]] = {}
    for eid in sorted(gone):
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


def _update_statuses(state: TimelineState, statuses: dict[str, Status]) -> tuple[list, list]:
    """Apply status changes; return (mentions that became active, mention ids that left)."""
    added: list[MentionRef] = []
    removed: list[MentionRef] = []
    for vid, st in statuses.items():
        before = state.statuses.get(vid)
        if before and before.duplicate_of:
            state.copies.get(before.duplicate_of, set()).discard(vid)
        if st.duplicate_of:
            state.copies.setdefault(st.duplicate_of, set()).add(vid)
        was = before is not None and before.status == "current"
        if st.status == "current" and not was:
            added.extend(_refs(state.versions[vid]))
        elif was and st.status != "current":
            removed.extend(_refs(state.versions[vid]))
        state.statuses[vid] = st
    return added, removed


def _resolve_region(state: TimelineState, added: list[MentionRef], removed: list[MentionRef],
                    base: dict[str, Any]) -> tuple[list[Change], dict[str, EventState | None]]:
    state.active.remove(r.mention.mention_id for r in removed)
    state.active.add(added)
    # Seeds: the new mentions, and what is left of every event that lost a mention.
    gone = {r.mention.mention_id for r in removed}
    seeds = list(added)
    for eid in sorted({state.owner[m] for m in gone if m in state.owner}):
        seeds.extend(state.active.refs[m] for m in state.events[eid].mention_ids if m not in gone)
    region = state.active.component(seeds, limit=COMPONENT_LIMIT)
    if region is None:  # too dense to recluster at a bounded cost: maintain the events in place
        old, new = maintain(state.active, state.events, state.owner, state.summaries, added, gone)
    else:
        old_ids = {state.owner[m] for m in region | gone if m in state.owner}
        old = {eid: state.events[eid] for eid in old_ids}
        new = resolve_events([state.active.refs[m] for m in region])
        for eid in old:
            state.summaries.pop(eid, None)
    for eid, ev in old.items():
        left = set(ev.mention_ids).difference(new[eid].mention_ids) if eid in new else \
            ev.mention_ids
        for m in left:
            state.owner.pop(m, None)
        del state.events[eid]
    for eid, ev in new.items():
        state.events[eid] = ev
        before = old.get(eid)
        if before is None:
            state.owner.update({m: eid for m in ev.mention_ids})
        elif before.mention_ids != ev.mention_ids:
            known = set(before.mention_ids)
            state.owner.update({m: eid for m in ev.mention_ids if m not in known})
    touched: dict[str, EventState | None] = {e: None for e in old if e not in new}
    touched.update({e: ev for e, ev in new.items() if old.get(e) != ev})
    return diff_events(old, new, base), touched


def apply_article(state: TimelineState, art: ArticleAnalysed) -> Transition:
    """Record one analysed version and return the changes it causes (none if already known)."""
    if art.version_id in state.versions:
        return Transition()
    base: dict[str, Any] = {"known_at": art.submitted_at, "cause": art.version_id}
    state.versions[art.version_id] = art
    state.index(art)
    statuses = {v: s for v, s in recompute_statuses(state, art).items()
                if s != state.statuses.get(v)}
    t = Transition(statuses=statuses)
    t.changes.extend(MentionRecorded(**base, version_id=art.version_id,
                                     article_key=art.article_key, mention=m)
                     for m in art.mentions)
    for vid in sorted(statuses):
        if vid != art.version_id:
            s = statuses[vid]
            t.changes.append(ArticleStatusChanged(**base, version_id=vid, status=s.status,
                                                  superseded_by=s.superseded_by,
                                                  duplicate_of=s.duplicate_of))
    added, removed = _update_statuses(state, statuses)
    event_changes, t.events = _resolve_region(state, added, removed, base)
    t.changes.extend(event_changes)
    own = state.statuses[art.version_id]
    t.changes.append(ArticleVersionRecorded(
        **base, article_key=art.article_key, version_id=art.version_id,
        canonical_url=art.canonical_url, url=art.url, title=art.title, source=art.source,
        language=art.language, published_at=art.published_at, updated_at=art.updated_at,
        content_hash=art.content_hash, mention_count=len(art.mentions), status=own.status,
        superseded_by=own.superseded_by, duplicate_of=own.duplicate_of))
    return t


def change_envelopes(changes: list[Change], version_id: str) -> list[Envelope[Any]]:
    """The changes an article caused, enveloped for the changelog topic (keyed by `subject`).

    Ids are `version_id:index`, so a redelivered article's changes carry the same ids.
    """
    out = []
    for i, change in enumerate(changes):
        subject = change.event_id if isinstance(change, EventChange) else \
            getattr(change, "version_id", version_id)
        out.append(envelope(change, source="newsline/resolve", subject=subject,
                            id=f"{version_id}:{i}", time=change.known_at))
    return out
