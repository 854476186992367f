"""The resolver in bounded memory: the active-mention index kept in pages by date, the cold ones
written out and read back when an article's dates reach them, event summaries dropped and
rebuilt. The timeline must be the one the unbounded fold gives."""

import argparse
from functools import cache

import pytest

from bench.dense_resolver_bench import workload
from bench.dense_workload import CACHE
from processors.resolution import fold as timeline
from processors.resolution.cold_pages import ColdPages
from processors.resolution.coreference import MentionRef
from processors.resolution.fold import TimelineState, apply_article, fold_all
from processors.resolution.interval_index import ActiveMentions, page_of, stored_buckets
from tests.unit.test_timeline_devset import analysed

DENSE = 1200  # articles of the dense bench's stream (arrival order, late articles included)


@cache
def dense():
    args = argparse.Namespace(workload="dense", seed=15, pool=4000, pool_weeks=8, largest=1500,
                              years=5, cache=CACHE)
    return tuple(workload(args, DENSE)[:DENSE])


_maintain = timeline.maintain


@pytest.mark.reliability  # long: minutes of CPU with so small a cache (pages go back and forth)
def test_a_dense_stream_folded_with_a_tiny_cache_gives_the_unbounded_timeline(monkeypatch):
    arts = dense()
    full = fold_all(arts)
    bounded_path = []
    monkeypatch.setattr(timeline, "maintain", lambda *a: bounded_path.append(1) or _maintain(*a))
    state = TimelineState().bound(ColdPages(), hot_mentions=300, hot_summaries=20, keep_recent=0)
    resident = []
    for art in arts:
        apply_article(state, art)
        resident.append(len(state.active.resident))
    assert len(bounded_path) > DENSE / 4  # dense: the in-place path, with its summaries
    assert state.active.loads > 100 and state.active.cold  # pages went out and came back
    assert len(state.summaries) <= 20
    assert max(resident) < len(full.active.resident) / 2
    assert state.events == full.events
    assert state.statuses == full.statuses
    assert state.owner == full.owner


def refs_of(arts):
    return [MentionRef(m, a.version_id, a.canonical_url, a.language, a.published_at)
            for a in arts for m in a.mentions]


def test_a_page_written_out_and_read_back_answers_as_before():
    arts = list(analysed())
    state = TimelineState()
    for art in arts:
        apply_article(state, art)
    refs = [r for r in refs_of(arts) if state.statuses[r.version_id].status == "current"]
    full = ActiveMentions()
    full.add(refs)
    cold = ActiveMentions(spill=ColdPages(), loader=state.active_ref, hot_mentions=0,
                          keep_recent=0)
    cold.add(refs)
    cold.trim()
    assert not cold.resident and not cold.blocks and len(cold.cold) > 3  # every page written
    for r in refs:  # a cold mention is still active, read from its version
        assert r.mention.mention_id in cold.refs
        assert cold.refs[r.mention.mention_id] == r
    for r in refs:
        assert cold.candidates(r) == full.candidates(r)
        cold.trim()
    assert cold.loads >= len({page_of(b) for r in refs for b in stored_buckets(r)})
    cold.remove(refs[:5])
    full.remove(refs[:5])
    cold.trim()
    for r in refs[5:]:
        assert cold.candidates(r) == full.candidates(r)
    assert refs[0].mention.mention_id in cold.refs  # its version is still current in `state`


