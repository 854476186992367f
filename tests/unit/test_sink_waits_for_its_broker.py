"""A sink started while its broker is down waits for it instead of exiting (fault campaign)."""

import socket
import time

from kafka import KafkaConsumer
from kafka.errors import KafkaTimeoutError

from processors.store.sink import connect_when_up


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_real_client_with_no_broker_is_tried_again_until_the_sink_stops(caplog):
    address = f"127.0.0.1:{closed_port()}"
    tries = []

    def connect(timeout_ms):
        tries.append(time.monotonic())
        return KafkaConsumer(bootstrap_servers=address, bootstrap_timeout_ms=timeout_ms)

    deadline = time.monotonic() + 3
    assert connect_when_up(connect, lambda: time.monotonic() > deadline, timeout_ms=300) is None
    assert len(tries) >= 2  # it did not give up on the first timeout
    assert "the broker does not answer" in caplog.text


def test_the_client_is_returned_once_the_broker_answers():
    answers = iter([KafkaTimeoutError("down"), KafkaTimeoutError("restarting"), "consumer"])

    def connect(timeout_ms):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert connect_when_up(connect, lambda: False, timeout_ms=10) == "consumer"
