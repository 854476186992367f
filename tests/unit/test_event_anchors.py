"""Events without a date in their sentence: anchored on the passage or on the publication day."""

from datetime import UTC, date, datetime, timedelta

from processors.analysis.mentions import build_mentions
from processors.analysis.temporal import extract_dates
from processors.resolution.coreference import (
    MentionRef,
    compatible,
    event_state,
    features,
    resolve_events,
)
from schemas.articles import Mention

PUBLISHED = datetime(2023, 7, 28, 9, 30, tzinfo=UTC)


def mentions(text, language="fr", published=PUBLISHED):
    found = extract_dates(text, published_at=published, language=language)
    return build_mentions(text, found, language=language, version_id="v1",
                          published_at=published)


def by_anchor(ms):
    return [(m.anchor, m.expression, str(m.start), str(m.end)) for m in ms]


def test_a_sentence_without_a_date_takes_the_passage_date_else_the_story_day():
    text = ("Le 26 juillet, des militaires ont renversé le président Mohamed Bazoum à Niamey. "
            "Ils ont ensuite arrêté le ministre Hassoumi Massaoudou dans la capitale.\n\n"
            "Emmanuel Macron a condamné le coup d'État au Niger avec la plus grande fermeté.")
    assert by_anchor(mentions(text)) == [
        ("explicit", "Le 26 juillet", "2023-07-26", "2023-07-26"),
        ("narrative", "arrêté", "2023-07-26", "2023-07-26"),
        # a new passage: the story's day (its first dated sentence, two days before publication)
        ("narrative", "condamné", "2023-07-26", "2023-07-26"),
        # every other event word of a sentence with a mention (event_words.more_event_words);
        # its participants (Macron, Niger) are not the overthrow's, so it is not folded into it
        ("narrative", "coup", "2023-07-26", "2023-07-26"),
    ]


def test_without_a_story_day_a_sentence_takes_the_publication_day():
    text = ("Le 26 mai, des militaires ont renversé le président Mohamed Bazoum à Niamey.\n\n"
            "Emmanuel Macron a condamné le coup d'État au Niger avec la plus grande fermeté.")
    assert by_anchor(mentions(text)) == [
        ("explicit", "Le 26 mai", "2023-05-26", "2023-05-26"),  # two months back: background
        ("publication", "condamné", "2023-07-28", "2023-07-28"),
        ("publication", "coup", "2023-07-28", "2023-07-28"),
    ]


def test_no_anchored_mention_for_the_future_nothing_named_or_a_caption():
    text = ("Emmanuel Macron se rendra au Niger pour rencontrer les militaires du pays.\n\n"
            "Des manifestants ont attaqué le bâtiment dans la soirée avec des pierres.\n\n"
            "Emmanuel Macron rencontre les journalistes\n\n")
    assert mentions(text) == []


def test_without_the_publication_time_only_explicit_mentions():
    text = ("Le 26 juillet, des militaires ont renversé le président Mohamed Bazoum à Niamey. "
            "Ils ont ensuite arrêté le ministre Hassoumi Massaoudou dans la capitale.")
    found = extract_dates(text, published_at=PUBLISHED, language="fr")
    assert [m.anchor for m in build_mentions(text, found, language="fr", version_id="v1")] == [
        "explicit"]


DAY = date(2023, 7, 26)


def ref(vid, offset, anchor, *, entities=("Mohamed Bazoum", "ECOWAS"), kws=("coup", "sanctions"),
        span=(DAY, DAY), published=PUBLISHED):
    m = Mention(mention_id=f"{vid}:{offset}", sentence=f"s{offset}", sentence_start=offset,
                expression=f"x{offset}", start_char=offset, end_char=offset + 1, start=span[0],
                end=span[1], granularity="day" if span[0] == span[1] else "month",
                entities=list(entities), keywords=list(kws), summary=f"{vid} {offset}",
                anchor=anchor)
    return MentionRef(m, vid, f"https://{vid}.example/", "en", published)


def test_a_mention_dated_from_elsewhere_is_an_event_of_its_own():
    explicit = ref("a", 10, "explicit")
    assert compatible(explicit, ref("c", 10, "explicit")) is not None
    for other in (ref("b", 10, "publication"), ref("b", 10, "narrative")):
        assert compatible(explicit, other) is None and features(other.mention) == set()
    month = (date(2023, 7, 1), date(2023, 7, 31))
    group = [ref("a", 10, "explicit", span=month),
             ref("b", 10, "publication", published=PUBLISHED + timedelta(hours=2))]
    events = sorted(resolve_events(group).values(), key=lambda e: e.anchor)
    assert [(e.anchor, e.start, e.end, e.granularity) for e in events] == [
        ("explicit", month[0], month[1], "month"), ("publication", DAY, DAY, "day")]


def test_an_event_takes_its_date_and_summary_from_its_best_anchored_mentions():
    # event_state is a function of any group (both resolution paths use it): a mention dated
    # from elsewhere never gives an explicit group its date or its summary.
    earlier = PUBLISHED - timedelta(hours=3)
    month = (date(2023, 7, 1), date(2023, 7, 31))
    group = [ref("b", 10, "publication", published=earlier), ref("a", 10, "explicit", span=month)]
    event = event_state(group)
    assert (event.anchor, event.start, event.end, event.summary) == (
        "explicit", month[0], month[1], "a 10")


def test_a_verb_the_table_does_not_know_still_makes_an_event_by_its_form():
    english = mentions("Airbus delivered the first A380 superjumbo to Singapore Airlines in Toulouse.",
                       language="en")
    french = mentions("Airbus a livré le premier A380 à la compagnie Singapore Airlines à Toulouse.")
    assert [(m.anchor, m.expression, m.predicate, m.predicate_kind) for m in english + french] == [
        ("publication", "delivered", None, None), ("publication", "livré", None, None)]
    # a table form still comes first, even after an unknown verb
    known = mentions("Boeing engineers walked out and Boeing announced talks with the union leaders.",
                     language="en")
    assert [(m.expression, m.predicate) for m in known] == [
        ("announced", "announce"), ("talks", None),  # and the event noun beside it
        ("walked", None)]  # and every other event word (event_words.more_event_words)


def test_the_headline_repeated_atop_the_text_reports_an_event():
    title = "Airbus launches the A380 superjumbo in Toulouse"
    text = f"{title}\nThe aircraft is the largest airliner built so far, by Airbus."
    found = extract_dates(text, published_at=PUBLISHED, language="en")

    def built(title):
        return [(m.anchor, m.expression) for m in build_mentions(
            text, found, language="en", version_id="v1", title=title, published_at=PUBLISHED)]
    assert built(title) == [("publication", "launches"), ("publication", "built")]
    assert built("Another title") == [("publication", "built")]  # a line without a stop otherwise
