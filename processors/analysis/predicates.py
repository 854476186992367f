"""What a dated expression dates: the predicate of its clause, by rules and a data table.

« La Maison Blanche a indiqué lundi 4 septembre que le leader nord-coréen projetterait de se
rendre en Russie ce mois-ci » dates two things: the statement (``indiqué``: ``say``, a
``report``) and the trip (``se rendre``: ``travel``, an ``event``). No parser: the clause of a
date runs between clause openers (``que``, ``that``, ``qui``, ``which``...) and strong
punctuation; its predicate is the nearest form of ``data/predicates.tsv`` before the date in
that clause, else the first one after it (a date put first: « Lundi 4 septembre, la
Maison-Blanche a indiqué... »). Keys are English, so a French and an English report of one
statement get the same key.
"""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache
from importlib.resources import files
from typing import NamedTuple

import regex

_WORD = regex.compile(r"\p{L}+|[;:()«»\"“”—]")
_MARKS = regex.compile(r"\p{Mn}+")
# Words and marks that open another clause: a date does not date a predicate across them.
CLAUSE_OPENERS = frozenset({
    "que", "qu", "qui", "dont", "lorsque", "lorsqu", "quand", "tandis",
    "that", "which", "who", "whom", "whose", "when", "while", "whereas",
    ";", ":", "(", ")", "«", "»", '"', "“", "”", "—",
})


class Predicate(NamedTuple):
    """A predicate's cross-language key and kind (``report`` or ``event``)."""

    key: str
    kind: str


class _Word(NamedTuple):
    text: str  # accent-free, casefolded
    start: int
    end: int


def _fold(text: str) -> str:
    """Accent-free and casefolded (the marks are dropped after NFKD)."""
    return str(_MARKS.sub("", unicodedata.normalize("NFKD", text))).casefold()


@cache
def predicate_table() -> tuple[dict[tuple[str, ...], Predicate], int, frozenset[str]]:
    """(form as a tuple of words -> predicate, longest form in words, first words of the forms)
    from ``predicates.tsv``."""
    text = files("processors.analysis.data").joinpath("predicates.tsv").read_text(encoding="utf-8")
    table: dict[tuple[str, ...], Predicate] = {}
    for row in text.splitlines():
        if not row.strip() or row.startswith("#"):
            continue
        key, kind, forms = row.split("\t")
        for form in forms.split("|"):
            words = tuple(w.group() for w in _WORD.finditer(_fold(form)))
            table[words] = Predicate(key, kind)
    return table, max(len(words) for words in table), frozenset(words[0] for words in table)


@lru_cache(maxsize=1 << 12)  # a sentence with two dates is read once
def _words(sentence: str) -> tuple[_Word, ...]:
    folded = _fold(sentence)
    if len(folded) != len(sentence):  # a character that decomposes into several: offsets move
        return tuple(_Word(_fold(m.group()), m.start(), m.end()) for m in _WORD.finditer(sentence))
    return tuple(_Word(m.group(), m.start(), m.end()) for m in _WORD.finditer(folded))


def _found(words: tuple[_Word, ...], i: int) -> tuple[Predicate, int] | None:
    """The longest table form starting at word i, with its length in words."""
    table, longest, firsts = predicate_table()
    if words[i].text not in firsts:
        return None
    for n in range(min(longest, len(words) - i), 0, -1):
        hit = table.get(tuple(w.text for w in words[i : i + n]))
        if hit is not None:
            return hit, n
    return None


def predicate_of(sentence: str, start: int, end: int) -> Predicate | None:
    """The predicate the expression at ``sentence[start:end]`` dates, or None if none is known."""
    words = _words(sentence)
    before = [i for i, w in enumerate(words) if w.end <= start]
    after = [i for i, w in enumerate(words) if w.start >= end]
    best: Predicate | None = None
    for i in before:  # left to right, so the nearest form wins; an opener forgets what came before
        if words[i].text in CLAUSE_OPENERS:
            best = None
            continue
        hit = _found(words, i)
        if hit is not None and words[i + hit[1] - 1].end <= start:
            best = hit[0]
    if best is not None:
        return best
    for i in after:
        if words[i].text in CLAUSE_OPENERS:
            return None
        hit = _found(words, i)
        if hit is not None:
            return hit[0]
    return None


class Found(NamedTuple):
    """A predicate and where its words are in the sentence."""

    predicate: Predicate
    start: int
    end: int


def main_predicate(sentence: str) -> Found | None:
    """The predicate an undated sentence reports: its first one (the main clause comes first
    in news prose: « Emmanuel Macron a condamné le coup d'État »), or None."""
    words = _words(sentence)
    for i in range(len(words)):
        hit = _found(words, i)
        if hit is not None:
            return Found(hit[0], words[i].start, words[i + hit[1] - 1].end)
    return None
