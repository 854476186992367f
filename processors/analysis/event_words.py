"""Every event word of a sentence, by form alone, and which words of one article name one event.

A timeline reader wants every event a story reports. ``predicates.event_words`` gives the few
other events a dated sentence is known to report (event nouns of a short list, what is said);
``more_event_words`` gives the rest: every form of the predicate table ("said", « attaqué »),
every word that looks like a verb (``predicates.verb_like``: "was killed", "arrested") and every
noun the article also uses as a verb ("the murder" where it writes "murdered"; « l'arrestation »
where it writes « arrêté » does not count: the stems differ). No tagger and no word list of a
corpus: the verbs of the article itself say which of its nouns name events.

``event_key`` is what ``mentions.repeated`` joins on: a table form's key (« indiqué » and
"said": ``say``), else the word's stem with its nominal suffix dropped ("killed", "killing",
"kills": ``kill``; "elected", "election": ``elect``).
"""

from __future__ import annotations

from collections.abc import Iterable

import regex

from processors.analysis.entities import stem
from processors.analysis.predicates import Found, _fold, _found, _words, verb_like

# Nominal suffixes dropped after ``entities.stem`` (which takes "-ation" off): "election" ->
# "elect", "payment" -> "pay", « arrestation » -> « arrest ».
_NOMINAL = {
    "en": ("ion", "ment", "al", "ure"),
    "fr": ("ation", "ion", "ment", "age", "ure"),
}
_MIN_KEY = 3
_LETTERS = regex.compile(r"\p{L}{3,}")


def event_key(word: str, language: str) -> str:
    """The key two words of one article share when they name one event by the same verb or its
    nominalisation: the stem (``entities.stem``) without a nominal suffix, a doubled final
    consonant made single ("shooting" and "shot" differ; "stopped" and "stop" do not)."""
    key = stem(_fold(word), language)
    for suffix in _NOMINAL.get(language, ()):
        if key.endswith(suffix) and len(key) - len(suffix) >= _MIN_KEY:
            key = key[: -len(suffix)]
            break
    if len(key) > _MIN_KEY and key[-1] == key[-2] and key[-1] not in "aeiouls":
        key = key[:-1]
    return key


def verb_keys(sentences: Iterable[str], language: str) -> frozenset[str]:
    """The keys of the words the article uses as verbs (``verb_like``), for ``more_event_words``."""
    keys: set[str] = set()
    for sentence in sentences:
        words = _words(sentence)
        keys.update(event_key(w.text, language) for i, w in enumerate(words)
                    if verb_like(words, i, language))
    return frozenset(keys)


def more_event_words(sentence: str, language: str, verbs: frozenset[str]) -> list[Found]:
    """Every event word of the sentence, in order: each form of the predicate table, each
    verb-like word, and each other lower-case word whose key is among ``verbs`` (the article's
    verbs: a noun of one of its verbs names that event)."""
    words = _words(sentence)
    found: list[Found] = []
    i = 0
    while i < len(words):
        hit = _found(words, i)
        if hit is not None:
            found.append(Found(hit[0], words[i].start, words[i + hit[1] - 1].end))
            i += hit[1]
            continue
        w = words[i]
        if verb_like(words, i, language) or (
                not w.capital and _LETTERS.fullmatch(w.text) is not None
                and event_key(w.text, language) in verbs):
            found.append(Found(None, w.start, w.end))
        i += 1
    return found
