"""Turn the event-role dates of a clean text into mentions: the sentence, its entities, a summary."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import NamedTuple

from processors.analysis.entities import article_names, entity_key, extract_entities, keywords
from processors.analysis.predicates import Found, Predicate, main_predicate, predicate_of
from processors.analysis.sentences import split_sentences
from processors.analysis.temporal import TemporalExpression
from processors.analysis.temporal.engine import is_future_clause, tagger_for
from schemas.articles import Mention

MENTION_GRANULARITIES = frozenset(
    {"day", "week", "part-of-month", "month", "season", "quarter", "year"}
)
SUMMARY_CHARS = 240
PASSAGE_BREAK = "\n\n"  # a blank line ends a passage: a narrative date does not cross it
MIN_STORY_CHARS = 40
STORY_ENDINGS = (".", "!", "?", "»", '"', "”", "…")


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
                   version_id: str, title: str | None = None, source: str | None = None,
                   published_at: datetime | None = None) -> list[Mention]:
    """One mention per dated event expression that lies in a sentence of `text`; with
    `published_at`, also one per undated story sentence that reports an event (`undated`)."""
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

    def mention(index: int, start_char: int, end_char: int, dates: Dates,
                predicate: Predicate | None, anchor: str = "explicit") -> Mention:
        s, e = spans[index]
        sentence = text[s:e]
        own = entities_of(index)
        context = dict(title_entities)
        for neighbour in (index - 1, index + 1):
            if 0 <= neighbour < len(spans):
                context.update(entities_of(neighbour))
        kinds = {**context, **own}
        return Mention(
            mention_id=f"{version_id}:{start_char}",
            sentence=sentence, sentence_start=s, expression=text[start_char:end_char],
            start_char=start_char, end_char=end_char, start=dates.start, end=dates.end,
            granularity=dates.granularity,  # type: ignore[arg-type]
            value=dates.value, mod=dates.mod, entities=sorted(own),
            context_entities=sorted(set(context) - set(own)),
            places=sorted(n for n, kind in kinds.items() if kind == "place"),
            keywords=sorted(keywords(sentence, language) - noise_words),
            summary=summarise(sentence),
            predicate=predicate.key if predicate else None,
            predicate_kind=predicate.kind if predicate else None,  # type: ignore[arg-type]
            anchor=anchor,  # type: ignore[arg-type]
        )

    mentions = []
    for expr in expressions:
        if expr.role != "event" or expr.start is None or expr.end is None:
            continue
        if expr.granularity not in MENTION_GRANULARITIES:
            continue
        index = bisect_right(starts, expr.start_char) - 1
        if index < 0 or expr.end_char > spans[index][1]:
            continue
        s = spans[index][0]
        dates = Dates(expr.start, expr.end, expr.granularity, expr.value, expr.mod)
        mentions.append(mention(index, expr.start_char, expr.end_char, dates,
                                predicate_of(text[s:spans[index][1]], expr.start_char - s,
                                             expr.end_char - s)))
    if published_at is not None:
        for index, found, dates, anchor in undated(text, spans, expressions, mentions,
                                                    published_at, language, title):
            if entities_of(index):  # an event of someone or something named
                s = spans[index][0]
                mentions.append(mention(index, s + found.start, s + found.end, dates,
                                        found.predicate, anchor))
    return mentions


class Dates(NamedTuple):
    """The interval a mention is dated with, and how precisely."""

    start: date
    end: date
    granularity: str
    value: str | None = None
    mod: str | None = None


def undated(text: str, spans: Sequence[tuple[int, int]],
            expressions: Sequence[TemporalExpression], explicit: Sequence[Mention],
            published_at: datetime, language: str,
            title: str | None = None) -> Iterator[tuple[int, Found, Dates, str]]:
    """(sentence index, predicate, dates, anchor) of each story sentence without any date
    expression that reports an event: dated by the nearest dated sentence before it in the same
    passage (`narrative`), else, unless it speaks of the future, by the article's day
    (`publication`: what a report tells in the past or present happened on or before it).
    Sentences that speak of the future with no dated sentence before them are left out (no
    `none` mention yet: a mention carries dates)."""
    starts = [s for s, _ in spans]
    with_dates = {bisect_right(starts, x.start_char) - 1 for x in expressions}
    dated = {bisect_right(starts, m.start_char) - 1: m for m in explicit}  # last of its sentence
    tagger = tagger_for(language)
    cue = tagger.future_cue if tagger is not None else None
    day = published_at.date()
    publication = Dates(day, day, "day", day.isoformat())
    anchor_of: Mention | None = None
    for index, (s, e) in enumerate(spans):
        if index > 0 and PASSAGE_BREAK in text[spans[index - 1][1]:s]:
            anchor_of = None
        anchor_of = dated.get(index, anchor_of)
        if index in with_dates or not (_story_sentence(text[s:e]) or _headline(text[s:e], title)):
            continue
        found = main_predicate(text[s:e], language)
        if found is None:
            continue
        if anchor_of is not None:
            m = anchor_of
            yield index, found, Dates(m.start, m.end, m.granularity, m.value, m.mod), "narrative"
        elif not is_future_clause(text, s + found.end, s + found.end, cue):  # the verb too
            yield index, found, publication, "publication"


def _headline(sentence: str, title: str | None) -> bool:
    """The article's title repeated in its text (a headline has no final stop but reports the
    story's main event)."""
    return title is not None and " ".join(sentence.split()) == " ".join(title.split())


def _story_sentence(sentence: str) -> bool:
    """Prose, not a caption, credit or menu line: long enough and ending like a sentence."""
    flat = sentence.strip()
    return len(flat) >= MIN_STORY_CHARS and flat.endswith(STORY_ENDINGS)
