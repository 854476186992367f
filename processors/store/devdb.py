"""Build an analysts' database from example articles, with the real analysis, fold and sink code.

Usage, for a file to try `queries/` on without running the stack:

    .venv/bin/python -m processors.store.devdb /tmp/dev.duckdb examples/niger-2023.jsonl \
        examples/seed-rtl-2023-09-04.json

No broker and no faust: each article is analysed and folded in-process, its changes travel through
the same envelope and codec as on the changelog topic, and the sink's `fold`/`apply_batch` project
them before `publish_snapshot` writes the file. Tests and the queries' documentation use it.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from processors.analysis.analyse import analyse_article
from processors.resolution.fold import TimelineState, apply_article, change_envelopes
from processors.store.project import fold
from processors.store.sink import apply_batch, decode_changes, open_writer, publish_snapshot
from schemas.articles import Article
from schemas.codec import encode, envelope
from schemas.topics import TOPICS

SUBMIT_DELAY = timedelta(minutes=5)  # default gap between a version's own time and its submission
SUBMIT_STEP = timedelta(minutes=1)  # minimum gap between two submissions
BATCH_SIZE = 50
EPOCH = "devdb"


def default_submitted_at(articles: list[Article]) -> list[datetime]:
    """Plausible acceptance instants: shortly after each version's time, strictly increasing.

    Increasing in list order (the order they are folded in) and distinct, so that every article
    has its own `known_at` and `timeline_as_of` between two submissions is meaningful.
    """
    out: list[datetime] = []
    for art in articles:
        at = art.version_time + SUBMIT_DELAY
        if out and at <= out[-1]:
            at = out[-1] + SUBMIT_STEP
        out.append(at)
    return out


def changelog_records(articles: list[dict[str, Any]],
                      submitted_at: list[datetime] | None = None) -> Iterator[tuple[int, bytes]]:
    """(offset, encoded change) for every change the articles cause, in log order."""
    models = [Article.model_validate(d) for d in articles]
    times = submitted_at if submitted_at is not None else default_submitted_at(models)
    if len(times) != len(models):
        raise ValueError(f"{len(models)} articles but {len(times)} submission instants")
    state = TimelineState()
    offset = 0
    for art, at in zip(models, times, strict=True):
        analysed = analyse_article(envelope(art, source="newsline/devdb", time=at))
        for env in change_envelopes(apply_article(state, analysed).changes, analysed.version_id):
            yield offset, encode(env)
            offset += 1


def build_database(path: Path, articles: list[dict[str, Any]],
                   submitted_at: list[datetime] | None = None, *,
                   batch_size: int = BATCH_SIZE) -> Path:
    """Write an analysts' file at `path` holding the timeline of `articles`, submitted in order.

    `submitted_at[i]` is when Newsline "accepted" article i (aware instants; strictly increasing
    values make as-of queries meaningful); by default see `default_submitted_at`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    records = list(changelog_records(articles, submitted_at))
    with tempfile.TemporaryDirectory(prefix="newsline-devdb-") as tmp:
        writer_path = Path(tmp) / "writer.duckdb"
        con = open_writer(writer_path)
        try:
            for i in range(0, len(records), batch_size):
                part = records[i:i + batch_size]
                batch = fold(decode_changes(part))
                batch.next_offset = part[-1][0] + 1
                apply_batch(con, batch, topic=TOPICS["changelog"].name, epoch=EPOCH)
            publish_snapshot(con, writer_path, path)
        finally:
            con.close()
    return path


def read_articles(paths: list[Path]) -> list[dict[str, Any]]:
    """Article submissions from `.jsonl` (one per line) and `.json` (one object or a list) files."""
    out: list[dict[str, Any]] = []
    for p in paths:
        text = Path(p).read_text(encoding="utf-8")
        if str(p).endswith(".jsonl"):
            out.extend(json.loads(line) for line in text.splitlines() if line.strip())
        else:
            doc = json.loads(text)
            out.extend(doc if isinstance(doc, list) else [doc])
    return out


def main(argv: list[str] | None = None) -> None:
    """Build a database from article files, submitted in the order given."""
    parser = argparse.ArgumentParser(prog="python -m processors.store.devdb",
                                     description=main.__doc__)
    parser.add_argument("out", type=Path, help="the .duckdb file to write")
    parser.add_argument("articles", type=Path, nargs="+", help=".jsonl or .json article files")
    args = parser.parse_args(argv)
    print(build_database(args.out, read_articles(args.articles)))


if __name__ == "__main__":
    main()
