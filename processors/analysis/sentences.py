"""Sentence splitting for French and English news text, with exact character offsets.

Rule-based: a sentence ends at ``.``, ``!``, ``?`` or ``…`` (plus any closing quotes or brackets)
followed by whitespace and a token that can open a sentence, unless the word before the period is
a known abbreviation, a title (``M.``, ``Mme.``, ``Gen.``, ``Dr.``) or an initial (``John F.
Kennedy``). Every line break also ends a sentence, since cleaned text keeps one paragraph per block.
"""

from __future__ import annotations

import regex

# Words that take an abbreviation period and are usually followed by a name or a number, so a
# period after them is not a sentence end. They count only when capitalised ("Sept. 2023", but
# "ils étaient sept."), except the LOWERCASE_ABBREVIATIONS.
TITLE_ABBREVIATIONS = frozenset(
    "m mm mme mmes mlle mlles me mgr dr pr prof mr mrs ms messrs gen gén lt col cmdt cdt maj capt "
    "cpt sgt adm gov sen rep rev st ste sr jr pres hon amb lieut no nos vol art inc ltd co corp "
    "jan feb fév mar apr avr jun jul juil aug sep sept oct nov dec déc fig ch".split()
)
LOWERCASE_ABBREVIATIONS = frozenset("cf env av approx vs p pp al art".split())

# After a dotted acronym (U.S., U.N.) the sentence ends only if one of these opens the next one.
SENTENCE_OPENERS = frozenset(
    "the a an he she it they we i but and in on this that there his her their its le la les il "
    "elle ils elles on un une des ce cette ces mais en selon pour".split()
)

_END = regex.compile(r"[.!?…]+(?:[\u00a0\u202f ]?[\"'”»)\]’])*(?=\s)|\n")
_OPENER = regex.compile(r"\s+([\"'“«(\[—–-]?\s*)(\p{Lu}|\p{N})")
_WORD_BEFORE = regex.compile(r"([\p{L}.'’-]+)$")
_NEXT_WORD = regex.compile(r"\s*[\"'“«(\[]?\s*([\p{L}]+)")
_LIST_MARKER = regex.compile(r"\s*\d{1,3}")
_DOTTED_ACRONYM = regex.compile(r"(?:\p{L}\.){2,}")


def _is_false_end(text: str, dot_at: int, after: int) -> bool:
    """Whether the period at ``dot_at`` belongs to an abbreviation rather than ending a sentence."""
    if text[dot_at] != ".":
        return False
    line_start = text.rfind("\n", 0, dot_at) + 1
    if _LIST_MARKER.fullmatch(text, line_start, dot_at):
        return True
    match = _WORD_BEFORE.search(text, max(0, dot_at - 40), dot_at + 1)
    if not match:
        return False
    word = match.group(1)
    core = word.rstrip(".").split("'")[-1].split("’")[-1]
    if _DOTTED_ACRONYM.fullmatch(word) or regex.fullmatch(r"(?:\p{L}\.)+-?\p{L}", word):
        nxt = _NEXT_WORD.match(text, after)
        return not (nxt and nxt.group(1).casefold() in SENTENCE_OPENERS)
    folded = core.casefold()
    if folded in LOWERCASE_ABBREVIATIONS or (folded in TITLE_ABBREVIATIONS and core[:1].isupper()):
        return True
    # A single capital letter is an initial ("John F. Kennedy", "J.-C.").
    return len(core) == 1 and core.isupper()


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` character spans of the sentences of ``text``.

    ``text[start:end]`` is the sentence without surrounding whitespace; spans are in order and do
    not overlap. Empty text gives an empty list.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _END.finditer(text):
        end = match.end()
        if match.group() != "\n":
            opener = _OPENER.match(text, end)
            if not opener or _is_false_end(text, match.start(), end):
                continue
        _append_trimmed(text, start, end, spans)
        start = end
    _append_trimmed(text, start, len(text), spans)
    return spans


def _append_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))
