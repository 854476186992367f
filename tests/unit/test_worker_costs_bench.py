"""bench/worker_costs.py (the worker's CPU per article in docs/measurements.md) runs on today's
code, and its digest is a function of the output only."""

import json
import subprocess
import sys

from bench.worker_costs import raw_records, run
from processors.worker import resolver_state
from tests.conftest import ROOT


def test_two_runs_give_the_same_digest_and_leave_the_resolver_as_it_was():
    fold, apply = resolver_state.apply_article, resolver_state.Store.apply
    raws = raw_records(30, 15)
    first, second = run(raws, None), run(raws, None)
    assert first["digest"] == second["digest"]
    assert first["articles"] == 30 and first["journal_records"] == 30 and first["changes"] > 30
    assert set(first["stages_ms_per_article"]) >= {"analyse", "decode", "resolve", "fold", "store"}
    assert resolver_state.apply_article is fold and resolver_state.Store.apply is apply
    assert run(raws[:29], None)["digest"] != first["digest"]


def test_articles_resolved_in_groups_give_the_same_output():
    """`--group`: the same journal records, changes and store (the digest) as one at a time,
    and the store's steps timed (`begin`, `write`, `commit`) restored after the run."""
    steps = {n: getattr(resolver_state.Store, n) for n in ("begin", "write", "commit", "apply")}
    raws = raw_records(30, 15)
    one, grouped = run(raws, None), run(raws, None, group=8)
    assert grouped["digest"] == one["digest"] and grouped["journal_records"] == 30
    assert grouped["stages_ms_per_article"]["store"] > 0
    assert {n: getattr(resolver_state.Store, n) for n in steps} == steps


def test_statements_are_counted_on_both_databases_with_the_same_output():
    """`--statements`: SQLite statements per article on the store and on the index's temporary
    database, the output unchanged and `sqlite3.connect` restored after the run."""
    import sqlite3

    connect = sqlite3.connect
    raws = raw_records(20, 15)
    plain, counted = run(raws, None, group=10), run(raws, None, group=10, statements=True)
    assert counted["digest"] == plain["digest"]
    per = counted["sqlite_statements_per_article"]
    assert per["store"] > 10 and per["index"] > 1
    assert "sqlite_statements_per_article" not in plain
    assert sqlite3.connect is connect


def test_the_command_writes_its_json(tmp_path):
    out = tmp_path / "costs.json"
    subprocess.run([sys.executable, str(ROOT / "bench" / "worker_costs.py"), "--articles", "12",
                    "--json", str(out)], check=True, capture_output=True, cwd=ROOT)
    figures = json.loads(out.read_text())
    assert figures["articles"] == 12 and figures["cpu_ms_per_article"] > 0
