"""What `newsline dlq --replay` posts: the letter's own article once today's code accepts it, or
the corrected one the user supplies; never bytes that would be dead-lettered again."""

import base64
import json

from newsline.cli import _parser
from newsline.health import replacement_article
from schemas.articles import ARTICLE_SUBMITTED
from schemas.codec import Rejection

ARTICLE = {"url": "https://e.example/late", "published_at": "2023-09-04T10:00:00Z",
           "text": "Le 30 août dernier, rien."}


def letter(envelope: dict) -> dict:
    return {"id": "dl-1", "key_b64": None,
            "value_b64": base64.b64encode(json.dumps(envelope).encode()).decode()}


def env(data: dict, **attrs) -> dict:
    return {"specversion": "1.0", "id": "e1", "source": "test", "type": ARTICLE_SUBMITTED,
            "schemaversion": 1, "time": "2023-09-04T10:00:00Z", "data": data, **attrs}


def test_a_letter_that_today_s_code_accepts_is_replayed_as_its_article():
    assert replacement_article(letter(env(ARTICLE))) == ARTICLE


def test_a_letter_that_still_fails_is_refused_with_the_reason():
    bad = letter(env({**ARTICLE, "published_at": "2023-09-04 10:00"}))
    result = replacement_article(bad)
    assert isinstance(result, Rejection) and result.errors[0]["path"] == "data.published_at"
    assert isinstance(replacement_article(letter(env(ARTICLE, schemaversion=99))), Rejection)


def test_corrected_content_replaces_the_letter_s_article_or_envelope():
    bad = letter(env(ARTICLE, schemaversion=99))
    fixed = {**ARTICLE, "title": "Fixed"}
    assert replacement_article(bad, fixed) == fixed
    assert replacement_article(bad, env(fixed)) == fixed
    still_bad = replacement_article(bad, {**ARTICLE, "url": "javascript:alert(1)"})
    assert isinstance(still_bad, Rejection) and still_bad.errors[0]["path"] == "url"
    assert isinstance(replacement_article(bad, env(ARTICLE, schemaversion=99)), Rejection)


def test_the_cli_takes_a_corrected_file_and_an_api():
    args = _parser().parse_args(["dlq", "--replay", "dl-1", "--with", "fixed.json", "--api",
                                 "http://h:1", "--token", "t"])
    assert (args.replay, str(args.with_file), args.api, args.token) == ("dl-1", "fixed.json",
                                                                        "http://h:1", "t")
