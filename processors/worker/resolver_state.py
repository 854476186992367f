"""The resolver's state: one journal record per article, a local store on disk, the position rule.

`processors/app.py` wires this to faust and Kafka; everything here takes its I/O as arguments
(a `Journal`, a `publish` coroutine), so the unit tests can crash it at every step.

**The journal record** (`newsline.resolver.journal`, one partition per analysed partition, kept
forever) is the one durable record of progress: for one analysed article it holds the source
position it covers (`source_offset`), the article, the absolute writes the fold made (statuses
and events, `null` = deleted) and the change envelopes it caused, in one Kafka message. A
message is atomic: after a kill it is in the log whole or not at all.

**Per group of articles** (`Resolver.handle_group`: the articles the agent has in hand, at most
`GROUP_MAX`; `handle` is a group of one), in this order:

1. fold each article into the in-memory state, one after the other, and write its record into
   one open SQLite transaction (nothing durable yet: the next article's fold reads the
   uncommitted rows, which SQLite shows to the connection that wrote them);
2. append the group's journal records in order, sent together, and wait for every
   acknowledgement;
3. send all their changes to the timeline changelog and wait for every acknowledgement;
4. write the position (journal offset and source offset of the last record) and commit the
   transaction: the articles, the statuses, the events, what they derive (URL index, mention
   -> event) and the position, all at once.

Any exception rolls the transaction back, drops the in-memory state and is re-raised: `app.py`
retries an I/O fault with back-off (the events in hand stay unacknowledged, the state is
recovered first), and after a fold failure resolves the group's articles one at a time, so
that only the article the fold cannot take is parked as a dead letter (`Resolver.skip` moves
the position past it). A fold failure is raised in step 1, before any journal send.
A kill between any two steps leaves: nothing (before 2: the articles are delivered again and
folded again from the same state, giving the same records), or journal records the local store
does not have and whose changes may be partly sent. Recovery (`Resolver.recover`) applies every
journal record after the store's position (absolute writes: applying one twice is harmless),
then resends the changes of the last group's records (the same ids and bytes; the sink keeps
the first of each id). Only the last group's records can have unsent changes: step 2 of a
group starts after step 4 of the one before.

**The position rule**: the resolver resumes the analysed partition at `source_offset + 1` of
the last journal record, whatever offset faust committed (`app.py` seeks there right after
faust's own seek to the committed offset), and skips a record at or before that position.
Faust's committed offset is a hint for lag reports only, so it can neither lose an article
(committed ahead of the journal) nor double one (behind it).

**Replay fencing**: a record names the position its fold started from (`after`: the source
offset of the record before it), and replay applies it only if that is the store's position
(`Resolver.follows`). The fold is deterministic, so two records for one source offset (a
worker that lost its partition but finished its articles, a redo) are identical and the later
is skipped; so is a record whose predecessor never landed (a group's send that failed for good
after a later send of the group landed): its article is delivered again and folded after its
predecessor. Records of versions 1 and 2 (no `after`) are applied if their `source_offset` is
beyond the position.

**The local store** (SQLite, one file per worker and partition, under the data folder) is a
cache of the journal: a worker with an empty or stale file catches up from the journal. It keeps
the articles on disk, looked up by version id (`StoredVersions`, a small LRU in memory). The
fold's state is bounded (`TimelineState.bound`): the active-mention index keeps its blocks in a
temporary file of this process (`ColdBlocks`) and in memory only the heads of the recently used
ones and the recently used mentions, event summaries are a
bounded cache; the statuses, the events, the URL index, the copies of each original and the
mention -> event map are looked up in the store by key through bounded caches (`StoredMap`;
see `docs/resolver-state.md`, *Memory*). Nothing is read whole after a restart: the copy
index's bands are read by key (`StoredBands`), and a page of the active-mention index is made
from the store's `index_pages` when an article first touches it (`Store.page_refs`; *The
restart* in the same document).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import weakref
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypedDict

from pydantic import TypeAdapter

from processors.resolution.block_store import ColdBlocks
from processors.resolution.bounded import EventUpdate
from processors.resolution.copies import COPY_INDEX_HORIZON, _empty, lsh_bands
from processors.resolution.coreference import MentionRef
from processors.resolution.fold import (
    HOT_SUMMARIES,
    Status,
    TimelineState,
    apply_article,
    change_envelopes,
)
from processors.resolution.interval_index import (
    HOT_BLOCKS,
    HOT_MENTIONS,
    mention_buckets,
    page_of,
    stored_buckets,
)
from processors.resolution.summary import Summary
from processors.worker.heap import PROCESS_HEAP, HeapTrim
from schemas.articles import ArticleAnalysed, Mention
from schemas.codec import encode
from schemas.envelope import AwareDatetime
from schemas.timeline import EventState

log = logging.getLogger(__name__)

# 4: `settled`; 3: `after`; 2: event writes are deltas (`event_write`); 1 to 3 still parsed
RECORD_VERSION = 4
VERSION_CACHE = 512  # analysed articles kept parsed in memory (most recently used)
# Articles resolved as one group (`Resolver.handle_group`): one wait for the journal's acks, one
# for the changes', one store commit. The cap bounds what a group holds back (its first article
# becomes visible after the last is folded: 50 dense articles fold in about 0.5 s), the changes
# recovery resends (`Resolver.recover`), and the size of one store transaction.
GROUP_MAX = 50

Publish = Callable[[list[tuple[bytes, bytes]]], Awaitable[None]]
_INSTANT: TypeAdapter[datetime] = TypeAdapter(AwareDatetime)  # `ArticleAnalysed.published_at`


class Journal(Protocol):
    """The durable log of journal records of one source partition."""

    async def append(self, key: bytes, value: bytes) -> int:
        """Append a record; return its offset once the log has acknowledged it."""
        ...

    def read(self, start: int) -> AsyncIterator[tuple[int, bytes]]:
        """(offset, value) of every record from `start` to the end of the log now."""
        ...


@dataclass
class Record:
    """One article's journal record, decoded."""

    source_offset: int
    version_id: str
    article: dict[str, Any] | None
    statuses: dict[str, dict[str, Any]]
    events: dict[str, dict[str, Any] | None]
    changes: list[tuple[str, str]]  # (key, envelope JSON)
    # event id -> its resulting state as its changes serialise it (`"event":{...}`): each
    # change of the event carries it, the record holds it once (`encode`).
    states: dict[str, str] = field(default_factory=dict)
    # The position the fold started from: the source offset of the record before it in the
    # chain (-1: the first). None in records of versions 1 and 2. Replay applies a record only
    # if it follows the position this way (`Resolver.follows`).
    after: int | None = None
    # The days this article settled, each with its new high-water mark (the largest size it
    # was settled at: `settle.days_to_settle`); the store keeps them (`settled` rows), so a
    # restart skips the sizes an unbroken run skips. Empty in records of versions 1 to 3.
    settled: dict[int, int] = field(default_factory=dict)
    # The article as JSON, made once: the record and the store's `versions` row hold the same
    # text (`article_json`; 6 KB of mentions on the dense workload, about 0.04 ms to encode).
    _article_json: str | None = field(default=None, repr=False, compare=False)

    @classmethod
    def parse(cls, raw: bytes) -> Record:
        """A record of this version or of version 1 (whose event writes are whole states:
        `Store.apply` takes both). The changes are the bytes that were sent."""
        d = json.loads(raw)
        if d.get("v") not in (1, 2, 3, RECORD_VERSION):
            raise ValueError(f"journal record of version {d.get('v')!r}, expected {RECORD_VERSION}")
        states = d.get("states", {})
        changes = [(k, v.replace(_STATE_REF, _EVENT + states[k], 1) if k in states else v)
                   for k, v in d["changes"]]
        return cls(d["source_offset"], d["version_id"], d["article"], d["statuses"], d["events"],
                   changes, states, d.get("after"),
                   {int(day): size for day, size in d.get("settled", {}).items()})

    def encode(self) -> bytes:
        # Statuses and events sorted by key: the fold fills them in a set's iteration order,
        # which changes with PYTHONHASHSEED; sorted, one record has one byte string everywhere.
        # An event change's state is written once (`states`), its changes refer to it: an
        # article that attaches three mentions to an event sent it three times in the record.
        # `"event":"$state"` cannot be in a change's JSON otherwise (an event is an object or
        # null; inside a JSON string the quotes are escaped).
        changes, states = [], {}
        for key, value in self.changes:
            state = self.states.get(key)
            if state is not None and (full := _EVENT + state) in value:
                value = value.replace(full, _STATE_REF, 1)
                states[key] = state
            changes.append((key, value))
        # One JSON object, its fields in this order; the article's text spliced in as made
        # once (`article_json`): the same bytes as one `json.dumps` of the whole.
        head = json.dumps({"v": RECORD_VERSION, "source_offset": self.source_offset,
                           "after": self.after, "version_id": self.version_id},
                          separators=(",", ":"))
        tail = json.dumps({"statuses": dict(sorted(self.statuses.items())),
                           "events": dict(sorted(self.events.items())),
                           "states": dict(sorted(states.items())),
                           "settled": {str(d): n for d, n in sorted(self.settled.items())},
                           "changes": changes}, separators=(",", ":"))
        return f'{head[:-1]},"article":{self.article_json()},{tail[1:]}'.encode()

    def article_json(self) -> str:
        """The article as the record and the store's `versions` row write it (`null` if none),
        serialised once."""
        if self._article_json is None:
            self._article_json = json.dumps(self.article, separators=(",", ":"))
        return self._article_json

    def messages(self) -> list[tuple[bytes, bytes]]:
        """The changes as (key, value) messages for the timeline changelog."""
        return [(k.encode(), v.encode()) for k, v in self.changes]


