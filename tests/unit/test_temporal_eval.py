"""The TempEval-3 style scorer of bench/temporal_eval.py, and the tagger's scores on the corpora."""

from __future__ import annotations

from datetime import date

import pytest

from tests.bench_modules import load_bench

temporal_eval = load_bench("temporal_eval")
Span = temporal_eval.Span

TINY_TML = """<?xml version="1.0"?>
<TimeML>
<DCT><TIMEX3 tid="t0" type="DATE" value="2023-09-04" functionInDocument="CREATION_TIME">4 Sept</TIMEX3></DCT>
<TEXT>Il est venu <TIMEX3 tid="t1" type="DATE" value="2023-09-03">hier</TIMEX3> et \
repart <TIMEX3 tid="t2" type="DATE" value="2023-09-05">demain matin</TIMEX3> &amp; \
<EVENT eid="e1">reste</EVENT> <TIMEX3 tid="t3" type="DURATION" value="P3D">trois jours</TIMEX3>.
Couvre-feu de <TIMEX3 tid="t4" type="TIME" value="2023-09-04T22:00">22h</TIMEX3> \
à <TIMEX3 tid="t5" type="TIME" value="2023-09-04T05:00">5h</TIMEX3>.</TEXT>
</TimeML>
"""
TEXT = "Il est venu hier et repart demain matin & reste trois jours.\nCouvre-feu de 22h à 5h."


def test_parse_timeml_strips_tags_and_keeps_gold_offsets() -> None:
    document = temporal_eval.parse_timeml("tiny", TINY_TML)
    assert document.text == TEXT
    assert document.dct == date(2023, 9, 4)
    assert [(TEXT[g.start : g.end], g.value) for g in document.gold] == [
        ("hier", "2023-09-03"),
        ("demain matin", "2023-09-05"),
        ("trois jours", "P3D"),
        ("22h", "2023-09-04T22:00"),
        ("5h", "2023-09-04T05:00"),
    ]


def test_score_counts_strict_relaxed_and_value_matches() -> None:
    gold = [Span(12, 16, "2023-09-03"), Span(27, 39, "2023-09-05"), Span(48, 59, "P3D")]
    system = [
        Span(12, 16, "2023-09-03"),  # exact span, right value
        Span(27, 33, "2023-09-05"),  # "demain": overlaps "demain matin", right value
        Span(0, 2, "XXXX"),  # a false positive
    ]
    counts = temporal_eval.score(gold, system)
    assert (counts.gold, counts.found, counts.strict, counts.relaxed, counts.value) == (
        3, 3, 1, 2, 2,
    )  # fmt: skip
    assert temporal_eval.prf(counts.strict, counts.found, counts.gold) == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    assert temporal_eval.prf(counts.value, counts.found, counts.gold) == pytest.approx((2 / 3, 2 / 3, 2 / 3))


def test_relaxed_matching_is_one_to_one() -> None:
    counts = temporal_eval.score([Span(0, 10, "a")], [Span(0, 4, "a"), Span(5, 10, "a")])
    assert (counts.relaxed, counts.value) == (1, 1)


def test_newsline_on_the_tiny_document() -> None:
    document = temporal_eval.parse_timeml("tiny", TINY_TML)
    spans = temporal_eval.newsline_spans(document, "fr")
    assert [(TEXT[s.start : s.end], s.value) for s in spans] == [
        ("hier", "2023-09-03"),
        ("demain matin", "2023-09-05TMO"),
        ("trois jours", "P3D"),
        ("22h", "2023-09-04T22:00"),  # a time without a day in its sentence: on the DCT
        ("5h", "2023-09-04T05:00"),
    ]
    counts = temporal_eval.score(document.gold, spans)
    assert (counts.gold, counts.found, counts.strict, counts.relaxed, counts.value) == (
        5, 5, 5, 5, 4,
    )  # fmt: skip


def test_thresholds_accept_fractions_and_percentages() -> None:
    assert temporal_eval.parse_thresholds(["fr=0.8", "en=80"]) == {"fr": 0.8, "en": 0.8}


# Exact counts of `python bench/temporal_eval.py` (the corpora and the tagger are deterministic):
# any change in behaviour changes a count, and the commit that makes it updates them and says why.
# (gold, found, strict, relaxed, value); value F1 0.836 (fr) and 0.837 (en).
PINNED_COUNTS = {"fr": (425, 386, 361, 380, 339), "en": (138, 125, 114, 123, 110)}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_counts_on_the_corpora_are_exactly_the_pinned_ones(language: str) -> None:
    documents = temporal_eval.load_corpus(language)  # a missing corpus fails, never skips
    row = temporal_eval.evaluate(language, "newsline", documents)
    counts = tuple(row[k] for k in ("gold", "found", "strict", "relaxed", "value"))
    assert counts == PINNED_COUNTS[language]


def test_threshold_failure_exits_with_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert temporal_eval.main(["--no-dateparser", "--min-value-f1", "fr=0.999"]) == 1
    assert "FAIL fr" in capsys.readouterr().err
