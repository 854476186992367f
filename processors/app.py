"""The faust app: two thin agents around the pure stages.

- `analyse`: raw articles -> analysed articles (or dead letters). Stateless; scales with the raw
  topic's partitions.
- `resolve`: analysed articles -> timeline changes. Its state (versions, statuses, events) lives in
  faust tables, so a restart recovers it from their changelog topics.

Consumer group: static membership (`group_instance_id`, one per worker), so a worker restarted
after a crash takes its partitions back at once instead of waiting for its old session to expire;
sessions of 6 s (the broker's minimum) so that a worker that dies for good is replaced within
seconds. No web server (two workers on one machine would collide on its port).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from typing import Any

import faust

from processors.analysis.analyse import analyse_article
from processors.rebalance import stop_fetching_before_the_seek
from processors.resolution.fold import Status, TimelineState, apply_article, change_envelopes
from schemas.articles import ARTICLE_ANALYSED, ARTICLE_SUBMITTED, ArticleAnalysed
from schemas.codec import Rejection, decode, encode, envelope
from schemas.dead_letters import DeadLetter
from schemas.envelope import now_utc
from schemas.timeline import EventState
from schemas.topics import TOPICS

log = logging.getLogger(__name__)


def dead_letter(message: Any, reason: str, errors: list[dict[str, str]],
                source: str = "newsline/analyse") -> bytes:
    """A dead-letter envelope keeping the original bytes, the error and where it came from."""
    letter = DeadLetter(
        topic=message.topic, partition=message.partition, offset=message.offset,
        key_b64=base64.b64encode(message.key).decode() if message.key is not None else None,
        value_b64=base64.b64encode(message.value or b"").decode(),
        error=reason, errors=errors, received_at=now_utc(),
    )
    return encode(envelope(letter, source=source,
                           id=f"{message.topic}:{message.partition}:{message.offset}"))


def create_app(bootstrap: str, *, app_id: str = "newsline", data_dir: str = "data",
               session_timeout_s: float = 6.0, heartbeat_s: float = 1.5,
               group_instance_id: str | None = None) -> faust.App:
    """Build the faust app for a broker."""
    app = faust.App(
        app_id, broker=f"kafka://{bootstrap}", store="memory://", datadir=f"{data_dir}/faust",
        web_enabled=False, topic_partitions=1, topic_replication_factor=1,
        broker_session_timeout=session_timeout_s, broker_heartbeat_interval=heartbeat_s,
        broker_request_timeout=30.0, consumer_group_instance_id=group_instance_id,
        producer_max_request_size=20 * 1024 * 1024, consumer_max_fetch_size=20 * 1024 * 1024,
        stream_wait_empty=False, table_cleanup_interval=3600.0,
    )
    stop_fetching_before_the_seek(app)
    raw = app.topic(TOPICS["raw"].name, key_serializer="raw", value_serializer="raw",
                    internal=False)
    analysed = app.topic(TOPICS["analysed"].name, key_serializer="raw", value_serializer="raw")
    dead = app.topic(TOPICS["dead_letter"].name, key_serializer="raw", value_serializer="raw")
    changelog = app.topic(TOPICS["changelog"].name, key_serializer="raw", value_serializer="raw")
    # key_type/value_type bytes make faust use the "raw" codec for the table and its changelog
    # (a `schema=` alone leaves recovery decoding JSON, which fails on these values).
    versions = app.Table("versions", partitions=1, key_type=bytes, value_type=bytes)
    statuses = app.Table("statuses", partitions=1, key_type=bytes, value_type=bytes)
    events = app.Table("events", partitions=1, key_type=bytes, value_type=bytes)

    @app.agent(raw)
    async def analyse(stream: Any) -> None:
        async for event in stream.events():
            message = event.message
            env = decode(message.value, expected=ARTICLE_SUBMITTED)
            if isinstance(env, Rejection):
                await dead.send(key=message.key, value=dead_letter(message, env.reason, env.errors))
                continue
            try:
                # In a thread so the event loop keeps heartbeating through a long article.
                result = await asyncio.to_thread(analyse_article, env)
            except Exception as exc:  # a bug must not stall the stream: park the message
                log.exception("analysis failed at %s:%d", message.partition, message.offset)
                err = [{"path": "(processing)", "message": repr(exc)}]
                await dead.send(key=message.key,
                                value=dead_letter(message, f"analysis failed: {exc!r}", err))
                continue
            out = envelope(result, source="newsline/analyse", subject=result.canonical_url,
                           id=result.version_id)
            await analysed.send(key=result.article_key.encode(), value=encode(out))

    state: dict[str, TimelineState] = {}

    def loaded() -> TimelineState:
        if "s" not in state:
            s = TimelineState()
            for value in versions.values():
                art = ArticleAnalysed.model_validate_json(value)
                s.versions[art.version_id] = art
            for key, value in statuses.items():
                s.statuses[key.decode()] = Status(**json.loads(value))
            for key, value in events.items():
                s.events[key.decode()] = EventState.model_validate_json(value)
            s.rebuild()
            log.info("resolver state loaded: %d versions, %d events", len(s.versions),
                     len(s.events))
            state["s"] = s
        return state["s"]

    @app.agent(analysed)
    async def resolve(stream: Any) -> None:
        async for event in stream.events():
            message = event.message
            env = decode(message.value, expected=ARTICLE_ANALYSED)
            if isinstance(env, Rejection):  # only a producer other than `analyse` can write it
                await dead.send(key=message.key, value=dead_letter(
                    message, env.reason, env.errors, source="newsline/resolve"))
                continue
            art: ArticleAnalysed = env.data
            try:
                t = apply_article(loaded(), art)
            except Exception as exc:  # absurd but valid input must not stop the resolver
                log.exception("resolving failed at analysed offset %d", message.offset)
                state.pop("s", None)  # it may be half-applied: reload from the tables
                err = [{"path": "(processing)", "message": repr(exc)}]
                await dead.send(key=message.key, value=dead_letter(
                    message, f"resolution failed: {exc!r}", err, source="newsline/resolve"))
                continue
            for out in change_envelopes(t.changes, art.version_id):
                await changelog.send(key=str(out.subject).encode(), value=encode(out))
            if t.changes:
                versions[art.version_id.encode()] = art.model_dump_json().encode()
            for vid, st in t.statuses.items():
                statuses[vid.encode()] = json.dumps(_status_dict(st)).encode()
            for eid, ev in t.events.items():
                if ev is None:
                    events.pop(eid.encode(), None)
                else:
                    events[eid.encode()] = ev.model_dump_json().encode()

    return app


def _status_dict(st: Status) -> dict[str, Any]:
    return {"status": st.status, "superseded_by": st.superseded_by,
            "duplicate_of": st.duplicate_of}
