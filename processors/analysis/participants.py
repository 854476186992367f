"""Whose event a word is: the names of its own clause, not every name of its sentence.

"Singapore Airlines says that it will be compensated by Airbus": ``says`` is Singapore
Airlines' event; ``compensated`` is Airbus' and, through ``it``, Singapore Airlines'. A mention
names the participants of its event word (``Mention.entities``); the sentence's other names
are its context (``Mention.context_entities``), as the neighbouring sentences' are. No parser:
a clause runs between the clause openers of ``predicates.CLAUSE_OPENERS`` (``that``, ``que``,
``which``, ``qui``, quotes, brackets...), and a clause that names no one keeps the sentence's
names (no evidence either way). Every other event word of a sentence, found by its form alone,
names only its own subject and object (``arguments``): a sentence naming someone does not make
each of its words that person's event.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple

import regex

from processors.analysis.event_words import verb_positions
from processors.analysis.predicates import CLAUSE_OPENERS, _found, _Word, _words


class Named(NamedTuple):
    """A name of the sentence and where it is written."""

    name: str
    kind: str
    start: int
    end: int


def surnames(named: Iterable[Named]) -> dict[str, str]:
    """Last word -> full name of each person an article names with two words or more ("Fritz
    Henderson" -> Frederick Henderson), when no other person of the article ends alike."""
    found: dict[str, set[str]] = {}
    for n in named:
        words = n.name.split()
        if n.kind == "person" and len(words) >= 2:
            found.setdefault(words[-1].casefold(), set()).add(n.name)
    return {last: next(iter(names)) for last, names in found.items() if len(names) == 1}


def with_full_names(named: Sequence[Named], full: dict[str, str]) -> list[Named]:
    """The sentence's names, a lone word the article writes as a person's last name read as that
    person ("Henderson described the events": Frederick Henderson). Only a word of no known kind:
    "Ford" is the company, not Henry Ford."""
    return [Named(full[n.name.casefold()], "person", n.start, n.end)
            if n.kind == "other" and n.name.casefold() in full else n for n in named]


# A clause they open between commas is set inside another: "The airline, which is the third
# largest in China, signed the agreement": ``signed`` is the airline's.
_RELATIVES = frozenset("which who whom whose qui dont lequel laquelle lesquels lesquelles".split())


# A comma before one of these joins two clauses: "Chrysler filed for bankruptcy, however a deal
# with Fiat went through": the filing is Chrysler's, the deal Fiat's.
_JOINED_CLAUSE = regex.compile(r",\s*(?:however|but|while|whereas|although|though|yet|mais|"
                               r"cependant|alors\s+que|bien\s+que)\b", regex.I)


def clause_bounds(sentence: str, start: int, end: int) -> tuple[int, int]:
    """The character span of the clause that holds ``sentence[start:end]``."""
    words = _words(sentence)
    lo, hi = 0, len(sentence)
    for w in reversed(words):
        if w.end > start or w.text not in CLAUSE_OPENERS:
            continue
        if w.text in _RELATIVES and sentence[:w.start].rstrip().endswith(",") \
                and "," in sentence[w.end:start]:
            continue  # a relative clause set between commas: the clause around it goes on
        lo = w.end
        break
    for w in words:
        if w.start >= end and w.text in CLAUSE_OPENERS:
            hi = min(hi, w.start)
            break
    joint = _JOINED_CLAUSE.search(sentence, end, hi)  # only after the word: measured
    return lo, hi if joint is None else joint.start()


# A clause opening with one of these is about the sentence's subject: "SIA says that it will be
# compensated", « Airbus a annoncé qu'il livrera ».
_SUBJECT_PRONOUNS = {
    "en": frozenset("it they he she".split()),
    "fr": frozenset("il ils elle elles".split()),
}


def participants(sentence: str, start: int, end: int, names: Sequence[Named],
                 language: str, word_end: int | None = None) -> frozenset[str]:
    """The names that take part in the event written at ``sentence[start:end]``: those of its
    clause up to the next predicate after it (``_next_predicate``; for a date, after
    ``word_end``, the end of the predicate it dates) but a name it is compared
    with ("more orders than Airbus"), and the sentence's
    subject when the clause opens with a subject pronoun ("SIA says that it will be
    compensated"). A clause that names no one gives no one: "Speaking to reporters, he said
    that Boeing would win" is not Boeing's statement."""
    lo, hi = clause_bounds(sentence, start, end)
    hi = _next_predicate(sentence, max(end, word_end or end), hi, language,
                         frozenset(n.start for n in names))
    inside = {n.name for n in names if lo <= n.start and n.end <= hi
              and not _compared(sentence, n.start)}
    if lo > 0:
        first = next((w for w in _words(sentence) if w.start >= lo), None)
        if first is not None and first.text in _SUBJECT_PRONOUNS.get(language, frozenset()):
            subject = next((n for n in names if n.kind != "place" and n.start < lo), None)
            if subject is not None:
                inside.add(subject.name)
    return frozenset(inside)


@lru_cache(maxsize=1 << 10)  # read for every mention of a sentence
def _predicates(sentence: str, language: str) -> frozenset[int]:
    """The indices of the sentence's words (``predicates._words``) that are predicates: a form
    of the table, or a word that looks like a verb."""
    words = _words(sentence)
    forms = (i for i in range(len(words)) if _found(words, i) is not None)
    return verb_positions(sentence, language).union(forms)


# Words before an infinitive that makes it the complement of the predicate before it ("gave
# the junta a week to reinstate Bazoum", « ont ordonné l'activation de la force pour rétablir
# l'ordre au Niger »): what it names is what that predicate is about.
_COMPLEMENT = {"en": frozenset({"to"}), "fr": frozenset({"pour", "afin"})}
# Words before a verb that make it a new predicate of the clause's subject ("... and thanked
# President Obama"), not a participle qualifying the title and name after it.
_COORDINATION = frozenset("and then but et puis mais".split())
# Words before an event noun that make it the object of the predicate before it ("denounced
# the visit of Shoigu", « a dénoncé la visite du ministre »): no new clause.
_DETERMINERS = frozenset("the a an its his her their this these le la les l du des un une "
                         "son sa ses leur leurs ce cette".split())


def _next_predicate(sentence: str, end: int, hi: int, language: str,
                    name_starts: frozenset[int] = frozenset()) -> int:
    """Where the next predicate after ``end`` starts within the clause ending at ``hi``: a name
    after it is that predicate's ("Boeing received a letter and thanked Airbus": the thanks
    are Airbus', the letter is not). No boundary: an infinitive complement (``_COMPLEMENT``),
    an event noun after a determiner (``_DETERMINERS``), and a participle that qualifies the
    title and name written next ("elected President Mohamed Bazoum": ``name_starts``)."""
    words = _words(sentence)
    found = _predicates(sentence, language)
    complement = _COMPLEMENT.get(language, frozenset())

    def qualifies_a_name(i: int) -> bool:
        ahead = words[i + 1:i + 3]
        return (len(ahead) == 2 and sentence[ahead[0].start].isupper()
                and ahead[1].start in name_starts
                and (i == 0 or words[i - 1].text.lower() not in _COORDINATION))

    return next((w.start for i, w in enumerate(words)
                 if end <= w.start and w.end <= hi and i in found
                 and not (i > 0 and words[i - 1].text.lower() in complement | _DETERMINERS)
                 and not qualifies_a_name(i)), hi)


# How far from a word, in words, its subject and object are written ("Boeing has now received",
# "the purchase of 22 new Boeing"), tuned on the even half of SemEval-2015 Task 4.
ARGUMENT_WORDS = 4


def arguments(sentence: str, start: int, end: int, names: Sequence[Named],
              language: str) -> frozenset[str]:
    """The participants of a word found by its form alone (``event_words.more_event_words``):
    its subject, the nearest name before it, and its object, the nearest name after it, each
    within ``ARGUMENT_WORDS`` words of its clause, with no comma and no other predicate between
    ("Ford Motor Company sales dropped": Ford's; "Boeing received a congratulatory letter from
    Airbus. ... a day to celebrate": nobody's). Such a word is every word of a sentence that
    looks like an event; the sentence naming someone does not make it their event."""
    lo, hi = clause_bounds(sentence, start, end)
    words = _words(sentence)
    subject = next((n for n in reversed(names) if lo <= n.start and n.end <= start), None)
    object_ = next((n for n in names if end <= n.start and n.end <= hi), None)
    found = {n.name for n, a, b in ((subject, None, start), (object_, end, None))
             if n is not None and _adjacent(sentence, words, n.end if a is None else a,
                                            n.start if b is None else b, language)}
    if (subject is None or subject.name not in found) and _non_finite(words, start, language):
        first = next((n for n in names if lo <= n.start and n.end <= start and n.kind != "place"),
                     None)
        if first is not None:
            found.add(first.name)
    return frozenset(found)


_DETERMINER_BEFORE = frozenset("the a an its his her their this that these those".split())


def _non_finite(words: tuple[_Word, ...], start: int, language: str) -> bool:
    """Whether the English word at ``start`` is an infinitive after ``to`` or an -ing participle
    (not a noun after a determiner): it has no subject of its own but its clause's ("The Nikkei
    dropped 9.62 % to reach a 20 year low", "the Nasdaq lost 53.5 points, closing at")."""
    at = next((i for i, w in enumerate(words) if w.start == start), None)
    if language != "en" or at is None or at == 0:
        return False
    before = words[at - 1].text
    return before == "to" or (words[at].text.endswith("ing") and before not in _DETERMINER_BEFORE)


def _adjacent(sentence: str, words: tuple[_Word, ...], a: int, b: int, language: str) -> bool:
    """Whether ``sentence[a:b]``, between a word and a name, is short and crosses no comma and
    no predicate."""
    between = [i for i, w in enumerate(words) if a <= w.start and w.end <= b]
    return ("," not in sentence[a:b] and len(between) <= ARGUMENT_WORDS
            and _predicates(sentence, language).isdisjoint(between))


def _compared(sentence: str, start: int) -> bool:
    """Whether the name at ``start`` is what something is compared with ("more orders than
    Airbus"): no participant."""
    return sentence[:start].rstrip().casefold().endswith(" than")

