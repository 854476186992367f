"""bench/tls_scores.py: date F1 and ROUGE-1/2 (concat, agreement, align+ m:1) on hand-made timelines."""

from __future__ import annotations

from datetime import date

import pytest

from tests.bench_modules import load_bench

tls = load_bench("tls_scores")


def day(n: int) -> date:
    return date(2011, 1, n)


def test_tokens_keep_accents_and_split_on_punctuation():
    assert tls.tokens("L’Égypte a libéré 500 détenus, dit-il.") == [
        "l", "égypte", "a", "libéré", "500", "détenus", "dit", "il"]
    assert tls.tokens("e\u0301te\u0301") == tls.tokens("été")  # NFC: composed or not, one token


def test_a_summarys_ngrams_run_across_its_sentences():
    assert tls.ngrams(["a b", "c"], 2) == {("a", "b"): 1, ("b", "c"): 1}


def test_date_f1():
    assert tls.date_f1([day(1), day(2), day(3)], [day(2), day(3), day(4), day(5)]) == \
        pytest.approx({"P": 2 / 3, "R": 1 / 2, "F1": 4 / 7})
    assert tls.date_f1([], [day(1)]) == {"P": 0.0, "R": 0.0, "F1": 0.0}


REFERENCE = {day(1): ["a b c"], day(3): ["d e"]}
SYSTEM = {day(1): ["d e"], day(2): ["a b x"]}  # the right words, on the wrong days


def test_concat_ignores_days():
    scores = tls.score_timeline(SYSTEM, REFERENCE)
    assert scores["concat R1"] == pytest.approx({"P": 0.8, "R": 0.8, "F1": 0.8})  # a b d e of 5
    # sys d-e e-a a-b b-x, ref a-b b-c c-d d-e: two shared bigrams of four
    assert scores["concat R2"] == pytest.approx({"P": 0.5, "R": 0.5, "F1": 0.5})


def test_agreement_counts_only_the_same_day():
    scores = tls.score_timeline(SYSTEM, REFERENCE)
    assert scores["agreement R1"]["F1"] == 0.0  # 1 January: « d e » against « a b c »
    same = tls.score_timeline({day(1): ["a b z"], day(9): ["q"]}, REFERENCE)
    # hits 2 on 1 January; system n-grams 3 + 1, reference 3 + 2
    assert same["agreement R1"] == pytest.approx({"P": 2 / 4, "R": 2 / 5, "F1": 4 / 9})


def test_alignment_weighs_a_match_by_its_distance_in_days():
    scores = tls.score_timeline({day(3): ["a b"]}, {day(2): ["a b"]})
    assert scores["dates"]["F1"] == 0.0 and scores["agreement R1"]["F1"] == 0.0
    assert scores["align+ m:1 R1"] == pytest.approx({"P": 0.5, "R": 0.5, "F1": 0.5})
    assert scores["align+ m:1 R2"] == pytest.approx({"P": 0.5, "R": 0.5, "F1": 0.5})
    assert scores["concat R1"]["F1"] == 1.0


def test_alignment_cost_mixes_distance_and_content_ties_to_the_earlier_day():
    scores = tls.score_timeline(SYSTEM, REFERENCE)
    # precision: sys 1 Jan costs 0 to ref 1 Jan (same day) and to ref 3 Jan (same words): the
    # earlier wins, 0 hits; sys 2 Jan -> ref 1 Jan (cost 1/2 * 1/3 against 1/2 * 1), 2 hits * 1/2.
    # recall: ref 1 Jan -> sys 1 Jan (cost 0), 0 hits; ref 3 Jan -> sys 1 Jan (2/3 * 0 against
    # 1/2 * 1), 2 hits * 1/3.
    assert scores["align+ m:1 R1"] == pytest.approx({"P": 1 / 5, "R": (2 / 3) / 5, "F1": 0.16})


def test_many_system_days_may_align_to_one_reference_day():
    scores = tls.score_timeline({day(1): ["a"], day(2): ["b"]}, {day(1): ["a b"]})
    assert scores["align+ m:1 R1"]["P"] == pytest.approx((1 + 1 / 2) / 2)
    assert scores["align+ m:1 R1"]["R"] == pytest.approx(1 / 2)  # ref 1 Jan -> sys 1 Jan only


def test_identical_timelines_score_one_and_an_empty_one_zero():
    perfect = tls.score_timeline(REFERENCE, REFERENCE)
    assert all(s == pytest.approx({"P": 1.0, "R": 1.0, "F1": 1.0}) for s in perfect.values())
    empty = tls.score_timeline({}, REFERENCE)
    assert all(s["F1"] == 0.0 for s in empty.values())
    assert list(empty) == ["dates", "concat R1", "concat R2", "agreement R1", "agreement R2",
                           "align+ m:1 R1", "align+ m:1 R2"]
