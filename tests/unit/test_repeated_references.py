"""Every event word of a sentence, the opening headline, and an article's repeated references to
one event folded into one mention (issue 12, ECB+ mention level).

Each test fails with its rule taken out: ``event_words.more_event_words`` (table forms, verbs by
form, nouns of the article's own verbs), ``event_words.event_key`` (a verb and its
nominalisation share a key), ``references.join_repeated`` (folded when the key is the same and
the participants fit, never a dated mention nor a verb of saying), and the opening line read
as a headline (``mentions.undated``).
"""

from datetime import UTC, datetime

from processors.analysis.event_words import event_key, more_event_words, verb_keys
from processors.analysis.mentions import build_mentions
from processors.analysis.temporal import extract_dates

PUBLISHED = datetime(2013, 5, 3, 12, 0, tzinfo=UTC)


def mentions(text, language="en"):
    found = extract_dates(text, published_at=PUBLISHED, language=language)
    return build_mentions(text, found, language=language, version_id="v1", published_at=PUBLISHED)


def words(sentence, verbs=frozenset(), language="en"):
    return [sentence[f.start:f.end] for f in more_event_words(sentence, language, verbs)]


def test_a_verb_and_its_nominalisation_share_a_key():
    assert event_key("killed", "en") == event_key("killing", "en") == event_key("kills", "en")
    assert event_key("elected", "en") == event_key("election", "en")
    assert event_key("stopped", "en") == event_key("stop", "en")
    assert event_key("shooting", "en") == event_key("shot", "en")  # an irregular past, its base
    assert event_key("arrestation", "fr") == event_key("arrestations", "fr")


def test_every_event_word_of_a_sentence():
    # a table form, a verb by its form
    assert words("Police said the man was arrested near the court.") == ["said", "arrested"]
    # a noun is an event when the article uses it as a verb
    sentence = "The murder shocked the town."
    assert words(sentence) == ["shocked"]
    verbs = verb_keys(["He murdered his neighbour.", sentence], "en")
    assert words(sentence, verbs) == ["murder", "shocked"]
    assert words("Le suspect a été arrêté lundi.", language="fr") == ["arrêté"]
    # an -ing noun after a determiner or a preposition
    assert words("Police arrived soon after the shooting.") == ["arrived", "shooting"]


def test_a_later_reference_to_an_event_is_folded_into_its_first_mention():
    text = ("Gunman Jon Smith shot three people at the mall on Monday.\n"
            "Smith fired eleven times before he fled.\n"
            "The firing by Smith lasted two minutes, police told reporters.")
    found = mentions(text)
    fired = [m for m in found if m.expression == "fired"]
    assert len(fired) == 1
    assert [r.expression for r in fired[0].references] == ["firing"]
    assert not any(m.expression == "firing" for m in found)  # no mention of its own
    said = [m for m in found if m.expression == "told"]
    assert [r.expression for r in said[0].references] == []


def test_different_participants_or_a_date_of_its_own_keep_two_events():
    text = ("Police killed a suspect, Jon Smith, in Dallas.\n"
            "In Austin, Bob Jones killed three people.")
    killed = [m for m in mentions(text) if m.expression == "killed"]
    assert len(killed) == 2 and not any(m.references for m in killed)
    text = ("Jon Smith was arrested on Monday in Dallas.\n"
            "Jon Smith was arrested again on Friday.")
    dated = [m for m in mentions(text) if m.anchor == "explicit"]
    assert len(dated) == 2 and not any(m.references for m in dated)


def test_the_opening_line_of_a_text_reads_as_its_headline():
    text = ("Lindsay Lohan checks into Betty Ford Center\n"
            "The actress checked into the clinic in California, her lawyer said.")
    assert "checks" in [m.expression for m in mentions(text)]
    # not a later line without a final stop
    text = ("The actress checked into the clinic in California, her lawyer said.\n"
            "Lindsay Lohan checks into Betty Ford Center")
    assert "checks" not in [m.expression for m in mentions(text)]
