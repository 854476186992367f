"""The resolver fold: versions, copies and events, independent of arrival order."""

import itertools
import random
from datetime import UTC, date, datetime, timedelta

from processors.resolution.fold import TimelineState, apply_article
from schemas.articles import ArticleAnalysed, Mention
from schemas.timeline import (
    ArticleStatusChanged,
    ArticleVersionRecorded,
    EventCreated,
    EventDissolved,
    EventsMerged,
    MentionRetracted,
)

T0 = datetime(2023, 7, 30, 12, tzinfo=UTC)


def mention(vid, offset, day, entities, keywords=(), end=None, granularity="day", sentence=None):
    return Mention(
        mention_id=f"{vid}:{offset}", sentence=f"s{offset}", sentence_start=sentence or offset,
        expression="x", start_char=offset, end_char=offset + 1, start=day, end=end or day,
        granularity=granularity, entities=sorted(entities), keywords=sorted(keywords),
        summary=f"summary {vid} {offset}")


def article(vid, url, published, mentions, signature=None, updated=None, submitted=None):
    return ArticleAnalysed(
        article_key=url[-8:], version_id=vid, canonical_url=url, url=url, title=None,
        source=None, language="en", language_detected=False, published_at=published,
        updated_at=updated, submitted_at=submitted or published, content_hash=f"h-{vid}",
        signature=signature or [hash((vid, i)) % 1000 + 1000 * i for i in range(128)],
        clean_chars=100, mentions=mentions)


D26, D30 = date(2023, 7, 26), date(2023, 7, 30)
ARTICLES = [
    article("a1", "https://x.example/1", T0, [
        mention("a1", 10, D26, {"Mohamed Bazoum"}, {"coup"}),
        mention("a1", 50, D30, {"ECOWAS"}, {"ultimatum"})]),
    article("a2", "https://y.example/2", T0 + timedelta(hours=1), [
        mention("a2", 10, D26, {"Mohamed Bazoum", "Niger"}, {"coup"}),
        mention("a2", 40, D30, {"French embassy", "Niamey"}, {"attack"})]),
    article("a3", "https://z.example/3", T0 + timedelta(hours=2), [
        mention("a3", 5, D30, {"ECOWAS", "Niger"}, {"ultimatum", "sanctions"}),
        mention("a3", 90, date(2023, 8, 11), {"ECOWAS"}, end=date(2023, 8, 20),
                granularity="part-of-month")]),
]


def run(arts):
    state = TimelineState()
    changes = []
    for a in arts:
        changes.extend(apply_article(state, a).changes)
    return state, changes


def shape(state):
    return sorted((e.start, e.end, tuple(e.mention_ids), tuple(e.sources))
                  for e in state.events.values())


def test_same_day_events_merge_on_evidence_and_stay_apart_without():
    state, _ = run(ARTICLES)
    by_day = {}
    for e in state.events.values():
        by_day.setdefault(e.start, []).append(e)
    assert len(by_day[D26]) == 1 and by_day[D26][0].sources == [
        "https://x.example/1", "https://y.example/2"]
    assert len(by_day[D30]) == 2
    ultimatum = next(e for e in by_day[D30] if "ECOWAS" in e.entities)
    assert ultimatum.mention_ids == ["a1:50", "a3:5"]
    assert date(2023, 8, 11) in by_day  # the imprecise mention stays its own event


def test_every_arrival_order_gives_the_same_timeline():
    expected = shape(run(ARTICLES)[0])
    for order in itertools.permutations(ARTICLES):
        assert shape(run(order)[0]) == expected
        assert sorted(run(order)[0].events) == sorted(run(ARTICLES)[0].events)


def test_redelivery_changes_nothing():
    state, _ = run(ARTICLES)
    assert apply_article(state, ARTICLES[0]).changes == []


def test_newer_version_wins_in_any_order_and_retracts_dropped_mentions():
    old = article("v1", "https://w.example/n", T0, [mention("v1", 1, D26, {"Bazoum"}),
                                                    mention("v1", 9, D30, {"Tiani"})])
    new = article("v2", "https://w.example/n", T0, [mention("v2", 1, D26, {"Bazoum"})],
                  updated=T0 + timedelta(hours=5))
    for order in ([old, new], [new, old]):
        state, changes = run(order)
        assert state.statuses["v2"].status == "current"
        assert state.statuses["v1"].status == "superseded"
        assert state.statuses["v1"].superseded_by == "v2"
        assert [e.start for e in state.events.values()] == [D26]
    state, changes = run([old, new])
    before, _ = run([old])
    kept = next(e for e in before.events.values() if e.start == D26)
    assert kept.event_id in state.events  # the update kept that sentence: same event id
    assert any(isinstance(c, (MentionRetracted, EventDissolved)) for c in changes)
    assert any(isinstance(c, ArticleStatusChanged) and c.version_id == "v1" for c in changes)


def test_copy_collapses_into_earliest_original_in_any_order():
    sig = [random.Random(7).randrange(1 << 32) for _ in range(128)]
    orig = article("o", "https://a.example/o", T0, [mention("o", 1, D30, {"Niamey"})], sig)
    copy = article("c", "https://b.example/c", T0 + timedelta(hours=1),
                   [mention("c", 3, D30, {"Niamey"})], sig)
    for order in ([orig, copy], [copy, orig]):
        state, _ = run(order)
        assert state.statuses["c"].duplicate_of == "o"
        (event,) = state.events.values()
        assert event.sources == ["https://a.example/o"]


def test_merge_is_announced_and_recorded_last():
    a = article("m1", "https://m.example/1", T0, [mention("m1", 1, D26, {"Bazoum"})])
    b = article("m2", "https://m.example/2", T0 + timedelta(hours=3),
                [mention("m2", 1, D26, {"Tiani"})])
    bridge = article("m0", "https://m.example/0", T0 - timedelta(hours=1),
                     [mention("m0", 1, D26, {"Bazoum", "Tiani"})])
    state, _ = run([a, b])
    assert len(state.events) == 2
    t = apply_article(state, bridge)
    assert len(state.events) == 1
    assert any(isinstance(c, EventsMerged) for c in t.changes)
    assert isinstance(t.changes[-1], ArticleVersionRecorded)
    assert any(isinstance(c, EventCreated) for c in t.changes)


def test_copies_are_only_looked_for_within_the_syndication_window():
    sig = [random.Random(11).randrange(1 << 32) for _ in range(128)]
    orig = article("p", "https://a.example/p", T0, [], sig)
    late = article("q", "https://b.example/q", T0 + timedelta(days=8), [], sig)
    state, _ = run([orig, late])
    assert state.statuses["q"].status == "current"  # same text, 8 days later: not a copy


def test_the_copy_index_stays_bounded():
    from processors.resolution.copies import COPY_INDEX_HORIZON

    rng = random.Random(5)
    arts = [article(f"d{i}", f"https://d.example/{i}", T0 + timedelta(days=i), [],
                    [rng.randrange(1 << 32) for _ in range(128)]) for i in range(0, 400, 2)]
    state, _ = run(arts)
    indexed = {v for members in state.bands.values() for v in members}
    horizon = T0 + timedelta(days=398) - COPY_INDEX_HORIZON
    assert indexed == {a.version_id for a in arts if a.published_at >= horizon}
    assert len(indexed) < len(arts) / 4
