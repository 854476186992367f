"""The one place that writes raw articles: validate, key, envelope, publish with acks=all.

An article is acknowledged (HTTP 202) only after Kafka acknowledged it with `acks=all`: from then
on the raw topic's log holds it. The same URL and version (or the same `idempotency_key`) is
published once (`ingest.seen` remembers what was accepted).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError

from ingest.seen import SeenIndex
from schemas.articles import Article
from schemas.codec import encode, envelope
from schemas.identity import article_key, canonical_url, version_id
from schemas.topics import TOPICS

log = logging.getLogger(__name__)
SOURCE = "newsline/ingest"


def _close_quietly(producer: KafkaProducer) -> None:
    try:
        producer.close(timeout=0)
    except KafkaError as exc:
        log.info("a replaced producer dropped its unsent records: %s", exc)


class BrokerUnavailable(Exception):
    """The broker did not acknowledge in time: nothing was acknowledged to the producer."""


@dataclass(frozen=True, slots=True)
class Accepted:
    """What the producer is told about one accepted article."""

    id: str
    article_key: str
    canonical_url: str
    version: str
    duplicate: bool

    def to_json(self) -> dict[str, Any]:
        """The JSON shape returned by the API."""
        return {"id": self.id, "article_key": self.article_key, "canonical_url": self.canonical_url,
                "version": self.version, "duplicate": self.duplicate}


def dedupe_key(article: Article, canonical: str) -> str:
    """What makes two submissions the same one."""
    if article.idempotency_key:
        return f"key:{article.idempotency_key}"
    return f"url:{canonical}@{article.version_time.isoformat()}"


class Publisher:
    """Publishes validated articles to the raw topic."""

    def __init__(self, bootstrap: str, seen: SeenIndex, timeout_s: float = 10.0) -> None:
        """Connect a producer to `bootstrap`; nothing is sent until `publish`."""
        self.seen = seen
        self.bootstrap = bootstrap
        self.timeout_s = timeout_s
        self.topic = TOPICS["raw"].name
        self._lock = threading.Lock()
        # Made by the first publish, not here: kafka-python's producer contacts the broker in its
        # constructor and blocks until one answers. Made here, a `newsline api` started while
        # its broker was down (or restarting) did not bind its port for 30 s and then exited
        # (found by the fault campaign: the API restarted while the killed broker restarted).
        # Made lazily, the API answers at once: 503 with Retry-After until the broker is back.
        self.producer: KafkaProducer | None = None

    def _new_producer(self) -> KafkaProducer:
        timeout_ms = int(self.timeout_s * 1000)
        return KafkaProducer(
            bootstrap_servers=self.bootstrap, acks="all", linger_ms=2, retries=5,
            max_request_size=20 * 1024 * 1024, client_id="newsline-ingest",
            request_timeout_ms=timeout_ms, max_block_ms=timeout_ms,
            delivery_timeout_ms=timeout_ms + 2000,
            # the constructor's bootstrap gives up like a send does (kafka-python's default: 30 s)
            bootstrap_timeout_ms=timeout_ms,
        )

    def _replace_producer(self) -> None:
        """A fresh producer after a timeout. kafka-python 3.0.12's producer can stay wedged after
        its broker was frozen (SIGSTOP) and resumed: its batches never complete, and `flush`
        waits `timeout` for each of them in turn, so every later request hung (found by
        tests/integration/test_campaign.py's broker outage). The old one is closed aside: what
        it still delivers was never acknowledged (a 503 means "unknown, post again")."""
        old, self.producer = self.producer, None  # the next publish makes one (the broker may
        if old is not None:                       # be down now: a producer bootstraps at once)
            threading.Thread(target=_close_quietly, args=(old,), daemon=True).start()

    def publish(self, articles: list[Article]) -> list[Accepted]:
        """Publish a whole batch or raise BrokerUnavailable; never half-acknowledge it."""
        with self._lock:  # one batch at a time keeps the idempotency check race-free
            results: list[Accepted] = []
            fresh: list[tuple[str, bytes, str, str]] = []
            batch_keys: dict[str, str] = {}
            for art in articles:
                canonical = canonical_url(art.url)
                key = article_key(art.url)
                vid = version_id(canonical, art.version_time)
                dkey = dedupe_key(art, canonical)
                known = self.seen.known(dkey) or batch_keys.get(dkey)
                results.append(Accepted(known or vid, key, canonical,
                                        art.version_time.isoformat(), known is not None))
                if known:
                    continue
                batch_keys[dkey] = vid
                env = envelope(art, source=SOURCE, subject=canonical, id=vid)
                value = encode(env)
                fresh.append((key, value, dkey, vid))
            if not fresh:  # every article was acknowledged before: no broker needed
                return results
            try:
                if self.producer is None:
                    self.producer = self._new_producer()  # up to timeout_s if the broker is down
                deadline = time.monotonic() + self.timeout_s
                futures = [self.producer.send(self.topic, key=key.encode(), value=value)
                           for key, value, _, _ in fresh]
                # One deadline for the whole batch (not `flush`, whose timeout is per batch).
                for fut in futures:
                    fut.get(timeout=max(0.0, deadline - time.monotonic()))
            except (KafkaError, TimeoutError) as exc:
                self._replace_producer()
                raise BrokerUnavailable(str(exc) or type(exc).__name__) from exc
            self.seen.add([(dkey, vid) for _, _, dkey, vid in fresh])
            return results

    def close(self) -> None:
        """Flush and close the producer (what cannot be flushed was never acknowledged)."""
        if self.producer is None:
            return
        try:
            self.producer.close(timeout=5)
        except KafkaError as exc:
            log.warning("producer closed with unsent records: %s", exc)
