"""Named entities and cross-language keywords of one sentence, by rules and data tables.

No model: known names come from ``data/aliases.tsv`` (longest match first, case-, accent- and
hyphen-insensitive), other names are runs of capitalised words and acronyms, minus the
``entities`` stopwords of ``data/stopwords.tsv``. Keywords are light stems of content words, with
French and English news vocabulary mapped to one English key by ``data/lexicon.tsv``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from typing import NamedTuple

import regex

MAX_ALIAS_TOKENS = 10

_TOKEN = regex.compile(r"(?:\p{Lu}\.){2,}|\p{L}+(?:[-‑]\p{L}+)*|\p{N}+")
_JOINING_GAP = regex.compile(r"\s*['’]?\s*")
_OPENING = frozenset("\"«“(:—–-")  # a capital right after one of these opens a clause
_URL = regex.compile(r"(?:https?://|www\.)\S+(?:\s+[^\s/]*[./]\S*)*|\S+@\S+\.\w+")
_KEY_PUNCTUATION = regex.compile(r"[-‐‑–'’`.]+")


@dataclass(frozen=True)
class Entity:
    """A name mentioned in a sentence."""

    name: str  # canonical name (English form from the alias table when known)
    kind: str  # "person" | "organisation" | "place" | "other"
    text: str  # surface form


@dataclass(frozen=True)
class KnownName:
    """One alias-table entry, as reached from one matching key."""

    canonical: str
    kind: str
    capitals_only: bool  # every alias with this key is an acronym written in capitals
    lowercase_ok: bool  # an alias with this key is written starting in lower case


@lru_cache(maxsize=1 << 16)
def _key_text(text: str) -> str:
    """``entity_key`` before its spaces are collapsed.

    Every step (NFKD, dropping combining marks, casefolding, punctuation to spaces) maps a
    concatenation to the concatenation of its parts' results: NFKD only reorders combining
    marks, which are all dropped. So the key of a span of tokens is built from its parts' keys.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    return str(_KEY_PUNCTUATION.sub(" ", bare))


@lru_cache(maxsize=1 << 16)
def entity_key(name: str) -> str:
    """Return the matching key of a name: no accents, casefolded, ``-'.`` as spaces."""
    return " ".join(_key_text(name).split())


def _data(name: str) -> list[list[str]]:
    text = files("processors.analysis.data").joinpath(name).read_text(encoding="utf-8")
    return [row.split("\t") for row in text.splitlines() if row.strip() and row[0] != "#"]


@cache
def known_names() -> dict[str, KnownName]:
    """Load the alias table, by matching key (cached)."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    for canonical, kind, *rest in _data("aliases.tsv"):
        aliases = [a for a in (rest[0].split("|") if rest else []) if a.strip()]
        for alias in [canonical, *aliases]:
            found.setdefault(entity_key(alias), []).append((canonical, kind, alias.strip()))
    return {
        key: KnownName(
            canonical=entries[0][0],
            kind=entries[0][1],
            capitals_only=all(_is_acronym(alias) for _, _, alias in entries),
            lowercase_ok=any(alias[:1].islower() for _, _, alias in entries),
        )
        for key, entries in found.items()
    }


@cache
def _known_prefixes() -> frozenset[str]:
    """Every leading part of every alias key: a span whose key is none of them cannot grow into one."""
    return frozenset(key[:end] for key in known_names() for end in range(1, len(key) + 1))


@cache
def stopwords(use: str, language: str | None = None) -> frozenset[str]:
    """Return the word keys listed for ``use`` in ``stopwords.tsv`` (all languages if None)."""
    words: set[str] = set()
    for row_language, row_use, listed in _data("stopwords.tsv"):
        if row_use == use and (language is None or row_language in (language, "*")):
            words.update(entity_key(word) for word in listed.split("|"))
    return frozenset(words)


def _is_acronym(surface: str) -> bool:
    letters = [c for c in surface if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _language(language: str | None) -> str | None:
    short = (language or "").lower()[:2]
    return short if short in ("fr", "en") else None


def canonical_entity(name: str) -> str:
    """Canonical name: the alias table's English form if known, else the tidied surface form."""
    known = known_names().get(entity_key(name))
    if known and (_is_acronym(name) or not known.capitals_only):
        return known.canonical
    tidy = " ".join(name.split())
    if _is_acronym(tidy) and any(len(word) > 5 for word in tidy.split()):
        return tidy.title()  # a shouted dateline or headline word, not an acronym
    return tidy


