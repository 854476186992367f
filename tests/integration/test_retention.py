"""A group back after retention deleted the records past its committed offset (a worker down for
more than the raw topic's week): the lag the stack reports and its stall watch, against a real
broker whose log start was moved past those records (`DeleteRecords`, what retention does)."""

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.structs import OffsetAndMetadata

from newsline.kafka_admin import group_lag, group_positions

pytestmark = pytest.mark.integration

TOPIC = "newsline.test.retention"


def test_records_retention_deleted_are_not_counted_as_waiting(broker):
    bootstrap = broker.bootstrap_servers
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(TOPIC, 1, 1)])
        for i in range(8):
            producer.send(TOPIC, f"r{i}".encode(), partition=0)
        producer.flush()
        tp = TopicPartition(TOPIC, 0)
        committer = KafkaConsumer(bootstrap_servers=bootstrap, group_id="back-after-a-week",
                                  enable_auto_commit=False)
        committer.commit({tp: OffsetAndMetadata(3, "", -1)})
        committer.close(autocommit=False)
        # Before the deletion, both groups have records waiting: 5 and 8.
        assert group_lag(bootstrap, "back-after-a-week", TOPIC) == {0: 5}
        assert group_lag(bootstrap, "never-committed", TOPIC) == {0: 8}

        admin.delete_records({tp: 6})  # the log now starts at 6: records 3-5 are gone
        assert group_positions(bootstrap, "back-after-a-week", TOPIC) == {0: (6, 8)}
        assert group_lag(bootstrap, "back-after-a-week", TOPIC) == {0: 2}
        admin.delete_records({tp: 8})  # nothing left
        assert group_lag(bootstrap, "back-after-a-week", TOPIC) == {0: 0}
        assert group_lag(bootstrap, "never-committed", TOPIC) == {0: 0}
    finally:
        producer.close()
        admin.close()