def test_the_pages_recent_articles_touched_stay_past_the_cap():
    """A hot story's weeks can hold more mentions than the cap between them: with the cap alone
    each article wrote a whole week out and read another back (the 1M-article memory run spent
    85% of its time so, py-spy). The pages the last `keep_recent` articles touched stay; older
    ones go out as before, and the answers do not change."""
    arts = list(analysed())
    state = TimelineState()
    for art in arts:
        apply_article(state, art)
    refs = [r for r in refs_of(arts) if state.statuses[r.version_id].status == "current"]
    by_page: dict[int, list[MentionRef]] = {}
    for r in refs:
        by_page.setdefault(min(page_of(b) for b in stored_buckets(r)), []).append(r)
    pages = sorted(by_page, key=lambda p: -len(by_page[p]))[:3]
    assert len(pages) == 3

    def alternate(keep_recent):
        index = ActiveMentions(spill=ColdPages(), loader=state.active_ref, hot_mentions=0,
                               keep_recent=keep_recent)
        plain = ActiveMentions()  # unbounded, fed the same
        both = set()
        for i in range(12):  # ten "articles" alternating between two weeks, then a third week
            page = pages[i % 2] if i < 10 else pages[2]
            index.add(by_page[page])
            plain.add(by_page[page])
            for r in by_page[page]:
                assert index.candidates(r) == plain.candidates(r)
            index.trim()
            if i == 9:
                both = {pages[0], pages[1]} & set(index.pages)
        return index, both

    (cap_only, _), (recent, both) = alternate(0), alternate(2)
    assert cap_only.writes >= 11 and cap_only.loads >= 9  # every article: a week out, one back
    assert both == {pages[0], pages[1]}  # alternating between two weeks: both stay
    assert recent.loads == 0  # no page went out to come back
    assert {pages[0], pages[1]} <= recent.cold and pages[2] in recent.pages  # then they went


def test_dense_articles_through_the_resolver_with_small_caches_give_the_unbounded_timeline(
        tmp_path):
    """200 dense articles (late ones included) through the worker's resolver with caches far
    smaller than what the stream touches: statuses, URL index, copies, events and mention ->
    event read back from the store many times. The same timeline as the unbounded fold."""
    import asyncio

    from processors.worker.resolver_state import MemoryJournal, Resolver, Store

    arts = dense()[:200]
    full = fold_all(arts)

    async def publish(messages):
        pass

    async def main():
        store = Store(tmp_path / "store.sqlite")
        r = Resolver(store, MemoryJournal(), publish, hot_mentions=500, keep_recent=0,
                     hot_summaries=20, status_cache=30, url_cache=30, event_cache=10, owner_cache=100)
        await r.recover()
        for offset, art in enumerate(arts):
            await r.handle(offset, art)
        state = r.loaded()
        reads = {name: part.reads for name, part in r.stored.items()}
        got = {name: dict(getattr(state, name)) for name in r.stored}
        store.close()
        return reads, got

    reads, got = asyncio.run(main())
    # the caches were too small: each part was read back from the store (the copies map least:
    # the incremental copy groups read it only when a group is joined or re-paired)
    assert min(reads.values()) > 20, reads
    assert got["events"] == full.events
    assert got["statuses"] == full.statuses
    assert got["owner"] == full.owner
    assert got["by_url"] == full.by_url
    assert got["copies"] == {o: c for o, c in full.copies.items() if c}


def test_a_restart_reads_no_history_and_gives_the_uninterrupted_timeline(tmp_path):
    """200 dense articles through the resolver, a restart with a cap far below the active
    mentions, then 40 more: the same timeline as the uninterrupted fold. Opening the state reads
    nothing whole: no page of the index is made until an article touches it, and the 40 articles
    make only the pages their dates and candidates reach (the rebuild that read every stored
    version made them all: the restart cost grew with the history)."""
    import asyncio

    from processors.worker.resolver_state import MemoryJournal, Resolver, Store

    arts = dense()[:240]
    full = fold_all(arts)
    cap = 80

    async def publish(messages):
        pass

    async def main():
        journal = MemoryJournal()
        store = Store(tmp_path / "store.sqlite")
        r = Resolver(store, journal, publish)
        await r.recover()
        for offset, art in enumerate(arts[:200]):
            await r.handle(offset, art)
        before = r.loaded()
        active_before = len(before.active.resident)
        all_pages = {p for p, members in before.active.pages.items() if members}
        store.close()
        store = Store(tmp_path / "store.sqlite")  # the restart: a fresh resolver, small cap
        r = Resolver(store, journal, publish, hot_mentions=cap, keep_recent=0)
        await r.recover()
        state = r.loaded()
        opened = (state.active.builds, len(state.active.resident), len(r.versions.cache))
        for offset, art in enumerate(arts[200:], start=200):
            await r.handle(offset, art)
        state = r.loaded()
        made = set(state.active.built)
        got = {name: dict(getattr(state, name)) for name in ("events", "statuses", "owner")}
        store.close()
        return active_before, all_pages, opened, made, got

    active_before, all_pages, opened, made, got = asyncio.run(main())
    assert active_before > 4 * cap  # past the cap: the old rebuild had to spill
    assert opened == (0, 0, 0)  # nothing read at the restart itself
    assert made and len(made & all_pages) < len(all_pages)  # only the pages touched were made
    assert got["events"] == full.events
    assert got["statuses"] == full.statuses
    assert got["owner"] == full.owner


