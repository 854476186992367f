"""The blocks of the active-mention index: all in memory, or a bounded cache of their heads over
a cold tier on disk.

A lookup (`ActiveMentions.candidates`) reads of a (date bucket, feature) block only its size and
its first `BLOCK_SAMPLE` members by rank (`docs/resolver-state.md`, *Memory*). So the bounded
index keeps in memory only that: a **head** per recently used block (its size and first members);
every block's members are rows of a private temporary SQLite database (`ColdBlocks`), written
through as mentions are added and removed. Dropping a head writes at most its size; reading one
back is two indexed reads of at most `BLOCK_SAMPLE` rows. Memory is bounded by the cap on heads,
whatever the density of a day; the I/O of an article by the blocks it touches.
"""

from __future__ import annotations

import ast
import sqlite3
from bisect import bisect_left, insort
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any

BLOCK_SAMPLE = 64  # members of one (date bucket, feature) block a lookup reads at most
HOT_BLOCKS = 200_000  # heads kept between two articles: one unit per head and per member held
ROWS_PER_STATEMENT = 300  # members one INSERT writes (900 parameters: under SQLite's old 999)

Entry = tuple[int, str]  # (stable rank, mention id): a block's order


class ColdBlocks:
    """Every block's members, on disk: a private temporary SQLite database (derived state,
    made again from the resolver's store after every load: it never has to agree with anything
    after a crash). A block's size is kept in `blocks.n`, up to date for the blocks whose head
    is not in memory (`HotBlocks` writes it when it drops a head)."""

    def __init__(self) -> None:
        # "": a private temporary database on disk, deleted when the connection closes.
        self.con = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        self.con.execute("PRAGMA journal_mode=OFF")
        self.con.execute("PRAGMA synchronous=OFF")
        self.con.execute("PRAGMA cache_size=-2048")  # 2 MiB of pages
        self.con.execute("CREATE TABLE blocks (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,"
                         " n INTEGER NOT NULL)")
        self.con.execute("CREATE TABLE members (block INTEGER NOT NULL, rank INTEGER NOT NULL, "
                         "mid TEXT NOT NULL, PRIMARY KEY (block, rank, mid)) WITHOUT ROWID")
        self.open = False  # a transaction is open (one per article: `commit`)
        self.rows_read = 0  # for the tests and the benches
        self.rows_written = 0

    def _begin(self) -> None:
        if not self.open:
            self.con.execute("BEGIN")
            self.open = True

    def commit(self) -> None:
        """End the article's transaction."""
        if self.open:
            self.con.execute("COMMIT")
            self.open = False

    def head(self, key: Hashable) -> tuple[int | None, int, list[Entry]]:
        """(block id or None if never made, size, first `BLOCK_SAMPLE` members)."""
        row = self.con.execute("SELECT id, n FROM blocks WHERE key = ?", (repr(key),)).fetchone()
        if row is None:
            return None, 0, []
        bid, n = row
        members = self.after(bid, None, min(n, BLOCK_SAMPLE)) if n else []
        return bid, n, members

    def after(self, bid: int, entry: Entry | None, limit: int) -> list[Entry]:
        """The block's first `limit` members after `entry` (from its start if None)."""
        if entry is None:
            rows = self.con.execute("SELECT rank, mid FROM members WHERE block = ? "
                                    "ORDER BY rank, mid LIMIT ?", (bid, limit))
        else:
            rows = self.con.execute("SELECT rank, mid FROM members WHERE block = ? AND "
                                    "(rank, mid) > (?, ?) ORDER BY rank, mid LIMIT ?",
                                    (bid, *entry, limit))
        out = [(r, m) for r, m in rows]
        self.rows_read += len(out)
        return out

    def create(self, key: Hashable) -> int:
        """Make an empty block; its id."""
        self._begin()
        cur = self.con.execute("INSERT INTO blocks (key, n) VALUES (?, 0)", (repr(key),))
        assert cur.lastrowid is not None
        return cur.lastrowid

    def insert(self, bid: int, entry: Entry) -> bool:
        """Add a member; False if it was there already."""
        self._begin()
        cur = self.con.execute("INSERT OR IGNORE INTO members VALUES (?, ?, ?)", (bid, *entry))
        self.rows_written += cur.rowcount
        return cur.rowcount == 1

    def insert_new(self, rows: list[tuple[int, int, str]]) -> bool:
        """Add members (block id, rank, mid) none of which is there yet, a few hundred rows a
        statement instead of one each; False, and nothing added, if one was there already."""
        self._begin()
        self.con.execute("SAVEPOINT new_members")
        try:
            for i in range(0, len(rows), ROWS_PER_STATEMENT):
                chunk = rows[i:i + ROWS_PER_STATEMENT]
                self.con.execute("INSERT INTO members VALUES "  # noqa: S608 - placeholders only
                                 + ",".join(["(?, ?, ?)"] * len(chunk)),
                                 [v for row in chunk for v in row])
        except sqlite3.IntegrityError:
            self.con.execute("ROLLBACK TO new_members")
            self.con.execute("RELEASE new_members")
            return False
        self.con.execute("RELEASE new_members")
        self.rows_written += len(rows)
        return True

    def delete(self, bid: int, entry: Entry) -> bool:
        """Remove a member; False if it was not there."""
        self._begin()
        cur = self.con.execute("DELETE FROM members WHERE block = ? AND rank = ? AND mid = ?",
                               (bid, *entry))
        return cur.rowcount == 1

    def set_size(self, bid: int, n: int) -> None:
        self._begin()
        self.con.execute("UPDATE blocks SET n = ? WHERE id = ?", (n, bid))

    def dump(self) -> dict[Hashable, list[Entry]]:
        """Every non-empty block's members in order (the tests compare it with an unbounded
        index). Sizes are those written: drop the heads first (`HotBlocks.evict(0)`)."""
        out: dict[Hashable, list[Entry]] = {}
        for key, n, bid in self.con.execute("SELECT key, n, id FROM blocks"):
            members = [(r, m) for r, m in self.con.execute(
                "SELECT rank, mid FROM members WHERE block = ? ORDER BY rank, mid", (bid,))]
            assert len(members) == n, (key, n, len(members))
            if members:
                out[ast.literal_eval(key)] = members
        return out

    def close(self) -> None:
        """Delete the database."""
        self.con.close()


