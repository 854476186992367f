"""Two dates in one sentence: each tied to what it dates, and paired one to one across reports."""

import json
from datetime import UTC, date, datetime, timedelta
from functools import cache

import pytest

from processors.analysis.analyse import analyse_article
from processors.analysis.predicates import Predicate, predicate_of
from processors.resolution.coreference import MentionRef, compatible, resolve_events
from processors.resolution.fold import fold_all
from schemas.articles import Article, Mention
from schemas.codec import envelope
from tests.conftest import EXAMPLES

SEED_SENTENCE = ("La Maison Blanche a indiqué lundi 4 septembre que le leader nord-coréen "
                 "projetterait de se rendre en Russie ce mois-ci pour rencontrer Vladimir Poutine.")
# Our English renderings of the seed's sentence: the date of the statement last (the shape that
# crossed the two events before), and the shape of the issue ("said on Monday that...").
ENGLISH = (
    "North Korean leader Kim Jong Un plans to travel to Russia this month to meet President "
    "Vladimir Putin, the White House said on Monday.",
    "The White House said on Monday that the North Korean leader expects to travel to Russia "
    "this month to meet Vladimir Putin.",
)


def dated(sentence, expression):
    at = sentence.index(expression)
    return predicate_of(sentence, at, at + len(expression))


@pytest.mark.parametrize(("sentence", "expression", "expected"), [
    (SEED_SENTENCE, "lundi 4 septembre", Predicate("say", "report")),
    (SEED_SENTENCE, "ce mois-ci", Predicate("travel", "event")),
    (ENGLISH[0], "this month", Predicate("travel", "event")),
    (ENGLISH[0], "Monday", Predicate("say", "report")),
    (ENGLISH[1], "Monday", Predicate("say", "report")),
    (ENGLISH[1], "this month", Predicate("travel", "event")),
    ("Lundi 4 septembre, la Maison-Blanche a indiqué que Kim Jong-Un souhaite un échange.",
     "Lundi 4 septembre", Predicate("say", "report")),  # a date put first dates what follows
    ("La Maison-Blanche a de nouveau dénoncé lundi 4 septembre la visite du ministre.",
     "lundi 4 septembre", Predicate("denounce", "report")),
    ("Il a rendu hommage lundi aux victimes.", "lundi", None),  # « rendre » alone is no trip
    ("Le ministre a indiqué que l'armée se trouvait lundi à Niamey.", "lundi", None),  # not across « que »
])
def test_a_date_is_tied_to_the_predicate_of_its_clause(sentence, expression, expected):
    assert dated(sentence, expression) == expected


@cache
def seed_and_english(text, published_at="2023-09-04T21:10:00+00:00"):
    seed = json.loads((EXAMPLES / "seed-rtl-2023-09-04.json").read_text())
    english = {"url": "https://news.example.org/2023/09/04/kim-putin-russia",
               "published_at": published_at, "language": "en",
               "source": "Example News", "title": "Kim Jong Un expected to meet Putin in Russia",
               "text": text}
    return tuple(analyse_article(envelope(Article.model_validate(d), source="t"))
                 for d in (seed, english))


@pytest.mark.parametrize("published_at", [
    "2023-09-04T21:10:00+00:00",
    # The next day, Tuesday: "said on Monday" is still the 4th, though the sentence speaks of a
    # plan (the tagger once read the plan's future into the reporting verb: the 11th).
    "2023-09-05T09:00:00+00:00",
])
@pytest.mark.parametrize("text", ENGLISH)
@pytest.mark.parametrize("reverse", [False, True])
def test_seed_and_english_report_give_the_statement_once_and_the_trip_once(text, reverse,
                                                                           published_at):
    fr, en = seed_and_english(text, published_at)
    fr_month, fr_day = (next(m for m in fr.mentions if m.expression == e)
                        for e in ("ce mois-ci", "lundi 4 septembre"))
    en_month, en_day = (next(m for m in en.mentions if m.expression == e)
                        for e in ("this month", "Monday"))
    arts = [en, fr] if reverse else [fr, en]
    events = [e for e in fold_all(arts).events.values() if e.anchor == "explicit"]
    owner = {m: e for e in events for m in e.mention_ids}
    statement, trip = owner[fr_day.mention_id], owner[fr_month.mention_id]
    assert owner[en_day.mention_id] is statement and owner[en_month.mention_id] is trip
    assert (statement.start, statement.end, statement.granularity) == (
        date(2023, 9, 4), date(2023, 9, 4), "day")
    assert (trip.start, trip.end, trip.granularity) == (date(2023, 9, 1), date(2023, 9, 30), "month")
    assert [e for e in events if e.start == e.end == date(2023, 9, 4)] == [statement]
    assert [e for e in events if e.granularity == "month"] == [trip]


