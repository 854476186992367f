"""Trying rules only from opening tokens near their triggers must find what a full scan finds."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from processors.analysis.temporal import engine
from processors.analysis.temporal.openings import openings
from processors.analysis.temporal.patterns import prefix_tree, word_units
from processors.analysis.temporal.roles import required_text
from processors.analysis.temporal.windows import Plan, TriggerIndex, mandatory_slots

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def texts() -> list[tuple[str, str]]:
    """The seed article and the dev-set articles, as (language, text)."""
    seed = json.loads((EXAMPLES / "seed-rtl-2023-09-04.json").read_text(encoding="utf-8"))
    found = [(seed["language"], seed["text"])]
    for line in (EXAMPLES / "niger-2023.jsonl").read_text(encoding="utf-8").splitlines():
        article = json.loads(line)
        text = article.get("text") or re.sub(r"<[^>]+>", "\n", article["html"])
        found.append((article["language"], text))
    for language in ("fr", "en"):
        tagger = engine.tagger_for(language)
        assert tagger is not None
        examples = [example for rule in tagger.lexicon.rules for example in rule.examples]
        found.append((language, "Texte. " + " Puis, ".join(examples) + "."))
    found.append(
        ("fr", "Le 4/9/2023 à 14h30, 14\u00a0h ou 9H, 12.03.2021, 2019-2020, 1er mai, 3\nans, 5\u212a 7")
    )
    found.append(  # short words before spaces of all kinds, cut where the text is split
        (
            "fr",
            "Depuis le  4 mai, de\u00a012 h à 14 h, le\n5 juin, l’an dernier, À la mi-août, "
            "la  semaine de\t3 jours le",
        )
    )
    found.append(
        ("en", "On the\n4th of May, the  first week, the\u00a0day before, on  Sunday, in ſeptember, in")
    )
    found.append(
        ("en", "On 9/4/2023 at 3PM, 3:30\u00a0pm, the 1990’s, 2019–2020, 5 o'clock, 4\u017fecond 2023")
    )
    return found


def test_windows_do_not_change_the_output(monkeypatch: pytest.MonkeyPatch) -> None:
    published = datetime(2023, 9, 4, 12, tzinfo=UTC)
    corpus = texts()

    def run() -> list:
        return [
            engine.extract_dates(text, published_at=published, language=language) for language, text in corpus
        ]

    planned = run()

    def everywhere(self: TriggerIndex, text: str) -> Plan:  # every rule scanned over the whole text
        return Plan([], tuple(range(len(self.spec_of_rule))))

    monkeypatch.setattr(TriggerIndex, "plan", everywhere)
    assert run() == planned


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_rule_has_known_opening_tokens(language: str) -> None:
    tagger = engine.tagger_for(language)
    assert tagger is not None
    assert tagger.triggers.unanchored == ()


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\b(?:le\s+)?(?:lundi|mardi)\s+\d+", {"le$l", "le$m", "lund", "mard"}),
        (r"l['’]an|d'ici", {"l$'", "l$’", "d$'"}),
        (r"le\s+\d+|the(?:\s+day)?", {"le$#", "the$d", "the$*"}),
        (r"de\s*(?:\d|é)", {"de$#", "de$e", "dee$*"}),
        (r"en\s+\w+", {"en$*"}),
        (r"\d+\s*h", {"#$h", "#h"}),
        (r"\d+\s+(?:mai|juin)|\d+\s", {"#$m", "#$j", "#$*"}),
        (r"\d+(?:[.,]\d+)?/\d+", {"#.", "#,", "#/"}),
        (r"\d+\w", {"#*"}),
        (r"(?<!\w)[eé]t[eé]s?\b", {"ete$*", "etes"}),
        (r"\w+ ans", None),
        (r"\(\d+", None),
    ],
)
def test_openings(pattern: str, expected: set[str] | None) -> None:
    found = openings(pattern, re.IGNORECASE)
    assert found == (None if expected is None else frozenset(expected))


def test_prefix_tree_matches_like_the_plain_alternation() -> None:
    words = ["juin", "juillet", "juil.", "juil", "janvier", "dix", "dix-sept", "week-end", "weekend"]
    words.sort(key=len)
    units = [word_units(word) for word in reversed(words)]
    tree = re.compile(f"(?:{prefix_tree(units)})(?!\\w)", re.IGNORECASE)
    plain = re.compile("(?:" + "|".join("".join(word) for word in units) + ")(?!\\w)", re.IGNORECASE)
    assert tree.pattern != plain.pattern
    texts = ["juillet", "Juil. 2023", "juin", "dix-sept", "dix sept", "dix", "week end", "weekend", "jui"]
    for text in texts:
        assert [m.group() for m in tree.finditer(text)] == [m.group() for m in plain.finditer(text)], text


def test_a_hyphen_beside_a_space_keeps_the_plain_alternation() -> None:
    units = [word_units("ce soir"), word_units("ce-soir")]
    assert prefix_tree(units) == "|".join("".join(word) for word in units)


def test_required_text() -> None:
    assert required_text(r"(?i:\bmin(?:ute)?s?\.?\s+de\s+lecture\b)") == "lecture"
    assert required_text(r"^\s*(?:crédits?|photos?)\s*:") == ":"
    assert required_text(r"a|b") == ""


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("(?:le )?<day> <month>(?: <year>)?", {"day", "month"}),
        ("(?:<a>|<b>) <c>", {"c"}),
        ("<a>|<b>", set()),
        ("(?=<a>)<b>[<c>]", {"b"}),
        ("(?P<span><year>)", {"year"}),
    ],
)
def test_mandatory_slots(pattern: str, expected: set[str]) -> None:
    assert mandatory_slots(pattern) == expected
