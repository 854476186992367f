"""Which words can open a match of a compiled rule, read off the regular expression itself.

A match of a rule starts on a word boundary, so it starts on a token of the text (a run of
letters or of digits). Walking the parsed expression from its start gives the tokens that
can open it: a key of ``KEY_LETTERS`` letters (``lund`` for ``lundi``/``lundis``), a whole
short word and the first character after it that is not white space (``le$#`` for ``le 4``,
``le$m`` for ``le mardi``, ``l$'`` for ``l'an``), or ``#`` and the character that follows a run
of digits (``#/``, ``#.``; ``#$`` and the next character that is not white space when white
space follows: ``#$m`` for ``12 mai``). A ``*`` after ``$`` or ``#`` stands for
any character (the pattern may end there, or read ``\\w``). Letters are
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
ANY_FOLLOWER = "*"  # ``#*``: a run of digits followed by any character (or by nothing)
DIGIT_ANY = DIGIT_KEY + ANY_FOLLOWER
UNKNOWN_FOLLOWER = "?"  # ``#?``: a character a key cannot tell (it opens every digit rule)
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


def opening_key(token: str, follower: str = " ", next_char: str = "") -> str:
    """Return the key a token of a text answers to (``openings``).

    ``follower`` is the character right after the token, ``next_char`` the first one after it
    that is not white space ("" when the text ends first).
    """
    if token[0].isdigit():
        if follower.isspace() or not follower:  # a number, then words: "12 mai" is "#$m"
            return DIGIT_KEY + WORD_END + next_class(next_char)
        return DIGIT_KEY + follower_class(follower)
    letters = normal_letters(token)
    if len(letters) < KEY_LETTERS:
        return letters + WORD_END + next_class(next_char)
    return letters[:KEY_LETTERS]


def is_short_word(token: str) -> bool:
    """Tell whether a token's key holds the character after it (a word of under ``KEY_LETTERS``)."""
    return not token[0].isdigit() and len(normal_letters(token)) < KEY_LETTERS


def next_class(char: str) -> str:
    """Return the class of the first character that is not white space after a short word or a number.

    A digit is ``#``; a letter is itself lowercased without its accent (``É`` -> ``e``); any
    other ASCII character, or one without case, is itself; the rest (and "", the end of the
    text) is ``?``, which opens every rule the word opens.
    """
    if not char or char.isspace():
        return UNKNOWN_FOLLOWER
    if char.isdecimal():
        return DIGIT_KEY
    if char.isascii():
        return char.lower()
    letters = normal_letters(char)
    if len(letters) == 1 and letters.isascii():
        return letters
    return UNKNOWN_FOLLOWER if char.lower() != char.upper() or char.lower() != char else char


def follower_class(char: str) -> str:
    """Return the class of the character after a run of digits in a text.

    White space is one class; an ASCII character is itself (lowercased); any other character
    that has a case (``é``, ``K``) is ``?``, which opens every digit rule, since ignoring case
    may let it match a character of another class.
    """
    if char.isspace():
        return " "
    if char.isascii():
        return char.lower()
    return UNKNOWN_FOLLOWER if char.lower() != char.upper() or char.lower() != char else char


def _pattern_follower(char: str) -> str:
    """Return the class of a character a pattern reads after a run of digits (see above)."""
    if char.isspace():
        return " "
    if char.isascii() or char.lower() == char.upper() == char:
        return char.lower()
    letters = normal_letters(char)
    if len(letters) == 1 and letters.isascii():
        return letters  # an accented letter: its class holds the ASCII letter (``é`` -> ``e``)
    return ANY_FOLLOWER


def openings(pattern: str, flags: int = 0) -> frozenset[str] | None:
    """Return the keys of the tokens that can open a match of ``pattern`` (None: any token)."""
    try:
        parsed = _PARSER.parse(pattern, flags)
        keys: set[str] = set()
        _walk(list(parsed.data), (), "", keys, 0, set())
    except (_Undecidable, RecursionError):
        return None
    return frozenset(keys)


def follow_any(rules_of_key: dict[str, list[int]]) -> None:
    """Complete the keys that end with a follower class (``#/``, ``le$m``, ``#$m``).

    Every key of a stem (``#``, ``#$``, ``le$``) opens the rules of its ``*`` key too (and a
    ``#$`` key those of ``#*``), and the stem's ``?`` key opens all the rules of the stem
    (``#?``: every rule a number opens).
    """
    stems: dict[str, list[str]] = {}
    for key in rules_of_key:
        stem = stem_of(key)
        if stem:
            stems.setdefault(stem, []).append(key)
    numbers_then_words = DIGIT_KEY + WORD_END
    if DIGIT_KEY in stems:  # "12 x" opens what "12" opens before anything, even with no "#$" key
        stems.setdefault(numbers_then_words, [])
    original = {key: set(rules) for key, rules in rules_of_key.items()}
    anything = {stem: original.get(stem + ANY_FOLLOWER, set()) for stem in stems}
    if numbers_then_words in stems:
        anything[numbers_then_words] |= original.get(DIGIT_ANY, set())
    every: dict[str, set[int]] = {}
    for stem, keys in stems.items():
        every[stem] = set(anything[stem]).union(*(original[key] for key in keys))
        for key in keys:
            rules_of_key[key] = sorted(original[key] | anything[stem])
    if numbers_then_words in stems:
        every[DIGIT_KEY] = every.get(DIGIT_KEY, set()) | every[numbers_then_words]
    for stem, rules in every.items():
        rules_of_key[stem + UNKNOWN_FOLLOWER] = sorted(rules)
        if anything.get(stem):
            rules_of_key[stem + ANY_FOLLOWER] = sorted(anything[stem])


