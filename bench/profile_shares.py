"""Where the CPU went, from py-spy samples: each function's inclusive share per profile.

Take samples of a running bench (`bench/resolver_state_bench.py --child store ...`) at two
points of its run, then compare them:

    py-spy record --pid PID --duration 60 --rate 40 --format raw -o early.raw
    .venv/bin/python bench/profile_shares.py early.raw late.raw --json shares.json

A function's share is the fraction of samples with it anywhere on the stack (line numbers
dropped), so a callee is counted inside its callers; `--min` leaves out functions below that
share in every profile.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

_LINE = re.compile(r":\d+\)")


def shares(path: Path) -> tuple[int, dict[str, float]]:
    """(samples, function -> inclusive share) of one py-spy raw (collapsed stacks) file."""
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        stack, n = line.rsplit(" ", 1)
        total += int(n)
        for frame in {_LINE.sub(")", f) for f in stack.split(";")}:
            inclusive[frame] += int(n)
    return total, {f: n / total for f, n in inclusive.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profiles", nargs="+", type=Path)
    parser.add_argument("--labels", help="comma-separated names of the profiles (default: "
                                         "the file names)")
    parser.add_argument("--min", type=float, default=0.01)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    labels = args.labels.split(",") if args.labels else [p.stem for p in args.profiles]
    read = [shares(p) for p in args.profiles]
    keep = {f for _, s in read for f, v in s.items() if v >= args.min}
    order = sorted(keep, key=lambda f: -max(s.get(f, 0.0) for _, s in read))
    rows = [{"function": f, **{label: round(100 * s.get(f, 0.0), 1)
                               for label, (_, s) in zip(labels, read, strict=True)}}
            for f in order]
    print(" ".join(f"{label:>8}" for label in labels), "function (% of samples)")
    for row in rows:
        print(" ".join(f"{row[label]:8.1f}" for label in labels), row["function"][:110])
    if args.json:
        args.json.write_text(json.dumps({
            "samples": dict(zip(labels, [n for n, _ in read], strict=True)),
            "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
