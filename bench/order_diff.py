"""Where two arrival orders of the dense workload disagree, and which decisions made it.

    .venv/bin/python bench/order_diff.py --articles 3000
    .venv/bin/python bench/order_diff.py --articles 10000 --json out.json
    .venv/bin/python bench/order_diff.py --articles 3000 --rule MERGE_MIN_PROBE=4
    .venv/bin/python bench/order_diff.py --articles 10000 --small-days

Folds the same articles in the two shuffled orders of `dense_resolver_bench.py --orders` (same
pool, seed and shuffles) with `bounded.TRACE` set, so every decision is logged: an exact
reclustering of a small component (`exact`), a mention joining an event (`join`) or founding one
(`found`), two events merged (`merge`) or a merge refused (`refuse`, on the sentence rule or on
sampled support). Then, in each direction (A against B, B against A), the mention pairs in one
event of A and in two of B (A's pairwise false positives with B as the reference) are
attributed to the decision of A that put the pair together (the last one, if several did), and
classified by what B did with the two events of B they ended in: a merge of those two was
checked and refused, or never checked at all.

`--small-days` adds where the pairs are by the final size of their day, what the agreement and
each order's precision and recall against the generator would be if every day under
`settle.SETTLE_FROM` held the events a settle's replay makes of its final mentions (a
function of the set, as a recomputation on every change would give), and what such a replay
on every change would read (the sizes of the days under `SETTLE_FROM` each article changes).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dense_resolver_bench import gold_pairs, pairwise_f1, set_rules, workload  # noqa: E402
from bench.dense_workload import add_workload_arguments  # noqa: E402
from processors.resolution import bounded, settle  # noqa: E402
from processors.resolution import fold as timeline  # noqa: E402
from processors.resolution.bounded import Working  # noqa: E402
from processors.resolution.coreference import MentionRef, compatible  # noqa: E402
from processors.resolution.fold import TimelineState, _refs, apply_article  # noqa: E402


def traced_fold(arts: list) -> tuple[TimelineState, list[tuple], int]:
    """Fold in this order, logging every decision (mention ids only); and the sizes, summed
    over the articles, of the days under `SETTLE_FROM` each one changes (what a replay of
    such a day on every change would read)."""
    log: list[tuple] = []
    touched = 0

    def trace(what: str, *args: Any) -> None:
        if what == "join":
            r, ids = args
            log.append(("join", r.mention.mention_id, tuple(ids)))
        elif what == "found":
            r, fitting = args
            log.append(("found", r.mention.mention_id, fitting))
        elif what in ("merge", "refuse"):
            small, big, why, linked, probed = args
            log.append((what, tuple(small), tuple(big), why,
                        linked, probed))
        elif what == "settle":  # a day settled; its replay's joins and merges follow
            day, size = args
            log.append(("settle", day, size))
        elif what == "exact":
            old, new = args
            log.append(("exact", {e: tuple(ev.mention_ids) for e, ev in old.items()},
                        [tuple(ev.mention_ids) for ev in new.values()]))

    bounded.TRACE = trace
    try:
        state = TimelineState()
        for a in arts:
            apply_article(state, a)
            sizes = (state.active.day_size(d) for d in {settle.day_of(r) for r in _refs(a)}
                     if d is not None)
            touched += sum(n for n in sizes if n < settle.SETTLE_FROM)
    finally:
        bounded.TRACE = None
    return state, log, touched


def owners(state: TimelineState) -> dict[str, str]:
    """Mention id -> event id, final."""
    return {m: eid for eid, ev in state.events.items() for m in ev.mention_ids}


def apart(ids: list[str] | tuple[str, ...], own_a: dict, own_b: dict) -> int:
    """Pairs of these ids in one event of A and two of B."""
    by_a: dict[str, Counter] = defaultdict(Counter)
    for m in ids:
        if m in own_a and m in own_b:
            by_a[own_a[m]][own_b[m]] += 1
    out = 0
    for counts in by_a.values():
        n = sum(counts.values())
        out += (n * n - sum(c * c for c in counts.values())) // 2
    return out


def cross(s: tuple, t: tuple, own_a: dict, own_b: dict) -> int:
    """Pairs (x in s, y in t) in one event of A and two of B."""
    return apart(s + t, own_a, own_b) - apart(s, own_a, own_b) - apart(t, own_a, own_b)


def recheck(state: TimelineState, x: str, y: str) -> tuple[bool, float, float]:
    """The merge rule of `bounded.Working.merge` on two final events of `state`: whether its
    probe passes now, the share of all the smaller one's members with a candidate in the
    larger, and the share with any compatible pair in it (every pair scored)."""
    refs = state.active.refs
    ex, ey = state.events[x].mention_ids, state.events[y].mention_ids
    small, big = (ex, ey) if (len(ex), y) < (len(ey), x) else (ey, ex)
    big_id = state.owner[big[0]]
    members = sorted((refs[m] for m in small), key=lambda r: r.order_key)

    def linked(r: MentionRef) -> bool:
        for mid in state.active.candidates(r, bounded.ATTACH_CANDIDATES, same_span=True).ids:
            if state.owner.get(mid) == big_id and compatible(r, refs[mid]) is not None:
                return True
        return False

    probe = members[: bounded.SUPPORT_SAMPLE]
    passes = sum(map(linked, probe)) >= bounded.MERGE_SHARE * len(probe)
    share = sum(map(linked, members)) / len(members)
    big_refs = [refs[m] for m in big]
    any_share = sum(any(compatible(r, o) is not None for o in big_refs)
                    for r in members) / len(members)
    return passes, share, any_share


def attribute(log: list[tuple], own_a: dict, own_b: dict, log_b: list[tuple],
              state_b: TimelineState) -> dict:
    """A's false positives against B, by the decision of A that made them and B's fate."""
    by_op: Counter[str] = Counter()
    for op in log:
        if op[0] == "join":
            by_op["join"] += cross((op[1],), op[2], own_a, own_b)
        elif op[0] == "merge":
            by_op["merge"] += cross(op[1], op[2], own_a, own_b)
        elif op[0] == "exact":
            old_of = {m: e for e, ids in op[1].items() for m in ids}
            for ids in op[2]:
                groups: dict[str, list[str]] = defaultdict(list)
                for m in ids:
                    groups[old_of.get(m, "new:" + m)].append(m)
                by_op["exact"] += apart(ids, own_a, own_b) - sum(
                    apart(g, own_a, own_b) for g in groups.values())
    # The first decision of A that put members of two of B's final events in one group.
    first: dict[tuple[str, str], str] = {}

    def mixes(s: tuple, t: tuple, label: str) -> None:
        ka = {(own_a[m], own_b[m]) for m in s if m in own_a and m in own_b}
        kb = {(own_a[m], own_b[m]) for m in t if m in own_a and m in own_b}
        for ea, x in ka:
            for eb, y in kb:
                if ea == eb and x != y:
                    first.setdefault((min(x, y), max(x, y)), label)

    for op in log:
        if op[0] == "join":
            mixes((op[1],), op[2], f"join into a group of {_size(len(op[2]))}")
        elif op[0] == "merge":
            mixes(op[1], op[2], f"merge of {_size(len(op[1]))} into {_size(len(op[2]))}, "
                                f"linked {op[4]}/{op[5]}")
        elif op[0] == "exact":
            for ids in op[2]:
                mixes(ids, ids, "exact")
    # B's side: pairs of B's final events that a merge check of B looked at.
    checked: dict[tuple[str, str], str] = {}
    last: dict[tuple[str, str], tuple] = {}
    for op in log_b:
        if op[0] in ("refuse", "merge"):
            ka = {own_b[m] for m in op[1] if m in own_b}
            kb = {own_b[m] for m in op[2] if m in own_b}
            for x in ka:
                for y in kb:
                    if x != y:
                        key = (min(x, y), max(x, y))
                        checked[key] = op[0] + ":" + op[3] if op[0] == "refuse" else "merged"
                        last[key] = (len(op[1]), len(op[2]), op[4], op[5])
    fate: Counter[str] = Counter()
    now: Counter[str] = Counter()
    mixed: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    by_a: dict[str, Counter] = defaultdict(Counter)
    for m, ea in own_a.items():
        if m in own_b:
            by_a[ea][own_b[m]] += 1
    size_b = Counter(own_b.values())
    for counts in by_a.values():
        keys = sorted(counts)
        for i, x in enumerate(keys):
            for y in keys[i + 1:]:
                n = counts[x] * counts[y]
                fate[checked.get((x, y), "never checked")] += n
                mixed[first.get((x, y), "?")] += n
                if size_b[x] > 1 and size_b[y] > 1:
                    passes, share, any_share = recheck(state_b, x, y)
                    now["probe passes on the final events" if passes else
                        "probe fails on the final events"] += n
                    now[f"share of all members linked via candidates {_bin(share)}"] += n
                    now[f"share of all members with a compatible pair {_bin(any_share)}"] += n
                    if (x, y) in last:
                        ns, nb, linked, probed = last[(x, y)]
                        grown = (ns + nb) / (size_b[x] + size_b[y])
                        now[f"last check saw {_bin(grown)} of the final members"] += n
                        now[f"last check linked {linked}/{probed}"] += n
                small = min(size_b[x], size_b[y])
                sizes["B piece of 1" if small == 1 else "B pieces 2-9" if small < 10 else
                      "B pieces >= 10"] += n
    total = sum(fate.values())
    return {"false_pairs": total, "by_decision_of_A": dict(by_op), "by_fate_in_B": dict(fate),
            "by_smaller_B_event": dict(sizes), "B_events_of_2_or_more": dict(sorted(now.items())),
            "first_mixed_in_A_by": dict(mixed.most_common(25))}


def day_sizes(state: TimelineState) -> dict[str, int]:
    """Mention id -> the final size of its day, for the mentions a day's size counts."""
    refs, out = state.active.refs, {}
    sizes: dict[int, int] = {}
    for ev in state.events.values():
        for m in ev.mention_ids:
            r = refs.get(m)
            day = None if r is None or not state.active._features(r) else settle.day_of(r)
            if day is not None:
                if day not in sizes:
                    sizes[day] = state.active.day_size(day)
                out[m] = sizes[day]
    return out


