"""The event word a sentence reports, by form (issue 12: the word the SemEval scorer counts).

Each case is one rule of ``processors.analysis.predicates`` (``verb_like``, ``main_predicate``,
``dated_predicate``); without that rule the word found is another one, or none.
"""

import pytest

from processors.analysis.predicates import Predicate, dated_predicate, main_predicate


def word(sentence: str, language: str = "en") -> str | None:
    found = main_predicate(sentence, language)
    return None if found is None else sentence[found.start:found.end]


def dated_word(sentence: str, expression: str, language: str | None = "en") -> str | None:
    at = sentence.index(expression)
    found = dated_predicate(sentence, at, at + len(expression), language)
    return None if found is None else sentence[found.start:found.end]


@pytest.mark.parametrize(("sentence", "expected"), [
    # a capitalised word inside a sentence is a name, not the verb after "to"
    ("Orders from Ryanair to Boeing doubled in a single quarter.", "doubled"),
    # adverbs between an auxiliary and its verb
    ("Boeing will also sell its plant in Kansas to investors.", "sell"),
    # a superlative after a copula is not the verb; the verb after it is
    ("Chrysler was hardest hit among the carmakers of the country.", "hit"),
    # a comparative after a copula is no verb, and a plural subject before it no headline verb
    ("European markets were lower on news of the rescue package.", None),
    # a headline writes what happened in the present, right after the name that did it
    ("Boeing delivers final 717 to AirTran, ending Douglas era", "delivers"),
    ("Boeing pushes back 737 replacement development", "pushes"),
    # an event noun that is the subject of the verb is the event: the verb says what became of it
    ("The deal was approved unanimously by the board of directors.", "deal"),
    ("Airbus A380 test flight delayed after accident", "flight"),
    # but not across "to": the noun before an infinitive is not its subject
    ("A restructuring plan to relieve the carmaker came too late.", "relieve"),
    # a past participle right after a word that opens a noun phrase is an adjective
    ("Workers at the idled plants will still be receiving their pay.", "receiving"),
    # an -ing word after "to" is no infinitive ("in response to growing losses")
    ("In response to growing losses, the carmaker cut its production.", "cut"),
    # "is believed to": the event is the infinitive's verb; "-tive" words are adjectives;
    # "when asked" is a reduced clause; "both" stands between an auxiliary and its verb
    ("The aircraft is thought to have attracted many orders.", "attracted"),
    ("When asked about it, Carson replied that he was proud.", "replied"),
    ("General Motors and Chrysler have both begun to offer layoff packages.", "begun"),
    # a number between "to" and a word: no infinitive
    ("Profits equal to 26 cents per share for the company.", None),
    # French: a participle after an auxiliary, over an adverb
    ("Airbus a finalement livré le premier appareil à la compagnie.", "livré"),
])
def test_the_word_an_undated_sentence_reports(sentence, expected):
    assert word(sentence, "fr" if " a finalement " in sentence else "en") == expected


def test_a_table_form_used_as_a_noun_yields_to_a_later_verb():
    sentence = "In a statement, the airline said the delays are disappointing."
    found = main_predicate(sentence, "en")
    assert found is not None
    assert (sentence[found.start:found.end], found.predicate) == ("said", Predicate("say", "report"))
    # alone, the noun is still the sentence's predicate
    alone = "The statement of the airline came late in the evening."
    found = main_predicate(alone, "en")
    assert found is not None and alone[found.start:found.end] == "statement"


def test_a_dated_expression_without_a_table_form_dates_the_nearest_verb_of_its_clause():
    sentence = "The Brazilian Bovespa index today went up by 14 percent, while others fell."
    assert dated_word(sentence, "today") == "went"
    assert dated_word(sentence, "today", language=None) is None  # the table alone knows none
    assert dated_word("Ford sales dropped 42 percent last month from the year before.",
                      "last month") == "sales"


def test_the_colon_of_a_time_of_day_opens_no_clause():
    sentence = "General Motors filed for bankruptcy at 12:00 UTC Monday in a federal court."
    assert dated_word(sentence, "Monday") == "filed"
    said = "The ministry said at 10:00 GMT on Monday that the talks had failed."
    at = said.index("Monday")
    found = dated_predicate(said, at, at + len("Monday"))
    assert found is not None and found.predicate == Predicate("say", "report")
    # a colon between words still ends a clause
    assert dated_word("The chief executive said: on Monday the plant closed.", "Monday") == "closed"


@pytest.mark.parametrize(("sentence", "expression", "language", "expected"), [
    # a date after its verb is that verb's, not a verb of saying after a comma
    ("Lindsay Lohan checked into rehab on Tuesday, her lawyer said.", "on Tuesday", "en",
     "checked"),
    ("Lohan est entrée en cure mardi, a indiqué son avocat.", "mardi", "fr", "entrée"),
    # a table form after a nearer verb-like word: the date modifies the nearer one
    ("GM said it will cut 13,000 jobs in 2010.", "in 2010", "en", "cut"),
    # a relative clause's date is its verb's
    ("Lohan, who checked into rehab on Tuesday, said she was fine.", "on Tuesday", "en",
     "checked"),
    # a verb of saying keeps the date that is its own
    ("The White House said on Monday that Kim expects to travel to Russia this month.",
     "on Monday", "en", "said"),
    ("La Maison Blanche a indiqué lundi 4 septembre que Kim se rendrait en Russie ce mois-ci.",
     "lundi 4 septembre", "fr", "indiqué"),
    ("On Tuesday, her lawyer said Lohan checked into rehab.", "On Tuesday", "en", "said"),
    # a participle set between commas is an aside, not the verb a leading date modifies
    ("On Monday, Airbus, delayed by strikes, signed the deal.", "On Monday", "en", "signed"),
])
def test_a_date_dates_the_predicate_it_modifies(sentence, expression, language, expected):
    assert dated_word(sentence, expression, language) == expected
