"""The fold keeps each event as a compact summary plus deltas (`processors.resolution.summary`):
on a hot story the events it ends with are those its members describe, in memory and in the
resolver's store (facts, member rows in order, sources, summaries), and a store written before
summaries and member rows were kept still opens and goes on to the same events."""

import argparse
import asyncio
import sqlite3

from bench.dense_resolver_bench import workload
from bench.dense_workload import CACHE
from processors.resolution import fold as timeline
from processors.resolution.coreference import MentionRef, event_state
from processors.resolution.fold import TimelineState, apply_article
from processors.resolution.summary import Summary
from processors.worker.resolver_state import MemoryJournal, Resolver, Store
from schemas.timeline import EventFacts
from tests.unit.test_dense_resolution import DENSE_ARTICLES, HOT_STORY, hot_story

SMALL = {"hot_mentions": 2_000, "hot_blocks": 2_000, "hot_summaries": 20, "event_cache": 20,
         "owner_cache": 500}  # summaries and events read back from the store


def refs_of(arts):
    return {m.mention_id: MentionRef(m, a.version_id, a.canonical_url, a.language,
                                     a.published_at) for a in arts for m in a.mentions}


def assert_events_are_their_members(events, owner, refs):
    """Each event is what `event_state` makes of its members (a counter a removal forgot, a
    holder left vacant, a source kept too long would differ), and owners name them."""
    assert owner == {m: eid for eid, ev in events.items() for m in ev.mention_ids}
    for eid, ev in events.items():
        members = sorted((refs[m] for m in ev.mention_ids), key=lambda r: r.order_key)
        assert event_state(members) == ev, eid


async def _publish(messages):
    pass


def fold_in_store(path, arts, bound):
    async def main():
        store = Store(path)
        r = Resolver(store, MemoryJournal(), _publish, **bound)
        await r.recover()
        for offset, art in enumerate(arts, start=(r.next_offset or 0)):
            await r.handle(offset, art)
        return r

    return asyncio.run(main())


def test_a_hot_story_folded_by_summaries_keeps_the_events_its_members_describe(
        tmp_path, monkeypatch):
    arts = list(hot_story())
    refs = refs_of(arts)
    bounded, gone = [], []

    def maintain(active, events, owners, added, removed, then=None):
        bounded.append(1)
        gone.extend(removed)
        return _maintain(active, events, owners, added, removed, then)

    monkeypatch.setattr(timeline, "maintain", maintain)
    plain = TimelineState()
    for art in arts:
        apply_article(plain, art)
    assert len(bounded) > HOT_STORY / 2 and len(gone) > 100  # dense, with removals
    assert max(len(e.mention_ids) for e in plain.events.values()) > 1_000
    assert_events_are_their_members(plain.events, plain.owner, refs)

    r = fold_in_store(tmp_path / "store.sqlite", arts, SMALL)
    store = r.store
    events = store.events()
    assert events == plain.events
    assert r.summaries is not None and r.summaries.reads > 100  # read back, not derived
    # derived only where the in-memory fold derives too: an event the exact path rewrote,
    # which keeps no summary, met again on the bounded path (`TimelineState.stored_summary`)
    assert r.state is not None and r.state.derived == plain.derived
    owners = dict(store.con.execute("SELECT mid, eid FROM owners").fetchall())
    assert_events_are_their_members(events, owners, refs)
    for eid, ev in events.items():
        ordered = sorted(ev.mention_ids, key=lambda m: refs[m].order_key)
        assert list(store.event_members(eid, True)) == ordered
        assert list(store.event_members(eid, False)) == ordered[::-1]
    stored = dict(store.con.execute("SELECT eid, summary FROM summaries").fetchall())
    assert len(stored) > len(events) / 2
    for eid, raw in stored.items():
        assert Summary.loads(raw).facts() == EventFacts.of(events[eid])
    store.close()


_maintain = timeline.maintain


def test_the_dense_stream_folded_by_summaries_keeps_the_events_its_members_describe():
    """3,000 articles of the dense bench: updates and copies take members out of events, among
    them members a summary names (the earliest, the latest, the first of an interval), which
    `Summary.repair` finds again from the members in order."""
    args = argparse.Namespace(workload="dense", seed=15, pool=4000, pool_weeks=8, largest=1500,
                              years=5, cache=CACHE)
    arts = workload(args, DENSE_ARTICLES)[:DENSE_ARTICLES]
    state = TimelineState()
    for art in arts:
        apply_article(state, art)
    assert state.repairs > 20
    assert_events_are_their_members(state.events, state.owner, refs_of(arts))


def test_a_store_without_summaries_or_member_rows_opens_and_goes_on(tmp_path):
    """A file written before this change has neither `summaries` nor `members`: opening it
    writes the member rows once, the summaries are derived from them when first needed (then
    kept), and the events it goes on to are those of a store that always had them."""
    arts = list(hot_story())[:900]
    path = tmp_path / "old.sqlite"
    r = fold_in_store(path, arts[:600], SMALL)
    r.store.close()
    con = sqlite3.connect(path)
    con.executescript("DROP TABLE summaries; DROP TABLE members;")
    con.close()
    upgraded = fold_in_store(path, arts[600:], SMALL)
    assert upgraded.state is not None and upgraded.state.derived > 0
    assert upgraded.store.con.execute("SELECT count(*) FROM summaries").fetchone()[0] > 0
    always = fold_in_store(tmp_path / "new.sqlite", arts, SMALL)
    assert upgraded.store.events() == always.store.events()
    dumps = [{k: v for k, v in x.store.dump().items() if k != "position"}  # journals differ
             for x in (upgraded, always)]
    assert dumps[0] == dumps[1]
    upgraded.store.close()
    always.store.close()