_EVENT = '"event":'
_STATE_REF = '"event":"$state"'
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(t: datetime) -> int:
    """Microseconds since the epoch, exactly (the stored publication times compare as ints)."""
    return (t - _EPOCH) // timedelta(microseconds=1)


_HORIZON_MICROS = COPY_INDEX_HORIZON // timedelta(microseconds=1)


def order_key(published_at: datetime, vid: str, start_char: int) -> str:
    """`MentionRef.order_key` as text that sorts the same (the store's `members` rows)."""
    return f"{micros(published_at):020d}\x1f{vid}\x1f{start_char:010d}"


def _times(art: ArticleAnalysed) -> tuple[datetime, dict[str, int]]:
    return art.published_at, {m.mention_id: m.start_char for m in art.mentions}


def refs_of(art: ArticleAnalysed) -> list[MentionRef]:
    return [MentionRef(m, art.version_id, art.canonical_url, art.language, art.published_at)
            for m in art.mentions]


def index_rows(art: ArticleAnalysed) -> tuple[list[tuple[int, str]], list[tuple[str, int, str]]]:
    """What a version adds to the store's two derived indexes (`Store._derived_tables`): the
    pages of the active-mention index its mentions are filed in, and its LSH bands with its
    publication time (none for an empty text, as `Copies.index`)."""
    vid = art.version_id
    pages = sorted({page_of(b) for m in art.mentions for b in mention_buckets(m)})
    published = micros(art.published_at)
    bands = [] if _empty(art) else [(b, published, vid) for b in lsh_bands(art.signature)]
    return [(p, vid) for p in pages], bands


# An event's lists, kept in the store as rows (`owners`, `event_sources`), not in its blob.
EVENT_LISTS = {"mention_ids", "sources"}
EVENT_COUNTS = {"mention_count", "source_count"}  # what `EventFacts` has instead


def event_write(update: EventUpdate) -> dict[str, Any]:
    """What a journal record says of an event the article changed: its state without the
    whole lists, and what entered and left them. Its size is bounded by what the article
    touched, not by the event's size (a mention attached to a 10,000-mention event writes one
    id, not 10,000); `Store.apply` turns it into row changes."""
    return {"event": update.facts.model_dump(mode="json", exclude=EVENT_COUNTS),
            "mentions": update.mentions, "mentions_left": update.mentions_left,
            "sources": update.sources, "sources_left": update.sources_left}


def status_dict(st: Status) -> dict[str, Any]:
    return {"status": st.status, "superseded_by": st.superseded_by,
            "duplicate_of": st.duplicate_of}


def _event_blob(state: dict[str, Any]) -> bytes:
    """An event's row in the store: its state without the lists (rows of their own)."""
    return json.dumps({k: v for k, v in state.items() if k not in EVENT_LISTS},
                      separators=(",", ":")).encode()


_OPEN_STORES: weakref.WeakSet[Store] = weakref.WeakSet()


def close_open_stores() -> int:
    """Close every store this process still has open (a worker that has stopped): SQLite folds
    the WAL into the file on the last close. How many were closed."""
    stores = list(_OPEN_STORES)
    for store in stores:
        store.close()
    return len(stores)


