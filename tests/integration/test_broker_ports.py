"""The embedded broker's ports on a busy machine: chosen where nothing else is handed them, chosen
again when taken before the broker binds, and never another broker taken for ours.

Seen in the fault campaign (7 December 2026, two campaigns and benchmarks on one machine): a
restarted stack's broker port, drawn with `bind(0)`, was listened on by another process by the
time the JVM bound it; the stack waited on that port, found it answering, and its broker exited
with "Address already in use" at every restart until `newsline up` gave up.
"""

import socket

import pytest
from kafka import KafkaAdminClient

from newsline import broker as broker_module
from newsline.broker import BrokerExited, EmbeddedBroker, ephemeral_range_start, free_port


def answering_cluster(bootstrap: str) -> str:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        return admin.describe_cluster()["cluster_id"]
    finally:
        admin.close()


def test_free_ports_are_drawn_below_the_kernels_ephemeral_range():
    ports = {free_port() for _ in range(20)}
    assert all(broker_module.PORT_FLOOR <= p < ephemeral_range_start() for p in ports), ports
    assert len(ports) > 10  # drawn at random, not the same few


def test_a_port_taken_before_the_broker_binds_is_chosen_again(tmp_path, monkeypatch):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    draws = iter([port])  # the first draw is the port someone took meanwhile
    real = broker_module.free_port
    monkeypatch.setattr(broker_module, "free_port", lambda host="127.0.0.1": next(draws, None)
                        or real(host))
    b = EmbeddedBroker(data_dir=tmp_path, log_path=tmp_path / "broker.log")
    try:
        b.start()
        assert b.port != port
        assert answering_cluster(b.bootstrap_servers) == b.cluster_id()
    finally:
        b.stop()
        taken.close()


def test_a_restart_on_a_port_another_broker_holds_fails_instead_of_joining_it(tmp_path):
    first = EmbeddedBroker(data_dir=tmp_path / "first", log_path=tmp_path / "first.log").start()
    second = EmbeddedBroker(data_dir=tmp_path / "second", log_path=tmp_path / "second.log")
    try:
        second.start()  # formats its own cluster, gets its ports
        second.stop()
        second.port = first.port  # its port, taken by another broker while it was down
        with pytest.raises(BrokerExited):
            second.start(timeout=60)  # a restart keeps its ports: it must not take first's
        assert second.process is None
    finally:
        second.stop()
        first.stop()
