"""Is this a copy or a version of something we have? The one place that decides it.

- A **version**: the same canonical URL (``schemas.identity``); the newest version of a URL is
  current, the others are superseded.
- A **copy**: another URL with the same text (content hash) or nearly the same (MinHash estimate of
  the Jaccard similarity of 5-word shingles >= ``DEFAULT_THRESHOLD``), published within
  ``SYNDICATION_WINDOW`` of it; the earliest published of a group of copies is the original.

The analysis stage fingerprints each article (``content_hash``, ``minhash_signature``); the
resolver fold keeps a ``Copies`` state and calls ``Copies.record`` for each new version, which
returns the statuses that changed, at a cost bounded by what the version touches, not by the
size of its copy group (``recompute_statuses`` says how; ``bench/copies_bench.py`` measures it).
``bench/dedupe_eval.py`` measures that same code's quality. (A
resubmission of a version already accepted is answered at ingest, ``ingest/publisher.py``, and
changes nothing here: a version already recorded is not recorded again.)

All hashing is keyed BLAKE2b over UTF-8 bytes, so signatures are identical across processes and
machines (Python's salted ``hash()`` is never used).
"""

from __future__ import annotations

import hashlib
import heapq
import sys
import unicodedata
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache, lru_cache
from typing import Any

import numpy as np
import regex

from schemas.articles import ArticleAnalysed
from schemas.timeline import ArticleStatus

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
    return list(_lsh_bands(tuple(signature), bands))


@lru_cache(maxsize=8)
def _lsh_bands(signature: tuple[int, ...], bands: int) -> tuple[str, ...]:
    """`lsh_bands`, kept for the last few signatures: an article's bands are wanted three
    times in a row (the fold indexes them and looks its candidates up in them, the resolver's
    store writes them: `processors/worker/resolver_state.py`, `index_rows`): a hit costs the
    tuple that keys it, not 32 BLAKE2b hashes."""
    return tuple(f"{key:018x}" for key in _band_hashes(signature, bands))


def choose_original(candidates: list[tuple[datetime, str]]) -> str:
    """Return the doc id of the earliest published copy; ties go to the smallest doc id."""
    if not candidates:
        raise ValueError("no candidates")
    return min(candidates)[1]


# Syndicated copies of a dispatch appear within days of it; pages that share text further apart
# (an anniversary piece quoting an old story) are not copies of each other.
SYNDICATION_WINDOW = timedelta(days=7)
# How far back (from the newest publication seen) the near-duplicate index reaches: late
# arrivals within this horizon still find their originals, older ones are not looked up.
COPY_INDEX_HORIZON = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class Status:
    """Where one article version stands."""

    status: ArticleStatus = "current"
    superseded_by: str | None = None
    duplicate_of: str | None = None


