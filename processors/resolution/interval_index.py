"""The resolver's index of active mentions: which mentions a change can affect, found fast.

Mentions are blocked on (date bucket, feature): a mention is found only by mentions whose dates
overlap its own *and* that share one of its names or keywords, which is what `compatible` needs
of any pair. A block is read whole while it is small; a block larger than `BLOCK_SAMPLE` (a name
or keyword that many mentions of that day carry: little evidence, IDF-like) is read as a sample
of `BLOCK_SAMPLE` members, the same ones whatever the arrival order (the smallest by a stable
hash of the mention id), so the cost of a lookup is bounded by what the article touches, not by
how big the day's story is. `docs/event-resolution-at-scale.md` explains the choice.
"""

from __future__ import annotations

import zlib
from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from processors.resolution.coreference import COARSE, MentionRef, compatible, features

BLOCK_SAMPLE = 64  # members of one (date bucket, feature) block a lookup reads at most
CANDIDATES = 128  # candidates of one mention at most, when looking for its component
WEEK = 7

Bucket = tuple[str, int] | tuple[str, str, int, int]


def _rank(mention_id: str) -> int:
    """Stable across processes (unlike `hash`), so samples survive a restart."""
    return zlib.crc32(mention_id.encode())


def stored_buckets(r: MentionRef) -> list[Bucket]:
    """Where a mention is filed: its day, the weeks its span covers, or its exact coarse span."""
    m = r.mention
    lo, hi = m.start.toordinal(), m.end.toordinal()
    if m.granularity in COARSE:
        return [("c", m.granularity, lo, hi)]
    if lo == hi:
        return [("d", lo)]
    return [("w", w) for w in range(lo // WEEK, hi // WEEK + 1)]


def probed_buckets(r: MentionRef) -> Iterator[Bucket]:
    """Every bucket that may hold a mention whose interval overlaps r's (coarse: the same)."""
    m = r.mention
    lo, hi = m.start.toordinal(), m.end.toordinal()
    if m.granularity in COARSE:
        yield ("c", m.granularity, lo, hi)
        return
    for day in range(lo, hi + 1):
        yield ("d", day)
    for w in range(lo // WEEK, hi // WEEK + 1):
        yield ("w", w)


@dataclass
class Lookup:
    """Candidates of one mention, and whether a block was read as a sample only."""

    ids: list[str]
    sampled: bool


@dataclass
class ActiveMentions:
    """Mentions of current, original article versions, blocked on (date bucket, feature)."""

    refs: dict[str, MentionRef] = field(default_factory=dict)
    feats: dict[str, frozenset[str]] = field(default_factory=dict)
    blocks: dict[tuple[Bucket, str], list[tuple[int, str]]] = field(default_factory=dict)

    def add(self, refs: Iterable[MentionRef]) -> None:
        """Index mentions."""
        for r in refs:
            mid = r.mention.mention_id
            if mid in self.refs:
                continue
            self.refs[mid] = r
            self.feats[mid] = frozenset(features(r.mention))
            key = (_rank(mid), mid)
            for bucket in stored_buckets(r):
                for f in self.feats[mid]:
                    insort(self.blocks.setdefault((bucket, f), []), key)

    def remove(self, mention_ids: Iterable[str]) -> None:
        """Forget mentions."""
        for mid in mention_ids:
            r = self.refs.pop(mid, None)
            if r is None:
                continue
            key = (_rank(mid), mid)
            for bucket in stored_buckets(r):
                for f in self.feats[mid]:
                    block = self.blocks[(bucket, f)]
                    i = bisect_left(block, key)
                    if i < len(block) and block[i] == key:
                        del block[i]
                    if not block:
                        del self.blocks[(bucket, f)]
            del self.feats[mid]

    def candidates(self, r: MentionRef, cap: int | None = None, same_span: bool = False) -> Lookup:
        """Active mentions that share a feature with r and whose interval overlaps r's.

        Blocks are read rarest first (the most telling features first, as IDF weighting would
        rank them), each block at most `BLOCK_SAMPLE` deep, until `cap` candidates are found.
        `same_span`: only mentions of exactly r's interval.
        """
        m = r.mention
        own = m.mention_id
        cap = CANDIDATES if cap is None else cap
        lo, hi = m.start.toordinal(), m.end.toordinal()
        wanted = self.feats.get(own) or frozenset(features(m))
        found = []
        for bucket in stored_buckets(r) if same_span else probed_buckets(r):
            for f in wanted:
                block = self.blocks.get((bucket, f))
                if block:
                    found.append((len(block), bucket, f, block))
        found.sort(key=lambda b: (b[0], b[1], b[2]))
        seen: set[str] = {own}
        out: list[str] = []
        sampled = False
        for size, bucket, _, block in found:
            if size > BLOCK_SAMPLE:
                sampled = True
                block = block[:BLOCK_SAMPLE]
            span = bucket[0] == "w"
            for _, mid in block:
                if mid in seen:
                    continue
                seen.add(mid)
                if span or same_span:
                    o = self.refs[mid].mention
                    if o.end.toordinal() < lo or o.start.toordinal() > hi:
                        continue
                    if same_span and (o.start, o.end) != (m.start, m.end):
                        continue
                out.append(mid)
            if len(out) >= cap:
                return Lookup(out[:cap], True)
        return Lookup(out, sampled)

    def component(self, seeds: Iterable[MentionRef], limit: int | None = None) -> set[str] | None:
        """Active mention ids connected to the seeds by chains of compatible pairs.

        None when the component holds more than `limit` mentions or when a block on the way
        was only sampled: the exact component is then not known at a bounded cost.
        """
        out: set[str] = set()
        frontier = list(seeds)
        for r in frontier:
            out.add(r.mention.mention_id)
        if limit is not None and len(out) > limit:
            return None
        while frontier:
            r = frontier.pop()
            found = self.candidates(r)
            if found.sampled:
                return None
            for mid in found.ids:
                if mid in out:
                    continue
                other = self.refs[mid]
                if compatible(r, other) is not None:
                    out.add(mid)
                    frontier.append(other)
            if limit is not None and len(out) > limit:
                return None
        return {mid for mid in out if mid in self.refs}
