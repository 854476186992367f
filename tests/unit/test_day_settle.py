"""A dense day settled from its mentions alone (`processors.resolution.settle`): the same events
whatever order its mentions came in, and events that still follow the bounded path's rules."""

import math
import random
from collections import Counter

from processors.resolution import settle
from processors.resolution.bounded import Working
from processors.resolution.coreference import MentionRef, compatible
from processors.resolution.fold import TimelineState, fold_all
from processors.resolution.settle import day_of, settle_sizes
from processors.resolution.summary import Summary
from tests.unit.test_dense_resolution import hot_story
from tests.unit.test_event_summaries import assert_events_are_their_members, refs_of

ARTICLES = 600


def day_events(state: TimelineState, day: int) -> set[frozenset[str]]:
    """The day-granularity events of one day, as sets of mention ids."""
    refs = state.active.refs
    return {frozenset(ev.mention_ids) for ev in state.events.values()
            if ev.granularity == "day" and day_of(refs[ev.mention_ids[0]]) == day}


def densest_day(state: TimelineState) -> tuple[int, int]:
    """(day, its size) of the day holding most mentions at the end of a fold."""
    sizes = Counter(d for r in state.active.refs.resident.values()
                    if (d := day_of(r)) is not None and state.active._features(r))
    day, _ = sizes.most_common(1)[0]
    return day, state.active.day_size(day)


def two_shuffles(arts: list) -> list[list]:
    """The articles in two shuffled orders (seeds 1 and 2)."""
    shuffles = []
    for seed in (1, 2):
        order = list(arts)
        random.Random(seed).shuffle(order)
        shuffles.append(order)
    return shuffles


def test_settle_sizes_grow_geometrically_up_to_the_cap(monkeypatch):
    first = settle.SETTLE_FROM
    second = math.ceil(first * settle.SETTLE_FACTOR)
    large = [s for s in settle_sizes() if s >= first]
    assert large[:3] == [first, second, math.ceil(second * settle.SETTLE_FACTOR)]
    assert max(settle_sizes()) <= settle.SETTLE_CAP
    monkeypatch.setattr(settle, "SETTLE_FROM", 0)
    assert list(settle_sizes()) == []


def test_small_days_are_settled_on_a_series_of_their_own(monkeypatch):
    """Below `SETTLE_FROM` a day is settled from `SMALL_FROM`, growing by `SMALL_FACTOR`; the
    sizes from `SETTLE_FROM` on are those without it (a dense day's settles fall at the same
    sizes, so they see the same sets)."""
    small = [s for s in settle_sizes() if s < settle.SETTLE_FROM]
    assert small[0] == settle.SMALL_FROM > 0
    assert all(b == max(a + 1, math.ceil(a * settle.SMALL_FACTOR))
               for a, b in zip(small, small[1:], strict=False))
    assert math.ceil(small[-1] * settle.SMALL_FACTOR) >= settle.SETTLE_FROM
    large = [s for s in settle_sizes() if s >= settle.SETTLE_FROM]
    monkeypatch.setattr(settle, "SMALL_FROM", 0)
    assert list(settle_sizes()) == large


def test_a_small_day_settled_on_its_last_mention_has_the_same_events_in_any_order(monkeypatch):
    """The first 200 hot-story articles hold a day of some 400 mentions, under `SETTLE_FROM`:
    settled when its last mention arrives (`SMALL_FROM` its final size), two shuffled orders
    hold the same events for it, which they do not without the small days' settles."""
    arts = list(hot_story()[:200])
    monkeypatch.setattr(settle, "SMALL_FROM", 0)
    day, size = densest_day(fold_all(arts))
    assert 200 < size < settle.SETTLE_FROM
    shuffles = two_shuffles(arts)
    unsettled = [day_events(fold_all(order), day) for order in shuffles]
    assert unsettled[0] != unsettled[1]
    monkeypatch.setattr(settle, "SMALL_FROM", size)
    settled = [day_events(fold_all(order), day) for order in shuffles]
    assert settled[0] == settled[1]


def test_a_day_settled_on_its_last_mention_has_the_same_events_in_any_order(monkeypatch):
    """The densest day of 600 hot-story articles is settled when its last mention arrives (its
    final size made the only settle size): two shuffled orders then hold the same events for
    that day, which they do not without the settle."""
    arts = list(hot_story()[:ARTICLES])
    monkeypatch.setattr(settle, "SETTLE_FROM", 0)
    monkeypatch.setattr(settle, "SMALL_FROM", 0)
    day, size = densest_day(fold_all(arts))
    assert size > 400
    shuffles = two_shuffles(arts)
    unsettled = [day_events(fold_all(order), day) for order in shuffles]
    assert unsettled[0] != unsettled[1]  # the bounded path alone depends on the order
    monkeypatch.setattr(settle, "SETTLE_FROM", size)
    monkeypatch.setattr(settle, "SETTLE_CAP", size)
    settled = []
    for order in shuffles:
        state = fold_all(order)
        # the day's size counts its dated reports; a settle reads its undated ones too
        refs = state.active.refs
        assert sum(refs[m].mention.anchor == "explicit"
                   for m in state.active.day_mentions(day)) == size
        settled.append(day_events(state, day))
    assert settled[0] == settled[1]
    assert set(state.active.day_mentions(day)) <= {m for e in settled[0] for m in e}


