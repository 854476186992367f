"""The faust app: two thin agents around the pure stages.

- `analyse`: raw articles -> analysed articles (or dead letters). Stateless; scales with the raw
  topic's partitions.
- `resolve`: analysed articles -> timeline changes. Its state is a journal on Kafka (one atomic
  record of progress per article: the article, the fold's writes, its changes and the source
  offset it covers) and a local SQLite store that caches it, per analysed partition
  (`processors/worker/resolver_state.py`, `docs/resolver-state.md`). The in-memory state is dropped
  when the partition is revoked and rebuilt at assignment; the partition resumes at the
  journal's position, not at faust's committed offset.

Consumer group: static membership (`group_instance_id`, one per worker), so a worker restarted
after a crash takes its partitions back at once instead of waiting for its old session to expire;
sessions of 6 s (the broker's minimum) so that a worker that dies for good is replaced within
seconds. No web server (two workers on one machine would collide on its port). No faust tables.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import aiokafka
import faust
from faust.types import TP

from processors.worker.acks import acked_when_done, withhold
from processors.worker.analysis_pool import AnalysisPool
from processors.worker.rebalance import rewind_uncommitted, stop_fetching_before_the_seek
from processors.worker.resolver_state import GROUP_MAX, FoldError, Resolver, Store, cache_caps
from processors.worker.stall import (
    CommitWatch,
    GroupWatch,
    LoopWatch,
    exit_for_restart,
    group_describer,
)
from schemas.articles import ARTICLE_ANALYSED, ArticleAnalysed
from schemas.codec import Rejection, decode, encode, envelope
from schemas.dead_letters import DeadLetter
from schemas.envelope import now_utc
from schemas.topics import TOPICS

log = logging.getLogger(__name__)

JOURNAL_MAX_BYTES = 64 * 1024 * 1024  # a journal record: the article, its writes and changes
# The producer's batch per partition. aiokafka sends one request at a time to a broker, with one
# batch per partition in it, and a record larger than a batch is a batch of its own: at its
# default (16 KB) a group's 50 journal records (about 19 KB each on the dense workload, an
# analysed article 5 KB, a change 1 KB) were 50 requests one after the other. 1 MiB holds a
# group's records in a few requests.
PRODUCER_BATCH_BYTES = 1024 * 1024
# How long the resolve agent waits for a group to fill (`GROUP_MAX` articles) before it
# resolves what it has: under a backlog a group fills at once; at a low rate this is what an
# article waits at most before its fold starts.
GROUP_WITHIN_S = 0.05
# The same for the `analyse` agent: at most this many raw records analysed and sent together
# (under a backlog a group fills at once; a 400,000-character article takes seconds alone).
ANALYSE_GROUP_MAX = 50
ANALYSE_GROUP_WITHIN_S = 0.05


def dead_letter(message: Any, reason: str, errors: list[dict[str, str]],
                source: str = "newsline/analyse") -> bytes:
    """A dead-letter envelope keeping the original bytes, the error and where it came from."""
    letter = DeadLetter(
        topic=message.topic, partition=message.partition, offset=message.offset,
        key_b64=base64.b64encode(message.key).decode() if message.key is not None else None,
        value_b64=base64.b64encode(message.value or b"").decode(),
        error=reason, errors=errors, received_at=now_utc(),
    )
    return encode(envelope(letter, source=source,
                           id=f"{message.topic}:{message.partition}:{message.offset}"))


async def delivered(topic: Any, *, key: bytes | None, value: bytes,
                    transactional_id: str | None = None) -> None:
    """Send and wait for the broker's acknowledgement, so that the event in hand is acked (and
    its offset committable) only once what it produced is in the log: faust's flush before an
    offset commit gives up after 0.1 s, and a worker stopped or killed in that window would have
    committed past a record that never landed. Under `exactly_once`, in the given transaction
    (`source_transaction`).

    A failed send is retried with back-off, the event still in hand: an exception out of the
    agent would leave it unacknowledged (`processors/worker/acks.py`) with its partition's commits
    held until the next rebalance. A send that failed yet landed is sent twice: the copy has
    the same id (version id, or the dead letter's topic:partition:offset)."""
    delay = 0.5
    while True:
        try:
            if transactional_id is None:
                await (await topic.send(key=key, value=value))
            else:
                await (await topic.app.producer.send(topic.get_topic_name(), key, value, None,
                                                     None, None,
                                                     transactional_id=transactional_id))
            return
        except Exception:
            log.exception("send to %s failed; retrying in %.1fs", topic.get_topic_name(), delay)
        await asyncio.sleep(delay)
        delay = min(30.0, delay * 2)


def source_transaction(app: faust.App, message: Any) -> str | None:
    """Under `exactly_once`, the transactional id that commits the offsets of the message's
    partition, so that what the message produced commits with its offset. faust-streaming
    0.15.3 itself puts a send in the transaction of its *destination* partition, which commits
    only when that partition's own consumer commits: the analysed records waited for the
    resolver, which cannot see them (read_committed), and were aborted at the next start
    (docs/resolver-state.md, bench/eos_check.py)."""
    if not app.in_transaction:
        return None
    group = app.assignor.group_for_topic(message.topic)
    return f"{app.conf.id}-{group}-{message.partition}"


def create_app(bootstrap: str, *, app_id: str = "newsline", data_dir: str = "data",
               session_timeout_s: float = 6.0, heartbeat_s: float = 1.5,
               group_instance_id: str | None = None,
               processing_guarantee: str = "at_least_once",
               analyse_processes: int = 0, resolver_cache_scale: float = 1.0) -> faust.App:
    """Build the faust app for a broker (`analyse_processes`: see processors/analysis_pool;
    `resolver_cache_scale`: `resolver_state.cache_caps`)."""
    app = faust.App(
        app_id, broker=f"kafka://{bootstrap}", store="memory://", datadir=f"{data_dir}/faust",
        web_enabled=False, topic_partitions=1, topic_replication_factor=1,
        broker_session_timeout=session_timeout_s, broker_heartbeat_interval=heartbeat_s,
        broker_request_timeout=30.0, consumer_group_instance_id=group_instance_id,
        producer_max_request_size=JOURNAL_MAX_BYTES, consumer_max_fetch_size=20 * 1024 * 1024,
        producer_max_batch_size=PRODUCER_BATCH_BYTES,
        stream_wait_empty=False, table_cleanup_interval=3600.0,
        processing_guarantee=processing_guarantee,
    )
    raw = app.topic(TOPICS["raw"].name, key_serializer="raw", value_serializer="raw",
                    internal=False)
    analysed = app.topic(TOPICS["analysed"].name, key_serializer="raw", value_serializer="raw")
    dead = app.topic(TOPICS["dead_letter"].name, key_serializer="raw", value_serializer="raw")
    analysed_name, changelog_name = TOPICS["analysed"].name, TOPICS["changelog"].name
    journal_name = TOPICS["journal"].name

    pool = AnalysisPool(analyse_processes)

    # The raw records already fetched, up to `ANALYSE_GROUP_MAX`, are analysed as one group:
    # one hand-off to the analysis thread (or all at once to the processes), their analysed
    # records (or dead letters) sent together and one wait for every acknowledgement, instead
    # of a hand-off, a produce request and a round trip per record (docs/measurements.md,
    # *CPU per article through the stack*). `take_events` acks a group's events after the body:
    # only once every record it produced is in the log; a group whose body did not finish is
    # withheld (`processors/worker/acks.py`), so faust commits no raw offset past it.
    @app.agent(raw)
    async def analyse(stream: Any) -> None:
        async for events in stream.take_events(ANALYSE_GROUP_MAX, within=ANALYSE_GROUP_WITHIN_S):
            with acked_when_done(app.consumer, *events):  # not acked if stopped midway
                await _analyse_group([event.message for event in events])

    async def _analyse_group(messages: list[Any]) -> None:
        outcomes = await pool.analyse_many([message.value for message in messages])
        outputs = [_output(message, outcome)
                   for message, outcome in zip(messages, outcomes, strict=True)]
        if app.in_transaction:  # each in the transaction of its source partition
            for message, (topic, key, value) in zip(messages, outputs, strict=True):
                await delivered(topic, key=key, value=value,
                                transactional_id=source_transaction(app, message))
            return
        try:
            futures = [await app.producer.send(topic.get_topic_name(), key, value, None, None,
                                               None) for topic, key, value in outputs]
            await asyncio.gather(*futures)
            log.debug("analysed raw %d records", len(messages))
            return
        except Exception:
            log.exception("sending %d analysed records at once failed; sending each until the "
                          "broker has it", len(outputs))
        for topic, key, value in outputs:  # a copy of one that landed has the same id
            await delivered(topic, key=key, value=value)

    def _output(message: Any, outcome: Any) -> tuple[Any, bytes | None, bytes]:
        """Where a raw record's outcome goes: (topic, key, value), analysed or dead letter."""
        if outcome.reason is None:
            return analysed, outcome.key, outcome.value or b""
        if outcome.trace:
            log.error("analysis failed at %s:%d\n%s", message.partition, message.offset,
                      outcome.trace)
        errors = [{"path": p, "message": m} for p, m in outcome.errors]
        return dead, message.key, dead_letter(message, outcome.reason, errors)

    streams = {raw.get_topic_name(), analysed_name}  # the stream topics (not faust's leader)

    # At-least-once only (CommitWatch): a stall while idle makes the worker exit and restart,
    # before `newsline up`'s stall alarm (30 s) would fire.
    commit_watch = CommitWatch(patience_s=20.0, give_up=exit_for_restart
                               if processing_guarantee == "at_least_once" else None)
    loop_watch: list[LoopWatch] = []

    @app.timer(5.0)
    async def watch_commits() -> None:
        """Log the consumer's view of a partition that stopped committing (processors/stall)."""
        if not loop_watch:
            loop_watch.append(LoopWatch(asyncio.get_running_loop()))
            loop_watch[0].start()
        try:
            await commit_watch.check(app, streams)
        except TimeoutError:  # the broker away: the watch starts its clocks again
            log.debug("commit watch: no answer from the broker")
        except Exception as exc:  # a diagnosis must never stop the worker
            log.warning("commit watch failed: %r", exc)

    group_watch = GroupWatch(group_describer(bootstrap, app_id, streams), streams)

    @app.timer(5.0)
    async def watch_group() -> None:
        """Exit when the consumer has left its group for good (processors/stall, GroupWatch)."""
        try:
            await group_watch.check(app)
        except Exception as exc:  # a diagnosis must never stop the worker
            log.warning("group watch failed: %r", exc)

    resolvers: dict[int, Resolver] = {}
    state_dir = Path(data_dir) / "resolver" / (group_instance_id or "default")

    async def publish(messages: list[tuple[bytes, bytes]]) -> None:
        """Send changes to the timeline changelog and wait until the broker has them all."""
        futures = [await app.producer.send(changelog_name, key, value, None, None, None)
                   for key, value in messages]
        await asyncio.gather(*futures)

    def resolver(partition: int) -> Resolver:
        r = resolvers.get(partition)
        if r is None:
            store = Store(state_dir / f"{analysed_name}-{partition}.sqlite")
            journal = KafkaJournal(app, bootstrap, journal_name, partition)
            r = resolvers[partition] = Resolver(store, journal, publish,
                                                **cache_caps(resolver_cache_scale))
        return r

    @app.on_partitions_revoked.connect
    async def on_revoked(sender: Any, /, *args: Any, signal: Any = None, **kwargs: Any) -> None:
        """Stop resolving revoked partitions: their state may move on elsewhere."""
        revoked: set[TP] = args[0] if args else kwargs.get("revoked", set())
        for tp in revoked:
            if tp.topic == analysed_name and tp.partition in resolvers:
                r = resolvers[tp.partition]
                async with r.lock:  # waits for the article in hand
                    r.ready = False

    @app.on_rebalance_complete.connect
    async def on_rebalanced(sender: Any, /, *args: Any, signal: Any = None, **kwargs: Any) -> None:
        """Stop fetching (see `processors/worker/rebalance.py`), then recover the assigned analysed
        partitions (catch up, resend) and free the others. Runs just before faust seeks to the
        committed offsets (`seek_to_committed` below). One receiver does both, in this order:
        faust calls a signal's receivers in no set order, and a record fetched during the
        recovery would be lost to the same race."""
        await stop_fetching_before_the_seek(app)
        assigned = {tp.partition for tp in app.consumer.assignment()
                    if tp.topic == analysed_name}
        for partition in list(resolvers):
            if partition not in assigned:
                r = resolvers.pop(partition)
                async with r.lock:
                    r.ready = False
                    r.drop()
                    r.store.close()
                log.info("resolver of %s released (partition not assigned here)",
                         r.store.path.name)
                r.heap.trim_now()  # its state's memory, back to the system
        for partition in sorted(assigned):
            await resolver(partition).recover()
        _position_rule(app.consumer)

    def _position_rule(consumer: Any) -> None:
        """Wrap faust's seek to the committed offsets: rewind the partitions with no committed
        offset (aiokafka leaves them where they were, `processors/worker/rebalance.py`), then seek each
        analysed partition to its resolver's position (the committed offset is only a hint; see
        resolver_state)."""
        if getattr(consumer, "_newsline_position_rule", False):
            return
        original = consumer.seek_to_committed

        async def seek_to_committed() -> Mapping[TP, int]:
            offsets = dict(await original())
            await rewind_uncommitted([tp for tp in consumer.assignment() if tp.topic in streams],
                                     offsets, _seek_to_beginning)
            for tp in consumer.assignment():
                r = resolvers.get(tp.partition) if tp.topic == analysed_name else None
                if r is not None and r.ready and r.next_offset is not None:
                    if offsets.get(tp) != r.next_offset:
                        log.info("resolver resumes %s at %d (committed: %s)", tp,
                                 r.next_offset, offsets.get(tp))
                    await consumer.seek(tp, r.next_offset)
                    offsets[tp] = r.next_offset
            return offsets

        async def _seek_to_beginning(*tps: TP) -> None:
            await consumer._thread.seek_to_beginning(  # aiokafka wants its own TopicPartition
                *(aiokafka.TopicPartition(tp.topic, tp.partition) for tp in tps))

        consumer.seek_to_committed = seek_to_committed
        consumer._newsline_position_rule = True

    # Group commit: the articles already fetched, up to `GROUP_MAX`, are resolved as one group
    # per partition (`Resolver.handle_group`): one wait for their journal records' acks, one for
    # their changes', one store transaction, instead of three round trips per article.
    # `take_events` acks a group's events after the body; one whose body did not finish is
    # withheld (`processors/worker/acks.py`).
    @app.agent(analysed)
    async def resolve(stream: Any) -> None:
        async for events in stream.take_events(GROUP_MAX, within=GROUP_WITHIN_S):
            await _resolve_events(events)

    async def _resolve_events(events: list[Any]) -> None:
        by_partition: dict[int, list[Any]] = {}
        for event in events:
            by_partition.setdefault(event.message.partition, []).append(event)
        finished: set[int] = set()
        try:
            for group in by_partition.values():
                await _resolve_partition([event.message for event in group])
                finished.update(id(event) for event in group)
        except BaseException:
            for event in events:
                if id(event) not in finished:
                    withhold(app.consumer, event.message)
            raise

    async def _resolve_partition(messages: list[Any]) -> None:
        """The records of one analysed partition, in offset order."""
        r = resolver(messages[0].partition)
        if not r.ready:  # recovery runs at assignment; this is a safety net
            await r.recover()
            if r.next_offset is not None and messages[0].offset > r.next_offset:
                log.error("analysed %d:%d delivered past the resolver's position %d: "
                          "exiting so that the restart seeks back", messages[0].partition,
                          messages[0].offset, r.next_offset)
                os._exit(75)
        items = []
        for message in messages:
            env = decode(message.value, expected=ARTICLE_ANALYSED)
            if isinstance(env, Rejection):
                log.error("undecodable analysed record at %d:%d: %s", message.partition,
                          message.offset, env.reason)
                await delivered(dead, key=message.key, value=dead_letter(
                    message, env.reason, env.errors, source="newsline/resolve"))
                continue
            items.append((message, env.data))
        if len(items) > 1:
            try:
                await r.handle_group([(message.offset, art) for message, art in items])
                return
            except Exception:
                # A fold failure (before any journal send) or an I/O fault: nothing of the
                # group is in the store. One at a time, each article is retried or parked
                # on its own (`_resolve_one`), so a poison article parks only itself.
                log.exception("resolving %d articles of %d:%d-%d as a group failed; resolving "
                              "them one at a time", len(items), messages[0].partition,
                              items[0][0].offset, items[-1][0].offset)
                if not r.ready:  # revoked meanwhile: the new owner resumes from the journal
                    return
                try:
                    await r.recover()  # records of the group that landed are caught up
                except Exception:
                    log.exception("recovery failed; `_resolve_one` retries it")
        for message, art in items:
            await _resolve_one(r, message, art)

    async def _resolve_one(r: Resolver, message: Any, art: ArticleAnalysed) -> None:
        """Resolve one article; an I/O fault is retried (the article stays unacknowledged), a
        fold failure parks the article as a dead letter and moves the position past it."""
        delay = 0.5
        while True:
            try:
                await r.handle(message.offset, art)
                return
            except FoldError as exc:
                log.exception("the fold failed at %d:%d", message.partition, message.offset)
                err = [{"path": "(resolution)", "message": str(exc)}]
                await delivered(dead, key=message.key, value=dead_letter(
                    message, f"resolution failed: {exc}", err, source="newsline/resolve"))
                await r.skip(message.offset, art.version_id)
                return
            except Exception:
                log.exception("resolving %d:%d failed; retrying in %.1fs", message.partition,
                              message.offset, delay)
            await asyncio.sleep(delay)
            delay = min(30.0, delay * 2)
            if not r.ready:  # revoked meanwhile: the new owner resumes from the journal
                return
            try:
                await r.recover()  # the state was dropped: catch up before the next try
            except Exception:
                log.exception("recovery failed; retrying")

    return app


class KafkaJournal:
    """The resolver's journal on Kafka: one partition of `newsline.resolver.journal`."""

    def __init__(self, app: faust.App, bootstrap: str, topic: str, partition: int) -> None:
        self.app, self.bootstrap, self.topic, self.partition = app, bootstrap, topic, partition

    async def append(self, key: bytes, value: bytes) -> int:
        """Write a record; its offset once the broker has acknowledged it (acks=all)."""
        meta = await self.app.producer.send_and_wait(self.topic, key, value, self.partition,
                                                     None, None)
        return int(meta.offset)

    async def append_many(self, items: list[tuple[bytes, bytes]]) -> list[int]:
        """Write records, pipelined: their offsets once the broker has acknowledged them all.
        aiokafka has at most one request in flight per partition, so they land in order; one
        that failed for good while a later one landed leaves that later record without its
        predecessor, which replay skips (`Resolver.follows`)."""
        futures = [await self.app.producer.send(self.topic, key, value, self.partition,
                                                None, None)
                   for key, value in items]
        return [int(meta.offset) for meta in await asyncio.gather(*futures)]

    async def read(self, start: int) -> AsyncIterator[tuple[int, bytes]]:
        """The records from `start` to the end the log has now."""
        consumer = aiokafka.AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False,
            max_partition_fetch_bytes=JOURNAL_MAX_BYTES, fetch_max_bytes=JOURNAL_MAX_BYTES,
            client_id="newsline-resolver-journal")
        await consumer.start()
        try:
            tp = aiokafka.TopicPartition(self.topic, self.partition)
            consumer.assign([tp])
            end = (await consumer.end_offsets([tp]))[tp]
            first = (await consumer.beginning_offsets([tp]))[tp]
            position = max(start, first)
            if position >= end:
                return
            consumer.seek(tp, position)
            while position < end:
                batch = await consumer.getmany(tp, timeout_ms=1000)
                for msg in batch.get(tp, []):
                    if msg.offset >= end:
                        return
                    position = msg.offset + 1
                    yield msg.offset, msg.value or b""
        finally:
            await consumer.stop()