def by_day_size(own_a: dict, own_b: dict, size_of: dict[str, int]) -> dict[str, int]:
    """The mention pairs in one event of A and two of B, by the final size of the event's day
    (of its first mention)."""
    by_a: dict[str, Counter] = defaultdict(Counter)
    first: dict[str, str] = {}
    for m in sorted(own_a):
        if m in own_b:
            by_a[own_a[m]][own_b[m]] += 1
            first.setdefault(own_a[m], m)
    out: Counter[str] = Counter()
    for eid, counts in by_a.items():
        n = sum(counts.values())
        pairs = (n * n - sum(c * c for c in counts.values())) // 2
        if pairs:
            size = size_of.get(first[eid])
            out["not of one day" if size is None else "day of " + _day_bin(size)] += pairs
    return dict(sorted(out.items()))


def _day_bin(n: int) -> str:
    for top in (64, 128, 256, 512):
        if n < top:
            return f"under {top}"
    return "512 or more"


def replayed_small_days(state: TimelineState, size_of: dict[str, int]) -> dict[str, str]:
    """Mention id -> event, each day under `SETTLE_FROM` made the events a settle's replay
    makes of its final mentions (`settle.replay`)."""
    own = {m: eid for eid, ev in state.events.items() for m in ev.mention_ids}
    work = Working(state.active, state, state.owner)
    days = {settle.day_of(state.active.refs[m]) for m, n in size_of.items()
            if n < settle.SETTLE_FROM}
    for day in sorted(d for d in days if d is not None):
        refs = sorted((state.active.refs[m] for m in state.active.day_mentions(day)),
                      key=lambda r: r.order_key)
        for n, part in enumerate(settle.replay(work, refs)):
            for r in part:
                own[r.mention.mention_id] = f"replay:{day}:{n}"
    return own


