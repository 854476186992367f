"""bench/scores.py: the P/R/F1 every evaluation shares, edge cases included."""

import pytest

from tests.bench_modules import load_bench

prf = load_bench("scores").prf


def test_counts():
    assert prf(2, 4, 8) == pytest.approx((0.5, 0.25, 1 / 3))
    assert prf(0, 3, 5) == (0.0, 0.0, 0.0)


def test_empty_sides():
    assert prf(0, 0, 0) == (1.0, 1.0, 1.0)  # nothing expected, nothing claimed
    assert prf(0, 0, 4) == (1.0, 0.0, 0.0)
    assert prf(0, 0, 4, empty=0.0) == (0.0, 0.0, 0.0)  # the TempEval convention
