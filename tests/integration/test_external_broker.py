"""`newsline up --bootstrap-servers`: use the given Kafka, start no broker.

Dead-letter replay is tested in test_promises.py (it needs no external broker).
"""

import subprocess

import pytest

from newsline.broker import EmbeddedBroker
from tests.conftest import EXAMPLES
from tests.integration.conftest import RunningStack

pytestmark = pytest.mark.integration


def brokers_started_by(stack: RunningStack) -> set[int]:
    """Kafka brokers that `newsline up` started (its children)."""
    out = subprocess.run(["pgrep", "-P", str(stack.proc.pid), "-f", "kafka.Kafka"],
                         capture_output=True, text=True)
    return {int(p) for p in out.stdout.split()}


def test_given_bootstrap_servers_are_used_and_no_broker_is_started(tmp_path):
    # Another Kafka, started apart, stands in for an existing cluster.
    external = EmbeddedBroker(data_dir=tmp_path / "external").start()
    s = RunningStack(tmp_path, "--bootstrap-servers", external.bootstrap_servers).start()
    try:
        assert s.info["bootstrap_servers"] == external.bootstrap_servers
        assert brokers_started_by(s) == set()
        s.cli("post", str(EXAMPLES / "seed-rtl-2023-09-04.json"), "--data-dir", str(tmp_path),
              "--wait", "--timeout", "240")
        assert any(e["start"] == "2023-08-30" for e in s.timeline())
    finally:
        s.stop()
        external.stop()