class Store:
    """The local store of one source partition: SQLite, one transaction per journal record."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # Workers that share a data folder (dynamic members) share the file: SQLite's locks
        # serialise their transactions, `apply` refuses to move the position backwards.
        self.con = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                   timeout=60.0)
        # WAL: a commit survives a kill -9 of this process; `synchronous=NORMAL` may lose the
        # last commits on a power cut, never tear one (the journal then repairs the store).
        self.con.execute("PRAGMA journal_mode=WAL")
        self.con.execute("PRAGMA synchronous=NORMAL")
        self.con.execute("PRAGMA cache_size=-16384")  # 16 MiB of pages at most
        self.con.executescript("""
            CREATE TABLE IF NOT EXISTS versions (vid TEXT PRIMARY KEY, article BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS statuses (vid TEXT PRIMARY KEY, status TEXT NOT NULL,
                superseded_by TEXT, duplicate_of TEXT);
            CREATE TABLE IF NOT EXISTS events (eid TEXT PRIMARY KEY, event BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS position (id INTEGER PRIMARY KEY CHECK (id = 0),
                journal_offset INTEGER NOT NULL, source_offset INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS settled (day INTEGER PRIMARY KEY, size INTEGER NOT NULL);
        """)
        self._derived_tables()
        self.fault: Callable[[str], None] = lambda step: None  # tests inject crashes here
        _OPEN_STORES.add(self)

    def _derived_tables(self) -> None:
        """The URL index (canonical URL -> version ids) and the mention -> event map, derived
        from `versions` and `events` in the same transactions, so that the fold can look them
        up on disk (`StoredMap`). A file written before they existed is indexed once here."""
        con = self.con
        con.execute("BEGIN IMMEDIATE")
        try:
            new = con.execute("SELECT count(*) FROM sqlite_master WHERE name IN "
                              "('urls', 'owners')").fetchone()[0] < 2
            for ddl in ("CREATE TABLE IF NOT EXISTS urls (url TEXT NOT NULL, vid TEXT NOT NULL,"
                        " PRIMARY KEY (url, vid)) WITHOUT ROWID",
                        "CREATE TABLE IF NOT EXISTS owners (mid TEXT PRIMARY KEY,"
                        " eid TEXT NOT NULL) WITHOUT ROWID",
                        "CREATE INDEX IF NOT EXISTS owners_eid ON owners (eid)",
                        "CREATE INDEX IF NOT EXISTS statuses_copies ON statuses (duplicate_of)"
                        " WHERE duplicate_of IS NOT NULL"):
                con.execute(ddl)
            if new:
                con.execute("DELETE FROM urls")
                con.execute("DELETE FROM owners")
                for (raw,) in con.execute("SELECT article FROM versions").fetchall():
                    art = json.loads(raw)
                    con.execute("INSERT OR REPLACE INTO urls VALUES (?, ?)",
                                (art["canonical_url"], art["version_id"]))
                for eid, raw in con.execute("SELECT eid, event FROM events").fetchall():
                    con.executemany("INSERT OR REPLACE INTO owners VALUES (?, ?)",
                                    [(m, eid) for m in json.loads(raw)["mention_ids"]])
            # What a restart used to rebuild by reading every version (`TimelineState.rebuild`),
            # kept on disk instead: which versions file mentions in each page of the active-
            # mention index (the index makes a page from them when it is first touched:
            # `ActiveMentions.builder`), the copy index's LSH bands with publication times
            # (looked up within the horizon: `StoredBands`), and the newest publication.
            lazy = con.execute("SELECT count(*) FROM sqlite_master WHERE name IN "
                               "('index_pages', 'bands', 'newest')").fetchone()[0] < 3
            for ddl in ("CREATE TABLE IF NOT EXISTS index_pages (page INTEGER NOT NULL,"
                        " vid TEXT NOT NULL, PRIMARY KEY (page, vid)) WITHOUT ROWID",
                        "CREATE TABLE IF NOT EXISTS bands (band TEXT NOT NULL, published"
                        " INTEGER NOT NULL, vid TEXT NOT NULL, PRIMARY KEY (band, published,"
                        " vid)) WITHOUT ROWID",
                        "CREATE TABLE IF NOT EXISTS newest (id INTEGER PRIMARY KEY CHECK"
                        " (id = 0), micros INTEGER NOT NULL, at TEXT NOT NULL)",
                        "CREATE INDEX IF NOT EXISTS bands_published ON bands (published)"):
                con.execute(ddl)
            if lazy:
                for table in ("index_pages", "bands", "newest"):
                    con.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
                for (raw,) in con.execute("SELECT article FROM versions").fetchall():
                    self._index(ArticleAnalysed.model_validate_json(raw))
            self._forget_old_bands()  # (a store written before bands were deleted, too)
            # An event's sources as rows, and its blob without the lists (its mentions are the
            # `owners` rows): a record changes the rows it touches (`event_write`), not the
            # whole event. A file written before keeps its events, moved here once.
            if con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'event_sources'"
                           ).fetchone()[0] == 0:
                con.execute("CREATE TABLE event_sources (eid TEXT NOT NULL, url TEXT NOT NULL,"
                            " PRIMARY KEY (eid, url)) WITHOUT ROWID")
                for eid, raw in con.execute("SELECT eid, event FROM events").fetchall():
                    ev = json.loads(raw)
                    con.executemany("INSERT OR IGNORE INTO event_sources VALUES (?, ?)",
                                    [(eid, u) for u in ev.get("sources", [])])
                    con.execute("UPDATE events SET event = ? WHERE eid = ?",
                                (_event_blob(ev), eid))
            self._summary_tables()
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def _summary_tables(self) -> None:
        """Each event's compact summary (`processors.resolution.summary`) and its members in
        the order they were reported (`members`: the earliest, the latest, the first of an
        interval are read by key when one leaves). A file written before they existed gets
        its members' rows once here; its summaries are derived when first read
        (`TimelineState.stored_summary`), then kept."""
        con = self.con
        con.execute("CREATE TABLE IF NOT EXISTS summaries (eid TEXT PRIMARY KEY,"
                    " summary BLOB NOT NULL) WITHOUT ROWID")
        if con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'members'"
                       ).fetchone()[0]:
            return
        con.execute("CREATE TABLE members (eid TEXT NOT NULL, okey TEXT NOT NULL,"
                    " mid TEXT NOT NULL, PRIMARY KEY (eid, okey, mid)) WITHOUT ROWID")
        for (raw,) in con.execute("SELECT article FROM versions").fetchall():
            art = json.loads(raw)
            for m in art["mentions"]:
                row = con.execute("SELECT eid FROM owners WHERE mid = ?",
                                  (m["mention_id"],)).fetchone()
                if row is not None:
                    con.execute("INSERT OR REPLACE INTO members VALUES (?, ?, ?)", (
                        row[0], order_key(datetime.fromisoformat(art["published_at"]),
                                          art["version_id"], m["start_char"]),
                        m["mention_id"]))

    def close(self) -> None:
        _OPEN_STORES.discard(self)
        self.con.close()

    def position(self) -> tuple[int, int] | None:
        """(journal offset, source offset) of the last record applied, None if none."""
        row = self.con.execute("SELECT journal_offset, source_offset FROM position").fetchone()
        return (int(row[0]), int(row[1])) if row else None

    def apply(self, record: Record, journal_offset: int,
              article: ArticleAnalysed | None = None,
              summaries: dict[str, bytes | None] | None = None) -> bool:
        """The record's writes and its position, in one transaction; False (nothing written)
        if the store's position already covers the record's source offset (another process
        sharing this file applied it or a later one: see `Resolver`). `article`: the validated
        article the record was made from, if the caller has it (else validated again here).
        `summaries`: the fold's summaries of events (None: deleted) kept with the record; the
        summaries of events the record changes that it does not give are deleted (derived
        again when first read: a record applied from the journal has none)."""
        if not self.begin(record.source_offset):
            return False
        try:
            self.write(record, article, summaries)
            self.commit(journal_offset, record.source_offset)
        except BaseException:
            self.rollback()
            raise
        return True

    def begin(self, source_offset: int) -> bool:
        """Open the write transaction of records from `source_offset` on; False (none open)
        if the store's position already covers that offset."""
        con = self.con
        con.execute("BEGIN IMMEDIATE")
        row = con.execute("SELECT source_offset FROM position").fetchone()
        if row is not None and row[0] >= source_offset:
            con.execute("ROLLBACK")
            return False
        return True

    def rollback(self) -> None:
        """Forget the open transaction's writes, if one is open."""
        if self.con.in_transaction:
            self.con.execute("ROLLBACK")

    def commit(self, journal_offset: int, source_offset: int) -> None:
        """Write the position the open transaction's records reach, and commit them."""
        self.con.execute("INSERT OR REPLACE INTO position VALUES (0, ?, ?)",
                         (journal_offset, source_offset))
        self.fault("store:position")
        self.con.execute("COMMIT")

    def write(self, record: Record, article: ArticleAnalysed | None = None,
              summaries: dict[str, bytes | None] | None = None) -> None:
        """A record's writes, inside the open transaction (see `apply`)."""
        con = self.con
        if record.article is not None:
            con.execute("INSERT OR REPLACE INTO versions VALUES (?, ?)",
                        (record.version_id, record.article_json().encode()))
            con.execute("INSERT OR REPLACE INTO urls VALUES (?, ?)",
                        (record.article["canonical_url"], record.version_id))
            self._index(article if article is not None
                        else ArticleAnalysed.model_validate(record.article))
            self._forget_old_bands()
        self.fault("store:versions")
        con.executemany("INSERT OR REPLACE INTO statuses VALUES (?, ?, ?, ?)",
                        [(vid, s["status"], s["superseded_by"], s["duplicate_of"])
                         for vid, s in record.statuses.items()])
        con.executemany("INSERT OR REPLACE INTO settled VALUES (?, ?)",
                        sorted(record.settled.items()))
        self.fault("store:statuses")
        times: dict[str, tuple[datetime, dict[str, int]]] = {}
        if article is not None:
            times[article.version_id] = _times(article)
        for eid, ev in record.events.items():
            self._write_event(eid, ev, times)
        given = summaries or {}
        con.executemany("DELETE FROM summaries WHERE eid = ?",
                        [(e,) for e in record.events if e not in given]
                        + [(e,) for e, blob in given.items() if blob is None])
        con.executemany("INSERT OR REPLACE INTO summaries VALUES (?, ?)",
                        [(e, blob) for e, blob in given.items() if blob is not None])
        self.fault("store:events")

    def _write_event(self, eid: str, ev: dict[str, Any] | None,
                     times: dict[str, tuple[datetime, dict[str, int]]]) -> None:
        """One event write of a record (inside the caller's transaction): None (deleted), a
        delta (`event_write`) or a whole state (a record of version 1)."""
        con = self.con
        if ev is None:
            con.execute("DELETE FROM events WHERE eid = ?", (eid,))
            # Rows another event of the record took already point there, not here.
            con.execute("DELETE FROM owners WHERE eid = ?", (eid,))
            con.execute("DELETE FROM event_sources WHERE eid = ?", (eid,))
            con.execute("DELETE FROM members WHERE eid = ?", (eid,))
            return
        if "event" in ev:
            state, mentions, left = ev["event"], ev["mentions"], ev["mentions_left"]
            sources, sources_left = ev["sources"], ev["sources_left"]
        else:  # a whole state: the rows it no longer has go
            state = ev
            had = {m for (m,) in con.execute("SELECT mid FROM owners WHERE eid = ?", (eid,))}
            had_s = {u for (u,) in con.execute("SELECT url FROM event_sources WHERE eid = ?",
                                                (eid,))}
            mentions, left = sorted(set(ev["mention_ids"]) - had), \
                sorted(had - set(ev["mention_ids"]))
            sources, sources_left = ev["sources"], sorted(had_s - set(ev["sources"]))
        con.execute("INSERT OR REPLACE INTO events VALUES (?, ?)", (eid, _event_blob(state)))
        # A mention that left is deleted unless another event of the record took it already.
        con.executemany("DELETE FROM owners WHERE mid = ? AND eid = ?", [(m, eid) for m in left])
        con.executemany("INSERT OR REPLACE INTO owners VALUES (?, ?)",
                        [(m, eid) for m in mentions])
        con.executemany("DELETE FROM members WHERE eid = ? AND okey = ? AND mid = ?",
                        [(eid, self._okey(m, times), m) for m in left])
        con.executemany("INSERT OR REPLACE INTO members VALUES (?, ?, ?)",
                        [(eid, self._okey(m, times), m) for m in mentions])
        con.executemany("DELETE FROM event_sources WHERE eid = ? AND url = ?",
                        [(eid, u) for u in sources_left])
        con.executemany("INSERT OR IGNORE INTO event_sources VALUES (?, ?)",
                        [(eid, u) for u in sources])

    def _okey(self, mid: str, times: dict[str, tuple[datetime, dict[str, int]]]) -> str:
        """A mention's `order_key` as text, its version read once per record."""
        vid = mid.rsplit(":", 1)[0]
        known = times.get(vid)
        if known is None:
            row = self.con.execute("SELECT article FROM versions WHERE vid = ?",
                                   (vid,)).fetchone()
            art = json.loads(row[0])
            known = times[vid] = (datetime.fromisoformat(art["published_at"]),
                                  {m["mention_id"]: m["start_char"] for m in art["mentions"]})
        return order_key(known[0], vid, known[1][mid])

    def event_members(self, eid: str, earliest_first: bool) -> Iterator[str]:
        """An event's mention ids in the order they were reported (earliest first, or last),
        read as far as the caller goes."""
        order = "ASC" if earliest_first else "DESC"
        rows = self.con.execute(
            f"SELECT mid FROM members WHERE eid = ? ORDER BY okey {order}",  # noqa: S608
            (eid,))
        return (m for (m,) in rows)

    def summary(self, eid: str) -> Summary | None:
        """An event's compact summary, None if the store has none (derived when needed)."""
        row = self.con.execute("SELECT summary FROM summaries WHERE eid = ?",
                               (eid,)).fetchone()
        return Summary.loads(row[0]) if row else None

    def _index(self, art: ArticleAnalysed) -> None:
        """A version's rows in the derived indexes (inside the caller's transaction)."""
        pages, bands = index_rows(art)
        self.con.executemany("INSERT OR REPLACE INTO index_pages VALUES (?, ?)", pages)
        if bands:  # an article's 32 rows in one statement (rows of one statement go in order)
            self.con.execute("INSERT OR REPLACE INTO bands VALUES "  # noqa: S608 - placeholders
                             + ",".join(["(?, ?, ?)"] * len(bands)),
                             [v for row in bands for v in row])
        self.con.execute("INSERT INTO newest VALUES (0, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                         "micros = excluded.micros, at = excluded.at "
                         "WHERE excluded.micros > newest.micros",
                         (micros(art.published_at), art.published_at.isoformat()))

    def _forget_old_bands(self) -> None:
        """Delete the LSH band rows published more than `COPY_INDEX_HORIZON` before the
        newest publication (inside the caller's transaction). `band_versions` is never asked
        for them: the horizon it reads from follows the newest publication, which only moves
        forward (the copy index's rule: a late article older than the horizon is not matched
        with copies; `docs/resolver-state.md`). Without this the table grows with the history
        (17 of a 79 MB store at 10,000 dense articles). A range of the `bands_published` index:
        nothing to read when nothing is old."""
        self.con.execute("DELETE FROM bands WHERE published < "
                         "(SELECT micros FROM newest) - ?", (_HORIZON_MICROS,))

    def settled(self) -> dict[int, int]:
        """Each settled day's high-water mark (`settle.days_to_settle`). Read whole: one row
        per day that ever reached its first settle size (`settle.settle_sizes`), bounded by the
        calendar, not by the articles."""
        return dict(self.con.execute("SELECT day, size FROM settled").fetchall())

    def newest(self) -> datetime | None:
        """The newest publication among the versions."""
        row = self.con.execute("SELECT at FROM newest").fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def band_versions(self, band: str, since: int | None) -> set[str]:
        """Versions in an LSH band published at `since` (microseconds) or later."""
        return self.bands_versions([band], since)[band]

    def bands_versions(self, bands: list[str], since: int | None) -> dict[str, set[str]]:
        """`band_versions` of several bands in one query (an article's 32 bands: one range
        of the primary key each, one statement instead of 32)."""
        found: dict[str, set[str]] = {band: set() for band in bands}
        rows = self.con.execute(
            f"SELECT band, vid FROM bands WHERE band IN ({','.join('?' * len(bands))}) "  # noqa: S608
            "AND published >= ?", (*bands, -(2**63) if since is None else since))
        for band, vid in rows:
            found[band].add(vid)
        return found

    def page_refs(self, page: int) -> Iterator[MentionRef]:
        """The active mentions filed in a page of the index (buckets of its days): the
        mentions of the current versions the page's rows name. The store's statuses are those
        of the last article folded; during an article, the index makes every page a changed
        version's mentions reach before it adds or removes them (`ActiveMentions.add`,
        `remove`), so what it makes from here and what it then changes agree."""
        rows = self.con.execute(
            "SELECT v.article FROM index_pages p JOIN statuses s ON s.vid = p.vid "
            "JOIN versions v ON v.vid = p.vid WHERE p.page = ? AND s.status = 'current'",
            (page,)).fetchall()
        for (raw,) in rows:
            for r in refs_of(ArticleAnalysed.model_validate_json(raw)):
                if any(page_of(b) == page for b in stored_buckets(r)):
                    yield r

    def article(self, vid: str) -> ArticleAnalysed | None:
        row = self.con.execute("SELECT article FROM versions WHERE vid = ?", (vid,)).fetchone()
        return ArticleAnalysed.model_validate_json(row[0]) if row else None

    def article_fields(self, vid: str) -> dict[str, Any] | None:
        """A stored version as decoded JSON, not validated (`StoredVersions.mention_ref`)."""
        row = self.con.execute("SELECT article FROM versions WHERE vid = ?", (vid,)).fetchone()
        return json.loads(row[0]) if row else None

    def has(self, vid: str) -> bool:
        return self.con.execute("SELECT 1 FROM versions WHERE vid = ?", (vid,)).fetchone() \
            is not None

    def count(self) -> int:
        return int(self.con.execute("SELECT count(*) FROM versions").fetchone()[0])

    def version_ids(self) -> Iterator[str]:
        for (vid,) in self.con.execute("SELECT vid FROM versions ORDER BY vid"):
            yield vid

    def articles(self) -> Iterator[ArticleAnalysed]:
        for (raw,) in self.con.execute("SELECT article FROM versions ORDER BY vid"):
            yield ArticleAnalysed.model_validate_json(raw)

    def statuses(self) -> dict[str, Status]:
        rows = self.con.execute("SELECT vid, status, superseded_by, duplicate_of FROM statuses")
        return {vid: Status(st, sup, dup) for vid, st, sup, dup in rows}

    def events(self) -> dict[str, EventState]:
        return {eid: ev for eid in list(self.keys("events"))
                if (ev := self.event(eid)) is not None}

    # One key of a persisted part, for `StoredMap` (None: absent).
    def status(self, vid: str) -> Status | None:
        row = self.con.execute("SELECT status, superseded_by, duplicate_of FROM statuses "
                               "WHERE vid = ?", (vid,)).fetchone()
        return Status(*row) if row else None

    def event(self, eid: str) -> EventState | None:
        """An event, its lists read from their rows (in the fold's order: sorted; SQLite's
        binary order of UTF-8 text is Python's order of the strings)."""
        row = self.con.execute("SELECT event FROM events WHERE eid = ?", (eid,)).fetchone()
        if row is None:
            return None
        ev = json.loads(row[0])
        ev["mention_ids"] = [m for (m,) in self.con.execute(
            "SELECT mid FROM owners WHERE eid = ? ORDER BY mid", (eid,))]
        ev["sources"] = [u for (u,) in self.con.execute(
            "SELECT url FROM event_sources WHERE eid = ? ORDER BY url", (eid,))]
        return EventState.model_validate(ev)

    def owner(self, mid: str) -> str | None:
        row = self.con.execute("SELECT eid FROM owners WHERE mid = ?", (mid,)).fetchone()
        return row[0] if row else None

    def copies_of(self, original: str) -> set[str] | None:
        rows = self.con.execute("SELECT vid FROM statuses WHERE duplicate_of = ?", (original,))
        return {v for (v,) in rows} or None

    def url_versions(self, url: str) -> set[str] | None:
        vids = {v for (v,) in self.con.execute("SELECT vid FROM urls WHERE url = ?", (url,))}
        return vids or None

    def keys(self, table: str) -> Iterator[str]:
        """Every key of `statuses`, `events`, `owners`, `urls` or `copies` (originals)."""
        query = {"statuses": "SELECT vid FROM statuses", "events": "SELECT eid FROM events",
                 "owners": "SELECT mid FROM owners", "urls": "SELECT DISTINCT url FROM urls",
                 "summaries": "SELECT eid FROM summaries",
                 "copies": "SELECT DISTINCT duplicate_of FROM statuses "
                           "WHERE duplicate_of IS NOT NULL"}[table]
        for (key,) in self.con.execute(query):
            yield key

    def dump(self) -> dict[str, Any]:
        """Every row, for tests: what a clean run and a crashed run must agree on."""
        con = self.con
        return {
            "versions": dict(con.execute("SELECT vid, article FROM versions").fetchall()),
            "statuses": {r[0]: r[1:] for r in con.execute("SELECT * FROM statuses").fetchall()},
            "events": {eid: ev.model_dump_json().encode() for eid, ev in self.events().items()},
            "event_blobs": dict(con.execute("SELECT eid, event FROM events").fetchall()),
            "urls": sorted(con.execute("SELECT url, vid FROM urls").fetchall()),
            "owners": dict(con.execute("SELECT mid, eid FROM owners").fetchall()),
            "index_pages": sorted(con.execute("SELECT page, vid FROM index_pages").fetchall()),
            "bands": sorted(con.execute("SELECT band, published, vid FROM bands").fetchall()),
            "newest": con.execute("SELECT micros, at FROM newest").fetchall(),
            "settled": self.settled(),
            "position": self.position(),
        }


class StoredVersions(MutableMapping[str, ArticleAnalysed]):
    """The fold's `versions`, on disk: looked up by version id, the most recent ones cached.

    Writes of the article being folded stay pending until its record is applied to the store
    (`commit`) or the state is dropped.
    """

    def __init__(self, store: Store, cache_size: int = VERSION_CACHE) -> None:
        self.store = store
        self.cache: OrderedDict[str, ArticleAnalysed] = OrderedDict()
        self.cache_size = cache_size
        self.pending: dict[str, ArticleAnalysed] = {}
        # versions read for one mention or their sentences: decoded JSON (`mention_ref`)
        self.decoded: OrderedDict[str, tuple[dict[str, Any], dict[str, dict[str, Any]]]] = \
            OrderedDict()

    def __getitem__(self, vid: str) -> ArticleAnalysed:
        art = self.pending.get(vid)
        if art is not None:
            return art
        art = self.cache.get(vid)
        if art is not None:
            self.cache.move_to_end(vid)
            return art
        art = self.store.article(vid)
        if art is None:
            raise KeyError(vid)
        self._remember(vid, art)
        return art

    def _parsed(self, vid: str) -> ArticleAnalysed | None:
        """The version if it is parsed in memory (pending or cached), without a store read."""
        art = self.pending.get(vid)
        return art if art is not None else self.cache.get(vid)

    def _decoded(self, vid: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]] | None:
        """A stored version's JSON, decoded but not validated, and its mentions by id; the
        most recently read `VERSION_CACHE` kept (an article's mentions are often read in a
        row: several of them sit in one block)."""
        got = self.decoded.get(vid)
        if got is None:
            d = self.store.article_fields(vid)
            if d is None:
                return None
            got = self.decoded[vid] = (d, {m["mention_id"]: m for m in d.pop("mentions")})
            if len(self.decoded) > self.cache_size:
                self.decoded.popitem(last=False)
        return got

    def mention_ref(self, vid: str, mention_id: str) -> MentionRef | None:
        """One mention of a version with its article's facts, None if either is unknown.

        The active-mention index reads the mentions it does not hold one at a time, and the
        denser the story, the more of a block's sampled members are of versions no longer
        cached: one is decoded from the stored JSON and only that mention validated, not the
        whole article (its signature, every mention), and it does not push the versions the
        fold works on out of their cache. The same values as `self[vid]` (the stored JSON is
        that model's dump)."""
        art = self._parsed(vid)
        if art is not None:
            return next((MentionRef(m, vid, art.canonical_url, art.language, art.published_at)
                         for m in art.mentions if m.mention_id == mention_id), None)
        got = self._decoded(vid)
        if got is None or mention_id not in got[1]:
            return None
        d, mentions = got
        return MentionRef(Mention.model_validate(mentions[mention_id]), vid, d["canonical_url"],
                          d["language"], _INSTANT.validate_python(d["published_at"]))

    def sentences(self, vid: str) -> list[tuple[str, int]]:
        """(mention id, sentence start) of each mention of a version, in order (read as
        `mention_ref` reads: nothing validated)."""
        art = self._parsed(vid)
        if art is not None:
            return [(m.mention_id, m.sentence_start) for m in art.mentions]
        got = self._decoded(vid)
        if got is None:
            raise KeyError(vid)
        return [(mid, m["sentence_start"]) for mid, m in got[1].items()]

    def _remember(self, vid: str, art: ArticleAnalysed) -> None:
        self.cache[vid] = art
        if len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)

    def __contains__(self, vid: object) -> bool:
        return vid in self.pending or vid in self.cache or \
            (isinstance(vid, str) and self.store.has(vid))

    def __setitem__(self, vid: str, art: ArticleAnalysed) -> None:
        self.pending[vid] = art

    def __delitem__(self, vid: str) -> None:
        raise NotImplementedError("versions are never deleted")

    def __iter__(self) -> Iterator[str]:
        yield from self.pending
        yield from (v for v in self.store.version_ids() if v not in self.pending)

    def __len__(self) -> int:
        return self.store.count() + sum(1 for v in self.pending if not self.store.has(v))

    def values(self) -> Iterator[ArticleAnalysed]:  # type: ignore[override]
        """Every version, streamed from disk (not cached): for rebuilding the indexes."""
        yield from self.pending.values()
        yield from (a for a in self.store.articles() if a.version_id not in self.pending)

    def commit(self) -> None:
        for vid, art in self.pending.items():
            self._remember(vid, art)
        self.pending.clear()


_DELETED: Any = object()
_ABSENT: Any = object()


class StoredMap(MutableMapping[str, Any]):
    """A persisted part of the fold's state (statuses, events, mention -> event, URL index)
    looked up on disk by key, the most recently used keys cached (absent ones too).

    Writes of the article being folded stay `pending` (a deletion as a tombstone) until its
    record is applied to the store (`commit`: the store then holds the same values, written
    from the record) or the state is dropped. `setdefault` keeps the value it returns pending
    too, and `pin=True` keeps every value read pending: the URL index's and the copies' sets
    are changed in place by the fold, so none may leave the cache during an article.
    """

    def __init__(self, read: Callable[[str], Any], keys: Callable[[], Iterator[str]],
                 cache_size: int, pin: bool = False) -> None:
        self.read = read
        self.pin = pin
        self.stored_keys = keys
        self.cache: OrderedDict[str, Any] = OrderedDict()
        self.cache_size = cache_size
        self.pending: dict[str, Any] = {}
        self.reads = 0  # store reads (for the benches)

    def _get(self, key: str) -> Any:
        value = self.pending.get(key, _ABSENT)
        if value is not _ABSENT:
            return value
        value = self.cache.get(key, _ABSENT)
        if value is not _ABSENT:
            self.cache.move_to_end(key)
        else:
            self.reads += 1
            value = self.read(key)
            value = _DELETED if value is None else value
            self._remember(key, value)
        if self.pin and value is not _DELETED:
            self.pending[key] = value
        return value

    def _remember(self, key: str, value: Any) -> None:
        self.cache[key] = value
        self.cache.move_to_end(key)
        while len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)

    def __getitem__(self, key: str) -> Any:
        value = self._get(key)
        if value is _DELETED:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._get(key) is not _DELETED

    def get(self, key: str, default: Any = None) -> Any:
        value = self._get(key)
        return default if value is _DELETED else value

    def setdefault(self, key: str, default: Any = None) -> Any:
        value = self._get(key)
        if value is _DELETED:
            value = default
        self.pending[key] = value
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        self.pending[key] = value

    def __delitem__(self, key: str) -> None:
        if self._get(key) is _DELETED:
            raise KeyError(key)
        self.pending[key] = _DELETED

    def __iter__(self) -> Iterator[str]:
        """Every key (read from the store: for rebuilding and tests, not for the fold)."""
        yield from (k for k, v in self.pending.items() if v is not _DELETED)
        yield from (k for k in self.stored_keys() if k not in self.pending)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def commit(self) -> None:
        """The pending writes are in the store now: keep them as cached values."""
        for key, value in self.pending.items():
            self._remember(key, value)
        self.pending.clear()


