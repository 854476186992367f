"""Where in a text a rule can match at all, so that it need not scan the rest.

Every rule has "trigger" slots: digits, or words of a category that names time (month,
weekday, unit...). A slot outside any optional group or alternation must appear in every
match, so a rule only runs in windows around the occurrences of its rarest such slot. This
keeps the cost of an article proportional to its temporal content, not to its length.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from .lexicon import Lexicon, Rule, normalize_word
from .patterns import BUILTIN_SLOTS

# Categories whose words only qualify another slot ("en", "ce", "dernier", "plus de"...).
CONTEXT_CATEGORIES = frozenset({"cue", "number", "this", "rel", "quant", "every"})
DIGITS = "digits"
WINDOW_CHARS = 80
MEMO_SIZE = 200_000  # distinct words remembered per language
_TOKEN = re.compile(r"\d+|[^\W\d_]+")  # "30am" is two tokens, "30" and "am"
_WHITESPACE = re.compile(r"\s")
_LOOKAROUND = ("(?=", "(?!", "(?<=", "(?<!")

Windows = list[tuple[int, int]]


@dataclass(frozen=True)
class TriggerIndex:
    """Trigger tokens of a language and, per rule, the trigger categories it needs."""

    categories_of_token: dict[str, frozenset[str]]
    rule_triggers: tuple[tuple[frozenset[str], bool], ...]  # (categories, all required?)
    _memo: dict[str, frozenset[str]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, lexicon: Lexicon) -> TriggerIndex:
        """Index a language table (ValueError if a rule has no trigger slot at all)."""
        tokens: dict[str, set[str]] = defaultdict(set)
        for category, table in lexicon.words.items():
            if category not in CONTEXT_CATEGORIES:
                for word in table:
                    parts = _TOKEN.findall(normalize_word(word))
                    if parts:
                        tokens[max(parts, key=len)].add(category)
        frozen = {token: frozenset(found) for token, found in tokens.items()}
        return cls(frozen, tuple(rule_trigger(rule, lexicon.code) for rule in lexicon.rules))

    def categories_of(self, word: str) -> frozenset[str]:
        """Return the trigger categories of a word as found in a text (memoized)."""
        found = self._memo.get(word)
        if found is None:
            token = _normal_token(word)
            found = self.categories_of_token.get(token)
            if found is None and token.endswith("s"):  # "lundis", "jours"
                found = self.categories_of_token.get(token[:-1])
            found = (found or frozenset()) | ({DIGITS} if word[0].isdigit() else set())
            if len(self._memo) < MEMO_SIZE:
                self._memo[word] = found
        return found

    def windows(self, text: str) -> list[Windows]:
        """Return, for each rule, the windows of ``text`` it has to scan."""
        occurrences: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for token in _TOKEN.finditer(text):
            for category in self.categories_of(token.group()):
                occurrences[category].append(token.span())
        spaces = [space.start() for space in _WHITESPACE.finditer(text)]
        merged: dict[frozenset[str], Windows] = {}  # rules sharing triggers share windows
        per_rule = []
        for categories, required in self.rule_triggers:
            if required:
                key = frozenset({min(categories, key=lambda category: len(occurrences[category]))})
            else:
                key = categories
            if key not in merged:
                spans = sorted(span for category in key for span in occurrences[category])
                merged[key] = merge_windows(text, spans, spaces)
            per_rule.append(merged[key])
        return per_rule


def rule_trigger(rule: Rule, language: str) -> tuple[frozenset[str], bool]:
    """Return the trigger categories of a rule and whether each of them is required."""
    required = {_trigger_category(slot) for slot in mandatory_slots(rule.pattern)}
    required.discard(None)
    if required:
        return frozenset(required), True  # type: ignore[arg-type]
    optional = {_trigger_category(slot) for _, slot in slot_positions(rule.pattern)}
    if "\\d" in rule.pattern:
        optional.add(DIGITS)
    optional.discard(None)
    if not optional:
        raise ValueError(f"{language}: rule {rule.pattern!r} has no trigger slot")
    return frozenset(optional), False  # type: ignore[arg-type]


def _trigger_category(slot: str) -> str | None:
    if slot in BUILTIN_SLOTS:
        return DIGITS
    return None if slot in CONTEXT_CATEGORIES else slot


def mandatory_slots(pattern: str) -> set[str]:
    """Return the slots of a pattern outside optional groups, alternations and lookarounds."""
    optional: list[tuple[int, int]] = []
    groups: list[list] = []  # [start, has_alternation]
    top_alternation = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":  # a character class holds no slot
            end = pattern.index("]", index + 2)
            optional.append((index, end))
            index = end + 1
            continue
        if char == "(":
            groups.append([index, False])
        elif char == "|":
            if groups:
                groups[-1][1] = True
            else:
                top_alternation = True
        elif char == ")":
            start, alternation = groups.pop()
            quantified = pattern[index + 1 : index + 2] in ("?", "*")
            if alternation or quantified or pattern.startswith(_LOOKAROUND, start):
                optional.append((start, index))
        index += 1
    if top_alternation:
        return set()
    return {
        name
        for position, name in slot_positions(pattern)
        if not any(start <= position <= end for start, end in optional)
    }


def slot_positions(pattern: str) -> list[tuple[int, str]]:
    """Return (offset, category) of each slot of a pattern, ``<month>`` or ``(?P<month>...)``."""
    return [
        (match.start(), match.group(1)) for match in _SLOT_ANY.finditer(pattern) if match.group(1) != "span"
    ]


_SLOT_ANY = re.compile(r"(?:(?<!\?P)<|\(\?P<)([a-z_]+?)\d?>")


def merge_windows(text: str, spans: list[tuple[int, int]], spaces: list[int]) -> Windows:
    """Return disjoint windows around the spans, each ending on white space.

    ``spaces`` lists the offsets of white space in ``text`` (found once per text).
    """
    windows: Windows = []
    for start, end in spans:
        start = max(0, start - WINDOW_CHARS)
        following = bisect.bisect_left(spaces, end + WINDOW_CHARS)
        end = spaces[following] if following < len(spaces) else len(text)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(end, windows[-1][1]))
        else:
            windows.append((start, end))
    return windows


def _normal_token(token: str) -> str:
    token = token.lower()
    if token.isascii():
        return token
    decomposed = unicodedata.normalize("NFD", token)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
