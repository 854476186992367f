"""The worker's own stall watch (`processors/worker/stall.py`): a partition that holds records after
its committed offset and does not commit for the patience is logged with the consumer's view."""

import asyncio
import logging
import types
from collections import defaultdict

import pytest
from faust.types import TP

from processors.worker.stall import GIVE_UP_STATUS, STALL_LINE, CommitWatch

RAW = TP("newsline.articles.raw", 3)


def app(committed: int, end: int) -> types.SimpleNamespace:
    async def highwaters(*tps):
        return {tp: end for tp in tps}

    async def position(tp):
        return committed

    async def earliest_offsets(*tps):
        return {tp: 0 for tp in tps}

    consumer = types.SimpleNamespace(
        assignment=lambda: {RAW}, highwaters=highwaters, position=position,
        earliest_offsets=earliest_offsets,
        _committed_offset=defaultdict(lambda: None, {RAW: committed}),
        _read_offset=defaultdict(lambda: None, {RAW: committed}),
        _acked=defaultdict(list, {RAW: [committed + 2]}), _acked_index=defaultdict(set),
        _gap=defaultdict(lambda: None), _unacked_messages=set(), _paused_partitions=set(),
        _active_partitions={RAW}, flow_active=True)
    return types.SimpleNamespace(
        consumer=consumer, flow_control=types.SimpleNamespace(is_active=lambda: True),
        consumer_generation_id=7)


def test_a_partition_that_does_not_commit_while_records_wait_is_logged(caplog):
    watch, a = CommitWatch(patience_s=0.05), app(committed=5, end=9)
    with caplog.at_level(logging.WARNING, logger="processors.worker.stall"):
        assert asyncio.run(watch.check(a, {RAW.topic})) == []  # first sight
        asyncio.run(asyncio.sleep(0.06))
        lines = asyncio.run(watch.check(a, {RAW.topic}))
    assert len(lines) == 1 and "raw:3 committed=5" in lines[0] and "acked=[7]" in lines[0]
    assert STALL_LINE in caplog.text


def test_a_partition_that_commits_or_has_nothing_waiting_is_not_logged():
    watch, a = CommitWatch(patience_s=0.05), app(committed=5, end=9)
    asyncio.run(watch.check(a, {RAW.topic}))
    asyncio.run(asyncio.sleep(0.06))
    a.consumer._committed_offset[RAW] = 6  # it moved
    assert asyncio.run(watch.check(a, {RAW.topic})) == []
    idle = app(committed=9, end=9)  # caught up
    asyncio.run(watch.check(idle, {RAW.topic}))
    asyncio.run(asyncio.sleep(0.06))
    assert asyncio.run(watch.check(idle, {RAW.topic})) == []
    empty = app(committed=0, end=0)  # a partition nobody wrote to, never committed
    empty.consumer._committed_offset[RAW] = None
    exits: list[int] = []
    never = CommitWatch(patience_s=0.05, give_up=exits.append)
    asyncio.run(never.check(empty, {RAW.topic}))
    asyncio.run(asyncio.sleep(0.06))
    assert asyncio.run(never.check(empty, {RAW.topic})) == [] and exits == []


@pytest.mark.parametrize("committed", [None, 3])
def test_a_partition_whose_records_retention_deleted_has_nothing_waiting(committed):
    """A worker back after more than the raw topic's retention: the log starts at its end, the
    committed offset (if any) is below it, and no record is left to move: not a stall."""
    exits: list[int] = []
    watch, a = CommitWatch(patience_s=0.05, give_up=exits.append), app(committed=0, end=9)
    a.consumer._committed_offset[RAW] = committed

    async def earliest_offsets(*tps):
        return {tp: 9 for tp in tps}

    a.consumer.earliest_offsets = earliest_offsets
    asyncio.run(watch.check(a, {RAW.topic}))
    asyncio.run(asyncio.sleep(0.06))
    assert asyncio.run(watch.check(a, {RAW.topic})) == [] and exits == []

    async def earliest_at_7(*tps):  # two records left after the committed offset: they wait
        return {tp: 7 for tp in tps}

    a.consumer.earliest_offsets = earliest_at_7
    asyncio.run(watch.check(a, {RAW.topic}))
    asyncio.run(asyncio.sleep(0.06))
    assert asyncio.run(watch.check(a, {RAW.topic})) and exits == [GIVE_UP_STATUS]


