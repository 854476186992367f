"""The temporal tagger on the seed article and the Niger development set."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path

import pytest

from processors.analysis.temporal import TemporalExpression, extract_dates

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SEED = json.loads((EXAMPLES / "seed-rtl-2023-09-04.json").read_text(encoding="utf-8"))
DEV_ARTICLES = [
    json.loads(line)
    for line in (EXAMPLES / "niger-2023.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
GOLD = json.loads((EXAMPLES / "niger-2023.gold.json").read_text(encoding="utf-8"))


def article_text(article: dict) -> str:
    """Return an article's text, stripping tags from the one that only has HTML."""
    if "text" in article:
        return article["text"]
    return re.sub(r"<[^>]+>", "\n", article["html"])


def tag(article: dict) -> list[TemporalExpression]:
    """Run the tagger on a dev-set or seed article."""
    updated = article.get("updated_at")
    return extract_dates(
        article_text(article),
        published_at=datetime.fromisoformat(article["published_at"]),
        updated_at=datetime.fromisoformat(updated) if updated else None,
        language=article["language"],
    )


def only(found: list[TemporalExpression], needle: str) -> TemporalExpression:
    """Return the one expression whose text contains ``needle``."""
    matching = [item for item in found if needle.lower() in item.text.lower()]
    assert len(matching) == 1, (needle, [item.text for item in found])
    return matching[0]


SEED_FOUND = tag(SEED)


def test_seed_white_house_statement_three_times() -> None:
    statements = [item for item in SEED_FOUND if item.text.lower() == "lundi 4 septembre"]
    assert len(statements) == 3
    for item in statements:
        assert (item.start, item.end, item.granularity, item.role) == (
            date(2023, 9, 4),
            date(2023, 9, 4),
            "day",
            "event",
        )


def test_seed_kirby_warning() -> None:
    item = only(SEED_FOUND, "30 août dernier")
    assert item.text in ("Le 30 août dernier", "30 août dernier")
    assert (item.start, item.end, item.granularity, item.role) == (
        date(2023, 8, 30),
        date(2023, 8, 30),
        "day",
        "event",
    )


def test_seed_mid_august_is_an_interval() -> None:
    item = only(SEED_FOUND, "Mi-août dernier")
    assert item.granularity == "part-of-month"
    assert (item.value, item.mod, item.role) == ("2023-08", "MID", "event")
    assert date(2023, 8, 10) <= item.start <= item.end <= date(2023, 8, 21)
    assert (item.start, item.end) == (date(2023, 8, 11), date(2023, 8, 20))


def test_seed_this_month_is_september() -> None:
    item = only(SEED_FOUND, "ce mois-ci")
    assert (item.start, item.end, item.granularity, item.role) == (
        date(2023, 9, 1),
        date(2023, 9, 30),
        "month",
        "event",
    )


def test_seed_caption_date() -> None:
    item = only(SEED_FOUND, "19 janvier 2022")
    assert (item.start, item.role) == (date(2022, 1, 19), "caption")


def test_seed_boilerplate_gives_no_dates() -> None:
    text = SEED["text"]
    for item in SEED_FOUND:
        assert item.text == text[item.start_char : item.end_char]
        if "min" in item.text:
            assert item.start is None and item.role == "metadata"
        assert not item.text.startswith("Je")
    events = {item.start for item in SEED_FOUND if item.role == "event" and item.start}
    assert events == {date(2023, 9, 4), date(2023, 9, 1), date(2023, 8, 30), date(2023, 8, 11)}


def test_seed_output_is_sorted_and_disjoint() -> None:
    for before, after in zip(SEED_FOUND, SEED_FOUND[1:], strict=False):
        assert before.end_char <= after.start_char


@pytest.mark.parametrize(
    ("event_date", "article_index"),
    [(event["date"], index) for event in GOLD["events"] for index in event["articles"]],
)
def test_every_gold_event_date_is_found(event_date: str, article_index: int) -> None:
    found = tag(DEV_ARTICLES[article_index])
    days = {item.start for item in found if item.role == "event" and item.start == item.end}
    assert date.fromisoformat(event_date) in days


@pytest.mark.parametrize(
    ("article_index", "needle", "expected"),
    [
        (0, "mercredi soir", ("2023-07-26", "day", "event")),
        (0, "Ce jeudi", ("2023-07-27", "day", "event")),
        (0, "2021", ("2021-01-01", "year", "background")),
        (1, "on Sunday", None),
        (1, "Sunday", ("2023-07-30", "day", "event")),
        (1, "last Wednesday", ("2023-07-26", "day", "event")),
        (1, "Friday", ("2023-07-28", "day", "event")),
        (2, "dimanche", ("2023-07-30", "day", "event")),
        (2, "26 juillet", ("2023-07-26", "day", "event")),
        (5, "jeudi", ("2023-08-10", "day", "event")),
        (4, "July 30", ("2023-07-30", "day", "event")),
        (4, "Sunday night", ("2023-08-06", "day", "event")),
        (6, "Monday", ("2023-08-07", "day", "event")),
        (4, "last week", ("2023-07-31", "week", "event")),
        (7, "Friday", ("2023-08-25", "day", "event")),
    ],
)
def test_dev_set_expressions(article_index: int, needle: str, expected: tuple | None) -> None:
    found = tag(DEV_ARTICLES[article_index])
    if expected is None:
        assert not any(item.text == needle for item in found)
        return
    item = only(found, needle)
    assert (str(item.start), item.granularity, item.role) == expected


def test_dev_set_curfew_is_a_time_not_a_date() -> None:
    item = only(tag(DEV_ARTICLES[0]), "22h")
    assert item.text == "de 22h à 5h"
    assert (item.start, item.end, item.granularity) == (None, None, "time")


def test_dev_set_deadline_and_earlier_this_month() -> None:
    found = tag(DEV_ARTICLES[7])
    deadline = only(found, "48 hours")
    assert (deadline.start, deadline.granularity, deadline.value) == (None, "duration", "PT48H")
    earlier = only(found, "Earlier this month")
    assert (earlier.start, earlier.end, earlier.granularity) == (
        date(2023, 8, 1),
        date(2023, 8, 25),
        "part-of-month",
    )
    assert not any("1,500" in item.text for item in found)


def test_dev_set_syndicated_copy_metadata_lines() -> None:
    found = tag(DEV_ARTICLES[3])
    published = only(found, "30 juillet 2023")
    assert published.role == "metadata"
    assert only(found, "2 min").role == "metadata"


def test_updated_version_anchors_on_updated_at() -> None:
    found = tag(DEV_ARTICLES[6])
    assert {item.anchor for item in found} == {date(2023, 8, 7)}
