"""What a worker says when one of its partitions stops committing while records wait.

The stack's stall watch (`newsline/stack.py`, `StallWatch`) sees a stall from outside: the
group's committed offset still while records wait. It cannot say why. This watch runs inside the
worker and, when a partition it holds has not committed for `patience_s` while records wait after
the committed offset, logs (WARNING) the consumer's own view of that partition: its committed and
read offsets, the fetch position, the head of the acked offsets, the gaps, the records withheld by
`processors/worker/acks.py`, the records delivered but not acked, and whether the partition and the flow
are paused, then the stack of every agent task (where the agent waits, if it holds a record). One
line per stalled partition, again every `patience_s` while it lasts.

A worker whose event loop is blocked logs nothing (its heartbeats, sent from the consumer's own
thread, keep its partitions): `LoopWatch`, a thread, dumps every thread's stack to stderr (the
worker's log) when the loop has not turned for `patience_s`.
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from processors.worker.acks import WITHHELD

log = logging.getLogger(__name__)

STALL_LINE = "partition not committing"


def tree_cpu_wanted(pid: int) -> dict[int, float]:
    """Per process of a tree (a process and its descendants, those that exit while this reads
    left out): seconds of CPU its threads used or waited for on a run queue
    (`/proc/<pid>/task/<tid>/schedstat`: time on a CPU, time runnable but not running). An idle
    process wants none; a process starved by a loaded machine wants CPU it does not get, and
    is not stuck. Empty without /proc."""
    out: dict[int, float] = {}
    todo = [pid]
    while todo:
        p = todo.pop()
        if p in out:
            continue
        try:
            tasks = list(Path(f"/proc/{p}/task").iterdir())
        except OSError:  # gone meanwhile
            continue
        out[p] = 0.0
        for task in tasks:
            try:
                on_cpu, waiting = (task / "schedstat").read_text().split()[:2]
                out[p] += (int(on_cpu) + int(waiting)) / 1e9
                todo.extend(int(c) for c in (task / "children").read_text().split())
            except (OSError, ValueError):
                continue
    return out


def cpu_wanted_s(pid: int | None = None) -> float:
    """Seconds of CPU that a process (this one by default) and its child processes (the
    analysis pool) used or waited for, over all their threads (`tree_cpu_wanted`). Without
    /proc: this process's CPU time. A child that exits takes its share with it."""
    root = os.getpid() if pid is None else pid
    if not Path(f"/proc/{root}/task").is_dir():
        return time.process_time()
    return sum(tree_cpu_wanted(root).values())


class CommitWatch:
    """Tracks, per assigned partition, when its committed offset last moved.

    With `give_up` (at-least-once only: under exactly-once a transaction marker after the last
    record keeps the end above the committed offset), a stall during which the worker used less
    than `busy_cpu_s` of CPU (used, or waited for on a loaded machine: `cpu_wanted_s`) is not
    waited out: after its lines are logged, `give_up` is called
    with `GIVE_UP_STATUS` (the worker exits; its supervisor starts it again, and it resumes
    from the committed offsets and the resolver's journal). Why: in the fault campaign a worker
    sat idle for 10 minutes after a broker freeze while records waited (`GroupWatch`)."""

    def __init__(self, patience_s: float = 30.0, busy_cpu_s: float = 2.0,
                 give_up: Any = None, answer_s: float = 4.0,
                 clock: Callable[[], float] = cpu_wanted_s) -> None:
        self.patience_s, self.busy_cpu_s, self.give_up = patience_s, busy_cpu_s, give_up
        self.answer_s, self.clock = answer_s, clock
        self.seen: dict[Any, tuple[int | None, float, float]] = {}

    async def check(self, app: Any, topics: set[str]) -> list[str]:
        """Log the state of every partition of `topics` stuck for the patience; the lines."""
        consumer = app.consumer
        lines, idle = [], False
        assigned = {tp for tp in consumer.assignment() if tp.topic in topics}
        for tp in list(self.seen):
            if tp not in assigned:
                del self.seen[tp]
        # The broker's end offsets, not the fetcher's (a partition never fetched has none). A
        # broker that does not answer in time (frozen, restarting) starts every clock again:
        # nothing could move meanwhile.
        try:
            ends = dict(await asyncio.wait_for(consumer.highwaters(*assigned), self.answer_s)
                        ) if assigned else {}
        except Exception:
            self.seen.clear()
            raise
        # Records wait past the committed offset and past the log's start: a partition never
        # committed with no record (end 0: the demo's four articles leave a raw partition so,
        # and the worker was given up on every 35 s), or whose records retention deleted (a
        # worker back after more than the raw topic's week), has none for the worker to move.
        # The log's start is asked only for the partitions that seem to wait.
        floor = {tp: consumer._committed_offset.get(tp) or 0 for tp in assigned}
        behind = [tp for tp in assigned if (ends.get(tp) or 0) > floor[tp]]
        try:
            starts = dict(await asyncio.wait_for(consumer.earliest_offsets(*behind),
                                                 self.answer_s)) if behind else {}
        except Exception:
            self.seen.clear()
            raise
        now, cpu = time.monotonic(), self.clock()
        for tp in assigned:
            committed = consumer._committed_offset.get(tp)
            end = ends.get(tp)
            last = self.seen.get(tp)
            waiting = end is not None and end > max(floor[tp], starts.get(tp) or 0)
            if not waiting or last is None or last[0] != committed:
                self.seen[tp] = (committed, now, cpu)
                continue
            if now - last[1] < self.patience_s:
                continue
            idle = idle or cpu - last[2] < self.busy_cpu_s
            self.seen[tp] = (committed, now, cpu)
            line = await describe(app, tp, end)
            log.warning("%s: %s", STALL_LINE, line)
            lines.append(line)
        if lines:
            log.warning("agent tasks at the stall:\n%s", agent_stacks())
            if idle and self.give_up is not None:
                log.error("%s: partitions not committing for %.0fs while records wait and the "
                          "worker idles; membership %s; exiting so that the worker is started "
                          "again. The consumer's tasks:\n%s", GIVE_UP_LINE, self.patience_s,
                          membership(app), consumer_tasks(app))
                self.give_up(GIVE_UP_STATUS)
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


