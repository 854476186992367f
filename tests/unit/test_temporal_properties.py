"""Properties of the temporal tagger on arbitrary text built from its own vocabulary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from processors.analysis.temporal import extract_dates
from processors.analysis.temporal.engine import tagger_for

VOCABULARY = sorted(
    {
        word
        for language in ("fr", "en")
        for table in tagger_for(language).lexicon.words.values()  # type: ignore[union-attr]
        for word in table
    }
    | {"le", "du", "au", "et", "de", "à", "the", "of", "to", "in", "h", ",", ".", "-", "/", "\n"}
)
TOKENS = st.one_of(
    st.sampled_from(VOCABULARY),
    st.integers(0, 2100).map(str),
    st.text(alphabet="0123456789:/-.,'’ hHaàéû", max_size=4),
)
MOMENTS = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2040, 12, 31), timezones=st.just(UTC)
) | st.just(datetime(2023, 9, 4, 23, 30, tzinfo=timezone(timedelta(hours=-5))))


@settings(max_examples=300, deadline=None)
@given(st.lists(TOKENS, max_size=25), MOMENTS, st.sampled_from(["fr", "en"]))
def test_any_text_gives_sorted_disjoint_exact_spans(
    tokens: list[str], published: datetime, language: str
) -> None:
    text = " ".join(tokens)
    found = extract_dates(text, published_at=published, language=language)
    previous_end = 0
    for item in found:
        assert item.text == text[item.start_char : item.end_char]
        assert previous_end <= item.start_char < item.end_char
        previous_end = item.end_char
        assert (item.start is None) == (item.end is None)
        if item.start is not None:
            assert item.start <= item.end
        else:
            assert item.granularity in ("time", "duration", "set")
        assert item.anchor == published.date()
        assert item.role in ("event", "background", "caption", "metadata")
        item.to_json()


def test_long_adversarial_texts_are_tagged_whole() -> None:
    # Their speed (they once took 25 s: quadratic passes) is measured by
    # `python bench/temporal_linearity.py`, not asserted here: a shared machine's clock is no test.
    published = datetime(2023, 9, 4, tzinfo=UTC)
    digits = "-".join(str(number) for number in range(20_000))  # no white space at all
    assert extract_dates(digits, published_at=published, language="fr") == []
    dates = " ".join(f"on May {number % 28 + 1}, 20{number % 30:02d} at {number % 12 + 1} pm"
                     for number in range(3_000))
    found = extract_dates(dates, published_at=published, language="en")
    assert len(found) == 6_000  # each "May d, 20yy" and each "h pm"
    assert [item.text for item in found[:4]] == ["May 1, 2000", "1 pm", "May 2, 2001", "2 pm"]
