"""Turn the event-role dates of a clean text into mentions: the sentence, its entities, a summary."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from processors.analysis.entities import article_names, entity_key, extract_entities, keywords
from processors.analysis.predicates import predicate_of
from processors.analysis.sentences import split_sentences
from processors.analysis.temporal import TemporalExpression
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


def _entities(text: str, language: str, noise: frozenset[str],
              names: frozenset[str] = frozenset()) -> dict[str, str]:
    """Canonical name -> kind, without the outlet's own name (datelines are not news)."""
    return {e.name: e.kind for e in extract_entities(text, language, names)
            if entity_key(e.name) not in noise}


def build_mentions(text: str, expressions: Sequence[TemporalExpression], *, language: str,
                   version_id: str, title: str | None = None,
                   source: str | None = None) -> list[Mention]:
    """One mention per dated event expression that lies in a sentence of `text`."""
    spans = split_sentences(text)
    starts = [s for s, _ in spans]
    noise = frozenset({entity_key(source)}) if source else frozenset()
    noise_words = keywords(source, language) if source else frozenset()
    names = article_names(text, language)
    title_entities = _entities(title, language, noise, names) if title else {}
    sentence_entities: dict[int, dict[str, str]] = {}

    def entities_of(index: int) -> dict[str, str]:
        if index not in sentence_entities:
            s, e = spans[index]
            sentence_entities[index] = _entities(text[s:e], language, noise, names)
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
        context = dict(title_entities)
        for neighbour in (index - 1, index + 1):
            if 0 <= neighbour < len(spans):
                context.update(entities_of(neighbour))
        kinds = {**context, **own}
        predicate = predicate_of(sentence, expr.start_char - s, expr.end_char - s)
        mentions.append(Mention(
            mention_id=f"{version_id}:{expr.start_char}",
            sentence=sentence, sentence_start=s, expression=expr.text,
            start_char=expr.start_char, end_char=expr.end_char, start=expr.start, end=expr.end,
            granularity=expr.granularity,  # type: ignore[arg-type]
            value=expr.value, mod=expr.mod, entities=sorted(own),
            context_entities=sorted(set(context) - set(own)),
            places=sorted(n for n, kind in kinds.items() if kind == "place"),
            keywords=sorted(keywords(sentence, language) - noise_words),
            summary=summarise(sentence),
            predicate=predicate.key if predicate else None,
            predicate_kind=predicate.kind if predicate else None,  # type: ignore[arg-type]
        ))
    return mentions
