"""The fault campaign's harness: a news-like workload, producers that remember every 2xx, faults,
an analyst holding the DuckDB file open, and the checks.

What "equals a clean run" means here. The resolver's output depends on the order in which it sees
articles (measured with `bench/dense_workload.py`: shuffling 377 articles changed 49 statuses),
and with four raw partitions that order differs between any two runs, faults or not. So the
reference is the fault-free resolver run over the same analysed log, in its order: the pure
`apply_article` folds the analysed topic from offset 0 and the real sink code projects the
changes into a fresh DuckDB file. A crash that lost or doubled state, a change sent twice or a
projection written twice shows as a difference.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import httpx
from kafka import KafkaConsumer, TopicPartition

from bench.dense_workload import raw_pool
from ingest.client import Client
from newsline.broker import free_port, wait_for_port
from newsline.kafka_admin import group_positions, high_watermarks
from processors.resolution.fold import TimelineState, apply_article, change_envelopes
from processors.store.project import fold
from processors.store.sink import apply_batch, decode_changes, open_writer
from schemas.articles import ARTICLE_ANALYSED
from schemas.codec import Rejection, decode, encode
from schemas.topics import TOPICS
from tests.conftest import ROOT
from tests.integration.conftest import RunningStack

# The projections compared with the reference, and their keys.
TABLES = {"articles": "version_id", "mentions": "mention_id", "events": "event_id",
          "event_mentions": "event_id, mention_id"}


def workload(articles: int, seed: int = 16) -> list[dict[str, Any]]:
    """About `articles` news articles plus their syndicated copies (about 15%) and updates of the
    same URL (about 5%), in stories of at most five articles over half a year."""
    return raw_pool(seed, articles, weeks=26, largest=5)


def pids_of(pattern: str) -> list[int]:
    """Processes whose command line contains `pattern` (a test's own data folder)."""
    out = subprocess.run(["pgrep", "-f", "--", pattern], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


class ApiProcess:
    """`newsline api` on a fixed port (the compose `api` service), killed and restarted at will."""

    def __init__(self, data_dir: Path, token: str = "campaign-token") -> None:
        self.data_dir, self.token = data_dir, token
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, bootstrap: str) -> ApiProcess:
        env = {**os.environ, "NEWSLINE_TOKENS": self.token}
        log = (self.data_dir / "api.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "newsline.cli", "api", "--data-dir", str(self.data_dir),
             "--bootstrap-servers", bootstrap, "--api-port", str(self.port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        # It binds at once, broker or not (`ingest/publisher.py` connects on the first POST).
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"the API exited with {self.proc.returncode}\n"
                                     f"== api.log\n{self.log_tail()}")
            try:
                wait_for_port("127.0.0.1", self.port, 1)
                return self
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"the API did not answer on {self.url} in 60 s\n"
                                         f"== api.log\n{self.log_tail()}") from None

    def log_tail(self) -> str:
        path = self.data_dir / "api.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else "(no api.log)"

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)


@dataclass(eq=False)
class Poster(threading.Thread):
    """Posts `docs` in batches through the API, each batch again until it gets a 2xx, and keeps
    what every 2xx said. A batch that got no answer may have been published: at-least-once."""

    api: ApiProcess
    docs: list[dict[str, Any]]
    batch: int = 10
    pause_s: float = 0.0
    accepted: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        threading.Thread.__init__(self, daemon=True)

    def run(self) -> None:
        client = Client(self.api.url, self.api.token, retries=3, timeout=30)
        for i in range(0, len(self.docs), self.batch):
            items = self.docs[i:i + self.batch]
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                try:
                    result = client.post(items)
                except ConnectionError as exc:
                    self.failures.append(str(exc))
                    time.sleep(1)
                    continue
                if result.rejected:
                    self.failures.append(json.dumps(result.rejected[0]["errors"])[:300])
                    if any(e["path"] != "(request)" for r in result.rejected for e in r["errors"]):
                        raise AssertionError(f"a valid article was rejected: {result.rejected}")
                    time.sleep(1)
                    continue
                self.accepted.extend(result.accepted)
                break
            else:
                raise AssertionError("a batch got no 2xx in 10 minutes")
            if self.pause_s:
                time.sleep(self.pause_s)


