"""The broker under Newsline, measured: clients' rates, start time, memory, and the stack's start.

    .venv/bin/python bench/broker_bench.py --out bench/results/broker-kafka.json
    .venv/bin/python bench/broker_bench.py --bootstrap 127.0.0.1:9092 --skip-stack   # a running one

Without `--bootstrap` it starts the embedded broker of this checkout (`newsline.broker`) in a
temporary folder and times it until it answers a metadata request. Then, on the same machine:

- produce and consume rates of `--records` 2 KB JSON records (4 partitions, acks=all, linger 20 ms,
  256 KB batches, no compression) with kafka-python and with aiokafka, each on a topic of its own;
- the broker's resident memory (VmRSS) idle after start and after the client runs, and its peak;
- `newsline up` (when the stack is not skipped): start to ready (DATA_DIR/newsline.json written,
  the API answers), start to the first article visible in DuckDB (`post --wait`), SIGINT to the
  process group to exit (as a terminal's Ctrl-C) with the ERROR lines logged; then with
  `--articles` articles in the log, a restart: start to ready and to a fresh article visible.

It writes one JSON document (stdout, and `--out` if given). The broker must be idle otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka.admin import NewTopic  # noqa: E402

PARTITIONS = 4
RECORD_BYTES = 2048


def payload(i: int) -> bytes:
    """A 2 KB JSON record (distinct per i, so compression or dedupe could not cheat)."""
    head = json.dumps({"id": i, "url": f"https://example.org/a/{i}", "text": ""})[:-2]
    fill = (f"{i:08d} lorem ipsum dolor sit amet " * 80)[: RECORD_BYTES - len(head) - 2]
    out = (head + fill + '"}').encode()
    return out + b" " * (RECORD_BYTES - len(out))


def rss_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in KB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, value = line.split(":", 1)
            out[key] = int(value.split()[0])
    return out


def answered(bootstrap: str, timeout: float = 60.0) -> None:
    """Block until the broker answers a metadata request."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
            admin.list_topics()
            admin.close()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def start_broker(folder: Path) -> tuple[Any, float]:
    """Start this checkout's embedded broker; (broker, seconds until it answered metadata)."""
    from newsline.broker import EmbeddedBroker

    names = {f.name for f in dataclasses.fields(EmbeddedBroker)}
    kwargs: dict[str, Any] = {"log_path": folder / "broker.log"}
    if "data_dir" in names:
        kwargs["data_dir"] = folder
    started = time.monotonic()
    broker = EmbeddedBroker(**kwargs).start()
    answered(broker.bootstrap_servers)
    return broker, time.monotonic() - started


def create_topic(bootstrap: str, name: str) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(name, PARTITIONS, 1)])
    finally:
        admin.close()


def kafka_python_rates(bootstrap: str, n: int) -> dict[str, float]:
    topic = f"bench-kp-{uuid.uuid4().hex[:8]}"
    create_topic(bootstrap, topic)
    values = [payload(i) for i in range(n)]
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20,
                             batch_size=256 * 1024, max_request_size=4 << 20)
    started = time.monotonic()
    for i, value in enumerate(values):
        producer.send(topic, key=str(i).encode(), value=value)
    producer.flush()
    produce_s = time.monotonic() - started
    producer.close()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             max_partition_fetch_bytes=4 << 20, fetch_max_bytes=16 << 20)
    consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
    consumer.seek_to_beginning()
    got = 0
    started = time.monotonic()
    while got < n:
        for msgs in consumer.poll(timeout_ms=1000, max_records=10000).values():
            got += len(msgs)
        if time.monotonic() - started > 600:
            raise TimeoutError(f"kafka-python consumed {got} of {n}")
    consume_s = time.monotonic() - started
    consumer.close()
    return {"produce_msgs_s": n / produce_s, "consume_msgs_s": n / consume_s,
            "produce_s": produce_s, "consume_s": consume_s}


async def _aiokafka_rates(bootstrap: str, n: int) -> dict[str, float]:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    topic = f"bench-aio-{uuid.uuid4().hex[:8]}"
    create_topic(bootstrap, topic)
    values = [payload(i) for i in range(n)]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20,
                                max_batch_size=256 * 1024, max_request_size=4 << 20)
    await producer.start()
    started = time.monotonic()
    futures = [await producer.send(topic, key=str(i).encode(), value=v)
               for i, v in enumerate(values)]
    await asyncio.gather(*futures)
    produce_s = time.monotonic() - started
    await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                max_partition_fetch_bytes=4 << 20, fetch_max_bytes=16 << 20)
    await consumer.start()
    consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
    await consumer.seek_to_beginning()
    got = 0
    started = time.monotonic()
    while got < n:
        batch = await consumer.getmany(timeout_ms=1000, max_records=10000)
        got += sum(len(m) for m in batch.values())
        if time.monotonic() - started > 600:
            raise TimeoutError(f"aiokafka consumed {got} of {n}")
    consume_s = time.monotonic() - started
    await consumer.stop()
    return {"produce_msgs_s": n / produce_s, "consume_msgs_s": n / consume_s,
            "produce_s": produce_s, "consume_s": consume_s}


