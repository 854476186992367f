"""Incremental copy groups (`Copies.record`) equal a from-scratch recomputation, in any order.

The workload mixes syndicated copies (identical texts, and overlapping windows of one text that
chain: A~B and B~C but not A~C), copies published too far apart, updates of a URL that leave or
join a group (one of them removes the bridge of a chain, so its group splits), late older
versions and empty texts. The oracle below is written from the definition, pair by pair, not
with the code under test: the newest version of each URL is current, the others are superseded
by it; current versions sharing an LSH band and passing `is_copy_pair` are copies; each connected
component points at its earliest-published member (ties: smallest id).
"""

import itertools
import random
from datetime import UTC, datetime, timedelta

from processors.resolution.copies import (
    Copies,
    Status,
    content_hash,
    is_copy_pair,
    lsh_bands,
    minhash_signature,
)
from schemas.articles import ArticleAnalysed

T0 = datetime(2024, 3, 1, tzinfo=UTC)
WINDOW = 100  # words of one text


def words(rng: random.Random, n: int) -> list[str]:
    return [f"mot{rng.randrange(5000)}" for _ in range(n)]


def version(vid: str, url: str, text: str, published: datetime,
            updated: datetime | None = None) -> ArticleAnalysed:
    return ArticleAnalysed(
        article_key=url, version_id=vid, canonical_url=url, url=url, title=None, source=None,
        language="fr", language_detected=False, published_at=published, updated_at=updated,
        submitted_at=updated or published, content_hash=content_hash(text),
        signature=list(minhash_signature(text)), clean_chars=len(text), mentions=[])


def workload(seed: int = 5) -> tuple[list[ArticleAnalysed], dict[str, str]]:
    """About 150 versions; and the ids of the deliberate chain (A, B, C) and of B's update."""
    rng = random.Random(seed)
    stories = [words(rng, 220) for _ in range(8)]
    arts: list[ArticleAnalysed] = []
    n = itertools.count()

    def add(url: str, text: str, published: datetime, updated: datetime | None = None) -> str:
        vid = f"v{next(n):03d}"
        arts.append(version(vid, url, text, published, updated))
        return vid

    def window(story: int, start: int) -> str:
        return " ".join(stories[story][start:start + WINDOW])

    # The chain: A = words 0-99, B = 20-119, C = 40-139 of story 0 (A~B, B~C, A and C apart);
    # B's URL is updated with another story's text, which splits {A, B, C} into {A}, {C}.
    day = T0
    chain = {"A": add("https://a.example/chain", window(0, 0), day + timedelta(hours=3)),
             "B": add("https://b.example/chain", window(0, 20), day + timedelta(hours=1)),
             "C": add("https://c.example/chain", window(0, 40), day + timedelta(hours=2))}
    chain["B2"] = add("https://b.example/chain", window(5, 0), day + timedelta(hours=1),
                      day + timedelta(days=1))
    for i in range(130):
        story = rng.randrange(1, 8)
        url = f"https://outlet-{rng.randrange(40)}.example/{story}/{i}"
        published = T0 + timedelta(days=story * 3 + rng.uniform(0, 9))  # some > 7 days apart
        kind = rng.random()
        if kind < 0.08:
            text = ""  # nothing left after cleaning
        elif kind < 0.5:
            text = window(story, 0)  # the wire text, as is
        else:
            text = window(story, rng.choice((0, 15, 30, 45, 60, 75, 90, 105, 120)))
        add(url, text, published)
        if rng.random() < 0.15:  # an update, to another window (or text) of the story
            start = rng.choice((0, 30, 60, 90, 120))
            other = rng.randrange(1, 8) if rng.random() < 0.3 else story
            updated = published + timedelta(hours=rng.uniform(1, 48))
            add(url, "" if rng.random() < 0.1 else window(other, start), published, updated)
            if rng.random() < 0.3:
                add(url, window(story, 0), published, updated + timedelta(hours=5))
    return arts, chain


