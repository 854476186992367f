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
