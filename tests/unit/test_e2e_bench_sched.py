"""bench/e2e_bench.py's scheduler times (docs/measurements.md, *What limits the settled rate*):
a thread's CPU counts for the process, the main thread's apart, and a child's for the tree.

Each spin runs until its own CPU clock has advanced, so the figures hold at any load."""

import os
import subprocess
import sys
import threading
import time

import pytest

from bench.e2e_bench import cpu_pressure_s, tree_sched_seconds

SPIN_S = 0.2

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="Linux /proc")


def test_a_threads_cpu_counts_for_the_process_and_not_for_its_main_thread():
    spun, done = threading.Event(), threading.Event()

    def spin() -> None:  # then stays alive: an ended thread's times leave /proc with it
        start = time.thread_time()
        while time.thread_time() - start < SPIN_S:
            pass
        spun.set()
        done.wait()

    worker = threading.Thread(target=spin)
    before = tree_sched_seconds(os.getpid())
    worker.start()
    try:
        assert spun.wait(60)
        after = tree_sched_seconds(os.getpid())
    finally:
        done.set()
        worker.join()
    assert after["run_s"] - before["run_s"] >= SPIN_S * 0.95
    assert after["main_run_s"] - before["main_run_s"] < SPIN_S / 2  # the main thread waited
    assert after["runnable_s"] >= before["runnable_s"] >= 0


def test_a_childs_cpu_counts_for_the_tree():
    code = ("import sys, time\nt = time.process_time()\n"
            f"while time.process_time() - t < {SPIN_S}: pass\n"
            "print('spun', flush=True)\nsys.stdin.read()\n")
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "spun"
        tree, own = tree_sched_seconds(os.getpid()), tree_sched_seconds(child.pid)
        assert own["run_s"] >= SPIN_S * 0.95
        assert tree["run_s"] >= own["run_s"]
    finally:
        child.kill()
        child.wait()


def test_a_gone_process_has_no_times_and_the_pressure_only_grows():
    assert tree_sched_seconds(2**22 + 1)["run_s"] == 0.0  # above Linux's largest pid
    first = cpu_pressure_s()
    if first is None:
        pytest.skip("no /proc/pressure/cpu (PSI off)")
    second = cpu_pressure_s()
    assert second is not None and second >= first
