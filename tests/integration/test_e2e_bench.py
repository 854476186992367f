"""A smoke run of bench/e2e_bench.py (165 articles through `newsline up`), so that the
end-to-end benchmark cannot rot: every article produced must become visible in DuckDB, and each
figure the README quotes must be computed."""

import json
import subprocess
import sys

from tests.conftest import ROOT


def test_e2e_bench_gets_every_article_through_the_stack_and_measures_it(tmp_path):
    out = tmp_path / "e2e.json"
    subprocess.run([sys.executable, "bench/e2e_bench.py", "--workload", "dense", "--warmup", "5",
                    "--phases", "20:3,max:100", "--inprocess", "10", "--profile", "2",
                    "--timeout", "240", "--json", str(out)],
                   cwd=ROOT, check=True, capture_output=True, timeout=420)
    result = json.loads(out.read_text())
    start, steady, burst = result["phases"]
    assert start["warmup"]["visible"] == 5
    assert (steady["articles"], steady["visible"]) == (60, 60)
    assert (burst["articles"], burst["visible"]) == (100, 100)
    for phase in (steady, burst):
        lat = phase["latency_s"]
        assert 0 < lat["p50"] <= lat["p95"] <= lat["max"]
        assert phase["settled_per_s"] > 0 and phase["backlog"][-1]["backlog"] == 0
        assert phase["cpu_s"]["worker"] > 0 and phase["cpu_s"]["sink"] > 0
    assert steady["rate"] == 20 and 12 < steady["produced_per_s"] < 25
    assert burst["profile"]["worker"]["samples"] > 0
    assert "analysis" in burst["profile"]["worker"]["stages_pct"]
    assert result["inprocess"]["articles"] == 10 and result["e2e_over_inprocess"] > 0
    assert 0 < result["inprocess_cpu_over_e2e_cpu"] < 5
