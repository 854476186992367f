"""Who a definite description stands for: "the plane", "the aircraft", "the index", « l'appareil ».

A reader of "Singapore Airlines took delivery of the first A380. ... The plane left four hours
late" knows what left. News names a thing once and then calls it by what it is; without this,
such a sentence names no one (it gives no event) or only the airport it mentions. Like the
pronouns (``pronouns.py``), by rules a reader would state, no parser and no model:

- ``data/descriptions.tsv`` lists, per language, the nouns that describe a kind of entity and
  the entity kind each stands for (``entities.Entity.kind``): an aircraft or an index is an
  ``other`` (a named thing). Nothing in it is a name: the kind decides, so the table holds for
  any story. Company nouns ("the company", "the carmaker", « le groupe ») are listed with the
  kind ``-``: they are read, so that "the aircraft maker" is no plane, but stand for no one
  (measured: they cost precision, docs/evaluation-semeval.md).
- A description is the noun after a definite article or demonstrative ("the", "this", "that";
  « le », « la », « l' », « ce », « cet », « cette »), with at most one lower-case word between
  them ("the massive airliner"); the longest noun listed wins. Not one followed by a name (an
  apposition, "the British union Unite": the name is written) nor one after a preposition
  ("a stake in the company", "the history of the index": what the clause is about is
  elsewhere).
- It stands for the first name of its kind of the nearest of the ``DESCRIPTION_LOOKBACK``
  sentences before it that writes one (the subject, as for pronouns), those sentences'
  own descriptions included, so a run of "the plane ... the aircraft ..." keeps its plane;
  none when its own sentence names one before it (the sentence already holds it).
- The verb it is the subject of is an event of that name (``described_verb``: "The ceremony
  was delayed, as the aircraft was leaving the hangar": ``leaving`` is the plane's), beside
  the sentence's own predicate (``mentions.co_events``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from importlib.resources import files
from typing import NamedTuple

import regex

from processors.analysis.participants import Named
from processors.analysis.predicates import Found, _words, verb_like

DESCRIPTION_LOOKBACK = 3
_DETERMINERS = {
    "en": r"(?:the|this|that)\s+",
    "fr": r"(?:le|la|ce|cet|cette)\s+|l['’]\s*",
}

_AFTER_PREPOSITION = regex.compile(r"\b(?i:in|of|at|to|from|for|with|into|on|about|by|than|over|"
                                   r"dans|de|du|des|à|au|aux|par|pour|sur|avec|en|chez)\s*$")


class Description(NamedTuple):
    """Where a definite description is written and the entity kinds it may stand for."""

    start: int
    end: int
    kinds: frozenset[str]


@cache
def _lexicon(language: str) -> tuple[regex.Pattern[str], dict[str, frozenset[str]]] | None:
    """The language's description pattern and, by noun (casefolded), the kinds it fits."""
    text = files("processors.analysis.data").joinpath("descriptions.tsv").read_text("utf-8")
    kinds: dict[str, set[str]] = {}
    for row in text.splitlines():
        if not row.strip() or row.startswith("#"):
            continue
        row_language, kind, nouns = row.split("\t")
        if row_language == language:
            for noun in nouns.split("|"):
                kinds.setdefault(noun.casefold(), set()).add(kind)
    if not kinds or language not in _DETERMINERS:
        return None
    nouns = "|".join(regex.escape(n).replace(r"\ ", r"\s+")
                     for n in sorted(kinds, key=len, reverse=True))
    pattern = regex.compile(rf"\b(?i:{_DETERMINERS[language]})(?:\p{{Ll}}[\p{{L}}-]*\s+)??"
                            rf"(?P<noun>(?i:{nouns}))\b(?![-‑’']\p{{L}})(?!\s+\p{{Lu}})")
    return pattern, {noun: frozenset(k) for noun, k in kinds.items()}


def definite_descriptions(sentence: str, language: str) -> list[Description]:
    """The sentence's definite descriptions of a listed noun, in text order (each looks back
    at most 12 characters for its preposition: linear in the sentence)."""
    lexicon = _lexicon(language)
    if lexicon is None:
        return []
    pattern, kinds = lexicon
    return [Description(m.start(), m.end(), kinds[" ".join(m.group("noun").casefold().split())])
            for m in pattern.finditer(sentence)
            if not _AFTER_PREPOSITION.search(sentence[max(0, m.start() - 12):m.start()])]


def described_names(sentence: str, language: str, index: int, named: list[Named],
                    written_in: Callable[[int], Sequence[Named]],
                    subject_at: int | None = None) -> list[Description]:
    """Add to ``named`` (sentence ``index``'s names) the name each of its descriptions stands
    for (``stands_for``), written where the description is, unless it holds that name already;
    and return those descriptions. One at ``subject_at`` is the subject pronoun rule's ("The
    index fell": ``pronouns.subject_pronoun``)."""
    standing = []
    for d in definite_descriptions(sentence, language):
        meant = None if d.start == subject_at else stands_for(d, index, named, written_in)
        if meant is not None and all(n.name != meant.name for n in named):
            named.append(meant)
            standing.append(d)
    return standing


def stands_for(description: Description, index: int, own: Sequence[Named],
               written_in: Callable[[int], Sequence[Named]]) -> Named | None:
    """The name ``description`` of sentence ``index`` stands for, written where it is: None
    when the sentence names a fitting name before it (``own``: its names), else the first
    fitting name of the nearest of the ``DESCRIPTION_LOOKBACK`` sentences before it that writes
    one (``written_in``: a sentence's names, its descriptions' included); or None."""
    if any(n.kind in description.kinds and n.start < description.start for n in own):
        return None
    for back in range(index - 1, max(index - 1 - DESCRIPTION_LOOKBACK, -1), -1):
        fitting = [n for n in written_in(back) if n.kind in description.kinds]
        if fitting:
            first = min(fitting, key=lambda n: n.start)
            return Named(first.name, first.kind, description.start, description.end)
    return None



DESCRIBED_VERB_WORDS = 4  # "the aircraft was being pushed back": the verb within 4 words


def described_verb(sentence: str, description: Description, language: str) -> Found | None:
    """The verb whose subject the description is: the first verb-like word of the
    ``DESCRIBED_VERB_WORDS`` words after it ("as the aircraft was leaving", "the index dipped"),
    an event of the name it stands for; or None."""
    words = _words(sentence)
    after = [i for i, w in enumerate(words) if w.start >= description.end][:DESCRIBED_VERB_WORDS]
    verb = next((i for i in after if verb_like(words, i, language)), None)
    return None if verb is None else Found(None, words[verb].start, words[verb].end)