def bench_clients(bootstrap: str, n: int) -> dict[str, Any]:
    return {"kafka-python": kafka_python_rates(bootstrap, n),
            "aiokafka": asyncio.run(_aiokafka_rates(bootstrap, n))}


class Up:
    """`newsline up` in its own process group, as a terminal runs it."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.runtime = data_dir / "newsline.json"

    def start(self) -> float:
        env = {k: v for k, v in os.environ.items() if k != "NEWSLINE_BOOTSTRAP_SERVERS"}
        self.log = (self.data_dir / "up.log").open("ab")
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "newsline.cli", "up", "--data-dir", str(self.data_dir),
             "--api-port", "0"], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        while not self.runtime.exists():
            if self.proc.poll() is not None or time.monotonic() - started > 300:
                raise RuntimeError(f"newsline up did not start; see {self.data_dir}/logs")
            time.sleep(0.05)
        return time.monotonic() - started

    def post(self, path: Path) -> float:
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "newsline.cli", "post", str(path), "--data-dir",
                        str(self.data_dir), "--wait", "--timeout", "600"], cwd=ROOT, check=True,
                       capture_output=True)
        return time.monotonic() - started

    def interrupt(self) -> float:
        """SIGINT to the whole process group; seconds until `newsline up` exited."""
        started = time.monotonic()
        os.killpg(self.proc.pid, signal.SIGINT)
        self.proc.wait(timeout=120)
        took = time.monotonic() - started
        self.log.close()
        self.runtime.unlink(missing_ok=True)
        return took

    def error_lines(self) -> int:
        logs = [self.data_dir / "up.log", *(self.data_dir / "logs").glob("*.log")]
        return sum(1 for p in logs
                   for line in p.read_text(errors="replace").splitlines() if "ERROR" in line)


def articles_file(folder: Path, n: int) -> Path:
    """n distinct articles: the example stories under n distinct URLs (copies and all)."""
    lines = (ROOT / "examples" / "niger-2023.jsonl").read_text().splitlines()
    out = folder / f"articles-{n}.jsonl"
    with out.open("w") as fh:
        for i in range(n):
            doc = json.loads(lines[i % len(lines)])
            doc["url"] = f"https://bench.example/{i}/{doc['url'].split('//', 1)[1]}"
            doc.pop("idempotency_key", None)
            fh.write(json.dumps(doc) + "\n")
    return out


def fresh_article(folder: Path, tag: str) -> Path:
    doc = json.loads((ROOT / "examples" / "seed-rtl-2023-09-04.json").read_text())
    doc["url"] = f"https://bench.example/fresh/{tag}"
    out = folder / f"fresh-{tag}.json"
    out.write_text(json.dumps(doc))
    return out


def bench_stack(folder: Path, articles: int) -> dict[str, Any]:
    data = folder / "stack"
    data.mkdir()
    up = Up(data)
    out: dict[str, Any] = {"start_to_ready_s": up.start()}
    out["first_article_visible_s"] = out["start_to_ready_s"] + up.post(fresh_article(folder, "a"))
    out["post_articles_s"] = up.post(articles_file(folder, articles))
    out["articles_in_log"] = articles
    out["sigint_to_exit_s"] = up.interrupt()
    out["error_lines_after_sigint"] = up.error_lines()
    out["restart_to_ready_s"] = up.start()
    out["restart_to_fresh_article_visible_s"] = (out["restart_to_ready_s"]
                                                 + up.post(fresh_article(folder, "b")))
    out["second_sigint_to_exit_s"] = up.interrupt()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--bootstrap", help="measure this running broker (start none)")
    p.add_argument("--records", type=int, default=100_000)
    p.add_argument("--articles", type=int, default=200, help="articles in the log at restart")
    p.add_argument("--skip-stack", action="store_true")
    p.add_argument("--label", default=None, help="name of the broker in the output")
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    doc: dict[str, Any] = {"records": args.records, "record_bytes": RECORD_BYTES,
                           "machine": {"cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg(),
                                       "python": platform.python_version()}}
    with tempfile.TemporaryDirectory(prefix="broker-bench-") as tmp:
        folder = Path(tmp)
        broker = None
        if args.bootstrap:
            bootstrap = args.bootstrap
        else:
            broker, doc["broker_start_s"] = start_broker(folder)
            bootstrap = broker.bootstrap_servers
            doc["broker_rss_idle_kb"] = rss_kb(broker.process.pid)["VmRSS"]
            doc["broker"] = type(broker).__module__ + "." + type(broker).__name__
        doc["label"] = args.label or doc.get("broker", bootstrap)
        try:
            doc["clients"] = bench_clients(bootstrap, args.records)
            if broker is not None:
                mem = rss_kb(broker.process.pid)
                doc["broker_rss_after_clients_kb"] = mem["VmRSS"]
                doc["broker_rss_peak_kb"] = mem["VmHWM"]
        finally:
            if broker is not None:
                broker.stop()
        if not args.skip_stack:
            doc["stack"] = bench_stack(folder, args.articles)
    doc["machine"]["load_avg_at_end"] = os.getloadavg()
    text = json.dumps(doc, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
