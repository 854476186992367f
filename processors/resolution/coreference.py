"""Event resolution: which mentions report the same real-world event.

Pure and order-independent: the clusters are a function of the *set* of mentions (candidate pairs
are scored and merged in a canonical order), so any arrival order gives the same timeline.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

from schemas.articles import Mention
from schemas.timeline import EventState

GRANULARITY_RANK = {"day": 0, "week": 1, "part-of-month": 2, "month": 3, "season": 4,
                    "quarter": 5, "year": 6, "decade": 7}
SAME_DATE_EVIDENCE = 1.0      # two reports of one precise date: one shared entity or two keywords
COARSE_EVIDENCE = 2.0         # an imprecise report joins a precise event only on strong evidence
# A mention without a date of its own joins a report of another article only on evidence this
# strong (two names and two keywords, three names...; tuned on ECB+ topics 1-35: 1.5 and 2.5
# linked more article pairs at a lower precision, docs/evaluation-ecbplus.md)
UNDATED_EVIDENCE = 3.0
# How a mention was dated, best first: a date in its own sentence, the passage's last date,
# its article's day, none.
ANCHOR_RANK = {"explicit": 0, "narrative": 1, "publication": 2, "none": 3}


@dataclass(frozen=True, slots=True)
class MentionRef:
    """A mention with the facts about its article that resolution needs."""

    mention: Mention
    version_id: str
    canonical_url: str
    language: str
    published_at: datetime
    sets: _Sets = field(init=False, repr=False, compare=False)
    order_key: tuple[datetime, str, int] = field(init=False, repr=False, compare=False)
    """Earliest-reported first; ties broken by ids, never by arrival."""
    sentence_key: tuple[str, int] = field(init=False, repr=False, compare=False)
    """Identifies the sentence: two dates in one sentence are two different events. Made
    once (read for every pair the resolver scores and every merge it tries)."""

    def __post_init__(self) -> None:
        m = self.mention
        object.__setattr__(self, "sets", _Sets.of(m))
        object.__setattr__(self, "order_key", (self.published_at, self.version_id, m.start_char))
        object.__setattr__(self, "sentence_key", (self.version_id, m.sentence_start))


@dataclass(frozen=True, slots=True)
class Evidence:
    """How much two mentions' sentences say they report the same thing."""

    score: float
    named: int        # shared people and organisations (in the sentences or around them)
    places: int       # places named in both sentences themselves
    keywords: int     # shared keywords


@dataclass(frozen=True, slots=True)
class _Sets:
    """A mention's names and keywords as sets, made once per mention (evidence is hot)."""

    own: frozenset[str]
    near: frozenset[str]  # own and context entities
    places: frozenset[str]
    keywords: frozenset[str]

    @classmethod
    def of(cls, m: Mention) -> _Sets:
        own = frozenset(m.entities)
        return cls(own, own.union(m.context_entities), frozenset(m.places),
                   frozenset(m.keywords))


def evidence(a: Mention, b: Mention) -> Evidence:
    """Shared names and keywords, weighted by how specific they are.

    A person or organisation named in both sentences counts 1 (a place 0.5); named only in the
    neighbouring sentences or the title, half that. Each shared keyword counts 0.5.
    """
    return _evidence(_Sets.of(a), _Sets.of(b))


def _evidence(a: _Sets, b: _Sets) -> Evidence:
    return Evidence(*_weights(a, b))


def _weights(a: _Sets, b: _Sets) -> tuple[float, int, int, int]:
    """`Evidence`'s fields as a tuple (score, named, places, keywords): the resolver's hottest
    function, made without building the dataclass."""
    # Counted by set sizes rather than summed name by name: every weight is a multiple of
    # 0.25, so the score is exactly the same float.
    places = a.places | b.places
    shared = a.own & b.own
    context = (a.near & b.near) - shared
    kws = len(a.keywords & b.keywords)
    shared_places = len(shared & places)
    context_places = len(context & places)
    named = len(shared) - shared_places + len(context) - context_places
    score = (len(shared) - shared_places + 0.5 * shared_places
             + 0.5 * (len(context) - context_places) + 0.25 * context_places + 0.5 * kws)
    return score, named, shared_places, kws


