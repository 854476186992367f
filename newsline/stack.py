"""`newsline up`: the whole stack in the foreground, on an embedded Kafka broker or a given one.

Processes: this one runs the ingest API; a faust worker (`newsline worker`) runs the processors;
a sink (`newsline sink`) is the single DuckDB writer. The embedded broker, when used, is a child
too. Children run in process groups of their own, so a terminal's Ctrl-C (SIGINT to the
foreground group) reaches this process only, which stops them in order: the API, the processors,
the sink, the broker last. They get SIGKILL from the kernel if this process dies (kill -9).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import uvicorn
from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from ingest.api import create_app
from ingest.publisher import Publisher
from ingest.seen import SeenIndex
from newsline.broker import EmbeddedBroker, die_with_parent, free_port, wait_for_port
from newsline.kafka_admin import (
    commit_unset_offsets,
    consumer_lag,
    ensure_topics,
    group_positions,
    wait_for_group_coordinator,
)
from newsline.settings import Settings
from processors.worker.stall import tree_cpu_wanted
from schemas.topics import TOPICS

log = logging.getLogger(__name__)
ALARM_LINE = "stalled partition"


def log_epoch(bootstrap: str) -> str:
    """Identity of the log: the Kafka cluster's id (a new one only if the cluster is replaced)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="newsline-admin")
    try:
        return f"kafka-{admin.describe_cluster().get('cluster_id') or 'unknown'}"
    finally:
        admin.close()


