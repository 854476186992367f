"""Find temporal expressions in a text with a language table, resolve them, keep the longest."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, partial
from typing import NamedTuple

from .expression import TemporalExpression
from .lexicon import Lexicon, load_lexicon, normalize_word
from .normalisation import NOT_A_DATE, Candidate, Context, Slots
from .normalisers import NORMALISERS
from .patterns import NUMERIC_SLOTS, CompiledRule, compile_rules
from .roles import RolePatterns, Scopes, role_of
from .windows import TriggerIndex

CLAUSE_LOOKBACK_CHARS = 100
REPORT_LOOKBACK_CHARS = 60  # a reporting verb and its few words before a date ("said in a statement on")
_CLAUSE_END = re.compile(r"[.!?;\n]")
_SENTENCE_END = re.compile(r"[.!?\n]")
_PREVIOUS_WORD = re.compile(r"(\S+)\s*$")
_SENTENCE_OPENER = re.compile(r"[\s\"«»“”'(—-]*(?:\w+\s+)?")  # at most one word ("Dès", "On")


@dataclass(frozen=True)
class Tagger:
    """A language table with everything compiled once."""

    lexicon: Lexicon
    rules: tuple[CompiledRule, ...]
    future_cue: re.Pattern[str] | None
    report_cue: re.Pattern[str] | None
    roles: RolePatterns
    triggers: TriggerIndex
    match_at: tuple[Callable[[str, int], re.Match[str] | None], ...] = ()  # each rule's ``regex.match``

    def __post_init__(self) -> None:
        """Bind each rule's ``match`` once."""
        object.__setattr__(self, "match_at", tuple(rule.regex.match for rule in self.rules))


@cache
def tagger_for(language: str) -> Tagger | None:
    """Return the compiled tagger of a language, or None when there is no table for it."""
    lexicon = load_lexicon(language)
    if lexicon is None:
        return None
    unknown = {rule.kind for rule in lexicon.rules} - NORMALISERS.keys()
    if unknown:
        raise ValueError(f"{language}: rules of unknown kinds {sorted(unknown)}")
    future = None
    if lexicon.future_cues:
        future = re.compile(r"(?<!\w)(?:" + "|".join(lexicon.future_cues) + r")(?!\w)", re.I)
    report = None
    if lexicon.report_cues:  # anchored at the match: the verb right before the date
        report = re.compile(r"(?<!\w)(?:" + "|".join(lexicon.report_cues) + r")\s+\Z", re.I)
    rules = compile_rules(lexicon)
    return Tagger(lexicon, rules, future, report, RolePatterns.of(lexicon),
                  TriggerIndex.of(lexicon, rules))


def extract_dates(
    text: str,
    *,
    published_at: datetime,
    language: str,
    updated_at: datetime | None = None,
) -> list[TemporalExpression]:
    """Return the temporal expressions of an article, sorted and non-overlapping.

    Relative expressions resolve against the day of ``updated_at`` (when given) or
    ``published_at``, in that datetime's own offset. Unknown languages give ``[]``.
    """
    reference = updated_at or published_at
    if reference.tzinfo is None or reference.utcoffset() is None:
        raise ValueError("published_at and updated_at must be timezone-aware")
    tagger = tagger_for(language) if isinstance(language, str) else None
    if tagger is None or not text:
        return []
    anchor = reference.date()
    chosen = date_times_of_day(select_longest(find_matches(text, tagger), text, tagger, anchor), text)
    scopes = Scopes(text, tagger.roles)
    return [  # fields in order: positional arguments build a frozen dataclass faster
        TemporalExpression(
            text[found.start : found.end],
            found.start,
            found.end,
            resolved.start,
            resolved.end,
            resolved.granularity,
            resolved.value,
            resolved.mod,
            anchor,
            role_of(found, text, scopes, tagger.roles, anchor),
        )
        for found in chosen
        if (resolved := found.resolved).granularity != NOT_A_DATE
    ]


def find_matches(text: str, tagger: Tagger) -> list[RuleMatch]:
    """Run every rule where it can match; like ``finditer``, a rule's matches do not overlap."""
    plan = tagger.triggers.plan(text)
    found: list[RuleMatch] = []
    rules, match_at, needs = tagger.rules, tagger.match_at, plan.needs
    ended = [0] * len(rules)  # per rule, where its last match ended
    for start, opened, reached in plan.attempts:
        for spec, indices in opened:
            if needs[spec] & reached:
                for index in indices:
                    if start >= ended[index]:
                        match = match_at[index](text, start)
                        if match is not None:
                            ended[index] = max(match.end(), start + 1)
                            found.append(RuleMatch.of(match, rules[index]))
    for index in plan.everywhere:
        found.extend(RuleMatch.of(match, rules[index]) for match in rules[index].regex.finditer(text))
    return found


class RuleMatch(NamedTuple):
    """A match of a rule, before it is resolved: its reported span and the rule.

    A named tuple: there is one per match, most of them are overlapped and never resolved.
    """

    start: int
    end: int
    match: re.Match[str]
    rule: CompiledRule

    @classmethod
    def of(cls, match: re.Match[str], rule: CompiledRule) -> RuleMatch:
        """Wrap a match, narrowed to its ``span`` group when the rule has one."""
        start, end = match.span("span") if rule.has_span else match.span()
        return cls(start, end, match, rule)


