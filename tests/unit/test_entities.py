"""Entities and keywords of seed and dev-set sentences."""

import json
from pathlib import Path

import pytest

from processors.analysis.clean import clean_article
from processors.analysis.entities import (
    Entity,
    canonical_entity,
    entity_key,
    extract_entities,
    keywords,
    known_names,
)
from processors.analysis.sentences import split_sentences

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def names(sentence, language="fr"):
    return [entity.name for entity in extract_entities(sentence, language)]


@pytest.mark.parametrize(
    ("sentence", "language", "expected"),
    [
        (
            "Lundi 4 septembre, la Maison-Blanche a indiqué que le dirigeant nord-coréen "
            "Kim Jong-Un souhaite rencontrer Vladimir Poutine.",
            "fr",
            ["White House", "Kim Jong Un", "Vladimir Putin"],
        ),
        ("La Maison Blanche a indiqué lundi 4 septembre", "fr", ["White House"]),
        (
            "la visite du ministre russe de la Défense Sergueï Choïgou en Corée du Nord",
            "fr",
            ["Sergei Shoigu", "North Korea"],
        ),
        (
            "a précisé Adrienne Watson, porte-parole du Conseil de sécurité nationale de la Maison-Blanche.",
            "fr",
            ["Adrienne Watson", "National Security Council", "White House"],
        ),
        (
            '"violeraient les résolutions du Conseil de sécurité" contre la Corée du Nord',
            "fr",
            ["UN Security Council", "North Korea"],
        ),
        (
            "Pour Washington, de tels accords entre Moscou et Pyongyang",
            "fr",
            ["United States", "Moscow", "Pyongyang"],
        ),
        (
            "avait ajouté l'ambassadrice américaine à l'ONU, Linda Thomas-Greenfield.",
            "fr",
            ["United Nations", "Linda Thomas-Greenfield"],
        ),
        ("Le 30 août dernier, le porte-parole", "fr", []),
        ('Des armements "utilisés"', "fr", []),
        (
            "Mi-août dernier, le président Poutine et la Corée du Nord",
            "fr",
            ["Vladimir Putin", "North Korea"],
        ),
        (
            "Réunis au sein du Conseil national pour la sauvegarde de la patrie (CNSP), les militaires",
            "fr",
            ["CNSP"],
        ),
        (
            "The Economic Community of West African States (ECOWAS) imposed sanctions",
            "en",
            ["ECOWAS"],
        ),
        ("l'activation de la force en attente de la Cédéao au Niger", "fr", ["ECOWAS", "Niger"]),
        (
            "General Abdourahamane Tiani, the head of the guard, declared himself leader",
            "en",
            ["Abdourahamane Tiani"],
        ),
        (
            "ABUJA (Example Wire) - West African leaders on Sunday gave Niger's military junta one week",
            "en",
            ["Abuja", "Example Wire", "Niger"],
        ),
        (
            "The United States and France have said they do not recognise the new authorities.",
            "en",
            ["United States", "France"],
        ),
        (
            "Des milliers de manifestants ont attaqué dimanche l'ambassade de France à Niamey",
            "fr",
            ["French embassy", "Niamey"],
        ),
        ("Ces manifestations interviennent après le coup d'Etat du 26 juillet", "fr", []),
        (
            "On Monday, the junta named former finance minister Ali Mahaman Lamine Zeine as prime minister.",
            "en",
            ["Ali Mahaman Lamine Zeine"],
        ),
        ("Il a rencontré un diplomate et nous a dit que la France partait.", "fr", ["France"]),
    ],
)
def test_expected_canonical_entities(sentence, language, expected):
    assert names(sentence, language) == expected


def test_entity_carries_surface_and_kind():
    assert extract_entities("Lundi, Sergueï Choïgou est arrivé à Pyongyang.", "fr") == [
        Entity("Sergei Shoigu", "person", "Sergueï Choïgou"),
        Entity("Pyongyang", "place", "Pyongyang"),
    ]


def test_unknown_names_and_acronyms():
    found = extract_entities("Le colonel-major Amadou Diallo a lu un texte du CNRD à Conakry.", "fr")
    assert [(e.name, e.kind) for e in found] == [
        ("Amadou Diallo", "person"),
        ("CNRD", "organisation"),
        ("Conakry", "other"),
    ]


def test_unknown_single_word_at_sentence_start_is_not_an_entity():
    assert names("Selon lui, rien ne change.") == []
    assert names("Hier soir, Bazoum a parlé.") == ["Mohamed Bazoum"]


def test_acronym_aliases_need_capitals():
    assert names("Il a vu un échange avec nous et us.", "fr") == []
    assert names("The US and the UN agreed.", "en") == ["United States", "United Nations"]


