"""The local archive of accepted articles: an fsync'ed append-only JSONL file.

On the embedded, memory-only broker this archive is what makes an acknowledged article survive a
crash: `newsline up` replays it into the fresh broker before accepting new articles.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ArchivedRecord:
    """One accepted raw message: its Kafka key, its envelope bytes, and its dedupe key."""

    key: str
    value: bytes
    dedupe_key: str
    version_id: str


class Archive:
    """Append-only, fsync'ed log of the raw messages Newsline acknowledged."""

    def __init__(self, path: Path) -> None:
        """Open (or create) the archive at `path` and index what it holds."""
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._seen: dict[str, str] = {}
        for record in self.records():
            self._seen[record.dedupe_key] = record.version_id

    def records(self) -> Iterator[ArchivedRecord]:
        """Every archived record, oldest first; a torn last line (crash mid-write) is skipped."""
        if not self.path.exists():
            return
        with self.path.open("rb") as fh:
            for line in fh:
                if not line.endswith(b"\n"):
                    break
                doc = json.loads(line)
                yield ArchivedRecord(doc["key"], doc["value"].encode("utf-8"),
                                     doc["dedupe_key"], doc["version_id"])

    def known(self, dedupe_key: str) -> str | None:
        """The version id already stored under `dedupe_key`, if any."""
        return self._seen.get(dedupe_key)

    def append(self, records: list[ArchivedRecord]) -> None:
        """Append records and fsync before returning: after this they survive a kill -9."""
        lines = b"".join(
            json.dumps({"key": r.key, "value": r.value.decode("utf-8"),
                        "dedupe_key": r.dedupe_key, "version_id": r.version_id},
                       ensure_ascii=False).encode("utf-8") + b"\n"
            for r in records
        )
        with self._lock:
            with self.path.open("ab") as fh:
                fh.write(lines)
                fh.flush()
                os.fsync(fh.fileno())
            for r in records:
                self._seen[r.dedupe_key] = r.version_id

    def __len__(self) -> int:
        """Number of distinct articles archived."""
        return len(self._seen)
