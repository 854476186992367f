"""Timeline summarisation scores: date F1 and ROUGE-1/2 F1 (concat, agreement, align+ m:1).

The measures the TLS literature reports (computed by the ``tilse`` package, Martschat & Markert,
"Improving ROUGE for timeline summarization", EACL 2017, and "A temporally sensitive
submodularity framework for timeline summarization", CoNLL 2018), written here from those
definitions because ``tilse`` brings spaCy, textacy, numba, scikit-learn and nltk with it, and
its ROUGE runs the ROUGE-1.5.5 Perl script with an English stemmer and stop list.

A timeline maps days to their summary sentences. With one reference timeline:

- **date F1**: the system's days against the reference's, as sets;
- **concat**: ROUGE of all the system's sentences (in day order) against all the reference's;
- **agreement**: ROUGE counted day by day, only a day both have matching: hits summed over the
  shared days, over the n-grams of all the system's days (precision) or all the reference's
  (recall);
- **align+ m:1**: each system day is aligned to the reference day of least cost, and (for
  recall) each reference day to the system day of least cost, the cost of a pair being
  ``(1 - 1/(|gap in days| + 1)) * (1 - unigram F1 of their summaries)``; the hits of an aligned
  pair count ``1/(|gap| + 1)`` each. A tie goes to the earlier day.

ROUGE-n counts are ROUGE-1.5.5's: hits are the clipped common n-grams, precision hits over the
system's n-grams, recall hits over the reference's; a summary's n-grams run across its sentences
(ROUGE joins a summary's lines). Tokens are language-neutral: text lower-cased (NFC), the runs of
Unicode word characters (accents kept: « libéré » stays one token); no stemming, no stop list
(both are English in ROUGE-1.5.5), so French function words count for every system alike. The
alignment's content cost uses the same tokens (tilse's drops punctuation from whitespace tokens).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from scores import prf

Timeline = Mapping[date, Sequence[str]]  # day -> its summary sentences
MEASURES = ("concat", "agreement", "align+ m:1")
_WORD = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens, accents kept."""
    return _WORD.findall(unicodedata.normalize("NFC", text).lower())


def ngrams(sentences: Iterable[str], n: int) -> Counter[tuple[str, ...]]:
    """The n-grams of a summary, its sentences joined."""
    words = [w for s in sentences for w in tokens(s)]
    return Counter(tuple(words[i:i + n]) for i in range(len(words) - n + 1))


@dataclass
class Counts:
    """ROUGE's three counts; hits are weighted (a float) in the alignment variant."""

    hits: float = 0.0
    system: int = 0
    reference: int = 0

    def add(self, hits: float, system: int, reference: int) -> None:
        """Add one comparison's counts."""
        self.hits += hits
        self.system += system
        self.reference += reference

    def precision(self) -> float:
        """Hits over the system's n-grams (0 when it has none)."""
        return self.hits / self.system if self.system else 0.0

    def recall(self) -> float:
        """Hits over the reference's n-grams (0 when it has none)."""
        return self.hits / self.reference if self.reference else 0.0


def f1(precision: float, recall: float) -> dict[str, float]:
    """Precision, recall and their harmonic mean."""
    both = precision + recall
    return {"P": precision, "R": recall, "F1": 2 * precision * recall / both if both else 0.0}


def overlap(system: Counter[tuple[str, ...]], reference: Counter[tuple[str, ...]]) -> int:
    """Clipped common n-grams."""
    return sum((system & reference).values())


def date_f1(system: Iterable[date], reference: Iterable[date]) -> dict[str, float]:
    """Date selection precision, recall and F1."""
    mine, wanted = set(system), set(reference)
    p, r, f = prf(len(mine & wanted), len(mine), len(wanted), empty=0.0)
    return {"P": p, "R": r, "F1": f}


def concat(system: Timeline, reference: Timeline, n: int) -> tuple[float, float]:
    """Both timelines as one summary each: (precision, recall)."""
    mine = ngrams((s for d in sorted(system) for s in system[d]), n)
    wanted = ngrams((s for d in sorted(reference) for s in reference[d]), n)
    counts = Counts(overlap(mine, wanted), sum(mine.values()), sum(wanted.values()))
    return counts.precision(), counts.recall()


def agreement(system: Timeline, reference: Timeline, n: int) -> tuple[float, float]:
    """Day by day, only the days both timelines have can match: (precision, recall)."""
    counts = Counts()
    for day in set(system) | set(reference):
        mine, wanted = ngrams(system.get(day, ()), n), ngrams(reference.get(day, ()), n)
        counts.add(overlap(mine, wanted), sum(mine.values()), sum(wanted.values()))
    return counts.precision(), counts.recall()


def unigram_f1(a: Sequence[str], b: Sequence[str]) -> float:
    """ROUGE-1 F1 of two summaries (the alignment's content similarity)."""
    one, two = ngrams(a, 1), ngrams(b, 1)
    counts = Counts(overlap(one, two), sum(one.values()), sum(two.values()))
    return f1(counts.precision(), counts.recall())["F1"]


def closeness(a: date, b: date) -> float:
    """``1/(|gap in days| + 1)``: 1 on the same day, 1/2 a day apart."""
    return 1 / (abs(a.toordinal() - b.toordinal()) + 1)


def nearest(day: date, summary: Sequence[str], other: Timeline) -> date | None:
    """The day of `other` of least alignment cost from (day, summary); ties to the earlier."""
    def cost(candidate: date) -> float:
        return (1 - closeness(day, candidate)) * (1 - unigram_f1(summary, other[candidate]))
    return min(sorted(other), key=cost, default=None)


def aligned_share(side: Timeline, other: Timeline, n: int) -> float:
    """Each day of `side` aligned to its least-cost day of `other`: the weighted hits over the
    n-grams of `side` (precision when `side` is the system's, recall when the reference's)."""
    counts = Counts()
    for day, summary in side.items():
        mine = ngrams(summary, n)
        to = nearest(day, summary, other)
        hits = 0.0 if to is None else closeness(day, to) * overlap(mine, ngrams(other[to], n))
        counts.add(hits, sum(mine.values()), 0)
    return counts.precision()


def align_many_to_one(system: Timeline, reference: Timeline, n: int) -> tuple[float, float]:
    """align+ m:1, (precision, recall): two alignments, the system's days to the reference's
    and the reference's to the system's."""
    return aligned_share(system, reference, n), aligned_share(reference, system, n)


_VARIANTS = {"concat": concat, "agreement": agreement, "align+ m:1": align_many_to_one}


def score_timeline(system: Timeline, reference: Timeline) -> dict[str, dict[str, float]]:
    """Date F1 and ROUGE-1/2 of every variant: ``{"dates": {P, R, F1}, "concat R1": ...}``."""
    found = {"dates": date_f1(system, reference)}
    for name in MEASURES:
        for n in (1, 2):
            found[f"{name} R{n}"] = f1(*_VARIANTS[name](system, reference, n))
    return found