def small_days(states: list[TimelineState], touched: list[int]) -> dict:
    """`--small-days`: see the module's docstring."""
    own = [owners(s) for s in states]
    size_of = day_sizes(states[0])
    replayed = [replayed_small_days(s, size_of) for s in states]
    return {"by_day_size_A_against_B": by_day_size(own[0], own[1], size_of),
            "by_day_size_B_against_A": by_day_size(own[1], own[0], size_of),
            "replay_on_every_change_reads": touched,
            "small_days_replayed_on_their_final_mentions": {
                "pairwise_f1": round(owner_f1(*replayed), 5),
                "by_day_size_A_against_B": by_day_size(replayed[0], replayed[1], size_of),
                "by_day_size_B_against_A": by_day_size(replayed[1], replayed[0], size_of),
                "against_generator": [gold_pairs(s, o) for s, o in zip(states, replayed, strict=True)]}}


def owner_f1(own_a: dict, own_b: dict) -> float:
    """`pairwise_f1` of two mention -> event maps."""
    both = Counter((e, own_b.get(m)) for m, e in own_a.items())

    def pairs(counts: Iterable[int]) -> int:
        return sum(c * (c - 1) // 2 for c in counts)

    pa, pb = pairs(Counter(own_a.values()).values()), pairs(Counter(own_b.values()).values())
    return 2 * pairs(both.values()) / (pa + pb) if pa + pb else 1.0


def _size(n: int) -> str:
    return str(n) if n < 4 else "4-9" if n < 10 else "10-49" if n < 50 else ">= 50"


def _bin(x: float) -> str:
    return "< 0.25" if x < 0.25 else "0.25-0.5" if x < 0.5 else "0.5-0.75" if x < 0.75 else \
        ">= 0.75"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=3000)
    add_workload_arguments(parser)
    parser.add_argument("--component-limit", type=int)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--small-days", action="store_true",
                        help="the pairs by day size, and the days under SETTLE_FROM replayed")
    parser.add_argument("--rule", action="append", default=[], metavar="NAME=VALUE",
                        help="override a constant of processors/resolution/bounded.py or "
                             "settle.py (MERGE_MIN_PROBE=4...), as dense_resolver_bench.py does")
    args = parser.parse_args()
    args.workload = "dense"
    if args.component_limit is not None:
        timeline.COMPONENT_LIMIT = args.component_limit
    set_rules(args.rule)
    arts = workload(args, args.articles)[: args.articles]
    states, logs, touched = [], [], []
    for k in (1, 2):  # the shuffles of `dense_resolver_bench.orders`
        order = list(arts)
        random.Random(args.seed + k).shuffle(order)
        t0 = time.perf_counter()
        state, log, reads = traced_fold(order)
        touched.append(reads)
        print(f"order {k}: {time.perf_counter() - t0:.0f} s, {Counter(op[0] for op in log)}",
              flush=True)
        states.append(state)
        logs.append(log)
    out = {"articles": args.articles, "agreement": pairwise_f1(*states)}
    own = [owners(s) for s in states]
    out["A_against_B"] = attribute(logs[0], own[0], own[1], logs[1], states[1])
    out["B_against_A"] = attribute(logs[1], own[1], own[0], logs[0], states[0])
    if args.small_days:
        out["small_days"] = small_days(states, touched)
    for k, log in enumerate(logs):
        out[f"decisions_{k + 1}"] = dict(Counter(
            op[0] + (":" + op[3] if op[0] == "refuse" else "") for op in log))
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