class StoredEvents(StoredMap):
    """The events, on disk: the fold's updates of an event (`EventUpdate`) are written by the
    record (`Store.apply`), so the map only forgets what it cached of an updated event."""

    def put_update(self, key: str, update: EventUpdate) -> None:
        self.pending[key] = _STALE

    def _get(self, key: str) -> Any:
        if self.pending.get(key) is _STALE:
            raise RuntimeError(f"event {key} read after its update in the same article")
        return super()._get(key)

    def commit(self) -> None:
        for key in [k for k, v in self.pending.items() if v is _STALE]:
            del self.pending[key]
            self.cache.pop(key, None)
        super().commit()


_STALE: Any = object()


class StoredBands:
    """The copy index's LSH bands (`Copies.bands`), on disk: a band's versions published
    within `COPY_INDEX_HORIZON` of the newest publication (`newest`: the state's, which the
    article being folded may have moved), read by key; the article being folded's own bands
    pending until its record is applied (then the store has them, `Store._index`). The same
    members as the in-memory index, which evicts what falls behind the horizon."""

    horizon_filtered = True  # `Copies.index`: no eviction heap

    def __init__(self, store: Store, newest: Callable[[], datetime | None]) -> None:
        self.store = store
        self.newest = newest
        self.pending: dict[str, set[str]] = {}
        self.reads = 0
        self._since: tuple[datetime | None, int | None] = (None, None)  # newest -> its horizon
        # What the store holds of the bands read during the article being folded, at the
        # horizon `_since`: the store does not change until its record is written (`commit`).
        self._read: dict[str, set[str]] = {}

    def get(self, band: str, default: Any = None) -> Any:
        """A band's versions. The fold indexes the article's own bands (`setdefault`) before
        it looks up its candidates in the same bands, so the first of those reads fetches all
        of them in one query (`Store.bands_versions`) instead of 32 point reads."""
        newest = self.newest()
        self.reads += 1
        if newest != self._since[0]:  # an article's 32 bands look up the same horizon
            self._since = (newest, None if newest is None else
                           micros(newest - COPY_INDEX_HORIZON))
            self._read = {}
        stored = self._read.get(band)
        if stored is None:
            wanted = [b for b in self.pending if b not in self._read] \
                if band in self.pending else [band]
            self._read.update(self.store.bands_versions(wanted, self._since[1]))
            stored = self._read[band]
        found = stored | self.pending.get(band, set())
        return found or default

    def setdefault(self, band: str, default: Any = None) -> set[str]:
        return self.pending.setdefault(band, set())

    def commit(self) -> None:
        """The article's record is written (or it wrote nothing): forget its bands."""
        self.pending.clear()
        self._read = {}


