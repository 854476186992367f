"""`newsline up --bootstrap-servers`: use the given Kafka, start no broker; dead-letter replay."""

import base64
import json
import subprocess

import pytest
from kafka import KafkaProducer

from newsline.broker import EmbeddedBroker
from schemas.articles import Article
from schemas.codec import encode, envelope
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

        # A message a producer got wrong is parked; fixed and replayed, it goes through.
        bad = json.loads((EXAMPLES / "seed-rtl-2023-09-04.json").read_text())
        bad["url"] = "https://example.org/replayed"
        env = json.loads(encode(envelope(Article.model_validate(bad), source="test")))
        env["schemaversion"] = 99
        producer = KafkaProducer(bootstrap_servers=external.bootstrap_servers)
        producer.send(s.info["topics"]["raw"], key=b"k", value=json.dumps(env).encode())
        producer.flush()
        producer.close()
        letters = []
        for _ in range(60):
            letters = json.loads(s.cli("dlq", "--data-dir", str(tmp_path), "--format",
                                       "json").stdout)
            if letters:
                break
        (letter,) = letters
        assert "schemaversion" in letter["error"]
        original = json.loads(base64.b64decode(letter["value_b64"]))
        assert original["data"]["url"] == "https://example.org/replayed"
        out = s.cli("dlq", "--data-dir", str(tmp_path), "--replay", letter["id"], check=False)
        assert out.returncode == 0
    finally:
        s.stop()
        external.stop()
