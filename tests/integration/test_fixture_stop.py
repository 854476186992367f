"""The stack fixture's stop(): a stack that ignores SIGTERM is killed with its process group."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.conftest import RunningStack


def test_stop_kills_a_stack_that_ignores_sigterm(tmp_path):
    s = RunningStack(tmp_path)
    s.log = (tmp_path / "up.log").open("ab")
    # A parent that ignores SIGTERM, with a child in its process group (as the worker would be).
    code = ("import signal, subprocess, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "c = subprocess.Popen([sys.executable, '-c', 'import signal, time; "
            "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)']); "
            "print(c.pid, flush=True); time.sleep(600)")
    s.proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                              start_new_session=True)
    child = int(s.proc.stdout.readline())
    with pytest.raises(AssertionError, match="ignored signal"):
        s.stop(grace_s=1)
    assert s.proc.poll() is not None and s.log.closed
    assert not alive(child), "the child of the hung stack is still running"


def alive(pid: int) -> bool:
    """Running, not gone nor a zombie waiting for a reaper."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return False
        if state in ("Z", "X"):
            return False
        time.sleep(0.05)
    return True
