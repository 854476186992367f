"""Several events per sentence, and who and when an undated sentence speaks of (issue 12).

One case per rule of ``processors.analysis.mentions`` and ``predicates.event_words``; each fails
with its rule taken out: the co-events of a sentence (event nouns, the verb of what is said),
a sentence with only a time of day dated like an undated one, the name a subject pronoun stands
for, and the story's day for an undated past sentence.
"""

from datetime import UTC, datetime

from processors.analysis.mentions import build_mentions
from processors.analysis.predicates import event_words
from processors.analysis.temporal import extract_dates
from processors.resolution.coreference import features

PUBLISHED = datetime(2009, 6, 4, 12, 0, tzinfo=UTC)


def mentions(text, language="en", published=PUBLISHED):
    found = extract_dates(text, published_at=published, language=language)
    return build_mentions(text, found, language=language, version_id="v1",
                          published_at=published)


def words(sentence, language="en"):
    return [sentence[f.start:f.end] for f in event_words(sentence, language)]


def test_the_event_words_of_a_sentence_are_its_event_nouns_and_what_is_said():
    assert words("General Motors filed for bankruptcy and Chapter 11 protection on Monday.") == [
        "bankruptcy"]
    assert words("Singapore Airlines says that it will be compensated by Airbus for the delay.") == [
        "compensated"]
    assert words("China Eastern stated on Thursday that it had agreed a contract to purchase "
                 "twenty jets.") == ["agreed", "purchase"]  # the contract is what was agreed
    assert words("Airbus a confirmé la livraison du premier A380 à Singapore Airlines.", "fr") == [
        "livraison"]
    assert words("The plane flew to Toulouse for the ceremony.") == []


def test_a_result_noun_or_a_noun_modifying_the_next_is_no_event_of_its_own():
    # the event is winning the order, which the sentence's verb reports
    assert words("Airbus has won an order from Qatar Airways for sixty jets.") == []
    # "the bankruptcy filing" is the filing; "sales dropped" is an event noun as a subject
    assert words("The bankruptcy filing indicated that Chrysler was in debt.") == []
    assert words("George Pipas, director of sales analysis at Ford, said so.") == []
    assert words("Industry-wide car sales dropped last year.") == ["sales"]


def test_a_dated_sentence_reports_its_other_events_at_its_date_found_by_their_own_word():
    text = "Ford said on Monday that it posted a net profit of $997 million."
    found = [(m.anchor, m.expression, str(m.start), m.entities) for m in mentions(text)]
    assert found == [
        ("explicit", "Monday", "2009-06-01", ["Ford"]),
        ("narrative", "posted", "2009-06-01", ["Ford"]),
        ("narrative", "profit", "2009-06-01", ["Ford"]),
    ]
    # found only by reports of the same event word that share a name (coreference._undated_join)
    assert [features(m) for m in mentions(text)[1:]] == [{"e:Ford|post"}, {"e:Ford|profit"}]


def test_an_undated_sentence_reports_its_other_events_with_its_anchor():
    text = "General Motors filed for bankruptcy and Chapter 11 protection in a New York court."
    assert [(m.anchor, m.expression, str(m.start)) for m in mentions(text)] == [
        ("publication", "filed", "2009-06-04"), ("publication", "bankruptcy", "2009-06-04")]


def test_a_time_of_day_names_no_day_so_its_sentence_is_dated_like_an_undated_one():
    text = "The Dow Jones was up 3.10 % at 14:58 UTC, after the Federal Reserve acted."
    assert [(m.anchor, m.expression, str(m.start)) for m in mentions(text)] == [
        ("publication", "acted", "2009-06-04")]


def test_a_subject_pronoun_stands_for_the_first_name_of_the_sentence_before():
    text = ("Alan Mulally met reporters in New York after the hearing.\n\n"
            "He stated that the plan had the support of the unions and the lenders.")
    stated = [m for m in mentions(text) if m.expression == "stated"]
    assert [m.entities for m in stated] == [["Alan Mulally"]]
    french = ("Emmanuel Macron a reçu les syndicats à l'Élysée pour la réforme.\n\n"
              "Il a annoncé une nouvelle réforme des retraites devant les députés.")
    annonce = [m for m in mentions(french, "fr") if m.expression == "annoncé"]
    assert [m.entities for m in annonce] == [["Emmanuel Macron"]]
    impersonal = french.replace("Il a annoncé une nouvelle réforme des retraites devant les députés.",
                                "Il s'agit d'une réforme qui a été votée par les députés en séance.")
    assert [m.entities for m in mentions(impersonal, "fr") if m.sentence.startswith("Il")] == []


