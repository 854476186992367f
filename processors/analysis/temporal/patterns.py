"""Turn the rules of a language table into compiled regular expressions.

A rule pattern names slots as ``<category>``; this module expands each slot into a named
group: the words of that category (accent-, apostrophe- and hyphen-tolerant, longest first)
or a built-in numeric slot. Numbers inside a word (``2,024``, ``COVID-19``) never match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import Lexicon, Rule

BUILTIN_SLOTS = {
    "day": r"(?:0?[1-9]|[12]\d|3[01])",
    "month_num": r"(?:0?[1-9]|1[0-2])",
    "year": r"(?:1[5-9]\d\d|20\d\d)",
    "yy": r"(?:\d\d)",
    "hour": r"(?:[01]?\d|2[0-3])",
    "minute": r"(?:[0-5]\d)",
    "digits": r"(?:\d+(?:[.,]\d+)?)",
    "decade_year": r"(?:1[5-9]|20)\d0",
}
NUMERIC_SLOTS = frozenset({"day", "month_num", "year", "yy", "hour", "minute", "decade_year"})
_SLOT = re.compile(r"(?<!\?P)<([a-z_]+?)(\d?)>")
_ACCENTED = {
    "a": "àâä",
    "c": "ç",
    "e": "éèêë",
    "i": "îï",
    "o": "ôö",
    "u": "ùûü",
}
_HYPHEN = r"(?:[-\u2010\u2011]|\s+)"
_BASE_OF = {accented: base for base, group in _ACCENTED.items() for accented in group}
# Every match starts on a word character; a leading \b lets the engine skip mid-word positions.
_START = r"\b(?<![/-])(?<!\d[.,])"
_END = r"(?!\w)(?![.,/-]?\d)"


@dataclass(frozen=True)
class CompiledRule:
    """A rule of a table with its pattern compiled."""

    index: int
    rule: Rule
    regex: re.Pattern[str]
    has_span: bool = False  # reports only its ``span`` group
    slots: tuple[tuple[str, int, str], ...] = ()  # (name, group number, category) of each slot


def compile_rules(lexicon: Lexicon) -> tuple[CompiledRule, ...]:
    """Compile every rule of ``lexicon`` (order kept: earlier rules win ties)."""
    compiled = []
    for index, rule in enumerate(lexicon.rules):
        regex = re.compile(expand(rule.pattern, lexicon), re.IGNORECASE)
        groups = regex.groupindex.items()
        slots = tuple((name, number, name.rstrip("0123456789")) for name, number in groups if name != "span")
        compiled.append(CompiledRule(index, rule, regex, "span" in regex.groupindex, slots))
    return tuple(compiled)


def expand(pattern: str, lexicon: Lexicon) -> str:
    """Expand slots and spaces of a rule pattern into a plain regular expression."""

    def slot(match: re.Match[str]) -> str:
        category, suffix = match.group(1), match.group(2)
        return f"(?P<{category}{suffix}>{slot_body(category, lexicon)})"

    body = _SLOT.sub(slot, _spaced(pattern))
    return f"{_START}(?:{body}){_END}"


def _spaced(pattern: str) -> str:
    """Let a pattern's spaces stand for white space and its apostrophes for either form."""
    return pattern.replace(" ?", r"\s*").replace(" ", r"\s+").replace("'", "['\u2019]")


def slot_body(category: str, lexicon: Lexicon) -> str:
    """Return the alternation one slot stands for."""
    if category in BUILTIN_SLOTS:
        return BUILTIN_SLOTS[category]
    if category not in lexicon.words:
        raise KeyError(f"{lexicon.code}: rule uses unknown slot <{category}>")
    capitalized = category in lexicon.capitalized
    words = sorted(lexicon.words[category], key=len, reverse=True)
    body = prefix_tree([word_units(word, capitalized) for word in words])
    if category == "number":
        body += "|" + BUILTIN_SLOTS["digits"]
    return body


def prefix_tree(words: list[list[str]]) -> str:
    """Return the alternation of ``words`` (lists of units, longest first) sharing prefixes.

    ``juin|juillet`` becomes ``jui(?:llet|n)``, so the engine reads a shared prefix once. Where
    two units at the same place can read the same character (a hyphen also reads a space), the
    plain alternation is kept: only then could the order of the alternatives matter.
    """
    tree: dict[str, dict] = {}
    for units in words:
        node = tree
        for unit in units:
            node = node.setdefault(unit, {})
        node[""] = {}
    if not _disjoint(tree):
        return "|".join("".join(units) for units in words)
    return _emit(tree)


def _disjoint(node: dict[str, dict]) -> bool:
    signatures = [_signature(unit) for unit in node if unit]
    return len(signatures) == len(set(signatures)) and all(_disjoint(child) for child in node.values())


def _signature(unit: str) -> str:
    """What a unit reads, coarsely: units with the same signature may read the same text."""
    if unit in (r"\s+", _HYPHEN):
        return " "
    if unit.startswith("(?-i:"):  # a capital
        unit = unit[len("(?-i:") :]
    letters = [char for char in unit if char.isalnum()]
    return _BASE_OF.get(letters[0].lower(), letters[0].lower()) if letters else unit


def _emit(node: dict[str, dict]) -> str:
    """Write a subtree: branches in the order their words came (longest first), the end last."""
    branches = [unit + _emit(child) for unit, child in node.items() if unit]
    if not branches:
        return ""
    if "" in node:
        branches.append("")
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


def word_pattern(word: str, capitalized: bool = False) -> str:
    """Return a pattern matching ``word`` with or without accents, any apostrophe or hyphen."""
    return "".join(word_units(word, capitalized))


def word_units(word: str, capitalized: bool = False) -> list[str]:
    """Return the pattern of each character of ``word`` (see ``word_pattern``)."""
    parts = []
    for position, char in enumerate(word):
        lower = char.lower()
        if capitalized and position == 0 and char.isalpha():
            parts.append(f"(?-i:{re.escape(char.upper())})")
        elif lower in _ACCENTED or lower in _BASE_OF:
            base = _BASE_OF.get(lower, lower)
            parts.append(f"[{base}{_ACCENTED[base]}]")
        elif char in "'\u2019":
            parts.append("['\u2019]")
        elif char == "-":
            parts.append(_HYPHEN)
        elif char == " ":
            parts.append(r"\s+")
        else:
            parts.append(re.escape(char))
    return parts
