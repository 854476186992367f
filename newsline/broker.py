"""The embedded broker: Apache Kafka (KRaft, one node acting as broker and controller).

`make setup` fetches the broker's jars with Maven into `.kafka/libs` (`jvm/pom.xml` pins the
version, the one docker-compose.yml runs). On first start the storage under `DATA_DIR/kafka` is
formatted (the equivalent of `kafka-storage format`); every start writes `server.properties` with
free loopback ports and runs `kafka.Kafka` with a bounded heap. The log is on disk: a restart
keeps every topic, record and committed offset.

The broker runs in a process group of its own (a terminal's Ctrl-C reaches `newsline up` only,
which stops it last) and gets SIGKILL from the kernel if the process that started it dies, so a
`kill -9` of `newsline up` leaves no broker holding the data folder's lock.
"""

from __future__ import annotations

import base64
import ctypes
import logging
import os
import random
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
KAFKA_LIBS = ROOT / ".kafka" / "libs"
NODE_ID = 1
_PR_SET_PDEATHSIG = 1


# Where `free_port` draws ports: from here up to the kernel's ephemeral range.
PORT_FLOOR = 20_000


def ephemeral_range_start() -> int:
    """The lowest port the kernel hands to `bind(0)` and to outgoing connections (Linux)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768  # Linux's default


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on `host` right now, drawn at random below the kernel's ephemeral
    range (else from it).

    A broker binds its port seconds after it is chosen (the JVM's start). A port from the
    ephemeral range (`bind(0)`, as until 7 December) can be handed meanwhile to any other
    listener that asks for port 0, or to an outgoing connection as its local port: the fault
    campaign's restarted stack then found its port taken (its broker exited with "Address
    already in use" at every restart and `newsline up` gave up), and the port it waited on
    answered for another stack's broker. Below that range the kernel hands out nothing; only
    another process drawing the same way could take it (1 in ~12,000)."""
    low = ephemeral_range_start()
    draw = random.SystemRandom()
    for _ in range(100 if low - PORT_FLOOR >= 1_000 else 0):
        port = draw.randrange(PORT_FLOOR, low)
        with socket.socket() as sock:
            try:
                sock.bind((host, port))
            except OSError:  # in use, or in TIME_WAIT
                continue
            return port
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float) -> None:
    """Block until something accepts TCP connections on host:port, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing answered on {host}:{port} within {timeout:.0f}s")


class BrokerExited(RuntimeError):
    """The broker's process exited before it answered."""


def die_with_parent() -> None:
    """In a child before exec: own process group, and SIGKILL when the parent dies (Linux)."""
    os.setpgid(0, 0)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the broker may outlive a kill -9
        pass


def java_bin() -> str:
    """The `java` to run: JAVA_HOME's, else the PATH's."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java")
    if not found:
        raise RuntimeError("no `java` on the PATH: the embedded Kafka broker needs Java 17+")
    return found


def kafka_libs() -> Path:
    """The broker's jars, as `make setup` fetched them (NEWSLINE_KAFKA_LIBS overrides)."""
    libs = Path(os.environ.get("NEWSLINE_KAFKA_LIBS", KAFKA_LIBS))
    if not any(libs.glob("kafka_2.13-*.jar")):
        raise RuntimeError(f"no Kafka jars in {libs}: run `make setup` (it fetches them with Maven)")
    return libs


_LOG4J2 = """\
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.out.ref = OUT
logger.started.name = kafka.server.KafkaRaftServer
logger.started.level = INFO
"""


def server_properties(host: str, port: int, controller_port: int, log_dir: Path) -> str:
    """A single-node KRaft broker+controller for one machine's loopback."""
    props = {
        "process.roles": "broker,controller",
        "node.id": str(NODE_ID),
        "controller.quorum.voters": f"{NODE_ID}@{host}:{controller_port}",
        "listeners": f"PLAINTEXT://{host}:{port},CONTROLLER://{host}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{host}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(log_dir),
        # One node: every internal topic has one replica.
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "min.insync.replicas": "1",
        # Every topic is created on purpose (schemas/topics.py, faust's own): a typo must fail.
        "auto.create.topics.enable": "false",
        "num.partitions": "1",
        # A group of one worker need not wait 3 s for more members before its first assignment.
        "group.initial.rebalance.delay.ms": "0",
        # faust's table changelogs hold whole analysed articles (the raw topic allows 20 MiB).
        "message.max.bytes": str(20 * 1024 * 1024),
        "replica.fetch.max.bytes": str(20 * 1024 * 1024),
    }
    return "".join(f"{k}={v}\n" for k, v in props.items())