def test_an_undated_past_sentence_happened_on_the_story_day():
    text = ("Alan Mulally outlined a plan for the company on June 1st in New York.\n\n"
            "Alan Mulally described the events of the day as a defining moment for the company.")
    described = [(m.anchor, str(m.start)) for m in mentions(text) if m.expression == "described"]
    assert described == [("narrative", "2009-06-01")]
    dateline = "June 01, 2009\n\n" + text.split("\n\n")[1]  # a date alone names no one
    described = [(m.anchor, str(m.start)) for m in mentions(dateline)
                 if m.expression == "described"]
    assert described == [("publication", "2009-06-04")]


def test_a_deadline_the_article_has_not_reached_dates_no_event():
    # a goal or a forecast: "by 2017" is when it should be done, not when anything happened
    text = "General Motors says it might be able to repay all its loans by 2017."
    assert [m.expression for m in mentions(text)] == []
    french = "Renault a annoncé qu'il fermerait son usine de Flins d'ici 2030."
    assert [m.expression for m in mentions(french, "fr")] == []
    # a date reached, or a date that is no deadline, still dates its event
    assert [m.expression for m in mentions("General Motors repaid its loans by April 2009.")] == [
        "April 2009"]
    assert [m.expression for m in mentions("General Motors will repay its loans in 2017.")] == [
        "2017"]


def test_a_verb_under_a_modal_or_a_negation_reports_no_event():
    # what may, could or did not happen is no event of a timeline
    assert [m.expression for m in mentions("Fiat can assume the majority of the ownership "
                                           "upon repayment of the loans.")] == []
    assert [m.expression for m in mentions("We do not exclude any option for the Chrysler "
                                           "Group and for DaimlerChrysler.")] == []
    assert [m.expression for m in mentions("Boeing announced that it would cancel the 717 "
                                           "programme after the last orders.")] == ["announced"]
    assert [m.expression for m in mentions("Renault n'a pas signé le contrat avec Nissan pour "
                                           "la nouvelle usine.", "fr")] == []
    # what happened, or is stated to happen, still does
    assert [m.expression for m in mentions("Fiat assumed the majority of the ownership upon "
                                           "repayment of the loans.")] == ["assumed"]
    # a date still dates its sentence's event: reports of one story link through it (ECB+)
    assert [m.expression for m in mentions("Ford can make it through 2009 without aid.")] == [
        "2009"]
    assert [m.expression for m in mentions("Boeing announced that it will cancel the 717 "
                                           "programme after the last orders.")] == [
        "announced", "cancel"]
    assert [m.expression for m in mentions("Renault a signé le contrat avec Nissan pour la "
                                           "nouvelle usine.", "fr")] == ["signé"]


def test_a_last_name_alone_is_the_person_the_article_names_in_full():
    text = ("Fritz Henderson, the chief executive of General Motors, met reporters in New York.\n\n"
            "Speaking to the press, Henderson described the plan as a defining moment.")
    described = [(m.entities, m.participants) for m in mentions(text) if m.expression == "described"]
    # whose event it is (the timelines it is on); resolution's evidence keeps the name written
    assert described == [(["Henderson"], ["Frederick Henderson"])]
    # two persons of one last name: the name alone may be either
    two = text.replace("met reporters", "met John Henderson and reporters")
    described = [(m.entities, m.participants) for m in mentions(two) if m.expression == "described"]
    assert described == [(["Henderson"], None)]


def test_a_run_of_subject_pronouns_keeps_the_name_the_first_one_stands_for():
    told = ["He stated that the plan had the support of the unions and the lenders.",
            "He emphasized that the plan was the right one for the unions and the lenders.",
            "He added that the process would be quick for the unions and the lenders.",
            "He stressed that speed mattered to the unions and the lenders above all."]
    text = "\n\n".join(["Alan Mulally met reporters in New York after the hearing.", *told])
    stressed = [m.entities for m in mentions(text) if m.expression == "stressed"]
    assert stressed == [["Alan Mulally"]]  # four sentences on, beyond the three looked back
    # sentences that name no one through a pronoun pass no one on
    plain = text.replace("He stated", "The report stated").replace(
        "He emphasized", "The report emphasized").replace("He added", "The report added")
    assert [m.entities for m in mentions(plain) if m.expression == "stressed"] == []


def test_a_long_run_of_subject_pronouns_is_analysed_without_recursing_through_it():
    # each sentence's person is made from the sentences before it, in text order: before, the
    # last sentence asked for the one before it, and so on down the run (RecursionError at 300)
    run = " ".join(f"He was happy about plan {i}." for i in range(2000))
    text = f"Barack Obama met the board. {run} He signed the contract on 4 May 2009."
    signed = [m.entities for m in mentions(text) if "4 May 2009" in m.expression]
    assert signed == [["Barack Obama"]]