T0 = datetime(2023, 9, 4, 12, tzinfo=UTC)
DAY, MONTH = (date(2023, 9, 4),) * 2, (date(2023, 9, 1), date(2023, 9, 30))


def ref(vid, offset, span, predicate=None, published=T0):
    kind = {"say": "report", "travel": "event"}.get(predicate or "")
    m = Mention(mention_id=f"{vid}:{offset}", sentence="s", sentence_start=0, expression=f"x{offset}",
                start_char=offset, end_char=offset + 1, start=span[0], end=span[1],
                granularity="day" if span == DAY else "month",
                entities=["Kim Jong Un", "Vladimir Putin", "White House"], places=["Russia"],
                keywords=["meeting", "travel"], summary="s", predicate=predicate,
                predicate_kind=kind)
    return MentionRef(m, vid, f"https://{vid}.example/", "en", published)


def groups(refs):
    return sorted(sorted(m for m in e.mention_ids) for e in resolve_events(refs).values())


def test_exact_same_date_pairs_come_before_containment_pairs():
    # No predicate known: the pairing alone keeps day with day and month with month, whichever
    # mention comes first in the canonical order (the month before the day in article b).
    a = [ref("a", 10, DAY), ref("a", 50, MONTH)]
    b = [ref("b", 5, MONTH, published=T0 + timedelta(hours=1)),
         ref("b", 60, DAY, published=T0 + timedelta(hours=1))]
    assert compatible(a[0], b[0]) is not None  # day in month: a containment pair on its own
    assert groups(a + b) == [["a:10", "b:60"], ["a:50", "b:5"]]
    # Without the same date in the other sentence, the day still joins the month.
    assert groups([a[0], b[0]]) == [["a:10", "b:5"]]


def test_a_statement_and_what_it_is_about_are_two_events():
    said, trip = ref("a", 10, DAY, "say"), ref("b", 5, MONTH, "travel")
    assert compatible(said, trip) is None
    assert compatible(said, ref("b", 5, MONTH, "say")) is not None
    assert compatible(said, ref("b", 5, MONTH)) is not None  # unknown predicate: no evidence


def year_ref(vid, offset, entities, keywords):
    m = Mention(mention_id=f"{vid}:{offset}", sentence=f"s{offset}", sentence_start=0,
                expression="this year", start_char=offset, end_char=offset + 9,
                start=date(2009, 1, 1), end=date(2009, 12, 31), granularity="year",
                entities=entities, keywords=keywords, summary="s")
    return MentionRef(m, vid, f"https://{vid}.example/", "en", T0)


def test_two_reports_of_one_year_need_more_than_one_shared_name():
    # "Ford can make it through this year" and "Ford posted a profit ... this year": one name
    # and one year are two of its events, not one (a day needs no more: it is a precise date).
    make_it = year_ref("a", 10, ["Ford"], ["aid", "government"])
    profit = year_ref("b", 20, ["Ford"], ["profit", "quarter"])
    assert compatible(make_it, profit) is None
    # The same name and words (the same report of the year's result): one event.
    again = year_ref("c", 30, ["Ford", "Alan Mulally"], ["profit", "quarter"])
    assert compatible(profit, again) is not None
