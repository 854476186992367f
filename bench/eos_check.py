"""faust's processing guarantee on the real stack: is anything lost or doubled after kill -9?

    .venv/bin/python bench/eos_check.py --guarantee exactly_once --out bench/results/eos-exactly_once.json
    .venv/bin/python bench/eos_check.py --guarantee at_least_once --out bench/results/eos-at_least_once.json

Starts `newsline up` (embedded Apache Kafka, faust worker, sink) in a temporary folder with
`NEWSLINE_PROCESSING_GUARANTEE` set, posts `--articles` distinct articles (the example stories
under distinct URLs), kills the faust worker with SIGKILL `--kills` times while they flow (the
stack restarts it), then waits up to `--timeout` seconds for every article to be visible in
DuckDB. Then it reads every topic back with kafka-python, in both isolation levels, and counts:

- records per topic under `read_uncommitted` and `read_committed` (an open or aborted
  transaction shows as a difference);
- analysed records whose envelope id (the version id) is there more than once, journal records
  that cover a source offset already covered, change ids sent more than once and change ids
  sent with two different contents (a true double: the sink would keep the first);
- articles posted, articles in DuckDB's `articles` table, the consumer lag `newsline status`
  reports, and the worker's ERROR lines (the distinct ones are kept);
- with `--restart-wait S`: the stack is stopped (SIGINT), started again, and the same counts
  are taken S seconds later (`after_restart`).

It writes one JSON document (stdout, and `--out`) and exits 0 if every article became visible
with no change id carrying two contents, 1 otherwise.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kafka import KafkaConsumer, TopicPartition  # noqa: E402

from bench.broker_bench import Up, articles_file  # noqa: E402
from schemas.topics import TOPICS  # noqa: E402


def read_topic(bootstrap: str, topic: str, isolation: str) -> list[tuple[int, int, bytes, bytes]]:
    """(partition, offset, key, value) of every record a consumer of that isolation level sees."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                             enable_auto_commit=False, isolation_level=isolation,
                             max_partition_fetch_bytes=64 * 1024 * 1024,
                             fetch_max_bytes=64 * 1024 * 1024, consumer_timeout_ms=3000)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        return [(m.partition, m.offset, m.key or b"", m.value or b"") for m in consumer]
    finally:
        consumer.close()


def audit(bootstrap: str) -> dict[str, Any]:
    """What each topic holds, in both isolation levels, and the doubles among it."""
    out: dict[str, Any] = {}
    for role in ("raw", "analysed", "journal", "changelog", "dead_letter"):
        name = TOPICS[role].name
        out[role] = {iso: len(read_topic(bootstrap, name, iso))
                     for iso in ("read_uncommitted", "read_committed")}
    analysed = read_topic(bootstrap, TOPICS["analysed"].name, "read_committed")
    ids = collections.Counter(json.loads(v)["id"] for _, _, _, v in analysed)
    out["analysed_ids_more_than_once"] = sum(1 for n in ids.values() if n > 1)
    journal = read_topic(bootstrap, TOPICS["journal"].name, "read_committed")
    covered = collections.Counter((p, json.loads(v)["source_offset"]) for p, _, _, v in journal)
    out["journal_source_offsets_more_than_once"] = sum(1 for n in covered.values() if n > 1)
    contents: dict[str, set[bytes]] = collections.defaultdict(set)
    sends: collections.Counter[str] = collections.Counter()
    for _, _, _, v in read_topic(bootstrap, TOPICS["changelog"].name, "read_committed"):
        cid = json.loads(v)["id"]
        contents[cid].add(v)
        sends[cid] += 1
    out["change_ids"] = len(sends)
    out["change_ids_sent_more_than_once"] = sum(1 for n in sends.values() if n > 1)
    out["change_ids_with_two_contents"] = sum(1 for c in contents.values() if len(c) > 1)
    return out


def cli(data: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "newsline.cli", *args, "--data-dir", str(data)],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def visible(data: Path) -> int:
    """Articles in the analysts' DuckDB file now (-1 if it cannot be read yet)."""
    status = json.loads(cli(data, "status", "--json").stdout or "{}")
    counts = status.get("counts")
    return int(counts["articles"]) if isinstance(counts, dict) else -1


