"""The supervisor of `newsline up`: dead children restarted, at most five in a minute."""

import contextlib
import os
import signal
import subprocess
import sys
import time

import pytest

import newsline.stack as stack_module
from newsline.settings import Settings
from newsline.stack import Stack, StallWatch
from processors.worker.stall import tree_cpu_wanted


class Child:
    """A stand-in for a child process: dead (an exit code) or running (None)."""

    def __init__(self, returncode=None):
        self.returncode = returncode

    def poll(self):
        return self.returncode


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(stack_module.time, "monotonic", lambda: now[0])
    return now


@pytest.fixture
def stack(tmp_path, monkeypatch):
    started = []

    def child(args, log_path, env):
        started.append(args)
        return Child(returncode=None)

    monkeypatch.setattr(stack_module, "_child", child)
    s = Stack(Settings(data_dir=tmp_path))
    s.spawn(["worker"], tmp_path / "w.log", {})
    s.spawn(["sink"], tmp_path / "s.log", {})
    s.started = started
    return s


def kill(stack, index):
    stack.children[index].returncode = -9


def test_a_dead_child_is_restarted_with_its_own_arguments(stack, clock):
    kill(stack, 1)
    assert stack.supervise()
    assert stack.started == [["worker"], ["sink"], ["sink"]]
    assert stack.children[1].poll() is None
    assert stack.supervise() and len(stack.started) == 3  # nothing else died: nothing restarted


def test_five_restarts_in_a_minute_are_allowed_the_sixth_gives_up(stack, clock):
    for i in range(5):
        kill(stack, i % 2)
        assert stack.supervise(), i
        clock[0] += 10  # five deaths within 50 s
    kill(stack, 0)
    assert not stack.supervise()
    assert len(stack.started) == 2 + 5  # the sixth was not restarted


def test_the_budget_is_per_minute(stack, clock):
    for _ in range(5):
        kill(stack, 0)
        assert stack.supervise()
        clock[0] += 13  # 65 s for five deaths: the first has left the window by the sixth
    kill(stack, 0)
    assert stack.supervise()


def test_nothing_is_restarted_while_stopping(stack, clock):
    stack.stopping = True
    kill(stack, 0)
    assert stack.supervise() and len(stack.started) == 2


def test_cluster_ids_never_start_with_a_dash_that_the_storage_tool_would_read_as_an_option():
    from unittest import mock

    from newsline.broker import new_cluster_id

    # uuid bytes whose base64 starts with '-' (0xf8 -> '-' in the URL-safe alphabet), then not
    draws = iter([b"\xf8" + bytes(15), b"\x00" + bytes(15)])
    with mock.patch("newsline.broker.uuid.uuid4", side_effect=lambda: mock.Mock(bytes=next(draws))):
        assert new_cluster_id() == "A" * 22
    ids = [new_cluster_id() for _ in range(2000)]
    assert all(len(i) == 22 and not i.startswith("-") for i in ids)


WORKER = """
import subprocess, sys, time
subprocess.Popen([sys.executable, "-c", sys.argv[1]])
time.sleep(30)
"""
BUSY = """
import sys, time
print("ready", flush=True)
t = time.monotonic()
while time.monotonic() - t < 8:
    pass
"""
IDLE = """
import sys, time
print("ready", flush=True)
time.sleep(8)
"""


def a_worker_whose_child(code):
    """A process that only waits, as the worker does on its analysis processes, and a child
    that runs `code` (busy or idle); returned once the child runs."""
    worker = subprocess.Popen([sys.executable, "-c", WORKER, code], stdout=subprocess.PIPE,
                              text=True)
    assert worker.stdout.readline().strip() == "ready"
    return worker


def stop(worker):
    for pid in tree_cpu_wanted(worker.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    worker.wait()


@pytest.fixture
def stuck_offsets(monkeypatch):
    """Every watched partition has records after a committed offset that never moves."""
    monkeypatch.setattr(stack_module, "group_positions", lambda *_: {0: (5, 10)})


@pytest.mark.parametrize(("child", "alarm"), [(BUSY, False), (IDLE, True)])
def test_the_stall_watch_counts_the_workers_analysis_processes(stuck_offsets, child, alarm):
    worker = a_worker_whose_child(child)
    try:
        watch = StallWatch("unused:9092", patience_s=1.0, busy_cpu_s=0.2)
        before = sum(tree_cpu_wanted(worker.pid).values())
        assert watch.stalled(worker.pid) is None  # the waiting records are noted
        time.sleep(2.0)  # past the patience
        # On a loaded machine the busy child may not have had its 0.2 s of CPU yet: wait for
        # it (an idle child never gets it), so the verdict depends on what was done, not on
        # the machine's load in those 2 s.
        deadline = time.monotonic() + 60
        while sum(tree_cpu_wanted(worker.pid).values()) - before < 0.3 and not alarm \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        assert tree_cpu_wanted(worker.pid)[worker.pid] < 0.2  # the worker itself: next to nothing
        stuck = watch.stalled(worker.pid)
    finally:
        stop(worker)
    assert stuck == ("newsline.articles.raw:0" if alarm else None)


def test_the_tree_cpu_stays_counted_when_a_process_is_gone(monkeypatch):
    trees = iter([{1: 1.0, 2: 5.0}, {1: 1.5}, {1: 1.5, 3: 0.5}])
    monkeypatch.setattr(stack_module, "tree_cpu_wanted", lambda _pid: next(trees))
    watch = StallWatch("unused:9092")
    assert [watch.work_cpu_s(1) for _ in range(3)] == [6.0, 6.5, 7.0]


def test_a_worker_starved_of_cpu_raises_no_alarm(stuck_offsets, monkeypatch):
    """A worker that waits on a run queue (a loaded machine) wants CPU: not a stall, however
    little it ran (the watch counted CPU used only, as the worker's own watch did until it gave
    up on starved workers at a load of 17 to 25)."""
    wanted = iter([0.0, 5.0, 10.0])  # used or waited for: 5 s per look
    monkeypatch.setattr(stack_module, "tree_cpu_wanted", lambda _pid: {1: next(wanted)})
    watch = StallWatch("unused:9092", patience_s=0.05, busy_cpu_s=2.0)
    assert watch.stalled(1) is None
    time.sleep(0.06)
    assert watch.stalled(1) is None
