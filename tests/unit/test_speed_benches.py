"""Smoke runs of the sink and analysis-speed benchmarks, so that they cannot rot."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_sink_bench_runs_and_publishes_by_catch_up(tmp_path):
    out = tmp_path / "sink.json"
    subprocess.run([sys.executable, "bench/sink_bench.py", "--sizes", "3000", "--batches", "3",
                    "--batch", "50", "--naive-events", "20", "--json", str(out)],
                   cwd=ROOT, check=True, capture_output=True, timeout=600)
    result = json.loads(out.read_text())["results"][0]
    assert result["events"] == 3000
    assert result["publish_how"] == ["copy", "copy", "catch-up", "catch-up"]
    assert result["restart_publish_how"] == "catch-up"  # a restart copies nothing
    assert result["batched_rows_per_s"] > 0 and result["naive_rows_per_s"] > 0
    assert result["fold_publish_how"] == "catch-up" and result["folds"] == 1
    assert result["changes_between_folds"] > 0


def test_sink_statements_bench_times_a_catch_up_and_a_fold(tmp_path):
    out = tmp_path / "statements.json"
    subprocess.run([sys.executable, "bench/sink_statements.py", "--sizes", "3000", "--rounds",
                    "2", "--batch", "50", "--json", str(out)],
                   cwd=ROOT, check=True, capture_output=True, timeout=600)
    result = json.loads(out.read_text())["results"][0]
    assert result["events"] == 3000 and result["fold_cpu_s"] > 0
    assert any("CHECKPOINT" in sql for sql in result["statements"])



def test_writer_bench_times_both_sides_and_defers_the_stored_sources(tmp_path):
    out = tmp_path / "writer.json"
    subprocess.run([sys.executable, "bench/writer_bench.py", "--sizes", "2000", "--batches", "2",
                    "--articles", "5", "--before", "HEAD", "--json", str(out)],
                   cwd=ROOT, check=True, capture_output=True, timeout=600)
    results = json.loads(out.read_text())["results"]
    assert [r["side"] for r in results] == ["before", "after"]
    after = results[1]
    assert after["changes_per_batch"] == 5 * 16 and after["batch_median_s"] > 0
    assert any("events_pending" in sql for sql in after["statements_median_s"])
    assert not any("events_before" in sql for sql in after["statements_median_s"])


def test_sources_options_bench_times_the_reads_and_the_analysts_views(tmp_path):
    out = tmp_path / "sources.json"
    subprocess.run([sys.executable, "bench/sources_options.py", "--sizes", "3000", "--json",
                    str(out)], cwd=ROOT, check=True, capture_output=True, timeout=600)
    result = json.loads(out.read_text())["results"][0]
    assert result["size"] == 3000 and result["reads_s"]["by_key"] > 0
    assert set(result["analysts_s"]) == {"replicas", "merged_at_read"}

def test_analyse_speed_bench_finds_the_outputs_identical(tmp_path):
    out = tmp_path / "analyse.json"
    # Against the last commit: the bench's default revision (be4762f) analyses articles as they
    # were before mentions carried predicates and anchors (issue 12), so outputs differ there.
    subprocess.run([sys.executable, "bench/analyse_speed.py", "--workloads", "examples",
                    "--rounds", "1", "--before", "HEAD", "--json", str(out)],
                   cwd=ROOT, check=True, capture_output=True, timeout=600)
    result = json.loads(out.read_text())["results"][0]
    assert result["identical_output"] is True and result["articles"] == 9


def test_storage_bench_compares_the_snapshot_and_the_parquet_designs():
    done = subprocess.run([sys.executable, "bench/storage_bench.py", "--sizes", "3000",
                           "--files", "5"], cwd=ROOT, check=True, capture_output=True, text=True,
                          timeout=600)
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    assert any(r.startswith("| A snapshot | 3,000") for r in rows)
    assert any(r.startswith("| B parquet log | 3,000") for r in rows)


def test_sink_costs_bench_times_the_write_and_the_publish():
    done = subprocess.run([sys.executable, "bench/sink_costs.py", "--articles", "60",
                           "--per-batch", "10"], cwd=ROOT, check=True, capture_output=True,
                          text=True, timeout=600)
    costs = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert any("cpu_ms_per_article" in c and c["cpu_ms_per_article"]["write"] > 0 for c in costs)


def test_sink_memory_bench_samples_the_sink_as_it_runs(tmp_path):
    out = tmp_path / "sink-memory.json"
    subprocess.run([sys.executable, "bench/sink_memory.py", "--articles", "40", "--every", "10",
                    "--json", str(out)], cwd=ROOT, check=True, capture_output=True, text=True,
                   timeout=600)
    figures = json.loads(out.read_text())
    assert [s["articles"] for s in figures["samples"]] == [0, 10, 20, 30, 40]
    last = figures["samples"][-1]
    assert last["rss_mb"] > 0 and last["files_mb"] > 0
    assert last["kept_changes"] < figures["changes"]  # trimmed to what a replica still needs
