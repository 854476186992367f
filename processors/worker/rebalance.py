"""No stream record is fetched while faust seeks its streams back after a rebalance.

Why (faust-streaming 0.15.3, `faust/tables/recovery.py`, `Recovery.on_recovery_completed`): once
the tables are recovered, faust resumes the stream partitions, seeks them to their committed
offsets, then resumes its flow control, which empties every agent's input queue
(`clear_on_resume`). The consumer's flow is still active during the seek (the table recovery
turned it on), so the fetcher keeps delivering stream records into those queues. A record
delivered after the seek has reset the consumer's read offsets raises the read offset again,
then the queue is emptied: the record is gone, and when it is fetched again from the committed
offset it sits below the read offset and faust drops it as already delivered. Nothing acks it,
so the committed offset of that partition stops there for good while later records are processed
(faust-streaming/faust#596 describes the same race). Seen here with faust's debug logs after a
kill -9 of the worker: `flow_control.clear` dropped raw:1@2 right after the seek, and raw:1 then
sat at committed offset 2 with records waiting until the worker was restarted.

The remedy is an ordering: faust sends `on_rebalance_complete` right before it resumes and seeks
the stream partitions, and resumes the consumer's flow only after emptying the queues. Stopping
the consumer's flow in that signal means nothing is delivered between the seek and the emptying;
a fetch that was already under way when the flow stopped is seeked back by faust itself
(`Consumer.getmany` seeks to the committed offsets when records arrive while the flow is
stopped).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import faust

log = logging.getLogger(__name__)

# A delivery under way when the flow stops returns within a few turns of the event loop (faust
# races it against the consumer's `suspend_flow` event); it must finish before the seek sets the
# read offsets, or it would set its own offset after them.
SETTLE_S = 0.05
# A fetch under way when the flow stops returns within its own timeout (faust asks for 1 s).
FETCH_WAIT_S = 10.0
IN_FLIGHT = "_newsline_fetches"


async def stop_fetching_before_the_seek(app: faust.App) -> None:
    """Stop the consumer's flow when faust is about to seek its streams after a rebalance (call
    it first in the `on_rebalance_complete` receiver), and wait until no fetch is under way;
    faust resumes the flow once the seek is done and the agents' queues are emptied."""
    await _stop_flow_and_wait(app.consumer)
    await asyncio.sleep(SETTLE_S)
    log.debug("consumer flow stopped until faust has seeked its streams")


async def _stop_flow_and_wait(consumer: Any) -> None:
    """Stop the consumer's flow and wait (at most `FETCH_WAIT_S`) until no fetch is under way."""
    consumer.stop_flow()
    idle = _fetch_tracker(consumer)
    try:
        await asyncio.wait_for(idle.wait(), FETCH_WAIT_S)
    except TimeoutError:
        log.warning("a fetch is still under way %.0f s after the flow stopped", FETCH_WAIT_S)


async def read_again_from_committed(app: faust.App) -> bool:
    """Seek every assigned partition back to its committed offset (the analysed ones to their
    resolver's position, `processors/app.py`) while the worker keeps its partitions, the way
    faust does after a rebalance: stop the flow, wait for the fetch under way, empty the agents'
    queues, seek, forget what was acked past the committed offsets (it is read again), resume.
    For a record withheld by `processors/worker/acks.py` when no rebalance follows. False if a
    rebalance started meanwhile (its own seek reads everything again and it resumes the flow)."""
    consumer: Any = app.consumer  # faust's private bookkeeping is read below
    generation = app.consumer_generation_id
    await _stop_flow_and_wait(consumer)
    # Suspend and empty in one step: an event taken from a queue while the flow control is
    # suspended is skipped and acked by faust's stream without being processed.
    app.flow_control.suspend()
    app.flow_control.clear()
    await asyncio.sleep(SETTLE_S)
    try:
        if app.rebalancing or app.consumer_generation_id != generation:
            return False
        await consumer.perform_seek()
        for tp in consumer.assignment():
            consumer._acked.pop(tp, None)
            consumer._acked_index.pop(tp, None)
            consumer._gap.pop(tp, None)
        return True
    finally:
        if not app.rebalancing and app.consumer_generation_id == generation:
            app.flow_control.resume()  # empties the queues again
            consumer.resume_flow()


def _fetch_tracker(consumer: Any) -> asyncio.Event:
    """An event set while no fetch is under way (installed on the consumer once).

    Why: faust's fetch (`Consumer._getmany`) runs in the consumer's thread and takes up to its
    1 s timeout. One that began before the flow stopped and returns after faust's seek hands
    over records read from the old position: faust takes the jump from its new read offset to
    them as a gap in the log (compaction, transaction markers), counts the skipped offsets as
    done (`Consumer._add_gap`) and commits past them without delivering them. Waiting for the
    fetch to come back before the seek means it returns while the flow is stopped, and faust
    then discards its records and seeks back itself."""
    idle: asyncio.Event | None = getattr(consumer, IN_FLIGHT, None)
    if idle is not None:
        return idle
    idle = asyncio.Event()
    idle.set()
    setattr(consumer, IN_FLIGHT, idle)
    getmany, running = consumer._getmany, [0]

    async def tracked_getmany(*args: Any, **kwargs: Any) -> Any:
        running[0] += 1
        idle.clear()
        try:
            return await getmany(*args, **kwargs)
        finally:
            running[0] -= 1
            if not running[0]:
                idle.set()

    consumer._getmany = tracked_getmany
    return idle


async def rewind_uncommitted(assigned: Iterable[Any], offsets: Mapping[Any, int | None],
                             seek_to_beginning: Callable[..., Awaitable[Any]]) -> list[Any]:
    """Seek to the beginning every assigned partition that has no committed offset yet (call it
    with what `seek_to_committed` returned); the partitions rewound.

    Why (aiokafka 0.14, `AIOKafkaConsumer.seek_to_committed`): it seeks a partition only if its
    committed offset is above 0 (`if offset and offset > 0`); a partition with none (or 0) keeps
    its fetch position. faust's seek after a rebalance, and its seek when a fetch comes back
    while the flow is stopped (`Consumer.getmany`), rely on it to read again what they are about
    to drop: the records already fetched into the agents' queues, which faust empties when it
    resumes the flow (`clear_on_resume`), or the fetched batch it discards. For a partition that
    never committed, those records are never fetched again: nothing acks them, and faust's
    commit of that partition stops below them for good while later records are processed (or,
    with nothing acked at the head, commits past them: `Consumer._new_offset` skips its head
    check when the committed offset is None). A partition moved every few seconds under load
    (`tests/integration/test_resolver_state.py`) can go through several rebalances before its
    first commit. The consumer's `auto_offset_reset` is `earliest`: no commit means the
    beginning of the log."""
    rewound = [tp for tp in assigned if not offsets.get(tp)]
    if rewound:
        await seek_to_beginning(*rewound)
        log.info("no committed offset yet: %s read again from the beginning",
                 ", ".join(f"{tp.topic}:{tp.partition}" for tp in sorted(rewound)))
    return rewound
