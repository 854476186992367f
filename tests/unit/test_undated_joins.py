"""A mention without a date of its own joins another article's report of the same event.

The rule (`coreference._undated_join`): exactly its dates, the same event word
(`Mention.event_key`), another article, and strong evidence (a name, score at least
`UNDATED_EVIDENCE`). Its borrowed date never dates an explicit event.
"""

import hashlib
import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from processors.analysis.mentions import build_mentions
from processors.analysis.temporal import extract_dates
from processors.resolution.coreference import (
    MentionRef,
    compatible,
    event_id_for,
    features,
    resolve_events,
)
from processors.resolution.interval_index import ActiveMentions
from schemas.articles import Mention

PUBLISHED = datetime(2008, 12, 12, 9, 0, tzinfo=UTC)
DAY = date(2008, 12, 11)
NAMES = ("Bettie Page", "Los Angeles Times")
WORDS = ("pin-up", "icon", "pneumonia")


def ref(vid, offset, anchor, *, key="die", entities=NAMES, kws=WORDS, day=DAY,
        published=PUBLISHED, sentence=None):
    m = Mention(mention_id=f"{vid}:{offset}", sentence=sentence or f"{vid} sentence {offset}",
                sentence_start=offset, expression=f"x{offset}", start_char=offset,
                end_char=offset + 1, start=day, end=day, granularity="day",
                entities=list(entities), keywords=list(kws), summary=f"{vid} {offset}",
                anchor=anchor, event_key=key)
    return MentionRef(m, vid, f"https://{vid}.example/", "en", published)


def events_of(refs):
    return sorted(sorted(m.split(":")[0] + ":" + e.anchor for m in e.mention_ids)
                  for e in resolve_events(refs).values())


def test_an_undated_report_joins_the_dated_event_it_reports():
    dated = ref("a", 10, "explicit")
    for anchor in ("publication", "narrative"):
        undated = ref("b", 20, anchor, published=PUBLISHED + timedelta(hours=5))
        assert compatible(dated, undated) == compatible(undated, dated) is not None
        (event,) = resolve_events([dated, undated]).values()
        # the event keeps the explicit report's date, summary and anchor
        assert (event.anchor, event.start, event.summary) == ("explicit", DAY, "a 10")


def test_two_undated_reports_of_one_event_word_join_as_an_undated_event():
    a, b = ref("a", 10, "publication"), ref("b", 20, "narrative")
    (event,) = resolve_events([a, b]).values()
    assert event.anchor == "narrative"  # shown only when the reader asks for every anchor


def test_no_join_on_another_word_day_article_or_weak_evidence():
    dated = ref("a", 10, "explicit")
    refused = [
        ref("b", 20, "publication", key="marry"),  # another event of the same people
        ref("b", 20, "publication", key=None),  # a verb of saying, or no word known
        ref("b", 20, "publication", day=DAY + timedelta(days=1)),  # published the next day
        ref("a", 20, "publication"),  # its own article: a reference is folded there, if any
        ref("b", 20, "publication", entities=("Bettie Page",), kws=("icon",)),  # 1.5 < 3
        ref("b", 20, "publication", entities=(), kws=WORDS + ("dead", "model")),  # no name
    ]
    for other in refused:
        assert compatible(dated, other) is None, other.mention
        assert len(resolve_events([dated, other])) == 2


def test_the_events_are_a_function_of_the_set():
    later, wedding = DAY + timedelta(days=3), ("wedding", "ceremony")
    refs = [ref("a", 10, "explicit"), ref("b", 20, "publication"), ref("c", 30, "narrative"),
            ref("d", 40, "publication", key="marry", day=later, kws=wedding),
            ref("e", 50, "explicit", key="marry", day=later, kws=wedding),
            ref("f", 60, "narrative", key="marry", kws=wedding)]
    first = events_of(refs)
    assert first == [["a:explicit", "b:explicit", "c:explicit"], ["d:explicit", "e:explicit"],
                     ["f:narrative"]]
    rng = random.Random(7)
    for _ in range(10):
        rng.shuffle(refs)
        assert events_of(refs) == first


def test_undated_reports_are_filed_apart_from_the_dated_ones():
    undated, dated = ref("b", 20, "publication"), ref("a", 10, "explicit")
    assert features(undated.mention) == {"e:Bettie Page|die", "e:Los Angeles Times|die"}
    assert features(dated.mention) >= features(undated.mention) | {"e:Bettie Page", "k:icon"}
    active = ActiveMentions()
    active.add([dated, undated])
    day = DAY.toordinal()
    # a day's size (its settles and its path) counts its dated reports; a settle reads all
    assert active.day_size(day) == 1
    assert sorted(active.day_mentions(day)) == ["a:10", "b:20"]
    assert active.candidates(undated).ids == ["a:10"]
    no_key = replace(undated, mention=undated.mention.model_copy(update={"event_key": None}))
    assert features(no_key.mention) == set()


def test_an_expression_written_twice_in_a_sentence_founds_two_events():
    sentence = "He said the team said nothing."
    first, second = (ref("a", 0, "publication", sentence=sentence), ref("a", 0, "publication"))
    first = replace(first, mention=first.mention.model_copy(
        update={"expression": "said", "start_char": 3, "end_char": 7, "sentence_start": 0}))
    second = replace(second, mention=first.mention.model_copy(
        update={"mention_id": "a:1", "start_char": 17, "end_char": 21}))
    assert event_id_for(first) != event_id_for(second)
    assert len(resolve_events([first, second])) == 2
    # a unique expression keeps the id it always had
    once = ref("a", 5, "explicit")
    m = once.mention
    old = "\x1f".join((once.canonical_url, " ".join(m.sentence.split()), m.expression))
    assert event_id_for(once) == "ev-" + hashlib.sha256(old.encode()).hexdigest()[:16]


def test_the_analysis_gives_each_mention_its_event_word_key():
    text = ("Pin-up icon Bettie Page died on Thursday in Los Angeles, her agent said. "
            "Page was hospitalised with pneumonia before her death.")
    found = extract_dates(text, published_at=PUBLISHED, language="en")
    keys = {(m.anchor, m.expression, m.event_key)
            for m in build_mentions(text, found, language="en", version_id="v1",
                                    published_at=PUBLISHED)}
    # "died" is a form of the table's `kill`; a verb of saying has no key (each statement is
    # its own event); a verb-like word is keyed by its stem
    assert keys == {("explicit", "Thursday", "kill"), ("narrative", "said", None),
                    ("narrative", "hospitalised", "hospitalis")}