# Cache sizes of the parts looked up in the store. Most lookups are of keys the store does not
# have yet (a new version's status, URL, copies; a new mention's event): the working set is
# small. With caches of 20,000 (100,000 mentions), 20,000 dense articles made one store read
# per article for statuses, URLs and copies, 1.8 for mentions, and 5 event reads in all.
STATUS_CACHE = 5_000  # statuses cached (also: originals with their copies)
URL_CACHE = 5_000  # canonical URLs cached with their version ids
EVENT_CACHE = 2_000  # events cached (parsed)
OWNER_CACHE = 20_000  # mention -> event cached (the index's candidates are looked up)


class CacheCaps(TypedDict):
    """The `Resolver` fields that bound its memory (`cache_caps`)."""

    hot_mentions: int
    hot_blocks: int
    hot_summaries: int
    version_cache: int
    status_cache: int
    url_cache: int
    event_cache: int
    owner_cache: int


def cache_caps(scale: float = 1.0) -> CacheCaps:
    """The resolver's memory caps (`Resolver` fields), each the default times `scale`
    (`NEWSLINE_RESOLVER_CACHE_SCALE`), at least 1. A cap bounds what stays resident; what it
    leaves out is read back from the store when needed, so the timeline is the same at any
    scale (tests/unit/test_bounded_memory.py) and only the store reads change. The defaults
    are reached after 10,000-20,000 dense articles (docs/resolver-state.md); the fault
    campaign's soak runs at a twentieth of them so that its warm-up reaches them too."""
    def scaled(cap: int) -> int:
        return max(1, round(cap * scale))

    return CacheCaps(hot_mentions=scaled(HOT_MENTIONS), hot_blocks=scaled(HOT_BLOCKS),
                     hot_summaries=scaled(HOT_SUMMARIES), version_cache=scaled(VERSION_CACHE),
                     status_cache=scaled(STATUS_CACHE), url_cache=scaled(URL_CACHE),
                     event_cache=scaled(EVENT_CACHE), owner_cache=scaled(OWNER_CACHE))


