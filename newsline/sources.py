"""Read articles to post from files: .json (one or a list), .jsonl, .txt and .html with flags."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SUFFIXES = (".json", ".jsonl", ".ndjson", ".txt", ".html", ".htm")


class SourceError(ValueError):
    """A file that cannot be read as articles."""


def expand(paths: list[Path]) -> list[Path]:
    """Files named, and the article files inside folders named (sorted)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES))
        else:
            out.append(path)
    return out


def read_articles(path: Path, meta: dict[str, Any]) -> Iterator[dict[str, Any] | SourceError]:
    """Article objects from one file, streamed; `meta` (url, published_at...) fills .txt/.html.

    A bad line of a JSONL file is yielded as a SourceError (the rest of the file still counts);
    a file that cannot be read at all raises one.
    """
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            doc = json.loads(path.read_text(encoding="utf-8"))
            yield from (doc if isinstance(doc, list) else [doc])
        elif suffix in (".jsonl", ".ndjson"):
            with path.open(encoding="utf-8") as fh:
                for number, line in enumerate(fh, 1):
                    if line.strip():
                        try:
                            yield json.loads(line)
                        except json.JSONDecodeError as exc:
                            yield SourceError(f"{path}:{number}: invalid JSON: {exc}")
        elif suffix in (".txt", ".html", ".htm"):
            body = path.read_text(encoding="utf-8")
            field = "text" if suffix == ".txt" else "html"
            yield {**{k: v for k, v in meta.items() if v is not None}, field: body}
        else:
            raise SourceError(f"{path}: unsupported file type (use {', '.join(SUFFIXES)})")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"{path}: {exc}") from exc