ANALYST = """
import json, signal, sys, time
import duckdb
path, out = sys.argv[1], sys.argv[2]
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
while True:  # wait for the sink's first publish, then hold one session open to the end
    try:
        con = duckdb.connect(path, read_only=True)
        break
    except duckdb.Error:
        time.sleep(0.5)
queries, errors = 0, []
while not stop:
    try:
        con.execute("SELECT count(*), max(known_at) FROM articles").fetchall()
        queries += 1
    except duckdb.Error as exc:
        errors.append(repr(exc))
    time.sleep(0.5)
json.dump({"queries": queries, "errors": errors}, open(out, "w"))
"""


class Analyst:
    """Another process with one DuckDB session on the analysts' file, open from the first publish
    to the end of the test, querying it twice a second (in this process a second connection to
    the same path would share the first one's database instance, so it must be another)."""

    def __init__(self, path: Path) -> None:
        self.report = path.parent / "analyst.json"
        self.proc = subprocess.Popen([sys.executable, "-c", ANALYST, str(path), str(self.report)],
                                     start_new_session=True)

    def finish(self) -> dict[str, Any]:
        """Stop the session; its number of queries and its errors."""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        return dict(json.loads(self.report.read_text()))


def published_offset(path: Path) -> int:
    """The changelog offset the analysts' file is projected up to."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute("SELECT max(next_offset) FROM sink_offsets").fetchone()
        return int(row[0]) if row and row[0] is not None else 0
    finally:
        con.close()


def caught_up(stack: RunningStack) -> bool:
    """Every raw and analysed record committed by the processors, every change in the file."""
    bootstrap = stack.info["bootstrap_servers"]
    for role in ("raw", "analysed"):
        for committed, end in group_positions(bootstrap, "newsline", TOPICS[role].name).values():
            if committed < end:
                return False
    end = sum(high_watermarks(bootstrap, TOPICS["changelog"].name).values())
    return stack.data_dir.joinpath("newsline.duckdb").exists() and \
        published_offset(stack.data_dir / "newsline.duckdb") >= end


def wait_caught_up(stack: RunningStack, timeout: float = 300) -> float:
    """Seconds until `caught_up` held twice in a row, 2 s apart; the logs on a timeout."""
    started = time.monotonic()
    streak = 0
    while time.monotonic() - started < timeout:
        try:
            streak = streak + 1 if caught_up(stack) else 0
        except Exception:  # a broker restarting, a file being replaced: look again
            streak = 0
        if streak >= 2:
            return time.monotonic() - started
        time.sleep(2)
    raise AssertionError(f"not caught up after {timeout:.0f}s\n{stack.logs()}")


def read_topic(bootstrap: str, topic: str) -> list[tuple[int, bytes | None, bytes]]:
    """Every record of a one-partition topic, from offset 0: (offset, key, value)."""
    tp = TopicPartition(topic, 0)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             client_id="newsline-campaign", max_partition_fetch_bytes=20 << 20,
                             fetch_max_bytes=50 << 20)
    try:
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        end = consumer.end_offsets([tp])[tp]
        out: list[tuple[int, bytes | None, bytes]] = []
        deadline = time.monotonic() + 120
        while (not out or out[-1][0] < end - 1) and end and time.monotonic() < deadline:
            for msgs in consumer.poll(timeout_ms=500).values():
                out.extend((m.offset, m.key, m.value) for m in msgs)
        return out
    finally:
        consumer.close()


def reference_database(bootstrap: str, path: Path) -> duckdb.DuckDBPyConnection:
    """The projections a fault-free resolver and sink make of the analysed log as it stands."""
    state = TimelineState()
    records: list[tuple[int, bytes]] = []
    for _, _, value in read_topic(bootstrap, TOPICS["analysed"].name):
        env = decode(value, expected=ARTICLE_ANALYSED)
        if isinstance(env, Rejection):
            continue
        art = env.data
        t = apply_article(state, art)
        for out in change_envelopes(t.changes, art.version_id):
            records.append((len(records), encode(out)))
    path.unlink(missing_ok=True)
    Path(f"{path}.wal").unlink(missing_ok=True)
    con = open_writer(path)
    if records:
        apply_batch(con, fold(decode_changes(records)), topic=TOPICS["changelog"].name,
                    epoch="reference")
    return con


def rows(con: duckdb.DuckDBPyConnection, table: str, order: str) -> list[tuple[Any, ...]]:
    return con.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()


def check_against_reference(stack: RunningStack, accepted: list[dict[str, Any]],
                            workdir: Path) -> dict[str, Any]:
    """Every projection equals the reference's, every 2xx article is there exactly once, no
    change is in the changelog twice. Returns counts for the report."""
    bootstrap = stack.info["bootstrap_servers"]
    ref = reference_database(bootstrap, workdir / "reference.duckdb")
    got = duckdb.connect(str(stack.data_dir / "newsline.duckdb"), read_only=True)
    try:
        report: dict[str, Any] = {}
        for table, order in TABLES.items():
            a, b = rows(got, table, order), rows(ref, table, order)
            report[table] = len(a)
            assert a == b, f"{table}: {len(a)} rows, reference {len(b)}; first difference " \
                           f"{next(((x, y) for x, y in zip(a, b, strict=False) if x != y), None)}"
        ids = [a["id"] for a in accepted]
        present = dict(got.execute(
            "SELECT version_id, count(*) FROM articles GROUP BY version_id").fetchall())
        missing = sorted(set(ids) - set(present))
        assert not missing, f"{len(missing)} accepted articles missing, e.g. {missing[:5]}"
        recorded = dict(got.execute(
            "SELECT subject, count(*) FROM changelog WHERE type = 'org.newsline.article.version-recorded' "
            "GROUP BY subject").fetchall())
        doubled = {i: n for i, n in recorded.items() if n != 1}
        assert not doubled, f"article versions recorded more than once: {list(doubled.items())[:5]}"
        changes = got.execute("SELECT count(*), count(DISTINCT change_id) FROM changelog").fetchone()
        assert changes is not None and changes[0] == changes[1], f"changes doubled: {changes}"
        report["accepted"] = len(set(ids))
        report["changes"] = changes[0]
        return report
    finally:
        got.close()
        ref.close()


@dataclass
class Faults:
    """kill -9 of each part of a running stack; `newsline up` restarts worker, sink and broker."""

    stack: RunningStack
    api: ApiProcess
    rng: random.Random
    done: list[tuple[float, str]] = field(default_factory=list)

    def _kill(self, pattern: str, wait_s: float = 90) -> None:
        # The process may be down and not yet restarted: a worker exits when its broker is gone,
        # and `newsline up` restarts the broker first (about 30 s under heavy load).
        deadline = time.monotonic() + wait_s
        while not (pids := pids_of(pattern)) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert pids, f"nothing matches {pattern} after {wait_s:.0f} s"
        for pid in pids:
            os.kill(pid, signal.SIGKILL)

    def worker(self) -> None:
        self._kill(f"newsline.cli worker --data-dir {self.stack.data_dir} ")

    def sink(self) -> None:
        self._kill(f"newsline.cli sink --data-dir {self.stack.data_dir} ")

    def broker(self) -> None:
        self._kill(f"{self.stack.data_dir}/kafka/log4j2.properties")

    def api_process(self) -> None:
        self.api.kill()
        self.api.start(self.stack.info["bootstrap_servers"])

    def whole_stack(self) -> None:
        self.stack.stop(signal.SIGKILL)
        mine = f"{self.stack.data_dir}/"
        deadline = time.monotonic() + 30
        while pids_of(f"--data-dir {self.stack.data_dir} ") and time.monotonic() < deadline:
            time.sleep(0.2)
        (self.stack.data_dir / "newsline.json").unlink(missing_ok=True)
        assert not pids_of(f"cli worker --data-dir {mine}"), "children outlived newsline up"
        self.stack.start()  # a new broker port: the API follows it
        self.api.kill()
        self.api.start(self.stack.info["bootstrap_servers"])

    def run(self, name: str) -> None:
        self.done.append((time.monotonic(), name))
        getattr(self, name)()


def http_post_once(api: ApiProcess, docs: list[dict[str, Any]]) -> httpx.Response:
    """One POST, no retry: what a producer sees at that instant."""
    return httpx.post(f"{api.url}/articles", json=docs, timeout=60,
                      headers={"Authorization": f"Bearer {api.token}"})
