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
    consumer = app.consumer
    consumer.stop_flow()
    idle = _fetch_tracker(consumer)
    try:
        await asyncio.wait_for(idle.wait(), FETCH_WAIT_S)
    except TimeoutError:
        log.warning("a fetch is still under way %.0f s after the flow stopped", FETCH_WAIT_S)
    await asyncio.sleep(SETTLE_S)
    log.debug("consumer flow stopped until faust has seeked its streams")


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
