"""Cold pages of the active-mention index, on disk: a private temporary SQLite database.

`interval_index.ActiveMentions` writes a page here when it is not among the recently used ones
and reads it back (taking it out) when an article's dates reach it. The database is the
process's own (SQLite deletes it when the connection closes): it is derived state, rebuilt from
the resolver's store on every load, so it never needs to agree with anything after a crash.
"""

from __future__ import annotations

import sqlite3


class ColdPages:
    """Pages by number, as bytes."""

    def __init__(self) -> None:
        # "": a private temporary database on disk, deleted when the connection closes.
        self.con = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        self.con.execute("PRAGMA journal_mode=OFF")
        self.con.execute("PRAGMA synchronous=OFF")
        self.con.execute("PRAGMA cache_size=-2048")  # 2 MiB of pages
        self.con.execute("CREATE TABLE pages (page INTEGER PRIMARY KEY, blob BLOB NOT NULL)")
        self.written = 0  # bytes written so far (for the benches)

    def put(self, page: int, blob: bytes) -> None:
        """Keep a page (replacing what was kept under its number)."""
        self.con.execute("INSERT OR REPLACE INTO pages VALUES (?, ?)", (page, blob))
        self.written += len(blob)

    def take(self, page: int) -> bytes | None:
        """Give a page back and forget it; None if it was never put."""
        row = self.con.execute("SELECT blob FROM pages WHERE page = ?", (page,)).fetchone()
        if row is None:
            return None
        self.con.execute("DELETE FROM pages WHERE page = ?", (page,))
        return bytes(row[0])

    def close(self) -> None:
        """Delete the database."""
        self.con.close()