def stem_of(key: str) -> str:
    """Return the stem of an opening key that ends with a follower class (``le$``, ``#``), else ""."""
    if WORD_END in key:
        return key[: key.index(WORD_END) + 1]
    return DIGIT_KEY if key.startswith(DIGIT_KEY) else ""


def _walk(items: list, rest: tuple[list, ...], letters: str, keys: set[str], depth: int, seen: set) -> None:
    """Add to ``keys`` every opening reachable from ``items`` then ``rest`` after ``letters``."""
    if depth > MAX_DEPTH or len(keys) > MAX_KEYS:
        raise _Undecidable
    depth += 1
    after_word = letters.endswith(WORD_END)
    if letters == DIGIT_KEY or after_word:  # a repeat (``\d+``, ``\s+``) comes back to a state
        state = (letters, _frozen(items), tuple(map(_frozen, rest)))
        if state in seen:
            return
        seen.add(state)
    if not items:
        if rest:
            _walk(rest[0], rest[1:], letters, keys, depth, seen)
        elif letters.startswith(DIGIT_KEY) or after_word:
            keys.add(letters + ANY_FOLLOWER)
        elif letters:
            keys.add(letters + WORD_END + ANY_FOLLOWER)
        else:
            raise _Undecidable  # the pattern can match the empty string
        return
    (op, argument), tail = items[0], items[1:]
    name = op.name
    if name in _ZERO_WIDTH:
        _walk(tail, rest, letters, keys, depth, seen)
    elif name == "SUBPATTERN":
        _walk(list(argument[-1]), (tail, *rest), letters, keys, depth, seen)
    elif name == "BRANCH":
        for alternative in argument[1]:
            _walk(list(alternative), (tail, *rest), letters, keys, depth, seen)
    elif name in _REPEATS:
        low, high, body = argument
        if low == 0:
            _walk(tail, rest, letters, keys, depth, seen)
        if high != 0:
            high = high if high == _PARSER.MAXREPEAT else high - 1
            again = [(op, (max(low - 1, 0), high, body))]
            _walk(list(body), (again + tail, *rest), letters, keys, depth, seen)
    elif letters.startswith(DIGIT_KEY) or after_word:
        try:
            chars = _characters(name, argument)
        except _Undecidable:
            chars = []
            keys.add(letters + ANY_FOLLOWER)
        follow = _follow_word if after_word else _follow_digits
        for char in chars:
            follow(char, tail, rest, letters, keys, depth, seen)
    else:
        for char in _characters(name, argument):
            _consume(char, tail, rest, letters, keys, depth, seen)


def _follow_digits(
    char: str, tail: list, rest: tuple[list, ...], digits: str, keys: set[str], depth: int, seen: set
) -> None:
    """Read on after the digits opening a match (``digits``: ``#``)."""
    if char.isspace():
        _walk(tail, rest, digits + WORD_END, keys, depth, seen)
    elif not _DIGIT.fullmatch(char):
        keys.add(DIGIT_KEY + _pattern_follower(char))
    else:
        _walk(tail, rest, digits, keys, depth, seen)


def _follow_word(
    char: str, tail: list, rest: tuple[list, ...], word: str, keys: set[str], depth: int, seen: set
) -> None:
    """Read on after a short word (``word``: ``le$``) up to the first character not a space."""
    if char.isspace():
        _walk(tail, rest, word, keys, depth, seen)
    elif _DIGIT.fullmatch(char):
        keys.add(word + DIGIT_KEY)
    else:
        keys.add(word + _pattern_follower(char))


def _frozen(items: list) -> tuple:
    """Return what identifies a list of parsed items (a repeat by its bounds and its body)."""
    return tuple(
        (op, argument[0], argument[1], id(argument[2])) if op.name in _REPEATS else (op, id(argument))
        for op, argument in items
    )


def _consume(
    char: str, tail: list, rest: tuple[list, ...], letters: str, keys: set[str], depth: int, seen: set
) -> None:
    """Extend the opening with one character the pattern may read next."""
    if _LETTER.fullmatch(char):
        extended = letters + normal_letters(char)
        if len(extended) >= KEY_LETTERS:
            keys.add(extended[:KEY_LETTERS])
        else:
            _walk(tail, rest, extended, keys, depth, seen)
    elif letters:
        _follow_word(char, tail, rest, letters + WORD_END, keys, depth, seen)
    elif _DIGIT.fullmatch(char):
        _walk(tail, rest, DIGIT_KEY, keys, depth, seen)
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
