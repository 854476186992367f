"""The worker's own stall watch (`processors/stall.py`): a partition that holds records after
its committed offset and does not commit for the patience is logged with the consumer's view."""

import asyncio
import logging
import types
from collections import defaultdict

from faust.types import TP

from processors.stall import STALL_LINE, CommitWatch

RAW = TP("newsline.articles.raw", 3)


def app(committed: int, end: int) -> types.SimpleNamespace:
    async def highwaters(*tps):
        return {tp: end for tp in tps}

    async def position(tp):
        return committed

    consumer = types.SimpleNamespace(
        assignment=lambda: {RAW}, highwaters=highwaters, position=position,
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
    with caplog.at_level(logging.WARNING, logger="processors.stall"):
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