def compatible(a: MentionRef, b: MentionRef) -> float | None:
    """Evidence that a and b are one event, or None when they cannot be.

    Depends on a and b alone, never on what else is known: that is what lets the resolver
    recompute only the part of the timeline an article touches. The evidence is counted only
    once the anchors and the dates have not ruled the pair out.
    """
    ma, mb = a.mention, b.mention
    if a.sentence_key == b.sentence_key:
        return None
    if ma.end < mb.start or mb.end < ma.start:
        return None
    if ma.anchor != "explicit" or mb.anchor != "explicit":
        return _undated_join(a, b)
    # What each date dates: a statement (said, indiqué) and what it is about (travel, se rendre)
    # share the sentence's names and words, but are two events.
    contrary = (ma.predicate_kind is not None and mb.predicate_kind is not None
                and ma.predicate_kind != mb.predicate_kind)
    if ma.start == mb.start and ma.end == mb.end:
        score, named, places, keywords = _weights(a.sets, b.sets)
        # A year is no precise date: two reports of one year that share a name ("Ford ... this
        # year") are two of its events unless they share words too.
        if contrary or ma.granularity in COARSE:
            return score if _strong(score, named, keywords) else None
        # Places alone are weak (a story's places recur in all its events): a shared place
        # needs to be in both sentences and come with a shared keyword.
        specific = named >= 1 or (places >= 1 and keywords >= 1)
        return score if score >= SAME_DATE_EVIDENCE and specific else None
    if contrary:
        return None
    if "year" in (ma.granularity, mb.granularity) or "decade" in (ma.granularity, mb.granularity):
        return None
    inner, outer = (ma, mb) if ma.end - ma.start <= mb.end - mb.start else (mb, ma)
    contained = outer.start <= inner.start and inner.end <= outer.end
    if not contained or GRANULARITY_RANK[outer.granularity] > GRANULARITY_RANK["month"]:
        return None
    # Two dates of different precision in one article are two things the article tells apart.
    if a.version_id == b.version_id:
        return None
    score, named, _, keywords = _weights(a.sets, b.sets)
    return score if _strong(score, named, keywords) else None


def _undated_join(a: MentionRef, b: MentionRef) -> float | None:
    """Evidence that a mention without a date of its own (dated from its passage or its
    article's day) reports the same event as a mention of another article, or None.

    Only a report of exactly its dates that names the event by the same word (`event_key`:
    "died", "the death"; a verb of saying has none) and shares a name: an undated report of an
    event joins the dated event it reports; the mention's borrowed date never makes an event of
    another day or precision (an event's date comes from its best-anchored mentions).
    """
    ma, mb = a.mention, b.mention
    if a.canonical_url == b.canonical_url or (ma.start, ma.end) != (mb.start, mb.end):
        return None
    if ma.event_key is None or ma.event_key != mb.event_key:
        return None
    score, named, _, _ = _weights(a.sets, b.sets)
    return score if named >= 1 and score >= UNDATED_EVIDENCE else None


def _strong(score: float, named: int, keywords: int) -> bool:
    """Evidence strong enough for an imprecise report to join a precise one."""
    return score >= COARSE_EVIDENCE and named >= 1 and keywords >= 1


Score = Callable[[MentionRef, MentionRef], "float | None"]
PAIR_SCORES = 1 << 15  # pairs remembered by a `PairScores` (at most about 8 MB)
_UNKNOWN = object()


