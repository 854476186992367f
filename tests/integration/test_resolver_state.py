"""The resolver's state on the real stack: the analysed partition moves between workers, and a
worker is killed -9 again and again, while articles flow; the analysts' tables end equal to a
clean run's (issue 16)."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from bench.dense_workload import raw_pool
from tests.conftest import ROOT
from tests.integration.conftest import RunningStack
from tests.integration.test_crash import pids_of

pytestmark = pytest.mark.integration

RECOVERED = re.compile(r"resolver of \S+ recovered: position (\S+)")


def workload(path: Path) -> Path:
    """150 generated articles of small stories, copies and updates among them. Small stories
    keep every region on the fold's exact path, so any arrival order gives the same tables (as
    checked offline in 4 shuffles; the dense path depends on the order, which two workers
    change)."""
    docs = raw_pool(5, 150, weeks=12, largest=5)
    path.write_text("".join(json.dumps(d, default=str) + "\n" for d in docs))
    return path


def tables(stack: RunningStack) -> dict:
    """What analysts see, without the acceptance times (another run accepts at other times)."""
    con = duckdb.connect(str(stack.data_dir / "newsline.duckdb"), read_only=True)
    try:
        return {
            "articles": con.execute(
                "SELECT version_id, status, superseded_by, duplicate_of, mention_count "
                "FROM articles ORDER BY version_id").fetchall(),
            "mentions": con.execute(
                "SELECT mention_id, version_id FROM mentions ORDER BY mention_id").fetchall(),
            "events": con.execute("SELECT * FROM events ORDER BY event_id").fetchall(),
            "event_mentions": con.execute(
                "SELECT * FROM event_mentions ORDER BY ALL").fetchall(),
            "changes": con.execute(
                "SELECT count(*), count(DISTINCT change_id) FROM changelog").fetchone(),
        }
    finally:
        con.close()


def diff(got: dict, expected: dict) -> str:
    out = []
    for k, want in expected.items():
        have = got.get(k)
        if have != want and k != "changes":
            a, b = set(map(repr, want)), set(map(repr, have or []))
            out.append(f"{k}: only in the clean run {sorted(a - b)[:3]}, "
                       f"only here {sorted(b - a)[:3]}")
    return "\n".join(out)


def wait_for_tables(stack: RunningStack, expected: dict, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    got: dict = {}
    while time.monotonic() < deadline:
        try:
            got = tables(stack)
        except duckdb.Error:
            got = {}
        if {k: v for k, v in got.items() if k != "changes"} == \
                {k: v for k, v in expected.items() if k != "changes"}:
            break
        time.sleep(2)
    return got


@pytest.fixture(scope="module")
def articles(tmp_path_factory):
    return workload(tmp_path_factory.mktemp("workload") / "stories.jsonl")


@pytest.fixture(scope="module")
def clean(tmp_path_factory, articles):
    s = RunningStack(tmp_path_factory.mktemp("clean")).start()
    try:
        s.cli("post", str(articles), "--data-dir", str(s.data_dir), "--wait", "--timeout", "300")
        return tables(s)
    finally:
        s.stop()


def start_worker(stack: RunningStack, name: str) -> subprocess.Popen:
    """An extra `newsline worker` on the stack's broker and data folder (a dynamic member)."""
    log = (stack.data_dir / "logs" / f"{name}.log").open("ab")
    env = {**os.environ, "NEWSLINE_WORKER_INSTANCE": "", "NEWSLINE_WORKER_LOG_LEVEL": "info"}
    return subprocess.Popen(
        [sys.executable, "-m", "newsline.cli", "worker", "--bootstrap-servers",
         stack.info["bootstrap_servers"], "--data-dir", str(stack.data_dir)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def diagnosis(stack: RunningStack) -> str:
    """What the workers said about a stall: withheld records, partitions not committing (with
    the consumer's view and where the agents wait), a blocked event loop."""
    marks = ("not acknowledged", "not committing", "agent tasks at the stall", "  /",
             "event loop blocked", "no committed offset", "sought back", "stalled partition")
    lines = [f"{p.name}: {line}" for p in sorted((stack.data_dir / "logs").glob("*.log"))
             for line in p.read_text(errors="replace").splitlines()
             if any(m in line for m in marks)]
    up = stack.data_dir / "up.log"
    if up.exists():
        lines += [f"up.log: {line}" for line in up.read_text(errors="replace").splitlines()
                  if "stalled partition" in line]
    return "\n== diagnosis\n" + "\n".join(lines[-80:])


def recoveries(stack: RunningStack) -> dict[str, int]:
    """Per worker log, how many times it recovered the analysed partition."""
    return {p.name: len(RECOVERED.findall(p.read_text(errors="replace")))
            for p in (stack.data_dir / "logs").glob("*.log")
            if p.name.startswith(("worker", "extra"))}


def holder(stack: RunningStack, extra: dict) -> str | None:
    """The worker whose log last says it recovered the analysed partition (and kept it)."""
    best = None
    for p in (stack.data_dir / "logs").glob("*.log"):
        if not p.name.startswith(("worker", "extra")):
            continue
        text = p.read_text(errors="replace")
        last = max(text.rfind("recovered: position"), -1)
        released = text.rfind("released")
        if last > released and last >= 0:
            name = p.stem
            if name == "worker" or (name in extra and extra[name].poll() is None):
                best = name if best is None else best
    return best


def test_the_analysed_partition_moves_between_workers_under_load(tmp_path, clean, articles,
                                                                    monkeypatch):
    monkeypatch.setenv("NEWSLINE_WORKER_INSTANCE", "")  # dynamic: a stopped worker leaves at once
    monkeypatch.setenv("NEWSLINE_WORKER_LOG_LEVEL", "info")
    (tmp_path / "stack").mkdir()
    s = RunningStack(tmp_path / "stack").start()
    extra: dict[str, subprocess.Popen] = {}
    poster = None
    try:
        extra["extra-1"] = start_worker(s, "extra-1")
        poster = subprocess.Popen(
            [sys.executable, "-m", "newsline.cli", "post", str(articles), "--data-dir",
             str(s.data_dir), "--batch-size", "3"], cwd=ROOT, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        moved = 0
        for round_ in range(2, 6):
            time.sleep(6)
            who = holder(s, extra)
            waited = time.monotonic() + 60  # under load a worker takes longer to get it
            while who is None and time.monotonic() < waited:
                time.sleep(1)
                who = holder(s, extra)
            if who == "worker":
                for pid in pids_of(f"newsline.cli worker --data-dir {s.data_dir}"):
                    os.kill(pid, signal.SIGTERM)  # the stack starts it again
            elif who in extra:
                extra[who].send_signal(signal.SIGTERM)
                extra[who].wait(timeout=60)
            moved += who is not None
            if sum(p.poll() is None for p in extra.values()) < 1:
                extra[f"extra-{round_}"] = start_worker(s, f"extra-{round_}")
        assert poster.wait(timeout=300) == 0
        got = wait_for_tables(s, clean)
        assert {k: v for k, v in got.items() if k != "changes"} == \
            {k: v for k, v in clean.items() if k != "changes"}, \
            diff(got, clean) + diagnosis(s) + s.logs()
        assert got["changes"][0] == got["changes"][1]
        counts = recoveries(s)
        assert sum(1 for n in counts.values() if n) >= 2, counts  # it did move
        assert moved >= 3
    finally:
        if poster and poster.poll() is None:
            poster.kill()
        for p in extra.values():
            if p.poll() is None:
                p.kill()
                p.wait()
        s.stop()


def test_kill9_of_the_worker_again_and_again_while_articles_flow(tmp_path, clean, articles):
    """kill -9 of the resolving worker every few seconds under load (the stack restarts it):
    every article once, the tables of a clean run, no change id with two contents."""
    (tmp_path / "stack").mkdir()
    s = RunningStack(tmp_path / "stack").start()
    poster = None
    try:
        poster = subprocess.Popen(
            [sys.executable, "-m", "newsline.cli", "post", str(articles), "--data-dir",
             str(s.data_dir), "--batch-size", "3"], cwd=ROOT, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        kills = 0
        for delay in (4, 7, 5, 9):
            time.sleep(delay)
            for pid in pids_of(f"newsline.cli worker --data-dir {s.data_dir}"):
                os.kill(pid, signal.SIGKILL)
                kills += 1
        assert kills >= 3
        assert poster.wait(timeout=300) == 0
        got = wait_for_tables(s, clean)
        assert {k: v for k, v in got.items() if k != "changes"} == \
            {k: v for k, v in clean.items() if k != "changes"}, diff(got, clean) + s.logs()
        assert got["changes"][0] == got["changes"][1]
    finally:
        if poster and poster.poll() is None:
            poster.kill()
        s.stop()
