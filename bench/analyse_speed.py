"""Articles per second of the analysis stage (`analyse_article`), this tree against an earlier one.

    .venv/bin/python bench/analyse_speed.py [--before REV] [--rounds 3] [--articles 1000] [--json PATH]

The code of revision REV (default: the last commit before the stage was sped up) is unpacked
with `git archive` into a temporary folder, and each tree analyses the same articles in its own
process (one core each, one after the other, rounds taking turns so that the machine's load falls
on both alike). Speeds are per CPU second of the analysing process (`time.process_time`), which a
shared machine's load disturbs much less than wall time. Workloads: the bundled examples,
articles recombined from the sentences of the dev set and the TimeML corpora (seeded, both
languages), and the 982 English articles of ECB+. Each process also writes what it made of every
article; the bench compares the two trees' outputs and reports whether they are identical.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BEFORE = "be4762f"  # main before this change: analysis as the issue measured it
WORKLOADS = ("examples", "recombined", "ecbplus")


def load(workload: str, count: int) -> list[dict[str, Any]]:
    """Article payloads (as producers submit them) of one workload, deterministic."""
    sys.path.insert(1, str(REPO / "bench"))
    if workload == "examples":
        seed = json.loads((REPO / "examples" / "seed-rtl-2023-09-04.json").read_text("utf-8"))
        lines = (REPO / "examples" / "niger-2023.jsonl").read_text("utf-8").splitlines()
        return [seed, *(json.loads(line) for line in lines if line.strip())]
    if workload == "recombined":
        from temporal_speed import realistic_articles, sentence_pools

        return [{"url": f"https://bench.example/r/{i}", "text": a.text, "language": a.language,
                 "published_at": a.published_at.isoformat()}
                for i, a in enumerate(realistic_articles(count, 7, sentence_pools()))]
    from temporal_speed import ecbplus_articles

    return [{"url": f"https://bench.example/ecb/{i}", "text": a.text, "language": a.language,
             "published_at": a.published_at.isoformat()}
            for i, a in enumerate(ecbplus_articles())]


def worker(tree: Path, workload: str, count: int, out: Path | None) -> dict[str, Any]:
    """Analyse a workload with the code of `tree`; time it (after one warm-up per language)."""
    sys.path.insert(0, str(tree))
    try:
        from processors.analysis.analyse import analyse_article
    except ModuleNotFoundError:  # a revision before the stages moved to processors/analysis/
        from processors.analyse import analyse_article  # type: ignore[no-redef]
    from schemas.articles import Article
    from schemas.codec import envelope

    at = datetime(2026, 1, 1, tzinfo=UTC)
    envs = [envelope(Article.model_validate(p), source="bench", id=f"a{i}", time=at)
            for i, p in enumerate(load(workload, count))]
    warm = {e.data.language: e for e in reversed(envs)}
    for env in warm.values():
        analyse_article(env)
    began, cpu = time.perf_counter(), time.process_time()
    results = [analyse_article(env) for env in envs]
    wall, seconds = time.perf_counter() - began, time.process_time() - cpu
    if out is not None:
        out.write_text("".join(r.model_dump_json() + "\n" for r in results), encoding="utf-8")
    return {"articles": len(envs), "seconds": seconds, "wall_seconds": wall}


def unpack(rev: str, into: Path) -> Path:
    """The `processors` and `schemas` packages of revision `rev`, in a folder of their own."""
    tar = subprocess.run(["git", "-C", str(REPO), "archive", rev, "processors", "schemas"],
                         capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(tar)) as archive:
        archive.extractall(into, filter="data")
    return into


def run(tree: Path, workload: str, count: int, out: Path) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", str(tree), "--workload", workload,
           "--articles", str(count), "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=REPO)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    """Race the two trees on every workload and print a table (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", default=BEFORE)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--articles", type=int, default=1000, help="recombined articles")
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=WORKLOADS)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workload", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.workload, args.articles, args.out)))
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"before": unpack(args.before, Path(tmp) / "before"), "after": REPO}
        for workload in args.workloads:
            best: dict[str, float] = {}
            n = 0
            for _ in range(args.rounds):
                for name, tree in trees.items():
                    r = run(tree, workload, args.articles, Path(tmp) / f"{name}-{workload}.jsonl")
                    best[name] = min(best.get(name, float("inf")), r["seconds"])
                    n = r["articles"]
            same = ((Path(tmp) / f"before-{workload}.jsonl").read_bytes()
                    == (Path(tmp) / f"after-{workload}.jsonl").read_bytes())
            rows.append({"workload": workload, "articles": n,
                         "before_articles_per_s": round(n / best["before"], 1),
                         "after_articles_per_s": round(n / best["after"], 1),
                         "speedup": round(best["before"] / best["after"], 2),
                         "identical_output": same})
            print(json.dumps(rows[-1]), flush=True)
    print(f"\n(articles per CPU second, one core; best of {args.rounds} rounds; before = {args.before})")
    print("| workload | articles | before art/s | after art/s | speed-up | identical output |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['workload']} | {r['articles']} | {r['before_articles_per_s']} | "
              f"{r['after_articles_per_s']} | {r['speedup']}x | {r['identical_output']} |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "bench": "analyse_speed", "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"platform": platform.platform(), "python": platform.python_version(),
                        "cpus": os.cpu_count()},
            "before": args.before, "rounds": args.rounds, "results": rows}, indent=2) + "\n",
            encoding="utf-8")
    if not all(r["identical_output"] for r in rows):
        sys.exit("outputs differ between the two trees")


if __name__ == "__main__":
    main()
