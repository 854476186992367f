"""The resolver's index of active mentions: which mentions a change can affect, found fast.

Mentions are blocked on (date bucket, feature): a mention is found only by mentions whose dates
overlap its own *and* that share one of its names or keywords, which is what `compatible` needs
of any pair. A block is read whole while it is small; a block larger than `BLOCK_SAMPLE` (a name
or keyword that many mentions of that day carry: little evidence, IDF-like) is read as a sample
of `BLOCK_SAMPLE` members, the same ones whatever the arrival order (the smallest by a stable
hash of the mention id), so the cost of a lookup is bounded by what the article touches, not by
how big the day's story is. `docs/event-resolution-at-scale.md` explains the choice.

Bounded memory (`docs/resolver-state.md`, *Memory*): with a `spill` (`block_store.ColdBlocks`),
every block's members are rows on disk, written through as mentions come and go, and memory
keeps only what lookups read: the size and first `BLOCK_SAMPLE` members of the most recently used
blocks (`block_store.HotBlocks`, at most `hot_blocks` units between two articles), and the refs
of the mentions most recently added or read (at most `hot_mentions`); `refs` reads any other active mention
through `loader` (from the stored versions). A restart makes a 7-day page's blocks from the
store (`builder`) when an article first touches it. The index's contents, and so every lookup's
answer, do not depend on what is resident.
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field

from processors.resolution.block_store import (
    BLOCK_SAMPLE,
    HOT_BLOCKS,
    ColdBlocks,
    HotBlocks,
    MemoryBlocks,
)
from processors.resolution.coreference import COARSE, MentionRef, PairScores, Score, features
from schemas.articles import Mention

CANDIDATES = 128  # candidates of one mention at most, when looking for its component
WEEK = 7
PAGE_DAYS = WEEK  # a page of the index, made whole from the store after a restart: 7 days
HOT_MENTIONS = 20_000  # mention refs kept resident between two articles (bounded mode)
# A day bucket also files every mention that has a feature under this key (never a feature:
# those are "e:..." and "k:..."), so a day's size and mentions are one block (`day_mentions`).
# A mention without a date of its own goes under DAY_UNDATED instead: a day's size (what
# decides its settles and its path) stays the count of its dated reports, and a settle still
# replays every mention of the day.
DAY_ALL = "*"
DAY_UNDATED = "~"

Bucket = tuple[str, int] | tuple[str, str, int, int]
Loader = Callable[[str], MentionRef | None]
Builder = Callable[[int], Iterable[MentionRef]]  # page -> the active mentions filed in it
Spill = ColdBlocks


def page_of(bucket: Bucket) -> int:
    """The page of a date bucket: that of its first day (a week never straddles two pages)."""
    if bucket[0] == "d":
        return bucket[1] // PAGE_DAYS  # type: ignore[operator]
    if bucket[0] == "w":
        return bucket[1] * WEEK // PAGE_DAYS  # type: ignore[operator]
    return bucket[2] // PAGE_DAYS  # type: ignore[misc,operator]


class Refs:
    """Active mentions by id: the resident ones, and through `loader` the others (bounded
    index: a mention read so becomes resident; `trim` drops those added or read longest ago.
    A hit does not refresh a ref: that cost a reordering per candidate, and a ref dropped
    while still in use is read again once)."""

    def __init__(self, resident: OrderedDict[str, MentionRef], feats: dict[str, frozenset[str]],
                 loader: Loader | None) -> None:
        self.resident = resident
        self.feats = feats
        self.loader = loader
        self.loads = 0  # refs read through the loader (for the benches)

    def get(self, mention_id: str) -> MentionRef | None:
        r = self.resident.get(mention_id)
        if r is not None or self.loader is None:
            return r
        r = self.loader(mention_id)
        if r is not None:
            self.loads += 1
            self.resident[mention_id] = r
        return r

    def __getitem__(self, mention_id: str) -> MentionRef:
        r = self.resident.get(mention_id) or self.get(mention_id)
        if r is None:
            raise KeyError(mention_id)
        return r

    def __contains__(self, mention_id: object) -> bool:
        return isinstance(mention_id, str) and self.get(mention_id) is not None

    def __len__(self) -> int:
        """Resident mentions only."""
        return len(self.resident)

    def trim(self, cap: int) -> None:
        """Drop the least recently used refs beyond `cap`."""
        while len(self.resident) > cap:
            mid, _ = self.resident.popitem(last=False)
            self.feats.pop(mid, None)


def _rank(mention_id: str) -> int:
    """Stable across processes (unlike `hash`), so samples survive a restart."""
    return zlib.crc32(mention_id.encode())


def stored_buckets(r: MentionRef) -> list[Bucket]:
    """Where a mention is filed: its day, the weeks its span covers, or its exact coarse span."""
    return mention_buckets(r.mention)


def mention_buckets(m: Mention) -> list[Bucket]:
    """`stored_buckets` of a mention, from the mention alone (no `MentionRef` to make)."""
    lo, hi = m.start.toordinal(), m.end.toordinal()
    if m.granularity in COARSE:
        return [("c", m.granularity, lo, hi)]
    if lo == hi:
        return [("d", lo)]
    return [("w", w) for w in range(lo // WEEK, hi // WEEK + 1)]


def filed_under(bucket: Bucket, feats: frozenset[str] | set[str], dated: bool = True
                ) -> Iterator[str]:
    """The keys a mention with these features is filed under in a bucket: its features, and
    `DAY_ALL` in a day bucket (`DAY_UNDATED` for a mention without a date of its own)."""
    yield from feats
    if feats and bucket[0] == "d":
        yield DAY_ALL if dated else DAY_UNDATED


def _dated(r: MentionRef) -> bool:
    return r.mention.anchor == "explicit"


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


Block = tuple[int, Bucket, str, list[tuple[int, str]]]  # size, bucket, feature, first members


@dataclass
class Lookup:
    """Candidates of one mention, and whether a block was read as a sample only."""

    ids: list[str]
    sampled: bool


@dataclass
class ActiveMentions:
    """Mentions of current, original article versions, blocked on (date bucket, feature).

    Unbounded (no `spill`): every block whole and every ref in memory, as a plain index.
    Bounded: see the module's docstring; `trim` (after each article) drops the least recently
    used heads and the oldest refs beyond the caps.
    """

    spill: Spill | None = None
    loader: Loader | None = None
    hot_mentions: int = HOT_MENTIONS
    hot_blocks: int = HOT_BLOCKS
    builder: Builder | None = None  # lazy: the active mentions a page holds, from the store
    resident: OrderedDict[str, MentionRef] = field(default_factory=OrderedDict)
    feats: dict[str, frozenset[str]] = field(default_factory=dict)  # of resident mentions
    built: set[int] = field(default_factory=set)  # lazy: pages made since the start
    builds: int = 0  # pages made from the store (lazy; for the benches)
    scores: Score = field(default_factory=PairScores)  # `compatible` of its mentions (remembered)
    blocks: HotBlocks | MemoryBlocks = field(init=False)
    refs: Refs = field(init=False)

    def __post_init__(self) -> None:
        self.blocks = MemoryBlocks() if self.spill is None else HotBlocks(self.spill,
                                                                          self.hot_blocks)
        self.refs = Refs(self.resident, self.feats,
                         self.loader if self.spill is not None else None)

    def _features(self, r: MentionRef) -> frozenset[str]:
        mid = r.mention.mention_id
        f = self.feats.get(mid)
        if f is None:
            f = frozenset(features(r.mention))
            if mid in self.resident:
                self.feats[mid] = f
        return f

    def _touch(self, buckets: Iterable[Bucket]) -> None:
        """Lazy (after a restart): make the pages of these buckets the index has not made yet."""
        if self.builder is not None:
            for page in sorted({page_of(b) for b in buckets} - self.built):
                self.built.add(page)
                self._build(page)

    def _build(self, page: int) -> None:
        """Make a page the index has never held in this process: the active mentions `builder`
        gives for it, filed in this page's buckets only (a mention that spans several pages is
        filed in the others when they are made)."""
        assert self.builder is not None
        self.builds += 1
        blocks: dict[tuple[Bucket, str], list[tuple[int, str]]] = {}
        for r in self.builder(page):
            key = (_rank(r.mention.mention_id), r.mention.mention_id)
            for bucket in stored_buckets(r):
                if page_of(bucket) == page:
                    for f in filed_under(bucket, features(r.mention), _dated(r)):
                        blocks.setdefault((bucket, f), []).append(key)
        self.blocks.fill(blocks)

    def trim(self) -> None:
        """Drop the least recently used heads and the oldest refs beyond the caps. Called
        between articles only: within one, the refs and block members a lookup returned stay
        resident until it is folded."""
        if self.spill is not None:
            self.blocks.evict()
            self.refs.trim(self.hot_mentions)

    def trim_below(self, page: int) -> None:
        """Rebuilding in page order (`TimelineState.rebuild`): nothing is written when a head
        is dropped (the blocks are written through), so the order no longer matters."""
        self.trim()

    def order_pages(self) -> None:
        """Nothing to order: heads and refs are dropped by recency of use."""

    def add(self, refs: Iterable[MentionRef]) -> None:
        """Index mentions. Their block entries are written together (`insert_many`), after
        every page they touch is made: a page is made from the store and fills only its own
        blocks, so the blocks end the same as with each mention's entries written in turn."""
        entries: list[tuple[Hashable, tuple[int, str]]] = []
        for r in refs:
            mid = r.mention.mention_id
            buckets = stored_buckets(r)
            self._touch(buckets)
            if self.spill is None and mid in self.resident:
                continue
            self.resident[mid] = r
            self.resident.move_to_end(mid)
            key = (_rank(mid), mid)
            feats = self._features(r)
            for bucket in buckets:
                entries.extend(((bucket, f), key)
                               for f in filed_under(bucket, feats, _dated(r)))
        self.blocks.insert_many(entries)

    def remove(self, refs: Iterable[MentionRef]) -> None:
        """Forget mentions."""
        for r in refs:
            mid = r.mention.mention_id
            buckets = stored_buckets(r)
            self._touch(buckets)
            feats = self._features(r)
            if self.resident.pop(mid, None) is None and self.spill is None:
                continue
            self.feats.pop(mid, None)
            key = (_rank(mid), mid)
            for bucket in buckets:
                for f in filed_under(bucket, feats, _dated(r)):
                    self.blocks.remove((bucket, f), key)

    def day_size(self, day: int) -> int:
        """How many mentions with a date of their own and a feature a day holds
        (day-granularity mentions only)."""
        self._touch([("d", day)])
        return self.blocks.get((("d", day), DAY_ALL))[0]

    def day_mentions(self, day: int) -> list[str]:
        """Those mentions' ids and those of the day's mentions without a date of their own
        (a settle reads them all: `processors.resolution.settle`)."""
        self._touch([("d", day)])
        return [mid for key in (DAY_ALL, DAY_UNDATED)
                for _, mid in self.blocks.members((("d", day), key))]

    def candidates(self, r: MentionRef, cap: int | None = None, same_span: bool = False) -> Lookup:
        """Active mentions that share a feature with r and whose interval overlaps r's.

        Blocks are read rarest first (the most telling features first, as IDF weighting would
        rank them), each block at most `BLOCK_SAMPLE` deep, until `cap` candidates are found.
        `same_span`: only mentions of exactly r's interval.
        """
        return self._read(r, self._blocks(r, same_span), cap, same_span)

    def scored(self, r: MentionRef, ids: list[str]) -> list[tuple[str, float]]:
        """The mentions of `ids` compatible with r, with their scores (`scores`; a settle's
        `DayScores` scores them all in one call: a replay scores some 40 per mention)."""
        many = getattr(self.scores, "many", None)
        if many is not None:
            return many(r, ids)  # type: ignore[no-any-return]
        refs, score = self.refs, self.scores
        return [(mid, s) for mid in ids if (s := score(r, refs[mid])) is not None]

    def _blocks(self, r: MentionRef, same_span: bool = False) -> list[Block]:
        """The non-empty blocks a lookup of r reads, (size, bucket, feature, first members),
        smallest first."""
        buckets = stored_buckets(r) if same_span else list(probed_buckets(r))
        self._touch(buckets)
        wanted = self._features(r)
        found = []
        for bucket in buckets:
            for f in wanted:
                size, block = self.blocks.get((bucket, f))
                if size:
                    found.append((size, bucket, f, block))
        found.sort(key=lambda b: (b[0], b[1], b[2]))
        return found

    def _read(self, r: MentionRef, found: list[Block], cap: int | None = None,
              same_span: bool = False) -> Lookup:
        """`candidates` from the blocks `_blocks` found."""
        m = r.mention
        cap = CANDIDATES if cap is None else cap
        lo, hi = m.start.toordinal(), m.end.toordinal()
        seen: set[str] = {m.mention_id}
        out: list[str] = []
        sampled = False
        for size, bucket, _, block in found:
            if size > BLOCK_SAMPLE:
                sampled = True
                block = block[:BLOCK_SAMPLE]
            # Only a week bucket holds mentions of other intervals (a day bucket holds the
            # mentions of exactly that day, a coarse one those of exactly its span): only there
            # is a member's interval read, which may read its article (a ref not resident).
            if bucket[0] != "w":  # its members are distinct (one entry per mention)
                fresh = [mid for _, mid in block if mid not in seen]
                seen.update(fresh)
                out.extend(fresh)
            else:
                for _, mid in block:
                    if mid in seen:
                        continue
                    seen.add(mid)
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
        # Every seed is expanded unless the answer is None, so a seed with a block larger than
        # a sample makes it None whatever the order: told from the blocks' sizes alone, before
        # any member is read or scored.
        seed_blocks: dict[str, list[Block]] = {}
        for r in frontier:
            blocks = seed_blocks[r.mention.mention_id] = self._blocks(r)
            if blocks and blocks[-1][0] > BLOCK_SAMPLE:
                return None
        while frontier:
            r = frontier.pop()
            blocks = seed_blocks.pop(r.mention.mention_id, []) or self._blocks(r)
            if blocks and blocks[-1][0] > BLOCK_SAMPLE:  # its lookup would be sampled
                return None
            found = self._read(r, blocks)
            if found.sampled:
                return None
            for mid in found.ids:
                if mid in out:
                    continue
                other = self.refs[mid]
                if self.scores(r, other) is not None:
                    out.add(mid)
                    frontier.append(other)
            if limit is not None and len(out) > limit:
                return None
        return {mid for mid in out if mid in self.refs}
