"""The sink's batch window (`collect_batch`), on a scripted log and clock: no broker."""

from processors.store.sink import collect_batch


class ScriptedLog:
    """A changelog that delivers one record every `gap` seconds of a fake clock."""

    def __init__(self, count: int, gap: float) -> None:
        self.now, self.next_at, self.gap, self.left, self.offset = 0.0, 0.0, gap, count, 0
        self.polls: list[int] = []

    def clock(self) -> float:
        return self.now

    def poll(self, timeout_ms: int, max_records: int) -> list[tuple[int, bytes]]:
        self.polls.append(timeout_ms)
        until = self.now + timeout_ms / 1000
        if not self.left or self.next_at > until:  # nothing arrives within the timeout
            self.now = until
            return []
        self.now = max(self.now, self.next_at)
        got = []
        while self.left and self.next_at <= self.now and len(got) < max_records:
            got.append((self.offset, b"x"))
            self.offset += 1
            self.left -= 1
            self.next_at += self.gap
        return got


def test_a_trickle_is_one_batch_per_window_not_one_per_quiet_poll():
    # One article's changes every 0.2 s: quiet polls between them must not close the batch.
    log = ScriptedLog(count=100, gap=0.2)
    batch = collect_batch(log.poll, 5000, 1.0, log.clock)
    assert [o for o, _ in batch] == list(range(6))  # t = 0, 0.2, ..., 1.0: one window
    assert log.now <= 1.0 + 1e-9


def test_a_batch_closes_at_batch_max_before_its_window():
    log = ScriptedLog(count=100, gap=0.001)
    batch = collect_batch(log.poll, 10, 60.0, log.clock)
    assert len(batch) == 10 and log.now < 1.0


def test_a_drained_log_returns_nothing_after_one_short_poll():
    log = ScriptedLog(count=0, gap=1.0)
    assert collect_batch(log.poll, 10, 0.5, log.clock) == []
    assert log.polls == [100]


# The publish budget (`run_loop` with `PublishBudget`): the sink's loop on a scripted log and
# clock, with writes and publishes that take `cost` seconds of that clock.

from itertools import pairwise  # noqa: E402

import pytest  # noqa: E402

from processors.store.sink import PublishBudget, run_loop  # noqa: E402


def drive(log: ScriptedLog, *, publish_s: float, flush_s: float, until: float,
          cost: float = 0.0, held: int = 0, stretch: float = 1.5):
    """Run the loop until the clock passes `until`; what was committed and published, when."""
    budget = PublishBudget(publish_s, log.clock, stretch=stretch)
    committed: list[int] = []  # offsets committed, in order
    publishes: list[tuple[float, int]] = []  # (when it started, how many committed it showed)
    arrived = {}  # offset -> when the log delivered it

    def poll(timeout_ms, max_records):
        got = log.poll(timeout_ms, max_records)
        for offset, _ in got:
            arrived[offset] = log.now
        return got

    def write(records):
        log.now += cost
        committed.extend(o for o, _ in records)

    def publish():
        nonlocal held
        started = log.now
        log.now += cost
        if held:  # a rebuild holds the file back for this many tries
            held -= 1
            return False
        publishes.append((started, len(committed)))
        return True

    run_loop(poll, write, publish, budget, 5000, flush_s, lambda: log.now >= until)
    return committed, publishes, arrived


def visible_at(publishes, offset):
    """When the change at `offset` (the offset-th committed) was first published."""
    return next(t for t, shown in publishes if shown > offset)


def test_a_steady_stream_is_published_within_the_budget_and_nothing_is_lost():
    log = ScriptedLog(count=400, gap=0.05)  # 20 changes a second for 20 s
    committed, publishes, arrived = drive(log, publish_s=1.0, flush_s=0.5, until=30.0,
                                          cost=0.05)
    assert committed == list(range(400))
    assert publishes[-1][1] == 400  # every committed change was published
    starts = [t for t, _ in publishes]
    assert all(b - a >= 1.0 - 1e-9 for a, b in pairwise(starts))  # at most once a second
    # ~21 publishes for 20 s of changes, not one per batch (40 batches of 0.5 s)
    assert len(publishes) <= 22
    # each change is visible within the budget plus one write and one publish
    assert max(visible_at(publishes, o) - arrived[o] for o in committed) <= 1.0 + 2 * 0.05 + 1e-9


def test_a_lone_change_is_published_once_its_budget_is_spent_not_when_more_arrive():
    log = ScriptedLog(count=2, gap=0.3)  # two changes, then the log stays quiet
    committed, publishes, arrived = drive(log, publish_s=1.0, flush_s=0.1, until=10.0)
    assert committed == [0, 1]
    assert publishes[-1][1] == 2
    assert visible_at(publishes, 1) - arrived[1] <= 1.0 + 1e-9


def test_a_publish_held_back_is_retried_a_budget_later_and_publishes_everything():
    log = ScriptedLog(count=3, gap=0.05)  # three changes, then quiet: only retries publish them
    committed, publishes, _ = drive(log, publish_s=0.5, flush_s=0.2, until=20.0, held=3)
    assert committed == [0, 1, 2]
    assert publishes and publishes[0][1] == 3 and publishes[0][0] <= 2.5  # 4th try, not at stop


def test_stopping_publishes_what_was_committed():
    log = ScriptedLog(count=1000, gap=0.01)
    committed, publishes, _ = drive(log, publish_s=5.0, flush_s=0.5, until=3.0)
    assert committed and publishes[-1][1] == len(committed)


@pytest.mark.parametrize("stretch", [1.5, 4.0])
def test_a_slow_publish_stretches_the_budget_to_its_duration_times_the_stretch(stretch):
    log = ScriptedLog(count=400, gap=0.05)
    committed, publishes, arrived = drive(log, publish_s=0.2, flush_s=0.2, until=40.0, cost=0.5,
                                          stretch=stretch)
    starts = [t for t, _ in publishes]
    assert all(b - a >= stretch * 0.5 - 1e-9 for a, b in pairwise(starts))  # publishing bounded
    assert all(b - a <= stretch * 0.5 + 0.5 + 0.01 for a, b in pairwise(starts))  # + a write
    assert publishes[-1][1] == len(committed) == 400
