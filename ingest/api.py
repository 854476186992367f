"""The ingest HTTP API: POST articles (one, a JSON array, or NDJSON), read the timeline, health.

Bodies are read and validated by hand rather than by FastAPI's model binding, so that every bad
input gets the precise status the contract promises (400, 413, 415, 422) with field paths.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi_offline import FastAPIOffline
from pydantic import BeforeValidator, ValidationError

from ingest.problems import problem
from ingest.publisher import BrokerUnavailable, Publisher
from ingest.web.routes import timeline_router
from readmodel.metrics import prometheus_lines, read_sink_metrics
from readmodel.read import read_article
from schemas.articles import Article
from schemas.codec import describe_errors

log = logging.getLogger(__name__)
JSON_TYPES = ("application/json",)
NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-seq")


class _TooLarge(Exception):
    pass


def _iso_day(value: object) -> object:
    # pydantic alone would read `until=0` as 1970-01-01 (a Unix time): the API says YYYY-MM-DD.
    if isinstance(value, str) and not (len(value) == 10 and value[4] == value[7] == "-"):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


IsoDay = Annotated[date, BeforeValidator(_iso_day)]


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_items(body: str, ndjson: bool) -> tuple[list[Any], bool]:
    """JSON values of the body, and whether it was a batch (array or NDJSON)."""
    if ndjson:
        return [json.loads(line) for line in body.splitlines() if line.strip()], True
    doc = json.loads(body)
    return (doc, True) if isinstance(doc, list) else ([doc], False)


def create_app(publisher: Publisher | None, tokens: list[str], duckdb_path: Path,
               max_body_bytes: int = 10 * 1024 * 1024,
               lag: Callable[[], dict[str, int]] | None = None) -> FastAPI:
    """Build the API around a publisher (None: read-only) and the analysts' DuckDB file.

    `lag`, when given, returns consumer lag per topic for GET /metrics.
    """
    # FastAPIOffline serves the /docs and /redoc assets from its package, not a CDN: the docs
    # work on machines without internet access (Swagger UI 5, which reads OpenAPI 3.1).
    app = FastAPIOffline(title="Newsline ingest API", version="1")
    metrics: Counter[str] = Counter()

    def authorised(request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return False
        return any(hmac.compare_digest(token.encode(), t.encode()) for t in tokens)

    def reject(reason: str, response: JSONResponse) -> JSONResponse:
        metrics[f'rejected{{reason="{reason}"}}'] += 1
        return response

    article_schema = Article.model_json_schema(ref_template="#/components/schemas/{model}")
    body_doc = {"security": [{"bearer": []}], "requestBody": {"required": True, "content": {
        "application/json": {"schema": {"oneOf": [
            article_schema, {"type": "array", "items": article_schema, "minItems": 1}]}},
        "application/x-ndjson": {"schema": {"type": "string",
                                            "description": "One Article JSON object per line"}},
    }}, "responses": {
        "202": {"description": "Durable: acknowledged by Kafka (acks=all)"},
        "400": {"description": "Invalid JSON, not UTF-8, or no article (problem+json)"},
        "401": {"description": "Missing or wrong bearer token"},
        "413": {"description": "Body over the configured limit"},
        "415": {"description": "Not application/json or application/x-ndjson"},
        "422": {"description": "Invalid articles: every error with its field path; none stored"},
        "503": {"description": "Broker unavailable; retry after Retry-After seconds"},
    }}

    @app.post("/articles", status_code=202, summary="Submit one article, a JSON array, or NDJSON",
              openapi_extra=body_doc)
    async def post_articles(request: Request) -> JSONResponse:
        if not authorised(request):
            return reject("unauthorised", problem(
                401, "Unauthorised", "A valid bearer token is required to post articles.",
                slug="unauthorised", headers={"WWW-Authenticate": "Bearer"}))
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype not in JSON_TYPES + NDJSON_TYPES:
            return reject("content_type", problem(
                415, "Unsupported media type",
                f"Content-Type {ctype or '(none)'!r}: use application/json or application/x-ndjson.",
                slug="unsupported-media-type"))
        try:
            raw = await _read_capped(request, max_body_bytes)
        except _TooLarge:
            return reject("too_large", problem(
                413, "Body too large", f"The body exceeds {max_body_bytes} bytes.",
                slug="too-large"))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return reject("not_utf8", problem(400, "Not UTF-8", f"The body is not UTF-8: {exc}",
                                              slug="not-utf8"))
        try:
            items, batch = _parse_items(text, ctype in NDJSON_TYPES)
        except json.JSONDecodeError as exc:
            return reject("invalid_json", problem(400, "Invalid JSON", str(exc),
                                                  slug="invalid-json"))
        if not items:
            return reject("empty", problem(400, "Empty batch", "No article in the body.",
                                           slug="empty"))
        articles: list[Article] = []
        failures: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            try:
                articles.append(Article.model_validate(item))
            except ValidationError as exc:
                prefix: tuple[str | int, ...] = (index,) if batch else ()
                failures.append({"index": index, "errors": describe_errors(exc, prefix)})
        if failures:
            errors = [e for f in failures for e in f["errors"]]
            detail = "; ".join(f"{e['path']}: {e['message']}" for e in errors[:20])
            return reject("invalid", problem(
                422, "Invalid article" + ("s" if len(failures) > 1 else ""),
                (f"{len(failures)} of {len(items)} articles are invalid; nothing was accepted. "
                 if batch else "") + detail,
                slug="validation", errors=errors, failed=failures))
        if publisher is None:
            return problem(503, "Read-only", "This API instance accepts no writes.",
                           slug="read-only", headers={"Retry-After": "30"})
        try:
            accepted = await asyncio.to_thread(publisher.publish, articles)
        except BrokerUnavailable as exc:
            log.warning("broker unavailable: %s", exc)
            return reject("unavailable", problem(
                503, "Broker unavailable", "The article could not be made durable; retry later.",
                slug="unavailable", headers={"Retry-After": "5"}))
        metrics["accepted"] += sum(1 for a in accepted if not a.duplicate)
        metrics["duplicates"] += sum(1 for a in accepted if a.duplicate)
        return JSONResponse({"accepted": [a.to_json() for a in accepted]}, status_code=202)

    @app.get("/articles/{article_id}", summary="One article version as stored",
             responses={404: {"description": "No such version or article key (yet)"}})
    async def get_article(article_id: str) -> JSONResponse:
        found = await asyncio.to_thread(read_article, duckdb_path, article_id)
        if found is None:
            return problem(404, "Not found", f"No article {article_id!r} (yet).", slug="not-found")
        return JSONResponse(found)

    app.include_router(timeline_router(duckdb_path))

    @app.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "writes": publisher is not None}

    @app.get("/metrics", summary="Prometheus text metrics", response_class=PlainTextResponse)
    async def get_metrics() -> PlainTextResponse:
        lines = ["# TYPE newsline_articles_total counter"]
        for name, value in sorted(metrics.items()):
            metric, _, labels = name.partition("{")
            label_text = "{" + labels if labels else ""
            lines.append(f"newsline_articles_{metric}_total{label_text} {value}")
        if lag is not None:
            lines.append("# TYPE newsline_consumer_lag gauge")
            try:
                for topic, n in sorted((await asyncio.to_thread(lag)).items()):
                    lines.append(f'newsline_consumer_lag{{topic="{topic}"}} {n}')
            except Exception as exc:  # a broker hiccup must not fail the scrape
                log.warning("lag unavailable: %s", exc)
        sink = await asyncio.to_thread(read_sink_metrics, duckdb_path.parent)
        if sink is not None:
            lines.extend(prometheus_lines(sink))
        return PlainTextResponse("\n".join(lines) + "\n")

    describe = app.openapi

    def openapi_with_bearer() -> dict[str, Any]:
        doc = describe()  # cached by FastAPI: the addition below is made once
        doc.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "A token of NEWSLINE_TOKENS (or DATA_DIR/newsline.json)"}}
        return doc

    app.openapi = openapi_with_bearer  # type: ignore[method-assign]
    return app
