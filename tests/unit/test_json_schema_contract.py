"""The exported JSON Schema of submitted articles, checked by a standard validator (not pydantic).

What a non-Python producer validates against must agree with the server: whatever the schema
accepts, the server accepts (both the HTTP API and the raw topic's decoder), and every bad case
is refused by both. The only exceptions are the rules the schema's description names.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from ingest.api import create_app
from schemas.articles import ARTICLE_SUBMITTED, Article
from schemas.codec import Rejection, decode
from schemas.export import JSON_DIR
from tests.conftest import ROOT

SCHEMA = json.loads((JSON_DIR / "article.submitted.v1.schema.json").read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
HAND_WRITTEN = json.loads((ROOT / "tests" / "data" / "kafka-producer-envelope.json").read_text())
GOOD = {"url": "https://example.com/a", "published_at": "2023-09-04T19:40:00+02:00", "text": "Lundi."}
TOKEN = "contract-token"


def wrap(data: object) -> dict:
    return {**HAND_WRITTEN, "data": data}


def schema_accepts(data: object) -> bool:
    return VALIDATOR.is_valid(wrap(data))


def server_accepts(data: object) -> bool:
    """The raw topic's decoder and the API's model agree (one is built on the other)."""
    on_kafka = not isinstance(decode(json.dumps(wrap(data)).encode(), ARTICLE_SUBMITTED), Rejection)
    try:
        Article.model_validate(data)
        on_http = True
    except ValueError:
        on_http = False
    assert on_kafka == on_http, data
    return on_http


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    # No publisher: a valid body gets 503 (read-only) after validation, an invalid one 422.
    app = create_app(None, [TOKEN], tmp_path_factory.mktemp("contract") / "n.duckdb")
    with TestClient(app) as client:
        yield client


def test_the_schema_is_draft_2020_12_and_asserts_formats():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(SCHEMA)
    # Without a format checker (or without rfc3339-validator installed) this would pass silently.
    assert not VALIDATOR.is_valid({**HAND_WRITTEN, "time": "last tuesday"})
    assert not VALIDATOR.is_valid(wrap({**GOOD, "published_at": "2023-02-29T10:00:00Z"}))


def test_the_hand_written_envelope_is_valid_for_the_schema_and_the_server():
    VALIDATOR.validate(HAND_WRITTEN)
    assert not isinstance(decode(json.dumps(HAND_WRITTEN).encode(), ARTICLE_SUBMITTED), Rejection)


BAD = [
    pytest.param({**GOOD, "url": "javascript:alert(1)"}, id="javascript-url"),
    pytest.param({**GOOD, "url": "ftp://example.com/a"}, id="ftp-url"),
    pytest.param({**GOOD, "url": "https:///no-host"}, id="url-without-host"),
    pytest.param({**GOOD, "url": "https://exa mple.com/a"}, id="url-with-space"),
    pytest.param({**GOOD, "url": "example.com/a"}, id="relative-url"),
    pytest.param({"url": GOOD["url"], "published_at": GOOD["published_at"]}, id="no-text-no-html"),
    pytest.param({**GOOD, "text": "   "}, id="blank-text"),
    pytest.param({**GOOD, "text": None, "html": "\n\t"}, id="blank-html"),
    pytest.param({**GOOD, "text": None}, id="text-null-no-html"),
    pytest.param({**GOOD, "published_at": "last tuesday"}, id="published-at-words"),
    pytest.param({**GOOD, "published_at": "2023-09-04T19:40:00"}, id="published-at-naive"),
    pytest.param({**GOOD, "published_at": "2023-09-04"}, id="published-at-date-only"),
    pytest.param({**GOOD, "published_at": "2023-13-04T19:40:00Z"}, id="published-at-month-13"),
    pytest.param({**GOOD, "published_at": 1693850400}, id="published-at-number"),
    pytest.param({**GOOD, "published_at": "1693850400"}, id="published-at-digits"),
    pytest.param({**GOOD, "updated_at": "soon"}, id="updated-at-words"),
    pytest.param({**GOOD, "language": "French"}, id="language-name"),
    pytest.param({**GOOD, "authors": "A. Writer"}, id="authors-not-a-list"),
    pytest.param({**GOOD, "colour": "red"}, id="unknown-field"),
    pytest.param({k: v for k, v in GOOD.items() if k != "url"}, id="no-url"),
    pytest.param({k: v for k, v in GOOD.items() if k != "published_at"}, id="no-published-at"),
]


@pytest.mark.parametrize("data", BAD)
def test_each_bad_case_is_refused_by_the_schema_and_the_api(api, data):
    assert not schema_accepts(data)
    assert not server_accepts(data)
    r = api.post("/articles", json=data, headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 422, r.text


@pytest.mark.parametrize("data", [
    pytest.param(GOOD, id="minimal"),
    pytest.param(HAND_WRITTEN["data"], id="hand-written"),
    pytest.param({**GOOD, "text": None, "html": "<p>Lundi.</p>"}, id="html-only"),
    pytest.param({**GOOD, "url": "HTTP://Example.com", "published_at": "2023-09-04t17:40:00.5z"},
                 id="upper-case-scheme-lower-case-t-z"),
    pytest.param({**GOOD, "updated_at": "2023-09-05T00:00:00-05:00", "authors": ["A", "B"],
                  "language": "fr", "title": None, "source": "RTL", "idempotency_key": "k1"},
                 id="every-field"),
])
def test_what_the_schema_accepts_the_api_accepts(api, data):
    assert schema_accepts(data)
    assert server_accepts(data)
    r = api.post("/articles", json=data, headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 503 and r.json()["title"] == "Read-only", r.text  # validated, then read-only


def test_the_server_side_rules_are_named_in_the_schema():
    description = SCHEMA["$defs"]["Article"]["description"]
    assert "future" in description and "`updated_at` not before `published_at`" in description
    future = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    assert schema_accepts({**GOOD, "published_at": future})  # the schema cannot know the time
    assert not server_accepts({**GOOD, "published_at": future})


ALPHABET = st.sampled_from(list("aZ09:/.?#-_ +@[]\t\n\x1c\x85\u00a0\ufeffTtZz"))
fragments = st.text(ALPHABET, max_size=12)
urls = st.one_of(
    st.builds(lambda s, h, p: f"{s}://{h}{p}", st.sampled_from(["http", "HTTPS", "ftp", "javascript", ""]),
              fragments, fragments),
    fragments)
instants = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(2025, 1, 1),
                 timezones=st.sampled_from([UTC, None])).map(lambda d: d.isoformat()),
    st.builds(lambda y, m, d, t, z: f"{y:04d}-{m:02d}-{d:02d}{t}{z}",
              st.integers(0, 2030), st.integers(0, 13), st.integers(0, 32),
              st.sampled_from(["T10:00:00", "t23:59:60", "T24:00:00", " 10:00:00", "T10:00:00.1234567",
                               "T10:00"]),
              st.sampled_from(["Z", "z", "+02:00", "-00:00", "+24:00", "+0200", ""])),
    st.integers(-10**10, 10**10).map(str),
    fragments)
maybe_text = st.one_of(st.none(), fragments, st.just("Lundi."))
articles = st.fixed_dictionaries({}, optional={
    "url": urls, "published_at": instants, "updated_at": st.one_of(st.none(), instants),
    "text": maybe_text, "html": maybe_text, "language": st.one_of(st.none(), fragments, st.just("fr")),
    "title": st.one_of(st.none(), fragments), "authors": st.lists(fragments, max_size=2),
})


@given(articles)
def test_on_generated_articles_the_schema_never_accepts_what_the_server_refuses(data):
    if schema_accepts(data):
        assert server_accepts(data), data
