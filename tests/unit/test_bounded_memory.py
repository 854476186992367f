"""The resolver in bounded memory: the active-mention index's blocks on disk, the heads of the
recently used ones (size and first members) and the recently used mentions in memory, event
summaries dropped and rebuilt. The timeline must be the one the unbounded fold gives."""

import argparse
from functools import cache

import pytest

from bench.dense_resolver_bench import workload
from bench.dense_workload import CACHE
from processors.resolution import fold as timeline
from processors.resolution.block_store import ColdBlocks
from processors.resolution.coreference import MentionRef
from processors.resolution.fold import TimelineState, apply_article, fold_all
from processors.resolution.interval_index import (
    BLOCK_SAMPLE,
    ActiveMentions,
    page_of,
    probed_buckets,
    stored_buckets,
)

DENSE = 1200  # articles of the dense bench's stream (arrival order, late articles included)


@cache
def dense():
    args = argparse.Namespace(workload="dense", seed=15, pool=4000, pool_weeks=8, largest=1500,
                              years=5, cache=CACHE)
    return tuple(workload(args, DENSE)[:DENSE])


_maintain = timeline.maintain


@pytest.mark.reliability  # long: minutes of CPU with so small a cache
def test_a_dense_stream_folded_with_a_tiny_cache_gives_the_unbounded_timeline(monkeypatch):
    arts = dense()
    full = fold_all(arts)
    bounded_path = []
    monkeypatch.setattr(timeline, "maintain", lambda *a: bounded_path.append(1) or _maintain(*a))
    state = TimelineState().bound(ColdBlocks(), hot_mentions=300, hot_summaries=20,
                                  hot_blocks=2000)
    resident = []
    for art in arts:
        apply_article(state, art)
        resident.append(len(state.active.resident))
    assert len(bounded_path) > DENSE / 4  # dense: the in-place path, with its summaries
    assert state.active.blocks.loads > 100  # heads dropped and read back
    assert len(state.summaries) <= 20
    assert max(resident) < len(full.active.resident) / 2
    assert state.events == full.events
    assert state.statuses == full.statuses
    assert state.owner == full.owner


def refs_of(arts):
    return [MentionRef(m, a.version_id, a.canonical_url, a.language, a.published_at)
            for a in arts for m in a.mentions]


def current_refs(arts):
    state = fold_all(arts)  # the statuses the loader reads
    return state, [r for r in refs_of(arts) if state.statuses[r.version_id].status == "current"]


def heads_hold_their_prefix(index):
    """Each resident head holds exactly its block's first members (what a lookup reads)."""
    for key, h in index.blocks.heads.items():
        assert len(h.members) == min(h.n, BLOCK_SAMPLE), key
    assert index.blocks.units == sum(1 + len(h.members) for h in index.blocks.heads.values())


def test_blocks_on_disk_answer_as_the_unbounded_index():
    """Every block written through to disk, no head nor ref kept between "articles": every
    lookup (all buckets, and same span) answers as the unbounded index's, also after removals
    of members a head holds (the next member by rank must come in) and additions that belong
    in a full head (its last member must go), and the sizes written when a head is dropped
    are the blocks' sizes. 300 dense articles: many blocks are larger than the sample."""
    state, refs = current_refs(dense()[:300])
    full = ActiveMentions()
    full.add(refs)
    cold = ActiveMentions(spill=ColdBlocks(), loader=state.active_ref, hot_mentions=0,
                          hot_blocks=0)
    cold.add(refs)
    cold.trim()
    assert not cold.resident and not cold.blocks.heads  # nothing kept between articles
    big = {key for key, b in full.blocks.blocks.items() if len(b) > BLOCK_SAMPLE}
    assert len(big) >= 5
    assert cold.spill.dump() == full.blocks.blocks
    for r in refs[::7]:  # a mention not resident is read from its version
        assert cold.refs[r.mention.mention_id] == r
    cold.trim()

    def same(sample):
        for r in sample:
            assert cold.candidates(r) == full.candidates(r)
            assert cold.candidates(r, 16, same_span=True) == full.candidates(r, 16, same_span=True)
            heads_hold_their_prefix(cold)
            cold.trim()

    same(refs[::3])
    # members in the heads of big blocks, in one "article" (the heads stay resident meanwhile)
    heads = {mid for key in big for _, mid in full.blocks.blocks[key][:BLOCK_SAMPLE]}
    gone = [r for r in refs if r.mention.mention_id in heads][:40]
    assert len(gone) == 40
    for r in gone:
        cold.candidates(r)  # its heads resident: the removal changes them in place
    cold.remove(gone)
    full.remove(gone)
    for r in refs[::9]:  # in the same article: the heads changed in place
        assert cold.candidates(r) == full.candidates(r)
    same(refs[1::5])
    cold.trim()
    assert cold.spill.dump() == full.blocks.blocks  # sizes written match the members
    for r in gone:
        cold.candidates(r)  # their heads resident again
    cold.add(gone)  # back into full heads: each pushes the head's last member out
    full.add(gone)
    for r in refs[::9]:
        assert cold.candidates(r) == full.candidates(r)
    heads_hold_their_prefix(cold)
    same(refs[2::4])
    cold.blocks.evict(0)
    assert cold.spill.dump() == full.blocks.blocks


