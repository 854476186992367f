"""The resolver on a dense story (the bounded path): orders agree, summaries match, bench runs."""

import argparse
import gc
import json
import random
import subprocess
import sys
from functools import cache

from bench.dense_resolver_bench import FullCollections, orders, pairwise_f1, workload
from bench.dense_workload import CACHE, adversarial_pool, analyse_all, expand, raw_pool
from processors.resolution import bounded
from processors.resolution import fold as timeline
from processors.resolution.bounded import COMPONENT_LIMIT, Working
from processors.resolution.coreference import MentionRef, event_state
from processors.resolution.fold import fold_all
from processors.resolution.summary import Summary
from schemas.timeline import EventFacts
from tests.conftest import ROOT

HOT_STORY = 2000  # articles of one story within one week
DENSE_ARTICLES = 3000


@cache
def hot_story():
    """250 really analysed articles of one story, re-stamped into 2,000 (same names, same days)."""
    pool = analyse_all(adversarial_pool(21, 250), processes=1)
    return tuple(expand(pool, HOT_STORY, rename=False, spread=False))


def test_a_hot_story_of_2000_articles_gives_the_same_events_in_any_order(monkeypatch):
    arts = list(hot_story())
    bounded = []
    monkeypatch.setattr(timeline, "maintain",
                        lambda *a: bounded.append(1) or _maintain(*a))
    canonical = fold_all(sorted(arts, key=lambda a: (a.published_at, a.version_id)))
    assert len(bounded) > HOT_STORY / 2  # the story is dense: most articles took that path
    assert max(len(e.mention_ids) for e in canonical.events.values()) > COMPONENT_LIMIT
    for seed in (1, 2):
        random.Random(seed).shuffle(arts)
        agreement = pairwise_f1(canonical, fold_all(arts))
        assert agreement["pairwise_f1"] >= 0.99, agreement


_maintain = timeline.maintain