@pytest.mark.parametrize(
    ("variants", "canonical"),
    [
        (
            [
                "Cédéao",
                "CEDEAO",
                "ECOWAS",
                "Economic Community of West African States",
                "Communauté économique des Etats de l'Afrique de l'Ouest",
            ],
            "ECOWAS",
        ),
        (["Poutine", "Putin", "Vladimir Poutine", "Vladimir Putin"], "Vladimir Putin"),
        (["Choïgou", "Choigou", "Shoigu", "Sergueï Choïgou", "Sergei Shoigu"], "Sergei Shoigu"),
        (["Kim Jong-Un", "Kim Jong Un", "KIM JONG-UN", "Jong-Un"], "Kim Jong Un"),
        (["Etats-Unis", "États-Unis", "United States", "Washington"], "United States"),
        (["Maison-Blanche", "Maison Blanche", "White House", "maison-blanche"], "White House"),
        (["Corée du Nord", "North Korea"], "North Korea"),
        (["Moscou", "Moscow"], "Moscow"),
        (["Russie", "Russia"], "Russia"),
        (["ONU", "UN", "United Nations"], "United Nations"),
        (["Mohamed Bazoum", "Bazoum"], "Mohamed Bazoum"),
        (["Abdourahamane Tiani", "Tiani", "Tchiani"], "Abdourahamane Tiani"),
        (["Ambassade de France", "French embassy"], "French embassy"),
    ],
)
def test_canonical_entity_merges_variants(variants, canonical):
    assert {canonical_entity(v) for v in variants} == {canonical}


def test_canonical_entity_of_unknown_names():
    assert canonical_entity("Adama  Ouédraogo") == "Adama Ouédraogo"
    assert canonical_entity("OUAGADOUGOU") == "Ouagadougou"
    assert canonical_entity("CNRD") == "CNRD"
    assert entity_key("Choïgou") == entity_key("choigou") == "choigou"
    assert entity_key("Thomas-Greenfield") == "thomas greenfield"


def test_every_alias_maps_back_to_its_canonical_name():
    for key, known in known_names().items():
        assert canonical_entity(known.canonical) == known.canonical, key


def test_seed_and_dev_entities_are_found_per_sentence():
    seed = json.loads((EXAMPLES / "seed-rtl-2023-09-04.json").read_text())
    text = clean_article(text=seed["text"], html=None, language="fr").text
    found = {e.name for s, e in split_sentences(text) for e in extract_entities(text[s:e], "fr")}
    assert {
        "White House",
        "Kim Jong Un",
        "Vladimir Putin",
        "Russia",
        "North Korea",
        "Sergei Shoigu",
        "John Kirby",
        "Pyongyang",
        "Moscow",
        "United States",
        "Ukraine",
        "United Nations",
        "National Security Council",
        "UN Security Council",
    } <= found
    assert not {"Le", "Des", "Lundi", "Mi-août", "Et", "Défense"} & found


def test_keywords_map_french_and_english_news_words_to_one_key():
    fr = keywords("Des milliers de manifestants ont attaqué dimanche l'ambassade de France.", "fr")
    en = keywords("Thousands of protesters attacked the French embassy on Sunday.", "en")
    assert {"attack", "embassy", "protest"} <= fr & en
    assert keywords("La junte a fermé l'espace aérien et nommé un premier ministre.", "fr") >= {
        "junta",
        "airspace",
        "close",
        "prime_minister",
    }
    assert keywords("The junta closed the airspace and named a prime minister.", "en") >= {
        "junta",
        "airspace",
        "close",
        "prime_minister",
    }
    assert "coup" in keywords("après le coup d'Etat du 26 juillet", "fr")
    assert "coup" in keywords("après le putsch", "fr")
    assert "standby_force" in keywords("l'activation de la force en attente", "fr")
    assert "standby_force" in keywords("activation of its standby force", "en")
    assert "ambassador" in keywords("ordered French ambassador Sylvain Itte to leave", "en")
    assert "ambassador" in keywords("l'ambassadeur de France doit partir", "fr")
    assert "sanctions" in keywords("imposed financial sanctions", "en")
    assert "ultimatum" in keywords("un ultimatum d'une semaine", "fr")


def test_keywords_skip_stopwords_names_and_numbers():
    found = keywords("Le 30 août dernier, John Kirby a averti la Russie.", "fr")
    assert found == {"warn"}


def test_headline_case_lines_only_give_known_names_and_acronyms():
    assert names("Powerful Quake in Iran Kills 10; 80 Hurt and 7 Villages Damaged", "en") == ["Iran"]
    assert names("NIGER JUNTA CLOSES AIRSPACE AS ECOWAS DEADLINE EXPIRES", "en") == [
        "Niger",
        "ECOWAS",
    ]
    assert names("Junta Names Former Finance Minister As Premier, Says CNSP", "en") == ["CNSP"]


def test_urls_and_time_zones_give_no_entity():
    assert names("Source : https://www.Example.com/Niger/Bazoum-Renverse", "fr") == []
    assert names("Published 4:31 PM GMT, updated 5 PM CET", "en") == []


def test_title_before_an_unknown_name_makes_a_person():
    found = extract_entities("Le porte-parole Amadou Diallo a parlé, puis Kouyaté.", "fr")
    assert [(e.name, e.kind) for e in found] == [("Amadou Diallo", "person"), ("Kouyaté", "other")]
    found = extract_entities("Ils ont rencontré le président Doumbouya à Conakry.", "fr")
    assert [(e.name, e.kind) for e in found] == [("Doumbouya", "person"), ("Conakry", "other")]


def test_sentence_initial_name_counts_when_the_article_writes_it_mid_sentence():
    from processors.analysis.entities import article_names

    article = "Shares of Zorblax rose.\nZorblax announced a deal on Friday."
    sentence = "Zorblax announced a deal on Friday."
    assert "Zorblax" not in [e.name for e in extract_entities(sentence, "en")]
    names = article_names(article, "en")
    assert "Zorblax" in [e.name for e in extract_entities(sentence, "en", names)]
    assert "Shares" not in [e.name for e in extract_entities("Shares of Zorblax rose.", "en", names)]