class _Token(NamedTuple):
    text: str
    start: int
    end: int


@lru_cache(maxsize=1024)  # an article's sentences are tokenised for names, entities and keywords
def _tokens(sentence: str) -> tuple[_Token, ...]:
    return tuple(_Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(sentence))


def _joined(sentence: str, left: _Token, right: _Token) -> bool:
    """Whether two tokens are separated only by spaces or an apostrophe (same name)."""
    return _JOINING_GAP.fullmatch(sentence[left.end : right.start]) is not None


def _opens_clause(sentence: str, token: _Token) -> bool:
    """Whether the token is the first of the sentence or follows an opening quote, bracket,
    colon or dash. Looks back over whitespace only, so a long sentence costs no more per token."""
    i = token.start
    while i > 0 and sentence[i - 1].isspace():
        i -= 1
    return i == 0 or sentence[i - 1] in _OPENING


def _match_known(sentence: str, tokens: Sequence[_Token], i: int,
                 gaps: list[str | None]) -> tuple[int, KnownName] | None:
    """Longest alias starting at token ``i``: (number of tokens, entry).

    ``gaps[j]`` is the key text of what separates tokens j and j+1, or None if they are not
    joined (a span across them is no name). Keys grow token by token and stop as soon as no
    alias key starts with them.
    """
    names, prefixes = known_names(), _known_prefixes()
    spans = []
    text = _key_text(tokens[i].text)
    for n in range(1, min(MAX_ALIAS_TOKENS, len(tokens) - i) + 1):
        if n > 1:
            gap = gaps[i + n - 2]
            if gap is None:
                break
            text += gap + _key_text(tokens[i + n - 1].text)
        key = " ".join(text.split())
        if key not in prefixes:
            break
        spans.append((n, key))
    for n, key in reversed(spans):
        known = names.get(key)
        if known is None:
            continue
        if known.capitals_only and not _is_acronym(sentence[tokens[i].start : tokens[i + n - 1].end]):
            continue
        if tokens[i].text[0].isupper() or known.lowercase_ok:
            return n, known
    return None


def _unknown_kind(words: list[str], after_title: bool) -> str:
    keys = {entity_key(word) for word in words}
    if (len(words) == 1 and _is_acronym(words[0])) or keys & stopwords("organisation_words"):
        return "organisation"
    if keys & stopwords("place_words"):
        return "place"
    return "person" if after_title or len(words) >= 2 else "other"


def _capitalised_run(sentence: str, tokens: Sequence[_Token], i: int, taken: set[int]) -> int:
    """Count the tokens of the run of capitalised words (with particles) starting at ``i``."""
    end = i + 1
    while end < len(tokens) and end not in taken and _joined(sentence, tokens[end - 1], tokens[end]):
        word = tokens[end].text
        if word[0].isupper():
            end += 1
        elif (
            word in stopwords("particles")
            and end + 1 < len(tokens)
            and end + 1 not in taken
            and tokens[end + 1].text[0].isupper()
            and _joined(sentence, tokens[end], tokens[end + 1])
        ):
            end += 2
        else:
            break
    return end - i


def _known_entities(sentence: str, tokens: Sequence[_Token], taken: set[int]):
    """Alias-table names, longest first; marks their tokens as taken."""
    gaps = [_key_text(sentence[a.end : b.start]) if _joined(sentence, a, b) else None
            for a, b in zip(tokens, tokens[1:], strict=False)]
    for i in range(len(tokens)):
        match = None if i in taken else _match_known(sentence, tokens, i, gaps)
        if match:
            n, known = match
            taken.update(range(i, i + n))
            surface = sentence[tokens[i].start : tokens[i + n - 1].end]
            yield i, Entity(known.canonical, known.kind, surface)


