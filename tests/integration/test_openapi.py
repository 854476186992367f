"""The OpenAPI document says what the API does: schemathesis checks every operation against it.

Every check of schemathesis runs (status codes and content types documented, responses matching
their schemas, schema-valid bodies accepted, schema-invalid ones rejected, auth enforced where
declared, no 5xx) on a bounded number of generated requests per operation with a fixed seed, so
the run is the same each time. The API is the real one, publishing to an embedded broker, and it
reads a DuckDB file built from the dev set.
"""

from datetime import UTC, datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from hypothesis.errors import Unsatisfiable
from pydantic import TypeAdapter, ValidationError
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks

from ingest.api import create_app
from ingest.publisher import Publisher
from ingest.seen import SeenIndex
from newsline.broker import EmbeddedBroker
from newsline.kafka_admin import ensure_topics
from processors.store.devdb import build_database, read_articles
from schemas.envelope import AwareDatetime
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.integration
TOKEN = "openapi-token"
EXAMPLES_PER_OPERATION = 40
SEED = 20261206


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    data = tmp_path_factory.mktemp("openapi")
    duckdb_path = build_database(data / "newsline.duckdb", read_articles([EXAMPLES / "niger-2023.jsonl"]))
    broker = EmbeddedBroker(data_dir=data / "broker").start()
    ensure_topics(broker.bootstrap_servers)
    publisher = Publisher(broker.bootstrap_servers, SeenIndex(data / "seen.jsonl"), timeout_s=10)
    app = create_app(publisher, [TOKEN], duckdb_path, max_body_bytes=64 * 1024)
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    publisher.close()
    broker.stop()


PAST = "2023-09-04T10:00:00Z"
INSTANT = TypeAdapter(AwareDatetime)


def within_server_side_rules(article: object) -> None:
    """Bring a generated article inside the rules the document names as server-side only.

    JSON Schema cannot compare an instant with the clock or with another field, so a
    schema-valid article may still be refused for those (the Article description says so).
    """
    if not isinstance(article, dict):
        return
    try:
        published = INSTANT.validate_python(article.get("published_at"))
        if published > datetime.now(UTC):
            article["published_at"], published = PAST, INSTANT.validate_python(PAST)
        updated = article.get("updated_at")
        if updated is not None and not (published <= INSTANT.validate_python(updated) <= datetime.now(UTC)):
            article["updated_at"] = None
    except ValidationError:
        return  # not a valid instant at all: left for the API to refuse


def all_checks():
    """Every built-in check, as `schemathesis run --checks all`."""
    load_all_checks()
    return list(CHECKS.get_all())


def operations(api_schema):
    return [result.ok() for result in api_schema.get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_the_api_does_what_its_openapi_document_says(api_schema, mode):
    ops = operations(api_schema)
    assert {op.label for op in ops} >= {"POST /articles", "GET /articles/{article_id}", "GET /timeline"}
    failures, checked, checks = [], [], all_checks()
    assert len(checks) >= 10, checks
    for op in ops:
        @seed(SEED)
        @settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy(generation_mode=mode))
        def check(case):
            if mode == GenerationMode.POSITIVE:
                for article in case.body if isinstance(case.body, list) else [case.body]:
                    within_server_side_rules(article)
            case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, checks=checks)

        try:
            check()
            checked.append(op.label)
        except Unsatisfiable:  # nothing to make invalid (no parameter, no body): nothing to check
            assert mode == GenerationMode.NEGATIVE, op.label
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then fail
            failures.append(f"{op.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    assert {"POST /articles", "GET /timeline"} <= set(checked), checked
