"""Kafka administration: topics as declared in `schemas/topics.py`, group readiness, lag."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from schemas.topics import TOPICS, Topic

log = logging.getLogger(__name__)


def ensure_topics(bootstrap: str, topics: Iterable[Topic] = TOPICS.values(),
                  replication: int = 1) -> list[str]:
    """Create the topics that do not exist yet; return the names created."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="newsline-admin")
    try:
        existing = set(admin.list_topics())
        wanted = [t for t in topics if t.name not in existing]
        for topic in wanted:
            try:
                admin.create_topics([NewTopic(topic.name, topic.partitions, replication,
                                              topic_configs=dict(topic.configs))])
            except TopicAlreadyExistsError:
                continue
        return [t.name for t in wanted]
    finally:
        admin.close()


def wait_for_group_coordinator(bootstrap: str, group: str, timeout: float = 60.0) -> None:
    """Block until `group`'s coordinator answers (on a new broker the first request creates the
    offsets topic): the worker then joins at once instead of logging coordinator errors."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="newsline-admin")
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                admin.list_group_offsets({group: None})
                return
            except KafkaError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        admin.close()


def high_watermarks(bootstrap: str, topic: str) -> dict[int, int]:
    """Partition -> offset after the last record, read from Fetch responses."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             consumer_timeout_ms=2000, client_id="newsline-lag")
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        begin = consumer.beginning_offsets(tps)
        reported = consumer.end_offsets(tps)
        out: dict[int, int] = {}
        for tp in tps:
            if reported[tp] <= begin[tp]:
                out[tp.partition] = begin[tp]
                continue
            # The reported end may be short (it points into the last batch): fetch from just
            # before it and read the true high watermark off the response.
            consumer.seek(tp, max(begin[tp], reported[tp] - 1))
            for _ in range(20):
                consumer.poll(timeout_ms=200, max_records=1)
                hw = consumer.highwater(tp)
                if hw is not None:
                    out[tp.partition] = hw
                    break
            else:
                out[tp.partition] = reported[tp]
        return out
    finally:
        consumer.close()


def group_lag(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """Partition -> records not yet committed by `group` (high watermark minus committed)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="newsline-admin")
    try:
        hws = high_watermarks(bootstrap, topic)
        tps = [TopicPartition(topic, p) for p in hws]
        committed = admin.list_group_offsets({group: tps}).get(group, {})
    finally:
        admin.close()
    lag = {}
    for tp in tps:
        meta = committed.get(tp)
        done = meta.offset if meta is not None and meta.offset >= 0 else 0
        lag[tp.partition] = max(0, hws[tp.partition] - done)
    return lag


def consumer_lag(bootstrap: str) -> dict[str, int]:
    """Records the faust processors have not yet committed, per input topic."""
    return {TOPICS[role].name: sum(group_lag(bootstrap, "newsline", TOPICS[role].name).values())
            for role in ("raw", "analysed")}
