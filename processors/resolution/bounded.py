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

import heapq
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

from processors.resolution.coreference import GRANULARITY_RANK, MentionRef
from processors.resolution.interval_index import ActiveMentions
from processors.resolution.summary import Summary
from schemas.timeline import EventFacts

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


class Events(Protocol):
    """What `Working` asks of the stored events, each answer bounded by what it names."""

    def event_members(self, event_id: str, earliest_first: bool) -> Iterator[str]:
        """A stored event's mention ids, earliest-reported first (or last), read lazily."""
        ...

    def stored_summary(self, event_id: str) -> Summary:
        """A stored event's summary (derived from its members if the store has none)."""
        ...

    def sentence_mates(self, r: MentionRef) -> list[str]:
        """The other mentions of r's sentence."""
        ...

    def url_mentions(self, url: str) -> list[str]:
        """The mentions of every version of a canonical URL."""
        ...


@dataclass
class EventUpdate:
    """What one article did to an event that is still there: its facts, the mentions and sources
    that entered and left it (`created`: an event id not known before, whose lists are whole),
    the events it absorbed and which of its entered mentions came from them."""

    facts: EventFacts
    created: bool
    changed: bool  # its facts or lists differ from before
    mentions: list[str]
    mentions_left: list[str]
    sources: list[str]
    sources_left: list[str]
    summary: Summary | None = None  # the summary to keep (None: none kept)
    merged: list[str] = field(default_factory=list)
    moved_in: list[str] = field(default_factory=list)


