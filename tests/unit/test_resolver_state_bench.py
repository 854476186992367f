"""Smoke run of the resolver memory bench, and its `--resume`: a run stopped half-way and
resumed leaves the store a straight run leaves (what lets the 1M-article run span sittings)."""

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def bench(tmp_path: Path, store: str, sizes: str, *extra: str) -> list[dict]:
    out = subprocess.run(
        [sys.executable, "bench/resolver_state_bench.py", "--pool", "60", "--largest", "25",
         "--sizes", sizes, "--stream-articles", "150", "--modes", "store", "--no-restart",
         "--cache", str(tmp_path), "--store", str(tmp_path / store), *extra],
        cwd=ROOT, check=True, capture_output=True, text=True, timeout=600).stdout
    return [json.loads(x) for x in out.splitlines() if x.startswith('{"mode"')]


def tables(path: Path) -> dict[str, list]:
    con = sqlite3.connect(path)
    try:
        out = {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall())  # noqa: S608
               for t in ("versions", "statuses", "events", "owners", "event_sources")}
        out["source_offset"] = con.execute("SELECT source_offset FROM position").fetchall()
        return out
    finally:
        con.close()


def test_a_resumed_run_goes_on_after_the_store_position_and_ends_where_a_straight_run_does(
        tmp_path):
    straight = bench(tmp_path, "straight.sqlite", "150")
    assert [r["articles"] for r in straight] == [150] and "resumed_from" not in straight[0]
    assert all(ms >= 0 for ms in straight[0]["full_gc_ms"])  # the collector's passes, timed

    first = bench(tmp_path, "resumed.sqlite", "70", "--gc-threshold", "1,1,1")
    assert [r["articles"] for r in first] == [70]
    assert first[0]["full_gc_ms"], "a full pass every few allocations, none timed"
    second = bench(tmp_path, "resumed.sqlite", "50,100,150", "--resume")
    # 50 was folded by the first run: only the sizes past the resume point are measured
    assert [(r["articles"], r["resumed_from"]) for r in second] == [(100, 70), (150, 70)]

    resumed, whole = tables(tmp_path / "resumed.sqlite"), tables(tmp_path / "straight.sqlite")
    assert whole["source_offset"] == [(149,)] and len(whole["versions"]) == 150
    assert resumed == whole
