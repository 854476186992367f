"""Temporal tagger: dated events, times, durations and sets in French and English news.

Pure Python, rule-based, driven by one table per language (``lexicons/<code>.py``).
"""

from .engine import extract_dates
from .expression import TemporalExpression

__all__ = ["TemporalExpression", "extract_dates"]
