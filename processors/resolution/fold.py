"""The timeline as a fold: (state, analysed article) -> (state, changes).

Statuses (current / superseded / duplicate) and events are recomputed for the part of the state an
article touches, then diffed against what was already published; the diff is the changelog. Both
recomputations are functions of the *set* of recorded versions (`coreference` explains why
recomputing only the touched groups agrees with recomputing everything), so the same articles in
any order end in the same timeline, and a redelivered article (already recorded) changes nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from processors.resolution import bounded, settle
from processors.resolution.bounded import COMPONENT_LIMIT, EventUpdate, maintain
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
from processors.resolution.summary import Summary
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
    (`TimelineState.stored_summary` rebuilds a missing one from the event's members)."""

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
    # event id -> its compact summary (`processors.resolution.summary`); a missing one is
    # derived from the event's members (`stored_summary`)
    summaries: MutableMapping[str, Summary] = field(default_factory=dict)
    # A stored event's mention ids in order (earliest-reported first, or last), read lazily:
    # the resolver's store answers from its `members` rows; None: sorted from `events`.
    members: Callable[[str, bool], Iterator[str]] | None = None
    # the mentions the article being folded removes (no longer in `active`; their events
    # are stored with them)
    leaving: dict[str, MentionRef] = field(default_factory=dict)
    derived: int = 0  # summaries derived from their members (for the benches)
    repairs: int = 0  # summaries whose named member left (`Summary.repair`)
    # day -> the largest size it was settled at (`settle.days_to_settle`); persisted: the
    # resolver's store keeps it with each article's record, so a restart skips the same sizes
    settled: dict[int, int] = field(default_factory=dict)

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

    def event_members(self, event_id: str, earliest_first: bool) -> Iterator[str]:
        """`bounded.Events.event_members`."""
        if self.members is not None:
            return self.members(event_id, earliest_first)
        def order_key(mid: str) -> tuple[datetime, str, int]:
            art = self.versions[mid.rsplit(":", 1)[0]]
            at = next(m.start_char for m in art.mentions if m.mention_id == mid)
            return (art.published_at, art.version_id, at)

        return iter(sorted(self.events[event_id].mention_ids, key=order_key,
                           reverse=not earliest_first))

    def stored_summary(self, event_id: str) -> Summary:
        """`bounded.Events.stored_summary`: kept, or derived once from the event's members
        (a store written before summaries were kept, an event of the exact path)."""
        s = self.summaries.get(event_id)
        if s is None:
            refs, leaving = self.active.refs, self.leaving
            s = Summary.of(leaving.get(m) or refs[m]
                           for m in self.event_members(event_id, True))
            self.summaries[event_id] = s
            self.derived += 1
        return s

    def sentence_mates(self, r: MentionRef) -> list[str]:
        """`bounded.Events.sentence_mates`."""
        own, at = r.mention.mention_id, r.mention.sentence_start
        sentences = getattr(self.versions, "sentences", None)  # the store's: no parse
        if sentences is not None:
            return [m for m, s in sentences(r.version_id) if s == at and m != own]
        return [m.mention_id for m in self.versions[r.version_id].mentions
                if m.sentence_start == at and m.mention_id != own]

    def url_mentions(self, url: str) -> list[str]:
        """`bounded.Events.url_mentions`."""
        return [m.mention_id for vid in sorted(self.by_url.get(url, ()))
                for m in self.versions[vid].mentions]

    def active_ref(self, mention_id: str) -> MentionRef | None:
        """An active mention read from its version (the index's page may be cold)."""
        vid = mention_id.rsplit(":", 1)[0]
        st = self.statuses.get(vid)
        if st is None or st.status != "current":
            return None
        one = getattr(self.versions, "mention_ref", None)  # the store's: that mention only
        if one is not None:
            return one(vid, mention_id)  # type: ignore[no-any-return]
        if vid not in self.versions:
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
    events: dict[str, EventUpdate | None] = field(default_factory=dict)
    settled: dict[int, int] = field(default_factory=dict)  # the days' new high-water marks


def _refs(art: ArticleAnalysed) -> list[MentionRef]:
    return [MentionRef(m, art.version_id, art.canonical_url, art.language, art.published_at)
            for m in art.mentions]


def diff_events(updates: dict[str, EventUpdate], dissolved: list[str],
                base: dict[str, Any]) -> list[Change]:
    """Changes that turn the events before the article into those after: each event's facts,
    and what entered and left its lists (a new event's lists whole), so that folding an event's
    changes in order turns its old lists into its new ones. Made from the updates alone: an
    article that attaches one mention to a large event reads none of its lists."""
    changes: list[Change] = []
    for eid in sorted(updates):
        u = updates[eid]
        facts = u.facts
        mine: list[Change] = []
        if u.created:
            mine.append(EventCreated(**base, event_id=eid, event=facts, members=EventMembers(
                mention_ids=u.mentions, sources=u.sources)))
        if u.merged:
            mine.append(EventsMerged(**base, event_id=eid, event=facts, merged_ids=u.merged,
                                     mention_ids=[] if u.created else u.moved_in))
        if not u.created and u.changed:
            moved = set(u.moved_in)
            for m in u.mentions:
                if m not in moved:
                    mine.append(MentionAttached(**base, event_id=eid, event=facts, mention_id=m))
            for m in u.mentions_left:
                mine.append(MentionRetracted(**base, event_id=eid, event=facts, mention_id=m))
            if not u.mentions and not u.mentions_left:
                mine.append(EventRevised(**base, event_id=eid, event=facts))
        if not u.created and mine and (u.sources or u.sources_left):
            # the article's source delta, once, on its first change
            mine[0] = mine[0].model_copy(update={"sources_added": u.sources,
                                                 "sources_removed": u.sources_left})
        changes.extend(mine)
    for eid in dissolved:
        changes.append(EventDissolved(**base, event_id=eid, event=None))
    return changes