GIVE_UP_LINE = "giving up on the Kafka consumer"
# The exit status of a worker that gives up on its consumer (EX_TEMPFAIL): `newsline up` and
# compose's `restart: unless-stopped` start it again.
GIVE_UP_STATUS = 75


def membership(app: Any) -> dict[str, Any] | None:
    """The worker's consumer's own view of its group membership (aiokafka's coordinator), or
    None when faust or aiokafka do not expose it."""
    aio = getattr(getattr(app.consumer, "_thread", None), "_consumer", None)
    coordinator = getattr(aio, "_coordinator", None)
    if coordinator is None or not hasattr(coordinator, "member_id"):
        return None
    rejoin = getattr(coordinator, "_rejoin_needed_fut", None)
    subscription = getattr(getattr(coordinator, "_subscription", None), "subscription", None)
    return {"coordinator": coordinator.coordinator_id, "member_id": coordinator.member_id,
            "generation": coordinator.generation,
            "rejoin_needed": bool(rejoin is not None and rejoin.done()),
            "assigned": subscription is not None and subscription.assignment is not None}


def is_member(m: dict[str, Any]) -> bool:
    """A settled member: a known coordinator, an id, an assignment and no rejoin pending."""
    return (m["coordinator"] is not None and bool(m["member_id"]) and not m["rejoin_needed"]
            and m["assigned"])


class GroupWatch:
    """Gives up on a consumer that is out of its group, or in it holding nothing while the
    group leaves partitions unheld, and stays so.

    Why (aiokafka 0.14 under faust-streaming 0.15.3): after a 20 s broker freeze the worker
    consumed nothing for 10 minutes in 3 of 11 outage runs of the fault campaign on 6 December
    (docs/fault-campaign.md). Twice its heartbeat had failed ("local member_id was not
    recognized", "Heartbeat session expired - marking coordinator dead") and nothing more was
    logged; looked at live, the broker described the group as Stable with the worker's static
    member. Once the worker had started during the freeze, and the group was Stable with the
    worker its only member holding no partition (faust's leader had assigned from metadata
    without the topics: "Ignoring missing topic"), and no rebalance followed.
    faust-streaming/faust#523 reports the same after a broker outage. Where the consumer waits
    is not known: two watches give up on it, with a diagnosis, whichever sees it.

    This one: when the consumer is not a settled member (`is_member`) while the broker answers
    and describes the group as settled (Empty or Stable: a member trying to join would have moved
    it to a rebalance), or is a member holding none of the stream partitions while the group is
    Stable and leaves some to no one, for `patience_s` in a row, it logs the coordinator's
    state and where each task of the consumer's thread waits, then exits with
    `GIVE_UP_STATUS`; the supervisor starts a fresh worker, which joins and resumes from the
    committed offsets and the resolver's journal (at-least-once, the same as after a kill -9).
    Armed only once the consumer has been a settled member (a starting worker is not judged).
    And, whatever the broker says or does not say: a consumer armed and not a settled member
    for `lost_s` in a row is given up on too (session 10: the stuck consumer came back in a
    whole campaign run after the 90 s freeze, and nothing was logged for 10 minutes: the broker's
    view withheld the verdict, or did not come; a worker restarted after minutes out of its
    group loses nothing). While it withholds a verdict on a consumer out of its group, the watch
    says why at WARNING once per `patience_s`.
    The other: `CommitWatch` with `give_up`, for a settled member whose partitions do not commit
    while records wait and it idles."""

    def __init__(self, describe: Any, topics: set[str], patience_s: float = 15.0,
                 exit: Any = None, lost_s: float = 150.0) -> None:
        """`describe()`: a `GroupView` from the broker, None if it does not answer; `topics`: the
        stream topics the group consumes."""
        self.describe, self.topics, self.patience_s = describe, topics, patience_s
        self.exit = exit or exit_for_restart
        self.lost_s = lost_s
        self.armed = False
        self.since: float | None = None
        self.out_since: float | None = None  # armed and not a settled member since
        self.said = 0.0

    async def check(self, app: Any) -> str | None:
        """The diagnosis when the worker gives up (after calling `exit`), else None."""
        m = membership(app)
        if m is None:
            return None
        now = time.monotonic()
        if is_member(m):
            self.armed, self.out_since = True, None
            if any(tp.topic in self.topics for tp in app.consumer.assignment()):
                self.since = None
                return None
            view = await self.describe()  # a member holding nothing: is anything unheld?
            stuck = view is not None and view.state == "Stable" and bool(view.unassigned)
            why = "a member holding no partition while the group leaves some to no one"
        elif self.armed:
            self.out_since = self.out_since or now
            view = await self.describe()
            stuck = view is not None and view.state in ("Empty", "Stable")
            why = "not a settled member"
            if not stuck and now - self.out_since >= self.lost_s:
                return self.give_up(app, m, f"not a settled member for {now - self.out_since:.0f}s"
                                    f" (the broker: {view if view else 'no answer'})")
            if not stuck and now - self.out_since >= self.patience_s and \
                    now - self.said >= self.patience_s:
                self.said = now
                log.warning("group watch: this consumer is out of its group for %.0fs (%s); no "
                            "verdict yet: the broker %s", now - self.out_since, m,
                            f"says the group is {view.state}" if view else "does not answer")
        else:
            return None
        if not stuck or view is None:
            self.since = None  # the broker is away, a rebalance is under way, or all is held
            return None
        now = time.monotonic()
        if self.since is None:
            self.since = now
        if now - self.since < self.patience_s:
            return None
        return self.give_up(app, m, f"{why}, for {now - self.since:.0f}s while the broker "
                            f"answers (group {view.state}, members {sorted(view.members)}, held "
                            f"by no one {view.unassigned})")

    def give_up(self, app: Any, m: dict[str, Any], why: str) -> str:
        """Log the diagnosis and exit with `GIVE_UP_STATUS`; the line."""
        line = (f"{GIVE_UP_LINE}: {why}; this consumer: {m}; exiting so that the worker is "
                f"started again. The consumer's tasks:\n{consumer_tasks(app)}")
        log.error("%s", line)
        self.exit(GIVE_UP_STATUS)
        return line


