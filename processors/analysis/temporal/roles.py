"""Which part of an article a date belongs to: the story, its background, a caption, metadata.

A date is metadata when it stands in a publication line ("Publié le...") or beside a
reading time ("3 min de lecture"), and a caption when it stands in a photo credit or on the
short line just above a credit line. A pattern anchored on ``^`` describes a whole line when
the line is short, as real publication lines are (else the date's sentence); any other
pattern must occur in the date's own sentence: a text flattened onto one line ("Lundi 4
septembre, ... Le 30 août dernier, John Kirby. 1 min de lecture") keeps its dates in the
story. Years far in the past, or governed by a cue such as "élu en", are background.
"""

from __future__ import annotations

import bisect
import importlib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .lexicon import Lexicon
from .normalisation import Candidate

SHORT_LINE_CHARS = 200  # a longer line is prose: its sentences are judged one by one
BACKGROUND_AFTER_DAYS = 365
BARE_YEAR_KINDS = frozenset({"year", "year_range", "decade"})
_FINAL_PUNCTUATION = tuple('.!?:;»"”…)')
_SENTENCE_MARKS = ".!?…"  # a sentence ends after one of these when white space follows
_UNKNOWN = "unknown"  # a scope whose role is not looked for yet
_PARSER: Any = importlib.import_module("re._parser")  # CPython's own reader of patterns


@dataclass(frozen=True)
class LinePatterns:
    """The patterns of one line kind (metadata or credit), ready to test a line and a sentence.

    Those anchored on ``^`` describe the line from its start and are joined under one ``^``
    (which keeps the engine's fast path); the others must occur in the sentence and are joined
    into one alternation, tried only when the lowercased sentence holds a text one of them
    needs (``lecture``, ``©``): ``in`` finds it faster than a regular expression.
    """

    anchored: re.Pattern[str] | None
    loose: re.Pattern[str] | None
    needles: tuple[str, ...] | None  # None: some loose pattern needs no fixed text

    @classmethod
    def of(cls, patterns: tuple[str, ...], flags: int = 0) -> LinePatterns:
        """Compile the patterns of one kind."""
        anchored = [pattern[1:] for pattern in patterns if pattern.startswith("^")]
        loose = [pattern for pattern in patterns if not pattern.startswith("^")]
        needles = tuple(required_text(pattern, flags) for pattern in loose)
        return cls(
            re.compile("^" + _any_of(anchored), flags) if anchored else None,
            re.compile(_any_of(loose), flags) if loose else None,
            needles if all(needles) else None,
        )

    def found(self, line: str, sentence: str, lowered: str | None = None) -> bool:
        """Tell whether an anchored pattern opens ``line`` or a loose one occurs in ``sentence``.

        ``lowered`` is ``sentence.lower()`` when the caller has it already.
        """
        if self.anchored is not None and self.anchored.match(line):
            return True
        if self.loose is None:
            return False
        if self.needles is not None:
            lowered = sentence.lower() if lowered is None else lowered
            for needle in self.needles:
                if needle in lowered:
                    break
            else:
                return False
        return self.loose.search(sentence) is not None


def _any_of(patterns: list[str]) -> str:
    return "(?:" + "|".join(f"(?:{pattern})" for pattern in patterns) + ")"


@dataclass(frozen=True)
class RolePatterns:
    """The compiled line and cue patterns of one language."""

    metadata: LinePatterns
    credit: LinePatterns
    background_cue: re.Pattern[str] | None

    @classmethod
    def of(cls, lexicon: Lexicon) -> RolePatterns:
        """Compile the role patterns of a language table."""
        cues = "|".join(f"(?:{cue})\\s*$" for cue in lexicon.background_cues)
        return cls(
            LinePatterns.of(lexicon.metadata_lines),
            LinePatterns.of(lexicon.credit_lines, re.IGNORECASE),
            re.compile(cues, re.IGNORECASE) if cues else None,
        )

    def is_credit(self, line: str, sentence: str) -> bool:
        """Tell whether a line (anchored patterns) or a sentence (others) is a photo credit."""
        return self.credit.found(line, sentence)


def required_text(pattern: str, flags: int = 0) -> str:
    """Return the longest run of literal characters every match of ``pattern`` contains, lowercased.

    Only runs outside alternations, repeats and lookarounds count; "" when there is none.
    """
    best, run = "", ""
    for op, argument in _sequence(_PARSER.parse(pattern, flags).data):
        if op.name == "LITERAL":
            run += chr(argument).lower()
            best = max(best, run, key=len)
        elif op.name not in ("AT",):
            run = ""
    return best


