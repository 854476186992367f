"""Sentence spans in French and English news text."""

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from processors.analysis.clean import clean_article
from processors.analysis.sentences import split_sentences

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def sentences(text):
    return [text[start:end] for start, end in split_sentences(text)]


def test_titles_and_abbreviations_do_not_end_sentences():
    text = (
        "M. Macron a reçu Mme Borne. Gen. Tiani a parlé au Dr. Diallo. "
        "The U.S. Army left in Sept. 2023 with John F. Kennedy Jr. aboard. Il est parti."
    )
    assert sentences(text) == [
        "M. Macron a reçu Mme Borne.",
        "Gen. Tiani a parlé au Dr. Diallo.",
        "The U.S. Army left in Sept. 2023 with John F. Kennedy Jr. aboard.",
        "Il est parti.",
    ]


def test_dotted_acronym_ends_a_sentence_before_a_sentence_opener():
    assert sentences("Troops went back to the U.S. The war ended.") == [
        "Troops went back to the U.S.",
        "The war ended.",
    ]


def test_quotes_close_sentences_and_questions_inside_quotes_do_not():
    text = '« C\'est fini. » Il part. "Pourquoi ?" a-t-il demandé. Et puis ? Rien.'
    assert sentences(text) == [
        "« C'est fini. »",
        "Il part.",
        '"Pourquoi ?" a-t-il demandé.',
        "Et puis ?",
        "Rien.",
    ]


def test_paragraph_breaks_end_sentences_without_period():
    text = "Pour Washington, rien\n\nUn autre paragraphe."
    assert sentences(text) == ["Pour Washington, rien", "Un autre paragraphe."]


def test_seed_sentences():
    raw = json.loads((EXAMPLES / "seed-rtl-2023-09-04.json").read_text())["text"]
    found = sentences(clean_article(text=raw, html=None, language="fr").text)
    assert len(found) == 12
    assert (
        "Lundi 4 septembre, la Maison-Blanche a indiqué que le dirigeant nord-coréen Kim Jong-Un "
        'souhaite "un échange diplomatique au plus haut niveau" en Russie avec Vladimir Poutine '
        "pour discuter de la vente d'armes." in found
    )
    assert found[-1].startswith("Mi-août dernier, le président Poutine")
    assert (
        'Et de poursuivre : "Nous savons que Kim Jong-Un souhaite que ces négociations continuent, '
        'avec notamment un échange diplomatique au plus haut niveau en Russie."' in found
    )


def test_empty_text():
    assert split_sentences("") == []
    assert split_sentences("  \n ") == []


@given(st.text(alphabet=st.sampled_from(list("ab .?!\"«» \nM'U")), max_size=80))
def test_spans_are_ordered_trimmed_and_inside_the_text(text):
    spans = split_sentences(text)
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()
        previous_end = end
    covered = "".join(text[s:e] for s, e in spans)
    assert "".join(covered.split()) == "".join(text.split())
