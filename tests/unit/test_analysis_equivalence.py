"""The fast alias matcher and numpy MinHash give exactly what their plain definitions give."""

import random
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from processors.analysis.entities import (
    MAX_ALIAS_TOKENS,
    _is_acronym,
    _joined,
    _key_text,
    _known_entities,
    _match_known,
    _tokens,
    alias_rows,
    entity_key,
    known_names,
)
from processors.resolution.copies import (
    _NON_WORD,
    MAX_HASH,
    MERSENNE_PRIME,
    _base_hash,
    _permutations,
    minhash_signature,
    normalise_text,
    shingles,
)


def minhash_by_definition(text, num_perm=128, seed=1):
    """min over shingles of (a*x + b) mod p, in Python integers, per permutation."""
    hashes = [_base_hash(s) % MERSENNE_PRIME for s in shingles(text)]
    if not hashes:
        return (MAX_HASH,) * num_perm
    return tuple(min((a * x + b) % MERSENNE_PRIME for x in hashes) & MAX_HASH
                 for a, b in _permutations(num_perm, seed))


def match_by_definition(sentence, tokens, i):
    """Longest alias at token i: every span from the longest, keyed from its whole surface."""
    names = known_names()
    for n in range(min(MAX_ALIAS_TOKENS, len(tokens) - i), 0, -1):
        span = tokens[i : i + n]
        if any(not _joined(sentence, a, b) for a, b in zip(span, span[1:], strict=False)):
            continue
        surface = sentence[span[0].start : span[-1].end]
        known = names.get(entity_key(surface))
        if known is None or (known.capitals_only and not _is_acronym(surface)):
            continue
        if span[0].text[0].isupper() or known.lowercase_ok:
            return n, known
    return None


WORDS = ["le", "la", "de", "Saint", "Jean", "États-Unis", "COVID", "19", "U.S.", "l'", "O'Neill",
         "Niamey", "Bazoum", "niger", "e\u0301te\u0301", "Ｎｉｇｅｒ", "ﬁn", "Ⅻ", "ﾞ"]
GAPS = [" ", "  ", "'", "’", " ' ", "", "\u00a0", "\u2009", ", ", " - ", "\n", ".", "-"]


def alias_words():
    return [w for alias, _, _ in alias_rows()[:400] for w in alias.split()]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_alias_matching_equals_its_definition(data):
    vocabulary = WORDS + alias_words()
    parts = data.draw(st.lists(st.tuples(st.sampled_from(vocabulary), st.sampled_from(GAPS)),
                               min_size=1, max_size=14))
    sentence = "".join(word + gap for word, gap in parts)
    tokens = _tokens(sentence)
    gaps = [_key_text(sentence[a.end : b.start]) if _joined(sentence, a, b) else None
            for a, b in zip(tokens, tokens[1:], strict=False)]
    for i in range(len(tokens)):
        assert _match_known(sentence, tokens, i, gaps) == match_by_definition(sentence, tokens, i)


def test_every_alias_is_found_whole_in_a_sentence():
    rng = random.Random(3)
    for alias, _, _ in rng.sample(alias_rows(), 300):
        sentence = f"Hier, {alias} a parlé."
        found = [e.name for _, e in _known_entities(sentence, _tokens(sentence), set())]
        tokens = _tokens(sentence)
        expected = [m[1].canonical for i in range(len(tokens))
                    if (m := match_by_definition(sentence, tokens, i))]
        assert found[:1] == expected[:1], alias


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("abcdé ÉàX-'’.,\u0301\u00a0 1z"), max_size=300))
def test_numpy_minhash_equals_its_definition(text):
    assert minhash_signature(text) == minhash_by_definition(text)


def test_numpy_minhash_on_long_texts_and_other_seeds():
    rng = random.Random(5)
    words = [f"w{i}" for i in range(500)] + ["été", "Noël", "naïve"]
    for size in (1, 4, 5, 6, 300, 3000):
        text = " ".join(rng.choice(words) for _ in range(size))
        assert minhash_signature(text) == minhash_by_definition(text)
        assert minhash_signature(text, 64, 9) == minhash_by_definition(text, 64, 9)


@given(st.text(max_size=200) | st.text(alphabet=st.sampled_from("aéÉ\u0301\u0327 ñ-"), max_size=50))
def test_normalised_text_strips_the_marks_its_definition_strips(text):
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    assert normalise_text(text) == " ".join(_NON_WORD.sub(" ", bare).split())
