"""An article's repeated references to one event, joined into one mention.

A story names its main event again and again: "Tara Reid checked herself into rehab ... Reid
checked into Promises ... her check-in". A timeline reader wants that event once, and the
resolver should compare it once: ``join_repeated`` keeps the first, best-anchored mention of each
event of an article and folds the later words for it into its ``references``.

Two mentions of one article name one event when their words have the same key (a predicate's
key, « indiqué » and "said" alike, else ``event_words.event_key``: "killed", "killing") and
participants that fit (``Mention.participants``, else the sentence's names: a shared name, or
none named on one side). A mention with a
date of its own (``explicit``) is never folded: two dates are two events, and it is what
resolution compares. Verbs of saying are not joined either: each statement is an event. All of
it reads one article alone, so arrival order cannot change it. Each mention kept carries its
word's key (``Mention.event_key``): resolution reads it to let a mention without a date of its
own join another article's report of the same event word.
"""

from __future__ import annotations

from collections.abc import Sequence

from processors.analysis.event_words import event_key
from processors.analysis.predicates import dated_predicate
from schemas.articles import Mention, Reference

_ANCHOR_RANK = {"explicit": 0, "narrative": 1, "publication": 2, "none": 3}


def word_key(m: Mention, language: str) -> str | None:
    """The key of the word a mention reports (its predicate's, else ``event_key`` of the word);
    None for a verb of saying, or an explicit mention whose clause has no verb."""
    if m.predicate_kind == "report":
        return None
    if m.predicate is not None:
        return m.predicate
    if m.anchor != "explicit":
        return event_key(m.expression, language)
    s = m.sentence_start
    tied = dated_predicate(m.sentence, m.start_char - s, m.end_char - s, language)
    if tied is None:
        return None
    if tied.predicate is not None:
        return None if tied.predicate.kind == "report" else tied.predicate.key
    return event_key(m.sentence[tied.start:tied.end], language)


def _taking_part(m: Mention) -> frozenset[str]:
    return frozenset(m.entities if m.participants is None else m.participants)


def _same_participants(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two words' participants can be one event's: they share a name, or one of them
    names none ("the shooting" after "Smith shot"). Two words that name different people are
    two events ("police killed a suspect ... the gunman killed three")."""
    return not a or not b or not a.isdisjoint(b)


def join_repeated(mentions: Sequence[Mention], language: str) -> list[Mention]:
    """The mentions with each later reference to an earlier event of the article folded into it
    (module docstring): best anchored first, then in text order, a mention without a date of its
    own joins the first lead of its key whose participants fit; the rest keep their order."""
    leads: dict[str, list[int]] = {}
    keys: dict[int, str] = {}
    folded: dict[int, list[Reference]] = {}
    dropped: set[int] = set()
    order = sorted(range(len(mentions)),
                   key=lambda i: (_ANCHOR_RANK[mentions[i].anchor], mentions[i].start_char))
    for i in order:
        m = mentions[i]
        key = word_key(m, language)
        if key is None:
            continue
        keys[i] = key
        own = _taking_part(m)
        lead = next((j for j in leads.get(key, ())
                     if _same_participants(_taking_part(mentions[j]), own)), None)
        if lead is None or m.anchor == "explicit":
            leads.setdefault(key, []).append(i)
            continue
        dropped.add(i)
        folded.setdefault(lead, []).append(Reference(
            sentence=m.sentence, sentence_start=m.sentence_start, expression=m.expression,
            start_char=m.start_char, end_char=m.end_char))
    return [_keyed(m, keys.get(i), folded.get(i, []))
            for i, m in enumerate(mentions) if i not in dropped]


def _keyed(m: Mention, key: str | None, references: list[Reference]) -> Mention:
    """The mention with its word's key (``Mention.event_key``, resolution's evidence for a
    mention without a date of its own) and the references folded into it."""
    if key is None and not references:
        return m
    update: dict[str, object] = {"event_key": key}
    if references:
        update["references"] = sorted(references, key=lambda r: r.start_char)
    return m.model_copy(update=update)