class GroupView(NamedTuple):
    """What the broker says of a group: its state, its member ids, and the partitions of the
    watched topics that no member's assignment holds (`topic:partition`)."""

    state: str
    members: set[str]
    unassigned: list[str]


def exit_for_restart(status: int) -> None:
    """Exit at once (no teardown: it may hang on the stuck consumer), logs flushed."""
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stderr.flush()
    os._exit(status)


def consumer_tasks(app: Any) -> str:
    """Where each task of the consumer's thread (aiokafka's coordinator, fetcher) waits."""
    loop = getattr(getattr(app.consumer, "_thread", None), "thread_loop", None)
    if loop is None:
        return "(no consumer thread)"
    for _ in range(3):  # the set is the other thread's: it may change while it is read
        try:
            tasks = list(asyncio.all_tasks(loop))
            break
        except RuntimeError:
            continue
    else:
        return "(could not read the consumer thread's tasks)"
    return "\n".join(f"{t.get_name()}:\n  " + "\n  ".join(await_chain(t.get_coro()))
                     for t in tasks) or "(none)"


def group_describer(bootstrap: str, group: str, topics: set[str],
                    timeout_s: float = 4.0) -> Any:
    """A `describe()` for `GroupWatch`: a `GroupView`, asked with a client of its own (not the
    stuck consumer's), None when the broker does not answer in time."""
    import aiokafka.admin
    from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

    async def describe() -> GroupView | None:
        admin = aiokafka.admin.AIOKafkaAdminClient(bootstrap_servers=bootstrap,
                                                  request_timeout_ms=int(timeout_s * 1000),
                                                  client_id="newsline-group-watch")
        try:
            await asyncio.wait_for(admin.start(), timeout_s)
            [response] = await asyncio.wait_for(admin.describe_consumer_groups([group]),
                                                timeout_s)
            described = response.groups[0]
            held: set[str] = set()
            for member in described[5]:  # the assignment is the member's last field
                if member[-1]:
                    for topic, parts in ConsumerProtocolMemberAssignment.decode(
                            member[-1]).assignment:
                        held.update(f"{topic}:{p}" for p in parts)
            wanted = await asyncio.wait_for(admin.describe_topics(sorted(topics)), timeout_s)
            every = {f"{t['topic']}:{p['partition']}" for t in wanted for p in t["partitions"]}
            return GroupView(str(described[2]), {str(member[0]) for member in described[5]},
                             sorted(every - held))
        except Exception:  # the broker away or slow: no verdict
            log.debug("describing group %s failed", group, exc_info=True)
            return None
        finally:
            with contextlib.suppress(Exception):
                await admin.close()

    return describe