def test_memory_and_io_are_bounded_by_the_caps_and_the_blocks_touched():
    """A dense week holds far more than the caps: between two "articles" at most `hot_blocks`
    units of heads and `hot_mentions` refs stay in memory, whatever the week's size, and a
    lookup reads at most `BLOCK_SAMPLE` members of each block it loads, never a whole week or
    block (the mentions looked up are in blocks several times the sample). Alternating between
    the two densest weeks (what made the page cache write a whole week out and read another
    back per article) reads no more than that either."""
    state, refs = current_refs(dense()[:300])
    by_page: dict[int, list[MentionRef]] = {}
    for r in refs:
        by_page.setdefault(min(page_of(b) for b in stored_buckets(r)), []).append(r)
    weeks = sorted(by_page, key=lambda p: -len(by_page[p]))[:2]
    index, plain = bounded_and_plain(state, refs, hot_mentions=50, hot_blocks=400)
    week_rows = sum(len(b) for (bucket, _), b in plain.blocks.blocks.items()
                    if page_of(bucket) == weeks[0])
    assert week_rows > 20 * BLOCK_SAMPLE  # a week is far bigger than what a lookup reads
    in_big = {mid for b in plain.blocks.blocks.values() if len(b) > BLOCK_SAMPLE
              for _, mid in b}
    looked_up = {p: [r for r in by_page[p] if r.mention.mention_id in in_big][:8] for p in weeks}
    assert all(len(x) == 8 for x in looked_up.values())
    for i in range(12):
        for r in looked_up[weeks[i % 2]]:
            probes = len(list(probed_buckets(r))) * len(index._features(r))
            rows, loads = index.spill.rows_read, index.blocks.loads
            assert index.candidates(r) == plain.candidates(r)
            loaded = index.blocks.loads - loads
            assert loaded <= probes
            assert index.spill.rows_read - rows <= loaded * BLOCK_SAMPLE
        index.trim()
        assert index.blocks.units <= 400 and len(index.resident) <= 50
        heads_hold_their_prefix(index)


def test_a_lookup_reads_no_interval_in_a_bucket_of_one_interval():
    """A day bucket holds only mentions of that day, a coarse one only those of its exact span:
    a same-span lookup there (`bounded.Working.attach`, the merge probe) reads no member's ref to
    check its interval (a ref not resident is read from its stored version; the older a block's
    sampled members, the more of them). Only a week bucket holds other intervals. The answers
    are the unbounded index's."""
    state, refs = current_refs(dense()[:300])
    index, plain = bounded_and_plain(state, refs, hot_mentions=0, hot_blocks=0)
    one_interval = [r for r in refs if stored_buckets(r)[0][0] in ("d", "c")]
    assert len(one_interval) > 300
    found = 0
    for r in one_interval[::7]:
        loads = index.refs.loads
        got = index.candidates(r, 48, same_span=True)
        assert got == plain.candidates(r, 48, same_span=True)
        assert index.refs.loads == loads, r.mention.mention_id
        found += len(got.ids)
        index.trim()
    assert found > 100  # the lookups had members to check


def test_an_articles_block_entries_are_written_in_a_few_statements():
    """`ActiveMentions.add` writes its mentions' block entries to the cold tier together (about
    32 one-row INSERTs per dense article before): 300 statements' worth of rows in a couple of
    statements, and the blocks, sizes and heads the unbounded index has. Entries there already
    (a mention added twice) are written one at a time, each kept once."""
    state, refs = current_refs(dense()[:120])
    cold = ColdBlocks()
    statements = []
    cold.con.set_trace_callback(statements.append)
    index = ActiveMentions(spill=cold, loader=state.active_ref, hot_mentions=0, hot_blocks=0)
    plain = ActiveMentions()
    index.add(refs[:40])
    plain.add(refs[:40])
    written = cold.rows_written
    assert written > 60
    member_inserts = [s for s in statements if "INTO members" in s]
    assert 1 <= len(member_inserts) <= 1 + written // 300
    index.add(refs[30:120])  # ten of them there already
    plain.add(refs[40:120])
    heads_hold_their_prefix(index)
    index.blocks.evict(0)
    assert cold.dump() == plain.blocks.blocks
    for r in refs[::5]:
        assert index.candidates(r) == plain.candidates(r)


