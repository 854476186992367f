"""The resolver's index of active mentions: which mentions a change can affect, found fast."""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable
from dataclasses import dataclass, field

from processors.resolution.coreference import COARSE, MentionRef, compatible, features


@dataclass
class ActiveMentions:
    """Mentions of current, original article versions, indexed by interval.

    Day mentions sit in per-day buckets; longer ones (week to quarter) in a list sorted by start
    with the longest length as the scan bound; years and decades in per-interval buckets.
    """

    refs: dict[str, MentionRef] = field(default_factory=dict)
    feats: dict[str, set[str]] = field(default_factory=dict)
    days: dict[int, set[str]] = field(default_factory=dict)
    spans: list[tuple[int, str]] = field(default_factory=list)  # (start ordinal, id)
    coarse: dict[tuple[str, int, int], set[str]] = field(default_factory=dict)
    longest: int = 0

    @staticmethod
    def _key(r: MentionRef) -> tuple[str, int, int]:
        m = r.mention
        return (m.granularity, m.start.toordinal(), m.end.toordinal())

    def add(self, refs: Iterable[MentionRef]) -> None:
        """Index mentions."""
        for r in refs:
            mid = r.mention.mention_id
            self.refs[mid] = r
            self.feats[mid] = features(r.mention)
            gran, lo, hi = self._key(r)
            if gran in COARSE:
                self.coarse.setdefault((gran, lo, hi), set()).add(mid)
            elif lo == hi:
                self.days.setdefault(lo, set()).add(mid)
            else:
                insort(self.spans, (lo, mid))
                self.longest = max(self.longest, hi - lo)

    def remove(self, mention_ids: Iterable[str]) -> None:
        """Forget mentions."""
        for mid in mention_ids:
            r = self.refs.pop(mid, None)
            if r is None:
                continue
            del self.feats[mid]
            gran, lo, hi = self._key(r)
            if gran in COARSE:
                self.coarse[(gran, lo, hi)].discard(mid)
            elif lo == hi:
                self.days[lo].discard(mid)
            else:
                i = bisect_left(self.spans, (lo, mid))
                if i < len(self.spans) and self.spans[i] == (lo, mid):
                    del self.spans[i]

    def overlapping(self, r: MentionRef) -> list[str]:
        """Active mentions whose interval overlaps r's (year mentions: the same interval)."""
        gran, lo, hi = self._key(r)
        if gran in COARSE:
            return sorted(self.coarse.get((gran, lo, hi), set()))
        out = [mid for day in range(lo, hi + 1) for mid in self.days.get(day, ())]
        first = bisect_left(self.spans, (lo - self.longest, ""))
        last = bisect_right(self.spans, (hi, "\U0010ffff"))
        out.extend(mid for _, mid in self.spans[first:last]
                   if self.refs[mid].mention.end.toordinal() >= lo)
        return out

    def component(self, seeds: Iterable[MentionRef]) -> set[str]:
        """Active mention ids connected to the seeds by chains of compatible pairs."""
        out: set[str] = set()
        frontier = list(seeds)
        while frontier:
            r = frontier.pop()
            own = r.mention.mention_id
            wanted = self.feats.get(own) or features(r.mention)
            for mid in self.overlapping(r):
                if mid in out:
                    continue
                other = self.refs[mid]
                if mid == own or (wanted & self.feats[mid] and compatible(r, other) is not None):
                    out.add(mid)
                    frontier.append(other)
        return out
