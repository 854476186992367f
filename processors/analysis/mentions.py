"""Turn the event-role dates of a clean text into mentions: the sentence, its entities, a summary."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import NamedTuple

import regex

from processors.analysis.descriptions import Description, described_names, described_verb
from processors.analysis.entities import article_names, entity_key, entity_spans, keywords
from processors.analysis.event_words import more_event_words, verb_keys
from processors.analysis.participants import (
    Named,
    arguments,
    participants,
    surnames,
    with_full_names,
)
from processors.analysis.predicates import (
    Found,
    Predicate,
    dated_predicate,
    event_words,
    main_predicate,
    unreal,
)
from processors.analysis.pronouns import name_before, subject_pronoun
from processors.analysis.references import join_repeated
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


def _named(text: str, language: str, noise: frozenset[str],
           names: frozenset[str] = frozenset()) -> list[Named]:
    """Every name written in the text and where, without the outlet's own name (datelines are
    not news)."""
    return [Named(e.name, e.kind, start, end) for e, start, end in entity_spans(text, language, names)
            if entity_key(e.name) not in noise]


def _entities(named: Sequence[Named]) -> dict[str, str]:
    """Canonical name -> kind, in order of first mention."""
    out: dict[str, str] = {}
    for n in named:
        out.setdefault(n.name, n.kind)
    return out


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
    title_entities = _entities(_named(title, language, noise, names)) if title else {}
    sentence_names = [_named(text[s:e], language, noise, names) for s, e in spans]
    # a last name alone is the person named in full: it decides whose event a word is, not
    # resolution's evidence (as evidence it cost ECB+ article-pair recall 0.510 -> 0.497)
    people = surnames(n for named in sentence_names for n in named)

    def written_in(index: int) -> list[Named]:
        return sentence_names[index]

    def named_in(index: int) -> dict[str, str]:
        return _entities(written_in(index))

    with_subject: list[list[Named]] = []
    described: dict[int, list[Description]] = {}  # sentence -> its descriptions standing for a name

    def is_person(name: str, kind: str) -> bool:
        return kind == "person" or (kind == "other" and name.casefold() in people)

    def names_of(index: int) -> list[Named]:
        """The sentence's names, with the one its subject pronoun stands for
        (``pronouns.subject_pronoun``), written where the pronoun is. Made in text order, each
        from the sentences before it already made: a run of pronoun sentences recurses no deeper."""
        while len(with_subject) <= index:
            i = len(with_subject)
            own = written_in(i)
            s, e = spans[i]
            pronoun = subject_pronoun(text[s:e], language, own, is_person)
            subject = None if pronoun is None else name_before(
                i, entities_of, is_person if pronoun.person else _not_a_place)
            if pronoun is None or subject is None or subject[0] in named_in(i):
                found = list(own)
            else:
                found = [Named(*subject, pronoun.start, pronoun.end), *own]
            described[i] = described_names(text[s:e], language, i, found, names_of,
                                           None if pronoun is None else pronoun.start)
            with_subject.append(found)
        return with_subject[index]

    def entities_of(index: int) -> dict[str, str]:
        return _entities(names_of(index))

    def mention(index: int, start_char: int, end_char: int, dates: Dates,
                predicate: Predicate | None, anchor: str = "explicit",
                by_form: bool = False, word_end: int | None = None) -> Mention:
        """`word_end`: an explicit mention's dated predicate's end in its sentence."""
        s, e = spans[index]
        sentence = text[s:e]
        own = entities_of(index)
        named = with_full_names(names_of(index), people)
        if by_form:
            taking_part = arguments(sentence, start_char - s, end_char - s, named, language)
        else:
            taking_part = participants(sentence, start_char - s, end_char - s, named, language,
                                       word_end)
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
            participants=None if taking_part == set(own) else sorted(taking_part),
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
        if published_at is not None and _deadline(text[s:expr.start_char], expr.start,
                                                  published_at.date(), language):
            continue
        dates = Dates(expr.start, expr.end, expr.granularity, expr.value, expr.mod)
        tied = dated_predicate(text[s:spans[index][1]], expr.start_char - s,
                               expr.end_char - s, language)
        mentions.append(mention(index, expr.start_char, expr.end_char, dates,
                                None if tied is None else tied.predicate,
                                word_end=None if tied is None else tied.end))
    if published_at is not None:
        for index, found, dates, anchor in undated(text, spans, expressions, mentions,
                                                    published_at, language, title):
            if entities_of(index):  # an event of someone or something named
                s = spans[index][0]
                mentions.append(mention(index, s + found.start, s + found.end, dates,
                                        found.predicate, anchor))
    if spans:
        names_of(len(spans) - 1)  # every sentence's descriptions
    verbs = verb_keys((text[s:e] for s, e in spans), language)
    for index, found, dates, anchor, by_form in co_events(text, spans, mentions, language,
                                                          described, verbs):
        if entities_of(index):
            s = spans[index][0]
            mentions.append(mention(index, s + found.start, s + found.end, dates,
                                    found.predicate, anchor, by_form))
    return join_repeated(mentions, language)


def co_events(text: str, spans: Sequence[tuple[int, int]], made: Sequence[Mention],
              language: str, described: dict[int, list[Description]] | None = None,
              verbs: frozenset[str] | None = None) -> Iterator[tuple[int, Found, Dates, str, bool]]:
    """(sentence index, event word, dates, anchor, found by form alone) of each other event a
    sentence with a mention
    reports (``event_words``: "GM filed for bankruptcy and Chapter 11 protection", "says that it
    will be compensated"; and the verb of each of its ``described`` descriptions,
    ``descriptions.described_verb``: "as the aircraft was leaving"), dated like the sentence's
    mention whose words are nearest to it. With ``verbs`` (the article's, ``event_words.verb_keys``),
    then every other event word of the sentence (``event_words.more_event_words``), found by its
    form alone: its participants are its own arguments (``participants.arguments``).

    Beside an explicit mention it is ``narrative``: its sentence's date is tied to another
    predicate (``dated_predicate``), so it dates this event from the text around it, and the
    event does not take part in resolution (``coreference.features``); beside an undated
    mention it takes that mention's anchor."""
    starts = [s for s, _ in spans]
    by_sentence: dict[int, list[tuple[Mention, int, int]]] = {}
    for m in made:
        index = bisect_right(starts, m.start_char) - 1
        s = spans[index][0]
        sentence = text[s:spans[index][1]]
        if m.anchor == "explicit":
            tied = dated_predicate(sentence, m.start_char - s, m.end_char - s, language)
            word = (tied.start, tied.end) if tied is not None else (-1, -1)
        else:
            word = (m.start_char - s, m.end_char - s)
        by_sentence.setdefault(index, []).append((m, *word))
    for index, own in by_sentence.items():
        s, e = spans[index]
        # its words, and every mention's own span: a mention id is its version and first char
        taken = [(a, b) for _, a, b in own] + [(m.start_char - s, m.end_char - s) for m, _, _ in own]
        subjects = [described_verb(text[s:e], d, language) for d in (described or {}).get(index, [])]
        more = [] if verbs is None else more_event_words(text[s:e], language, verbs)
        known = [*event_words(text[s:e], language), *(f for f in subjects if f is not None)]
        for n, found in enumerate([*known, *more]):
            if any(a < found.end and found.start < b for a, b in taken) \
                    or unreal(text[s:e], found.start, language):
                continue
            taken.append((found.start, found.end))  # a description's verb may be one of them
            m = min(own, key=lambda o: abs(o[0].start_char - s - found.start))[0]
            yield (index, found, Dates(m.start, m.end, m.granularity, m.value, m.mod),
                   "narrative" if m.anchor == "explicit" else m.anchor, n >= len(known))


_DEADLINE = {
    "en": regex.compile(r"\bby\s+(?:the\s+(?:end|middle|start)\s+of\s+)?$", regex.I),
    "fr": regex.compile(r"\bd['’]ici\s+(?:(?:la\s+)?(?:fin|mi)\s*-?\s*)?(?:de\s+|d['’]|à\s+)?$",
                        regex.I),
}


def _deadline(before: str, start: date, published: date, language: str) -> bool:
    """Whether a date the article has not reached yet is a deadline ("repay its loans by 2017",
    « d'ici 2030 »): a goal or a forecast, no event of the timeline yet."""
    pattern = _DEADLINE.get(language)
    return start > published and pattern is not None and pattern.search(before) is not None


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
    passage (`narrative`), else, unless it speaks of the future, by the story's day
    (`story_day`: `narrative` too), else by the article's day (`publication`: what a report
    tells in the past or present happened on or before it).
    Sentences that speak of the future with no dated sentence before them are left out (no
    `none` mention yet: a mention carries dates)."""
    starts = [s for s, _ in spans]
    # A time of day or a duration names no day ("at 14:58 UTC", "in the first 90 minutes"):
    # its sentence is dated like an undated one.
    with_dates = {bisect_right(starts, x.start_char) - 1 for x in expressions
                  if x.start is not None}
    dated = {bisect_right(starts, m.start_char) - 1: m for m in explicit}  # last of its sentence
    tagger = tagger_for(language)
    cue = tagger.future_cue if tagger is not None else None
    day = published_at.date()
    publication = Dates(day, day, "day", day.isoformat())
    lead = story_day(explicit, day)
    story = publication if lead is None else Dates(lead.start, lead.end, "day", lead.value)
    anchor_of: Mention | None = None
    for index, (s, e) in enumerate(spans):
        if index > 0 and PASSAGE_BREAK in text[spans[index - 1][1]:s]:
            anchor_of = None
        anchor_of = dated.get(index, anchor_of)
        if index in with_dates or not (_story_sentence(text[s:e])
                                       or _headline(text[s:e], _title(title, index, text[s:e]))):
            continue
        found = main_predicate(text[s:e], language)
        if found is None or unreal(text[s:e], found.start, language):
            continue
        if anchor_of is not None:
            m = anchor_of
            yield index, found, Dates(m.start, m.end, m.granularity, m.value, m.mod), "narrative"
        elif not is_future_clause(text, s + found.end, s + found.end, cue):  # the verb too
            yield index, found, *((publication, "publication") if lead is None
                                  else (story, "narrative"))


STORY_DAYS = 31  # a date further back than this before publication is background, not the story's


def story_day(explicit: Sequence[Mention], published: date) -> Mention | None:
    """The day the story happened: the first explicit mention of one day that names someone or
    something, on or at most ``STORY_DAYS`` before publication ("Fritz Henderson ... outlined a
    plan on June 1st", published 4 June); the rest of the story, told in the past without a
    date, happened that day rather than on the day it was published. Not a dateline (a date
    alone names no one)."""
    return next((m for m in explicit if m.granularity == "day" and m.start == m.end
                 and m.entities and 0 <= (published - m.start).days <= STORY_DAYS), None)


def _not_a_place(name: str, kind: str) -> bool:
    return kind != "place"


def _headline(sentence: str, title: str | None) -> bool:
    """The article's title repeated in its text (a headline has no final stop but reports the
    story's main event)."""
    return title is not None and " ".join(sentence.split()) == " ".join(title.split())


def _title(title: str | None, index: int, sentence: str) -> str | None:
    """The article's title; for an article without one, its text's opening line (scraped texts
    open with their headline: "Lindsay Lohan checks into Betty Ford Center")."""
    return sentence if title is None and index == 0 else title


def _story_sentence(sentence: str) -> bool:
    """Prose, not a caption, credit or menu line: long enough and ending like a sentence."""
    flat = sentence.strip()
    return len(flat) >= MIN_STORY_CHARS and flat.endswith(STORY_ENDINGS)
