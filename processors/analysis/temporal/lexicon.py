"""The shape of a language table, and how the tagger finds the table for a language code.

A language is one module under ``lexicons/`` exposing ``LEXICON``: word tables (surface form
-> meaning) and rules (a pattern with ``<slot>`` placeholders, the kind of resolution it
needs, and examples the tests check). Adding a language means adding such a module.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache

_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


@dataclass(frozen=True)
class Rule:
    """One pattern of a language table.

    ``pattern`` is a regular expression in which ``<category>`` (optionally followed by a
    digit, ``<day2>``) stands for any word of that category or a built-in numeric slot, and a
    plain space stands for any run of white space. A named group ``span`` narrows the reported
    text (so that a cue such as ``en`` in ``en 1987`` is required but not reported).
    ``kind`` names the normaliser in ``normalisers.py``; ``examples`` must each match in full.
    """

    kind: str
    pattern: str
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lexicon:
    """Everything language-specific the tagger knows about one language.

    ``words``: category -> surface form -> meaning (``"month": {"juin": 6}``).
    ``capitalized``: categories whose words only count when capitalized (English months).
    ``needs_cue``: spans that are dates only after a ``cue`` word (``May``, ``mars``).
    ``future_cues``: regexes that put a clause in the future (``will``, ``sera``).
    ``background_cues``: regexes that, right before a past year, make it background.
    ``report_cues``: regexes of a past reporting verb (``said on``, ``a indiqué``) that, right
    before a date, make it the date of the report, not of the future it reports.
    ``metadata_lines`` / ``credit_lines``: regexes marking publication lines / photo credits.
    """

    code: str
    words: Mapping[str, Mapping[str, object]]
    rules: tuple[Rule, ...]
    capitalized: frozenset[str] = frozenset()
    needs_cue: frozenset[str] = frozenset()
    future_cues: tuple[str, ...] = ()
    background_cues: tuple[str, ...] = ()
    report_cues: tuple[str, ...] = ()
    metadata_lines: tuple[str, ...] = ()
    credit_lines: tuple[str, ...] = ()
    normalized_words: Mapping[str, Mapping[str, object]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Index every word table by its normalized surface form."""
        normalized = {
            category: {normalize_word(word): meaning for word, meaning in table.items()}
            for category, table in self.words.items()
        }
        object.__setattr__(self, "normalized_words", normalized)

    def meaning(self, category: str, surface: str) -> object:
        """Return what ``surface`` means in ``category`` (KeyError if it is not listed)."""
        return self.normalized_words[category][normalize_word(surface)]


@lru_cache(maxsize=1 << 16)  # the same few hundred words come back in every article
def normalize_word(surface: str) -> str:
    """Fold case, accents, apostrophes, hyphens and spacing so table look-ups are forgiving."""
    decomposed = unicodedata.normalize("NFD", surface.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("\u2019", "'").replace("\u2010", "-").replace("\u2011", "-")
    return " ".join(stripped.replace("-", " ").split())


@cache
def load_lexicon(code: str) -> Lexicon | None:
    """Return the table for a language code, or None when there is none."""
    if not _LANGUAGE_CODE.fullmatch(code):
        return None
    try:
        module = importlib.import_module(f"{__package__}.lexicons.{code}")
    except ModuleNotFoundError:
        return None
    return getattr(module, "LEXICON", None)
