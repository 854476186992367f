"""The per-article stage: clean, identify, fingerprint and extract. Pure: envelope in, analysis out."""

from __future__ import annotations

from typing import Any

from processors.analysis.clean import clean_article
from processors.analysis.language import detect_language
from processors.analysis.mentions import build_mentions
from processors.analysis.temporal import extract_dates
from processors.resolution.copies import content_hash, minhash_signature
from schemas.articles import Article, ArticleAnalysed
from schemas.envelope import Envelope
from schemas.identity import article_key, canonical_url, version_id

SUPPORTED_LANGUAGES = frozenset({"fr", "en"})
# The longest clean text analysed. One `analyse` agent works one record at a time, so a huge
# text holds its raw partitions while it is analysed: the 7 MB article of the long poison test
# held them for over 10 minutes when the extraction was quadratic in a sentence's length. It is
# linear now (`.venv/bin/python -m bench.huge_article 50000 100000 200000 400000`: about 1.3 s
# of CPU per 100,000 chars of French words and dates with no sentence break). A news article is
# far shorter (a 15,000-word long read is about 100,000 chars).
MAX_ANALYSED_CHARS = 400_000


class TooLarge(ValueError):
    """The article's clean text is over MAX_ANALYSED_CHARS: it is dead-lettered, not analysed."""


def analyse_article(env: Envelope[Any]) -> ArticleAnalysed:
    """Everything later stages need to know about one submitted article version."""
    art: Article = env.data
    cleaned = clean_article(text=art.text, html=art.html, language=art.language)
    if len(cleaned.text) > MAX_ANALYSED_CHARS:
        raise TooLarge(f"the clean text has {len(cleaned.text)} characters, over the "
                       f"{MAX_ANALYSED_CHARS} analysed")
    language = art.language or detect_language(cleaned.text)
    canonical = canonical_url(art.url)
    vid = version_id(canonical, art.version_time)
    mentions = []
    if language in SUPPORTED_LANGUAGES:
        expressions = extract_dates(cleaned.text, published_at=art.published_at,
                                    language=language, updated_at=art.updated_at)
        mentions = build_mentions(cleaned.text, expressions, language=language, version_id=vid,
                                  title=art.title, source=art.source,
                                  published_at=art.updated_at or art.published_at)
    return ArticleAnalysed(
        article_key=article_key(art.url), version_id=vid, canonical_url=canonical, url=art.url,
        title=art.title, source=art.source, language=language,
        language_detected=art.language is None, published_at=art.published_at,
        updated_at=art.updated_at, submitted_at=env.time,
        content_hash=content_hash(cleaned.text),
        signature=list(minhash_signature(cleaned.text)), clean_chars=len(cleaned.text),
        mentions=mentions,
    )
