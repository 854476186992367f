"""Boilerplate removal on the seed scrape and on the dev set's HTML copy."""

import json
from pathlib import Path

import pytest

from processors.analysis.clean import boilerplate_rules, clean_article

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SEED = json.loads((EXAMPLES / "seed-rtl-2023-09-04.json").read_text(encoding="utf-8"))
DEV = [json.loads(line) for line in (EXAMPLES / "niger-2023.jsonl").read_text().splitlines()]

SEED_STORY_STARTS = [
    "La Maison Blanche a indiqué lundi 4 septembre que le leader nord-coréen",
    "Lundi 4 septembre, la Maison-Blanche a indiqué",
    "\"Comme nous l'avons déjà dit publiquement",
    "Le 30 août dernier, le porte-parole en chef",
    'Des armements "utilisés contre l\'Ukraine" ?',
    "John Kirby avait révélé",
    "La Maison-Blanche a de nouveau dénoncé",
    "Pour Washington, de tels accords",
]
SEED_BOILERPLATE = [
    "Accueil",
    "1 min de lecture",
    "19 janvier 2022",
    "Crédit",
    "KCNA",
    "Damien Renoulet",
    "newsletter",
    "Newsletter",
    "À écouter aussi",
    "La rédaction vous recommande",
    "À lire aussi",
    "boîte mail",
    "En Direct",
    "Bienvenue sur RTL",
    "notifications",
    "Autoriser",
    "Rejoignez",
    "Je crée mon compte",
    "souhaiterait-il rencontrer",
]


def clean(article):
    return clean_article(text=article.get("text"), html=article.get("html"), language=article["language"])


def test_seed_keeps_every_story_paragraph_and_nothing_else():
    cleaned = clean(SEED)
    paragraphs = cleaned.text.split("\n\n")
    assert cleaned.source == "text"
    assert [p[: len(s)] for p, s in zip(paragraphs, SEED_STORY_STARTS, strict=True)] == SEED_STORY_STARTS
    for fragment in SEED_BOILERPLATE:
        assert fragment not in cleaned.text, fragment
    assert paragraphs[-1].endswith("depuis le début de l'invasion russe de l'Ukraine")
    assert cleaned.removed_lines >= 20


def test_seed_story_paragraphs_are_intact():
    raw_paragraphs = {" ".join(p.split()) for p in SEED["text"].split("\n\n")}
    for paragraph in clean(SEED).text.split("\n\n"):
        assert paragraph in raw_paragraphs


def test_html_copy_gives_its_three_story_paragraphs():
    cleaned = clean(DEV[3])
    assert cleaned.source == "html"
    paragraphs = cleaned.text.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[0].startswith("Plusieurs milliers de manifestants")
    assert paragraphs[2].endswith("renversé le président Mohamed Bazoum.")
    for fragment in [
        "Actu Régions",
        "Les plus lus",
        "À lire aussi",
        "Publié le",
        "Lecture",
        "Partager",
        "Recevez",
        "avec AFP",
        "Niger : des manifestants",
    ]:
        assert fragment not in cleaned.text, fragment


@pytest.mark.parametrize("index", [1, 2, 4, 5, 6, 7])
def test_clean_dev_articles_are_left_whole(index):
    article = DEV[index]
    cleaned = clean(article)
    assert cleaned.text == "\n\n".join(" ".join(p.split()) for p in article["text"].split("\n\n"))
    assert cleaned.removed_lines == 0


def test_headline_repeated_as_first_line_is_removed():
    cleaned = clean(DEV[0])
    assert cleaned.text.startswith("Des militaires ont annoncé mercredi soir")
    assert cleaned.removed_lines == 1


def test_title_argument_removes_the_repeated_title():
    text = "Un titre court\n\nUn titre court\n\nLe texte de l'article, assez long pour compter."
    cleaned = clean_article(text=text, html=None, language="fr", title="Un titre court")
    assert cleaned.text == "Le texte de l'article, assez long pour compter."


