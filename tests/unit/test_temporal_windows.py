"""Scanning only the windows around trigger words must find exactly what a full scan finds."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from processors.temporal import engine
from processors.temporal.windows import TriggerIndex, mandatory_slots

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
    return found


def test_windows_do_not_change_the_output(monkeypatch: pytest.MonkeyPatch) -> None:
    published = datetime(2023, 9, 4, 12, tzinfo=UTC)
    corpus = texts()

    def run() -> list:
        return [
            engine.extract_dates(text, published_at=published, language=language) for language, text in corpus
        ]

    windowed = run()
    monkeypatch.setattr(
        TriggerIndex, "windows", lambda self, text: [[(0, len(text))]] * len(self.rule_triggers)
    )
    assert run() == windowed


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
