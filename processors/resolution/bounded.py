"""Event maintenance at a bounded cost, where the timeline is too dense to recluster.

`processors.resolution.fold` reclusters the connected component an article touches when that component
is small (at most `COMPONENT_LIMIT` mentions, every block read whole): the events are then exactly
those of a full recomputation. In a dense story the component is most of the story, so instead
each new mention *attaches* to the existing event of its own granularity it has the most
evidence for among its bounded candidates (`ActiveMentions.candidates`), if the event stays
consistent (one interval, one day, no sentence twice) and one pair is strong enough, or founds an
event of its own; two day events it links merge when a sample of the smaller one supports it.
Mentions that leave (superseded versions, copies) leave their events, which keep the rest; events
are never split. The cost is the candidates' lookups plus the size of the events touched; the
price is that the result may depend on the arrival order: `docs/event-resolution-at-scale.md`
measures it and says which rule removed which part of that dependence.
"""

from __future__ import annotations

from bisect import insort
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from processors.resolution.coreference import (
    ANCHOR_RANK,
    GRANULARITY_RANK,
    MentionRef,
    event_id_for,
    event_state,
    taking_part,
)
from processors.resolution.interval_index import ActiveMentions
from schemas.timeline import EventState

COMPONENT_LIMIT = 200  # largest component reclustered exactly (mentions)
JOIN_EVIDENCE = 2.0  # a precise report joins an event only on a pair at least this strong
COARSE_JOIN_EVIDENCE = 3.0  # an imprecise one (week, month...) needs stronger evidence
SUPPORT_SAMPLE = 8  # members of the smaller event probed before two events merge
PENDING = ""  # working group of an imprecise report waiting to be attached again
ATTACH_CANDIDATES = 48  # candidates a mention is compared with on the bounded path
# Two events merge when a joining report has evidence for both (at least MERGE_TRIGGER) and a
# share MERGE_SHARE of the smaller one's probed members link to the larger (evidence at least
# MERGE_LINK; 0: any compatible pair). Other values were measured: docs/event-resolution-at-scale.md.
MERGE_TRIGGER = 0.0
MERGE_LINK = 0.0
# 0.55: more than half of a probe of 4 to 8 (5 of 8, 3 of 4), not exactly half: merges that
# passed on exactly half (4/8, 2/4, 2/2) were most of the pairs two orders of 10,000 dense
# articles disagreed on (0.5 before; docs/event-resolution-at-scale.md, the fourth session).
MERGE_SHARE = 0.55
# A probe of fewer than MERGE_MIN_PROBE members counts the missing ones as unlinked, so a group
# of one or two reports cannot merge, and one of three only on three links (0: off; with
# MERGE_SHARE 0.5 it lowered 3,000-article agreement below 0.99, with 0.55 it does not).
MERGE_MIN_PROBE = 4
# Diagnostics (`bench/order_diff.py`): called with (what, ...) at each decision when set.
TRACE: Callable[..., None] | None = None