@dataclass
class Copies:
    """Versions and copies: `versions` and `statuses` are persisted; the rest is derived."""

    versions: dict[str, ArticleAnalysed] = field(default_factory=dict)
    statuses: dict[str, Status] = field(default_factory=dict)
    bands: dict[str, set[str]] = field(default_factory=dict)
    banded: list[tuple[datetime, str]] = field(default_factory=list)  # heap of (published, id)
    newest: datetime | None = None
    by_url: dict[str, set[str]] = field(default_factory=dict)
    copies: dict[str, set[str]] = field(default_factory=dict)  # original -> its copies
    threshold: float = DEFAULT_THRESHOLD

    def index(self, art: ArticleAnalysed) -> None:
        """Add a version to the derived near-duplicate and URL indexes."""
        self.by_url.setdefault(art.canonical_url, set()).add(art.version_id)
        if self.newest is None or art.published_at > self.newest:
            self.newest = art.published_at
            self.evict_copies_index()
        if art.published_at >= self.newest - COPY_INDEX_HORIZON and not _empty(art):
            # (an empty text is a copy of nothing: its bands, all equal, would only gather the
            # other empty texts)
            for band in lsh_bands(art.signature):
                self.bands.setdefault(band, set()).add(art.version_id)
            if not getattr(self.bands, "horizon_filtered", False):
                # (a store's band index answers within the horizon itself: nothing to evict)
                heapq.heappush(self.banded, (art.published_at, art.version_id))

    def evict_copies_index(self) -> None:
        """Keep only versions published within `COPY_INDEX_HORIZON` of the newest one in the
        near-duplicate index, so it stays bounded however long the stream runs. An article that
        arrives later than that after its copies is not matched with them."""
        if self.newest is None:
            return
        horizon = self.newest - COPY_INDEX_HORIZON
        while self.banded and self.banded[0][0] < horizon:
            _, vid = heapq.heappop(self.banded)
            for band in lsh_bands(self.versions[vid].signature):
                members = self.bands.get(band)
                if members is not None:
                    members.discard(vid)
                    if not members:
                        del self.bands[band]

    def rebuild_copies(self, index: bool = True) -> None:
        """Derive the indexes from the persisted parts (after a restart); `index=False`: the
        caller has indexed every version already."""
        if index:
            for art in self.versions.values():
                self.index(art)
        for vid, st in self.statuses.items():
            if st.duplicate_of:
                self.copies.setdefault(st.duplicate_of, set()).add(vid)

    def record(self, art: ArticleAnalysed) -> dict[str, tuple[Status | None, Status]]:
        """Record a new version; return the statuses it changed: version id -> (before, after)."""
        self.versions[art.version_id] = art
        self.index(art)
        changed: dict[str, tuple[Status | None, Status]] = {}
        for vid, st in recompute_statuses(self, art).items():
            before = self.statuses.get(vid)
            if st == before:
                continue
            if before and before.duplicate_of:
                self.copies.get(before.duplicate_of, set()).discard(vid)
            if st.duplicate_of:
                self.copies.setdefault(st.duplicate_of, set()).add(vid)
            self.statuses[vid] = st
            changed[vid] = (before, st)
        return changed


def _version_order(art: ArticleAnalysed) -> tuple[Any, str]:
    return (art.updated_at or art.published_at, art.version_id)


def _original(state: Copies, vid: str) -> str:
    """The original of a current version's copy group (itself if it is the original)."""
    st = state.statuses.get(vid)
    return st.duplicate_of if st and st.duplicate_of else vid


def _members(state: Copies, original: str) -> set[str]:
    """A copy group: its original and the original's copies."""
    return {original} | state.copies.get(original, set())


def _empty(art: ArticleAnalysed) -> bool:
    return all(value == MAX_HASH for value in art.signature)


def is_copy_pair(a: ArticleAnalysed, b: ArticleAnalysed, threshold: float = DEFAULT_THRESHOLD) -> bool:
    """Same text (hash or MinHash estimate), published within the syndication window.

    An empty text (nothing left after cleaning) is a copy of nothing.
    """
    if abs(a.published_at - b.published_at) > SYNDICATION_WINDOW or _empty(a) or _empty(b):
        return False
    return a.content_hash == b.content_hash or \
        estimate_jaccard(a.signature, b.signature) >= threshold


def _candidates(state: Copies, art: ArticleAnalysed) -> set[str]:
    """Versions sharing an LSH band with `art` (none for an empty text: a copy of nothing)."""
    if _empty(art):
        return set()
    return {o for band in lsh_bands(art.signature) for o in state.bands.get(band, ())}


def _published(state: Copies, vid: str) -> tuple[datetime, str]:
    return (state.versions[vid].published_at, vid)