@dataclass
class Working:
    """The events one article changes, each as a summary plus what entered and left it."""

    active: ActiveMentions
    events: Events
    owners: Mapping[str, str]  # mention -> event, as stored before the article
    gone: dict[str, MentionRef] = field(default_factory=dict)
    old: dict[str, EventFacts] = field(default_factory=dict)
    groups: dict[str, Summary | None] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)
    pending: list[MentionRef] = field(default_factory=list)
    kicked: dict[str, list[str]] = field(default_factory=dict)  # event -> members re-attached
    merged_into: dict[str, str] = field(default_factory=dict)
    held_at_merge: dict[str, int] = field(default_factory=dict)
    repairs: int = 0
    width: int = 0  # candidates per lookup (0: `ATTACH_CANDIDATES`; a settle's replay: fewer)
    share: float = 0.0  # share of a probe that must link for a merge (0: `MERGE_SHARE`)

    def owner_of(self, mid: str) -> str | None:
        """The working group of a mention (without loading it)."""
        key = self.owner.get(mid)
        if key is not None:
            return key
        return None if mid in self.gone else self.owners.get(mid)

    def group_of(self, mention_id: str) -> str | None:
        """The working group of a mention (loading its event), None if it has none yet."""
        key = self.owner.get(mention_id)
        if key is None:
            key = self.owners.get(mention_id)
            if key is not None:
                self.load(key)
        return key

    def load(self, event_id: str, leaving: Iterable[MentionRef] = ()) -> None:
        """Take an event in, without the members `leaving`."""
        if event_id in self.groups:
            return
        group = self.events.stored_summary(event_id).loaded(event_id)
        self.old[event_id] = group.facts()
        for r in leaving:
            group.remove(r)
        if group.count and len(group.ranks) > 1:
            # Made by the exact path: imprecise reports sit in a precise event. This path
            # keeps each granularity apart, so they leave and are attached again.
            finest = group.finest
            for x in list(self.ordered(group, True)):
                if GRANULARITY_RANK[x.mention.granularity] != finest:
                    group.remove(x)
                    self.owner[x.mention.mention_id] = PENDING
                    self.pending.append(x)
                    self.kicked.setdefault(event_id, []).append(x.mention.mention_id)
        self.groups[event_id] = group if group.count else None

    def ordered(self, group: Summary, earliest_first: bool) -> Iterator[MentionRef]:
        """A group's members in order: its stored event's (read lazily, less those that left)
        merged with those that entered."""
        refs = self.active.refs
        stored: Iterator[MentionRef] = iter(())
        if group.event_id is not None:
            stored = (refs[m] for m in self.events.event_members(group.event_id, earliest_first)
                      if m not in group.left and m not in self.gone)
        entered = sorted(group.entered.values(), key=lambda x: x.order_key,
                         reverse=not earliest_first)
        return heapq.merge(stored, entered, key=lambda x: x.order_key,
                           reverse=not earliest_first)

    def ids(self, key: str) -> list[str]:
        """A group's mention ids, sorted (diagnostics: `TRACE`)."""
        group = self.groups[key]
        return [] if group is None else sorted(x.mention.mention_id
                                               for x in self.ordered(group, True))

    def fits(self, key: str, group: Summary, r: MentionRef) -> bool:
        """Whether r can join the group: its date fits and the group has no mention of its
        sentence (asked of the sentence's other mentions, not of the group)."""
        return group.fits(r) and \
            all(self.owner_of(m) != key for m in self.events.sentence_mates(r))

    def attach(self, r: MentionRef) -> None:
        """Put r in the consistent event it has most evidence for, or in a new one."""
        score: dict[str, float] = defaultdict(float)
        best: dict[str, float] = defaultdict(float)
        # Only reports of the same interval: which of a week's many events "this week" means
        # is what arrival order would decide here (the exact path weighs all pairs at once).
        ids = self.active.candidates(r, self.width or ATTACH_CANDIDATES, same_span=True).ids
        for mid, s in self.active.scored(r, ids):
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
            if group is not None and group.finest >= rank and self.fits(key, group, r):
                fitting.append(key)
                if best[key] >= (JOIN_EVIDENCE if rank == 0 else COARSE_JOIN_EVIDENCE):
                    strong.append(key)
        if not strong:
            self.groups["new:" + own] = Summary.of([r], sources=False)
            self.owner[own] = "new:" + own
            if TRACE is not None:
                TRACE("found", r, bool(fitting))
            return
        target = strong[0]
        group = self.groups[target]
        assert group is not None
        if TRACE is not None:
            TRACE("join", r, self.ids(target))
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
        if ga.finest != 0 or gb.finest != 0 or max(ga.lo, gb.lo) > min(ga.hi, gb.hi):
            return a
        if ga.day is not None and gb.day is not None and ga.day != gb.day:
            return a
        big, small = (a, b) if (ga.count, b) >= (gb.count, a) else (b, a)
        gbig, gsmall = self.groups[big], self.groups[small]
        assert gbig is not None and gsmall is not None
        # Read as far as needed: a refusal stops at the first member that shares a sentence
        # with the larger group (each member read costs its sentence's mentions), not after
        # reading every member of the smaller one.
        members: list[MentionRef] = []  # all of them move if it merges
        for x in self.ordered(gsmall, True):
            if any(self.owner_of(m) == big for m in self.events.sentence_mates(x)):
                if TRACE is not None:
                    TRACE("refuse", self.ids(small), self.ids(big), "sentence", 0, 0)
                return a
            members.append(x)
        probe = members[:SUPPORT_SAMPLE]
        linked = 0
        for x in probe:
            for mid in self.active.candidates(x, self.width or ATTACH_CANDIDATES,
                                              same_span=True).ids:
                if self.owner_of(mid) == big and \
                        (self.active.scores(x, self.active.refs[mid]) or -1.0) >= MERGE_LINK:
                    linked += 1
                    break
        if linked < (self.share or MERGE_SHARE) * max(len(probe), MERGE_MIN_PROBE):
            if TRACE is not None:
                TRACE("refuse", self.ids(small), self.ids(big), "support", linked, len(probe))
            return a
        if TRACE is not None:
            TRACE("merge", self.ids(small), self.ids(big), "support", linked, len(probe))
        for x in members:
            gbig.add(x)
            self.owner[x.mention.mention_id] = big
        self.groups[small] = None
        self.merged_into[small] = big
        self.held_at_merge[small] = gsmall.count - len(gsmall.entered)
        return big

    def _sources(self, key: str, group: Summary) -> None:
        """Count the sources the group gained and lost: a source is held while a member reports
        it, asked of the mentions of its URL's versions (before: as stored)."""
        for url in sorted(group.urls):
            mids = self.events.url_mentions(url)
            before = group.event_id is not None and \
                any(self.owners.get(m) == group.event_id for m in mids)
            after = any(self.owner_of(m) == key for m in mids)
            if before != after:
                group.sources += 1 if after else -1
                (group.entered_urls if after else group.left_urls).add(url)

    def result(self) -> tuple[dict[str, EventUpdate], list[str]]:
        """The events the working groups describe now (by event id), and the events gone."""
        final: dict[str, str] = {}  # group key -> its event id now
        live: dict[str, Summary] = {}
        for key, group in self.groups.items():
            if group is None:
                continue
            if group.vacant:
                self.repairs += 1
                group.repair(partial(self.ordered, group))
            self._sources(key, group)
            final[key] = group.facts().event_id
            live[key] = group
        updates = {final[key]: self._update(key, group, final[key])
                   for key, group in live.items()}
        gone = sorted(e for e in self.old if e not in updates)
        absorbed: dict[str, list[str]] = {}
        for eid in gone:
            targets = {final[k] for k in self._holders(eid)}
            if targets:
                absorbed.setdefault(min(targets), []).append(eid)
        for eid, merged in absorbed.items():
            upd = updates[eid]
            upd.merged = merged
            if not upd.created:
                upd.moved_in = [m for m in upd.mentions if self.owners.get(m) in merged]
        return updates, gone

    def _holders(self, eid: str) -> set[str]:
        """The groups holding what is left of a stored event."""
        out = set()
        key, held = eid, None
        while self.groups.get(key) is None and key in self.merged_into:
            held = self.held_at_merge[key] if held is None else held
            key = self.merged_into[key]
        group = self.groups.get(key)
        if group is not None and (held if held is not None else
                                  group.count - len(group.entered)) > 0:
            out.add(key)
        for m in self.kicked.get(eid, []):
            k = self.owner_of(m)
            while k is not None and self.groups.get(k) is None and k in self.merged_into:
                k = self.merged_into[k]
            if k is not None and self.groups.get(k) is not None:
                out.add(k)
        return out

    def _update(self, key: str, group: Summary, eid: str) -> EventUpdate:
        facts = group.facts()
        if eid == group.event_id:
            mentions, left = sorted(group.entered), sorted(group.left)
            sources, sources_left = sorted(group.entered_urls), sorted(group.left_urls)
        else:  # its earliest member changed: another id, whose lists are compared whole
            now = list(self.ordered(group, True))
            had = set(self.events.event_members(eid, True)) if eid in self.old else set()
            has = {x.mention.mention_id for x in now}
            mentions, left = sorted(has - had), sorted(had - has)
            refs = self.active.refs
            had_s = {(self.gone.get(m) or refs[m]).canonical_url for m in had}
            has_s = {x.canonical_url for x in now}
            sources, sources_left = sorted(has_s - had_s), sorted(had_s - has_s)
        created = eid not in self.old
        changed = created or bool(mentions or left) or facts != self.old[eid]
        return EventUpdate(facts, created, changed, mentions, left, sources, sources_left,
                           group.stored())


def maintain(active: ActiveMentions, events: Events, owners: Mapping[str, str],
             added: list[MentionRef], gone: list[MentionRef],
             then: Callable[[Working], None] | None = None
             ) -> tuple[dict[str, EventUpdate], list[str], int]:
    """What `added` arriving and `gone` leaving do to the events: the updates of the events
    that are still there (by event id), the events gone, and how many summaries had a member
    they named leave (`Summary.repair`).

    `active` already reflects the change (added indexed, gone removed). `then`: called once
    the added mentions are attached (a day's settle, `processors.resolution.settle`).
    """
    work = Working(active, events, owners, gone={r.mention.mention_id: r for r in gone})
    leaving: dict[str, list[MentionRef]] = {}
    for r in gone:
        eid = owners.get(r.mention.mention_id)
        if eid is not None:
            leaving.setdefault(eid, []).append(r)
    for mid in sorted(work.gone):
        eid = owners.get(mid)
        if eid is not None:
            work.load(eid, leaving[eid])
    for r in sorted(added, key=lambda x: x.order_key):
        work.attach(r)
    if then is not None:
        then(work)
    while work.pending:
        work.attach(work.pending.pop(0))
    updates, dissolved = work.result()
    return updates, dissolved, work.repairs
