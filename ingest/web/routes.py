"""Routes of the timeline: `GET /timeline` (JSON), `/timeline/arrivals`, and the page at `/`.

The page is one HTML file, one script and one style sheet, written by hand and served from this
package (no CDN, works offline). Every page response carries a strict Content-Security-Policy:
scripts and styles only from this origin, no inline script, no plugins, no framing.

Live updates are polling with validators: each JSON answer carries an ETag made of the published
DuckDB snapshot's identity (the sink replaces it by atomic rename) and the query, so a poll that
finds nothing new costs a `stat` and a 304, not a query.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import AwareDatetime, BeforeValidator

from ingest.problems import problem
from readmodel.read import read_timeline
from readmodel.reports import read_arrivals, read_reports

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
ASSETS = {"timeline.js": "text/javascript; charset=utf-8",
          "timeline.css": "text/css; charset=utf-8",
          "icon.svg": "image/svg+xml"}


def _iso_day(value: object) -> object:
    # pydantic alone would read `until=0` as 1970-01-01 (a Unix time): the API says YYYY-MM-DD.
    if isinstance(value, str) and not (len(value) == 10 and value[4] == value[7] == "-"):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


def _instant(value: object) -> object:
    # ... and would read `as_of=1693872000` as a Unix time: the API says RFC 3339 with an offset.
    if isinstance(value, str) and ("-" not in value or ":" not in value):
        raise ValueError("must be an instant as YYYY-MM-DDTHH:MM:SS with its offset")
    return value


IsoDay = Annotated[date, BeforeValidator(_iso_day)]
Instant = Annotated[AwareDatetime, BeforeValidator(_instant)]


def _asset(name: str) -> bytes:
    return (resources.files("ingest.web") / "static" / name).read_bytes()


def snapshot_etag(duckdb_path: Path, query: str) -> str:
    """A validator for a read: changes when the published snapshot is replaced or the query differs."""
    try:
        st = duckdb_path.stat()
        identity = f"{st.st_ino}-{st.st_mtime_ns}-{st.st_size}"
    except FileNotFoundError:
        identity = "none"
    return '"' + hashlib.sha256(f"{identity}?{query}".encode()).hexdigest()[:32] + '"'


def _not_modified(request: Request, tag: str) -> bool:
    return tag in {t.strip() for t in request.headers.get("if-none-match", "").split(",")}


def timeline_router(duckdb_path: Path) -> APIRouter:
    """The timeline's JSON reads and its web page, over the analysts' DuckDB file."""
    router = APIRouter()
    page = _asset("timeline.html")
    assets = {name: _asset(name) for name in ASSETS}
    no_cache = {"Cache-Control": "no-cache"}  # keep it, but ask again (with the ETag) each time

    @router.get("/timeline", summary="The timeline, as `newsline timeline --format json`",
                responses={304: {"description": "Unchanged since the ETag sent in If-None-Match"}})
    async def get_timeline(
        request: Request,
        entity: Annotated[str | None, Query(description="an entity, any alias or accents")] = None,
        since: Annotated[IsoDay | None, Query(description="YYYY-MM-DD: events ending on or after")] = None,
        until: Annotated[IsoDay | None, Query(description="YYYY-MM-DD: events starting on or before")] = None,
        as_of: Annotated[Instant | None, Query(
            description="RFC 3339 instant with its offset: the timeline as known then")] = None,
        language: Annotated[str | None, Query(description="ISO 639-1: events reported in it")] = None,
        min_sources: Annotated[int, Query(ge=1, le=1_000_000,
                                          description="at least this many independent sources")] = 1,
        detail: Annotated[bool, Query(description=(
            "add each event's source articles, with their mentions (sentence and date "
            "expression) and syndicated copies"))] = False,
    ) -> Response:
        tag = snapshot_etag(duckdb_path, str(request.url.query))
        if _not_modified(request, tag):
            return Response(status_code=304, headers={**no_cache, "ETag": tag})
        events = await asyncio.to_thread(read_timeline, duckdb_path, entity=entity, since=since,
                                         until=until, as_of=as_of, language=language,
                                         min_sources=min_sources)
        if detail:
            reports = await asyncio.to_thread(read_reports, duckdb_path, events, as_of)
            for event in events:
                event["source_count"] = len(event["sources"])
                event["articles"] = reports.get(event["event_id"], [])
        return JSONResponse(events, headers={**no_cache, "ETag": tag})

    @router.get("/timeline/arrivals", summary="When articles were accepted: the steps of `as_of`",
                responses={304: {"description": "Unchanged since the ETag sent in If-None-Match"}})
    async def get_arrivals(request: Request) -> Response:
        tag = snapshot_etag(duckdb_path, "arrivals")
        if _not_modified(request, tag):
            return Response(status_code=304, headers={**no_cache, "ETag": tag})
        arrivals = await asyncio.to_thread(read_arrivals, duckdb_path)
        return JSONResponse(arrivals, headers={**no_cache, "ETag": tag})

    @router.get("/", include_in_schema=False)
    @router.get("/timeline/view", include_in_schema=False)
    async def get_page() -> Response:
        return Response(page, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    @router.get("/web/{name}", include_in_schema=False)
    async def get_asset(name: str) -> Response:
        if name not in assets:
            return problem(404, "Not found", "No such asset.", slug="not-found")
        return Response(assets[name], media_type=ASSETS[name], headers=PAGE_HEADERS)

    return router