def new_cluster_id() -> str:
    """A random KRaft cluster id (22 URL-safe base64 characters) that does not start with '-'.

    An id starting with '-' reads as an option to the storage tool's argument parser, which then
    fails with "argument --cluster-id/-t: expected one argument" (1 format in 64; Kafka's own
    Uuid.randomUuid draws again in that case, and so do we).
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


@dataclass
class EmbeddedBroker:
    """An Apache Kafka broker whose state lives under `data_dir/kafka`."""

    data_dir: Path = field(default_factory=lambda: Path("data"))
    host: str = "127.0.0.1"
    port: int = 0
    controller_port: int = 0
    heap: str = "512m"
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        """`host:port` for Kafka clients."""
        return f"{self.host}:{self.port}"

    @property
    def state_dir(self) -> Path:
        """The broker's folder: configuration and the log itself (`log/`)."""
        return self.data_dir / "kafka"

    def _java(self, main: str, *args: str) -> list[str]:
        # C1 only and the serial collector: the JVM starts in about half the time on 2 cores
        # (measured 5-8 s vs 10-11 s to the listener under load); a local broker's load is small.
        flags = os.environ.get("NEWSLINE_KAFKA_JVM_FLAGS",
                               "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC").split()
        return [java_bin(), f"-Xmx{self.heap}", "-Xms64m", *flags, "-Djava.awt.headless=true",
                f"-Dlog4j2.configurationFile={(self.state_dir / 'log4j2.properties').resolve()}",
                "-cp", str(kafka_libs() / "*"), main, *args]

    def _format(self, config: Path) -> None:
        """Format the KRaft storage once (a new cluster id); later starts reuse it."""
        cluster_id = new_cluster_id()
        out = subprocess.run(self._java("kafka.tools.StorageTool", "format", "-t", cluster_id,
                                        "-c", str(config)),
                             capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"formatting Kafka storage failed:\n{out.stdout}\n{out.stderr}")
        log.info("formatted Kafka storage in %s (cluster %s)", self.state_dir, cluster_id)

    def start(self, timeout: float = 90.0, attempts: int = 3) -> EmbeddedBroker:
        """Start the broker (formatting its storage the first time) and wait until it answers.

        Ports chosen here (none given, the first start) are chosen again if the broker exits
        before it answers, up to `attempts` times: nobody knows them yet, and another process
        may have taken one since it was free. A restart keeps the ports its clients know."""
        chosen = not self.port and not self.controller_port
        for attempt in range(1, attempts + 1):
            try:
                return self._start(timeout)
            except BrokerExited:
                if not chosen or attempt == attempts:
                    raise
                log.warning("the Kafka broker exited while starting on %s (a port taken since "
                            "it was free?); trying other ports", self.bootstrap_servers)
                self.port = self.controller_port = 0
        raise AssertionError("unreachable")

    def _start(self, timeout: float) -> EmbeddedBroker:
        log_dir = (self.state_dir / "log").resolve()
        log_dir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port(self.host)
        self.controller_port = self.controller_port or free_port(self.host)
        (self.state_dir / "log4j2.properties").write_text(_LOG4J2, encoding="utf-8")
        config = self.state_dir / "server.properties"
        config.write_text(server_properties(self.host, self.port, self.controller_port, log_dir),
                          encoding="utf-8")
        if not (log_dir / "meta.properties").exists():
            self._format(config)
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(self._java("kafka.Kafka", str(config)), stdout=out,
                                        stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        try:
            self._wait_ready(timeout)
        except Exception:
            self.stop()
            raise
        log.info("embedded Kafka broker listening on %s (state in %s)", self.bootstrap_servers,
                 self.state_dir)
        return self

    def cluster_id(self) -> str | None:
        """The id its storage was formatted with (None before the first start)."""
        meta = self.state_dir / "log" / "meta.properties"
        try:
            lines = meta.read_text(encoding="utf-8").splitlines()
        except OSError:
            return None
        return next((line.split("=", 1)[1].strip() for line in lines
                     if line.startswith("cluster.id=")), None)

    def _wait_ready(self, timeout: float) -> None:
        """Until this broker answers a metadata request with itself in it: the cluster id that
        answers is checked, since another process may be listening on the port."""
        from kafka import KafkaAdminClient

        deadline = time.monotonic() + timeout
        ours = self.cluster_id()
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise BrokerExited(f"the Kafka broker exited with {self.process.returncode}"
                                   f" (see {self.log_path})")
            try:
                wait_for_port(self.host, self.port, min(1.0, max(0.1, deadline - time.monotonic())))
                admin = KafkaAdminClient(bootstrap_servers=self.bootstrap_servers,
                                         client_id="newsline-ready", request_timeout_ms=3000)
                try:
                    cluster = admin.describe_cluster()
                    if cluster.get("brokers") and cluster.get("cluster_id") == ours:
                        return
                finally:
                    admin.close()
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"Kafka did not answer within {timeout:.0f}s") from exc
            if time.monotonic() > deadline:
                raise TimeoutError(f"another Kafka cluster answers on {self.bootstrap_servers}")
            time.sleep(0.1)

    def stop(self, timeout: float = 20.0) -> None:
        """Controlled shutdown (SIGTERM): the log is flushed and closed cleanly."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                log.warning("the Kafka broker did not stop within %.0fs: killing it", timeout)
                self.process.kill()
                self.process.wait()
        self.process = None
