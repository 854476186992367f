"""An event's compact summary: what its facts and the bounded path's rules need, never its lists.

`processors.resolution.bounded` keeps one per event up to date as mentions enter and leave, and
the resolver's store keeps it with the event (`Store.summary`), so that taking an event in costs
what its summary holds, not what its members do: counters of its intervals, entities and
languages, its size and number of sources, and a few members by name (the earliest, the latest,
the earliest of each interval). What a rule needs beyond that is asked of the members by key
(`bounded.Working`): whether the event holds a mention of a sentence, whether it still holds a
report of a source, which member is now the earliest when the earliest leaves.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from processors.resolution.coreference import (
    ANCHOR_RANK,
    GRANULARITY_RANK,
    MentionRef,
    event_id_for,
    taking_part,
)
from schemas.timeline import EventFacts

Key = tuple[int, int, date, date]  # (anchor rank, granularity rank, start, end)
OrderKey = tuple[datetime, str, int]  # `MentionRef.order_key`
GRANULARITY = {rank: name for name, rank in GRANULARITY_RANK.items()}
ANCHOR = {rank: name for name, rank in ANCHOR_RANK.items()}
_MISSING = object()


def key_of(r: MentionRef) -> Key:
    m = r.mention
    return (ANCHOR_RANK[m.anchor], GRANULARITY_RANK[m.granularity], m.start, m.end)


def _less(counter: Counter[str], keys: Iterable[str]) -> None:
    for k in keys:
        n = counter[k] - 1
        if n > 0:
            counter[k] = n
        else:
            del counter[k]


@dataclass
class Summary:
    """What `event_state` and the merge rules need of an event, kept up to date per mention.

    A holder (`first`, `last`, an entry of `first_at`) is None while vacant: the member it
    named left and the next one is found at the end of the article (`repair`)."""

    count: int = 0
    sources: int = 0  # distinct canonical URLs (kept by `Working`, which asks the members)
    votes: Counter[Key] = field(default_factory=Counter)
    entities: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    first: tuple[OrderKey, str, str] | None = None  # (order key, mention id, event id)
    last: tuple[OrderKey, str] | None = None
    first_at: dict[Key, tuple[OrderKey, str, str] | None] = field(default_factory=dict)
    # What one article did to it (not stored): where it was loaded from, who entered and left,
    # and the sources to check at the end.
    event_id: str | None = None
    entered: dict[str, MentionRef] = field(default_factory=dict)
    left: set[str] = field(default_factory=set)
    urls: set[str] = field(default_factory=set)
    entered_urls: set[str] = field(default_factory=set)
    left_urls: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, refs: Iterable[MentionRef], sources: bool = True) -> Summary:
        """The summary of a group of mentions, each entered (`sources`: counted here; else
        left to `Working`, which checks the sources it touched at the end of the article)."""
        s = cls()
        for r in refs:
            s.add(r)
        if sources:
            s.sources = len(s.urls)
        return s

    def loaded(self, event_id: str) -> Summary:
        """A working copy of a stored summary, for one article."""
        return Summary(self.count, self.sources, Counter(self.votes), Counter(self.entities),
                       Counter(self.languages), self.first, self.last, dict(self.first_at),
                       event_id)

    @property
    def ranks(self) -> set[int]:
        return {k[1] for k in self.votes}

    @property
    def finest(self) -> int:
        return min(k[1] for k in self.votes)

    @property
    def lo(self) -> date:
        return max(k[2] for k in self.votes)

    @property
    def hi(self) -> date:
        return min(k[3] for k in self.votes)

    @property
    def day(self) -> date | None:
        return max((k[2] for k in self.votes if k[1] == 0), default=None)

    @property
    def vacant(self) -> bool:
        return self.count > 0 and (self.first is None or self.last is None
                                   or None in self.first_at.values())

    def fits(self, r: MentionRef) -> bool:
        """Whether r's date fits the event (one interval, one day; `Working` asks the members
        whether the event already holds r's sentence)."""
        m = r.mention
        if max(self.lo, m.start) > min(self.hi, m.end):
            return False
        day = self.day
        return not (m.granularity == "day" and day is not None and day != m.start)

    def add(self, r: MentionRef) -> None:
        """Take one more mention in."""
        m, mid, ok, k = r.mention, r.mention.mention_id, r.order_key, key_of(r)
        self.count += 1
        self.votes[k] += 1
        self.entities.update(taking_part(m))
        self.languages[r.language] += 1
        if self.count == 1 or (self.first is not None and ok < self.first[0]):
            self.first = (ok, mid, event_id_for(r))
        if self.count == 1 or (self.last is not None and ok > self.last[0]):
            self.last = (ok, mid)
        held = self.first_at.get(k, _MISSING)
        if held is _MISSING or (held is not None and ok < held[0]):  # type: ignore[index]
            self.first_at[k] = (ok, mid, m.summary)
        if mid in self.left:
            self.left.discard(mid)
        else:
            self.entered[mid] = r
        self.urls.add(r.canonical_url)

    def remove(self, r: MentionRef) -> None:
        """Let one member go; a holder it was is vacant until `repair`."""
        m, mid, k = r.mention, r.mention.mention_id, key_of(r)
        self.count -= 1
        self.votes[k] -= 1
        _less(self.entities, taking_part(m))
        _less(self.languages, [r.language])
        if self.first is not None and self.first[1] == mid:
            self.first = None
        if self.last is not None and self.last[1] == mid:
            self.last = None
        if self.votes[k] <= 0:
            del self.votes[k]
            self.first_at.pop(k, None)
        elif (held := self.first_at.get(k)) is not None and held[1] == mid:
            self.first_at[k] = None
        if mid in self.entered:
            del self.entered[mid]
        else:
            self.left.add(mid)
        self.urls.add(r.canonical_url)

    def repair(self, ordered: Callable[[bool], Iterator[MentionRef]]) -> None:
        """Fill the vacant holders from the members in order (`ordered(True)`: earliest first,
        `ordered(False)`: latest first), reading only as far as the first that fits each."""
        if self.count == 0:
            return
        if self.first is None or None in self.first_at.values():
            for r in ordered(True):
                if self.first is None:
                    self.first = (r.order_key, r.mention.mention_id, event_id_for(r))
                k = key_of(r)
                if self.first_at.get(k, _MISSING) is None:
                    self.first_at[k] = (r.order_key, r.mention.mention_id, r.mention.summary)
                if None not in self.first_at.values():
                    break
        if self.last is None:
            r = next(ordered(False))
            self.last = (r.order_key, r.mention.mention_id)

    def facts(self) -> EventFacts:
        """The event, as `event_state` of the members describes it, without its lists."""
        assert self.first is not None and self.last is not None
        anchor = min(k[0] for k in self.votes)
        finest = min(k[1] for k in self.votes if k[0] == anchor)
        votes = {(k[2], k[3]): n for k, n in self.votes.items() if k[:2] == (anchor, finest)}
        (start, end), _ = min(votes.items(), key=lambda kv: (-kv[1], kv[0]))
        held = self.first_at[(anchor, finest, start, end)]
        assert held is not None
        return EventFacts.model_construct(
            event_id=self.first[2], start=start, end=end, granularity=GRANULARITY[finest],
            summary=held[2], entities=sorted(self.entities), mention_count=self.count,
            source_count=self.sources, languages=sorted(self.languages),
            first_reported_at=self.first[0][0], last_reported_at=self.last[0][0],
            anchor=ANCHOR[anchor])

    def stored(self) -> Summary:
        """The summary as kept between articles (what one article did forgotten)."""
        return Summary(self.count, self.sources, self.votes, self.entities, self.languages,
                       self.first, self.last, self.first_at)

    def dumps(self) -> bytes:
        """The stored form (`Store.summary`)."""
        assert self.first is not None and self.last is not None

        def ok(o: OrderKey) -> list[object]:
            return [o[0].isoformat(), o[1], o[2]]

        def key(k: Key) -> list[object]:
            return [k[0], k[1], k[2].isoformat(), k[3].isoformat()]

        return json.dumps({
            "n": self.count, "s": self.sources,
            "votes": [[*key(k), n] for k, n in sorted(self.votes.items())],
            "entities": dict(sorted(self.entities.items())),
            "languages": dict(sorted(self.languages.items())),
            "first": [*ok(self.first[0]), *self.first[1:]], "last": [*ok(self.last[0]),
                                                                     self.last[1]],
            "first_at": [[*key(k), *ok(h[0]), *h[1:]] for k, h in sorted(self.first_at.items())
                         if h is not None]}, separators=(",", ":"), ensure_ascii=False).encode()

    @classmethod
    def loads(cls, raw: bytes | str) -> Summary:
        d = json.loads(raw)

        def ok(v: list[object]) -> OrderKey:
            return (datetime.fromisoformat(str(v[0])), str(v[1]), int(v[2]))  # type: ignore[call-overload]

        def key(v: list[object]) -> Key:
            return (int(v[0]), int(v[1]), date.fromisoformat(str(v[2])),  # type: ignore[call-overload]
                    date.fromisoformat(str(v[3])))

        first, last = d["first"], d["last"]
        return cls(d["n"], d["s"], Counter({key(v): v[4] for v in d["votes"]}),
                   Counter(d["entities"]), Counter(d["languages"]),
                   (ok(first[:3]), first[3], first[4]), (ok(last[:3]), last[3]),
                   {key(v): (ok(v[4:7]), v[7], v[8]) for v in d["first_at"]})
