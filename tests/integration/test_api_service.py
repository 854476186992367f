"""`newsline api` (the compose `api` service) and the async Python client, on a real broker."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
from kafka import KafkaConsumer, TopicPartition

from ingest import AsyncClient
from newsline.broker import EmbeddedBroker, free_port
from newsline.kafka_admin import ensure_topics
from schemas.codec import decode
from tests.conftest import ROOT

pytestmark = pytest.mark.integration
READY_S = 30
MAX_BODY = 4096


def wait_ready(url: str, proc: subprocess.Popen) -> None:
    """Return once GET /healthz answers 200; fail (never carry on) if it does not in time."""
    deadline = time.monotonic() + READY_S
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"newsline api exited with {proc.returncode}:\n{proc.stdout.read().decode()}")
        try:
            r = httpx.get(f"{url}/healthz", timeout=2)
            if r.status_code == 200:
                return
            last = f"{r.status_code} {r.text[:200]}"
        except httpx.TransportError as exc:
            last = repr(exc)
        time.sleep(0.1)
    pytest.fail(f"newsline api not ready after {READY_S} s: {last}")


def test_api_service_accepts_through_the_async_client_and_stops_on_sigterm(tmp_path):
    broker = EmbeddedBroker(data_dir=tmp_path / "broker").start()
    ensure_topics(broker.bootstrap_servers)
    port = free_port()
    env = {**os.environ, "NEWSLINE_TOKENS": "t1, t2", "NEWSLINE_DATA_DIR": str(tmp_path),
           "NEWSLINE_MAX_BODY_BYTES": str(MAX_BODY)}
    proc = subprocess.Popen([sys.executable, "-m", "newsline.cli", "api", "--bootstrap-servers",
                             broker.bootstrap_servers, "--api-port", str(port)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, proc)
        # Every token of NEWSLINE_TOKENS writes, any other is refused; the body limit applies.
        body = {"url": "https://e.example/t", "published_at": "2023-09-04T10:00:00Z", "text": "x"}
        for token, status in (("t1", 202), ("t2", 202), ("t3", 401), ("t1,t2", 401)):
            r = httpx.post(f"{url}/articles", json=body, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == status, (token, r.text)
        big = {**body, "text": "x" * MAX_BODY}
        r = httpx.post(f"{url}/articles", json=big, headers={"Authorization": "Bearer t1"})
        assert r.status_code == 413 and str(MAX_BODY) in r.json()["detail"], r.text
        article = {"url": "https://e.example/async", "published_at": "2023-09-04T10:00:00Z",
                   "text": "Lundi, la Maison-Blanche a parlé.", "language": "fr"}
        result = asyncio.run(AsyncClient(url, "t2").post([article, {"url": "nope"}]))
        assert len(result.accepted) == 1 and len(result.rejected) == 1
        paths = {e["path"] for e in result.rejected[0]["errors"]}
        assert {"1.url", "1.published_at"} <= paths, paths
        consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap_servers,
                                 consumer_timeout_ms=5000)
        topic = "newsline.articles.raw"
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        envs = [decode(m.value) for m in consumer]
        consumer.close()
        # the token test's article (once: the second post is a duplicate), then the async one
        assert sorted(e.data.url for e in envs) == ["https://e.example/async", "https://e.example/t"]
        seen = (tmp_path / "ingest" / "seen.jsonl").read_text().splitlines()
        assert json.loads(seen[-1])["version_id"] == result.accepted[0]["id"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        broker.stop()
