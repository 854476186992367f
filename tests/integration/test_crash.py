"""Crashes: kill -9 of a worker, of the sink, of the whole stack. Nothing acknowledged is lost."""

import json
import signal
import subprocess
import time

import pytest

from tests.conftest import EXAMPLES
from tests.integration.conftest import RunningStack

pytestmark = pytest.mark.integration


def pids_of(pattern: str) -> list[int]:
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def status(stack: RunningStack) -> dict:
    return json.loads(stack.cli("status", "--data-dir", str(stack.data_dir), "--json",
                                check=False).stdout)


def wait_for_timeline(stack: RunningStack, expected: list, timeout: float = 180,
                      not_epoch: str | None = None) -> list:
    """Poll until the analysts' timeline equals `expected` (from a log other than `not_epoch`)."""
    deadline = time.monotonic() + timeout
    events = []
    while time.monotonic() < deadline:
        if not_epoch is None or status(stack).get("log_epoch") not in (None, not_epoch):
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
    finally:
        s.stop()


def test_kill9_of_the_whole_stack_then_restart_gives_the_clean_timeline(tmp_path, reference):
    s = RunningStack(tmp_path).start()
    post_all(s)
    assert s.timeline() == reference
    old_epoch = status(s)["log_epoch"]
    s.stop(signal.SIGKILL)  # broker (memory-only), API, worker and sink all die at once
    (tmp_path / "newsline.json").unlink(missing_ok=True)
    s2 = RunningStack(tmp_path).start()
    try:
        assert s2.timeline() == reference  # the last snapshot stays readable during the rebuild
        after = wait_for_timeline(s2, reference, not_epoch=old_epoch)
        assert after == reference, s2.logs()
        report = status(s2)
        assert report["log_epoch"] != old_epoch and report["counts"]["articles"] == 9
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
