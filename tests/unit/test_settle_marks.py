"""A day's high-water mark (`settle.days_to_settle`): a size a day was already settled at is not
settled again, and the marks survive a crash or a restart at any point (the journal record and
the resolver's store keep them), so a restarted resolver settles at the same articles as an
unbroken one."""

import asyncio
from functools import cache

import pytest

from processors.resolution import settle
from processors.resolution.fold import fold_all
from processors.worker.resolver_state import Crash, MemoryJournal, Record, Resolver, Store
from tests.unit.test_dense_resolution import hot_story
from tests.unit.test_resolver_state import Sink

ARTICLES = 150
FIRST = 8  # a settle size the hot story's days cross back and forth in 150 articles


@cache
def stream():
    return tuple(hot_story()[:ARTICLES])


def settles(monkeypatch, memory: bool = True) -> list[tuple[int, int]]:
    """(day, size) of every settle of a fold of the stream."""
    done: list[tuple[int, int]] = []
    real_settle, real_days = settle.settle_day, settle.days_to_settle
    monkeypatch.setattr(settle, "settle_day", lambda work, day: done.append(
        (day, work.active.day_size(day))) or real_settle(work, day))
    if not memory:  # every crossing settles; the marks are still kept for the record
        monkeypatch.setattr(settle, "days_to_settle", lambda active, added, removed, marks: [
            d for d in real_days(active, added, removed) if marks.setdefault(d, 0) >= 0])
    fold_all(stream())
    monkeypatch.setattr(settle, "settle_day", real_settle)
    monkeypatch.setattr(settle, "days_to_settle", real_days)
    return done


def test_a_size_already_settled_is_not_settled_again(monkeypatch):
    monkeypatch.setattr(settle, "SETTLE_FROM", FIRST)
    every = settles(monkeypatch, memory=False)
    kept = settles(monkeypatch)
    assert len(kept) < len(every)  # some days crossed a settled size again
    assert set(kept) < set(every)
    marks: dict[int, int] = {}
    for day, size in kept:  # each settle is at a size above the day's mark
        assert size > marks.get(day, 0)
        marks[day] = max(s for s in settle.settle_sizes() if s <= size)
    assert fold_all(stream()).settled == marks


class EveryThird:
    """Crashes at every third time each step is reached (not while publishing, which recovery
    repeats for a whole group): a crash in every article, at a different step each time, during
    recovery too."""

    STEPS = {"fold", "journal:before", "journal:after", "changes", "store", "store:versions",
             "store:statuses", "store:events", "store:position", "done"}

    def __init__(self, period: int = 3):
        self.period, self.seen, self.crashes = period, dict.fromkeys(self.STEPS, 0), set()

    def __call__(self, step):
        if step in self.seen:
            self.seen[step] += 1
            if self.seen[step] % self.period == 0:
                self.crashes.add(step)
                raise Crash(step)


def resolve(tmp_path, faults=None):
    """The stream through a resolver with a store; on a crash, a new process (a new store
    connection and resolver, recovered from the journal) and redelivery from its position."""
    journal, sink = MemoryJournal(), Sink()
    faults = faults or (lambda step: None)
    journal.fault = sink.fault = lambda step: step != "publish" and faults(step)
    arts = stream()

    async def main():
        store = resolver = None
        pos = 0
        while True:
            try:
                if resolver is None:
                    store = Store(tmp_path / "store.sqlite")
                    store.fault = faults
                    resolver = Resolver(store, journal, sink.publish, fault=faults)
                    await resolver.recover()
                    pos = resolver.next_offset or 0
                if pos == len(arts):
                    break
                await resolver.handle(pos, arts[pos])
                pos += 1
            except Crash:
                store.close()
                resolver = None
        dump = store.dump()
        store.close()
        return dump

    return asyncio.run(main()), list(journal.records), sink.changes


@pytest.mark.parametrize("rules", [{"SETTLE_FROM": FIRST},
                                   {"SMALL_FROM": FIRST, "SETTLE_FROM": 64}],
                         ids=["dense days", "small days"])
def test_a_crash_anywhere_keeps_the_marks(tmp_path, monkeypatch, rules):
    """Crashed in every article (before and after its record is journalled, between the
    store's statements, after its commit, during recovery): the unbroken run's store (marks
    included), journal and changes. It fails if the store does not read its marks back or a
    record applied from the journal does not write them: the restarted fold settles a day
    again at a size it had settled, a record the unbroken run does not have. The small days'
    series (`SMALL_FROM` below `SETTLE_FROM`) keeps its marks the same way (its marks are
    raised where the article is clustered exactly and the day not replayed, too)."""
    for name, value in rules.items():
        monkeypatch.setattr(settle, name, value)
    clean = resolve(tmp_path / "clean")
    marks = clean[0]["settled"]
    assert marks == fold_all(stream()).settled
    if "SMALL_FROM" not in rules:  # (a small day's mark is raised on the exact path too)
        assert sum(1 for raw in clean[1] if Record.parse(raw).settled) < \
            len(settles(monkeypatch, memory=False))  # repeats were skipped
    faults = EveryThird()
    crashed = resolve(tmp_path / "crashed", faults)
    assert faults.crashes == EveryThird.STEPS
    assert crashed[0] == clean[0]
    assert crashed[1] == clean[1]
    assert crashed[2] == clean[2]
