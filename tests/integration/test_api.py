"""The ingest API against a real embedded broker: any input gets a 2xx or a 4xx, never a 500."""

import json
import os
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.api import create_app
from ingest.publisher import Publisher
from ingest.seen import SeenIndex
from newsline.broker import EmbeddedBroker, free_port
from newsline.kafka_admin import ensure_topics
from tests.conftest import ROOT

pytestmark = pytest.mark.integration
TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def client(broker, tmp_path_factory):
    data = tmp_path_factory.mktemp("api")
    publisher = Publisher(broker.bootstrap_servers, SeenIndex(data / "seen.jsonl"), timeout_s=5)
    app = create_app(publisher, [TOKEN], data / "newsline.duckdb")
    with TestClient(app) as c:
        yield c
    publisher.close()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10),
                                                                      children, max_size=4),
    max_leaves=12)
article_like = st.fixed_dictionaries({}, optional={
    "url": st.one_of(st.text(max_size=30), st.just("https://e.example/a"),
                     st.just("javascript:alert(1)"), st.integers()),
    "published_at": st.one_of(st.text(max_size=30), st.just("2023-09-04T10:00:00+02:00"),
                              st.just("2999-01-01T00:00:00Z"), st.none()),
    "text": st.one_of(st.text(max_size=50), st.none()),
    "html": st.one_of(st.text(max_size=50), st.just("<script>x</script><p>Hi</p>")),
    "language": st.one_of(st.just("fr"), st.text(max_size=4)),
    "authors": json_values, "updated_at": st.text(max_size=30), "extra": json_values,
})


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(article_like, st.lists(article_like, max_size=3), json_values))
def test_any_json_gets_2xx_or_4xx_with_a_message(client, body):
    r = client.post("/articles", content=json.dumps(body), headers={
        **AUTH, "Content-Type": "application/json"})
    assert r.status_code in (202, 400, 422), r.text
    if r.status_code != 202:
        assert r.json()["detail"]


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200), ctype=st.sampled_from(
    ["application/json", "application/x-ndjson", "text/plain", ""]))
def test_any_bytes_get_a_4xx_or_2xx(client, raw, ctype):
    r = client.post("/articles", content=raw, headers={**AUTH, "Content-Type": ctype})
    assert r.status_code in (202, 400, 415, 422), r.text


def test_ndjson_batch_and_extreme_valid_input(client):
    big = "Le 30 août dernier, " + "mot " * 500_000  # 2 MB
    items = [
        {"url": "https://e.example/big", "published_at": "2023-09-04T10:00:00Z", "text": big},
        {"url": "https://e.example/rtl", "published_at": "2023-09-04T10:00:00Z",
         "text": "مرحبا 👋 שלום — hier, rien.", "language": "ar"},
        {"url": "https://e.example/js", "published_at": "2023-09-04T10:00:00Z",
         "html": "<p>Lundi, <script>alert(1)</script>rien.</p>"},
    ]
    body = "\n".join(json.dumps(i) for i in items)
    r = client.post("/articles", content=body.encode(), headers={
        **AUTH, "Content-Type": "application/x-ndjson"})
    assert r.status_code == 202 and len(r.json()["accepted"]) == 3


def test_broker_down_answers_503_with_retry_after(broker, tmp_path):
    b = EmbeddedBroker(data_dir=tmp_path).start()
    ensure_topics(b.bootstrap_servers)
    publisher = Publisher(b.bootstrap_servers, SeenIndex(tmp_path / "seen.jsonl"), timeout_s=3)
    app = create_app(publisher, [TOKEN], tmp_path / "n.duckdb")
    b.stop()
    with TestClient(app) as c:
        r = c.post("/articles", json={"url": "https://e.example/down", "text": "x",
                                      "published_at": "2023-09-04T10:00:00Z"}, headers=AUTH)
    assert r.status_code == 503 and r.headers["retry-after"]
    publisher.close()
    assert len(SeenIndex(tmp_path / "seen.jsonl")) == 0  # nothing acknowledged, nothing recorded


def test_an_api_started_before_its_broker_answers_503_then_accepts(tmp_path):
    """`newsline api` restarted while its broker is down (the fault campaign kills both) must
    bind its port and answer 503 with Retry-After, then accept once the broker is up. It used to
    wait 30 s for a broker before binding, then exit."""
    kafka_port, api_port = free_port(), free_port()
    log_path = tmp_path / "api.log"
    with log_path.open("ab") as log:
        api = subprocess.Popen(
            [sys.executable, "-m", "newsline.cli", "api", "--data-dir", str(tmp_path / "api"),
             "--bootstrap-servers", f"127.0.0.1:{kafka_port}", "--api-port", str(api_port)],
            cwd=ROOT, env={**os.environ, "NEWSLINE_TOKENS": TOKEN}, stdout=log,
            stderr=subprocess.STDOUT)
    broker = EmbeddedBroker(data_dir=tmp_path / "broker", port=kafka_port)
    url = f"http://127.0.0.1:{api_port}"
    doc = {"url": "https://e.example/early", "text": "Le 4 septembre, rien.",
           "published_at": "2023-09-04T10:00:00Z"}
    try:
        deadline = time.monotonic() + 60  # the imports alone, on a loaded machine
        while True:
            assert api.poll() is None, f"the API exited:\n{log_path.read_text()}"
            assert time.monotonic() < deadline, f"no answer on {url}:\n{log_path.read_text()}"
            try:
                if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        r = httpx.post(f"{url}/articles", json=doc, headers=AUTH, timeout=60)
        assert r.status_code == 503 and r.headers["retry-after"], r.text
        broker.start()
        ensure_topics(broker.bootstrap_servers)
        deadline = time.monotonic() + 120
        while (r := httpx.post(f"{url}/articles", json=doc, headers=AUTH, timeout=60)) \
                .status_code == 503 and time.monotonic() < deadline:
            time.sleep(1)
        assert r.status_code == 202 and not r.json()["accepted"][0]["duplicate"], r.text
    finally:
        api.terminate()
        api.wait(timeout=30)
        broker.stop()
