"""The ingest API's own rules, in-process (no broker): auth, media types, limits, problem details,
counters, query parameters and the offline docs. The publisher is a stand-in that records what
it was given; the real one is tested through the broker in tests/integration."""

import json
import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from ingest.api import create_app
from ingest.publisher import Accepted, BrokerUnavailable

TOKENS = ["first", "second"]
GOOD = {"url": "https://e.example/a", "published_at": "2023-09-04T10:00:00Z", "text": "Lundi."}


class StandInPublisher:
    """Accepts everything; an article posted twice (same URL) is a duplicate."""

    def __init__(self, fail=False):
        self.published, self.fail, self.seen = [], fail, set()

    def publish(self, articles):
        if self.fail:
            raise BrokerUnavailable("down")
        out = []
        for a in articles:
            self.published.append(a)
            out.append(Accepted(id=f"v-{len(self.published)}", article_key="k", canonical_url=a.url,
                                version=a.version_time.isoformat(), duplicate=a.url in self.seen))
            self.seen.add(a.url)
        return out


def client(tmp_path, publisher=None, max_body=4096, lag=None):
    app = create_app(publisher, TOKENS, tmp_path / "n.duckdb", max_body_bytes=max_body, lag=lag)
    return TestClient(app)


def auth(token="first"):
    return {"Authorization": f"Bearer {token}"}


def test_every_configured_token_writes_and_no_other(tmp_path):
    pub = StandInPublisher()
    c = client(tmp_path, pub)
    assert c.post("/articles", json=GOOD, headers=auth("first")).status_code == 202
    assert c.post("/articles", json=GOOD, headers=auth("second")).status_code == 202
    for headers in ({}, auth("third"), auth(""), {"Authorization": "Basic first"}):
        r = c.post("/articles", json=GOOD, headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer", headers
    assert len(pub.published) == 2


@pytest.mark.parametrize("body, ctype, status, slug", [
    (b"x", "text/plain", 415, "unsupported-media-type"),
    (b"\xff\xfe", "application/json", 400, "not-utf8"),
    (b"{", "application/json", 400, "invalid-json"),
    (b"[]", "application/json", 400, "empty"),
    (b"\n\n", "application/x-ndjson", 400, "empty"),
    (b"[" + b" " * 5000 + b"]", "application/json", 413, "too-large"),
])
def test_bad_bodies_get_their_status_as_problem_details(tmp_path, body, ctype, status, slug):
    pub = StandInPublisher()
    r = client(tmp_path, pub).post("/articles", content=body, headers={**auth(), "Content-Type": ctype})
    assert r.status_code == status and r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"].endswith("/" + slug) and r.json()["status"] == status
    assert pub.published == []


def test_a_batch_is_accepted_whole_or_rejected_whole_with_field_paths(tmp_path):
    pub = StandInPublisher()
    c = client(tmp_path, pub)
    bad = [GOOD, {**GOOD, "url": "ftp://x"}, {**GOOD, "published_at": "soon"}]
    r = c.post("/articles", json=bad, headers=auth())
    assert r.status_code == 422 and pub.published == []
    assert [f["index"] for f in r.json()["failed"]] == [1, 2]
    assert {e["path"] for e in r.json()["errors"]} == {"1.url", "2.published_at"}
    ndjson = "\n".join(json.dumps({**GOOD, "url": f"https://e.example/{i}"}) for i in range(3))
    r = c.post("/articles", content=ndjson, headers={**auth(), "Content-Type": "application/x-ndjson"})
    assert r.status_code == 202 and len(r.json()["accepted"]) == 3 and len(pub.published) == 3


def test_read_only_and_broker_down_answer_503_with_retry_after(tmp_path):
    r = client(tmp_path, None).post("/articles", json=GOOD, headers=auth())
    assert r.status_code == 503 and r.headers["retry-after"] == "30"
    r = client(tmp_path, StandInPublisher(fail=True)).post("/articles", json=GOOD, headers=auth())
    assert r.status_code == 503 and r.headers["retry-after"] == "5"


def metric(text, name):
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    return float(match.group(1)) if match else None


def test_metrics_count_exactly_what_was_accepted_and_rejected(tmp_path):
    c = client(tmp_path, StandInPublisher(), lag=lambda: {"newsline.articles.raw": 3})
    c.post("/articles", json=[GOOD, {**GOOD, "url": "https://e.example/b"}], headers=auth())
    c.post("/articles", json=GOOD, headers=auth())  # the same URL again: a duplicate
    c.post("/articles", json={**GOOD, "url": "x"}, headers=auth())
    c.post("/articles", json=GOOD, headers=auth("nope"))
    c.post("/articles", json=GOOD, headers=auth("nope"))
    text = c.get("/metrics").text
    assert metric(text, "newsline_articles_accepted_total") == 2
    assert metric(text, "newsline_articles_duplicates_total") == 1
    assert metric(text, 'newsline_articles_rejected_total{reason="invalid"}') == 1
    assert metric(text, 'newsline_articles_rejected_total{reason="unauthorised"}') == 2
    assert metric(text, 'newsline_consumer_lag{topic="newsline.articles.raw"}') == 3


@pytest.mark.parametrize("query", ["until=0", "since=2023-9-4", "until=yesterday",
                                   "as_of=0", "as_of=2023-09-05T00:00:00"])
def test_timeline_refuses_what_is_not_a_day_or_an_instant_with_offset(tmp_path, query):
    assert client(tmp_path).get(f"/timeline?{query}").status_code == 422


def test_timeline_and_articles_without_a_database_yet(tmp_path):
    c = client(tmp_path)
    assert c.get("/timeline?until=2023-09-04&as_of=2023-09-05T00:00:00Z").json() == []
    r = c.get("/articles/unknown")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]


def test_the_docs_page_loads_offline(tmp_path):
    c = client(tmp_path)
    page = c.get("/docs")
    assert page.status_code == 200
    links = Links()
    links.feed(page.text)
    quoted = re.findall(r"""["'](https?:)?//[^"']+["']""", page.text)  # URLs in inline scripts too
    assert links.urls and not quoted, quoted
    for url in links.urls + re.findall(r"""url: ?["']([^"']+)["']""", page.text):
        assert not re.match(r"^(https?:)?//", url), url
        assert c.get(url).status_code == 200, url