def test_scripts_and_styles_never_reach_the_text():
    html = (
        "<html><head><style>p{color:red}</style><script>var secret = 1;</script></head><body>"
        "<p>Un paragraphe de l'article.</p><script>track('x')</script>"
        "<noscript>Activez JS</noscript>"
        "</body></html>"
    )
    cleaned = clean_article(text=None, html=html, language="fr")
    assert "Un paragraphe de l'article." in cleaned.text
    for fragment in ["secret", "track", "color", "Activez"]:
        assert fragment not in cleaned.text


def test_english_boilerplate():
    text = (
        "3 min read\nShare this article\n\nSoldiers detained the president on Wednesday.\n\n"
        "Photo of the palace gate, Niamey\nPhoto: AFP\n\nSign up for our newsletter\n"
        "Reporting by Jane Doe; Editing by John Roe\n© 2023 Example Wire. All rights reserved."
    )
    cleaned = clean_article(text=text, html=None, language="en")
    assert cleaned.text == "Soldiers detained the president on Wednesday."


def test_credit_with_licence_and_its_caption_go():
    text = (
        "Le texte de l'article, avec sa phrase.\n\nLe palais présidentiel à Niamey\n"
        "Photo (cc) : svenwerk\n\nLa suite de l'article."
    )
    cleaned = clean_article(text=text, html=None, language="fr")
    assert cleaned.text == "Le texte de l'article, avec sa phrase.\n\nLa suite de l'article."


def test_english_lines_that_only_look_like_boilerplate_stay():
    text = "Updated figures show prices rose sharply in March\n\nShare prices fell on Monday."
    cleaned = clean_article(text=text, html=None, language="en")
    assert cleaned.text == text


def test_hard_wrapped_plain_text_is_rejoined():
    text = "Les militaires ont annoncé mercredi\nsoir avoir renversé le président.\nUne autre ligne."
    cleaned = clean_article(text=text, html=None, language="fr")
    assert cleaned.text == (
        "Les militaires ont annoncé mercredi soir avoir renversé le président.\n\nUne autre ligne."
    )


def test_empty_inputs():
    assert clean_article(text=None, html=None, language=None).text == ""
    assert clean_article(text="", html="   ", language="fr").text == ""


def test_rule_table_loads_for_both_languages():
    languages = {rule.language for rule in boilerplate_rules()}
    assert {"fr", "en", "*"} <= languages


def _cleaned_line(line: str) -> str:
    text = ("Un premier paragraphe de l'article, assez long pour compter comme texte.\n\n" + line
            + "\n\nLa suite de l'article, elle aussi assez longue pour compter.")
    return clean_article(text=text, html=None, language="fr").text


@pytest.mark.parametrize("line", [
    "Par Jeanne Martin Publié le 12 mars 2014 à 10h05 - Mis à jour le 13 mars 2014 à 08h12",
    "Le Journal avec AFP Publié le 08 février 2014 à 12h58 - Mis à jour le 08 février 2014",
    "— Mis à jour le 01/12/14 à 11h46",
    "Publié le 19 mai 2014 par Jean Dupont - Article du nº 31",
    "Mis à jour le 27/06/2014 | 10:45publié le 27/06/2014 | 10:44",
    "Daté du mardi 3 juin",
])
def test_a_byline_led_by_its_author_or_a_dash_and_a_print_stamp_are_dropped(line):
    # Scraped pages carry them; each gave the timeline an event on the page's own day.
    assert line not in _cleaned_line(line)


@pytest.mark.parametrize("line", [
    "Le rapport, publié le 3 juin par l'ONU, dénonce des exactions.",
    "Dans un communiqué daté du 5 juin, la FAO tire la sonnette d'alarme.",
    "Le rapport publié le 3 juin à Genève accable le régime",  # a headline: no stop
    "Le rapport publié le 3 juin accable le régime",
])
def test_a_sentence_or_a_headline_with_a_publication_date_stays(line):
    assert line in _cleaned_line(line)
