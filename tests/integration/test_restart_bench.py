"""A smoke run of bench/restart_bench.py (20 then 40 distinct articles written straight to the raw
topic, in one stack), so that the restart benchmark cannot rot: at each size the stack catches up,
stops on SIGINT, starts again and catches up without recomputing anything (the same counts in
DuckDB, the changelog included), and a fresh article becomes visible."""

import json
import subprocess
import sys

from tests.conftest import ROOT


def test_restart_bench_resumes_without_recomputing(tmp_path):
    out = tmp_path / "restart.json"
    done = subprocess.run([sys.executable, "bench/restart_bench.py", "--articles", "40",
                           "--steps", "20,40", "--seed", "kafka", "--timeout", "400", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["workload"] == "distinct (seed 1)" and result["articles"] == 40
    assert [step["articles"] for step in result["steps"]] == [20, 40]
    for step, expect in zip(result["steps"], (20, 41), strict=True):  # 41: step 1's fresh one
        first, again = step["status_at_fill_caught_up"], step["status_at_restart_caught_up"]
        for status in (first, again):
            assert set(status["lag"].values()) == {0} and len(status["lag"]) == 3
            assert status["dead_letters"] == 0
        assert first["counts"]["articles"] == expect and first["counts"]["events"] > 0
        # nothing recomputed on restart: every count equal, the sink's changelog too
        assert again["counts"] == first["counts"]
        assert again["log_epoch"] == first["log_epoch"]
        assert step["fill_per_s"] > 0
        assert 0 < step["restart_to_ready_s"] <= step["restart_to_caught_up_s"]
        assert step["restart_to_caught_up_s"] < step["restart_to_fresh_article_visible_s"]
    assert result["restart_to_caught_up_s"] == result["steps"][-1]["restart_to_caught_up_s"]