def test_a_component_with_a_sampled_seed_is_none_before_any_pair_is_scored():
    """`ActiveMentions.component` is None when any seed's lookup samples a block (the seeds
    are all expanded otherwise): it says so from the blocks' sizes, before expanding another
    seed and scoring its pairs. The answers are the unbounded index's."""
    state, refs = current_refs(dense()[:300])
    index, plain = bounded_and_plain(state, refs, hot_mentions=0, hot_blocks=0)
    big = next(r for r in refs if plain.candidates(r).sampled)
    small = next(r for r in refs if not plain.candidates(r).sampled and plain.candidates(r).ids
                  and any(plain.scores(r, plain.refs[m]) is not None
                          for m in plain.candidates(r).ids))
    calls = index.scores.calls
    assert index.component([big, small], limit=200) is None
    assert index.scores.calls == calls  # nothing scored: `small` was not expanded
    assert plain.component([big, small], limit=200) is None
    assert index.component([small], limit=10_000) == plain.component([small], limit=10_000)


def bounded_and_plain(state, refs, **caps):
    """(bounded index over a cold tier with these caps, trimmed; unbounded index), both of refs."""
    index = ActiveMentions(spill=ColdBlocks(), loader=state.active_ref, **caps)
    plain = ActiveMentions()
    index.add(refs)
    plain.add(refs)
    index.trim()
    return index, plain


async def resolved(path, arts, **bounds):
    """(store, resolver): the worker's resolver over a store at `path`, `arts` handled in order."""
    from processors.worker.resolver_state import MemoryJournal, Resolver, Store

    async def publish(messages):
        pass

    store = Store(path)
    r = Resolver(store, MemoryJournal(), publish, **bounds)
    await r.recover()
    for offset, art in enumerate(arts):
        await r.handle(offset, art)
    return store, r


def test_the_store_reads_one_mention_without_parsing_or_caching_its_article(tmp_path):
    """What the index reads of a mention it does not hold (`StoredVersions.mention_ref`) and what
    the merge rule reads of a sentence (`sentences`) equal what the parsed article gives, and
    neither parses the article nor pushes the versions the fold works on out of the cache."""
    import asyncio

    from processors.worker.resolver_state import refs_of

    arts = dense()[:40]

    async def main():
        store, r = await resolved(tmp_path / "store.sqlite", arts)
        versions = r.loaded().versions
        versions.cache.clear()
        for art in arts:
            for ref in refs_of(art):
                got = versions.mention_ref(art.version_id, ref.mention.mention_id)
                assert got == ref and got.order_key == ref.order_key
                assert got.mention.model_dump() == ref.mention.model_dump()
            assert versions.sentences(art.version_id) == [
                (m.mention_id, m.sentence_start) for m in art.mentions]
            assert versions.mention_ref(art.version_id, "nothing:0") is None
        assert not versions.cache
        store.close()

    asyncio.run(main())


