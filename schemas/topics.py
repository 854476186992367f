"""Every topic Newsline uses, declared once: name, key, partitions and configs.

The embedded stack, the docker-compose init job and the tests all create topics from this table.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Topic:
    """A Kafka topic and the contract of its keys and values."""

    role: str
    name: str
    partitions: int
    key: str
    value: str
    configs: dict[str, str] = field(default_factory=dict)


_WEEK_MS = str(7 * 24 * 3600 * 1000)

TOPICS: dict[str, Topic] = {
    t.role: t
    for t in (
        Topic(
            "raw", "newsline.articles.raw", 4,
            key="article_key: sha256 of the canonical URL (all versions share a partition)",
            value="Envelope[Article] JSON, type org.newsline.article.submitted",
            configs={"retention.ms": _WEEK_MS, "max.message.bytes": "20971520"},
        ),
        Topic(
            "dead_letter", "newsline.articles.dead-letter", 1,
            key="the original key",
            value="Envelope[DeadLetter] JSON, type org.newsline.dead-letter.recorded",
            configs={"retention.ms": str(30 * 24 * 3600 * 1000)},
        ),
        Topic(
            # One partition: event resolution and near-duplicate detection compare every article
            # with every other, so they run where all analysed articles meet, in order.
            "analysed", "newsline.articles.analysed", 1,
            key="article_key",
            value="Envelope[ArticleAnalysed] JSON, type org.newsline.article.analysed",
            configs={"retention.ms": _WEEK_MS, "max.message.bytes": "20971520"},
        ),
        Topic(
            # The event-sourced timeline: the DuckDB projections are folds of this log.
            "changelog", "newsline.timeline.changelog", 1,
            key="event_id or version_id (the change's subject)",
            value="Envelope[Change] JSON, one type per change (schemas.timeline.CHANGE_TYPES)",
            configs={"retention.ms": "-1", "cleanup.policy": "delete"},
        ),
        Topic(
            # The resolver's journal: one record per analysed article (the article, the state
            # writes and changes it caused, the analysed offset it covers); partition p journals
            # analysed partition p. The resolver's durable state: kept forever.
            "journal", "newsline.resolver.journal", 1,
            key="version_id of the article the record resolves",
            value="JSON journal record (processors/worker/resolver_state.py, field v = 3)",
            configs={"retention.ms": "-1", "cleanup.policy": "delete",
                     "max.message.bytes": str(64 * 1024 * 1024)},
        ),
    )
}