def test_settled_events_keep_the_rules_and_describe_their_members(monkeypatch):
    """Settled often (from 16 mentions, every half again): every event holds each sentence
    once and one common interval, owners name it, and it is what `event_state` makes of its
    members (the summaries the settle moved members between were kept right)."""
    monkeypatch.setattr(settle, "SETTLE_FROM", 16)
    monkeypatch.setattr(settle, "SETTLE_FACTOR", 1.5)
    arts = list(hot_story()[:ARTICLES])
    random.Random(3).shuffle(arts)
    settles = []
    real = settle.settle_day
    monkeypatch.setattr(settle, "settle_day", lambda work, day: settles.append(day) or
                        real(work, day))
    state = fold_all(arts)
    assert len(settles) > 10
    refs = refs_of(arts)
    for ev in state.events.values():
        members = [refs[m] for m in ev.mention_ids]
        assert len({r.sentence_key for r in members}) == len(members)
        assert max(r.mention.start for r in members) <= min(r.mention.end for r in members)
    assert_events_are_their_members(state.events, state.owner, refs)


def test_a_replay_merges_only_on_a_larger_share_of_its_probe(monkeypatch):
    """A group of eight, six of them reports of the day's main event and two that link to
    nothing in it: the streaming rule merges it (6 of 8 is more than half), a settle's replay
    (`SETTLE_SHARE` 0.8 of the probe) does not, and `replay` folds with that share."""
    state = fold_all(hot_story()[:ARTICLES])
    refs = state.active.refs
    day_events_ = [e for e in state.events.values() if e.granularity == "day"]
    big = max(day_events_, key=lambda e: (len(e.mention_ids), e.event_id))
    day = day_of(refs[big.mention_ids[0]])
    members = sorted((refs[m] for m in big.mention_ids), key=lambda r: r.order_key)
    singles = [refs[e.mention_ids[0]] for e in day_events_
               if len(e.mention_ids) == 1 and day_of(refs[e.mention_ids[0]]) == day]

    def merged(part: list, share: float = 0.0) -> bool:
        rest = [r for r in members if r not in part]
        work = Working(state.active, state, {}, share=share)
        work.groups["big"], work.groups["small"] = Summary.of(rest), Summary.of(part)
        work.owner.update({r.mention.mention_id: "big" for r in rest})
        work.owner.update({r.mention.mention_id: "small" for r in part})
        return work.merge("big", "small") == "big" and work.groups["small"] is None

    unlinked = [s for s in singles if not merged([s], share=0.01)]
    strays = [s for s in unlinked if s.version_id not in {r.version_id for r in members[-6:]}]
    part = members[-6:] + [strays[0], next(s for s in strays if s.version_id !=
                                           strays[0].version_id)]
    assert merged(part)  # 6 of 8 linked: more than half
    assert settle.SETTLE_SHARE == 0.8
    assert not merged(part, share=settle.SETTLE_SHARE)
    shares = []
    monkeypatch.setattr(settle, "Working", lambda *a, **k: shares.append(k["share"]) or
                        Working(*a, **k))
    settle.replay(Working(state.active, state, {}), members[:20])
    assert shares == [settle.SMALL_SHARE]  # a day under SETTLE_FROM: the small days' share
    whole = sorted((refs[m] for m in state.active.day_mentions(day)), key=lambda r: r.order_key)
    assert len(whole) >= settle.SETTLE_FROM
    settle.replay(Working(state.active, state, {}), whole)
    assert shares[1:] == [settle.SETTLE_SHARE]


def variants(r: MentionRef, k: int) -> MentionRef:
    """r with what `compatible` reads changed, k picking how: its predicate, its anchor, its
    places (some of its names made places) or its keywords dropped."""
    m = r.mention
    change = [{"predicate_kind": ("report", "event", None)[k % 3]},
              {"anchor": "narrative"},
              {"places": [*m.entities, *m.context_entities][: 1 + k % 5]},
              {"keywords": []}][k % 4]
    return MentionRef(m.model_copy(update={**change, "mention_id": f"{m.mention_id}~{k}"}),
                      r.version_id, r.canonical_url, r.language, r.published_at)


def test_a_replay_scores_every_pair_as_compatible_does():
    """`DayScores` (a replay's scores, on bits of the day's names) gives `compatible`'s very
    value for every pair of the densest day of the hot story and of variants of its mentions
    (other predicates, anchors, places, keywords), and hands a pair it was not made for (a
    mention of another interval) to its fallback."""
    state = fold_all(hot_story()[:ARTICLES])
    refs = state.active.refs
    day, _ = densest_day(state)
    ones = [refs[m] for m in state.active.day_mentions(day)]
    ones += [variants(r, k) for k, r in enumerate(ones[:300])]
    scores = settle.DayScores(ones, compatible)
    values = Counter()
    for i, a in enumerate(ones):
        for b in ones[i:]:
            assert scores(a, b) == compatible(a, b)
            values[compatible(a, b) is None] += 1
    assert values[True] and values[False] > 1000  # both answers were compared
    others = [r for r in refs.resident.values() if day_of(r) != day][:50]
    asked = []
    fallback = settle.DayScores(ones, lambda a, b: asked.append(b) or compatible(a, b))
    for b in others:
        assert fallback(ones[0], b) == compatible(ones[0], b)
    assert asked == others
