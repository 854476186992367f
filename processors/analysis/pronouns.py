"""Who a sentence's subject pronoun stands for: "He stated that ...", « Il a annoncé ... ».

A reader of "Fritz Henderson outlined a plan. ... Speaking to the public he said that ..." knows
who said it. A sentence whose subject is a pronoun or a stand-in ("the company") also names, for
its mentions, the name the pronoun stands for: the first fitting name of the nearest of the
``SUBJECT_LOOKBACK`` sentences before it that writes one (across paragraphs: news paragraphs are
often one sentence long). No parser and no model: rules a reader would state.

- A sentence opening with a subject pronoun or a stand-in ("He", "It", "The company", « Il »,
  « L'entreprise »; not « il y a », « il faut », « il s'agit ») stands for the first name, not a
  place, before it.
- English ``he`` and ``she`` stand for a person, so they pass over the companies and indexes
  the sentences before may name first ("GM ... He stated": the chief executive, not GM); a last
  name alone that the article writes in full for one person is a person ("Henderson"). French
  « il » and « elle » are grammatical genders, said of companies too: no such rule.
- English ``he`` and ``she`` are subjects wherever they stand: after an opening phrase ("Speaking
  to the public he said", "In particular, he stated", "His plan, he stated, was") the sentence is
  still the person's, unless it names a person before the pronoun (who is then, most likely,
  the one it stands for).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import regex

from processors.analysis.participants import Named

_OPENING_SUBJECTS = {
    "en": regex.compile(r"(?:he|she|it|they|the (?:company|firm|airline|carrier|automaker|"
                        r"manufacturer|index|bank|group))\b", regex.I),
    "fr": regex.compile(r"(?:il(?! y\b| faut\b| s['’]agit\b)|elle|ils|elles|l['’]entreprise|"
                        r"la société|le groupe|la compagnie)\b", regex.I),  # not « il y a »
}
_PERSONAL = {"en": regex.compile(r"\b(?:he|she)\b", regex.I)}  # a person, wherever they stand
SUBJECT_LOOKBACK = 3


class Pronoun(NamedTuple):
    """Where a sentence's subject pronoun is written, and whether it stands for a person only."""

    start: int
    end: int
    person: bool


def subject_pronoun(sentence: str, language: str, named: Sequence[Named],
                    is_person: Callable[[str, str], bool]) -> Pronoun | None:
    """The sentence's subject pronoun: one that opens it, else (English) its first ``he`` or
    ``she`` when no person is named before it (``is_person(name, kind)``); or None."""
    pattern = _OPENING_SUBJECTS.get(language)
    if pattern is None:
        return None
    lead = len(sentence) - len(sentence.lstrip())
    opening = pattern.match(sentence, lead)
    personal = _PERSONAL.get(language)
    if opening is not None:
        return Pronoun(opening.start(), opening.end(),
                       personal is not None and personal.fullmatch(opening.group()) is not None)
    word = None if personal is None else personal.search(sentence)
    if word is None or any(n.start < word.start() and is_person(n.name, n.kind) for n in named):
        return None
    return Pronoun(word.start(), word.end(), True)


def name_before(index: int, named_in: Callable[[int], dict[str, str]],
                fits: Callable[[str, str], bool]) -> tuple[str, str] | None:
    """The first name that ``fits(name, kind)`` of the nearest of the ``SUBJECT_LOOKBACK``
    sentences before sentence ``index`` that writes one; or None. ``named_in`` gives a sentence's
    names with its own pronoun's, so a run of "He stated ...", "He emphasized ..." keeps the
    person the first one stands for."""
    for back in range(index - 1, max(index - 1 - SUBJECT_LOOKBACK, -1), -1):
        named = [(n, kind) for n, kind in named_in(back).items() if fits(n, kind)]
        if named:
            return named[0]
    return None