@dataclass
class Summary:
    """What `event_state` and the merge rules need of an event, kept up to date per mention."""

    members: list[MentionRef]  # earliest-reported first
    ids: list[str]  # sorted mention ids
    sentences: set[tuple[str, int]]
    lo: date
    hi: date
    day: date | None
    finest: dict[int, MentionRef]  # granularity rank -> its earliest member
    votes: Counter[tuple[int, date, date]]
    first_at: dict[tuple[date, date], MentionRef]  # interval -> its earliest member
    entities: Counter[str]
    sources: Counter[str]
    languages: Counter[str]
    anchors: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, refs: list[MentionRef]) -> Summary:
        """The summary of a group of mentions."""
        members = sorted(refs, key=lambda x: x.order_key)
        ms = [r.mention for r in members]
        days = {m.start for m in ms if m.granularity == "day"}
        finest: dict[int, MentionRef] = {}
        first_at: dict[tuple[date, date], MentionRef] = {}
        for r in members:  # earliest first: the first seen of each kind is the earliest
            finest.setdefault(GRANULARITY_RANK[r.mention.granularity], r)
            first_at.setdefault((r.mention.start, r.mention.end), r)
        return cls(
            members, sorted(m.mention_id for m in ms), {r.sentence_key for r in members},
            max(m.start for m in ms), min(m.end for m in ms), max(days) if days else None,
            finest, Counter((GRANULARITY_RANK[m.granularity], m.start, m.end) for m in ms),
            first_at, Counter(e for m in ms for e in taking_part(m)),
            Counter(r.canonical_url for r in members), Counter(r.language for r in members),
            Counter(m.anchor for m in ms))

    def fits(self, r: MentionRef) -> bool:
        """Whether r can join and leave one event (the merge rules of `_Clusters`)."""
        m = r.mention
        if r.sentence_key in self.sentences:
            return False
        if max(self.lo, m.start) > min(self.hi, m.end):
            return False
        return not (m.granularity == "day" and self.day is not None and self.day != m.start)

    def add(self, r: MentionRef) -> None:
        """Take one more mention in."""
        m = r.mention
        insort(self.members, r, key=lambda x: x.order_key)
        insort(self.ids, m.mention_id)
        self.sentences.add(r.sentence_key)
        if len(self.members) == 1:
            self.lo, self.hi = m.start, m.end
        else:
            self.lo, self.hi = max(self.lo, m.start), min(self.hi, m.end)
        if m.granularity == "day":
            self.day = m.start
        rank = GRANULARITY_RANK[m.granularity]
        if rank not in self.finest or r.order_key < self.finest[rank].order_key:
            self.finest[rank] = r
        self.votes[(rank, m.start, m.end)] += 1
        span = (m.start, m.end)
        if span not in self.first_at or r.order_key < self.first_at[span].order_key:
            self.first_at[span] = r
        self.entities.update(taking_part(m))
        self.sources[r.canonical_url] += 1
        self.languages[r.language] += 1
        self.anchors[m.anchor] += 1

    def state(self) -> EventState:
        """The event, as `event_state` of the members describes it."""
        if len(self.anchors) > 1:  # dated by its best-anchored members only: not kept per mention
            return event_state(self.members)
        finest = min(self.finest)
        votes = {(s, e): n for (rank, s, e), n in self.votes.items() if rank == finest}
        (start, end), _ = min(votes.items(), key=lambda kv: (-kv[1], kv[0]))
        return EventState(
            event_id=event_id_for(self.members[0]), start=start, end=end,
            granularity=self.finest[finest].mention.granularity,
            summary=self.first_at[(start, end)].mention.summary,
            entities=sorted(self.entities), mention_ids=list(self.ids),
            sources=sorted(self.sources), languages=sorted(self.languages),
            first_reported_at=self.members[0].published_at,
            last_reported_at=self.members[-1].published_at,
            anchor=min((r.mention.anchor for r in self.members), key=ANCHOR_RANK.__getitem__))


