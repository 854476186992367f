"""The resolver's index of active mentions: which mentions a change can affect, found fast.

Mentions are blocked on (date bucket, feature): a mention is found only by mentions whose dates
overlap its own *and* that share one of its names or keywords, which is what `compatible` needs
of any pair. A block is read whole while it is small; a block larger than `BLOCK_SAMPLE` (a name
or keyword that many mentions of that day carry: little evidence, IDF-like) is read as a sample
of `BLOCK_SAMPLE` members, the same ones whatever the arrival order (the smallest by a stable
hash of the mention id), so the cost of a lookup is bounded by what the article touches, not by
how big the day's story is. `docs/event-resolution-at-scale.md` explains the choice.

Bounded memory (`docs/resolver-state.md`, *Memory*): with a `spill`, the index is kept in pages of
`PAGE_DAYS` days (a date bucket belongs to the page of its first day). Between two articles
(`trim`), the pages that the last `keep_recent` articles touched stay resident, and of the
others the most recently used, up to `hot_mentions` mentions in all; the rest are written whole
to the spill (blocks, the mentions' refs and features) and read back when an article's dates
reach them. (A hot story's weeks can hold more than `hot_mentions` mentions between them: with
the cap alone every article wrote a whole week out and read another back.) `refs` then
answers for every active mention: a resident one from memory, a cold one through `loader` (from
the stored versions). The index's contents, and so every lookup's answer, do not depend on
what is resident.
"""

from __future__ import annotations

import pickle  # noqa: S403 - the spill is this process's own temporary file
import zlib
from bisect import bisect_left, insort
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from processors.resolution.coreference import COARSE, MentionRef, PairScores, features

BLOCK_SAMPLE = 64  # members of one (date bucket, feature) block a lookup reads at most
CANDIDATES = 128  # candidates of one mention at most, when looking for its component
WEEK = 7
PAGE_DAYS = WEEK  # a page of the index: the date buckets of seven days
HOT_MENTIONS = 50_000  # mentions kept resident between two articles, beyond the recent pages
KEEP_RECENT = 256  # pages touched by the last this-many articles stay resident (bounded mode)

Bucket = tuple[str, int] | tuple[str, str, int, int]
Loader = Callable[[str], MentionRef | None]
Builder = Callable[[int], Iterable[MentionRef]]  # page -> the active mentions filed in it


class Spill(Protocol):
    """Where cold pages go: bytes by page number (`processors/resolution/cold_pages.py`)."""

    def put(self, page: int, blob: bytes) -> None:
        """Keep a page."""
        ...

    def take(self, page: int) -> bytes | None:
        """Give a page back and forget it; None if it was never put."""
        ...


def page_of(bucket: Bucket) -> int:
    """The page of a date bucket: that of its first day (a week never straddles two pages)."""
    if bucket[0] == "d":
        return bucket[1] // PAGE_DAYS  # type: ignore[operator]
    if bucket[0] == "w":
        return bucket[1] * WEEK // PAGE_DAYS  # type: ignore[operator]
    return bucket[2] // PAGE_DAYS  # type: ignore[misc,operator]


