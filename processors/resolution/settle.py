"""A dense day's events settled as a function of its mentions, not of their arrival order.

On the bounded path (`processors.resolution.bounded`) each report joins or founds an event on
what has arrived, so two orders of the same articles can end with different events: a
sub-story's first reports merged early into a large event of the same day in one order, kept
apart in the other (`docs/event-resolution-at-scale.md`, *Order independence*). A day's
day-granularity events are made of that day's mentions only (one interval, one day), and a
report of one day looks only at mentions of its own interval. So they can be re-derived from
the day's mentions alone: when an article brings a day's mentions (those with a name or
keyword) up to one of the `settle_sizes` (a geometric series from `SETTLE_FROM` to
`SETTLE_CAP`; again if the day fell below it and came back), the bounded path's own rules are
replayed on those mentions in report order (merges on a larger share of a probe,
`SETTLE_SHARE`), on a scratch index that holds only them, and the day's events become the
result. The result is a function of the set of the day's mentions at that moment,
whatever order they came in; reports that arrive later attach to it as before.

Cost: a settle of n mentions is n attaches (at most `SETTLE_CANDIDATES` scored pairs each) plus
the moves of the mentions whose event changes; sizes grow by `SETTLE_FACTOR`, so over a day's
life the settles replay at most factor / (factor - 1) times its mentions (three times), and no
settle reads more than `SETTLE_CAP` mentions (past it, a day is maintained as before).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

from processors.resolution import bounded
from processors.resolution.bounded import PENDING, Working
from processors.resolution.coreference import MentionRef
from processors.resolution.interval_index import ActiveMentions, stored_buckets
from processors.resolution.summary import Summary

# A day is first settled when it holds SETTLE_FROM mentions (0: never), then each time it has
# grown by SETTLE_FACTOR, never past SETTLE_CAP. From 128 the orders agreed a little more
# (0.9797 against 0.9770 at 10,000 dense articles) for 1.3x the fold's CPU, and one order's
# recall against the generator fell by 0.0001. Growing by 1.5 rather than 2 settles a day last
# on more of its final mentions (on average 5/6 rather than 3/4 of them), so the two orders'
# last replays see more alike sets: docs/event-resolution-at-scale.md.
SETTLE_FROM = 512
SETTLE_FACTOR = 1.5
SETTLE_CAP = 4096
SETTLE_CANDIDATES = 40  # candidates per replayed mention (48 gave the same events: docs)
# A replay merges two parts only when 0.8 of the smaller one's probe links to the larger (the
# streaming rule's MERGE_SHARE, 0.55, would do it on 5 of 8): a merge on fewer was most often
# a sub-story joined to the day's main event, decided by which reports the set held. With
# SETTLE_FACTOR 2 it lowered the agreement; with 1.5 it keeps the gain and raises precision.
SETTLE_SHARE = 0.8

def settle_sizes() -> Iterator[int]:
    """The day sizes at which a day is settled."""
    size = SETTLE_FROM
    while 0 < size <= SETTLE_CAP:
        yield size
        size = max(size + 1, math.ceil(size * SETTLE_FACTOR))


def day_of(r: MentionRef) -> int | None:
    """The day a mention is filed under, if it is of one day."""
    buckets = stored_buckets(r)
    return buckets[0][1] if len(buckets) == 1 and buckets[0][0] == "d" else None  # type: ignore[return-value]


def days_to_settle(active: ActiveMentions, added: Iterable[MentionRef],
                   removed: Iterable[MentionRef]) -> list[int]:
    """The days whose size crossed a settle size with this change (`active` reflects it)."""
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
        if any(before < size <= after for size in settle_sizes()):
            out.append(day)
    return out


def replay(work: Working, refs: list[MentionRef]) -> list[list[MentionRef]]:
    """The day's events as the bounded path makes them when its mentions arrive in report
    order and see only each other: each event's members, earliest first."""
    scratch = Working(ActiveMentions(scores=work.active.scores), work.events, {},
                      width=SETTLE_CANDIDATES, share=SETTLE_SHARE)
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