def worker_pids(data: Path) -> list[int]:
    out = subprocess.run(["pgrep", "-f", "--", f"newsline.cli worker --data-dir {data}"],
                         capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def error_lines(data: Path) -> list[str]:
    """The distinct ERROR lines of every log (timestamps and pids cut)."""
    seen: dict[str, None] = {}
    for p in [data / "up.log", *sorted((data / "logs").glob("*.log"))]:
        for line in p.read_text(errors="replace").splitlines():
            if "ERROR" in line:
                seen[re.sub(r"^\[?[\d\- :,]+\]?\s*(\[\d+\]\s*)?", "", line)[:300]] = None
    return list(seen)


def run(guarantee: str, articles: int, kills: int, kill_every: float, timeout: float,
        folder: Path, restart_wait: float = 0.0) -> dict[str, Any]:
    data = folder / "stack"
    data.mkdir()
    os.environ["NEWSLINE_PROCESSING_GUARANTEE"] = guarantee
    os.environ.setdefault("NEWSLINE_WORKER_LOG_LEVEL", "info")
    up = Up(data)
    doc: dict[str, Any] = {"guarantee": guarantee, "articles_posted": articles, "kills": 0,
                           "start_to_ready_s": up.start()}
    try:
        posted = cli(data, "post", str(articles_file(folder, articles)), timeout=600)
        doc["post_exit_code"] = posted.returncode
        started = time.monotonic()
        for _ in range(kills):
            time.sleep(kill_every)
            for pid in worker_pids(data):
                subprocess.run(["kill", "-9", str(pid)], check=False)
                doc["kills"] += 1
        seen = visible(data)
        while seen < articles and time.monotonic() - started < timeout:
            time.sleep(2)
            seen = visible(data)
        doc["articles_visible"] = seen
        doc["seconds_to_all_visible"] = (round(time.monotonic() - started, 1)
                                         if seen >= articles else None)
        time.sleep(5)  # let faust commit its offsets before reading the lag
        status = json.loads(cli(data, "status", "--json").stdout or "{}")
        doc["lag"] = status.get("lag")
        bootstrap = json.loads((data / "newsline.json").read_text())["bootstrap_servers"]
        doc["topics"] = audit(bootstrap)
    finally:
        doc["stop_s"] = up.interrupt()
    if restart_wait and "topics" in doc:
        # A restart: the worker's transactional producers start again under the same ids, which
        # aborts any transaction the previous run left open.
        up.start()
        try:
            time.sleep(restart_wait)
            bootstrap = json.loads((data / "newsline.json").read_text())["bootstrap_servers"]
            status = json.loads(cli(data, "status", "--json").stdout or "{}")
            doc["after_restart"] = {"waited_s": restart_wait, "articles_visible": visible(data),
                                    "lag": status.get("lag"), "topics": audit(bootstrap)}
        finally:
            up.interrupt()
    doc["error_lines"] = error_lines(data)
    return doc


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--guarantee", choices=["at_least_once", "exactly_once"],
                   default="exactly_once")
    p.add_argument("--articles", type=int, default=60)
    p.add_argument("--kills", type=int, default=2)
    p.add_argument("--kill-every", type=float, default=8.0)
    p.add_argument("--timeout", type=float, default=300.0)
    p.add_argument("--restart-wait", type=float, default=0.0,
                   help="then restart the stack and audit again after this many seconds")
    p.add_argument("--out", type=Path)
    p.add_argument("--keep", type=Path, help="run in this new folder and keep it (logs)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="eos-check-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        load = os.getloadavg()
        doc = run(args.guarantee, args.articles, args.kills, args.kill_every, args.timeout,
                  folder, args.restart_wait)
        doc["load_avg"] = [load, os.getloadavg()]
    text = json.dumps(doc, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    ok = (doc.get("articles_visible", -1) >= args.articles
          and doc.get("topics", {}).get("change_ids_with_two_contents", 1) == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