def _unknown_entities(sentence: str, tokens: Sequence[_Token], taken: set[int], language: str | None,
                      names: frozenset[str] = frozenset()):
    """Runs of capitalised words and acronyms that are not in the alias table.

    A lone capitalised word opening a clause is taken only if `names` (words the same article
    capitalises mid-sentence) holds it: "Fiat announced..." when the article also says "...of Fiat".
    """
    stop, titles = stopwords("entities", language), stopwords("titles")
    trailing_stop = stop | stopwords("particles")
    i = 0
    while i < len(tokens):
        if i in taken or not tokens[i].text[0].isupper():
            i += 1
            continue
        n = _capitalised_run(sentence, tokens, i, taken)
        run = tokens[i : i + n]
        lead = 0
        while lead < len(run) and entity_key(run[lead].text) in stop:
            lead += 1
        while run and entity_key(run[-1].text) in trailing_stop:
            run = run[:-1]
        words = [t.text for t in run[lead:]]
        i += n
        if not words or (len(words) == 1 and len(words[0]) < 2):
            continue
        if lead == 0 and len(words) == 1 and _opens_clause(sentence, run[0]):
            if not _is_acronym(words[0]) and entity_key(words[0]) not in names:
                continue  # "Selon", "Hier": a capital that only marks the sentence start
        before = [entity_key(t.text) for t in tokens[max(0, i - n - 1) : i - n]]
        after_title = bool({entity_key(t.text) for t in run[:lead]} & titles or set(before) & titles)
        surface = sentence[run[lead].start : run[-1].end]
        yield i - n + lead, Entity(canonical_entity(surface), _unknown_kind(words, after_title), surface)


def _is_headline_case(sentence: str, tokens: Sequence[_Token]) -> bool:
    """Whether capitals carry no information: an all-caps or Title Case Headline line."""
    words = [t.text for t in tokens if t.text[0].isalpha() and len(t.text) > 3]
    capitalised = sum(word[0].isupper() for word in words)
    return len(words) >= 4 and capitalised / len(words) >= 0.8


def article_names(text: str, language: str | None) -> frozenset[str]:
    """Keys of the words an article capitalises mid-sentence (not stopwords): its likely names."""
    stop = stopwords("entities", _language(language)) | stopwords("titles")
    out = set()
    for line in text.splitlines():
        tokens = _tokens(line)
        for t in tokens:
            key = entity_key(t.text)
            if t.text[0].isupper() and not _opens_clause(line, t) and key not in stop:
                out.add(key)
    return frozenset(out)


def extract_entities(sentence: str, language: str | None,
                     names: frozenset[str] = frozenset()) -> list[Entity]:
    """Entities of one sentence, in order of first mention, one per canonical name.

    `names` (from `article_names`) lets a sentence-initial name count when the article also
    writes it mid-sentence.

    In an all-caps or Title Case line only alias-table names (and acronyms, in a Title Case line)
    are taken, since capitals there do not mark names.
    """
    seen: set[str] = set()
    entities = []
    for entity, _, _ in entity_spans(sentence, language, names):
        if entity.name not in seen:
            seen.add(entity.name)
            entities.append(entity)
    return entities


def entity_spans(sentence: str, language: str | None,
                 names: frozenset[str] = frozenset()) -> list[tuple[Entity, int, int]]:
    """Every occurrence of a name in the sentence, in order, with its character span
    (``extract_entities`` keeps the first of each name): where a name is tells whose event a
    word is (``participants``)."""
    tokens = _tokens(sentence)
    urls = [url.span() for url in _URL.finditer(sentence)]
    taken = {i for i, t in enumerate(tokens) for start, end in urls if start <= t.start < end}
    found = list(_known_entities(sentence, tokens, taken))
    if not _is_headline_case(sentence, tokens):
        found += _unknown_entities(sentence, tokens, taken, _language(language), names)
    elif not _is_acronym(sentence):
        found += [
            (i, Entity(t.text, "organisation", t.text))
            for i, t in enumerate(tokens)
            if i not in taken and _is_acronym(t.text) and entity_key(t.text) not in stopwords("entities")
        ]
    # each surface is the sentence's text from its first token on
    return [(entity, tokens[i].start, tokens[i].start + len(entity.text))
            for i, entity in sorted(found, key=lambda pair: pair[0])]


