"""Turn the event-role dates of a clean text into mentions: the sentence, its entities, a summary."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from processors.entities import extract_entities, keywords
from processors.sentences import split_sentences
from processors.temporal import TemporalExpression
from schemas.articles import Mention

MENTION_GRANULARITIES = frozenset(
    {"day", "week", "part-of-month", "month", "season", "quarter", "year"}
)
SUMMARY_CHARS = 240


def summarise(sentence: str, limit: int = SUMMARY_CHARS) -> str:
    """The sentence, whitespace-collapsed and cut at a word boundary."""
    flat = " ".join(sentence.split())
    if len(flat) <= limit:
        return flat
    return flat[: flat.rfind(" ", 0, limit)].rstrip(",;:") + " …"


def _entity_names(text: str, language: str) -> list[str]:
    return sorted({e.name for e in extract_entities(text, language)})


def build_mentions(text: str, expressions: Sequence[TemporalExpression], *, language: str,
                   version_id: str, title: str | None = None) -> list[Mention]:
    """One mention per dated event expression that lies in a sentence of `text`."""
    spans = split_sentences(text)
    starts = [s for s, _ in spans]
    title_entities = set(_entity_names(title, language)) if title else set()
    sentence_entities: dict[int, list[str]] = {}

    def entities_of(index: int) -> list[str]:
        if index not in sentence_entities:
            s, e = spans[index]
            sentence_entities[index] = _entity_names(text[s:e], language)
        return sentence_entities[index]

    mentions = []
    for expr in expressions:
        if expr.role != "event" or expr.start is None or expr.end is None:
            continue
        if expr.granularity not in MENTION_GRANULARITIES:
            continue
        index = bisect_right(starts, expr.start_char) - 1
        if index < 0 or expr.end_char > spans[index][1]:
            continue
        s, e = spans[index]
        sentence = text[s:e]
        own = entities_of(index)
        context = set(title_entities)
        for neighbour in (index - 1, index + 1):
            if 0 <= neighbour < len(spans):
                context.update(entities_of(neighbour))
        mentions.append(Mention(
            mention_id=f"{version_id}:{expr.start_char}",
            sentence=sentence, sentence_start=s, expression=expr.text,
            start_char=expr.start_char, end_char=expr.end_char, start=expr.start, end=expr.end,
            granularity=expr.granularity,  # type: ignore[arg-type]
            value=expr.value, mod=expr.mod, entities=own,
            context_entities=sorted(context - set(own)),
            keywords=sorted(keywords(sentence, language)), summary=summarise(sentence),
        ))
    return mentions
