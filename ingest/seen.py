"""Which submissions the API already accepted: an fsync'ed append-only JSONL of dedupe keys.

The articles themselves live in Kafka's raw topic (a durable log): this file only lets the API
answer `duplicate: true` for a resubmission across restarts. Losing it loses no article; a
resubmission would then be published again, and the processors ignore a version they have seen.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path


class SeenIndex:
    """dedupe key -> version id of every accepted submission, kept on disk."""

    def __init__(self, path: Path) -> None:
        """Open (or create) the index at `path` and load it."""
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._seen: dict[str, str] = {}
        if self.path.exists():
            kept = 0
            with self.path.open("rb") as fh:
                for line in fh:
                    if not line.endswith(b"\n"):  # a torn last line (crash mid-write)
                        break
                    doc = json.loads(line)
                    self._seen[doc["dedupe_key"]] = doc["version_id"]
                    kept += len(line)
            if kept < self.path.stat().st_size:
                # Cut the torn tail, or the next append would glue a record to it.
                with self.path.open("r+b") as fh:
                    fh.truncate(kept)
                    os.fsync(fh.fileno())

    def known(self, dedupe_key: str) -> str | None:
        """The version id already accepted under `dedupe_key`, if any."""
        return self._seen.get(dedupe_key)

    def add(self, pairs: list[tuple[str, str]]) -> None:
        """Record (dedupe key, version id) pairs, fsync'ed before returning."""
        lines = b"".join(json.dumps({"dedupe_key": k, "version_id": v}).encode() + b"\n"
                         for k, v in pairs)
        with self._lock:
            with self.path.open("ab") as fh:
                fh.write(lines)
                fh.flush()
                os.fsync(fh.fileno())
            self._seen.update(pairs)

    def __len__(self) -> int:
        """Number of distinct submissions accepted."""
        return len(self._seen)
