"""`newsline api`: the ingest API alone, for deployments that run each process separately.

`newsline up` serves the API too, but it also starts the worker and the sink (and maybe a broker)
and writes `DATA_DIR/newsline.json`. In docker compose those are separate services, so this runs
only the API: a publisher to the given Kafka, the index of accepted submissions under
`DATA_DIR/ingest/`, and uvicorn.
SIGTERM and SIGINT stop uvicorn gracefully (in-flight requests finish); the producer is then
closed and the process exits with status 0.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

import uvicorn

from ingest.api import create_app
from ingest.publisher import Publisher
from ingest.seen import SeenIndex
from newsline.settings import Settings

log = logging.getLogger(__name__)


def parse_tokens(raw: str) -> list[str]:
    """The bearer tokens of a comma-separated list such as `NEWSLINE_TOKENS`."""
    return [token.strip() for token in raw.split(",") if token.strip()]


def serve_api(settings: Settings, tokens: list[str]) -> int:
    """Serve the ingest API on `settings.api_host:settings.api_port` until SIGTERM; exit status."""
    if not settings.bootstrap_servers:
        log.error("newsline api needs a Kafka: pass --bootstrap-servers or set "
                  "NEWSLINE_BOOTSTRAP_SERVERS (it never starts the embedded broker)")
        return 2
    if not tokens:
        # Without a token every write would be refused with 401: say so at start instead.
        log.error("newsline api needs at least one bearer token: set NEWSLINE_TOKENS")
        return 2
    if settings.api_port == 0:
        log.error("newsline api needs a fixed port: set --api-port or NEWSLINE_API_PORT")
        return 2
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    publisher = Publisher(settings.bootstrap_servers,
                          SeenIndex(settings.data_dir / "ingest" / "seen.jsonl"))
    app = create_app(publisher, tokens, settings.duckdb_path, settings.max_body_bytes)
    server = uvicorn.Server(uvicorn.Config(app, host=settings.api_host, port=settings.api_port,
                                           log_level="warning", lifespan="off"))
    log.info("newsline API on http://%s:%d (docs /docs), Kafka %s, DuckDB %s",
             settings.api_host, settings.api_port, settings.bootstrap_servers,
             settings.duckdb_path)
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        # uvicorn drains requests on SIGTERM/SIGINT, puts back the handlers it found and raises the
        # signal again. With these handlers that ends here (producer closed, status 0) instead of
        # killing the process before `finally` runs; they also cover a signal before uvicorn's own.
        previous = {sig: signal.signal(sig, lambda *_: setattr(server, "should_exit", True))
                    for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.run()
    finally:
        publisher.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("newsline API stopped")
    return 0