def test_an_idle_stall_gives_up_a_busy_one_or_one_across_an_outage_does_not():
    """The worker exits (to be restarted) on a stall during which it used no CPU; not while it
    works (a huge article), and not on the first look after the broker stopped answering."""
    exits: list[int] = []
    watch, a = CommitWatch(patience_s=0.05, give_up=exits.append), app(committed=5, end=9)
    asyncio.run(watch.check(a, {RAW.topic}))
    asyncio.run(asyncio.sleep(0.06))
    assert asyncio.run(watch.check(a, {RAW.topic})) and exits == [GIVE_UP_STATUS]

    busy_exits: list[int] = []
    busy = CommitWatch(patience_s=0.05, busy_cpu_s=0.01, give_up=busy_exits.append)
    asyncio.run(busy.check(a, {RAW.topic}))
    sum(i * i for i in range(3_000_000))  # CPU spent by the worker meanwhile
    asyncio.run(asyncio.sleep(0.06))
    assert asyncio.run(busy.check(a, {RAW.topic})) and busy_exits == []

    outage_exits: list[int] = []
    outage = CommitWatch(patience_s=0.05, give_up=outage_exits.append)
    asyncio.run(outage.check(a, {RAW.topic}))
    answers = a.consumer.highwaters

    async def no_answer(*tps):
        raise TimeoutError

    a.consumer.highwaters = no_answer
    asyncio.run(asyncio.sleep(0.06))
    try:
        asyncio.run(outage.check(a, {RAW.topic}))
    except TimeoutError:
        pass
    a.consumer.highwaters = answers  # back: the clock starts again
    assert asyncio.run(outage.check(a, {RAW.topic})) == [] and outage_exits == []


def test_the_stall_line_names_where_an_agent_waits():
    """The await chain of a task of processors/ code reaches the await it is blocked on."""
    from processors.worker import stall

    async def scenario() -> str:
        blocked = asyncio.Event()

        async def agent_body() -> None:  # defined here, in tests/: matched by its callee below
            await stall.asyncio.wait_for(blocked.wait(), 10)

        task = asyncio.create_task(agent_body())
        await asyncio.sleep(0.01)
        chain = stall.await_chain(task.get_coro())
        task.cancel()
        return "\n".join(chain)

    chain = asyncio.run(scenario())
    assert "agent_body" in chain and "wait_for" in chain and "wait" in chain.splitlines()[-1]