# ---------------------------------------------------------------- keywords

_STEM_SUFFIXES = {  # tried in order, longest first
    "fr": tuple("ements ement issent ations ation aient ait ees ee es ent er ez ir it is e i s x".split()),
    "en": tuple("ations ation ing ies ed es ly s e".split()),
}
MIN_STEM = 3


@lru_cache(maxsize=1 << 16)
def _bare(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def stem(word: str, language: str | None) -> str:
    """Light suffix-stripping stem of an accent-free, casefolded word."""
    for suffix in _STEM_SUFFIXES["fr" if language == "fr" else "en"]:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            return word[: -len(suffix)]
    return word


@cache
def lexicon() -> tuple[dict[str, str], dict[tuple[str, str], str], int]:
    """(form -> key, (language, stem) -> key, longest form in words) from ``lexicon.tsv``."""
    forms: dict[str, str] = {}
    stems: dict[tuple[str, str], str | None] = {}
    longest = 1
    for key, listed in _data("lexicon.tsv"):
        for form in listed.split("|"):
            words = _KEY_PUNCTUATION.sub(" ", _bare(form)).split()
            forms[" ".join(words)] = key
            longest = max(longest, len(words))
            if len(words) == 1:
                for language in ("fr", "en"):
                    slot = (language, stem(words[0], language))
                    stems[slot] = key if stems.get(slot, key) == key else None
    return forms, {slot: key for slot, key in stems.items() if key}, longest


@lru_cache(maxsize=1 << 16)
def _word_pieces(word: str) -> tuple[str, ...]:
    return tuple(_KEY_PUNCTUATION.sub(" ", _bare(word)).split())


@lru_cache(maxsize=256)  # every dated mention of a sentence asks for the same keys
def keywords(sentence: str, language: str | None) -> frozenset[str]:
    """Content-word keys of a sentence: English lexicon keys where known, else light stems.

    Names (capitalised words after the first word, acronyms) are left to ``extract_entities``.
    """
    lang = _language(language)
    stop = stopwords("keywords", lang)
    forms, stems, longest = lexicon()
    tokens = _tokens(sentence)
    words = [_word_pieces(t.text) for t in tokens]
    flat = [(piece, t) for t, parts in zip(tokens, words, strict=True) for piece in parts]
    found: set[str] = set()
    i = 0
    while i < len(flat):
        for n in range(min(longest, len(flat) - i), 1, -1):
            key = forms.get(" ".join(piece for piece, _ in flat[i : i + n]))
            if key:
                found.add(key)
                i += n
                break
        else:
            piece, token = flat[i]
            i += 1
            is_name = (
                _is_acronym(token.text)
                or entity_key(token.text) in known_names()
                or (token.text[0].isupper() and not _opens_clause(sentence, token))
            )
            if piece in stop or piece.isdigit() or len(piece) < MIN_STEM or is_name:
                continue
            stemmed = stem(piece, lang)
            found.add(forms.get(piece) or stems.get((lang or "en", stemmed)) or stemmed)
    return frozenset(found)


def alias_rows() -> list[tuple[str, str, str]]:
    """(alias, canonical name, kind) for every alias in the table, canonical names included."""
    rows: list[tuple[str, str, str]] = []
    for canonical, kind, *rest in _data("aliases.tsv"):
        aliases = [a.strip() for a in (rest[0].split("|") if rest else []) if a.strip()]
        rows.extend((alias, canonical, kind) for alias in dict.fromkeys([canonical, *aliases]))
    return rows
