"""What `newsline status` and `newsline dlq` read from the running stack."""

from __future__ import annotations

import base64
import json
from typing import Any

import duckdb
import httpx
from kafka import KafkaConsumer, TopicPartition
from pydantic import ValidationError

from ingest.client import runtime_info
from newsline.kafka_admin import consumer_lag, high_watermarks
from newsline.settings import Settings
from schemas.articles import ARTICLE_SUBMITTED, Article
from schemas.codec import Rejection, decode, describe_errors, summarise
from schemas.topics import TOPICS


def stack_info(settings: Settings) -> dict[str, Any]:
    """How to reach the stack: what `newsline up` wrote, else the settings (docker compose)."""
    try:
        return runtime_info(settings.data_dir)
    except FileNotFoundError:
        if not settings.bootstrap_servers:
            raise
        return {"api_url": f"http://{settings.api_host}:{settings.api_port}",
                "bootstrap_servers": settings.bootstrap_servers,
                "duckdb": str(settings.duckdb_path)}


def stack_status(settings: Settings) -> dict[str, Any]:
    """API health, row counts of the analysts' file, and lag per topic."""
    try:
        info = stack_info(settings)
    except FileNotFoundError as exc:
        return {"api": "down", "error": f"{exc} (or set NEWSLINE_BOOTSTRAP_SERVERS)"}
    report: dict[str, Any] = {"api_url": info["api_url"], "duckdb": info["duckdb"]}
    try:
        ok = httpx.get(f"{info['api_url']}/healthz", timeout=5).status_code == 200
        report["api"] = "ok" if ok else "unhealthy"
    except httpx.HTTPError as exc:
        report["api"] = f"down ({exc})"
    bootstrap = info["bootstrap_servers"]
    try:
        lags = consumer_lag(bootstrap)
        report["lag"] = {"raw (newsline)": lags[TOPICS["raw"].name],
                         "analysed (newsline)": lags[TOPICS["analysed"].name]}
        changelog_end = sum(high_watermarks(bootstrap, TOPICS["changelog"].name).values())
        report["dead_letters"] = sum(high_watermarks(bootstrap,
                                                     TOPICS["dead_letter"].name).values())
    except Exception as exc:  # status must report, not crash
        report["lag"] = f"unavailable ({exc})"
        changelog_end = None
    try:
        con = duckdb.connect(info["duckdb"], read_only=True)
        report["counts"] = {t: (con.execute(f"SELECT count(*) FROM {t}").fetchone() or (0,))[0]
                            for t in ("articles", "mentions", "events", "changelog")}
        row = con.execute("SELECT next_offset, epoch FROM sink_offsets").fetchone()
        con.close()
        report["log_epoch"] = row[1] if row else None
        if changelog_end is not None and row:
            report["lag"]["changelog (sink)"] = max(0, changelog_end - row[0])
    except duckdb.Error as exc:
        report["counts"] = f"unavailable ({exc})"
    return report


def read_dead_letters(bootstrap: str) -> list[dict[str, Any]]:
    """Every dead letter, oldest first."""
    topic = TOPICS["dead_letter"].name
    end = high_watermarks(bootstrap, topic).get(0, 0)
    out: list[dict[str, Any]] = []
    if end == 0:
        return out
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             client_id="newsline-dlq", consumer_timeout_ms=5000)
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    try:
        for message in consumer:
            env = decode(message.value)
            if not isinstance(env, Rejection):
                d = env.data
                out.append({"id": env.id, "received_at": d.received_at.isoformat(),
                            "error": d.error, "errors": d.errors, "source_topic": d.topic,
                            "source_partition": d.partition, "source_offset": d.offset,
                            "key_b64": d.key_b64, "value_b64": d.value_b64})
            if message.offset + 1 >= end:
                break
    finally:
        consumer.close()
    return out


def replacement_article(letter: dict[str, Any],
                        corrected: dict[str, Any] | None = None) -> dict[str, Any] | Rejection:
    """The article that replaying a dead letter posts, or why there is none.

    A replay is for one of two things. After a fix in code (an upcaster, a looser rule), the
    letter's own bytes are decoded again by today's code: if they pass, their article is posted.
    When the content itself was wrong, the user supplies it corrected, as an article or a whole
    envelope. Either way the article is checked here first, so that a replay never sends bytes
    that would only be dead-lettered again.
    """
    if corrected is None:
        result = decode(base64.b64decode(letter["value_b64"]), expected=ARTICLE_SUBMITTED)
    elif "type" in corrected and "data" in corrected:
        result = decode(json.dumps(corrected).encode(), expected=ARTICLE_SUBMITTED)
    else:
        try:
            article = Article.model_validate(corrected)
        except ValidationError as exc:
            errors = describe_errors(exc)
            return Rejection(summarise(errors), errors)
        return article.model_dump(mode="json", exclude_defaults=True)
    if isinstance(result, Rejection):
        return result
    return result.data.model_dump(mode="json", exclude_defaults=True)  # type: ignore[no-any-return]
