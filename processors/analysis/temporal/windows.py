"""Where in a text each rule can match at all, so that the engine tries it only there.

Every rule has "trigger" slots: digits, or words of a category that names time (month,
weekday, unit...). A slot outside any optional group or alternation must appear in every
match, so a rule is tried only near the occurrences of its rarest such slot. And a match
starts on a token that can open it (``openings.py``: ``le``, a weekday, digits...), so the
rule's expression is run from those tokens only, within ``WINDOW_CHARS`` before a trigger.
One pass over the tokens of a text, with a memo per distinct word, finds both; the cost of an
article follows its temporal content, not its length.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate, chain, compress, islice, repeat
from operator import add, is_not, xor

from .lexicon import Lexicon, Rule, normalize_word
from .openings import (
    ANY_FOLLOWER,
    KEY_LETTERS,
    follow_any,
    is_short_word,
    normal_letters,
    opening_key,
    openings,
    stem_of,
)
from .patterns import BUILTIN_SLOTS, CompiledRule

# Categories whose words only qualify another slot ("en", "ce", "dernier", "plus de"...).
CONTEXT_CATEGORIES = frozenset({"cue", "number", "this", "rel", "quant", "every"})
DIGITS = "digits"
WINDOW_CHARS = 80  # how far before its trigger a match may start
MEMO_SIZE = 200_000  # distinct words remembered per language
_TOKEN = re.compile(r"\d+|[^\W\d_]+")  # "30am" is two tokens, "30" and "am"
_LOOKAROUND = ("(?=", "(?!", "(?<=", "(?<!")
Opened = tuple[tuple[int, tuple[int, ...]], ...]  # (trigger spec, rules needing it) per spec
_NOTHING: tuple[tuple[str, ...], Opened] = ((), ())
FOLLOWERS_SIZE = 512  # characters remembered per short word or number


class Followers(dict[str, Opened]):
    """What a short word or a number ending a piece of text opens, by the next piece's first character.

    The key of a short word (of a number followed by white space) holds the first character
    after it that is not white space (``openings.py``); when the token ends a piece cut on
    spaces, that character is in the next piece, so the memo of the piece holds this table
    instead of the opened rules.
    """

    def __init__(self, index: TriggerIndex, word: str) -> None:
        super().__init__()
        self.index, self.word = index, word
        self[""] = self[" "]  # no next piece (or an empty one): every rule the word opens; and the
        # table is never empty, so it is true without a Python call

    def __missing__(self, char: str) -> Opened:
        opened = self.index.opened(opening_key(self.word, " ", char))
        if len(self) < FOLLOWERS_SIZE:
            self[char] = opened
        return opened


# (offset, trigger categories, opened rules) of the tokens of a piece of text
Chunk = tuple[tuple[int, tuple[str, ...], Opened | Followers], ...]
_NO_TOKENS: Chunk = ()


@dataclass(frozen=True)
class Plan:
    """Where to run each rule in one text: from given offsets, or over the whole text."""

    # (offset of a token, what it opens, the trigger categories within reach), in order: a rule
    # of ``opened`` is tried there when ``needs[spec] & reached``
    attempts: list[tuple[int, Opened, int]]
    everywhere: tuple[int, ...]  # rules whose opening tokens are unknown, with a trigger present
    needs: list[int] = field(default_factory=list)  # per trigger spec, see ``TriggerIndex._needs``


@dataclass(frozen=True)
class TriggerIndex:
    """Trigger tokens of a language, the triggers each rule needs, the tokens opening it.

    ``specs`` lists the distinct trigger needs of the rules: (categories, all required?).
    """

    categories_of_token: dict[str, frozenset[str]]
    category_bits: dict[str, int]  # one bit per trigger category
    specs: tuple[tuple[frozenset[str], bool], ...]
    spec_of_rule: tuple[int, ...]
    spec_masks: tuple[int, ...]  # per spec, the bits of its categories
    rarest_specs: tuple[tuple[int, frozenset[str]], ...]  # specs needing several categories
    opened_by_key: dict[str, Opened]  # opening key -> rules it may open
    unanchored: tuple[int, ...]  # rules whose openings could not be read off their pattern
    _memo: dict[str, tuple[tuple[str, ...], Opened | Followers]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _chunks: dict[str, Chunk] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, lexicon: Lexicon, compiled: Sequence[CompiledRule]) -> TriggerIndex:
        """Index a language table (ValueError if a rule has no trigger slot at all)."""
        tokens: dict[str, set[str]] = defaultdict(set)
        for category, table in lexicon.words.items():
            if category not in CONTEXT_CATEGORIES:
                for word in table:
                    parts = _TOKEN.findall(normalize_word(word))
                    if parts:
                        tokens[max(parts, key=len)].add(category)
        frozen = {token: frozenset(found) for token, found in tokens.items()}
        needs = [rule_trigger(rule, lexicon.code) for rule in lexicon.rules]
        specs = tuple(dict.fromkeys(needs))
        rules_of_key: dict[str, list[int]] = defaultdict(list)
        unanchored = []
        for rule in compiled:
            keys = openings(rule.regex.pattern, rule.regex.flags)
            if keys is None:
                unanchored.append(rule.index)
            for key in keys or ():
                rules_of_key[key].append(rule.index)
        follow_any(rules_of_key)
        categories = sorted({DIGITS} | {category for tokens in frozen.values() for category in tokens})
        bits = {category: 1 << number for number, category in enumerate(categories)}
        spec_of_rule = tuple(specs.index(need) for need in needs)
        by_key = {key: _by_spec(indices, spec_of_rule) for key, indices in rules_of_key.items()}
        masks = tuple(sum(bits[category] for category in categories) for categories, _ in specs)
        several = [(spec, categories) for spec, (categories, required) in enumerate(specs) if required]
        rarest = tuple((spec, categories) for spec, categories in several if len(categories) > 1)
        return cls(frozen, bits, specs, spec_of_rule, masks, rarest, by_key, tuple(unanchored))

    def categories_of(self, word: str) -> frozenset[str]:
        """Return the trigger categories of a word as found in a text (memoized)."""
        return frozenset(self._token(word, word, len(word))[0])

    def opened(self, key: str) -> Opened:
        """Return the rules an opening key may open (a class unknown to the stem: its ``*`` key)."""
        found = self.opened_by_key.get(key)
        if found is None and key[-1:] != ANY_FOLLOWER:
            stem = stem_of(key)
            found = self.opened_by_key.get(stem + ANY_FOLLOWER) if stem else None
        return found or ()

    def _token(self, word: str, chunk: str, end: int) -> tuple[tuple[str, ...], Opened | Followers]:
        """Return the trigger categories of a word and the rules it may open (memoized).

        The word ends at ``end`` in its piece of text, ``chunk``. What a run of digits opens
        depends on the character after it (on the next one that is not white space, when white
        space follows), what a short word opens on the first character after it that is not
        white space: they are part of the key. A short word or a number ending its piece opens
        a ``Followers`` table, read with the next piece.
        """
        first = chunk[end : end + 1]
        digits = word[0].isdigit()
        if digits:
            seeks = not first or first.isspace()
        else:  # an ASCII word keeps its length when normalized
            seeks = len(word) < KEY_LETTERS if word.isascii() else is_short_word(word)
        if seeks:
            following = first if first and not first.isspace() else chunk[end:].lstrip()[:1]
            key = "\0" + word + "\0" + following  # no other key starts with NUL
        else:
            key = word + first if digits else word
        found = self._memo.get(key)
        if found is None:
            token = normal_letters(word)
            categories = self.categories_of_token.get(token)
            if categories is None and token.endswith("s"):  # "lundis", "jours"
                categories = self.categories_of_token.get(token[:-1])
            if digits:
                categories = (categories or frozenset()) | {DIGITS}
            opened: Opened | Followers
            if seeks and not following:
                opened = Followers(self, word) if self._opens_any(word) else ()
            elif seeks or digits:
                opened = self.opened(opening_key(word, first, following if seeks else ""))
            else:  # a long word: its key is its first letters
                opened = self.opened_by_key.get(token[:KEY_LETTERS], ())
            names = tuple(sorted(categories)) if categories else ()
            found = (names, opened) if names or opened else _NOTHING
            if len(self._memo) < MEMO_SIZE:
                self._memo[key] = found
        return found

    def _opens_any(self, word: str) -> bool:
        """Tell whether a short word (a number) opens any rule, whatever follows it."""
        return bool(self.opened_by_key.get(opening_key(word, " ", "")))

    def _chunk(self, chunk: str) -> Chunk:
        """Return the tokens of a chunk (a run without white space) that trigger or open a rule."""
        found = self._chunks.get(chunk)
        if found is None:
            tokens = []  # a token ending the chunk is followed by a space (or ends the text)
            for token in _TOKEN.finditer(chunk):
                categories, opened = self._token(token.group(), chunk, token.end())
                if categories or opened:
                    tokens.append((token.start(), categories, opened))
            found = tuple(tokens) or _NO_TOKENS
            if len(self._chunks) < MEMO_SIZE:
                self._chunks[chunk] = found
        return found

    def plan(self, text: str) -> Plan:
        """Return where each rule has to be tried in ``text``."""
        occurrences: dict[str, list[int]] = defaultdict(list)
        starts: list[int] = []  # where a token opening a rule starts
        opening: list[Opened] = []  # what it opens
        # The text is cut on spaces and the pieces are looked up in C; Python only visits the
        # pieces holding a trigger or an opening word (and those never seen before).
        pieces = text.split(" ")
        offsets = accumulate(map(add, map(len, pieces), repeat(1)), initial=0)  # one more: the end
        following = chain(islice(pieces, 1, None), ("",))
        known = list(map(self._chunks.get, pieces))
        kept = map(is_not, known, repeat(_NO_TOKENS))
        visited = compress(zip(offsets, pieces, following, known, strict=False), kept)
        for position, piece, after, found in visited:
            for offset, categories, opened in found or self._chunk(piece):
                start = position + offset
                for category in categories:
                    occurrences[category].append(start)
                if opened:
                    if isinstance(opened, Followers):
                        opened = opened[after[:1]]
                        if not opened:
                            continue
                    starts.append(start)
                    opening.append(opened)
        if not occurrences:  # no digit, no time word: nothing can match
            return Plan([], ())
        needs = self._needs(occurrences)
        points, masks = _reach(occurrences, self.category_bits)
        reaches = list(map(masks.__getitem__, map(bisect.bisect_right, repeat(points), starts)))
        attempts = list(compress(zip(starts, opening, reaches, strict=True), reaches))
        everywhere = tuple(index for index in self.unanchored if needs[self.spec_of_rule[index]])
        return Plan(attempts, everywhere, needs)

    def _needs(self, occurrences: dict[str, list[int]]) -> list[int]:
        """Return, per trigger spec, the bits of the categories one of which must be near.

        A spec whose slots are all required needs its rarest category only (0 if absent).
        """
        bits = self.category_bits
        present = 0
        for category in occurrences:
            present |= bits[category]
        needs = [mask & present for mask in self.spec_masks]
        for spec, categories in self.rarest_specs:
            if needs[spec] == self.spec_masks[spec]:
                needs[spec] = bits[min(categories, key=lambda category: len(occurrences[category]))]
            else:
                needs[spec] = 0
        return needs


def _by_spec(indices: list[int], spec_of_rule: tuple[int, ...]) -> Opened:
    """Group the rules an opening key may open by trigger spec (computed once per key)."""
    by_spec: dict[int, list[int]] = defaultdict(list)
    for index in indices:
        by_spec[spec_of_rule[index]].append(index)
    return tuple((spec, tuple(rules)) for spec, rules in sorted(by_spec.items()))


def _reach(occurrences: dict[str, list[int]], bits: dict[str, int]) -> tuple[list[int], list[int]]:
    """Return where the set of trigger categories at most ``WINDOW_CHARS`` ahead changes.

    ``masks[i + 1]`` holds the bits of the categories with an occurrence in ``[p, p + WINDOW_CHARS]``
    for every offset ``p`` from ``points[i]`` up to the next point (``masks[0]``: before the first).
    """
    events: list[tuple[int, int]] = []
    for category, offsets in occurrences.items():
        bit = bits[category]
        low, high = offsets[0] - WINDOW_CHARS, offsets[0]
        for offset in offsets[1:]:
            if offset - WINDOW_CHARS > high + 1:
                events += ((low, bit), (high + 1, bit))
                low = offset - WINDOW_CHARS
            high = offset
        events += ((low, bit), (high + 1, bit))
    if not events:
        return [], [0]
    events.sort()
    points, toggles = zip(*events, strict=True)
    return list(points), list(accumulate(toggles, xor, initial=0))


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
