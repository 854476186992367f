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


def commit_unset_offsets(bootstrap: str, group: str, topics: Iterable[str]) -> list[str]:
    """Commit the beginning offset for every partition of `topics` that `group` has never
    committed; return them as `topic:partition`.

    Why: faust prefetches records while it recovers its tables, drops them, and then seeks its
    streams back to their committed offsets. A partition with no committed offset is not sought
    back, so the records prefetched there were skipped: a worker killed before its first commit
    lost them on restart (seen in test_crash: the seed article never analysed). Run before the
    worker starts (an empty group accepts commits from outside)."""
    from kafka.structs import OffsetAndMetadata

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                             enable_auto_commit=False, client_id="newsline-offsets")
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="newsline-admin")
    try:
        tps = [TopicPartition(t, p) for t in topics
               for p in sorted(consumer.partitions_for_topic(t) or ())]
        committed = admin.list_group_offsets({group: tps}).get(group, {})
        unset = [tp for tp in tps if committed.get(tp) is None or committed[tp].offset < 0]
        if unset:
            begin = consumer.beginning_offsets(unset)
            consumer.commit({tp: OffsetAndMetadata(begin[tp], "", -1) for tp in unset})
        return [f"{tp.topic}:{tp.partition}" for tp in unset]
    finally:
        admin.close()
        consumer.close(autocommit=False)


def high_watermarks(bootstrap: str, topic: str) -> dict[int, int]:
    """Partition -> offset after the last record (the log end offset)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             client_id="newsline-lag")
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        return {tp.partition: int(end) for tp, end in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()


def topic_configs(bootstrap: str, names: Iterable[str]) -> dict[str, dict[str, str]]:
    """Topic -> the configs set on the topic itself (not the broker's defaults)."""
    from kafka.admin import ConfigResource, ConfigResourceType

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="newsline-admin")
    try:
        found = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n)
                                        for n in names], config_filter="all")
    finally:
        admin.close()
    out: dict[str, dict[str, str]] = {}
    for by_name in found.values():
        for name, configs in by_name.items():
            out[name] = {k: str(v["value"]) for k, v in configs.items()
                         if v.get("config_source") == "DYNAMIC_TOPIC_CONFIG"}
    return out


def group_positions(bootstrap: str, group: str, topic: str) -> dict[int, tuple[int, int]]:
    """Partition -> (where `group` resumes, log end offset). It resumes at its committed offset,
    or at the log's start if retention deleted the records after it (a group back after the raw
    topic's week), or never committed: nothing before the start is left to consume."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="newsline-admin")
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             client_id="newsline-lag")
    try:
        tps = [TopicPartition(topic, p)
               for p in sorted(consumer.partitions_for_topic(topic) or ())]
        ends = consumer.end_offsets(tps)
        starts = consumer.beginning_offsets(tps)
        committed = admin.list_group_offsets({group: tps}).get(group, {})
    finally:
        admin.close()
        consumer.close()
    out = {}
    for tp in tps:
        meta = committed.get(tp)
        done = meta.offset if meta is not None and meta.offset >= 0 else 0
        out[tp.partition] = (max(done, int(starts[tp])), int(ends[tp]))
    return out


def group_lag(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """Partition -> records `group` has yet to commit (those retention deleted not counted)."""
    return {p: max(0, end - done)
            for p, (done, end) in group_positions(bootstrap, group, topic).items()}


def consumer_lag(bootstrap: str) -> dict[str, int]:
    """Records the faust processors have not yet committed, per input topic."""
    return {TOPICS[role].name: sum(group_lag(bootstrap, "newsline", TOPICS[role].name).values())
            for role in ("raw", "analysed")}
