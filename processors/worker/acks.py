"""An event is acknowledged only once its agent has finished with it.

Why (faust-streaming 0.15.3, `Stream._c_aiter` and `_py_aiter`): a stream acks the event it
yielded in a `finally`, so an event whose processing raised, or was cancelled, is acked as if it
had been processed. When a worker stops (SIGTERM, a rebalance that moves it out, `newsline up`
stopping it), faust cancels its agents before the consumer's last commit: the raw record being
analysed at that moment was acked, its offset committed, and the article never reached the
analysed topic. Seen in `tests/integration/test_resolver_state.py` (the partition-move test)
with a log line per analysed raw offset: the worker stopped while analysing raw 0:19, committed
raw:0 at 20, and no worker ever analysed 0:19; another worker stopped during raw 3:0 committed 1.

faust's commit then makes it worse (`Consumer._new_offset`, faust-streaming#606): it commits
over a single missing offset at the head of the acked run (`min(acked) - committed > 1` lets a
difference of one through), so an event left unacked at the head is committed past as soon as
the next one is acked.

The remedy, at the agents' edge: `acked_when_done` marks an event whose body did not finish as
"already acked", so faust's `finally` records nothing for it, and holds that partition's commits
below the withheld offset until the next seek to the committed offsets, which reads it again.
A stopping worker leaves that seek to its successor (a rebalance or a restart). A worker that
goes on (its agent raised, and faust's supervisor restarted it) seeks its partitions back itself
`REREAD_AFTER_S` later (`processors/worker/rebalance.py`, `read_again_from_committed`): without it,
nothing would read the record again while this worker keeps the partition, and the partition
would not commit until the next rebalance. At-least-once: the article may be analysed twice
(the copy has the same version id).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)

WITHHELD = "_newsline_withheld"
REREAD = "_newsline_reread"
REREAD_AFTER_S = 1.0  # a stop under way is seen by then; a body that fails again backs off


@contextmanager
def acked_when_done(consumer: Any, *events: Any) -> Iterator[None]:
    """Run an agent's body for some events (one, or a group taken with `take_events`); if it
    raises or is cancelled, every one of them stays unacknowledged (see the module's
    docstring)."""
    try:
        yield
    except BaseException:
        for event in events:
            withhold(consumer, event.message)
        raise


def withhold(consumer: Any, message: Any) -> None:
    """Keep faust from acking `message` and from committing its partition past it."""
    withheld = _guard(consumer)
    message.acked = True  # faust's ack then records nothing for it
    consumer._unacked_messages.discard(message)
    tp, offset = message.tp, message.offset
    withheld[tp] = min(withheld.get(tp, offset), offset)
    log.warning("%s:%d@%d not acknowledged (its processing did not finish); commits of the "
                "partition stay below it until the next seek", tp.topic, tp.partition, offset)
    _read_again_soon(consumer)


def _read_again_soon(consumer: Any) -> None:
    """Unless the worker is stopping, seek back to the committed offsets in a moment, once."""
    app = getattr(consumer, "app", None)
    if app is None or getattr(consumer, REREAD, None) is not None:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    setattr(consumer, REREAD, loop.create_task(_read_again(app, consumer)))


async def _read_again(app: Any, consumer: Any) -> None:
    from processors.worker.rebalance import read_again_from_committed

    try:
        await asyncio.sleep(REREAD_AFTER_S)
        if app.should_stop or app.rebalancing:
            return  # the successor's seek, or the rebalance's, reads it again
        if await read_again_from_committed(app):
            log.warning("partitions sought back to their committed offsets: the records not "
                        "acknowledged are read again")
    except Exception:
        log.exception("seeking back to the committed offsets failed; the next rebalance will")
    finally:
        setattr(consumer, REREAD, None)


def _guard(consumer: Any) -> dict[Any, int]:
    """Install, once per consumer, the commit guard and the reset at each seek."""
    withheld: dict[Any, int] | None = getattr(consumer, WITHHELD, None)
    if withheld is not None:
        return withheld
    withheld = {}
    setattr(consumer, WITHHELD, withheld)
    new_offset, perform_seek = consumer._new_offset, consumer.perform_seek

    def guarded_new_offset(tp: Any) -> int | None:
        offset = new_offset(tp)
        limit = withheld.get(tp)
        if offset is not None and limit is not None and offset > limit:
            return None  # nothing past a withheld record is committed
        return offset

    async def seek_and_release() -> None:
        await perform_seek()
        # Everything from the committed offsets is read again; what was acked past a withheld
        # record (never committed) is forgotten, or faust would commit over it.
        for tp in withheld:
            consumer._acked.pop(tp, None)
            consumer._acked_index.pop(tp, None)
        withheld.clear()

    consumer._new_offset = guarded_new_offset
    consumer.perform_seek = seek_and_release
    return withheld
