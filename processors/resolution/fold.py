"""The timeline as a fold: (state, analysed article) -> (state, changes).

Statuses (current / superseded / duplicate) and events are recomputed for the part of the state an
article touches, then diffed against what was already published; the diff is the changelog. Both
recomputations are functions of the *set* of recorded versions (`coreference` explains why
recomputing only the touched groups agrees with recomputing everything), so the same articles in
any order end in the same timeline, and a redelivered article (already recorded) changes nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from processors.resolution import bounded
from processors.resolution.bounded import COMPONENT_LIMIT, Summary, maintain
from processors.resolution.copies import Copies, Status
from processors.resolution.coreference import MentionRef, resolve_events
from processors.resolution.interval_index import (
    HOT_BLOCKS,
    HOT_MENTIONS,
    ActiveMentions,
    Builder,
    Spill,
    page_of,
    stored_buckets,
)
from schemas.articles import ArticleAnalysed
from schemas.codec import envelope
from schemas.envelope import Envelope
from schemas.timeline import (
    ArticleStatusChanged,
    ArticleVersionRecorded,
    Change,
    EventChange,
    EventCreated,
    EventDissolved,
    EventFacts,
    EventMembers,
    EventRevised,
    EventsMerged,
    EventState,
    MentionAttached,
    MentionRecorded,
    MentionRetracted,
)

HOT_SUMMARIES = 2_000  # event summaries kept at most (bounded mode; rebuilt when needed)


class Summaries(OrderedDict[str, Summary]):
    """Event summaries, the least recently used dropped beyond `cap`: a summary is derived
    (`bounded.Working.load` rebuilds a missing one from the event's active mentions)."""

    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap = cap

    def get(self, key: str, default: Summary | None = None) -> Summary | None:  # type: ignore[override]
        if key in self:
            self.move_to_end(key)
        return super().get(key, default)

    def __setitem__(self, key: str, value: Summary) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.cap:
            self.popitem(last=False)

    def update(self, other: Any = (), /, **kw: Summary) -> None:  # type: ignore[override]
        for key, value in dict(other, **kw).items():
            self[key] = value


@dataclass
class TimelineState(Copies):
    """What the resolver knows: versions and copies (`Copies`), and events. `versions`,
    `statuses` and `events` are persisted; the rest is derived."""

    events: dict[str, EventState] = field(default_factory=dict)
    active: ActiveMentions = field(default_factory=ActiveMentions)
    owner: dict[str, str] = field(default_factory=dict)  # mention id -> event id
    summaries: dict[str, Summary] = field(default_factory=dict)  # event id -> (bounded path)

    def bound(self, spill: Spill, hot_mentions: int = HOT_MENTIONS,
              hot_summaries: int = HOT_SUMMARIES, builder: Builder | None = None,
              hot_blocks: int = HOT_BLOCKS) -> TimelineState:
        """Keep only the hot part of the derived indexes in memory (before any article):
        the active-mention index's blocks in `spill`, the heads of the recently used ones
        and the recently used mentions in memory, and at most `hot_summaries` event
        summaries. The events are the same as unbounded. `builder`: the index is not
        rebuilt, a page is made from it when first touched."""
        self.active = ActiveMentions(spill=spill, loader=self.active_ref,
                                     hot_mentions=hot_mentions, hot_blocks=hot_blocks,
                                     builder=builder)
        self.summaries = Summaries(hot_summaries)
        return self

    def active_ref(self, mention_id: str) -> MentionRef | None:
        """An active mention read from its version (the index's page may be cold)."""
        vid = mention_id.rsplit(":", 1)[0]
        st = self.statuses.get(vid)
        if st is None or st.status != "current" or vid not in self.versions:
            return None
        art = self.versions[vid]
        for m in art.mentions:
            if m.mention_id == mention_id:
                return MentionRef(m, vid, art.canonical_url, art.language, art.published_at)
        return None

    def rebuild(self, settle: Callable[[], None] = lambda: None, owner: bool = True,
                newest: datetime | None = None) -> None:
        """Derive every index from the persisted parts (after a restart). `settle`: called
        every 256 versions (the resolver's stored parts drop what the rebuild read);
        `owner=False`: the mention -> event map is persisted too (the resolver's store derives
        it); `newest`: the newest publication among the versions, if the caller knows it
        (then the near-duplicate index only takes the versions within its horizon, whatever
        the order they come in).

        The versions are read once, in any order (`versions` may be on disk, in id order,
        unrelated to dates). While the active mentions fit in the cap, a current version's
        mentions are added as it is read. Bounded (`bound`), once the cap is reached, the
        other current versions are only noted with the first page their mentions reach, then
        read again in page order and added: a page is then complete once the rebuild has gone
        past it, and is written out once (`trim_below`), never read back; added in the
        versions' order instead, pages went out and came back all along (py-spy of a restart
        at 25,000 dense articles, 114,828 active mentions: most of its 721 s)."""
        if newest is not None and (self.newest is None or newest > self.newest):
            self.newest = newest
        active = self.active
        bounded = active.spill is not None
        later: list[tuple[int, str]] = []  # (first page, version id), past the cap
        for i, art in enumerate(self.versions.values()):
            self.index(art)
            if art.mentions and \
                    self.statuses.get(art.version_id, Status()).status == "current":
                refs = _refs(art)
                if bounded and (later or len(active.resident) + len(refs) > active.hot_mentions):
                    later.append((min(page_of(b) for r in refs for b in stored_buckets(r)),
                                  art.version_id))
                else:
                    active.add(refs)
            if i % 256 == 255:
                settle()
        later.sort()
        for i, (page, vid) in enumerate(later):
            active.add(_refs(self.versions[vid]))
            active.trim_below(page)
            if i % 256 == 255:
                settle()
        active.order_pages()
        active.trim()
        self.rebuild_copies(index=False)
        settle()
        if owner:
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


def diff_events(old: dict[str, EventState], new: dict[str, EventState],
                base: dict[str, Any]) -> list[Change]:
    """Changes that turn the `old` events into the `new` ones: each event's facts, and what
    entered and left its lists (a new event's lists whole), so that folding an event's changes
    in order turns its old lists into its new ones."""
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
        facts = EventFacts.of(ev)
        mine: list[Change] = []
        if eid not in old:
            mine.append(EventCreated(**base, event_id=eid, event=facts, members=EventMembers(
                mention_ids=ev.mention_ids, sources=ev.sources)))
        before = set(old[eid].mention_ids) if eid in old else set()
        after = set(ev.mention_ids) if eid in old else set()
        moved_in = {m for a in absorbed.get(eid, []) for m in old[a].mention_ids}
        if absorbed.get(eid):
            mine.append(EventsMerged(**base, event_id=eid, event=facts, merged_ids=absorbed[eid],
                                     mention_ids=sorted((after - before) & moved_in)))
        if eid in old and old[eid] != ev:
            for m in sorted(after - before - moved_in):
                mine.append(MentionAttached(**base, event_id=eid, event=facts, mention_id=m))
            for m in sorted(before - after):
                mine.append(MentionRetracted(**base, event_id=eid, event=facts, mention_id=m))
            if before == after:
                mine.append(EventRevised(**base, event_id=eid, event=facts))
        if eid in old and mine:
            had, has = set(old[eid].sources), set(ev.sources)
            if had != has:  # the article's source delta, once, on its first change
                mine[0] = mine[0].model_copy(update={"sources_added": sorted(has - had),
                                                     "sources_removed": sorted(had - has)})
        changes.extend(mine)
    for eid in sorted(set(old) - set(new)):
        changes.append(EventDissolved(**base, event_id=eid, event=None))
    return changes


def _mention_moves(state: TimelineState, changed: dict[str, tuple[Status | None, Status]]
                   ) -> tuple[list[MentionRef], list[MentionRef]]:
    """Mentions of the versions that became current, and of those that stopped being current."""
    added: list[MentionRef] = []
    removed: list[MentionRef] = []
    for vid, (before, st) in changed.items():
        was = before is not None and before.status == "current"
        if st.status == "current" and not was:
            added.extend(_refs(state.versions[vid]))
        elif was and st.status != "current":
            removed.extend(_refs(state.versions[vid]))
    return added, removed


def _resolve_region(state: TimelineState, added: list[MentionRef], removed: list[MentionRef],
                    base: dict[str, Any]) -> tuple[list[Change], dict[str, EventState | None]]:
    state.active.remove(removed)
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
        new = resolve_events([state.active.refs[m] for m in region], state.active.scores)
        if bounded.TRACE is not None:
            bounded.TRACE("exact", old, new)
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
    changed = state.record(art)
    statuses = {v: after for v, (_, after) in changed.items()}
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
    added, removed = _mention_moves(state, changed)
    event_changes, t.events = _resolve_region(state, added, removed, base)
    t.changes.extend(event_changes)
    own = state.statuses[art.version_id]
    t.changes.append(ArticleVersionRecorded(
        **base, article_key=art.article_key, version_id=art.version_id,
        canonical_url=art.canonical_url, url=art.url, title=art.title, source=art.source,
        language=art.language, published_at=art.published_at, updated_at=art.updated_at,
        content_hash=art.content_hash, mention_count=len(art.mentions), status=own.status,
        superseded_by=own.superseded_by, duplicate_of=own.duplicate_of))
    state.active.trim()
    return t


def fold_all(articles: Iterable[ArticleAnalysed]) -> TimelineState:
    """The state after every article, in the order given: the full recomputation that any
    incremental run must equal."""
    state = TimelineState()
    for art in articles:
        apply_article(state, art)
    return state


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
