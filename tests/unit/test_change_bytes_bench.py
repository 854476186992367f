"""Smoke run of bench/change_bytes.py (bytes per article the resolver writes, per slice), and its
byte counting of whole event lists."""

import json
import subprocess
import sys
from pathlib import Path

from bench.change_bytes import list_bytes

ROOT = Path(__file__).resolve().parents[2]


def test_list_bytes_counts_the_mention_ids_and_sources_lists_anywhere():
    doc = {"data": {"event": {"mention_ids": ["a", "b"], "sources": ["u"], "summary": "x"}},
           "changes": [{"mention_ids": []}]}
    assert list_bytes(doc) == len('["a","b"]') + len('["u"]') + len("[]")


def test_the_command_reports_each_slice(tmp_path):
    out = tmp_path / "bytes.json"
    subprocess.run(
        [sys.executable, "bench/change_bytes.py", "--pool", "60", "--largest", "25",
         "--sizes", "40,80", "--cache", str(tmp_path), "--json", str(out)],
        cwd=ROOT, check=True, capture_output=True, text=True, timeout=600)
    rows = json.loads(out.read_text())["rows"]
    assert [r["slice"] for r in rows] == [[0, 40], [40, 80]]
    for r in rows:
        assert r["journal_kb_per_article"] > r["journal_events_kb_per_article"] > 0
        assert r["changes_kb_per_article"] > 0 and r["store_written_kb_per_article"] > 0
        assert r["change_messages_per_article"] >= r["event_changes_per_article"] \
            >= r["events_touched_per_article"] > 0
        assert 0 < r["changes_lists_share"] < 1 and r["cpu_ms_per_article"] > 0