def exact_updates(old: dict[str, EventState], new: dict[str, EventState]
                  ) -> tuple[dict[str, EventUpdate], list[str]]:
    """The updates that turn whole events `old` into `new` (the exact path's, whose events
    are small): each event gone goes to the first of the events that took its mentions."""
    gone = sorted(set(old) - set(new))
    owner = {m: eid for eid, ev in new.items() for m in ev.mention_ids} if gone else {}
    absorbed: dict[str, list[str]] = {}
    for eid in gone:
        targets = sorted({owner[m] for m in old[eid].mention_ids if m in owner})
        if targets:
            absorbed.setdefault(targets[0], []).append(eid)
    updates = {}
    for eid, ev in new.items():
        facts = EventFacts.of(ev)
        was = old.get(eid)
        if was is None:
            u = EventUpdate(facts, True, True, list(ev.mention_ids), [], list(ev.sources), [])
        else:
            before, after = set(was.mention_ids), set(ev.mention_ids)
            had, has = set(was.sources), set(ev.sources)
            u = EventUpdate(facts, False, was != ev, sorted(after - before),
                            sorted(before - after), sorted(has - had), sorted(had - has))
        u.merged = absorbed.get(eid, [])
        if u.merged and not u.created:
            moved = {m for a in u.merged for m in old[a].mention_ids}
            u.moved_in = [m for m in u.mentions if m in moved]
        updates[eid] = u
    return updates, gone


def whole_state(u: EventUpdate, before: EventState | None) -> EventState:
    """An event's whole state after an update (the plain state keeps whole events)."""
    if u.created or before is None:
        ids, sources = u.mentions, u.sources
    else:
        ids = sorted(set(before.mention_ids).difference(u.mentions_left).union(u.mentions))
        sources = sorted(set(before.sources).difference(u.sources_left).union(u.sources))
    f = u.facts
    return EventState(event_id=f.event_id, start=f.start, end=f.end, granularity=f.granularity,
                      summary=f.summary, entities=f.entities, mention_ids=ids, sources=sources,
                      languages=f.languages, first_reported_at=f.first_reported_at,
                      last_reported_at=f.last_reported_at, anchor=f.anchor)


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
                    base: dict[str, Any]
                    ) -> tuple[list[Change], dict[str, EventUpdate | None], list[int]]:
    state.active.remove(removed)
    state.active.add(added)
    # Seeds: the new mentions, and what is left of every event that lost a mention; more than
    # the component limit (counted from the summaries) and its members are not read.
    gone = {r.mention.mention_id for r in removed}
    state.leaving = {r.mention.mention_id: r for r in removed}
    lost = [state.owner[m] for m in sorted(gone) if m in state.owner]
    left = len(added) + sum(state.stored_summary(e).count for e in set(lost)) - len(lost)
    region = None
    days = settle.days_to_settle(state.active, added, removed, state.settled)
    if left <= COMPONENT_LIMIT and not settle.dense(state.active, days):
        seeds = list(added)
        for eid in sorted(set(lost)):
            seeds.extend(state.active.refs[m] for m in state.event_members(eid, True)
                         if m not in gone)
        region = state.active.component(seeds, limit=COMPONENT_LIMIT)
    if region is None:  # too dense to recluster at a bounded cost: maintain the events in place
        updates, dissolved, repairs = maintain(state.active, state, state.owner, added, removed,
                                               partial(settle.settle_days, days))
        state.repairs += repairs
        released: Iterable[str] = gone
    else:
        old_ids = {state.owner[m] for m in region | gone if m in state.owner}
        old = {eid: state.events[eid] for eid in old_ids}
        new = resolve_events([state.active.refs[m] for m in region], state.active.scores)
        if bounded.TRACE is not None:
            bounded.TRACE("exact", old, new)
        updates, dissolved = exact_updates(old, new)
        released = [m for e in dissolved for m in old[e].mention_ids]
        for eid in old:
            state.summaries.pop(eid, None)  # derived again when the bounded path needs it
    for m in released:
        state.owner.pop(m, None)
    for u in updates.values():
        for m in u.mentions_left:
            state.owner.pop(m, None)
    for eid in dissolved:
        del state.events[eid]
        state.summaries.pop(eid, None)
    put = getattr(state.events, "put_update", None)
    for eid, u in updates.items():
        state.owner.update({m: eid for m in u.mentions})
        if not (u.created or u.changed):
            continue
        if put is not None:  # the store keeps the lists as rows: it takes the update
            put(eid, u)
        else:
            state.events[eid] = whole_state(u, None if u.created else state.events[eid])
        if u.summary is not None:
            state.summaries[eid] = u.summary
    state.leaving = {}
    touched: dict[str, EventUpdate | None] = {e: None for e in dissolved}
    touched.update({e: u for e, u in updates.items() if u.created or u.changed})
    return diff_events(updates, dissolved, base), touched, days


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
    event_changes, t.events, days = _resolve_region(state, added, removed, base)
    t.settled = {day: state.settled[day] for day in days}
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