def _child(args: list[str], log_path: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    out = log_path.open("ab")
    return subprocess.Popen([sys.executable, "-m", "newsline.cli", *args], stdout=out,
                            stderr=subprocess.STDOUT, env=env, preexec_fn=die_with_parent)


def write_runtime(settings: Settings, api_url: str, token: str, bootstrap: str) -> Path:
    """Write DATA_DIR/newsline.json (mode 0600) saying how to reach the running stack."""
    info = {
        "api_url": api_url, "docs_url": f"{api_url}/docs", "token": token,
        "bootstrap_servers": bootstrap,
        "topics": {role: t.name for role, t in TOPICS.items()},
        "duckdb": str(settings.duckdb_path.resolve()), "pid": os.getpid(),
    }
    path = settings.runtime_file
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(info, fh, indent=2)
    os.replace(tmp, path)
    return path


class StallWatch:
    """Notices a worker that holds records it does not process: an alarm, nothing more.

    faust-streaming 0.15.3 could lose a stream record after a restart: delivered right after its
    streams were sought back, then emptied from the agent's queue (`processors/worker/rebalance.py` has
    the cause and the remedy). The partition then sat with records after its committed offset and
    no progress. Since the remedy, this watch only logs an ERROR (`ALARM_LINE`) so that a stall of
    any cause is seen, in the logs and by the tests, instead of being hidden by a restart.

    A stall is both signs at once: a partition's committed offset still for the patience while
    records wait after it, and no work in the worker's process tree over that time (its analysis
    processes count: a worker waiting on them is busy, processors/worker/analysis_pool.py). Work
    is CPU used or waited for (`tree_cpu_wanted`): a worker starved by a loaded machine is not
    stuck (counting CPU used only, this alarm could fire at a load of 17 or more, as the
    worker's own watch did).
    """

    def __init__(self, bootstrap: str, patience_s: float = 30.0, busy_cpu_s: float = 2.0) -> None:
        """Watch group `newsline` on the raw and analysed topics; `busy_cpu_s` of CPU in the
        worker's tree within the patience means it is working, not stuck."""
        self.bootstrap, self.patience_s, self.busy_cpu_s = bootstrap, patience_s, busy_cpu_s
        self.seen: dict[tuple[str, int], tuple[int, float, float]] = {}
        self._cpu_by_pid: dict[int, float] = {}

    def work_cpu_s(self, worker_pid: int) -> float:
        """CPU seconds the worker and its descendants have used or waited for, those gone since
        included (a pool process that died or was replaced does not make the sum go back)."""
        for pid, cpu in tree_cpu_wanted(worker_pid).items():
            self._cpu_by_pid[pid] = max(cpu, self._cpu_by_pid.get(pid, 0.0))
        return sum(self._cpu_by_pid.values())

    def stalled(self, worker_pid: int) -> str | None:
        """A `topic:partition` stuck for longer than the patience while the worker's process
        tree was idle (a worker busy with a huge article, itself or in its analysis processes,
        is not stuck)."""
        worker_cpu_s = self.work_cpu_s(worker_pid)
        asked = time.monotonic()
        positions = {TOPICS[role].name: group_positions(self.bootstrap, "newsline",
                                                        TOPICS[role].name)
                     for role in ("raw", "analysed")}
        now = time.monotonic()
        if now - asked > 5:  # a broker slow to answer (frozen, restarting): nothing could move
            self.seen.clear()
            return None
        for topic, by_partition in positions.items():
            for part, (committed, end) in by_partition.items():
                key = (topic, part)
                if committed >= end:
                    self.seen.pop(key, None)
                    continue
                last = self.seen.get(key)
                if last is None or last[0] != committed:
                    self.seen[key] = (committed, now, worker_cpu_s)
                elif now - last[1] > self.patience_s:
                    if worker_cpu_s - last[2] > self.busy_cpu_s:  # busy: look again later
                        self.seen[key] = (committed, now, worker_cpu_s)
                        continue
                    self.seen.clear()
                    return f"{topic}:{part}"
        return None


class Stack:
    """The running stack and its child processes."""

    def __init__(self, settings: Settings) -> None:
        """Prepare, but start nothing yet."""
        self.settings = settings
        self.broker: EmbeddedBroker | None = None
        self.children: list[subprocess.Popen[bytes]] = []
        self.specs: list[tuple[list[str], Path, dict[str, str]]] = []
        self.restarts: list[float] = []
        self.stopping = False
        self.stopped = threading.Event()
        self.logs = settings.data_dir / "logs"

    def spawn(self, args: list[str], log_path: Path, env: dict[str, str]) -> None:
        """Start a child process and remember how, so that it can be restarted."""
        self.specs.append((args, log_path, env))
        self.children.append(_child(args, log_path, env))

    def _within_budget(self) -> bool:
        now = time.monotonic()
        self.restarts = [t for t in self.restarts if now - t < 60] + [now]
        if len(self.restarts) > 5:
            log.error("children keep dying; giving up (see %s)", self.logs)
            return False
        return True

    def supervise(self) -> bool:
        """Restart children that died, the embedded broker first (at most 5 in a minute); False
        once that budget is spent."""
        if self.stopping:
            return True
        broker = self.broker.process if self.broker else None
        if self.broker and (broker is None or broker.poll() is not None):
            if not self._within_budget():
                return False
            # Same ports and log: clients reconnect to the address they know, nothing is lost
            # that the broker had acknowledged (acks=all on one node: in its log).
            log.warning("the Kafka broker exited with %s; restarting it",
                        broker.returncode if broker else "a failed start")
            try:
                self.broker.start()
            except (OSError, RuntimeError, TimeoutError) as exc:  # tried again next round
                log.error("the Kafka broker did not restart: %s", exc)
        for i, child in enumerate(self.children):
            if child.poll() is None:
                continue
            if not self._within_budget():
                return False
            args, log_path, env = self.specs[i]
            log.warning("%s exited with %s; restarting it", args[0], child.returncode)
            self.children[i] = _child(args, log_path, env)
        return True

    def start_backend(self) -> tuple[str, Publisher]:
        """Broker, topics, worker and sink; returns (bootstrap, publisher)."""
        s = self.settings
        s.data_dir.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(exist_ok=True)
        if s.embedded:
            self.broker = EmbeddedBroker(data_dir=s.data_dir,
                                         log_path=self.logs / "broker.log").start()
            bootstrap = self.broker.bootstrap_servers
        else:
            bootstrap = str(s.bootstrap_servers)
        ensure_topics(bootstrap)
        wait_for_group_coordinator(bootstrap, "newsline")
        try:
            commit_unset_offsets(bootstrap, "newsline",
                                 [TOPICS["raw"].name, TOPICS["analysed"].name])
        except KafkaError as exc:  # a group still in use (another worker): it has offsets
            log.warning("could not set the initial offsets of group newsline: %s", exc)
        publisher = Publisher(bootstrap, SeenIndex(s.data_dir / "ingest" / "seen.jsonl"))
        epoch = log_epoch(bootstrap)
        env = {**os.environ, "NEWSLINE_DATA_DIR": str(s.data_dir),
               "NEWSLINE_BOOTSTRAP_SERVERS": bootstrap}
        common = ["--data-dir", str(s.data_dir), "--bootstrap-servers", bootstrap]
        self.spawn(["worker", *common], self.logs / "worker.log", env)
        self.spawn(["sink", *common, "--epoch", epoch], self.logs / "sink.log", env)
        return bootstrap, publisher

    def stop(self, grace_s: float = 10.0) -> None:
        """Stop the children (SIGTERM, SIGKILL after a grace period), then the broker.

        The API has stopped before this runs. The worker and the sink are told at once (neither
        needs the other to stop: both resume from committed offsets); the broker stops last, so
        neither loses its connection while it commits and leaves.
        """
        self.stopping = True
        started = time.monotonic()
        try:
            log.info("stopping the worker and the sink")
            for child in self.children:
                if child.poll() is None:
                    child.terminate()
            waiting = dict(zip(self.children, (args[0] for args, _, _ in self.specs),
                               strict=True))
            while waiting and time.monotonic() < started + grace_s:
                for child in [c for c in waiting if c.poll() is not None]:
                    log.info("%s stopped after %.1fs", waiting.pop(child),
                             time.monotonic() - started)
                time.sleep(0.02)
            for child, name in waiting.items():
                log.warning("%s did not stop within %.0fs: killing it", name, grace_s)
                child.kill()
                child.wait()
            if self.broker:
                self.broker.stop()
                log.info("broker stopped after %.1fs", time.monotonic() - started)
        finally:
            self.stopped.set()


def port_is_free(host: str, port: int) -> bool:
    """True if a server could bind host:port now."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGTERM/SIGINT after its own shutdown, which would kill this process
    before it stops its children: signals are handled by `run_up` instead."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def run_up(settings: Settings, on_ready: object = None) -> int:
    """Run the stack until SIGINT/SIGTERM (exit 0), or until children died more than five times in
    a minute (everything is stopped, exit 1). `on_ready(info)` runs once the API answers."""
    stack = Stack(settings)
    bootstrap, publisher = stack.start_backend()
    token = (settings.tokens.split(",")[0] if settings.tokens else secrets.token_urlsafe(24))
    tokens = [t for t in settings.tokens.split(",") if t] or [token]
    port = settings.api_port or free_port(settings.api_host)
    if not port_is_free(settings.api_host, port):
        fallback = free_port(settings.api_host)
        log.warning("port %d is taken on %s: serving the API on %d instead", port,
                    settings.api_host, fallback)
        port = fallback
    api = create_app(publisher, tokens, settings.duckdb_path, settings.max_body_bytes,
                     lag=lambda: consumer_lag(bootstrap))
    server = _Server(uvicorn.Config(api, host=settings.api_host, port=port,
                                    log_level="warning", lifespan="off"))
    signalled: list[float] = []

    def on_signal(*_: object) -> None:
        signalled.append(time.monotonic())
        server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    api_url = f"http://{settings.api_host}:{port}"

    def announce() -> None:
        wait_for_port(settings.api_host, port, 30)
        path = write_runtime(settings, api_url, token, bootstrap)
        log.info("newsline is up: API %s (docs %s/docs), DuckDB %s, runtime %s", api_url,
                 api_url, settings.duckdb_path, path)
        if callable(on_ready):
            on_ready(json.loads(path.read_text(encoding="utf-8")))

    gave_up = threading.Event()

    def watch_children() -> None:
        watch = StallWatch(bootstrap)
        next_check = time.monotonic() + 10
        while not server.should_exit:
            restarted = stack.restarts[-1:]
            if not stack.supervise():
                gave_up.set()
                server.should_exit = True
            if stack.restarts[-1:] != restarted:
                # A child was restarted: nothing moved while the broker was down or restarting
                # (tens of seconds under load, while this loop waited), and a new worker needs
                # its rejoin; the patience starts again from now.
                watch.seen.clear()
            if time.monotonic() > next_check:
                next_check = time.monotonic() + 10
                try:
                    stuck = watch.stalled(stack.children[0].pid)
                except Exception as exc:  # the check must never stop the supervision
                    log.debug("stall check failed: %s", exc)
                    stuck = None
                    # No answer from the broker (an outage, a restart): nothing can move then,
                    # so the 30 s start again once it answers.
                    watch.seen.clear()
                if stuck and stack.children and not stack.stopping:
                    log.error("%s: the worker has not moved %s for %.0fs while records wait",
                              ALARM_LINE, stuck, watch.patience_s)
            time.sleep(0.5)
        # The children this thread restarted die with it (PR_SET_PDEATHSIG follows the thread
        # that forked them): it lives until the stack has stopped them in order.
        stack.stopped.wait()

    threading.Thread(target=announce, daemon=True).start()
    threading.Thread(target=watch_children, daemon=True).start()
    try:
        server.run()
    finally:
        publisher.close()
        if signalled:
            log.info("API stopped after %.1fs", time.monotonic() - signalled[0])
        stack.stop()
        settings.runtime_file.unlink(missing_ok=True)
    return 1 if gave_up.is_set() else 0  # a stack that stopped itself is a failure to report