class Refs:
    """Active mentions by id: the resident ones, and through `loader` the cold ones. A cold one
    brings its pages back (`touch`): the other members of its event are on the same pages."""

    def __init__(self, resident: dict[str, MentionRef], loader: Loader | None,
                 touch: Callable[[Iterable[Bucket]], None]) -> None:
        self.resident = resident
        self.loader = loader
        self.touch = touch

    def _cold(self, mention_id: str) -> MentionRef | None:
        if self.loader is None:
            return None
        r = self.loader(mention_id)
        if r is not None:
            self.touch(stored_buckets(r))
        return r

    def __getitem__(self, mention_id: str) -> MentionRef:
        r = self.resident.get(mention_id) or self._cold(mention_id)
        if r is None:
            raise KeyError(mention_id)
        return r

    def __contains__(self, mention_id: object) -> bool:
        if mention_id in self.resident:
            return True
        return isinstance(mention_id, str) and self._cold(mention_id) is not None

    def __len__(self) -> int:
        """Resident mentions only."""
        return len(self.resident)


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
    """Mentions of current, original article versions, blocked on (date bucket, feature).

    Unbounded (no `spill`): every page resident, as a plain index. Bounded: see the module's
    docstring; `trim` (after each article) writes the least recently used pages out.
    """

    resident: dict[str, MentionRef] = field(default_factory=dict)
    feats: dict[str, frozenset[str]] = field(default_factory=dict)
    blocks: dict[tuple[Bucket, str], list[tuple[int, str]]] = field(default_factory=dict)
    spill: Spill | None = None
    loader: Loader | None = None
    hot_mentions: int = HOT_MENTIONS
    keep_recent: int = KEEP_RECENT
    pages: OrderedDict[int, set[str]] = field(default_factory=OrderedDict)  # resident, LRU first
    touched: dict[int, int] = field(default_factory=dict)  # page -> the article that last did
    articles: int = 0  # articles trimmed after so far
    cold: set[int] = field(default_factory=set)
    builder: Builder | None = None  # lazy: the active mentions a page holds, from the store
    built: set[int] = field(default_factory=set)  # lazy: pages made since the start
    loads: int = 0  # pages read back from the spill (for the benches)
    writes: int = 0  # pages written to the spill (for the benches)
    builds: int = 0  # pages made from the store (lazy; for the benches)
    scores: PairScores = field(default_factory=PairScores)  # `compatible` of its mentions
    refs: Refs = field(init=False)

    def __post_init__(self) -> None:
        self.refs = Refs(self.resident, self.loader if self.spill is not None else None,
                         self._touch)

    def _touch(self, buckets: Iterable[Bucket]) -> None:
        """Make the pages of these buckets resident (reading cold ones back), most recent."""
        for page in {page_of(b) for b in buckets}:
            self.touched[page] = self.articles
            if page in self.pages:
                self.pages.move_to_end(page)
            elif page in self.cold:
                self.pages[page] = self._read(page)
            elif self.builder is not None and page not in self.built:
                self.built.add(page)
                self.pages[page] = self._build(page)
            else:
                self.built.add(page)
                self.pages[page] = set()

    def _build(self, page: int) -> set[str]:
        """Make a page the index has never held in this process (lazy: after a restart): the
        active mentions `builder` gives for it, filed in this page's buckets only (a mention
        that spans several pages is filed in the others when they are made)."""
        assert self.builder is not None
        self.builds += 1
        members: set[str] = set()
        for r in self.builder(page):
            mid = r.mention.mention_id
            if mid not in self.resident:
                self.resident[mid] = r
                self.feats[mid] = frozenset(features(r.mention))
            key = (_rank(mid), mid)
            for bucket in stored_buckets(r):
                if page_of(bucket) == page:
                    for f in self.feats[mid]:
                        block = self.blocks.setdefault((bucket, f), [])
                        i = bisect_left(block, key)
                        if i == len(block) or block[i] != key:
                            block.insert(i, key)
                    members.add(mid)
        return members

    def _read(self, page: int) -> set[str]:
        assert self.spill is not None
        blob = self.spill.take(page)
        self.cold.discard(page)
        self.loads += 1
        if blob is None:
            return set()
        refs, feats, blocks = pickle.loads(blob)  # noqa: S301 - written by `_write` below
        for mid, r in refs.items():
            if mid not in self.resident:
                self.resident[mid] = r
                self.feats[mid] = feats[mid]
        self.blocks.update(blocks)
        return set(refs)

    def _write(self, page: int) -> None:
        """Move a resident page to the spill; drop the mentions no resident page holds."""
        assert self.spill is not None
        members = self.pages.pop(page)
        refs = {mid: self.resident[mid] for mid in members}
        feats = {mid: self.feats[mid] for mid in members}
        blocks = {}
        for mid, r in refs.items():
            for bucket in stored_buckets(r):
                if page_of(bucket) == page:
                    for f in feats[mid]:
                        key = (bucket, f)
                        if key not in blocks:
                            blocks[key] = self.blocks.pop(key)
        if members:
            self.spill.put(page, pickle.dumps((refs, feats, blocks), pickle.HIGHEST_PROTOCOL))
            self.cold.add(page)
            self.writes += 1
        for mid, r in refs.items():
            if not any(page_of(b) in self.pages for b in stored_buckets(r)):
                del self.resident[mid]
                del self.feats[mid]

    def trim(self) -> None:
        """Write the least recently used pages out until at most `hot_mentions` mentions are
        resident or the pages left were touched by the last `keep_recent` articles. Called
        between articles only: within one, the refs and block members a lookup returned stay
        resident until it is folded."""
        if self.spill is not None:
            recent = self.articles - self.keep_recent
            for page in list(self.pages):  # least recently touched first
                if len(self.resident) <= self.hot_mentions or self.touched.get(page, -1) > recent:
                    break
                self._write(page)
                self.touched.pop(page, None)
        self.articles += 1

    def trim_below(self, page: int) -> None:
        """Rebuilding in page order (`TimelineState.rebuild`): write out the resident pages
        before `page`, lowest first, until at most `hot_mentions` mentions are resident. Those
        pages are complete (no mention still to add reaches them), so each goes out once; the
        pages from `page` on stay, even past the cap, as they are still being filled."""
        if self.spill is not None and len(self.resident) > self.hot_mentions:
            for p in sorted(p for p in self.pages if p < page):
                if len(self.resident) <= self.hot_mentions:
                    break
                self._write(p)

    def order_pages(self) -> None:
        """Make the resident pages' recency their date order (the newest most recent): after a
        rebuild, so that `trim` writes the oldest out first."""
        for p in sorted(self.pages):
            self.pages.move_to_end(p)

    def add(self, refs: Iterable[MentionRef]) -> None:
        """Index mentions."""
        for r in refs:
            mid = r.mention.mention_id
            buckets = stored_buckets(r)
            if self.spill is not None:
                self._touch(buckets)
            if mid in self.resident:
                continue
            self.resident[mid] = r
            self.feats[mid] = feats = frozenset(features(r.mention))
            key = (_rank(mid), mid)
            for bucket in buckets:
                if self.spill is not None:
                    self.pages[page_of(bucket)].add(mid)
                for f in feats:
                    insort(self.blocks.setdefault((bucket, f), []), key)

    def remove(self, refs: Iterable[MentionRef]) -> None:
        """Forget mentions."""
        for r in refs:
            mid = r.mention.mention_id
            buckets = stored_buckets(r)
            if self.spill is not None:
                self._touch(buckets)
            if self.resident.pop(mid, None) is None:
                continue
            key = (_rank(mid), mid)
            for bucket in buckets:
                if self.spill is not None:
                    self.pages[page_of(bucket)].discard(mid)
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
        buckets = stored_buckets(r) if same_span else list(probed_buckets(r))
        if self.spill is not None:
            self._touch(buckets)
        wanted = self.feats.get(own) or frozenset(features(m))
        found = []
        for bucket in buckets:
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
                    o = self.resident[mid].mention
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
                other = self.resident[mid]
                if self.scores(r, other) is not None:
                    out.add(mid)
                    frontier.append(other)
            if limit is not None and len(out) > limit:
                return None
        return {mid for mid in out if mid in self.refs}
