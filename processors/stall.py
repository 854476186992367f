"""What a worker says when one of its partitions stops committing while records wait.

The stack's stall watch (`newsline/stack.py`, `StallWatch`) sees a stall from outside: the
group's committed offset still while records wait. It cannot say why. This watch runs inside the
worker and, when a partition it holds has not committed for `patience_s` while records wait after
the committed offset, logs (WARNING) the consumer's own view of that partition: its committed and
read offsets, the fetch position, the head of the acked offsets, the gaps, the records withheld by
`processors/acks.py`, the records delivered but not acked, and whether the partition and the flow
are paused, then the stack of every agent task (where the agent waits, if it holds a record). One
line per stalled partition, again every `patience_s` while it lasts.

A worker whose event loop is blocked logs nothing (its heartbeats, sent from the consumer's own
thread, keep its partitions): `LoopWatch`, a thread, dumps every thread's stack to stderr (the
worker's log) when the loop has not turned for `patience_s`.
"""

from __future__ import annotations

import asyncio
import faulthandler
import logging
import sys
import threading
import time
from typing import Any

from processors.acks import WITHHELD

log = logging.getLogger(__name__)

STALL_LINE = "partition not committing"


class CommitWatch:
    """Tracks, per assigned partition, when its committed offset last moved."""

    def __init__(self, patience_s: float = 30.0) -> None:
        self.patience_s = patience_s
        self.seen: dict[Any, tuple[int | None, float]] = {}

    async def check(self, app: Any, topics: set[str]) -> list[str]:
        """Log the state of every partition of `topics` stuck for the patience; the lines."""
        consumer = app.consumer
        now = time.monotonic()
        lines = []
        assigned = {tp for tp in consumer.assignment() if tp.topic in topics}
        for tp in list(self.seen):
            if tp not in assigned:
                del self.seen[tp]
        # The broker's end offsets, not the fetcher's (a partition never fetched has none).
        ends = dict(await consumer.highwaters(*assigned)) if assigned else {}
        for tp in assigned:
            committed = consumer._committed_offset.get(tp)
            end = ends.get(tp)
            last = self.seen.get(tp)
            waiting = end is not None and (committed is None or end > committed)
            if not waiting or last is None or last[0] != committed:
                self.seen[tp] = (committed, now)
                continue
            if now - last[1] < self.patience_s:
                continue
            self.seen[tp] = (committed, now)
            line = await describe(app, tp, end)
            log.warning("%s: %s", STALL_LINE, line)
            lines.append(line)
        if lines:
            log.warning("agent tasks at the stall:\n%s", agent_stacks())
        return lines


def agent_stacks() -> str:
    """Where each task that runs code of `processors/` waits: its chain of awaits."""
    out = []
    for task in asyncio.all_tasks():
        chain = await_chain(task.get_coro())
        if any("processors" in step for step in chain):
            out.append(f"{task.get_name()}:\n  " + "\n  ".join(chain))
    return "\n".join(out) or "(none)"


def await_chain(obj: Any, limit: int = 40) -> list[str]:
    """file:line function of a coroutine and of everything it awaits, outermost first."""
    steps: list[str] = []
    while obj is not None and len(steps) < limit:
        frame = (getattr(obj, "cr_frame", None) or getattr(obj, "ag_frame", None)
                 or getattr(obj, "gi_frame", None))
        if frame is not None:
            steps.append(f"{frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}")
        obj = (getattr(obj, "cr_await", None) or getattr(obj, "ag_await", None)
               or getattr(obj, "gi_yieldfrom", None))
    return steps


class LoopWatch:
    """Dumps every thread's stack when the event loop has not turned for `patience_s`."""

    def __init__(self, loop: asyncio.AbstractEventLoop, patience_s: float = 30.0) -> None:
        self.loop, self.patience_s = loop, patience_s
        self.last = time.monotonic()

    def start(self) -> None:
        self._tick()
        threading.Thread(target=self._watch, name="newsline-loop-watch", daemon=True).start()

    def _tick(self) -> None:
        self.last = time.monotonic()
        if not self.loop.is_closed():
            self.loop.call_later(1.0, self._tick)

    def _watch(self) -> None:
        dumped = False
        while not self.loop.is_closed():
            time.sleep(self.patience_s / 6)
            stuck = time.monotonic() - self.last > self.patience_s
            if stuck and not dumped:
                print(f"WARNING event loop blocked for {self.patience_s:.0f}s; every thread's "
                      "stack:", file=sys.stderr, flush=True)
                faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
            dumped = stuck


async def describe(app: Any, tp: Any, end: int | None) -> str:
    """The consumer's view of one partition, for the log."""
    consumer = app.consumer
    try:
        position = await consumer.position(tp)
    except Exception as exc:
        position = f"? ({exc!r})"
    acked = sorted(consumer._acked.get(tp, []))
    unacked = sorted(m.offset for m in list(consumer._unacked_messages) if m.tp == tp)
    gap = consumer._gap.get(tp)
    withheld = getattr(consumer, WITHHELD, {}).get(tp)
    active = consumer._active_partitions
    return (f"{tp.topic}:{tp.partition} committed={consumer._committed_offset.get(tp)} "
            f"read={consumer._read_offset.get(tp)} position={position} end={end} "
            f"acked={acked[:5]}{'...' if len(acked) > 5 else ''} ({len(acked)}) "
            f"unacked={unacked[:5]} ({len(unacked)}) gap={sorted(gap)[:3] if gap else None} "
            f"withheld={withheld} paused={tp in consumer._paused_partitions} "
            f"active={active is None or tp in active} flow={consumer.flow_active} "
            f"app_flow={app.flow_control.is_active()} "
            f"generation={app.consumer_generation_id}")