def copy_edges(arts: list[ArticleAnalysed]) -> dict[str, set[str]]:
    """Copy pairs from the definition: a shared LSH band and `is_copy_pair`."""
    bands = {a.version_id: set(lsh_bands(a.signature)) for a in arts}
    edges: dict[str, set[str]] = {a.version_id: set() for a in arts}
    for a, b in itertools.combinations(arts, 2):
        if bands[a.version_id] & bands[b.version_id] and is_copy_pair(a, b):
            edges[a.version_id].add(b.version_id)
            edges[b.version_id].add(a.version_id)
    return edges


def from_scratch(arts: list[ArticleAnalysed], edges: dict[str, set[str]]) -> dict[str, Status]:
    out: dict[str, Status] = {}
    by_url: dict[str, list[ArticleAnalysed]] = {}
    for a in arts:
        by_url.setdefault(a.canonical_url, []).append(a)
    current = {}
    for versions in by_url.values():
        newest = max(versions, key=lambda a: (a.updated_at or a.published_at, a.version_id))
        current[newest.version_id] = newest
        for a in versions:
            if a is not newest:
                out[a.version_id] = Status("superseded", superseded_by=newest.version_id)
    seen: set[str] = set()
    for start in sorted(current):
        if start in seen:
            continue
        component, todo = {start}, [start]
        while todo:
            for o in edges[todo.pop()] & current.keys():
                if o not in component:
                    component.add(o)
                    todo.append(o)
        seen |= component
        original = min((current[v].published_at, v) for v in component)[1]
        for v in component:
            out[v] = Status() if v == original else Status("duplicate", duplicate_of=original)
    return out


def restarted(copies: Copies) -> Copies:
    """A new state from the persisted parts only (versions, statuses), as after a restart."""
    fresh = Copies(versions=dict(copies.versions), statuses=dict(copies.statuses))
    fresh.rebuild_copies()
    return fresh


def test_the_workload_has_the_cases_it_claims():
    arts, chain = workload()
    edges = copy_edges(arts)
    final = from_scratch(arts, edges)
    before_update = from_scratch([a for a in arts if a.version_id != chain["B2"]], edges)
    assert before_update[chain["A"]] == before_update[chain["C"]] == \
        Status("duplicate", duplicate_of=chain["B"])  # B, the earliest, bridges A and C
    assert final[chain["A"]] == final[chain["C"]] == Status()  # B's update split them
    kinds = [s.status for s in final.values()]
    assert kinds.count("superseded") >= 15 and kinds.count("duplicate") >= 40
    groups: dict[str, int] = {}
    for s in final.values():
        if s.duplicate_of:
            groups[s.duplicate_of] = groups.get(s.duplicate_of, 0) + 1
    assert max(groups.values()) >= 10 and len(groups) >= 6
    assert sum(a.content_hash == content_hash("") for a in arts) >= 5
    # copies of one text more than the syndication window apart are not copies of each other
    assert any(a.content_hash == b.content_hash and b.version_id not in edges[a.version_id]
               for a, b in itertools.combinations(arts, 2) if a.content_hash != content_hash(""))


def test_incremental_statuses_equal_a_full_recomputation_in_random_orders_and_restarts():
    arts, _ = workload()
    edges = copy_edges(arts)
    for seed in range(12):
        rng = random.Random(seed)
        order = arts[:]
        rng.shuffle(order)
        copies = Copies()
        for i, art in enumerate(order):
            before = dict(copies.statuses)
            changed = copies.record(art)
            assert changed == {v: (before.get(v), s) for v, s in copies.statuses.items()
                               if before.get(v) != s}, (seed, i)
            assert copies.statuses == from_scratch(order[:i + 1], edges), (seed, i, art.version_id)
            if rng.random() < 0.1:
                copies = restarted(copies)
        groups: dict[str, set[str]] = {}
        for v, s in copies.statuses.items():
            if s.duplicate_of:
                groups.setdefault(s.duplicate_of, set()).add(v)
        assert {o: c for o, c in copies.copies.items() if c} == groups
