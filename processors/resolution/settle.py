"""A dense day's events settled as a function of its mentions, not of their arrival order.

On the bounded path (`processors.resolution.bounded`) each report joins or founds an event on
what has arrived, so two orders of the same articles can end with different events: a
sub-story's first reports merged early into a large event of the same day in one order, kept
apart in the other (`docs/event-resolution-at-scale.md`, *Order independence*). A day's
day-granularity events are made of that day's mentions only (one interval, one day), and a
report of one day looks only at mentions of its own interval. So they can be re-derived from
the day's mentions alone: when an article brings a day's mentions (those with a name or
keyword) up to one of the `settle_sizes` (a geometric series from `SETTLE_FROM` to
`SETTLE_CAP`, each once: `days_to_settle`), the bounded path's own rules are
replayed on those mentions in report order (merges on a larger share of a probe,
`SETTLE_SHARE`), on a scratch index that holds only them, and the day's events become the
result. The result is a function of the set of the day's mentions at that moment,
whatever order they came in; reports that arrive later attach to it as before.

Cost: a settle of n mentions is n attaches (at most `SETTLE_CANDIDATES` scored pairs each) plus
the moves of the mentions whose event changes; sizes grow by `SETTLE_FACTOR`, so over a day's
life the settles replay about factor / (factor - 1) times its mentions (six times), never twice
at one size (a day's high-water mark: its size may cross a settle size back and forth, a copy
or an update taking mentions out), and no settle reads more than `SETTLE_CAP` mentions (past
it, a day is maintained as before).

Days under `SETTLE_FROM` are settled too, on a series of their own (`SMALL_FROM`, growing by
`SMALL_FACTOR`), so the sizes from `SETTLE_FROM` on, and what a dense day's settles see, stay
as they were. Why: on the bounded path a small day's events are decided on what had arrived
(a group of three to nine merged into another on a probe of its members then, three of five
linked, which the other order checked on other members and refused; an early component
clustered exactly, then grown by attaches; events are never split), and four fifths of the
pairs two orders disagreed on were in such days (`bench/order_diff.py --small-days`). Replayed
on their final mentions they hold the same events in both orders; replaying them on every
change would read 50 times what the settles read, so they are settled as dense days are, at
sizes growing geometrically.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, MutableMapping

from processors.resolution import bounded
from processors.resolution.bounded import PENDING, Working
from processors.resolution.coreference import (
    COARSE,
    SAME_DATE_EVIDENCE,
    MentionRef,
    Score,
    _strong,
)
from processors.resolution.interval_index import ActiveMentions, stored_buckets
from processors.resolution.summary import Summary

# A day is first settled when it holds SETTLE_FROM mentions (0: never), then each time it has
# grown by SETTLE_FACTOR, never past SETTLE_CAP. From 128 the orders agreed a little more
# (0.9797 against 0.9770 at 10,000 dense articles) for 1.3x the fold's CPU, and one order's
# recall against the generator fell by 0.0001. Growing by 1.25 rather than 1.5 or 2 settles a
# day last on more of its final mentions (at least 4/5 of them, rather than 2/3 or 1/2), so the
# two orders' last replays see more alike sets (0.9804 -> 0.9875 at 10,000 articles); the
# extra replays are paid by `DayScores`. With each day's high-water mark (a size settled once
# is not settled again: 38% fewer mentions replayed), 1.2 (its last replay on at least 5/6 of the day)
# costs less than 1.25 without it and agrees a little more (0.98789), precision up in both
# orders: docs/event-resolution-at-scale.md.
SETTLE_FROM = 512
SETTLE_FACTOR = 1.2
SETTLE_CAP = 4096
SETTLE_CANDIDATES = 40  # candidates per replayed mention (48 gave the same events: docs)
# A replay merges two parts only when 0.8 of the smaller one's probe links to the larger (the
# streaming rule's MERGE_SHARE, 0.55, would do it on 5 of 8): a merge on fewer was most often
# a sub-story joined to the day's main event, decided by which reports the set held. With
# SETTLE_FACTOR 2 it lowered the agreement; with 1.5 it keeps the gain and raises precision.
SETTLE_SHARE = 0.8

# A day under SETTLE_FROM is first settled at SMALL_FROM mentions (0: never), then each time it
# has grown by SMALL_FACTOR, its replay merging on SMALL_SHARE of a probe (0.8, the dense days'
# share, agreed less at 10,000 articles: 0.9911 against 0.9935; 0.55, 0.9938 for less
# precision). Days under 128 held 2% of the disagreeing pairs: docs/event-resolution-at-scale.md.
SMALL_FROM = 128
SMALL_FACTOR = 1.2
SMALL_SHARE = 0.7


def settle_sizes() -> Iterator[int]:
    """The day sizes at which a day is settled."""
    size = SMALL_FROM
    while 0 < size < SETTLE_FROM:
        yield size
        size = max(size + 1, math.ceil(size * SMALL_FACTOR))
    size = SETTLE_FROM
    while 0 < size <= SETTLE_CAP:
        yield size
        size = max(size + 1, math.ceil(size * SETTLE_FACTOR))


def day_of(r: MentionRef) -> int | None:
    """The day a mention is filed under, if it is of one day."""
    buckets = stored_buckets(r)
    return buckets[0][1] if len(buckets) == 1 and buckets[0][0] == "d" else None  # type: ignore[return-value]


def days_to_settle(active: ActiveMentions, added: Iterable[MentionRef],
                   removed: Iterable[MentionRef],
                   settled: MutableMapping[int, int] | None = None) -> list[int]:
    """The days whose size crossed a settle size with this change (`active` reflects it).

    `settled`: each day's high-water mark, the largest size it was settled at; a size at or
    under it is not settled again (a copy or an update took mentions out and the next article
    brought the day back across it: 38% of the replays at 10,000 dense articles repeated a
    size). The marks of the days returned are raised here. They are a function of the stream
    in order, kept with the state (the resolver's store writes them with the article's record),
    so a restart settles at the same articles as an unbroken run."""
    delta: dict[int, int] = {}
    for r, d in [(r, 1) for r in added] + [(r, -1) for r in removed]:
        day = day_of(r)
        if day is not None:
            delta[day] = delta.get(day, 0) + d
    out = []
    for day in sorted(delta):
        if delta[day] <= 0:
            continue
        after = active.day_size(day)
        before = after - delta[day]
        if settled is not None:
            before = max(before, settled.get(day, 0))
        crossed = [size for size in settle_sizes() if before < size <= after]
        if crossed:
            out.append(day)
            if settled is not None:
                settled[day] = crossed[-1]
    return out


def dense(active: ActiveMentions, days: list[int]) -> bool:
    """Whether one of these days (to settle) holds `SETTLE_FROM` mentions or more: the article
    then takes the bounded path. Days under it only are settled if the article takes that path
    anyway; where its component is small enough to be clustered exactly, that is already a
    function of the set, and more precise than a replay (ECB+'s articles without a date, on one
    day: article-pair recall 0.513 -> 0.493 when their day was replayed instead)."""
    return any(active.day_size(day) >= SETTLE_FROM for day in days)


class DayScores:
    """`compatible` for the mentions of one day, as a replay asks it: every pair it scores is
    two reports of that day, and the day's names and keywords are numbered so that a mention's
    sets are bits of an int and a pair's evidence is a few popcounts.

    Why: a replay of n mentions scores about 40 n pairs, more than `PairScores` remembers, so
    nearly all of them were scored again from the frozensets at every settle of the day (half
    of a replay's time). The score is the same float (`_weights`' formula, every weight a
    multiple of 0.25, on the same counts); a pair of other intervals goes to `fallback`.
    """

    def __init__(self, refs: list[MentionRef], fallback: Score) -> None:
        self.fallback = fallback
        vocab: dict[str, int] = {}

        def bits(names: frozenset[str]) -> int:
            out = 0
            for name in names:
                out |= 1 << vocab.setdefault(name, len(vocab))
            return out

        # Per mention: what decides before any evidence (its span, sentence, anchor and
        # predicate), then its names, context names, places and keywords as bits.
        self.facts: dict[str, tuple] = {}
        self.refs = {r.mention.mention_id: r for r in refs}
        for r in refs:
            m, s = r.mention, r.sets
            self.facts[m.mention_id] = ((m.start, m.end), r.sentence_key, m.anchor == "explicit",
                                        m.predicate_kind, bits(s.own), bits(s.near),
                                        bits(s.places), bits(s.keywords))

    def __call__(self, a: MentionRef, b: MentionRef) -> float | None:
        if b.mention.mention_id not in self.facts:
            return self.fallback(a, b)
        found = self.many(a, [b.mention.mention_id])
        return found[0][1] if found else None

    def many(self, a: MentionRef, ids: list[str]) -> list[tuple[str, float]]:
        """The mentions of `ids` (of the day) compatible with a, with their scores: one call
        for an attach's candidates (`ActiveMentions.scored`), not one per pair."""
        fa = self.facts.get(a.mention.mention_id)
        if fa is None or a.mention.granularity in COARSE:
            return [(mid, s) for mid in ids
                    if (s := self.fallback(a, self.refs[mid])) is not None]
        span, sentence, explicit, kind, own_a, near_a, places_a, kws_a = fa
        out = []
        for mid in ids:
            fb = self.facts[mid]
            if fb[0] != span:
                if (s := self.fallback(a, self.refs[mid])) is not None:
                    out.append((mid, s))
                continue
            if sentence == fb[1]:
                continue
            if not (explicit and fb[2]):  # a mention without a date of its own: rarer rules
                if (s := self.fallback(a, self.refs[mid])) is not None:
                    out.append((mid, s))
                continue
            _, _, _, kind_b, own_b, near_b, places_b, kws_b = fb
            places = places_a | places_b
            shared = own_a & own_b
            context = near_a & near_b & ~shared
            n_shared, n_context = shared.bit_count(), context.bit_count()
            shared_places = (shared & places).bit_count()
            context_places = (context & places).bit_count()
            kws = (kws_a & kws_b).bit_count()
            named = n_shared - shared_places + n_context - context_places
            score = (n_shared - shared_places + 0.5 * shared_places
                     + 0.5 * (n_context - context_places) + 0.25 * context_places + 0.5 * kws)
            if kind is not None and kind_b is not None and kind != kind_b:
                # A statement and what it is about, on one date: one event only on strong
                # evidence.
                if _strong(score, named, kws):
                    out.append((mid, score))
            elif score >= SAME_DATE_EVIDENCE and (named >= 1 or (shared_places >= 1 and kws >= 1)):
                out.append((mid, score))
        return out