def _components(state: Copies, rest: set[str]) -> list[set[str]]:
    """The connected components of the copy graph on `rest`: a copy group whose version(s) left.

    One search per member, all run in turn one expansion each (round robin, in id order); a
    search that finds a copy in another one merges with it; the searching stops when at most one
    search can still grow: the finished ones are whole components, the last one is the rest.
    When the group stays connected (the usual case: many copies of one text), the first
    expansion finds every member and the cost is one look-up of the near copies of one member;
    when it splits, the cost is that of exploring the smaller parts (bounded by the group, never
    by anything outside it).
    """
    parent = {v: v for v in rest}
    frontier: dict[str, list[str]] = {v: [v] for v in rest}

    def find(v: str) -> str:
        root = v
        while parent[root] != root:
            root = parent[root]
        while parent[v] != root:
            parent[v], v = root, parent[v]
        return root

    turn = deque(sorted(rest))
    growing = set(rest)
    while len(growing) > 1 and turn:
        root = turn.popleft()
        if root not in growing or find(root) != root:
            continue
        x = frontier[root].pop()
        art = state.versions[x]
        for o in sorted(_candidates(state, art) & rest):
            a, b = find(x), find(o)
            if a == b or not is_copy_pair(art, state.versions[o], state.threshold):
                continue
            keep, gone = (a, b) if len(frontier[a]) >= len(frontier[b]) else (b, a)
            parent[gone] = keep
            frontier[keep].extend(frontier.pop(gone))
            growing.discard(gone)
            growing.add(keep)
        root = find(x)
        if frontier[root]:
            turn.append(root)
        else:
            growing.discard(root)
    parts: dict[str, set[str]] = {}
    for v in rest:
        parts.setdefault(find(v), set()).add(v)
    return list(parts.values())


def recompute_statuses(state: Copies, art: ArticleAnalysed) -> dict[str, Status]:
    """Statuses of the versions whose status `art` can change (it is indexed already): the
    newest version of a URL is current, the others superseded by it; the current versions form
    copy groups, the connected components of the copy pairs among them, each pointing at its
    earliest-published original (`choose_original`).

    Incremental: the copy groups are kept in the statuses (`Copies.copies`), and they are the
    components of the copy graph of the current versions, whatever the arrival order. A version
    that is not the newest of its URL changes nothing but itself. A newest one supersedes its
    URL's other versions; the one that was current leaves its copy group, which is re-paired
    (`_components`), the only case where a group is; then the new version joins the groups of
    its near copies (a group is joined on the first member found to be a copy, the others are
    not compared). The result is that of a full recomputation over every version: the cost is
    the new version's near copies, its URL's versions, the group the replaced version leaves,
    and the statuses that change (a group taking an earlier original repoints its copies).
    """
    vid = art.version_id
    same_url = state.by_url[art.canonical_url]
    newest = max(same_url, key=lambda v: _version_order(state.versions[v]))
    if newest != vid:  # an older version, arriving late: superseded, nothing else changes
        return {vid: Status("superseded", superseded_by=newest)}
    out = {v: Status("superseded", superseded_by=vid) for v in same_url if v != vid}

    def current(v: str) -> bool:
        st = state.statuses.get(v)
        return v not in same_url and st is not None and st.status != "superseded"

    # Versions of the URL that were current and leave: their groups may split.
    leaving = {v for v in same_url if v != vid and v in state.statuses
               and state.statuses[v].status != "superseded"}
    part_of: dict[str, int] = {}  # member of a re-paired group -> its part
    parts: list[tuple[set[str], str, str]] = []  # (members, original, former original)
    for former in sorted({_original(state, v) for v in leaving}):
        rest = _members(state, former) - leaving
        if not rest:
            continue
        for members in _components(state, rest):
            original = former if former in members else \
                choose_original([_published(state, v) for v in members])
            part_of.update(dict.fromkeys(members, len(parts)))
            parts.append((members, original, former))

    # The new version joins the group (or part) of every near copy.
    joined: dict[str | int, str] = {}  # group original or part number -> its original
    for o in sorted(_candidates(state, art)):
        if o == vid or not current(o):
            continue
        key: str | int = part_of[o] if o in part_of else _original(state, o)
        if key in joined or not is_copy_pair(art, state.versions[o], state.threshold):
            continue
        joined[key] = parts[key][1] if isinstance(key, int) else key
    original = choose_original([_published(state, o) for o in set(joined.values())] +
                               [(art.published_at, vid)])
    out[vid] = Status() if original == vid else Status("duplicate", duplicate_of=original)

    def point(members: set[str], to: str) -> None:
        for v in members:
            out[v] = Status() if v == to else Status("duplicate", duplicate_of=to)

    for key, was in joined.items():
        if isinstance(key, str) and was != original:
            point(_members(state, was), original)
    for i, (members, own, former) in enumerate(parts):
        now = original if i in joined else own
        if now != former:
            point(members, now)
    return out
