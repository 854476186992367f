"""An event whose processing did not finish is neither acked nor committed past
(`processors/worker/acks.py`), checked against faust-streaming's own commit arithmetic."""

import asyncio
import types
from collections import defaultdict
from weakref import WeakSet

import pytest
from faust.transport.consumer import Consumer
from faust.types import TP
from intervaltree import IntervalTree

from processors.worker.acks import acked_when_done

RAW = TP("newsline.articles.raw", 0)


class Message:
    def __init__(self, offset: int) -> None:
        self.tp, self.topic, self.offset, self.acked = RAW, RAW.topic, offset, False


def consumer(committed: int) -> types.SimpleNamespace:
    """The state faust's `Consumer._new_offset` reads, with faust's own method bound to it."""
    c = types.SimpleNamespace(
        _acked=defaultdict(list), _acked_index=defaultdict(set), _gap=defaultdict(IntervalTree),
        _committed_offset=defaultdict(lambda: None, {RAW: committed}),
        _unacked_messages=WeakSet(), seeks=0)
    c._new_offset = types.MethodType(Consumer._new_offset, c)

    async def perform_seek() -> None:
        c.seeks += 1

    c.perform_seek = perform_seek
    return c


def ack(c: types.SimpleNamespace, message: Message) -> None:
    """What faust's stream does in its `finally` (`StreamIterator.after`, `Consumer.ack`)."""
    if not message.acked:
        message.acked = True
        c._acked_index[message.tp].add(message.offset)
        c._acked[message.tp].append(message.offset)


def process(c: types.SimpleNamespace, message: Message, fail: BaseException | None) -> None:
    event = types.SimpleNamespace(message=message)
    c._unacked_messages.add(message)
    try:
        with acked_when_done(c, event):
            if fail is not None:
                raise fail
    except BaseException:  # noqa: S110 - the agent's task ends; the stream's finally still runs
        pass
    finally:
        ack(c, message)


def test_faust_commits_over_one_unacked_offset_at_the_head():
    """The faust behaviour the guard is for (faust-streaming#606): committed 5, 5 never acked,
    6 and 7 acked -> faust commits 8."""
    c = consumer(committed=5)
    for offset in (6, 7):
        ack(c, Message(offset))
    assert c._new_offset(RAW) == 8


@pytest.mark.parametrize("fail", [asyncio.CancelledError(), RuntimeError("send failed")])
def test_an_event_that_did_not_finish_is_not_committed_until_read_again(fail):
    c = consumer(committed=5)
    stopped = Message(5)
    process(c, stopped, fail)
    assert stopped.offset not in c._acked[RAW]
    assert stopped not in c._unacked_messages  # faust's wait for acks does not wait for it
    for offset in (6, 7):  # the agent goes on (restarted by its supervisor)
        process(c, Message(offset), None)
    assert c._new_offset(RAW) is None  # faust alone would commit 8, past 5

    asyncio.run(c.perform_seek())  # a rebalance or restart reads from 5 again
    assert c.seeks == 1 and not c._acked[RAW]
    for offset in (5, 6, 7):
        process(c, Message(offset), None)
    assert c._new_offset(RAW) == 8


def test_events_that_finish_are_committed_as_faust_does():
    c = consumer(committed=5)
    for offset in (5, 6, 7):
        process(c, Message(offset), None)
    assert c._new_offset(RAW) == 8


def test_commits_below_the_withheld_offset_still_go_through():
    c = consumer(committed=5)
    for offset in (5, 6):
        process(c, Message(offset), None)
    process(c, Message(7), asyncio.CancelledError())
    assert c._new_offset(RAW) == 7  # 5 and 6 are done; 7 is read again after the next seek


def test_what_was_acked_past_a_withheld_offset_is_forgotten_at_the_seek():
    """No commit between the withhold and the seek: 6 and 7 are still in faust's acked list
    when the seek re-reads from 5; they must not let faust commit 8 before 5 is done again."""
    c = consumer(committed=5)
    process(c, Message(5), asyncio.CancelledError())
    for offset in (6, 7):
        process(c, Message(offset), None)
    asyncio.run(c.perform_seek())
    assert c._new_offset(RAW) is None
    process(c, Message(5), None)
    assert c._new_offset(RAW) == 6


def running_worker(committed: int, *, stopping: bool = False) -> types.SimpleNamespace:
    """The fake consumer inside a worker that goes on: its app, flow and fetcher."""
    c = consumer(committed)
    calls: list[str] = []
    c.app = types.SimpleNamespace(
        consumer=c, rebalancing=False, consumer_generation_id=3, should_stop=stopping,
        flow_control=types.SimpleNamespace(suspend=lambda: calls.append("suspend"),
                                           clear=lambda: calls.append("clear"),
                                           resume=lambda: calls.append("resume")))
    c.stop_flow, c.resume_flow = (lambda: calls.append("stop")), (lambda: calls.append("go"))
    c.assignment = lambda: {RAW}
    c.calls = calls

    async def getmany(*args, **kwargs):
        return {}

    c._getmany = getmany
    return c


def test_a_worker_that_goes_on_reads_a_withheld_event_again_by_itself(monkeypatch):
    """The agent raised and was restarted; no rebalance follows: the worker seeks back to the
    committed offsets by itself, and the partition commits once the event is done again."""
    monkeypatch.setattr("processors.worker.acks.REREAD_AFTER_S", 0.01)
    c = running_worker(committed=5)

    async def scenario() -> None:
        process(c, Message(5), RuntimeError("journal read failed"))
        for offset in (6, 7):
            process(c, Message(offset), None)
        assert c._new_offset(RAW) is None
        await asyncio.sleep(0.2)  # no rebalance meanwhile
        assert c.seeks == 1
        assert c.calls == ["stop", "suspend", "clear", "resume", "go"]
        for offset in (5, 6, 7):  # what the seek reads again
            process(c, Message(offset), None)
        assert c._new_offset(RAW) == 8

    asyncio.run(scenario())


def test_a_stopping_worker_leaves_the_withheld_event_to_its_successor(monkeypatch):
    monkeypatch.setattr("processors.worker.acks.REREAD_AFTER_S", 0.01)
    c = running_worker(committed=5, stopping=True)

    async def scenario() -> None:
        process(c, Message(5), asyncio.CancelledError())
        await asyncio.sleep(0.2)
        assert c.seeks == 0 and c.calls == []
        assert c._new_offset(RAW) is None

    asyncio.run(scenario())


def test_a_group_whose_body_did_not_finish_leaves_every_event_of_it_unacked():
    """The `analyse` agent takes a group of raw records (`take_events`) and acks them together
    once their analysed records are all in the log: stopped midway, none of them is acked or
    committed past, whichever record the body had reached."""
    c = consumer(committed=5)
    group = [Message(offset) for offset in (5, 6, 7)]
    events = [types.SimpleNamespace(message=m) for m in group]
    for m in group:
        c._unacked_messages.add(m)
    with pytest.raises(asyncio.CancelledError), acked_when_done(c, *events):
        raise asyncio.CancelledError
    for m in group:  # take_events acks each event of the group after the body
        ack(c, m)
    assert all(m.offset not in c._acked[RAW] for m in group)
    assert not set(group) & set(c._unacked_messages)
    process(c, Message(8), None)
    assert c._new_offset(RAW) is None  # faust alone would commit 9, past 5
