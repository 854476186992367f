"""`newsline up` past its restart budget: a worker killed six times in a minute stops the stack."""

import os
import signal
import subprocess
import time

import pytest

from tests.integration.conftest import RunningStack

pytestmark = pytest.mark.integration


def worker_pid(stack: RunningStack, other_than: int | None = None, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(["pgrep", "-P", str(stack.proc.pid), "-f", "newsline.cli worker"],
                             capture_output=True, text=True)
        pids = [int(p) for p in out.stdout.split() if int(p) != other_than]
        if pids:
            return pids[0]
        time.sleep(0.1)
    raise AssertionError(f"no worker restarted\n{stack.logs()}")


def test_up_restarts_a_killed_worker_five_times_then_stops_everything_with_status_1(tmp_path):
    s = RunningStack(tmp_path).start()
    try:
        pid = worker_pid(s)
        for restart in range(5):
            os.kill(pid, signal.SIGKILL)
            pid = worker_pid(s, other_than=pid)  # restarted, as promised
            assert s.proc.poll() is None, restart
        os.kill(pid, signal.SIGKILL)  # the sixth death within the minute
        assert s.proc.wait(timeout=60) == 1
        log = (tmp_path / "up.log").read_text(errors="replace")
        assert "giving up" in log and log.count("restarting it") == 5
        left = subprocess.run(["pgrep", "-g", str(s.proc.pid)], capture_output=True, text=True)
        assert left.stdout.split() == [], "children left running after up gave up"
        assert not (tmp_path / "newsline.json").exists()
    finally:
        s.stop()
