"""Upcasting: a record written at an older schema version is read at today's, on every read path.

The later-version models here exist only in these tests: they prove the mechanism on any
message type. The first real change (event changes v1 -> v2: deltas instead of whole states) is
tested in test_event_deltas.py.
"""

import json

import pytest

from processors.store.project import fold
from processors.store.sink import decode_changes
from schemas import codec
from schemas.articles import ARTICLE_ANALYSED, ArticleAnalysed
from schemas.codec import Rejection, decode, encode, envelope
from schemas.timeline import EventCreated
from tests.unit.test_store import changelog_records
from tests.unit.test_timeline import ARTICLES

CREATED = "org.newsline.event.created"


class ArticleAnalysedV2(ArticleAnalysed):
    """v2 (test only): the number of mentions is carried, counted by the v1 -> v2 upcaster."""

    mention_total: int


class ArticleAnalysedV3(ArticleAnalysedV2):
    """v3 (test only): the language is renamed."""

    lang: str
    language: str | None = None  # type: ignore[assignment]


class EventCreatedV3(EventCreated):
    """v3 (test only) of a change: it says which resolver made it."""

    resolver: str


def v1_to_v2(data):
    return {**data, "mention_total": len(data["mentions"])}


def v2_to_v3(data):
    data = dict(data)
    data["lang"] = data.pop("language")
    return data


@pytest.fixture
def v2(monkeypatch):
    """ArticleAnalysed at version 2 and EventCreated at version 3, with upcasters from the
    version before."""
    monkeypatch.setitem(codec.MESSAGE_TYPES, ARTICLE_ANALYSED, (2, ArticleAnalysedV2))
    monkeypatch.setitem(codec.MESSAGE_TYPES, CREATED, (3, EventCreatedV3))
    monkeypatch.setitem(codec.UPCASTERS, (ARTICLE_ANALYSED, 1), v1_to_v2)
    monkeypatch.setitem(codec.UPCASTERS, (CREATED, 2), lambda d: {**d, "resolver": "v2"})


# Written by today's code (articles at schemaversion 1, event changes at 2), before any test
# raises a version.
V1_ARTICLE = encode(envelope(ARTICLES[0], source="test"))
V2_CHANGES = changelog_records()


def v1_article() -> bytes:
    """An analysed article as today's code writes it."""
    assert json.loads(V1_ARTICLE)["schemaversion"] == 1
    return V1_ARTICLE


def test_the_resolver_reads_a_v1_article_as_v2(v2):
    env = decode(v1_article(), expected=ARTICLE_ANALYSED)  # what processors/app.py calls
    assert not isinstance(env, Rejection), env
    assert env.schemaversion == 2 and isinstance(env.data, ArticleAnalysedV2)
    assert env.data.mention_total == len(ARTICLES[0].mentions) > 0
    assert env.data.mentions == ARTICLES[0].mentions


def test_a_v2_record_is_read_as_it_is(v2):
    doc = json.loads(v1_article())
    doc["schemaversion"] = 2
    doc["data"]["mention_total"] = 99
    env = decode(json.dumps(doc).encode())
    assert not isinstance(env, Rejection) and env.data.mention_total == 99


def test_the_sink_and_replay_read_today_s_changes_at_a_later_version(v2):
    records = V2_CHANGES
    assert {json.loads(v)["schemaversion"] for _, v in records if CREATED in v.decode()} == {2}
    changes = decode_changes(records)  # the sink's and `newsline replay`'s decoding
    assert len(changes) == len(records)
    created = [env for _, env in changes if env.type == CREATED]
    assert created and all(isinstance(e.data, EventCreatedV3) and e.data.resolver == "v2" and
                           e.schemaversion == 3 for e in created)
    batch = fold(changes)  # and the projection takes them as before
    assert set(batch.events) == {e.data.event_id for e in created}


def test_upcasters_chain_from_any_older_version(monkeypatch):
    monkeypatch.setitem(codec.MESSAGE_TYPES, ARTICLE_ANALYSED, (3, ArticleAnalysedV3))
    monkeypatch.setitem(codec.UPCASTERS, (ARTICLE_ANALYSED, 1), v1_to_v2)
    monkeypatch.setitem(codec.UPCASTERS, (ARTICLE_ANALYSED, 2), v2_to_v3)
    env = decode(v1_article())
    assert not isinstance(env, Rejection), env
    assert env.schemaversion == 3 and env.data.lang == "en" and env.data.language is None
    assert env.data.mention_total == len(ARTICLES[0].mentions)


def test_what_cannot_be_upcast_is_rejected_not_raised(v2, monkeypatch):
    doc = json.loads(v1_article())
    for version, expected in ((3, "unsupported schemaversion 3"), (0, "unsupported"),
                              ("1", "unsupported"), (None, "unsupported")):
        rejected = decode(json.dumps({**doc, "schemaversion": version}).encode())
        assert isinstance(rejected, Rejection) and expected in rejected.reason
    monkeypatch.delitem(codec.UPCASTERS, (ARTICLE_ANALYSED, 1))
    rejected = decode(v1_article())
    assert isinstance(rejected, Rejection) and "no upcaster" in rejected.reason
    monkeypatch.setitem(codec.UPCASTERS, (ARTICLE_ANALYSED, 1), lambda d: d["missing"])
    rejected = decode(v1_article())
    assert isinstance(rejected, Rejection) and "upcasting" in rejected.reason
    bad = decode(json.dumps({**doc, "data": []}).encode())
    assert isinstance(bad, Rejection)


def test_without_upcasters_today_s_records_decode_unchanged():
    env = decode(v1_article(), expected=ARTICLE_ANALYSED)
    assert not isinstance(env, Rejection) and env.data == ARTICLES[0] and env.schemaversion == 1
