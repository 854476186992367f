"""Every event word of a sentence, by form alone, and which words of one article name one event.

A timeline reader wants every event a story reports. ``predicates.event_words`` gives the few
other events a dated sentence is known to report (event nouns of a short list, what is said);
``more_event_words`` gives the rest: every form of the predicate table ("said", « attaqué »),
every word that looks like a verb (``predicates.verb_like``: "was killed", "arrested"), every
English -ing noun after a determiner or a preposition ("after the shooting") and every noun the
article also uses as a verb ("the murder" where it writes "murdered"; « l'arrestation »
where it writes « arrêté » does not count: the stems differ). No tagger and no word list of a
corpus: the verbs of the article itself say which of its nouns name events.

``event_key`` is what ``references.join_repeated`` joins on: a table form's key (« indiqué » and
"said": ``say``), else the word's stem with its nominal suffix dropped ("killed", "killing",
"kills": ``kill``; "elected", "election": ``elect``).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import regex

from processors.analysis.entities import stem
from processors.analysis.predicates import Found, _fold, _found, _Word, _words, verb_like

# Nominal suffixes dropped after ``entities.stem`` (which takes "-ation" off): "election" ->
# "elect", "payment" -> "pay", « arrestation » -> « arrest ».
_NOMINAL = {
    "en": ("ion", "ment", "al", "ure"),
    "fr": ("ation", "ion", "ment", "age", "ure"),
}
_MIN_KEY = 3
# English irregular verbs, past form -> base (general morphology, not a corpus's list): "shot"
# and "shooting" are one event's words, as "killed" and "killing" are.
_IRREGULAR = dict(pair.split(":") for pair in (
    "shot:shoot won:win fell:fall led:lead met:meet stole:steal stolen:steal fled:flee "
    "held:hold left:leave paid:pay sold:sell lost:lose made:make took:take taken:take gave:give "
    "given:give began:begin begun:begin bought:buy brought:bring built:build came:come "
    "flew:fly flown:fly found:find grew:grow grown:grow kept:keep ran:run rose:rise risen:rise "
    "saw:see seen:see sent:send spent:spend stood:stand wrote:write written:write broke:break "
    "broken:break chose:choose chosen:choose drove:drive driven:drive knew:know known:know "
    "struck:strike told:tell threw:throw thrown:throw sank:sink sunk:sink sought:seek went:go "
    "gone:go became:become spoke:speak spoken:speak fought:fight caught:catch taught:teach "
    "hung:hang hid:hide hidden:hide bit:bite bitten:bite ate:eat eaten:eat fed:feed "
    "froze:freeze frozen:freeze slid:slide swept:sweep withdrew:withdraw withdrawn:withdraw "
    "overtook:overtake beat:beat beaten:beat died:die dies:die dying:die lied:lie lying:lie "
    "tied:tie").split())
_LETTERS = regex.compile(r"\p{L}{3,}")


@lru_cache(maxsize=1 << 16)  # pure, and called on every lower-case word of a sentence with a mention
def event_key(word: str, language: str) -> str:
    """The key two words of one article share when they name one event by the same verb or its
    nominalisation: the stem (``entities.stem``, of the base of an English irregular form)
    without a nominal suffix, a doubled final consonant made single ("shot" and "shooting";
    "stopped" and "stop")."""
    folded = _fold(word)
    key = stem(_IRREGULAR.get(folded, folded) if language == "en" else folded, language)
    for suffix in _NOMINAL.get(language, ()):
        if key.endswith(suffix) and len(key) - len(suffix) >= _MIN_KEY:
            key = key[: -len(suffix)]
            break
    if len(key) > _MIN_KEY and key[-1] == key[-2] and key[-1] not in "aeiouls":
        key = key[:-1]
    return key


@lru_cache(maxsize=1 << 10)  # read by `verb_keys`, `more_event_words` and `participants`
def verb_positions(sentence: str, language: str) -> frozenset[int]:
    """The positions of the sentence's words (``predicates._words``) that look like verbs."""
    words = _words(sentence)
    return frozenset(i for i in range(len(words)) if verb_like(words, i, language))


def verb_keys(sentences: Iterable[str], language: str) -> frozenset[str]:
    """The keys of the words the article uses as verbs (``verb_like``), for ``more_event_words``."""
    keys: set[str] = set()
    for sentence in sentences:
        words = _words(sentence)
        keys.update(event_key(words[i].text, language) for i in verb_positions(sentence, language))
    return frozenset(keys)


_GERUND = regex.compile(r"\p{L}{3,}ing")
_BEFORE_GERUND = frozenset("the a an its his her their this that of after before in since "
                           "following".split())


def _gerund(words: tuple[_Word, ...], i: int, language: str) -> bool:
    """An English -ing noun after a determiner or a preposition: "the shooting", "after
    the killing" (an event named by its verb)."""
    return (language == "en" and i > 0 and not words[i].capital
            and words[i - 1].text in _BEFORE_GERUND and _GERUND.fullmatch(words[i].text) is not None)


def more_event_words(sentence: str, language: str, verbs: frozenset[str]) -> list[Found]:
    """Every event word of the sentence, in order: each form of the predicate table, each
    verb-like word, and each other lower-case word whose key is among ``verbs`` (the article's
    verbs: a noun of one of its verbs names that event)."""
    words = _words(sentence)
    verb_like_at = verb_positions(sentence, language)
    found: list[Found] = []
    i = 0
    while i < len(words):
        hit = _found(words, i)
        if hit is not None:
            found.append(Found(hit[0], words[i].start, words[i + hit[1] - 1].end))
            i += hit[1]
            continue
        w = words[i]
        if i in verb_like_at or _gerund(words, i, language) or (
                not w.capital and _LETTERS.fullmatch(w.text) is not None
                and event_key(w.text, language) in verbs):
            found.append(Found(None, w.start, w.end))
        i += 1
    return found
