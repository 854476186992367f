"""Who a sentence's subject pronoun stands for (``processors.analysis.pronouns``, issue 12).

One case per rule, each checked to fail with its rule taken out: ``he`` and ``she`` stand for a
person (not the company the sentence before names first); they are subjects after an opening
phrase too ("Speaking to the public he said"), unless a person is named before them; French
« il » is no person rule; a run of 2,000 such sentences keeps its person, in linear time.
"""

from datetime import UTC, datetime

from processors.analysis.mentions import build_mentions
from processors.analysis.participants import Named
from processors.analysis.pronouns import subject_pronoun
from processors.analysis.temporal import extract_dates

PUBLISHED = datetime(2009, 6, 4, 12, 0, tzinfo=UTC)


def mentions(text, language="en"):
    found = extract_dates(text, published_at=PUBLISHED, language=language)
    return build_mentions(text, found, language=language, version_id="v1",
                          published_at=PUBLISHED)


def entities_of(text, word, language="en"):
    return [m.entities for m in mentions(text, language) if m.expression == word]


def never_a_person(name, kind):
    return False


def test_he_and_she_stand_for_a_person_not_the_company_named_first_before_them():
    text = ("Alan Mulally met reporters in New York after the hearing.\n\n"
            "General Motors lost more than a third of its value on the stock market.\n\n"
            "He stated that the plan had the support of the unions and the lenders.")
    assert entities_of(text, "stated") == [["Alan Mulally"]]
    # "it" and "the company" still stand for the first name before them
    company = text.replace("He stated", "The company stated")
    assert entities_of(company, "stated") == [["General Motors"]]
    # a last name alone that the article writes in full is a person: the name as written
    surname = ("Fritz Henderson met reporters in New York after the hearing.\n\n"
               "Henderson described the events of the day as a defining moment.\n\n"
               "General Motors lost more than a third of its value on the stock market.\n\n"
               "He stated that the plan had the support of the unions and the lenders.")
    assert entities_of(surname, "stated") == [["Henderson"]]
    # French « il » is said of a company too (a grammatical gender): no person rule
    french = ("Emmanuel Macron a reçu les syndicats à l'Élysée pour la réforme.\n\n"
              "Le constructeur Renault a perdu un tiers de sa valeur en bourse.\n\n"
              "Il a annoncé une nouvelle réforme des retraites devant les députés.")
    assert entities_of(french, "annoncé", "fr") == [["Renault"]]


def test_he_after_an_opening_phrase_is_still_the_sentence_subject():
    told = ["Speaking to the public he said that the plan had the support of the unions.",
            "In particular, he stated that the government would not run the company.",
            "His plan, he stated, was for the government to become a shareholder."]
    for sentence in told:
        text = "Alan Mulally met reporters in New York after the hearing.\n\n" + sentence
        found = [m.entities for m in mentions(text) if m.sentence == sentence]
        assert found and all("Alan Mulally" in names for names in found), sentence
    # written where the pronoun is: the clause of the word holds the person, so the event is
    # the person's (``Mention.participants``), not only the sentence's
    text = ("Fritz Henderson met reporters in New York after the hearing.\n\n"
            "Responding to fears that the government would run the company, he stated that "
            "the plan was sound.")
    stated = [(m.entities, m.participants) for m in mentions(text) if m.expression == "stated"]
    assert stated == [(["Frederick Henderson"], None)]  # None: the same as its entities


def test_he_after_a_person_named_in_its_sentence_adds_no_one():
    text = ("Alan Mulally met reporters in New York after the hearing.\n\n"
            "John Smith said that he expected the plan to have the support of the unions.")
    assert entities_of(text, "said") == [["John Smith"]]


def test_where_the_subject_pronoun_is():
    sentence = "Speaking to the public he said that the plan was right."
    assert subject_pronoun(sentence, "en", [], never_a_person) == (23, 25, True)
    assert subject_pronoun("  It said so.", "en", [], never_a_person) == (2, 4, False)
    assert subject_pronoun("The index fell.", "en", [], never_a_person) == (0, 9, False)
    # a person named before it, or no pronoun at all
    smith = [Named("John Smith", "person", 0, 10)]
    assert subject_pronoun("John Smith said he would go.", "en", smith,
                           lambda name, kind: kind == "person") is None
    assert subject_pronoun("The plan was approved by the board.", "en", [], never_a_person) is None
    # not in French, where « il » may be a company
    assert subject_pronoun("Selon la presse, il a signé le contrat.", "fr", [],
                           never_a_person) is None


def test_a_long_run_of_pronouns_after_opening_phrases_keeps_its_person_in_linear_time():
    # each sentence's person comes from the sentences before it, made once each in text order
    run = " ".join(f"In the morning he was happy about plan {i}." for i in range(2000))
    text = f"Barack Obama met the board. {run} At noon he signed the contract on 4 May 2009."
    signed = [m.entities for m in mentions(text) if "4 May 2009" in m.expression]
    assert signed == [["Barack Obama"]]
