"""Which words can open a match of a compiled rule, read off the regular expression itself.

A match of a rule starts on a word boundary, so it starts on a token of the text (a run of
letters or of digits). Walking the parsed expression from its start gives the tokens that
can open it: a key of ``KEY_LETTERS`` letters (``lund`` for ``lundi``/``lundis``), a whole
short word followed by a non-letter (``le$``), or ``#`` for a run of digits. Letters are
compared lowercased without accents, so a key is a necessary condition, never a sufficient
one: the engine still runs the expression wherever a key allows it. ``openings`` returns
None when it cannot tell (a pattern opening on ``\\w`` or on punctuation): such a rule is
scanned the slow way.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from typing import Any

KEY_LETTERS = 4
DIGIT_KEY = "#"
WORD_END = "$"
MAX_DEPTH = 200
MAX_KEYS = 5000
MAX_RANGE = 64
_LETTER = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"\d")
_PARSER: Any = importlib.import_module("re._parser")  # CPython's own reader of patterns
_ZERO_WIDTH = frozenset({"AT", "ASSERT", "ASSERT_NOT"})
_REPEATS = frozenset({"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"})


class _Undecidable(Exception):
    """The opening token of a pattern cannot be told from its first characters."""


def normal_letters(word: str) -> str:
    """Lowercase a token and drop its accents (``Août`` -> ``aout``)."""
    word = word.lower()
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def opening_key(token: str) -> str:
    """Return the key a token of a text answers to (see ``openings``)."""
    if token[0].isdigit():
        return DIGIT_KEY
    letters = normal_letters(token)
    if len(letters) < KEY_LETTERS:
        return letters + WORD_END
    return letters[:KEY_LETTERS]


def openings(pattern: str, flags: int = 0) -> frozenset[str] | None:
    """Return the keys of the tokens that can open a match of ``pattern`` (None: any token)."""
    try:
        parsed = _PARSER.parse(pattern, flags)
        keys: set[str] = set()
        _walk(list(parsed.data), (), "", keys, 0)
    except (_Undecidable, RecursionError):
        return None
    return frozenset(keys)


def _walk(items: list, rest: tuple[list, ...], letters: str, keys: set[str], depth: int) -> None:
    """Add to ``keys`` every opening reachable from ``items`` then ``rest`` after ``letters``."""
    if depth > MAX_DEPTH or len(keys) > MAX_KEYS:
        raise _Undecidable
    depth += 1
    if not items:
        if rest:
            _walk(rest[0], rest[1:], letters, keys, depth)
        elif letters:
            keys.add(letters + WORD_END)
        else:
            raise _Undecidable  # the pattern can match the empty string
        return
    (op, argument), tail = items[0], items[1:]
    name = op.name
    if name in _ZERO_WIDTH:
        _walk(tail, rest, letters, keys, depth)
    elif name == "SUBPATTERN":
        _walk(list(argument[-1]), (tail, *rest), letters, keys, depth)
    elif name == "BRANCH":
        for alternative in argument[1]:
            _walk(list(alternative), (tail, *rest), letters, keys, depth)
    elif name in _REPEATS:
        low, high, body = argument
        if low == 0:
            _walk(tail, rest, letters, keys, depth)
        if high != 0:
            high = high if high == _PARSER.MAXREPEAT else high - 1
            again = [(op, (max(low - 1, 0), high, body))]
            _walk(list(body), (again + tail, *rest), letters, keys, depth)
    else:
        for char in _characters(name, argument):
            _consume(char, tail, rest, letters, keys, depth)


def _consume(char: str, tail: list, rest: tuple[list, ...], letters: str, keys: set[str], depth: int) -> None:
    """Extend the opening with one character the pattern may read next."""
    if _LETTER.fullmatch(char):
        extended = letters + normal_letters(char)
        if len(extended) >= KEY_LETTERS:
            keys.add(extended[:KEY_LETTERS])
        else:
            _walk(tail, rest, extended, keys, depth)
    elif letters:
        keys.add(letters + WORD_END)
    elif _DIGIT.fullmatch(char):
        keys.add(DIGIT_KEY)
    else:
        raise _Undecidable  # a match opening on punctuation


def _characters(name: str, argument: Any) -> list[str]:
    """Return the characters one consuming item may read (representatives for \\d and \\s)."""
    if name == "LITERAL":
        return [chr(argument)]
    if name != "IN":
        raise _Undecidable  # ANY, NOT_LITERAL, back references...
    found = []
    for kind, value in argument:
        kind_name = kind.name
        if kind_name == "LITERAL":
            found.append(chr(value))
        elif kind_name == "RANGE" and value[1] - value[0] <= MAX_RANGE:
            found.extend(chr(code) for code in range(value[0], value[1] + 1))
        elif kind_name == "CATEGORY" and value.name == "CATEGORY_DIGIT":
            found.append("0")
        elif kind_name == "CATEGORY" and value.name == "CATEGORY_SPACE":
            found.append(" ")
        else:
            raise _Undecidable  # \w, negated classes, wide ranges
    return found