def test_an_event_summary_describes_the_event_as_event_state_does():
    """Built member by member, members removed (the earliest, the latest, the first of an
    interval among them: `repair` finds the next), stored and read back: the facts are those
    `event_state` gives of the members."""
    arts = hot_story()[:300]
    refs = [MentionRef(m, a.version_id, a.canonical_url, a.language, a.published_at)
            for a in arts for m in a.mentions]
    rng = random.Random(4)
    for _ in range(30):
        group = rng.sample(refs, rng.randint(2, 40))
        order = sorted(group, key=lambda r: r.order_key)
        incremental = Summary.of(group[:1])
        for r in group[1:]:
            incremental.add(r)
        incremental.sources = len(incremental.urls)  # `Working` counts them, by key
        assert incremental.facts() == EventFacts.of(event_state(order)) == \
            Summary.of(group).facts()
        gone = [order[0], order[-1], *rng.sample(order[1:-1], len(order) // 3)]
        for r in gone:
            incremental.remove(r)
        kept = [r for r in order if r not in gone]
        if not kept:
            continue
        incremental.repair(lambda asc, kept=kept: iter(kept if asc else kept[::-1]))
        incremental.sources = len({r.canonical_url for r in kept})
        expected = EventFacts.of(event_state(kept))
        assert incremental.facts() == expected
        assert Summary.loads(incremental.dumps()).facts() == expected


def test_the_bounded_path_keeps_the_merge_rules():
    state = fold_all(hot_story()[:600])
    for ev in state.events.values():
        refs = [state.active.refs[m] for m in ev.mention_ids]
        assert len({r.sentence_key for r in refs}) == len(refs)
        assert max(r.mention.start for r in refs) <= min(r.mention.end for r in refs)
        assert len({r.mention.start for r in refs if r.mention.granularity == "day"}) <= 1
        assert all(state.owner[m] == ev.event_id for m in ev.mention_ids)


def test_a_small_group_merges_only_on_more_than_half_of_a_probe_of_min_probe_members(monkeypatch):
    """`Working.merge`: a group of fewer than `MERGE_MIN_PROBE` members counts its missing
    members as unlinked, so one member linked to a large event does not merge a group of one
    into it (it did with a probe of its one member); a group of enough linked members does.
    With the default share (more than half, `MERGE_SHARE` 0.55), two linked members of a probe
    counted as four (exactly half) do not merge either; three do."""
    state = fold_all(hot_story()[:600])
    refs = state.active.refs
    big = max((e for e in state.events.values() if e.granularity == "day"),
              key=lambda e: (len(e.mention_ids), e.event_id))
    members = sorted((refs[m] for m in big.mention_ids), key=lambda r: r.order_key)

    def merged(k: int) -> bool:
        part, rest = members[-k:], members[:-k]
        work = Working(state.active, state, {})
        work.groups["big"], work.groups["small"] = Summary.of(rest), Summary.of(part)
        work.owner.update({r.mention.mention_id: "big" for r in rest})
        work.owner.update({r.mention.mention_id: "small" for r in part})
        return work.merge("big", "small") == "big" and work.groups["small"] is None

    assert (bounded.MERGE_SHARE, bounded.MERGE_MIN_PROBE) == (0.55, 4)  # the defaults
    assert not merged(1) and not merged(2)
    assert merged(3) and merged(8)
    monkeypatch.setattr(bounded, "MERGE_SHARE", 0.5)  # exactly half was enough before
    assert merged(2)
    monkeypatch.setattr(bounded, "MERGE_MIN_PROBE", 0)
    assert merged(1) and merged(2)
    monkeypatch.setattr(bounded, "MERGE_MIN_PROBE", 4)
    assert not merged(1)
    assert merged(2) and merged(8)


def test_the_dense_workload_is_deterministic_by_seed():
    a = raw_pool(3, 150, weeks=2, largest=60)
    assert a == raw_pool(3, 150, weeks=2, largest=60)
    assert a != raw_pool(4, 150, weeks=2, largest=60)
    assert {d["language"] for d in a} == {"en", "fr"}
    assert len({d["source"] for d in a}) > 20


def test_the_dense_bench_smoke_run_writes_its_figures(tmp_path):
    out = tmp_path / "dense.json"
    cmd = [sys.executable, str(ROOT / "bench/dense_resolver_bench.py"), "--pool", "150",
           "--pool-weeks", "2", "--largest", "80", "--sizes", "100,200,400", "--slice", "100",
           "--json", str(out), "--cache", str(tmp_path / "cache")]
    subprocess.run(cmd, check=True, capture_output=True, timeout=600)
    figures = json.loads(out.read_text())
    assert figures["machine"]["python"] and figures["articles"] == 400
    assert [row["articles"] for row in figures["sizes"]] == [100, 200, 400]
    for row in figures["sizes"]:
        assert row["articles_per_s"] > 0 and row["events"] > 0 and row["kb_per_article"] > 0
        spread = row["fold_ms_by_article"]
        assert 0 < spread["p50"] <= spread["p99"] <= spread["p999"] <= spread["max"]
        assert len(spread["slowest"]) == 8 and spread["slowest"][0][1] == spread["max"]
        assert all(0 <= at < row["slice"] for at, _ in spread["slowest"] + spread["full_gc"])
    subprocess.run(cmd + ["--orders"], check=True, capture_output=True, timeout=600)
    assert 0.9 <= json.loads(out.read_text())["orders"]["pairwise_f1"] <= 1.0


def test_full_collections_are_timed_with_the_article_they_ran_in():
    with FullCollections() as full:
        full.at = 3
        gc.collect()  # an oldest-generation pass, as the collector runs one inside a fold
        full.at = 4
        gc.collect(0)  # a young one: not counted
    assert [at for at, _ in full.pauses] == [3] and full.pauses[0][1] >= 0
    assert full not in gc.callbacks


def test_two_whole_stream_shuffles_of_the_dense_workload_agree(monkeypatch):
    """3,000 articles of the dense bench (its default pool, stories of up to 1,500 articles), in
    two shuffled orders: the pairwise F1 between the two timelines is at least 0.99."""
    args = argparse.Namespace(workload="dense", seed=15, pool=4000, pool_weeks=8, largest=1500,
                              years=5, cache=CACHE)
    arts = workload(args, DENSE_ARTICLES)[:DENSE_ARTICLES]
    bounded = []
    monkeypatch.setattr(timeline, "maintain", lambda *a: bounded.append(1) or _maintain(*a))
    agreement = orders(arts, seed=15)
    assert len(bounded) > DENSE_ARTICLES  # both orders mostly took the bounded path
    assert agreement["pairwise_f1"] >= 0.99, agreement
