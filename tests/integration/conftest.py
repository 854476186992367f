"""A real stack for integration tests: `newsline up` on the embedded Kafka broker, in a temp data dir."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsline.broker import EmbeddedBroker
from newsline.kafka_admin import ensure_topics
from tests.conftest import ROOT

STARTUP_S = 120


class RunningStack:
    """A `newsline up` process and helpers to drive it through the CLI."""

    def __init__(self, data_dir: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        """`extra`: more arguments of `newsline up`; `env`: more of its environment."""
        self.data_dir = data_dir
        self.extra = extra
        self.env = env or {}
        self.proc: subprocess.Popen | None = None

    def start(self) -> "RunningStack":
        env = {**os.environ, "NEWSLINE_LOG_LEVEL": "INFO", **self.env}
        env.pop("NEWSLINE_BOOTSTRAP_SERVERS", None)
        self.log = (self.data_dir / "up.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "newsline.cli", "up", "--data-dir", str(self.data_dir),
             "--api-port", "0", *self.extra], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + STARTUP_S
        runtime = self.data_dir / "newsline.json"
        while not runtime.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("stack did not start:\n" + self.logs())
            time.sleep(0.2)
        self.info = json.loads(runtime.read_text())
        return self

    def logs(self) -> str:
        out = []
        for p in [self.data_dir / "up.log", *sorted((self.data_dir / "logs").glob("*.log"))]:
            if not p.exists():
                continue
            out.append(f"== {p.name}\n" + p.read_text(errors="replace")[-4000:])
        return "\n".join(out)

    def alarms(self) -> list[str]:
        """The stall alarms `newsline up` logged (a partition with waiting records that the
        worker does not move): none is expected in any test."""
        from newsline.stack import ALARM_LINE

        path = self.data_dir / "up.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return [line for line in text.splitlines() if ALARM_LINE in line]

    def cli(self, *args: str, timeout: float | None = None,
            check: bool = True) -> subprocess.CompletedProcess:
        """Run `newsline ARGS`. The subprocess gets a minute more than the command's own
        `--timeout`, so a command that gives up still reports, and a hang dumps the logs."""
        if timeout is None:
            own = float(args[args.index("--timeout") + 1]) if "--timeout" in args else 240.0
            timeout = own + 60
        try:
            result = subprocess.run([sys.executable, "-m", "newsline.cli", *args], cwd=ROOT,
                                    capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"newsline {' '.join(args)} still running after {timeout:.0f}s\n"
                                 f"{exc.stdout}\n{exc.stderr}\n{self.logs()}") from exc
        if check and result.returncode != 0:
            raise AssertionError(f"newsline {' '.join(args)} -> {result.returncode}\n"
                                 f"{result.stdout}\n{result.stderr}\n{self.logs()}")
        return result

    def timeline(self, *args: str) -> list[dict]:
        out = self.cli("timeline", "--data-dir", str(self.data_dir), "--format", "json", *args)
        return json.loads(out.stdout)

    def stop(self, sig: int = signal.SIGTERM, grace_s: float = 60) -> float:
        """Signal `newsline up` (SIGINT and SIGKILL go to its whole process group, as a
        terminal's Ctrl-C does); return the seconds it took to exit. A stack that hangs past
        `grace_s` is killed with its whole process group, and the teardown fails with its logs."""
        took = 0.0
        try:
            if self.proc and self.proc.poll() is None:
                started = time.monotonic()
                if sig in (signal.SIGKILL, signal.SIGINT):
                    os.killpg(self.proc.pid, sig)
                else:
                    self.proc.send_signal(sig)
                try:
                    self.proc.wait(timeout=grace_s)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=30)
                    raise AssertionError(f"the stack ignored signal {sig} for {grace_s} s; "
                                         f"killed\n{self.logs()}") from None
                took = time.monotonic() - started
        finally:
            self.log.close()
        return took


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = RunningStack(tmp_path_factory.mktemp("stack")).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    """An embedded Apache Kafka broker with the project's topics, for one test module."""
    b = EmbeddedBroker(data_dir=tmp_path_factory.mktemp("broker")).start()
    ensure_topics(b.bootstrap_servers)
    yield b
    b.stop()
