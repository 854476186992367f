"""The worker's producer batches: large enough for a group, small enough for any topic."""

from processors.app import create_app
from processors.worker.resolver_state import GROUP_MAX
from schemas.topics import TOPICS

KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588  # a topic without `max.message.bytes` of its own
JOURNAL_RECORD_BYTES = 19_000  # about, on the dense workload (docs/measurements.md)


def test_a_group_of_journal_records_goes_in_a_few_batches_each_within_every_topics_limit():
    """aiokafka sends one request at a time to a broker with one batch per partition, and a
    record larger than a batch is a batch alone: at its default of 16 KB a group's journal
    records went as one request each. A batch must also fit the smallest `max.message.bytes`
    of the topics the worker writes (the changelog and dead letters keep Kafka's default)."""
    conf = create_app("127.0.0.1:1").conf
    assert conf.producer_max_batch_size >= 10 * JOURNAL_RECORD_BYTES
    assert GROUP_MAX * JOURNAL_RECORD_BYTES / conf.producer_max_batch_size <= 5
    limits = [int(t.configs.get("max.message.bytes", KAFKA_DEFAULT_MAX_MESSAGE_BYTES))
              for t in TOPICS.values()]
    assert conf.producer_max_batch_size <= min(limits)
