"""Where a Newsline mention lies in a tokenised gold text, and which word of it is the event.

Shared by the benches that score Newsline against token-level gold (``semeval_official.py``,
``ecbplus_conll.py``). Newsline's mentions are dated expressions in a sentence, with character
offsets; the gold gives tokens. ``locate`` finds the mention's sentence among the gold sentences
and the tokens its expression covers, comparing letters and digits only (so tokenisation, spacing
and quote styles do not matter). Newsline's mentions carry no event word: ``event_word`` picks
one by a stated rule, the token nearest to the date expression, in the same clause, that looks
like a verb: a past form (``-ed`` or a common irregular one such as ``said``, ``sold``, ``won``)
or a word right after an auxiliary, a modal or ``to``. A mention dated from elsewhere (its
``anchor`` is not ``explicit``: its sentence has no date, and its span is the predicate
production found) is its own event word: the last token of its span (``mention_word``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from schemas.articles import Mention

_AUXILIARIES = frozenset(
    "will would shall should can could may might must to has have had having is are was were be "
    "been being am 's 'd 'll did do does n't not".split())
_IRREGULAR_PAST = frozenset(
    "said won sold lost made took gave got began bought brought built came fell flew found grew "
    "held hit kept led left met paid put ran rose saw sent set shut spent stood struck told went "
    "wrote cut beat chose drove knew laid quit sank shot sought spoke swept thought threw withdrew "
    "overtook undertook forecast broke became bid dropped slid sank tumbled climbed".split())
_NOT_VERBS = frozenset(
    "need feed seed speed red bed shed hundred indeed united based limited related detailed "
    "advanced proposed expected scheduled the a an its their his her this that these those also "
    "now then still already just only no more most up in on at of for by with and or but".split())
_CLAUSE_BREAKS = frozenset({";", ":", "--", "``", "''", '"', "(", ")"})
_WORD = re.compile(r"[a-z][a-z-]*[a-z]")


def _verb_like(tokens: Sequence[str], i: int) -> bool:
    word = tokens[i]
    if not _WORD.fullmatch(word):
        return False
    if word in _IRREGULAR_PAST or (word.endswith("ed") and len(word) > 4 and word not in _NOT_VERBS):
        return True
    return (i > 0 and tokens[i - 1].lower() in _AUXILIARIES and word not in _AUXILIARIES
            and word not in _NOT_VERBS)


def event_word(tokens: Sequence[str], first: int, last: int) -> int | None:
    """The index of the event word for a date expression over ``tokens[first:last + 1]``.

    The nearest verb-like token (see the module docstring) outside the expression and not past a
    clause break (``;``, ``:``, quotes, brackets); on a tie, the one before the expression.
    """
    best: tuple[int, int] | None = None
    for step in (-1, 1):
        i = first - 1 if step < 0 else last + 1
        while 0 <= i < len(tokens) and tokens[i] not in _CLAUSE_BREAKS:
            if _verb_like(tokens, i):
                distance = (first - i) if step < 0 else (i - last)
                if best is None or distance < best[0]:
                    best = (distance, i)
                break
            i += step
    return best[1] if best else None


def mention_word(mention: Mention, tokens: Sequence[str], first: int, last: int) -> int | None:
    """The event word of a mention whose span covers ``tokens[first:last + 1]``.

    A date expression (``anchor`` explicit, the only kind before issue 12 part 2): ``event_word``.
    A predicate (any other anchor): its last token.
    """
    if getattr(mention, "anchor", "explicit") == "explicit":
        return event_word(tokens, first, last)
    return last


def _skeleton(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def locate(mention: Mention, sentences: Sequence[Sequence[str]],
           span: tuple[int, int] | None = None) -> tuple[int, int, int] | None:
    """(sentence index, first token, last token) of a mention's date expression, if found.

    The mention's sentence is looked for, letters and digits only, inside each gold sentence
    (a list of tokens) in turn; the expression's letters and digits are then counted to the
    tokens that hold them. None when no sentence holds it. ``span``: (start, end) characters of
    another part of the mention's sentence, located instead of the expression.
    """
    flat = _skeleton(mention.sentence)
    inner, end = span or (mention.start_char - mention.sentence_start,
                          mention.end_char - mention.sentence_start)
    before = len(_skeleton(mention.sentence[:inner]))
    length = max(len(_skeleton(mention.sentence[inner:end])), 1)
    if not flat:
        return None
    for number, tokens in enumerate(sentences):
        owner = [i for i, tok in enumerate(tokens) for _ in _skeleton(tok)]
        where = "".join(_skeleton(t) for t in tokens).find(flat)
        if where >= 0 and where + before + length - 1 < len(owner):
            return number, owner[where + before], owner[where + before + length - 1]
    return None
