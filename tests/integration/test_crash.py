"""Crashes: kill -9 of a worker, of the sink, of the whole stack. Nothing acknowledged is lost."""

import json
import re
import signal
import subprocess
import time

import pytest

from tests.conftest import EXAMPLES
from tests.integration.conftest import RunningStack

pytestmark = pytest.mark.integration


def pids_of(pattern: str) -> list[int]:
    out = subprocess.run(["pgrep", "-f", "--", pattern], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def status(stack: RunningStack) -> dict:
    return json.loads(stack.cli("status", "--data-dir", str(stack.data_dir), "--json",
                                check=False).stdout)


def wait_for_timeline(stack: RunningStack, expected: list, timeout: float = 180) -> list:
    """Poll until the analysts' timeline equals `expected`."""
    deadline = time.monotonic() + timeout
    events = []
    while time.monotonic() < deadline:
        events = stack.timeline()
        if events == expected:
            break
        time.sleep(1)
    return events


def post_all(stack: RunningStack, wait: bool = True) -> None:
    args = ["post", str(EXAMPLES / "niger-2023.jsonl"), str(EXAMPLES / "seed-rtl-2023-09-04.json"),
            "--data-dir", str(stack.data_dir)]
    stack.cli(*args, *(["--wait", "--timeout", "300"] if wait else []))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The timeline of a clean run, to compare crashed runs with."""
    s = RunningStack(tmp_path_factory.mktemp("clean")).start()
    try:
        post_all(s)
        return s.timeline()
    finally:
        s.stop()


def test_kill9_of_worker_and_sink_then_an_update_needs_the_recovered_state(tmp_path, reference):
    """The update of the 7 Aug wire arrives after a kill -9: superseding its first version is
    only right if the restarted worker recovered that version from its faust tables."""
    lines = (EXAMPLES / "niger-2023.jsonl").read_text().splitlines()
    update = next(i for i, line in enumerate(lines) if '"updated_at"' in line)
    before = tmp_path / "before.jsonl"
    before.write_text("\n".join(line for i, line in enumerate(lines) if i != update) + "\n")
    after = tmp_path / "after.jsonl"
    after.write_text(lines[update] + "\n" + json.dumps(json.loads(
        (EXAMPLES / "seed-rtl-2023-09-04.json").read_text())) + "\n")
    (tmp_path / "stack").mkdir()
    s = RunningStack(tmp_path / "stack").start()
    try:
        s.cli("post", str(before), "--data-dir", str(s.data_dir), "--wait", "--timeout", "300")
        for role in ("worker", "sink"):
            for pid in pids_of(f"newsline.cli {role} --data-dir {s.data_dir}"):
                subprocess.run(["kill", "-9", str(pid)], check=True)
        s.cli("post", str(after), "--data-dir", str(s.data_dir), "--wait", "--timeout", "300")
        events = wait_for_timeline(s, reference)
        assert events == reference, s.logs()
        ids = [e["event_id"] for e in events]
        assert len(ids) == len(set(ids))
        assert not s.alarms(), s.logs()
    finally:
        s.stop()


def test_kill9_of_the_whole_stack_then_restart_resumes_the_same_log(tmp_path, reference):
    """kill -9 of `newsline up` and its group: the broker, worker and sink die with it (the
    kernel kills children whose parent died). The restarted stack finds its log on disk: same
    cluster, same changelog, the timeline at once, and new articles still resolve against the
    recovered state (the seed joins the events of the Niger articles)."""
    lines = (EXAMPLES / "niger-2023.jsonl").read_text().splitlines()
    niger = tmp_path / "niger.jsonl"
    niger.write_text("\n".join(lines) + "\n")
    (tmp_path / "stack").mkdir()
    s = RunningStack(tmp_path / "stack").start()
    s.cli("post", str(niger), "--data-dir", str(s.data_dir), "--wait", "--timeout", "300")
    before = status(s)
    s.stop(signal.SIGKILL)
    mine = re.escape(str(s.data_dir)) + "[ /]"  # the worker's and sink's args, the broker's
    deadline = time.monotonic() + 30
    while pids_of(mine) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not pids_of(mine), "children outlived newsline up"
    (s.data_dir / "newsline.json").unlink(missing_ok=True)
    s2 = RunningStack(s.data_dir).start()
    try:
        report = status(s2)
        assert report["log_epoch"] == before["log_epoch"], report
        assert report["counts"]["articles"] == before["counts"]["articles"]
        s2.cli("post", str(EXAMPLES / "seed-rtl-2023-09-04.json"), "--data-dir",
               str(s2.data_dir), "--wait", "--timeout", "300")
        after = wait_for_timeline(s2, reference)
        assert after == reference, s2.logs()
        assert "epoch changed" not in (s.data_dir / "logs" / "sink.log").read_text()
        assert not s.alarms() and not s2.alarms(), s2.logs()
    finally:
        s2.stop()


def test_reverse_arrival_order_gives_the_same_timeline(tmp_path, reference):
    lines = (EXAMPLES / "niger-2023.jsonl").read_text().splitlines()
    seed = json.loads((EXAMPLES / "seed-rtl-2023-09-04.json").read_text())
    reversed_file = tmp_path / "reversed.jsonl"
    reversed_file.write_text("\n".join([json.dumps(seed), *reversed(lines)]) + "\n")
    (tmp_path / "stack").mkdir()
    s = RunningStack(tmp_path / "stack").start()
    try:
        s.cli("post", str(reversed_file), "--data-dir", str(s.data_dir), "--batch-size", "1",
              "--wait", "--timeout", "300")
        assert s.timeline() == reference
    finally:
        s.stop()
