"""Whose event a word is (issue 12): the names of its clause, not every name of its sentence.

One case per rule of ``processors.analysis.participants``; each fails with its rule taken out:
the word's clause, the sentence's subject for a clause opening with a subject pronoun, a
relative clause set between commas, a comma before "however" or "but" after the word, a clause
that names no one, a name something is compared with, a name after the next predicate; a
word found by its form alone (every event word of a sentence) takes its own subject and object
only; then the mention and the event: an event's entities are its mentions' participants,
while resolution's evidence keeps all the sentence's names.
"""

from datetime import UTC, date, datetime

from processors.analysis.entities import entity_spans
from processors.analysis.mentions import build_mentions
from processors.analysis.participants import Named, arguments, participants
from processors.analysis.temporal import extract_dates
from processors.resolution.bounded import Summary
from processors.resolution.coreference import MentionRef, event_state, features

PUBLISHED = datetime(2009, 6, 4, 12, 0, tzinfo=UTC)


def taking_part(sentence: str, word: str, language: str = "en", whose=participants) -> set[str]:
    """The participants of the first ``word`` of the sentence, with the names the analysis finds."""
    names = [Named(e.name, e.kind, a, b) for e, a, b in entity_spans(sentence, language)]
    at = sentence.index(word)
    return set(whose(sentence, at, at + len(word), names, language))


def test_a_word_takes_the_names_of_its_own_clause():
    sentence = "Singapore Airlines says that Airbus will pay for the delay."
    assert taking_part(sentence, "says") == {"Singapore Airlines"}
    assert taking_part(sentence, "pay") == {"Airbus"}
    # French too: « que » opens the clause of what is said
    sentence = "Airbus a annoncé que Boeing livrera les avions en retard."
    assert taking_part(sentence, "annoncé", "fr") == {"Airbus"}
    assert taking_part(sentence, "livrera", "fr") == {"Boeing"}


def test_a_clause_opening_with_a_subject_pronoun_is_the_subjects_too():
    sentence = "Ryanair announced that it is exercising its options with Boeing."
    assert taking_part(sentence, "exercising") == {"Ryanair", "Boeing"}
    sentence = "Airbus a annoncé qu'il livrera les avions de Singapore Airlines."
    assert taking_part(sentence, "livrera", "fr") == {"Airbus", "Singapore Airlines"}


def test_a_relative_clause_between_commas_does_not_cut_the_clause_around_it():
    sentence = "The carrier Aeroflot, which Boeing supplies, signed the agreement in Paris."
    assert "Aeroflot" in taking_part(sentence, "signed")


def test_a_comma_before_however_or_but_ends_the_clause_after_the_word():
    sentence = "Chrysler filed for bankruptcy on Thursday, however a deal with Fiat went through."
    assert taking_part(sentence, "filed") == {"Chrysler"}
    sentence = "Airbus a livré le premier avion, mais Boeing a annulé la commande."
    assert taking_part(sentence, "livré", "fr") == {"Airbus"}


def test_a_clause_that_names_no_one_gives_no_participant():
    # "he" is someone of another sentence; the name after "that" is what he said it of
    assert taking_part("Speaking to reporters, he said that Boeing would win.", "said") == set()


def test_a_name_something_is_compared_with_takes_no_part():
    assert taking_part("Boeing has received more orders than Airbus this year.", "received") == {
        "Boeing"}


def test_a_name_after_the_next_predicate_is_that_predicates():
    assert taking_part("Boeing received a letter and thanked Airbus.", "received") == {"Boeing"}


def test_a_word_found_by_its_form_takes_its_own_subject_and_object_only():
    sentence = "In May, Aeroflot signed the contract after months of talks stalled by bad relations."
    assert taking_part(sentence, "stalled") == {"Aeroflot"}  # its clause
    assert taking_part(sentence, "stalled", whose=arguments) == set()  # a predicate between
    sentence = "In May, Aeroflot negotiated the purchase of new Boeing jets."
    assert taking_part(sentence, "purchase", whose=arguments) == {"Boeing"}  # its object
    assert taking_part("Ford Motor Company sales dropped 42 percent.", "dropped",
                       whose=arguments) == {"Ford"}  # its subject
    # an infinitive or an -ing participle has its clause's subject
    assert taking_part("The Nikkei dropped 9.62 percent to reach a 20 year low.", "reach",
                       whose=arguments) == {"Nikkei 225"}
    assert taking_part("The Nasdaq Composite lost 53.5 points, closing at 1,387.7.", "closing",
                       whose=arguments) == {"NASDAQ Composite"}
    # a comma ends them: the lawyer's saying is not Lohan's event
    assert taking_part("Lindsay Lohan checked into rehab, her lawyer said.", "said",
                       whose=arguments) == set()


def test_every_event_word_of_a_sentence_is_on_the_timelines_of_its_own_arguments():
    text = "Lindsay Lohan checked into rehab on Tuesday, her lawyer said."
    found = {m.expression: m for m in mentions(text)}
    assert found["Tuesday"].predicate is None  # the stay, not the saying
    assert found["said"].anchor == "narrative" and found["said"].predicate == "say"
    assert found["said"].participants == []  # on no timeline of Lindsay Lohan's
    assert found["said"].entities == ["Lindsay Lohan"]  # evidence: the sentence's names


def mentions(text: str) -> list:
    found = extract_dates(text, published_at=PUBLISHED, language="en")
    return build_mentions(text, found, language="en", version_id="v1", published_at=PUBLISHED)


def test_an_event_names_its_participants_and_resolution_keeps_the_sentences_names():
    text = "Singapore Airlines said on Monday that Airbus would compensate it for the delays."
    said = next(m for m in mentions(text) if m.anchor == "explicit")
    assert said.entities == ["Airbus", "Singapore Airlines"]  # evidence: the sentence's names
    assert said.participants == ["Singapore Airlines"]
    assert {"e:Airbus", "e:Singapore Airlines"} <= features(said)
    ref = MentionRef(mention=said, version_id="v1", canonical_url="https://a.example/1",
                     published_at=PUBLISHED, language="en")
    assert event_state([ref]).entities == ["Singapore Airlines"]
    assert Summary.of([ref]).facts().entities == ["Singapore Airlines"]  # the bounded path too
    assert said.start == date(2009, 6, 1)


def test_a_date_s_names_run_on_through_its_predicate_s_object_and_complement():
    # What a dated predicate is about is still its event: the object noun after a determiner,
    # an infinitive complement, a participle qualifying a title and name.
    sentence = "On Sunday the leaders gave the junta a week to reinstate ousted President Mohamed Bazoum."
    assert "Mohamed Bazoum" in taking_part(sentence, "gave")
    sentence = "On Monday the White House denounced the visit of Sergei Shoigu to North Korea."
    assert "Sergei Shoigu" in taking_part(sentence, "denounced")
    assert taking_part("Boeing received a letter and thanked President Obama.", "received") \
        == {"Boeing"}  # a coordinated verb is a new predicate