class Head:
    """What a lookup reads of a block: its size and its first `BLOCK_SAMPLE` members."""

    __slots__ = ("bid", "dirty", "members", "n")

    def __init__(self, bid: int | None, n: int, members: list[Entry]) -> None:
        self.bid = bid
        self.n = n
        self.members = members  # min(n, BLOCK_SAMPLE) of them
        self.dirty = False  # n changed since it was read


class _Blocks:
    """What both indexes' blocks share: adding a page's members at once."""

    def insert(self, key: Hashable, entry: Entry) -> bool:
        raise NotImplementedError

    def members(self, key: Hashable) -> list[Entry]:
        """Every member of a block, in order (a day's settle reads its whole day block)."""
        raise NotImplementedError

    def insert_many(self, items: list[tuple[Hashable, Entry]]) -> None:
        """Add members (block key, entry), as many `insert`s."""
        for key, entry in items:
            self.insert(key, entry)

    def fill(self, blocks: Mapping[Any, list[Entry]]) -> None:
        """Add many members at once (a page made from the store)."""
        self.insert_many([(key, entry) for key, entries in blocks.items() for entry in entries])


class HotBlocks(_Blocks):
    """The heads of the most recently used blocks, over `ColdBlocks` (bounded index)."""

    def __init__(self, cold: ColdBlocks, cap: int = HOT_BLOCKS) -> None:
        self.cold = cold
        self.cap = cap
        self.heads: OrderedDict[Hashable, Head] = OrderedDict()  # least recently used first
        self.units = 0  # heads + members they hold
        self.loads = 0  # heads read from the cold tier

    def _head(self, key: Hashable) -> Head:
        h = self.heads.get(key)
        if h is not None:
            self.heads.move_to_end(key)
            return h
        self.loads += 1
        h = self.heads[key] = Head(*self.cold.head(key))
        self.units += 1 + len(h.members)
        return h

    def get(self, key: Hashable) -> tuple[int, list[Entry]]:
        """(size, first members) of a block; (0, []) if it has none."""
        h = self.heads.get(key)  # `_head`, its resident case inlined: about 18 per lookup
        if h is None:
            h = self._head(key)
        else:
            self.heads.move_to_end(key)
        return h.n, h.members

    def members(self, key: Hashable) -> list[Entry]:
        """Every member of a block, read from the cold tier (written through)."""
        h = self._head(key)
        if h.bid is None:
            return []
        out: list[Entry] = []
        while len(out) < h.n:
            more = self.cold.after(h.bid, out[-1] if out else None, 1024)
            if not more:
                break
            out.extend(more)
        return out

    def insert(self, key: Hashable, entry: Entry) -> bool:
        """Add a member (written through); False if it was there already."""
        h = self._head(key)
        if h.bid is None:
            h.bid = self.cold.create(key)
        if not self.cold.insert(h.bid, entry):
            return False
        self._added(h, entry)
        return True

    def insert_many(self, items: list[tuple[Hashable, Entry]]) -> None:
        """Add members (written through): an article's new mentions in a few statements (one
        each was about 32 per dense article). The heads are read before any row is written,
        as `insert` reads each before its first row; if a member was there already, one at
        a time instead."""
        if not items:
            return
        heads = []
        for key, _ in items:
            h = self._head(key)
            if h.bid is None:
                h.bid = self.cold.create(key)
            heads.append(h)
        if not self.cold.insert_new([(h.bid, *entry)  # type: ignore[misc]
                                     for h, (_, entry) in zip(heads, items, strict=True)]):
            super().insert_many(items)
            return
        for h, (_, entry) in zip(heads, items, strict=True):
            self._added(h, entry)

    def _added(self, h: Head, entry: Entry) -> None:
        """A member written to the block: its size, and its head if it ranks there."""
        h.n += 1
        h.dirty = True
        m = h.members
        if len(m) < BLOCK_SAMPLE or entry < m[-1]:  # it belongs in the head
            insort(m, entry)
            self.units += 1
            if len(m) > BLOCK_SAMPLE:
                m.pop()
                self.units -= 1

    def remove(self, key: Hashable, entry: Entry) -> bool:
        """Remove a member (written through); False if it was not there."""
        h = self._head(key)
        if h.bid is None or not self.cold.delete(h.bid, entry):
            return False
        h.n -= 1
        h.dirty = True
        m = h.members
        i = bisect_left(m, entry)
        if i < len(m) and m[i] == entry:
            del m[i]
            self.units -= 1
            if h.n > len(m):  # the next member by rank comes into the head
                more = self.cold.after(h.bid, m[-1] if m else entry, 1)
                m.extend(more)
                self.units += len(more)
        return True

    def evict(self, cap: int | None = None) -> None:
        """Drop the least recently used heads until at most `cap` units are held (writing the
        size of a changed one), then end the article's transaction."""
        cap = self.cap if cap is None else cap
        while self.units > cap and self.heads:
            _, h = self.heads.popitem(last=False)
            self.units -= 1 + len(h.members)
            if h.dirty and h.bid is not None:
                self.cold.set_size(h.bid, h.n)
        self.cold.commit()


class MemoryBlocks(_Blocks):
    """Every block whole, in memory (the unbounded index)."""

    def __init__(self) -> None:
        self.blocks: dict[Hashable, list[Entry]] = {}

    def get(self, key: Hashable) -> tuple[int, list[Entry]]:
        block = self.blocks.get(key)
        return (len(block), block) if block else (0, [])

    def members(self, key: Hashable) -> list[Entry]:
        return list(self.blocks.get(key, ()))

    def insert(self, key: Hashable, entry: Entry) -> bool:
        block = self.blocks.setdefault(key, [])
        i = bisect_left(block, entry)
        if i < len(block) and block[i] == entry:
            return False
        block.insert(i, entry)
        return True

    def remove(self, key: Hashable, entry: Entry) -> bool:
        block = self.blocks.get(key)
        if not block:
            return False
        i = bisect_left(block, entry)
        if i == len(block) or block[i] != entry:
            return False
        del block[i]
        if not block:
            del self.blocks[key]
        return True

    def evict(self, cap: int | None = None) -> None:
        """Nothing to drop."""
