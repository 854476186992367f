"""The message contracts: envelope validation, the codec's rejections, exported JSON Schemas."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.articles import ARTICLE_SUBMITTED, Article
from schemas.codec import Rejection, decode, encode, envelope
from schemas.export import JSON_DIR, schema_documents
from schemas.topics import TOPICS

GOOD = {"url": "https://example.com/a", "published_at": "2023-09-04T19:40:00+02:00",
        "text": "Lundi 4 septembre, la Maison-Blanche a indiqué..."}


def raw(data, **attrs):
    doc = {"specversion": "1.0", "id": "x1", "source": "test", "type": ARTICLE_SUBMITTED,
           "schemaversion": 1, "time": "2023-09-04T18:00:00Z", "data": data, **attrs}
    return json.dumps(doc).encode()


def test_round_trip():
    env = envelope(Article.model_validate(GOOD), source="test")
    back = decode(encode(env), expected=ARTICLE_SUBMITTED)
    assert not isinstance(back, Rejection)
    assert back.data == env.data and back.type == ARTICLE_SUBMITTED


@pytest.mark.parametrize("value, path", [
    (b"\x00\xff\xfe random", "(root)"),
    (b"{}", "type"),
    (b"[1, 2]", "(root)"),
    (raw({**GOOD, "published_at": None}), "data.published_at"),
    (raw({**GOOD, "url": "javascript:alert(1)"}), "data.url"),
    (raw({**GOOD, "published_at": "2023-09-04T19:40:00"}), "data.published_at"),
    (raw({"url": GOOD["url"], "published_at": GOOD["published_at"]}), "data"),
    (raw({**GOOD, "published_at": "2999-01-01T00:00:00Z"}), "data"),
    (raw(GOOD, schemaversion=7), "schemaversion"),
    (raw({**GOOD, "authors": "not a list"}), "data.authors"),
])
def test_rejections_name_the_field(value, path):
    result = decode(value, expected=ARTICLE_SUBMITTED)
    assert isinstance(result, Rejection)
    assert any(e["path"] == path for e in result.errors), result.errors
    assert result.reason


def test_null_value_is_rejected_not_raised():
    assert isinstance(decode(None), Rejection)


@given(st.binary(max_size=300))
def test_any_bytes_decode_or_reject(value):
    result = decode(value, expected=ARTICLE_SUBMITTED)  # must return, never raise
    if isinstance(result, Rejection):
        assert result.reason and result.errors, result
        assert all(e["path"] and e["message"] for e in result.errors), result.errors
    else:  # an envelope: only a valid submitted article gets here
        assert result.type == ARTICLE_SUBMITTED and isinstance(result.data, Article)


@given(st.dictionaries(st.sampled_from(list(GOOD) + ["title", "language", "updated_at"]),
                       st.one_of(st.none(), st.text(max_size=40), st.integers())))
def test_any_article_dict_decodes_or_rejects(data):
    result = decode(raw(data), expected=ARTICLE_SUBMITTED)
    assert isinstance(result, Rejection) or result.data.url


def test_exported_json_schemas_are_current():
    docs = schema_documents()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in JSON_DIR.glob("*.json")}
    assert on_disk == docs, "run `make schemas` (newsline export-schemas) and commit the files"


def test_topics_declared_once_with_distinct_names():
    names = [t.name for t in TOPICS.values()]
    assert len(names) == len(set(names))
    assert {"raw", "dead_letter", "analysed", "changelog"} <= set(TOPICS)


def test_envelope_classes_outlive_their_envelopes():
    """`envelope` and `decode` reuse one class per data model: pydantic keeps its parametrised
    classes weakly, and rebuilding one cost about 3 ms per change enveloped."""
    import gc
    import weakref

    from schemas.codec import envelope_model
    from schemas.timeline import EventDissolved

    cls = weakref.ref(envelope_model(EventDissolved))
    gc.collect()
    assert cls() is not None and envelope_model(EventDissolved) is cls()
    art = Article.model_validate({"url": "https://example.org/a", "text": "Hello.",
                                  "published_at": "2023-09-04T10:00:00+00:00"})
    raw = encode(envelope(art, source="test"))
    gc.collect()
    env = decode(raw, expected=ARTICLE_SUBMITTED)
    assert type(env) is envelope_model(Article) and encode(env) == raw