class PairScores:
    """`compatible`, remembered by the pair's mention ids.

    The resolver reclusters an article's whole component (up to `COMPONENT_LIMIT` mentions)
    for each article that touches it, so most pairs it scores it scored for the previous
    article of the story. `compatible` depends on the two mentions alone, so a pair's score
    never changes: the ids must name one mention each, as they do in one resolver's state
    (`ActiveMentions` keys its mentions by id). At `cap` pairs, the quarter scored first is
    forgotten (a hot story's pairs are scored again once, then kept).
    """

    def __init__(self, cap: int | None = None) -> None:
        self.cap = PAIR_SCORES if cap is None else cap
        self.scores: dict[tuple[str, str], float | None] = {}
        self.calls = self.misses = 0  # for the benches

    def __call__(self, a: MentionRef, b: MentionRef) -> float | None:
        self.calls += 1
        x, y = a.mention.mention_id, b.mention.mention_id
        key = (x, y) if x < y else (y, x)  # `compatible` is symmetric
        score = self.scores.get(key, _UNKNOWN)
        if score is _UNKNOWN:
            self.misses += 1
            if len(self.scores) >= self.cap:
                for old in list(islice(self.scores, max(1, self.cap // 4))):
                    del self.scores[old]
            score = self.scores[key] = compatible(a, b)
        return score  # type: ignore[return-value]


class _Clusters:
    """Union-find whose merges keep a cluster consistent (one interval, no shared sentence) and
    refuse chains: two clusters merge only if most articles of the smaller one have a mention
    compatible with the other one (one bridging pair is not enough)."""

    def __init__(self, refs: list[MentionRef], pairs: list[tuple[float, int, int]]) -> None:
        self.parent = list(range(len(refs)))
        self.members = {i: [i] for i in range(len(refs))}
        self.refs = refs
        self.linked: dict[int, set[int]] = {}
        for _, i, j in pairs:
            self.linked.setdefault(i, set()).add(j)
            self.linked.setdefault(j, set()).add(i)

    def _supported(self, a: list[int], b: list[int]) -> bool:
        articles_a = {self.refs[k].version_id for k in a}
        articles_b = {self.refs[k].version_id for k in b}
        small, other = (a, b) if (len(articles_a), a[0]) <= (len(articles_b), b[0]) else (b, a)
        other_set = set(other)
        articles = {self.refs[k].version_id for k in small}
        linked = {self.refs[k].version_id for k in small if self.linked.get(k, set()) & other_set}
        return 2 * len(linked) >= len(articles)

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
        if not self._supported(self.members[ri], self.members[rj]):
            return
        root, other = min(ri, rj), max(ri, rj)
        self.parent[other] = root
        self.members[root] = sorted(merged)
        del self.members[other]


COARSE = frozenset({"year", "decade"})


def taking_part(m: Mention) -> list[str]:
    """The names an event of this mention is about: its participants (``Mention.participants``:
    the names of its word's clause), else all its sentence's names. Evidence reads
    ``entities``, all of the sentence's: they tell which story a sentence belongs to, and
    resolving on participants alone was measured less precise (ECB+ article pairs P 0.900 ->
    0.883, docs/evaluation-semeval.md, "Whose event a word is")."""
    return m.entities if m.participants is None else m.participants


def features(m: Mention) -> set[str]:
    """Names and keywords: two mentions with none in common are never one event.

    A mention without a date of its own (anchor other than explicit) is filed only under its
    names qualified by its word's key (`e:Name|kill`): it is compared only with reports of the
    same event word that share a name (`_undated_join`), and it never crowds the blocks the
    dated reports are looked up in. A dated report with a key is filed under those too, so an
    undated report finds it; one without a key (a verb of saying) joins nothing undated.
    """
    names = {f"e:{e}" for e in (*m.entities, *m.context_entities)}
    keyed = set() if m.event_key is None else {f"{n}|{m.event_key}" for n in names}
    if m.anchor != "explicit":
        return keyed
    return names | {f"k:{k}" for k in m.keywords} | keyed


def candidate_pairs(refs: list[MentionRef], score_of: Score = compatible
                    ) -> list[tuple[float, int, int]]:
    """(-score, i, j) for every compatible pair; only pairs sharing a feature are scored
    (by `score_of`: `compatible` or a `PairScores`)."""
    index: dict[str, list[int]] = {}
    for i, r in enumerate(refs):
        for f in features(r.mention):
            index.setdefault(f, []).append(i)
    seen: set[tuple[int, int]] = set()
    pairs = []
    for members in index.values():
        for x, i in enumerate(members):
            for j in members[x + 1:]:
                if (i, j) in seen:
                    continue
                seen.add((i, j))
                score = score_of(refs[i], refs[j])
                if score is not None:
                    pairs.append((-score, i, j))
    return pairs


def one_to_one(refs: list[MentionRef], pairs: list[tuple[float, int, int]]
               ) -> list[tuple[float, int, int]]:
    """The pairs without the containment pairs an exact same-date pair overrides.

    Between two sentences, a date pairs with the same date first: once « lundi 4 septembre »
    has "on Monday" (4 Sep) in the other sentence, it does not pair with that sentence's "this
    month" too, nor does "this month" pair with any other date of the first. A dropped pair's
    mentions have an exact partner compatible with them, so they are in the same component
    whatever the seeds: the rule reads nothing outside the component being clustered.
    """
    paired: set[tuple[int, tuple[str, int]]] = set()
    for _, i, j in pairs:
        mi, mj = refs[i].mention, refs[j].mention
        if (mi.start, mi.end) == (mj.start, mj.end):
            paired.add((i, refs[j].sentence_key))
            paired.add((j, refs[i].sentence_key))
    if not paired:
        return pairs
    return [(s, i, j) for s, i, j in pairs
            if (refs[i].mention.start, refs[i].mention.end)
            == (refs[j].mention.start, refs[j].mention.end)
            or ((i, refs[j].sentence_key) not in paired
                and (j, refs[i].sentence_key) not in paired)]


def cluster_mentions(refs: list[MentionRef], score_of: Score = compatible
                     ) -> list[list[MentionRef]]:
    """Group mentions into events; each group is sorted earliest-reported first.

    Pairs merge strongest first, ties in the mentions' canonical order, and a merge is refused if
    the event would no longer have one consistent date: so the result depends only on the set.
    Pairs of different connected components of the candidate graph never interact, so clustering
    a union of whole components gives the same events as clustering everything.
    """
    members = sorted(refs, key=lambda r: r.order_key)
    pairs = sorted(one_to_one(members, candidate_pairs(members, score_of)))
    clusters = _Clusters(members, pairs)
    for _, i, j in pairs:
        clusters.try_merge(i, j)
    return [[members[k] for k in group] for _, group in sorted(clusters.members.items())]


def event_id_for(founding: MentionRef) -> str:
    """Stable id of an event: derived from its earliest-reported mention.

    From what the mention says and where (article URL, sentence, expression), not from the
    version id: when an update keeps the sentence, the event keeps its id. An expression written
    twice in its sentence ("said ... said") adds its place in the sentence, or two events would
    have one id and one of them would be lost.
    """
    m = founding.mention
    parts = [founding.canonical_url, " ".join(m.sentence.split()), m.expression]
    if m.sentence.count(m.expression) > 1:
        parts.append(str(m.start_char - m.sentence_start))
    key = "\x1f".join(parts)
    return "ev-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def event_state(group: list[MentionRef]) -> EventState:
    """The event a group of mentions describes: the most precise date its best-anchored reports
    agree on (a mention dated from elsewhere never gives an explicit event its date)."""
    anchor = min((r.mention.anchor for r in group), key=ANCHOR_RANK.__getitem__)
    dated = [r for r in group if r.mention.anchor == anchor]
    finest = min(GRANULARITY_RANK[r.mention.granularity] for r in dated)
    precise = [r for r in dated if GRANULARITY_RANK[r.mention.granularity] == finest]
    votes = Counter((r.mention.start, r.mention.end) for r in precise)
    (start, end), _ = min(votes.items(), key=lambda kv: (-kv[1], kv[0]))
    founding = group[0]
    summary_ref = next(r for r in precise if (r.mention.start, r.mention.end) == (start, end))
    return EventState(
        event_id=event_id_for(founding), start=start, end=end,
        granularity=precise[0].mention.granularity, summary=summary_ref.mention.summary,
        entities=sorted({e for r in group for e in taking_part(r.mention)}),
        mention_ids=sorted(r.mention.mention_id for r in group),
        sources=sorted({r.canonical_url for r in group}),
        languages=sorted({r.language for r in group}),
        first_reported_at=min(r.published_at for r in group),
        last_reported_at=max(r.published_at for r in group), anchor=anchor,
    )


def resolve_events(refs: list[MentionRef], score_of: Score = compatible
                   ) -> dict[str, EventState]:
    """Event id -> state for a set of mentions (`score_of`: see `candidate_pairs`)."""
    events = (event_state(group) for group in cluster_mentions(refs, score_of))
    return {e.event_id: e for e in events}


