"""The timeline's JSON for the web page, on a database built in-process from the dev set (no broker)."""

import json

import pytest
from fastapi.testclient import TestClient

from ingest.api import create_app
from processors.store.devdb import build_database, read_articles
from readmodel.read import read_timeline
from readmodel.reports import expression_span, read_arrivals, read_reports
from schemas.identity import canonical_url
from tests.conftest import EXAMPLES, SHARED


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("web") / "newsline.duckdb"
    return build_database(path, read_articles([EXAMPLES / "niger-2023.jsonl"]))


@pytest.fixture(scope="module")
def client(db):
    with TestClient(create_app(None, [], db)) as c:
        yield c


def test_every_source_has_its_mentions_with_the_expression_located(db):
    events = read_timeline(db)
    reports = read_reports(db, events)
    for event in events:
        articles = reports[event["event_id"]]
        assert sorted(a["canonical_url"] for a in articles) == sorted(event["sources"])
        assert sum(len(a["mentions"]) for a in articles) == event["mentions"]
        for article in articles:
            for m in article["mentions"]:
                assert m["sentence"][m["expression_start"]:m["expression_end"]] == m["expression"]


def test_the_syndicated_copy_is_inside_its_original_not_a_source(db):
    gold = json.loads((SHARED / "examples" / "niger-2023.gold.json").read_text())
    copy_url = canonical_url(gold["articles"][3])
    events = read_timeline(db)
    reports = read_reports(db, events)
    holders = [a for rs in reports.values() for a in rs
               if any(canonical_url(c["url"]) == copy_url for c in a["copies"])]
    assert holders and all(a["canonical_url"] != copy_url for a in holders)
    assert not any(copy_url in e["sources"] for e in events)


def test_as_of_each_arrival_shows_only_what_was_known_then(db):
    arrivals = read_arrivals(db)
    assert len(arrivals) == 8  # one instant per article of the dev set (devdb spaces them)
    sizes = []
    for step in arrivals:
        events = read_timeline(db, as_of=step["known_at"])
        reports = read_reports(db, events, as_of=step["known_at"])
        known = {a["known_at"] for rs in reports.values() for a in rs}
        assert all(k <= step["known_at"] for k in known)
        assert sorted(reports) == sorted(e["event_id"] for e in events)
        sizes.append(len(events))
    assert sizes[0] < sizes[-1] == len(read_timeline(db))


def test_expression_span_falls_back_to_the_first_occurrence():
    assert expression_span("Le 30 août dernier", "30 août", 3) == (3, 10)
    assert expression_span("Le 30 août dernier", "30 août", 0) == (3, 10)
    assert expression_span("Le 30 août dernier", "mi-août", 3) is None


def test_language_and_min_sources_filters(db):
    everything = read_timeline(db)
    english = read_timeline(db, language="EN")
    corroborated = read_timeline(db, min_sources=2)
    assert english and all("en" in e["languages"] for e in english) and len(english) < len(everything)
    assert corroborated == [e for e in everything if len(e["sources"]) >= 2]


def test_timeline_detail_and_validators(client, db):
    r = client.get("/timeline", params={"detail": "true", "min_sources": 2})
    assert r.status_code == 200 and r.headers["etag"] and r.headers["cache-control"] == "no-cache"
    events = r.json()
    assert events and all(e["source_count"] == len(e["articles"]) >= 2 for e in events)
    again = client.get("/timeline", params={"detail": "true", "min_sources": 2},
                       headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    other = client.get("/timeline", params={"detail": "true"},
                       headers={"If-None-Match": r.headers["etag"]})
    assert other.status_code == 200  # another query, another validator
    for bad in ({"min_sources": 0}, {"min_sources": 10**30}, {"until": "0"},
                {"since": "2023-8-1"}, {"as_of": "2023-09-05T00:00:00"}, {"as_of": "1693872000"}):
        assert client.get("/timeline", params=bad).status_code == 422, bad
    assert client.get("/timeline", params={"as_of": "2023-09-05T00:00:00Z",
                                           "since": "2023-08-01"}).status_code == 200
    assert client.get("/timeline/arrivals").json() == read_arrivals(db)


def test_page_and_assets_carry_a_strict_policy(client):
    for path in ("/", "/timeline/view", "/web/timeline.js", "/web/timeline.css"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert "unsafe" not in r.headers["content-security-policy"]
    assert client.get("/web/timeline.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/web/app.py").status_code == 404
    js = client.get("/web/timeline.js").text
    assert "innerHTML" not in js.replace("never innerHTML", "") and "eval(" not in js
