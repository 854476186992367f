"""Near-duplicate detection of cleaned articles: content hashes, MinHash and LSH.

All hashing is keyed BLAKE2b over UTF-8 bytes, so signatures are identical across processes and
machines (Python's salted ``hash()`` is never used). ``DedupeIndex`` is a plain value: it can be
saved with ``to_state()`` into a changelog/state store and rebuilt with ``from_state()``.
"""

from __future__ import annotations

import hashlib
import sys
import unicodedata
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, lru_cache

import numpy as np
import regex

MERSENNE_PRIME = (1 << 61) - 1
MAX_HASH = (1 << 32) - 1
DEFAULT_THRESHOLD = 0.5
"""Estimated Jaccard (5-word shingles) from which two articles are copies. Tuned with
bench/dedupe_eval.py (982 ECB+ articles, seed 7): no hard negative reaches it (the highest, two
different articles of one story sharing wire paragraphs, scores 0.37), recall of generated copies
is 0.98 (0.93 at 0.6, 0.58 at 0.8); rewrites of one dispatch (containment 0.5-0.8) are merged in
11 of 89 cases (3 at 0.6)."""

_NON_WORD = regex.compile(r"[^\p{L}\p{N}]+")


@cache
def _combining_marks() -> dict[int, None]:
    """A `str.translate` table deleting every character with a combining class."""
    return {cp: None for cp in range(sys.maxunicode + 1) if unicodedata.combining(chr(cp))}


@lru_cache(maxsize=4)  # the analysis stage hashes and fingerprints the same text in a row
def normalise_text(text: str) -> str:
    """Casefold, strip accents and punctuation, and collapse whitespace to single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = decomposed.translate(_combining_marks())
    return " ".join(_NON_WORD.sub(" ", bare).split())


def content_hash(text: str) -> str:
    """SHA-256 (hex) of the normalised text: equal across case, spacing and punctuation."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def shingles(text: str, k: int = 5) -> set[str]:
    """Word k-shingles of the normalised text (the whole text as one shingle if shorter than k)."""
    words = normalise_text(text).split()
    if len(words) < k:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


def _base_hash(shingle: str) -> int:
    digest = hashlib.blake2b(shingle.encode("utf-8"), digest_size=8, person=b"nl-shingle")
    return int.from_bytes(digest.digest(), "big")


def _permutations(num_perm: int, seed: int) -> list[tuple[int, int]]:
    """Coefficients (a, b) of the hash family h(x) = (a*x + b) mod p, derived from the seed."""
    coefficients = []
    for index in range(num_perm):
        digest = hashlib.blake2b(f"{seed}:{index}".encode(), digest_size=16).digest()
        a = int.from_bytes(digest[:8], "big") % (MERSENNE_PRIME - 1) + 1
        b = int.from_bytes(digest[8:], "big") % MERSENNE_PRIME
        coefficients.append((a, b))
    return coefficients


_LOW31 = np.uint64((1 << 31) - 1)
_LOW30 = np.uint64((1 << 30) - 1)
_PRIME = np.uint64(MERSENNE_PRIME)