def resolve(found: RuleMatch, text: str, tagger: Tagger, anchor: date) -> Candidate | None:
    """Resolve one match, or None when its cue or its normaliser rejects it."""
    start, end, rule = found.start, found.end, found.rule
    if not accepts_cue(text, start, end, tagger.lexicon):
        return None
    context = Context(anchor, partial(is_future_clause, text, start, end, tagger.future_cue,
                                      tagger.report_cue))
    resolved = NORMALISERS[rule.rule.kind](read_slots(found.match, rule, tagger.lexicon), context)
    return None if resolved is None else Candidate(start, end, rule.index, rule.rule.kind, resolved)


def read_slots(match: re.Match[str], rule: CompiledRule, lexicon: Lexicon) -> Slots:
    """Translate the filled slots of a match into their meanings."""
    slots: dict[str, object] = {}
    groups = match.groups()
    for name, number, category in rule.slots:
        surface = groups[number - 1]
        if surface is None:
            continue
        if category in NUMERIC_SLOTS:
            slots[name] = int(surface)
        elif category == "number" and surface[:1].isdigit():
            slots[name] = surface
        else:
            slots[name] = lexicon.meaning(category, surface)
    return slots


def accepts_cue(text: str, start: int, end: int, lexicon: Lexicon) -> bool:
    """Reject an ambiguous word alone (``May``, ``mars``) unless a cue word precedes it."""
    if normalize_word(text[start:end]) not in lexicon.needs_cue:
        return True
    previous = _PREVIOUS_WORD.search(text, max(0, start - 30), start)
    cues = lexicon.normalized_words.get("cue", {})
    return previous is not None and normalize_word(previous.group(1)) in cues


def is_future_clause(text: str, start: int, end: int, future_cue: re.Pattern[str] | None,
                     report_cue: re.Pattern[str] | None = None) -> bool:
    """Tell whether the verb governing a match is marked future (``will``, ``sera``).

    The clause before the match is searched; when the match opens its sentence ("Dimanche
    soir, le bal sera animé par..."), the verb follows it, so the rest of the sentence is.
    A past reporting verb right before the match governs it, whatever the clause reports:
    in "Kim plans to travel this month, the White House said on Monday", Monday is the day
    of the statement (``report_cue``).
    """
    if future_cue is None:
        return False
    if report_cue is not None and report_cue.search(text, max(0, start - REPORT_LOOKBACK_CHARS),
                                                    start):
        return False
    window_start = max(0, start - CLAUSE_LOOKBACK_CHARS)
    sentence_start = window_start
    for boundary in _CLAUSE_END.finditer(text, window_start, start):
        sentence_start = boundary.end()
    if future_cue.search(text, sentence_start, start):
        return True
    if _SENTENCE_OPENER.fullmatch(text, sentence_start, start) is None:
        return False
    after = _CLAUSE_END.search(text, end, end + CLAUSE_LOOKBACK_CHARS)
    sentence_end = after.start() if after else min(len(text), end + CLAUSE_LOOKBACK_CHARS)
    return future_cue.search(text, end, sentence_end) is not None


def date_times_of_day(chosen: list[Candidate], text: str) -> list[Candidate]:
    """Give a time of day the date of a day named in the same sentence, before it or else after.

    "samedi 29 mai, à 8 h" and "à 4 h mardi" date their times; a time alone stays ``T08:00``.
    ``chosen`` is sorted and disjoint, so the nearest days are found by bisection. Without a
    time of day or without a day, ``chosen`` is returned as it is (the common case).
    """
    times = [
        index
        for index, found in enumerate(chosen)
        if found.resolved.granularity == "time" and (found.resolved.value or "").startswith("T")
    ]
    if not times:
        return chosen
    days = [
        found
        for found in chosen
        if found.resolved.granularity == "day" and found.resolved.start == found.resolved.end
    ]
    if not days:
        return chosen
    starts = [day.start for day in days]
    dated = chosen.copy()
    for index in times:
        found = chosen[index]
        following = bisect.bisect_left(starts, found.end)
        day = _same_sentence_day(found, days[max(0, following - 1) : following + 1], text)
        if day is not None:
            value = "/".join(day.isoformat() + bound for bound in str(found.resolved.value).split("/"))
            dated[index] = found._replace(resolved=found.resolved._replace(value=value))
    return dated


def _same_sentence_day(time_of_day: Candidate, around: list[Candidate], text: str) -> date | None:
    """Return the day of the neighbour before (else after) a time, if no sentence ends between."""
    for day in around:
        if day.end <= time_of_day.start and not _SENTENCE_END.search(text, day.end, time_of_day.start):
            return day.resolved.start
    for day in around:
        if day.start >= time_of_day.end and not _SENTENCE_END.search(text, time_of_day.end, day.start):
            return day.resolved.start
    return None


def select_longest(found: list[RuleMatch], text: str, tagger: Tagger, anchor: date) -> list[Candidate]:
    """Keep non-overlapping resolved matches, longest first, earlier rules winning ties.

    A match is resolved only when it would be kept, so that overlapped ones cost nothing;
    one its normaliser rejects is passed over as if it had not matched.
    """
    ordered = sorted(found, key=lambda m: (m.start - m.end, m.rule.index, m.start))
    kept: list[Candidate] = []  # disjoint, sorted by start
    starts: list[int] = []
    for candidate in ordered:
        index = bisect.bisect_left(starts, candidate.start)
        if index > 0 and kept[index - 1].end > candidate.start:
            continue
        if index < len(kept) and kept[index].start < candidate.end:
            continue
        resolved = resolve(candidate, text, tagger, anchor)
        if resolved is not None:
            kept.insert(index, resolved)
            starts.insert(index, candidate.start)
    return kept