def test_dense_articles_through_the_resolver_with_small_caches_give_the_unbounded_timeline(
        tmp_path):
    """200 dense articles (late ones included) through the worker's resolver with caches far
    smaller than what the stream touches: statuses, URL index, copies, events and mention ->
    event read back from the store many times. The same timeline as the unbounded fold."""
    import asyncio

    arts = dense()[:200]
    full = fold_all(arts)

    async def main():
        store, r = await resolved(
            tmp_path / "store.sqlite", arts, hot_mentions=500, hot_blocks=2000, hot_summaries=20,
            status_cache=30, url_cache=30, event_cache=10, owner_cache=100)
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
        all_pages = {p for (p,) in store.con.execute("SELECT DISTINCT page FROM index_pages")}
        store.close()
        store = Store(tmp_path / "store.sqlite")  # the restart: a fresh resolver, small cap
        r = Resolver(store, journal, publish, hot_mentions=cap, hot_blocks=4 * cap)
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
    from processors.worker.resolver_state import MemoryJournal, Resolver, Store

    # and versions published 150 days before the stream (outside the copy horizon), at the end
    # (their mentions' ids renamed too: a mention id names its version)
    old = [a.model_copy(update={
        "version_id": a.version_id + "0", "url": a.url + "/old",
        "canonical_url": a.canonical_url + "/old",
        "published_at": a.published_at - timedelta(days=150),
        "mentions": [m.model_copy(update={"mention_id": m.mention_id.replace(":", "0:", 1)})
                     for m in a.mentions]})
        for a in dense()[:300:30]]
    arts = list(dense()[:300]) + old

    async def publish(messages):
        pass

    async def main():
        store, _ = await resolved(tmp_path / "store.sqlite", arts)
        store.close()
        store = Store(tmp_path / "store.sqlite")
        r = Resolver(store, MemoryJournal(), publish, hot_mentions=50, hot_blocks=500)
        await r.recover()
        lazy = r.loaded()
        full = TimelineState(versions={a.version_id: a for a in store.articles()},
                             statuses=store.statuses(), events=store.events())
        full.rebuild()
        refs = list(full.active.resident.values())
        active = lazy.active
        active._touch(b for x in refs for b in probed_buckets(x))
        known = all(x.mention.mention_id in active.refs for x in refs)
        answers = []
        for x in refs:
            answers.append(active.candidates(x))
            active.trim()
        active.blocks.evict(0)
        blocks = active.spill.dump()
        bands = {band: lazy.bands.get(band, set()) for band in full.bands}
        more = store.con.execute("SELECT count(DISTINCT band) FROM bands WHERE published >= ?",
                                 (micros(full.newest - COPY_INDEX_HORIZON),)).fetchone()[0]
        out = (active.builds, known, answers, blocks, lazy.newest, bands, more)
        store.close()
        return full, out, refs

    from processors.worker.resolver_state import micros

    full, (builds, known, answers, blocks, newest, bands, more), refs = asyncio.run(main())
    statuses = {st.status for st in full.statuses.values()}
    assert {"superseded", "duplicate"} <= statuses
    assert max(a.published_at for a in arts) - min(a.published_at for a in arts) > \
        COPY_INDEX_HORIZON
    assert any(len({page_of(b) for b in stored_buckets(x)}) > 1 for x in refs)
    assert builds > 3
    assert known
    assert blocks == full.active.blocks.blocks
    assert newest == full.newest
    assert bands == full.bands and more == len(full.bands)
    assert answers == [full.active.candidates(x) for x in refs]


def test_cache_caps_scale_every_cap_of_the_resolver():
    """`NEWSLINE_RESOLVER_CACHE_SCALE`: every memory cap of the resolver times the scale, none
    below 1, and each one a field the resolver takes (the test above: the same timeline)."""
    from dataclasses import fields

    from processors.worker.resolver_state import Resolver, cache_caps

    full, small = cache_caps(), cache_caps(0.05)
    assert set(full) <= {f.name for f in fields(Resolver)}
    assert full == {f.name: f.default for f in fields(Resolver) if f.name in full}
    assert all(small[name] == max(1, round(cap * 0.05)) for name, cap in full.items())
    assert min(cache_caps(1e-9).values()) == 1


def test_days_settled_through_the_resolvers_store_give_the_unbounded_timeline(tmp_path,
                                                                              monkeypatch):
    """The settle of dense days (`processors/resolution/settle.py`) reads a day's mentions from
    the index's day block, on disk in the worker: with settles from 16 mentions a day, 200
    dense articles through the resolver with small caches give the events the unbounded fold
    gives with the same settles, and settles did happen."""
    import asyncio

    from processors.resolution import settle

    monkeypatch.setattr(settle, "SETTLE_FROM", 16)
    monkeypatch.setattr(settle, "SETTLE_CAP", 256)
    settled: list[int] = []
    real = settle.settle_day
    monkeypatch.setattr(settle, "settle_day", lambda work, day: (settled.append(day),
                                                                   real(work, day))[1])
    arts = dense()[:200]
    full = fold_all(arts)
    in_memory = len(settled)

    async def main():
        store, r = await resolved(tmp_path / "store.sqlite", arts, hot_mentions=300,
                                  hot_blocks=1200, hot_summaries=20, event_cache=10,
                                  owner_cache=100)
        events = dict(r.loaded().events)
        store.close()
        return events

    got = asyncio.run(main())
    assert in_memory > 3 and len(settled) == 2 * in_memory, (in_memory, len(settled))
    assert got == full.events