@dataclass
class Working:
    """The events one article changes; their old states kept for the diff."""

    active: ActiveMentions
    events: dict[str, EventState]
    owners: dict[str, str]
    summaries: dict[str, Summary]
    old: dict[str, EventState] = field(default_factory=dict)
    groups: dict[str, Summary | None] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)
    pending: list[MentionRef] = field(default_factory=list)

    def group_of(self, mention_id: str) -> str | None:
        """The working group of a mention (loading its event), None if it has none yet."""
        key = self.owner.get(mention_id)
        if key is None:
            key = self.owners.get(mention_id)
            if key is not None:
                self.load(key, fresh=False)
        return key

    def load(self, event_id: str, fresh: bool) -> None:
        """Take an event in; `fresh`: some members left, summarise what is still active."""
        if event_id in self.groups:
            return
        ev = self.events[event_id]
        self.old[event_id] = ev
        cached = self.summaries.get(event_id)
        if cached is None or fresh:
            refs = self.active.refs
            kept = [refs[m] for m in ev.mention_ids if m in refs]
            cached = Summary.of(kept) if kept else None
        if cached is not None and len(cached.finest) > 1:
            # Made by the exact path: imprecise reports sit in a precise event. This path
            # keeps each granularity apart, so they leave and are attached again.
            finest = min(cached.finest)
            keep = [x for x in cached.members if GRANULARITY_RANK[x.mention.granularity] == finest]
            for x in cached.members:
                if GRANULARITY_RANK[x.mention.granularity] != finest:
                    mid = x.mention.mention_id
                    self.owner[mid] = PENDING
                    self.pending.append(x)
            cached = Summary.of(keep)
        self.groups[event_id] = cached  # its members' group is their event id (`owners`)

    def attach(self, r: MentionRef) -> None:
        """Put r in the consistent event it has most evidence for, or in a new one."""
        score: dict[str, float] = defaultdict(float)
        best: dict[str, float] = defaultdict(float)
        # Only reports of the same interval: which of a week's many events "this week" means
        # is what arrival order would decide here (the exact path weighs all pairs at once).
        for mid in self.active.candidates(r, ATTACH_CANDIDATES, same_span=True).ids:
            s = self.active.scores(r, self.active.refs[mid])
            if s is None:
                continue
            key = self.group_of(mid)
            if key is not None and key != PENDING:
                score[key] += s
                best[key] = max(best[key], s)
        own = r.mention.mention_id
        rank = GRANULARITY_RANK[r.mention.granularity]
        fitting = []
        strong = []
        for key in sorted(score, key=lambda k: (-score[k], k)):
            group = self.groups[key]
            if group is not None and min(group.finest) >= rank and group.fits(r):
                fitting.append(key)
                if best[key] >= (JOIN_EVIDENCE if rank == 0 else COARSE_JOIN_EVIDENCE):
                    strong.append(key)
        if not strong:
            self.groups["new:" + own] = Summary.of([r])
            self.owner[own] = "new:" + own
            if TRACE is not None:
                TRACE("found", r, bool(fitting))
            return
        target = strong[0]
        group = self.groups[target]
        assert group is not None
        if TRACE is not None:
            TRACE("join", r, list(group.ids))
        group.add(r)
        self.owner[own] = target
        for other in fitting:
            if other != target and self.groups[other] is not None and \
                    best[other] >= MERGE_TRIGGER:
                target = self.merge(target, other)

    def merge(self, a: str, b: str) -> str:
        """Merge groups a and b if they stay one event and b's members link to a; the survivor."""
        ga, gb = self.groups[a], self.groups[b]
        assert ga is not None and gb is not None
        if min(ga.finest) != 0 or min(gb.finest) != 0 or max(ga.lo, gb.lo) > min(ga.hi, gb.hi):
            return a
        if ga.day is not None and gb.day is not None and ga.day != gb.day:
            return a
        big, small = (a, b) if (len(ga.members), b) >= (len(gb.members), a) else (b, a)
        gbig, gsmall = self.groups[big], self.groups[small]
        assert gbig is not None and gsmall is not None
        if not gsmall.sentences.isdisjoint(gbig.sentences):
            if TRACE is not None:
                TRACE("refuse", list(gsmall.ids), list(gbig.ids), "sentence", 0, 0)
            return a
        probe = gsmall.members[:SUPPORT_SAMPLE]
        linked = 0
        for x in probe:
            for mid in self.active.candidates(x, ATTACH_CANDIDATES, same_span=True).ids:
                if self.owner.get(mid, self.owners.get(mid)) == big and \
                        (self.active.scores(x, self.active.refs[mid]) or -1.0) >= MERGE_LINK:
                    linked += 1
                    break
        if linked < MERGE_SHARE * max(len(probe), MERGE_MIN_PROBE):
            if TRACE is not None:
                TRACE("refuse", list(gsmall.ids), list(gbig.ids), "support", linked, len(probe))
            return a
        if TRACE is not None:
            TRACE("merge", list(gsmall.ids), list(gbig.ids), "support", linked, len(probe))
        for x in gsmall.members:
            gbig.add(x)
            self.owner[x.mention.mention_id] = big
        self.groups[small] = None
        return big

    def result(self) -> dict[str, tuple[EventState, Summary]]:
        """The events the working groups describe now, with their summaries."""
        out = {}
        for group in self.groups.values():
            if group is not None:
                ev = group.state()
                out[ev.event_id] = (ev, group)
        return out


def maintain(active: ActiveMentions, events: dict[str, EventState], owners: dict[str, str],
             summaries: dict[str, Summary], added: list[MentionRef],
             gone: set[str]) -> tuple[dict[str, EventState], dict[str, EventState]]:
    """(old, new) states of the events touched when `added` arrive and `gone` leave.

    `active` already reflects the change (added indexed, gone removed); `summaries` is updated.
    """
    work = Working(active, events, owners, summaries)
    for mid in sorted(gone):
        if mid in owners:
            work.load(owners[mid], fresh=True)
    for r in sorted(added, key=lambda x: x.order_key):
        work.attach(r)
    while work.pending:
        r = work.pending.pop(0)
        work.attach(r)
    result = work.result()
    for eid in work.old:
        summaries.pop(eid, None)
    summaries.update({eid: group for eid, (_, group) in result.items()})
    return work.old, {eid: ev for eid, (ev, _) in result.items()}
