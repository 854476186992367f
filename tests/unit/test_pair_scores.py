"""`PairScores`, the resolver's memory of `compatible`: the same scores, bounded, same events."""

import random

from processors.resolution import coreference
from processors.resolution.coreference import MentionRef, PairScores, compatible
from processors.resolution.fold import fold_all
from tests.unit.test_dense_resolution import hot_story


def refs_of(arts):
    return [MentionRef(m, a.version_id, a.canonical_url, a.language, a.published_at)
            for a in arts for m in a.mentions]


def test_every_pair_gets_compatible_s_score_in_any_order_and_after_evictions():
    refs = refs_of(hot_story()[:12])[:60]
    pairs = [(a, b) for a in refs for b in refs if a is not b]
    assert len({compatible(a, b) for a, b in pairs}) > 2  # scores that tell pairs apart
    scores = PairScores(cap=500)
    rng = random.Random(3)
    for _ in range(3):
        rng.shuffle(pairs)
        for a, b in pairs:
            assert scores(a, b) == compatible(a, b)
            assert len(scores.scores) <= 500
    assert scores.misses < scores.calls  # it remembered some


def test_a_remembered_pair_is_not_scored_again():
    """In either direction: `compatible` is symmetric, so (a, b) and (b, a) are one pair (a
    day's settle replays pairs the fold scored the other way round)."""
    refs = refs_of(hot_story()[:5])[:20]
    scores = PairScores()
    for a in refs:
        for b in refs:
            scores(a, b)
    first = scores.misses
    for a in refs:
        for b in refs:
            scores(a, b)
    n = len(refs)
    assert first == n * (n + 1) // 2 and scores.misses == first
    assert all(compatible(a, b) == compatible(b, a) for a in refs for b in refs)


def test_the_fold_gives_the_same_events_with_and_without_the_memory(monkeypatch):
    arts = hot_story()[:400]
    remembered = fold_all(arts)
    monkeypatch.setattr(coreference.PairScores, "__call__", lambda self, a, b: compatible(a, b))
    assert fold_all(arts).events == remembered.events