def _sequence(items: list) -> list:
    """Flatten plain groups into the sequence around them (their content is mandatory too)."""
    flat = []
    for op, argument in items:
        if op.name == "SUBPATTERN":
            flat.extend(_sequence(list(argument[-1])))
        else:
            flat.append((op, argument))
    return flat


@dataclass
class Scopes:
    """The forced roles of the scopes of one text, found on demand and remembered.

    Each line met is cut into sentences once; a role is looked for once per sentence (a
    sentence lies in one line, so its bounds name the line too).
    """

    text: str
    patterns: RolePatterns
    _known: dict[tuple[int, int], str | None] = field(default_factory=dict)  # sentence -> forced role
    _lines: dict[int, tuple[int, list[int]]] = field(default_factory=dict)  # line start -> end, sentence ends

    def forced_role(self, start: int, end: int) -> str | None:
        """Return ``metadata`` or ``caption`` if the line or sentence of ``text[start:end]`` forces it."""
        line_start = self.text.rfind("\n", 0, start) + 1
        line = self._lines.get(line_start)
        if line is None:
            line = self._lines[line_start] = self._cut_line(line_start, start)
        line_end, ends = line
        before = bisect.bisect_right(ends, start)
        after = bisect.bisect_right(ends, end)  # a boundary ending the span ("sept.") does not cut it
        sentence = (
            ends[before - 1] if before else line_start,
            ends[after] if after < len(ends) else line_end,
        )
        role = self._known.get(sentence, _UNKNOWN)
        if role == _UNKNOWN:
            role = self._known[sentence] = self._role_of(line_start, line_end, *sentence)
        return role

    def _cut_line(self, line_start: int, offset: int) -> tuple[int, list[int]]:
        r"""Return the end of the line holding ``offset`` and where its sentences end.

        The ends are those of ``[.!?…](?=\s)`` within the line, found mark by mark with
        ``str.find``: a regular expression opening on a class of characters tests each one in turn.
        """
        text = self.text
        line_end = _line_end(text, offset)
        last = max(line_start, line_end - 1)  # a mark's white space must be in the line too
        ends = []
        for mark in _SENTENCE_MARKS:
            at = text.find(mark, line_start, last)
            while at >= 0:
                if text[at + 1].isspace():  # what ``\s`` matches
                    ends.append(at + 1)
                at = text.find(mark, at + 1, last)
        ends.sort()
        return line_end, ends

    def _role_of(self, line_start: int, line_end: int, sentence_start: int, sentence_end: int) -> str | None:
        sentence = self.text[sentence_start:sentence_end]
        short = line_end - line_start <= SHORT_LINE_CHARS
        line = self.text[line_start:line_end] if short else sentence
        lowered = sentence.lower()
        if self.patterns.metadata.found(line, sentence, lowered):
            return "metadata"
        if self.patterns.credit.found(line, sentence, lowered):
            return "caption"
        if short and _looks_like_caption(line) and self._credit_follows(line_end):
            return "caption"
        return None

    def _credit_follows(self, line_end: int) -> bool:
        """Tell whether the next non-blank line after ``line_end`` is a short credit line."""
        text = self.text
        start = line_end + 1
        while start < len(text):
            end = _line_end(text, start)
            if text[start:end].strip():
                line = text[start:end]
                return end - start <= SHORT_LINE_CHARS and self.patterns.is_credit(line, line)
            start = end + 1
        return False


def _line_end(text: str, offset: int) -> int:
    end = text.find("\n", offset)
    return len(text) if end < 0 else end


def _looks_like_caption(line: str) -> bool:
    stripped = line.strip()
    return 0 < len(stripped) <= SHORT_LINE_CHARS and not stripped.endswith(_FINAL_PUNCTUATION)


def role_of(found: Candidate, text: str, scopes: Scopes, patterns: RolePatterns, anchor: date) -> str:
    """Return the role of one expression given its scope and what precedes it."""
    resolved, kind, start_char = found.resolved, found.kind, found.start
    forced = scopes.forced_role(start_char, found.end)
    if forced is not None:
        return forced
    if resolved.granularity in ("year", "decade") and resolved.end and resolved.end < anchor:
        before = text[max(0, start_char - 40) : start_char]
        if patterns.background_cue and patterns.background_cue.search(before):
            return "background"
        if kind in BARE_YEAR_KINDS and (anchor - resolved.end).days > BACKGROUND_AFTER_DAYS:
            return "background"
    return "event"
