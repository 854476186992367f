"""Canonical URLs, article keys and version ids."""

from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.identity import article_key, canonical_url, version_id

BASE = "https://example.com/monde/article-1"


@pytest.mark.parametrize(
    "variant",
    [
        "https://example.com/monde/article-1",
        "HTTPS://WWW.EXAMPLE.COM/monde/article-1",
        "https://www.example.com:443/monde/article-1/",
        "https://example.com/monde/article-1#comments",
        "https://example.com/monde/article-1?utm_source=tw&utm_medium=social",
        "https://example.com/monde/article-1?fbclid=abc&gclid=1&mc_cid=x&mc_eid=y",
        "https://example.com/monde/article-1?xtor=RSS-1&at_medium=email&ref=home&cmpid=9",
        "https://example.com/amp/monde/article-1",
        "https://example.com/monde/article-1/amp",
        "https://example.com/monde/article-1.amp",
        "https://amp.example.com/monde/article-1",
        "https://example.com/monde/article-1?amp=1",
        "https://example.com/monde/article-1?outputType=amp",
    ],
)
def test_variants_collapse_to_one_canonical_url(variant):
    assert canonical_url(variant) == BASE
    assert article_key(variant) == article_key(BASE)


def test_remaining_query_is_sorted_and_kept():
    url = "http://Example.com:8080/a/?b=2&a=1&utm_campaign=z"
    assert canonical_url(url) == "http://example.com:8080/a?a=1&b=2"


def test_root_keeps_its_slash_and_amp_html_suffix_goes():
    assert canonical_url("https://www.example.com") == "https://example.com/"
    assert canonical_url("https://example.com/a/story.amp.html") == "https://example.com/a/story.html"


def test_words_containing_amp_are_not_amp_markers():
    assert canonical_url("https://example.com/camp/ampoule") == "https://example.com/camp/ampoule"


@pytest.mark.parametrize("url", ["ftp://example.com/a", "mailto:x@example.com", "example.com/a", ""])
def test_non_http_urls_are_rejected(url):
    with pytest.raises(ValueError):
        canonical_url(url)


def test_dev_set_versions_share_the_key():
    url = "https://wire.example.com/world/africa/niger-junta-closes-airspace-ecowas-deadline-expires-2023-08-07/"
    assert article_key(url) == article_key(url.rstrip("/") + "?utm_source=rss")
    assert len(article_key(url)) == 16


def test_version_id_is_the_same_instant_in_any_zone():
    paris = timezone(timedelta(hours=2))
    a = version_id(BASE, datetime(2023, 8, 7, 18, 30, tzinfo=paris))
    b = version_id(BASE, datetime(2023, 8, 7, 16, 30, tzinfo=UTC))
    assert a == b
    assert a != version_id(BASE, datetime(2023, 8, 7, 4, 0, tzinfo=UTC))


def test_version_id_rejects_naive_datetimes():
    with pytest.raises(ValueError):
        version_id(BASE, datetime(2023, 8, 7, 16, 30))


@given(st.sampled_from(["utm_source", "fbclid", "xtor", "utm_x"]), st.text(min_size=0, max_size=8))
def test_tracking_params_never_change_the_key(name, value):
    assert article_key(f"{BASE}?{name}={quote(value)}") == article_key(BASE)


@given(st.from_regex(r"https://(www\.)?[a-z]{1,8}\.(com|fr)(/[a-z0-9-]{1,8}){0,3}/?", fullmatch=True))
def test_canonical_url_is_idempotent(url):
    once = canonical_url(url)
    assert canonical_url(once) == once
