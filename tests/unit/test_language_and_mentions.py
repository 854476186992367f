"""Language detection and mention building: pure functions on small texts."""

from datetime import UTC, datetime

from processors.analysis.language import detect_language
from processors.analysis.mentions import build_mentions, summarise
from processors.analysis.temporal import extract_dates


def test_language_of_french_english_and_other_texts():
    assert detect_language("La Maison-Blanche a indiqué lundi que le dirigeant est dans la ville.") == "fr"
    assert detect_language("The White House said on Monday that the leader was in the city.") == "en"
    assert detect_language("Der Bundestag hat am Montag ein Gesetz beschlossen.") == "und"
    assert detect_language("") == "und"


def test_summary_is_cut_at_a_word_boundary():
    text = "mot " * 100
    out = summarise(text, limit=50)
    assert len(out) <= 52 and out.endswith("…") and "  " not in out


def test_mentions_carry_sentence_entities_and_only_event_dates():
    text = ("Le dictateur Kim Jong-Un, le 19 janvier 2022\nCrédit : AFP\n\n"
            "Lundi 4 septembre, la Maison-Blanche a indiqué que Vladimir Poutine recevrait "
            "Kim Jong-Un. Le président Bazoum, élu en 2021, était absent.")
    published = datetime(2023, 9, 4, 17, 40, tzinfo=UTC)
    found = extract_dates(text, published_at=published, language="fr")
    mentions = build_mentions(text, found, language="fr", version_id="v1", source="RTL")
    assert [m.expression for m in mentions] == ["Lundi 4 septembre"]
    (m,) = mentions
    assert m.mention_id == f"v1:{m.start_char}" and text[m.start_char:m.end_char] == m.expression
    assert {"White House", "Vladimir Putin"} <= set(m.entities)
    assert m.sentence.startswith("Lundi 4 septembre") and m.summary
