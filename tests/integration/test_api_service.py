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


def test_api_service_accepts_through_the_async_client_and_stops_on_sigterm(tmp_path):
    broker = EmbeddedBroker(data_dir=tmp_path / "broker").start()
    ensure_topics(broker.bootstrap_servers)
    port = free_port()
    env = {**os.environ, "NEWSLINE_TOKENS": "t1,t2", "NEWSLINE_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "newsline.cli", "api", "--bootstrap-servers",
                             broker.bootstrap_servers, "--api-port", str(port)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
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
        assert [e.data.url for e in envs] == ["https://e.example/async"]
        seen = (tmp_path / "ingest" / "seen.jsonl").read_text().splitlines()
        assert json.loads(seen[0])["version_id"] == result.accepted[0]["id"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        broker.stop()
