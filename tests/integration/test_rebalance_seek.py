"""The seek after a rebalance reads again what was fetched but not processed, on a real broker,
also for a partition that has never committed (`processors/worker/rebalance.py`, `rewind_uncommitted`).

aiokafka's `seek_to_committed` leaves a partition with no committed offset at its fetch
position; faust relies on that seek to re-read the records it drops from the agents' queues
after a rebalance. This was the stall of the partition-move test in CI (raw:3, 6 Dec 2026)."""

import asyncio

import aiokafka
import pytest

from processors.worker.rebalance import rewind_uncommitted
from schemas.topics import TOPICS

pytestmark = pytest.mark.integration

RAW = TOPICS["raw"].name


async def fetched_then_sought(bootstrap: str, partition: int, commit: int | None,
                              remedy: bool) -> tuple[dict, int, int]:
    """Write 10 records to a raw partition; a group consumer fetches them all (as faust's
    fetcher does before a rebalance), then seeks to the committed offsets (as faust does after
    it). The committed offsets seen, the position before and after the seek."""
    tp = aiokafka.TopicPartition(RAW, partition)
    producer = aiokafka.AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for i in range(10):
            await producer.send_and_wait(RAW, b"%d" % i, partition=partition)
    finally:
        await producer.stop()
    consumer = aiokafka.AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=f"seek-test-{partition}",
        enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        consumer.assign([tp])
        start = (await consumer.beginning_offsets([tp]))[tp]
        if commit is not None:
            await consumer.commit({tp: start + commit})
        got = 0
        while got < 10 - (commit or 0):
            got += len((await consumer.getmany(tp, timeout_ms=2000)).get(tp, []))
        before = await consumer.position(tp)
        offsets = await consumer.seek_to_committed()
        if remedy:
            await rewind_uncommitted(consumer.assignment(), offsets, consumer.seek_to_beginning)
        after = await consumer.position(tp)
        return offsets, before - start, after - start
    finally:
        await consumer.stop()


def test_aiokafka_does_not_rewind_a_partition_that_never_committed(broker):
    """The cause: nothing committed yet, the seek keeps the position past the fetched records."""
    offsets, before, after = asyncio.run(
        fetched_then_sought(broker.bootstrap_servers, 0, commit=None, remedy=False))
    assert list(offsets.values()) == [None]
    assert before == after == 10


def test_aiokafka_rewinds_a_partition_that_committed(broker):
    offsets, before, after = asyncio.run(
        fetched_then_sought(broker.bootstrap_servers, 1, commit=4, remedy=False))
    assert before == 10 and after == 4


def test_the_remedy_rewinds_a_partition_that_never_committed_to_the_beginning(broker):
    offsets, before, after = asyncio.run(
        fetched_then_sought(broker.bootstrap_servers, 2, commit=None, remedy=True))
    assert before == 10 and after == 0


def test_the_remedy_leaves_a_committed_partition_at_its_committed_offset(broker):
    offsets, before, after = asyncio.run(
        fetched_then_sought(broker.bootstrap_servers, 3, commit=4, remedy=True))
    assert before == 10 and after == 4
