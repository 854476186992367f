"""Precision, recall and F1 from counts: the one definition the evaluations in bench/ share."""

from __future__ import annotations


def prf(correct: int, system: int, gold: int, *, empty: float = 1.0) -> tuple[float, float, float]:
    """Return (precision, recall, F1) of `correct` answers among `system` given and `gold` expected.

    `empty` is the precision when the system gives nothing and the recall when there is no gold
    (1.0: nothing claimed is nothing wrong; the TempEval scorer uses 0.0). F1 is 0.0 when both
    precision and recall are.
    """
    precision = correct / system if system else empty
    recall = correct / gold if gold else empty
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