@lru_cache(maxsize=8)
def _permutation_arrays(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The coefficients of ``_permutations`` as two uint64 column vectors."""
    pairs = _permutations(num_perm, seed)
    a = np.array([pair[0] for pair in pairs], dtype=np.uint64).reshape(-1, 1)
    b = np.array([pair[1] for pair in pairs], dtype=np.uint64).reshape(-1, 1)
    return a, b


def _affine_mod_prime(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(a * x + b) mod (2**61 - 1), exactly, for 61-bit a, b, x, in uint64 arithmetic.

    a and x are split at bit 31 so no partial product overflows; since 2**61 = 1 modulo the
    prime, the high parts fold back with shifts and additions (the sum stays below 2**64).
    """
    a1, a0 = a >> np.uint64(31), a & _LOW31
    x1, x0 = x >> np.uint64(31), x & _LOW31
    middle = a1 * x0 + a0 * x1  # below 2**62
    total = ((a1 * x1) << np.uint64(1)) + (middle >> np.uint64(30)) + \
        ((middle & _LOW30) << np.uint64(31)) + a0 * x0 + b
    folded = (total & _PRIME) + (total >> np.uint64(61))
    return np.where(folded >= _PRIME, folded - _PRIME, folded)


def minhash_signature(text: str, num_perm: int = 128, seed: int = 1) -> tuple[int, ...]:
    """MinHash signature of the text's 5-word shingles: ``num_perm`` 32-bit minima."""
    hashes = [_base_hash(s) % MERSENNE_PRIME for s in shingles(text)]
    if not hashes:
        return (MAX_HASH,) * num_perm
    a, b = _permutation_arrays(num_perm, seed)
    minima = _affine_mod_prime(a, b, np.array(hashes, dtype=np.uint64)).min(axis=1)
    return tuple(int(v) & MAX_HASH for v in minima.tolist())


def estimate_jaccard(a: Sequence[int], b: Sequence[int]) -> float:
    """Fraction of equal positions of two signatures of the same length."""
    if len(a) != len(b) or not a:
        raise ValueError("signatures must be non-empty and of equal length")
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def _band_hashes(signature: Sequence[int], bands: int) -> list[int]:
    """One 64-bit hash per band, with the band number in the top byte (72-bit ints)."""
    if not bands or len(signature) % bands:
        raise ValueError(f"{len(signature)} rows do not split into {bands} bands")
    rows = len(signature) // bands
    hashes = []
    for band in range(bands):
        chunk = signature[band * rows : (band + 1) * rows]
        packed = b"".join(value.to_bytes(4, "big") for value in chunk)
        digest = hashlib.blake2b(packed, digest_size=8, person=b"nl-band").digest()
        hashes.append((band << 64) | int.from_bytes(digest, "big"))
    return hashes


def lsh_bands(signature: Sequence[int], bands: int = 32) -> list[str]:
    """Band keys for LSH: two signatures sharing any key are candidate duplicates."""
    return [f"{key:018x}" for key in _band_hashes(signature, bands)]


def choose_original(candidates: list[tuple[datetime, str]]) -> str:
    """Return the doc id of the earliest published copy; ties go to the smallest doc id."""
    if not candidates:
        raise ValueError("no candidates")
    return min(candidates)[1]


@dataclass
class IndexedDoc:
    """What the index keeps of one article (signature packed as 32-bit unsigned ints)."""

    signature: array
    content_hash: str
    published_at: datetime


@dataclass
class DedupeIndex:
    """A bounded LSH index of recent articles, used to find syndicated copies.

    Pure value: ``find_duplicate`` reads, ``add`` and ``evict_before`` mutate only this object.
    """

    threshold: float = DEFAULT_THRESHOLD
    bands: int = 32
    docs: dict[str, IndexedDoc] = field(default_factory=dict)
    # One doc id, or a list when several docs share the band (most buckets hold one).
    buckets: dict[int, str | list[str]] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)

    def find_duplicate(self, doc_id: str, signature: tuple[int, ...], content_hash: str) -> str | None:
        """Return the indexed doc this one duplicates (earliest published if several), or None.

        An empty text (signature of ``MAX_HASH`` only) duplicates nothing.
        """
        if all(value == MAX_HASH for value in signature):
            return None
        exact = self.hashes.get(content_hash)
        matches = [exact] if exact is not None and exact != doc_id else []
        candidates: set[str] = set()
        for key in _band_hashes(signature, self.bands):
            members = self.buckets.get(key, ())
            candidates.update((members,) if isinstance(members, str) else members)
        candidates.discard(doc_id)
        for other in sorted(candidates):
            if estimate_jaccard(signature, self.docs[other].signature) >= self.threshold:
                matches.append(other)
        if not matches:
            return None
        return choose_original([(self.docs[m].published_at, m) for m in set(matches)])

    def add(self, doc_id: str, signature: tuple[int, ...], content_hash: str, published_at: datetime) -> None:
        """Index a document (re-adding the same id replaces it)."""
        if published_at.tzinfo is None:
            raise ValueError("published_at must be timezone-aware")
        if doc_id in self.docs:
            self._remove(doc_id)
        self.docs[doc_id] = IndexedDoc(array("I", signature), content_hash, published_at)
        self.hashes.setdefault(content_hash, doc_id)
        for key in _band_hashes(signature, self.bands):
            members = self.buckets.get(key)
            if members is None:
                self.buckets[key] = doc_id
            elif isinstance(members, str):
                self.buckets[key] = [members, doc_id]
            else:
                members.append(doc_id)

    def evict_before(self, cutoff: datetime) -> list[str]:
        """Forget documents published before ``cutoff``; return their ids (sorted)."""
        old = sorted(d for d, doc in self.docs.items() if doc.published_at < cutoff)
        for doc_id in old:
            self._remove(doc_id)
        return old

    def _remove(self, doc_id: str) -> None:
        doc = self.docs.pop(doc_id)
        if self.hashes.get(doc.content_hash) == doc_id:
            del self.hashes[doc.content_hash]
            same = sorted(
                (d.published_at, i) for i, d in self.docs.items() if d.content_hash == doc.content_hash
            )
            if same:
                self.hashes[doc.content_hash] = same[0][1]
        for key in _band_hashes(doc.signature, self.bands):
            members = self.buckets.get(key)
            if members == doc_id:
                del self.buckets[key]
            elif isinstance(members, list) and doc_id in members:
                members.remove(doc_id)
                if len(members) == 1:
                    self.buckets[key] = members[0]

    def to_state(self) -> dict:
        """Return a JSON-able dict of the whole index (buckets are rebuilt on load)."""
        return {
            "threshold": self.threshold,
            "bands": self.bands,
            "docs": {
                doc_id: {
                    "signature": list(doc.signature),
                    "content_hash": doc.content_hash,
                    "published_at": doc.published_at.isoformat(),
                }
                for doc_id, doc in sorted(self.docs.items())
            },
        }

    @classmethod
    def from_state(cls, state: dict) -> DedupeIndex:
        """Rebuild an index saved by ``to_state``."""
        index = cls(threshold=state["threshold"], bands=state["bands"])
        for doc_id, doc in state["docs"].items():
            published = datetime.fromisoformat(doc["published_at"])
            index.add(doc_id, tuple(doc["signature"]), doc["content_hash"], published)
        return index
