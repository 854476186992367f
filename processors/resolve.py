"""Event resolution: which mentions report the same real-world event.

Pure and order-independent: the clusters are a function of the *set* of mentions (candidate pairs
are scored and merged in a canonical order), so any arrival order gives the same timeline.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from schemas.articles import Mention
from schemas.timeline import EventState

GRANULARITY_RANK = {"day": 0, "week": 1, "part-of-month": 2, "month": 3, "season": 4,
                    "quarter": 5, "year": 6, "decade": 7}
SAME_DATE_EVIDENCE = 1.0      # two reports of one precise date: one shared entity or two keywords
COARSE_EVIDENCE = 2.0         # an imprecise report joins a precise event only on strong evidence


@dataclass(frozen=True, slots=True)
class MentionRef:
    """A mention with the facts about its article that resolution needs."""

    mention: Mention
    version_id: str
    canonical_url: str
    language: str
    published_at: datetime

    @property
    def order_key(self) -> tuple[datetime, str, int]:
        """Earliest-reported first; ties broken by ids, never by arrival."""
        return (self.published_at, self.version_id, self.mention.start_char)

    @property
    def sentence_key(self) -> tuple[str, int]:
        """Identifies the sentence: two dates in one sentence are two different events."""
        return (self.version_id, self.mention.sentence_start)


@dataclass(frozen=True, slots=True)
class Evidence:
    """How much two mentions' sentences say they report the same thing."""

    score: float
    shared_entities: int
    shared_keywords: int


def evidence(a: Mention, b: Mention, common: frozenset[str] = frozenset()) -> Evidence:
    """Shared names and keywords, weighted by how specific they are.

    A person or organisation named in both sentences counts 1 (a place 0.5); named only in the
    neighbouring sentences or the title, half that. A keyword counts 0.5 unless it is `common`
    (found in most articles of the story, like "junta"), when it says nothing.
    """
    places = set(a.places) | set(b.places)
    own_a, own_b = set(a.entities), set(b.entities)
    ctx_a, ctx_b = own_a | set(a.context_entities), own_b | set(b.context_entities)
    shared = own_a & own_b
    context = (ctx_a & ctx_b) - shared
    kws = (set(a.keywords) & set(b.keywords)) - common
    score = sum(0.5 if e in places else 1.0 for e in shared)
    score += sum(0.25 if e in places else 0.5 for e in context)
    score += 0.5 * len(kws)
    return Evidence(score, len(shared), len(kws))


def compatible(a: MentionRef, b: MentionRef, common: frozenset[str] = frozenset()) -> float | None:
    """Evidence that a and b are one event, or None when they cannot be."""
    ma, mb = a.mention, b.mention
    if a.sentence_key == b.sentence_key:
        return None
    if ma.end < mb.start or mb.end < ma.start:
        return None
    ev = evidence(ma, mb, common)
    if (ma.start, ma.end) == (mb.start, mb.end):
        return ev.score if ev.score >= SAME_DATE_EVIDENCE else None
    inner, outer = (ma, mb) if ma.end - ma.start <= mb.end - mb.start else (mb, ma)
    contained = outer.start <= inner.start and inner.end <= outer.end
    if not contained or GRANULARITY_RANK[outer.granularity] > GRANULARITY_RANK["month"]:
        return None
    # Two dates of different precision in one article are two things the article tells apart.
    if a.version_id == b.version_id:
        return None
    strong = ev.score >= COARSE_EVIDENCE and ev.shared_entities >= 1 and ev.shared_keywords >= 1
    return ev.score if strong else None


def common_keywords(refs: list[MentionRef]) -> frozenset[str]:
    """Keywords found in more than half of the articles (with at least three articles)."""
    versions: dict[str, set[str]] = {}
    for r in refs:
        versions.setdefault(r.version_id, set()).update(r.mention.keywords)
    if len(versions) < 3:
        return frozenset()
    counts = Counter(k for kws in versions.values() for k in kws)
    return frozenset(k for k, n in counts.items() if n > len(versions) / 2)


class _Clusters:
    """Union-find whose merges keep a cluster consistent (one interval, no shared sentence)."""

    def __init__(self, refs: list[MentionRef]) -> None:
        self.parent = list(range(len(refs)))
        self.members = {i: [i] for i in range(len(refs))}
        self.refs = refs

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def try_merge(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri == rj:
            return
        merged = self.members[ri] + self.members[rj]
        refs = [self.refs[k] for k in merged]
        if len({r.sentence_key for r in refs}) < len(refs):
            return
        if max(r.mention.start for r in refs) > min(r.mention.end for r in refs):
            return
        if len({r.mention.start for r in refs if r.mention.granularity == "day"}) > 1:
            return
        root, other = min(ri, rj), max(ri, rj)
        self.parent[other] = root
        self.members[root] = sorted(merged)
        del self.members[other]


def cluster_mentions(refs: list[MentionRef]) -> list[list[MentionRef]]:
    """Group mentions into events; each group is sorted earliest-reported first."""
    refs = sorted(refs, key=lambda r: r.order_key)
    common = common_keywords(refs)
    by_start = sorted(range(len(refs)), key=lambda i: (refs[i].mention.start, i))
    pairs: list[tuple[float, int, int]] = []
    for pos, i in enumerate(by_start):
        a = refs[i]
        for j in by_start[pos + 1:]:
            b = refs[j]
            if b.mention.start > a.mention.end:
                break
            if "year" in (a.mention.granularity, b.mention.granularity) and \
                    a.mention.granularity != b.mention.granularity:
                continue
            score = compatible(a, b, common)
            if score is not None:
                pairs.append((-score, min(i, j), max(i, j)))
    clusters = _Clusters(refs)
    for _, i, j in sorted(pairs):
        clusters.try_merge(i, j)
    return [[refs[k] for k in members] for _, members in sorted(clusters.members.items())]


def event_id_for(founding: MentionRef) -> str:
    """Stable id of an event: derived from its earliest-reported mention."""
    return "ev-" + hashlib.sha256(founding.mention.mention_id.encode()).hexdigest()[:16]


def event_state(group: list[MentionRef]) -> EventState:
    """The event a group of mentions describes: the most precise date its reports agree on."""
    finest = min(GRANULARITY_RANK[r.mention.granularity] for r in group)
    precise = [r for r in group if GRANULARITY_RANK[r.mention.granularity] == finest]
    votes = Counter((r.mention.start, r.mention.end) for r in precise)
    (start, end), _ = min(votes.items(), key=lambda kv: (-kv[1], kv[0]))
    founding = group[0]
    summary_ref = next(r for r in group if (r.mention.start, r.mention.end) == (start, end))
    return EventState(
        event_id=event_id_for(founding), start=start, end=end,
        granularity=precise[0].mention.granularity, summary=summary_ref.mention.summary,
        entities=sorted({e for r in group for e in r.mention.entities}),
        mention_ids=sorted(r.mention.mention_id for r in group),
        sources=sorted({r.canonical_url for r in group}),
        languages=sorted({r.language for r in group}),
        first_reported_at=min(r.published_at for r in group),
        last_reported_at=max(r.published_at for r in group),
    )


def resolve_events(refs: list[MentionRef]) -> dict[str, EventState]:
    """Event id -> state for a set of mentions."""
    events = (event_state(group) for group in cluster_mentions(refs))
    return {e.event_id: e for e in events}


