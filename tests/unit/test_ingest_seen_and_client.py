"""The index of accepted submissions (fsync'ed JSONL that survives a crash) and the client's
reading of API answers."""

import httpx
import pytest

from ingest.client import Client, _outcome
from ingest.seen import SeenIndex


def test_a_reopened_index_knows_what_was_accepted(tmp_path):
    path = tmp_path / "a" / "seen.jsonl"
    seen = SeenIndex(path)
    seen.add([("d1", "v1"), ("d2", "v2")])
    seen.add([("d3", "v3")])
    again = SeenIndex(path)
    assert again.known("d2") == "v2" and again.known("d9") is None and len(again) == 3


def test_a_torn_last_line_is_cut_and_later_appends_stay_readable(tmp_path):
    path = tmp_path / "seen.jsonl"
    SeenIndex(path).add([("d1", "v1")])
    with path.open("ab") as fh:
        fh.write(b'{"dedupe_key": "d2", "vers')  # a crash in the middle of a write
    seen = SeenIndex(path)
    assert len(seen) == 1 and seen.known("d2") is None
    seen.add([("d3", "v3")])
    again = SeenIndex(path)  # the torn bytes must not have been glued to the new record
    assert again.known("d1") == "v1" and again.known("d3") == "v3" and len(again) == 2


def test_the_same_dedupe_key_counts_once(tmp_path):
    seen = SeenIndex(tmp_path / "seen.jsonl")
    seen.add([("same", "v1"), ("same", "v2")])
    assert len(seen) == 1 and seen.known("same") == "v2"


def response(status, body=None, headers=None):
    return httpx.Response(status, json=body, headers=headers,
                          request=httpx.Request("POST", "http://h/articles"))


def test_outcome_of_a_partly_invalid_batch_keeps_the_valid_items_to_resend():
    items = [{"n": 0}, {"n": 1}, {"n": 2}]
    body = {"detail": "x", "failed": [{"index": 1, "errors": [{"path": "1.url", "message": "bad"}]}]}
    result, keep = _outcome(items, response(422, body))
    assert keep == [0, 2] and result.accepted == []
    assert result.rejected == [{"item": {"n": 1}, "errors": [{"path": "1.url", "message": "bad"}]}]


def test_outcome_of_other_answers():
    ok, keep = _outcome([{"n": 0}], response(202, {"accepted": [{"id": "v1"}]}))
    assert ok.accepted == [{"id": "v1"}] and keep == []
    denied, keep = _outcome([{"n": 0}, {"n": 1}], response(401, {"detail": "no token"}))
    assert keep == [] and len(denied.rejected) == 2
    assert denied.rejected[0]["errors"] == [{"path": "(request)", "message": "401: no token"}]


def test_the_client_waits_as_retry_after_says_then_backs_off():
    c = Client("http://h/", "t")
    assert c.api_url == "http://h" and c.headers == {"Authorization": "Bearer t"}
    assert c._delay(0, response(503, {}, {"Retry-After": "7"})) == 7.0
    assert [c._delay(n, None) for n in (0, 1, 2, 10)] == [0.25, 0.5, 1.0, 8.0]


def test_the_client_resends_the_valid_part_of_a_batch(monkeypatch):
    sent = []

    def post(url, json, headers, timeout):
        sent.append([item["n"] for item in json])
        if len(json) == 3:
            return response(422, {"detail": "x", "failed": [{"index": 1, "errors": []}]})
        return response(202, {"accepted": [{"id": f"v{item['n']}"} for item in json]})

    monkeypatch.setattr(httpx, "post", post)
    result = Client("http://h", "t").post([{"n": 0}, {"n": 1}, {"n": 2}])
    assert sent == [[0, 1, 2], [0, 2]]
    assert [a["id"] for a in result.accepted] == ["v0", "v2"] and len(result.rejected) == 1


def test_the_client_retries_a_503_then_gives_the_last_answer(monkeypatch):
    calls = []
    monkeypatch.setattr(httpx, "post", lambda *a, **k: calls.append(1) or response(
        503, {"detail": "down"}, {"Retry-After": "0"}))
    result = Client("http://h", "t", retries=2).post([{"n": 0}])
    assert len(calls) == 3 and result.rejected[0]["errors"][0]["message"] == "503: down"


@pytest.mark.parametrize("exc", [httpx.ConnectError("refused")])
def test_no_answer_at_all_raises(monkeypatch, exc):
    def post(*a, **k):
        raise exc

    monkeypatch.setattr(httpx, "post", post)
    monkeypatch.setattr("ingest.client.time.sleep", lambda s: None)
    with pytest.raises(ConnectionError):
        Client("http://h", "t", retries=1).post([{"n": 0}])


class _Sends:
    """A stand-in for kafka-python's producer: each send's future fails or succeeds."""

    def __init__(self, fail: bool) -> None:
        self.fail, self.sent = fail, 0

    def send(self, topic, key, value):
        from kafka.errors import KafkaTimeoutError
        from kafka.producer.future import FutureProduceResult, FutureRecordMetadata

        self.sent += 1
        result = FutureProduceResult(None)
        if self.fail:
            result.failure(KafkaTimeoutError("Batch expired"))
        fut = FutureRecordMetadata(result, 0, -1, None, len(key), len(value), -1)
        if not self.fail:
            fut.success(None)
        return fut

    def close(self, timeout=None):
        pass


def test_a_batch_that_got_a_503_is_not_recorded_as_accepted(tmp_path):
    """The API answers 503 when a send fails: the submission must not be in the index, or the
    producer's retry would be answered `duplicate: true` for an article maybe never stored."""
    from datetime import UTC, datetime

    from ingest.publisher import BrokerUnavailable, Publisher
    from schemas.articles import Article

    producers = iter([_Sends(fail=True), _Sends(fail=False)])

    class Stub(Publisher):
        def _new_producer(self):
            return next(producers)

    seen = SeenIndex(tmp_path / "seen.jsonl")
    pub = Stub("127.0.0.1:1", seen, timeout_s=1.0)
    art = Article(url="https://example.org/a", published_at=datetime(2026, 1, 2, tzinfo=UTC),
                  text="Le 2 janvier, la ville a voté.")
    with pytest.raises(BrokerUnavailable):
        pub.publish([art])
    assert len(seen) == 0 and len(SeenIndex(tmp_path / "seen.jsonl")) == 0
    [again] = pub.publish([art])  # the retry: a fresh producer, accepted, not a duplicate
    assert not again.duplicate and len(seen) == 1


def test_a_publisher_starts_without_its_broker_and_answers_in_its_timeout(tmp_path):
    """`newsline api` builds its publisher before it binds its port. kafka-python's producer
    waits for a broker in its constructor (30 s, then an exception): a publisher that made one
    there kept an API restarted while its broker was down from ever answering."""
    import socket
    import time
    from datetime import UTC, datetime

    from ingest.publisher import BrokerUnavailable, Publisher
    from schemas.articles import Article

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    seen = SeenIndex(tmp_path / "seen.jsonl")
    started = time.monotonic()
    pub = Publisher(f"127.0.0.1:{port}", seen, timeout_s=1.0)
    assert time.monotonic() - started < 0.5
    art = Article(url="https://example.org/a", published_at=datetime(2026, 1, 2, tzinfo=UTC),
                  text="Le 2 janvier, la ville a voté.")
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable):
        pub.publish([art])
    assert time.monotonic() - started < 5 and len(seen) == 0
    pub.close()