def test_the_state_opened_after_a_restart_equals_a_full_rebuild(tmp_path):
    """The lazy state against `TimelineState.rebuild` of every stored version: every page of
    the index made from the store holds the same blocks and mentions, every LSH band the same
    versions within the copy horizon, the same newest publication. The stream's articles span
    more than the 90 days of the copy index, so the horizon filter is exercised; some versions
    are superseded or copies, so the status filter is too; a mention spanning weeks is filed in
    several pages. Fails if the store's indexes skip or add anything the rebuild derives."""
    import asyncio
    from datetime import timedelta

    from processors.resolution.copies import COPY_INDEX_HORIZON
    from processors.resolution.interval_index import probed_buckets
    from processors.worker.resolver_state import MemoryJournal, Resolver, Store

    # and versions published 150 days before the stream (outside the copy horizon), at the end
    old = [a.model_copy(update={"version_id": a.version_id + "0", "url": a.url + "/old",
                                "canonical_url": a.canonical_url + "/old",
                                "published_at": a.published_at - timedelta(days=150)})
           for a in dense()[:300:30]]
    arts = list(dense()[:300]) + old

    async def publish(messages):
        pass

    async def main():
        store = Store(tmp_path / "store.sqlite")
        r = Resolver(store, MemoryJournal(), publish)
        await r.recover()
        for offset, art in enumerate(arts):
            await r.handle(offset, art)
        store.close()
        store = Store(tmp_path / "store.sqlite")
        r = Resolver(store, MemoryJournal(), publish, hot_mentions=10**9)
        await r.recover()
        lazy = r.loaded()
        full = TimelineState(versions={a.version_id: a for a in store.articles()},
                             statuses=store.statuses(), events=store.events())
        full.rebuild()
        refs = list(full.active.resident.values())
        lazy.active._touch(b for x in refs for b in probed_buckets(x))
        bands = {band: lazy.bands.get(band, set()) for band in full.bands}
        more = store.con.execute("SELECT count(DISTINCT band) FROM bands WHERE published >= ?",
                                 (micros(full.newest - COPY_INDEX_HORIZON),)).fetchone()[0]
        out = (lazy.active, lazy.newest, bands, more)
        store.close()
        return full, out, refs

    from processors.worker.resolver_state import micros

    full, (active, newest, bands, more), refs = asyncio.run(main())
    statuses = {st.status for st in full.statuses.values()}
    assert {"superseded", "duplicate"} <= statuses
    assert max(a.published_at for a in arts) - min(a.published_at for a in arts) > \
        COPY_INDEX_HORIZON
    assert any(len({page_of(b) for b in stored_buckets(x)}) > 1 for x in refs)
    assert active.builds > 3
    assert set(active.resident) == set(full.active.resident)
    assert active.blocks == full.active.blocks
    assert newest == full.newest
    assert bands == full.bands and more == len(full.bands)
    for x in refs:
        assert active.candidates(x) == full.active.candidates(x)
