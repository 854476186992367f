"""Which part of an article a date belongs to: the story, its background, a caption, metadata.

Lines are classified once with the language table's patterns (publication lines, photo
credits); years far in the past, or governed by a cue such as "élu en", are background.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import date

from .lexicon import Lexicon
from .resolution import Candidate

CAPTION_MAX_CHARS = 200
BACKGROUND_AFTER_DAYS = 365
BARE_YEAR_KINDS = frozenset({"year", "year_range", "decade"})
_FINAL_PUNCTUATION = tuple('.!?:;»"”…)')


@dataclass(frozen=True)
class LineRoles:
    """Line boundaries of a text and the role forced on each line (None: decide per date)."""

    starts: list[int]
    roles: list[str | None]

    def role_at(self, offset: int) -> str | None:
        """Return the forced role of the line containing ``offset``."""
        return self.roles[bisect.bisect_right(self.starts, offset) - 1]


@dataclass(frozen=True)
class RolePatterns:
    """The compiled line and cue patterns of one language."""

    metadata: re.Pattern[str] | None
    credit: re.Pattern[str] | None
    background_cue: re.Pattern[str] | None

    @classmethod
    def of(cls, lexicon: Lexicon) -> RolePatterns:
        """Compile the role patterns of a language table."""
        return cls(
            _either(lexicon.metadata_lines, 0),
            _either(lexicon.credit_lines, re.IGNORECASE),
            _either(tuple(f"(?:{cue})\\s*$" for cue in lexicon.background_cues), re.IGNORECASE),
        )


def _either(patterns: tuple[str, ...], flags: int) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{p})" for p in patterns), flags) if patterns else None


def classify_lines(text: str, patterns: RolePatterns) -> LineRoles:
    """Mark metadata lines and photo-caption lines (a credit line, or the line just above one)."""
    lines = text.split("\n")
    starts, offset = [], 0
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1
    roles: list[str | None] = [None] * len(lines)
    for index, line in enumerate(lines):
        if patterns.metadata and patterns.metadata.search(line):
            roles[index] = "metadata"
        elif patterns.credit and patterns.credit.search(line):
            roles[index] = "caption"
            above = _previous_nonblank(lines, index)
            if above is not None and _looks_like_caption(lines[above]) and roles[above] is None:
                roles[above] = "caption"
    return LineRoles(starts, roles)


def _previous_nonblank(lines: list[str], index: int) -> int | None:
    for above in range(index - 1, -1, -1):
        if lines[above].strip():
            return above
    return None


def _looks_like_caption(line: str) -> bool:
    stripped = line.strip()
    return 0 < len(stripped) <= CAPTION_MAX_CHARS and not stripped.endswith(_FINAL_PUNCTUATION)


def role_of(found: Candidate, text: str, lines: LineRoles, patterns: RolePatterns, anchor: date) -> str:
    """Return the role of one expression given its line and what precedes it."""
    resolved, kind, start_char = found.resolved, found.kind, found.start
    forced = lines.role_at(start_char)
    if forced is not None:
        return forced
    if resolved.granularity in ("year", "decade") and resolved.end and resolved.end < anchor:
        before = text[max(0, start_char - 40) : start_char]
        if patterns.background_cue and patterns.background_cue.search(before):
            return "background"
        if kind in BARE_YEAR_KINDS and (anchor - resolved.end).days > BACKGROUND_AFTER_DAYS:
            return "background"
    return "event"