def replay(work: Working, refs: list[MentionRef]) -> list[list[MentionRef]]:
    """The day's events as the bounded path makes them when its mentions arrive in report
    order and see only each other: each event's members, earliest first."""
    scratch = Working(ActiveMentions(scores=DayScores(refs, work.active.scores)), work.events, {},
                      width=SETTLE_CANDIDATES,
                      share=SETTLE_SHARE if len(refs) >= SETTLE_FROM else SMALL_SHARE)
    for r in refs:
        scratch.active.add([r])
        scratch.attach(r)
    parts: dict[str, list[MentionRef]] = {}
    for r in refs:
        parts.setdefault(scratch.owner[r.mention.mention_id], []).append(r)
    return sorted(parts.values(), key=lambda p: p[0].order_key)


def settle_day(work: Working, day: int) -> None:
    """Make the day's events those `replay` derives from its mentions, moving only the
    mentions whose event changes: each part keeps the event that holds its earliest member,
    unless an earlier part kept it; an event left empty counts as merged into the part that
    took the last of its members."""
    active = work.active
    refs = sorted((active.refs[m] for m in active.day_mentions(day)), key=lambda r: r.order_key)
    if bounded.TRACE is not None:
        bounded.TRACE("settle", day, len(refs))
    kept: set[str] = set()
    for n, part in enumerate(replay(work, refs)):
        key = work.group_of(part[0].mention.mention_id)
        if key is None or key == PENDING or key in kept:
            key = f"day:{day}:{n}"
            work.groups[key] = Summary()
        kept.add(key)
        target = work.groups[key]
        assert target is not None
        for r in part:
            mid = r.mention.mention_id
            was = work.group_of(mid)
            if was == key:
                continue
            if was is not None and was != PENDING:
                source = work.groups[was]
                assert source is not None
                source.remove(r)
                if source.count == 0:
                    work.groups[was] = None
                    work.merged_into[was] = key
                    work.held_at_merge[was] = 1
            target.add(r)
            work.owner[mid] = key


def settle_days(days: list[int], work: Working) -> None:
    """Settle each of these days (`maintain`'s `then`)."""
    for day in days:
        settle_day(work, day)
