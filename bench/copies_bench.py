"""Cost of copy detection when one text is syndicated many times (the wire-story case).

The seed article is analysed once, then recorded again and again as new versions under new
URLs (identical text: every one is a copy of the first), through `Copies.record`, the call the
resolver makes for every article. Prints the CPU time per article over each slice, so that a
cost growing with the number of copies shows; then, with `--updates N`, the CPU time per update
of N of those copies (a new version of the copy's URL, same text: the version it supersedes
leaves the group, which is re-paired, and the update joins it again):

    .venv/bin/python bench/copies_bench.py --copies 600 --slice 200 --updates 20
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from processors.analysis.analyse import analyse_article  # noqa: E402
from processors.resolution.copies import Copies  # noqa: E402
from schemas.articles import Article  # noqa: E402
from schemas.codec import envelope  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=600)
    parser.add_argument("--slice", type=int, default=200)
    parser.add_argument("--updates", type=int, default=0, help="then update this many copies")
    parser.add_argument("--json", type=Path, help="write the rows here")
    args = parser.parse_args()

    doc = json.loads((ROOT / "examples" / "seed-rtl-2023-09-04.json").read_text())
    sub = Article.model_validate(doc)
    art = analyse_article(envelope(sub, source="bench/copies_bench", subject=sub.url))
    copies = Copies()
    rows = []
    last = time.process_time()
    for i in range(1, args.copies + 1):
        copies.record(art.model_copy(update={"version_id": f"copy-{i}",
                                             "canonical_url": f"https://outlet-{i}.example/a"}))
        if i % args.slice == 0:
            now = time.process_time()
            row = {"copies": i, "cpu_ms_per_article": round((now - last) / args.slice * 1000, 2)}
            rows.append(row)
            print(json.dumps(row), flush=True)
            last = now
    if args.updates:
        step = max(1, args.copies // args.updates)
        for i in range(1, args.copies + 1, step)[:args.updates]:
            copies.record(art.model_copy(update={
                "version_id": f"copy-{i}-updated", "canonical_url": f"https://outlet-{i}.example/a",
                "updated_at": art.published_at + timedelta(hours=1)}))
        now = time.process_time()
        originals = {s.duplicate_of or v for v, s in copies.statuses.items()
                     if s.status != "superseded"}
        row = {"copies": args.copies, "updates": args.updates,
               "cpu_ms_per_update": round((now - last) / args.updates * 1000, 2),
               "copy_groups_after": len(originals)}  # 1: the updates stayed in the one group
        rows.append(row)
        print(json.dumps(row), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
