"""Who a definite description stands for (``processors.analysis.descriptions``, issue 12).

One sentence pair per rule, each checked to fail with its rule taken out: "the plane" stands
for the thing the sentence before names (not the airline it names first, nor a place), and a
sentence that names nothing else gets a mention through it; « l'appareil » likewise in French;
a company noun stands for no one, and "the aircraft maker" is no plane; not a description
followed by a name, nor one after a preposition; the verb after a description is an event of
its thing; a run of 2,000 such sentences keeps its thing,
in linear time.
"""

from datetime import UTC, datetime
from functools import partial

from processors.analysis.descriptions import definite_descriptions
from tests.unit.test_co_events import mentions as mentions_published

PUBLISHED = datetime(2007, 9, 1, 12, 0, tzinfo=UTC)
DELIVERED = "Singapore Airlines took delivery of the first Airbus A380 in Toulouse on 15 August 2007."
mentions = partial(mentions_published, published=PUBLISHED)


def names_in(text, sentence, language="en"):
    return [m.entities for m in mentions(text, language) if m.sentence == sentence]


def test_the_plane_stands_for_the_thing_named_before_not_the_airline_named_first():
    left = "The plane left four hours after its scheduled departure, carrying 150 passengers."
    found = names_in(f"{DELIVERED}\n\n{left}", left)
    assert found and all(names == ["Airbus A380"] for names in found)
    # without the description the sentence names no one and gives no event
    assert names_in(f"{DELIVERED}\n\nIt left four hours late, carrying 150 passengers.",
                    "It left four hours late, carrying 150 passengers.") != [["Airbus A380"]]


def test_a_run_of_descriptions_keeps_its_thing():
    run = ("The aircraft was towed to the hangar for an inspection of its wings.\n\n"
           "The jet then left for Sydney with 450 passengers on board that evening.")
    found = names_in(f"{DELIVERED}\n\n{run}", run.split("\n\n")[1])
    assert found and all("Airbus A380" in names for names in found)


def test_l_appareil_stands_for_the_thing_named_before_in_french():
    text = ("Air France a reçu son premier Airbus A380 à Toulouse le 15 août 2007.\n\n"
            "L'appareil a décollé avec quatre heures de retard, avec 150 passagers à bord.")
    found = names_in(text, text.split("\n\n")[1], "fr")
    assert found and all("Airbus A380" in names for names in found)


def test_company_nouns_stand_for_no_one_and_the_aircraft_maker_is_no_plane():
    maker = "The aircraft maker said that deliveries would resume after the inspection."
    assert definite_descriptions(maker, "en")[0].kinds == frozenset({"-"})
    found = names_in(f"{DELIVERED}\n\n{maker}", maker)
    assert all("Airbus A380" not in names for names in found)


def test_not_a_description_before_a_name_nor_after_a_preposition():
    assert definite_descriptions("The index fell by 3%.", "en")[0][:2] == (0, 9)
    assert definite_descriptions("the massive airliner", "en")[0][:2] == (0, 20)
    assert definite_descriptions("The index Nikkei 225 fell.", "en") == []  # apposition
    assert definite_descriptions("It is the largest fall in the history of the index.", "en") == []
    assert definite_descriptions("The Plane Company said so.", "en") == []  # a name, in capitals


def test_a_description_after_its_own_sentence_names_a_thing_adds_nothing():
    sentence = "The Boeing 787 made its first flight, and the aircraft landed three hours later."
    found = names_in(f"{DELIVERED}\n\n{sentence}", sentence)
    assert found and all("Airbus A380" not in names for names in found)


def test_a_long_run_of_descriptions_keeps_its_thing_in_linear_time():
    # each sentence's thing comes from the sentences before it, made once each in text order
    run = " ".join(f"After test {i}, the aircraft was towed back." for i in range(2000))
    text = f"{DELIVERED} {run} The plane left for Sydney on 25 October 2007."
    left = [m.entities for m in mentions(text) if "25 October 2007" in m.expression]
    assert left == [["Airbus A380", "Sydney"]]


def test_the_verb_after_a_description_is_an_event_of_its_thing():
    # the sentence's own predicate is the ceremony's; "leaving" is the plane's
    sentence = "The ceremony was delayed by an hour, as the aircraft was leaving the hangar."
    found = [(m.expression, m.participants or m.entities)
             for m in mentions(f"{DELIVERED}\n\n{sentence}") if m.sentence == sentence]
    assert ("leaving", ["Airbus A380"]) in found