class Crash(Exception):
    """Raised by an injected fault (tests)."""


class FoldError(Exception):
    """The fold itself failed on an article (a bug or an absurd article, not an I/O fault):
    retrying cannot help. The caller parks the article (`Resolver.skip`)."""


@dataclass
class Resolver:
    """The resolver of one source partition: fold, journal, changes, store, in that order."""

    store: Store
    journal: Journal
    publish: Publish
    fault: Callable[[str], None] = field(default=lambda step: None)
    state: TimelineState | None = None
    versions: StoredVersions | None = None
    journal_offset: int | None = None  # of the last record applied to the store
    source_offset: int | None = None  # the position: last source offset covered
    ready: bool = False
    state_at: int | None = None  # the source offset the in-memory state reflects
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    hot_mentions: int = HOT_MENTIONS  # resident mention refs (the others read from versions)
    hot_blocks: int = HOT_BLOCKS  # resident block heads, in units (the blocks are on disk)
    hot_summaries: int = HOT_SUMMARIES
    cold: ColdBlocks | None = None
    status_cache: int = STATUS_CACHE
    url_cache: int = URL_CACHE
    event_cache: int = EVENT_CACHE
    owner_cache: int = OWNER_CACHE
    version_cache: int = VERSION_CACHE
    stored: dict[str, StoredMap] = field(default_factory=dict)  # the state's parts on disk
    summaries: StoredMap | None = None  # the events' compact summaries, on disk
    bands: StoredBands | None = None
    heap: HeapTrim = field(default_factory=lambda: PROCESS_HEAP)  # trims every N records

    @property
    def next_offset(self) -> int | None:
        """Where the source partition must resume: after the last offset the journal covers."""
        return None if self.source_offset is None else self.source_offset + 1

    def drop(self) -> None:
        """Forget the in-memory state (it is rebuilt from the store when next needed)."""
        self.state = None
        self.versions = None
        self.stored = {}
        self.summaries = None
        self.bands = None
        if self.cold is not None:
            self.cold.close()
            self.cold = None

    def loaded(self) -> TimelineState:
        """The in-memory state, built from the store if it was dropped."""
        if self.state is None:
            versions = StoredVersions(self.store, self.version_cache)
            self.cold = ColdBlocks()
            store = self.store
            self.stored = {
                "statuses": StoredMap(store.status, lambda: store.keys("statuses"),
                                      self.status_cache),
                "by_url": StoredMap(store.url_versions, lambda: store.keys("urls"),
                                    self.url_cache, pin=True),
                "copies": StoredMap(store.copies_of, lambda: store.keys("copies"),
                                    self.status_cache, pin=True),
                "events": StoredEvents(store.event, lambda: store.keys("events"),
                                       self.event_cache),
                "owner": StoredMap(store.owner, lambda: store.keys("owners"),
                                   self.owner_cache)}
            s = TimelineState(versions=versions, **self.stored).bound(  # type: ignore[arg-type]
                self.cold, self.hot_mentions, self.hot_summaries, builder=store.page_refs,
                hot_blocks=self.hot_blocks)
            # Nothing is read whole: the index's pages are made from the store when first
            # touched, the copy bands and the rest are read by key (a restart's cost does not
            # grow with the history; `docs/resolver-state.md`, *The restart*).
            # The summaries kept with the events (the store's `summaries`), the members
            # read in order from its `members` rows, not from whole events.
            self.summaries = StoredMap(store.summary, lambda: store.keys("summaries"),
                                       self.hot_summaries)
            s.summaries = self.summaries
            s.members = store.event_members
            s.newest = store.newest()
            s.settled = store.settled()
            self.bands = StoredBands(store, lambda: s.newest)
            s.bands = self.bands  # type: ignore[assignment]
            log.info("resolver state opened on %s (newest publication %s)", self.store.path,
                     s.newest)
            self.state, self.versions = s, versions
            self.state_at = self.source_offset
        return self.state

    def settle(self) -> None:
        """The store holds what the fold wrote: its pending writes become cached values."""
        if self.versions is not None:
            self.versions.commit()
        for part in self.stored.values():
            part.commit()
        if self.summaries is not None:
            self.summaries.commit()
        if self.bands is not None:
            self.bands.commit()

    def follows(self, record: Record) -> bool:
        """Whether replay applies `record` now: it was folded from the position (its `after`),
        so a record whose predecessor never landed (a group's send that failed while a later
        one of the group succeeded) and a duplicate (a worker that lost the partition but
        finished its article, a redo) are skipped. A record of version 1 or 2 (no `after`):
        if its source offset is beyond the position."""
        if record.after is None:
            return self.source_offset is None or record.source_offset > self.source_offset
        return record.after == (-1 if self.source_offset is None else self.source_offset)

    async def recover(self) -> None:
        """Catch the store up with the journal, resend the changes of the last group's
        records, and set the position. Idempotent: run it at every assignment.

        Which changes may be unsent: only those of the last group written (`handle_group`
        starts a group's journal sends after the group before it has sent all its changes and
        committed), up to `GROUP_MAX` records, all at or after the journal offset
        `GROUP_MAX - 1` before the store's position or applied here. Those are resent (the
        same ids and bytes; the sink keeps the first of each id); a record read there that
        the chain skips is a duplicate of one of them (the fold is deterministic)."""
        async with self.lock:
            self.ready = False
            pos = self.store.position()
            self.journal_offset, self.source_offset = pos if pos else (None, None)
            start = 0 if pos is None else max(0, pos[0] - (GROUP_MAX - 1))
            resend: deque[Record] = deque(maxlen=GROUP_MAX)
            applied = 0
            async for offset, raw in self.journal.read(start):
                record = Record.parse(raw)
                if pos is not None and offset <= pos[0]:
                    resend.append(record)  # the store has it: its changes may be unsent
                    continue
                if not self.follows(record):
                    continue  # applied already, a duplicate, or its predecessor is missing
                self.store.apply(record, offset)
                self.journal_offset, self.source_offset = offset, record.source_offset
                resend.append(record)
                applied += 1
            if self.state is not None and self.state_at != self.source_offset:
                self.drop()  # the store moved on without this process's fold
            log.info("resolver of %s recovered: position %s, %d journal records caught up, "
                     "in-memory state %s", self.store.path.name, self.source_offset, applied,
                     "kept" if self.state is not None else "to rebuild")
            messages = [m for record in resend for m in record.messages()]
            if messages:
                await self.publish(messages)
            self.ready = True

    async def handle(self, offset: int, art: ArticleAnalysed) -> bool:
        """Resolve the article at `offset` of the source partition; False if the position
        already covers it."""
        return await self.handle_group([(offset, art)]) == 1

    async def handle_group(self, items: list[tuple[int, ArticleAnalysed]]) -> int:
        """Resolve the articles at these offsets of the source partition (in offset order) as
        one group: fold them one after the other, append their journal records (sent
        together, one wait for every acknowledgement), send all their changes (one wait),
        then commit their writes and the position in one store transaction. How many were
        resolved (those the position already covers are not).

        Any exception rolls the transaction back, drops the in-memory state and is re-raised:
        nothing of the group is in the store. A `FoldError` is raised before any journal
        send; the caller resolves the group's articles one at a time (`handle`), so that only
        the article the fold cannot take is parked."""
        async with self.lock:
            if not self.ready:
                raise RuntimeError("resolver used before recovery")
            items = [(o, a) for o, a in items
                     if self.source_offset is None or o > self.source_offset]
            if not items:
                return 0
            try:
                await self._handle_group(items)
            except BaseException:
                self.store.rollback()
                self.drop()
                raise
            for _ in items:
                self.heap.record_resolved()
            return len(items)

    async def _handle_group(self, items: list[tuple[int, ArticleAnalysed]]) -> None:
        state = self.loaded()
        if not self.store.begin(items[0][0]):
            # Another process sharing the store is past this offset: this one lost the
            # partition (its records and changes equal the new owner's). Stop here.
            log.warning("the store is past source offset %d: another worker owns it",
                        items[0][0])
            self.drop()
            self.ready = False
            return
        records: list[Record] = []
        after = -1 if self.source_offset is None else self.source_offset
        for offset, art in items:
            record = self._fold(state, offset, art, after)
            if record is not None:
                records.append(record)
                after = offset
        if not records:
            self.store.rollback()
            return  # versions already recorded: nothing to make durable
        self.fault("journal")
        journal_offsets = await self._append([(r.version_id.encode(), r.encode())
                                              for r in records])
        self.fault("changes")
        await self.publish([m for r in records for m in r.messages()])
        self.fault("store")
        self.store.commit(journal_offsets[-1], records[-1].source_offset)
        self.journal_offset, self.source_offset = journal_offsets[-1], records[-1].source_offset
        self.state_at = self.source_offset
        self.fault("done")

    def _fold(self, state: TimelineState, offset: int, art: ArticleAnalysed,
              after: int) -> Record | None:
        """Fold one article of a group and write its record into the open transaction (the
        next article's fold reads it there: SQLite shows a connection its own uncommitted
        writes); None if it changes nothing (a version already recorded)."""
        self.fault("fold")
        try:
            t = apply_article(state, art)
        except Exception as exc:
            raise FoldError(repr(exc)) from exc
        if not t.changes:
            self.versions.pending.clear()  # type: ignore[union-attr]
            for part in self.stored.values():
                part.pending.clear()
            if self.summaries is not None:
                self.summaries.pending.clear()
            if self.bands is not None:
                self.bands.commit()
            return None
        record = Record(
            source_offset=offset, version_id=art.version_id,
            article=art.model_dump(mode="json"),
            statuses={vid: status_dict(st) for vid, st in t.statuses.items()},
            events={eid: None if u is None else event_write(u) for eid, u in t.events.items()},
            changes=[(str(e.subject), encode(e).decode())
                     for e in change_envelopes(t.changes, art.version_id)],
            states={eid: u.facts.model_dump_json() for eid, u in t.events.items()
                    if u is not None},
            after=after, settled=t.settled)
        summaries = self.summaries.pending if self.summaries is not None else {}
        self.store.write(record, art, {
            eid: None if s is _DELETED else s.dumps() for eid, s in summaries.items()})
        self.settle()  # the caches hold the transaction's values (dropped if it rolls back)
        return record

    async def _append(self, items: list[tuple[bytes, bytes]]) -> list[int]:
        """Append journal records in order; their offsets once all are acknowledged. A
        journal without `append_many` (benches) appends one at a time."""
        append_many = getattr(self.journal, "append_many", None)
        if append_many is not None:
            return list(await append_many(items))
        return [await self.journal.append(key, value) for key, value in items]

    async def skip(self, offset: int, version_id: str) -> None:
        """Move the position past an article the fold cannot take (parked as a dead letter):
        a journal record with no writes and no changes."""
        async with self.lock:
            if self.source_offset is not None and offset <= self.source_offset:
                return
            record = Record(offset, version_id, None, {}, {}, [],
                            after=-1 if self.source_offset is None else self.source_offset)
            journal_offset = await self.journal.append(version_id.encode(), record.encode())
            self.store.apply(record, journal_offset)
            self.journal_offset, self.source_offset = journal_offset, offset


class MemoryJournal:
    """A journal in a list (tests, benches). `lose_unacked`: an append that fails after
    writing leaves the record (True: the broker had it) or not."""

    def __init__(self) -> None:
        self.records: list[bytes] = []
        self.fault: Callable[[str], None] = lambda step: None

    async def append(self, key: bytes, value: bytes) -> int:
        self.fault("journal:before")
        self.records.append(value)
        self.fault("journal:after")  # written, not acknowledged
        return len(self.records) - 1

    async def append_many(self, items: list[tuple[bytes, bytes]]) -> list[int]:
        return [await self.append(key, value) for key, value in items]

    async def read(self, start: int) -> AsyncIterator[tuple[int, bytes]]:
        for i in range(start, len(self.records)):
            yield i, self.records[i]