def test_a_blocked_event_loop_dumps_every_thread(tmp_path):
    """A worker's loop blocked (a synchronous wait): the watch thread writes the stacks."""
    import subprocess
    import sys

    code = (
        "import asyncio, time\n"
        "from processors.worker.stall import LoopWatch\n"
        "async def main():\n"
        "    LoopWatch(asyncio.get_running_loop(), patience_s=0.6).start()\n"
        "    await asyncio.sleep(0.2)\n"
        "    time.sleep(1.5)  # blocks the loop\n"
        "asyncio.run(main())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, cwd=str(__import__("tests.conftest").conftest.ROOT))
    assert "event loop blocked" in out.stderr
    assert "in main" in out.stderr, out.stderr


def test_a_worker_starved_of_cpu_is_not_given_up_on():
    """On a loaded machine a worker waits for a CPU: it wants CPU it does not get, which is not
    idleness (the watch gave up on such workers at a load of 17 to 25 on 2 cores)."""
    wanted = iter([0.0, 5.0, 10.0])  # used or waited for: 5 s per look, whatever it ran
    exits: list[int] = []
    watch = CommitWatch(patience_s=0.05, give_up=exits.append, clock=lambda: next(wanted))
    a = app(committed=5, end=9)
    asyncio.run(watch.check(a, {RAW.topic}))
    asyncio.run(asyncio.sleep(0.06))
    assert asyncio.run(watch.check(a, {RAW.topic})) and exits == []


def test_cpu_wanted_counts_the_run_queue_wait_and_the_child_processes():
    """Two spinners pinned to one CPU each run half the time and wait the other half: what they
    want is about the wall time, twice what they use; a parent that sleeps counts its child."""
    import os
    import subprocess
    import sys
    import time

    from processors.worker.stall import cpu_wanted_s

    if not hasattr(os, "sched_setaffinity") or not os.path.isdir("/proc/self/task"):
        pytest.skip("needs Linux's /proc and CPU affinity")
    spin = "import os; os.sched_setaffinity(0, {0}); [0 for _ in iter(int, 1)]"
    parent = subprocess.Popen([sys.executable, "-c",
                               "import subprocess, sys, time; subprocess.Popen([sys.executable, "
                               f"'-c', {spin!r}]); time.sleep(60)"])
    other = subprocess.Popen([sys.executable, "-c", spin])
    child = None
    try:
        time.sleep(1.0)  # both spinning
        with open(f"/proc/{parent.pid}/task/{parent.pid}/children") as f:
            child = int(f.read().split()[0])
        w0, c0 = cpu_wanted_s(parent.pid), time.monotonic()
        on0 = int(open(f"/proc/{child}/schedstat").read().split()[0]) / 1e9
        time.sleep(2.0)
        wanted, wall = cpu_wanted_s(parent.pid) - w0, time.monotonic() - c0
        on_cpu = int(open(f"/proc/{child}/schedstat").read().split()[0]) / 1e9 - on0
    finally:
        if child is not None:
            os.kill(child, 9)
        for p in (parent, other):
            p.kill()
            p.wait()
    assert wanted > 0.8 * wall  # the sleeping parent wants nothing; its child wants it all
    assert on_cpu < 0.7 * wall  # ... and ran for part of it only (CPU 0 shared)


def member_app(member: bool) -> types.SimpleNamespace:
    """What GroupWatch reads of a faust app: a consumer in its group (an id, a coordinator, an
    assignment) or out of it (reset, coordinator dead), holding the raw partition or nothing."""
    coordinator = types.SimpleNamespace(
        coordinator_id=1 if member else None, member_id="m-1" if member else "", generation=3,
        _rejoin_needed_fut=None, _subscription=types.SimpleNamespace(
            subscription=types.SimpleNamespace(assignment=object() if member else None)))
    thread = types.SimpleNamespace(_consumer=types.SimpleNamespace(_coordinator=coordinator),
                                   thread_loop=None)
    return types.SimpleNamespace(consumer=types.SimpleNamespace(
        _thread=thread, assignment=lambda: {RAW} if member else set()))


@pytest.mark.parametrize("view", [None, "PreparingRebalance"])
def test_a_consumer_out_of_its_group_for_long_is_given_up_on_whatever_the_broker_says(view, caplog):
    """The broker does not answer, or says a rebalance is under way, while the consumer stays
    out of its group: no verdict within the patience (said at WARNING), one after `lost_s`."""
    from processors.worker.stall import GroupView, GroupWatch

    async def describe():
        return None if view is None else GroupView(view, set(), [])

    exits: list[int] = []
    watch = GroupWatch(describe, {RAW.topic}, patience_s=0.05, lost_s=0.3, exit=exits.append)
    assert asyncio.run(watch.check(member_app(True))) is None and watch.armed
    out = member_app(False)
    with caplog.at_level(logging.WARNING, logger="processors.worker.stall"):
        assert asyncio.run(watch.check(out)) is None
        asyncio.run(asyncio.sleep(0.1))
        assert asyncio.run(watch.check(out)) is None and exits == []
    assert "out of its group" in caplog.text
    asyncio.run(asyncio.sleep(0.25))
    line = asyncio.run(watch.check(out))
    assert exits == [GIVE_UP_STATUS] and line and "not a settled member for" in line
    # Back in the group in time: the clock starts again.
    again: list[int] = []
    back = GroupWatch(describe, {RAW.topic}, patience_s=0.05, lost_s=0.3, exit=again.append)
    asyncio.run(back.check(member_app(True)))
    asyncio.run(back.check(out))
    asyncio.run(asyncio.sleep(0.2))
    asyncio.run(back.check(member_app(True)))
    asyncio.run(asyncio.sleep(0.2))
    assert asyncio.run(back.check(out)) is None and again == []
