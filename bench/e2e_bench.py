"""End to end through the running stack: articles in, rows visible in DuckDB, and how fast.

    .venv/bin/python bench/e2e_bench.py --workload dense --phases 20:30,200:10,max:2000 \
        --inprocess 500 --profile 20 --json bench/results/e2e-dense.json

`newsline up` on a fresh data folder (embedded Apache Kafka, faust worker, sink, DuckDB file),
then phases, one after the other on the same stack:

- `RATE:SECONDS` produces RATE articles a second for SECONDS, then waits until all are visible;
- `max:N` produces N articles as fast as the broker accepts them, then waits until all are visible.

Articles are produced Kafka-native to `newsline.articles.raw` (JSON envelopes, acks=all, keyed by
URL id, as the API does) or, with `--via api`, posted to the running API in batches. Accepted =
the envelope's `time` (what the pipeline calls `known_at`); visible = the moment a published
`data/newsline.duckdb` holds the article (the bench watches the file's link every 50 ms and reads
the new snapshot's `articles`). Per phase: articles/s produced and settled (visible), the backlog
(produced, not yet visible) every second, accepted-to-visible p50/p95/max, CPU seconds of each
process (worker, sink, broker, API) per article, and the sink's own latency record
(`data/.sink/metrics.json`). `--inprocess N` runs the same pipeline in this process on the first
N articles of the workload (analysis, fold, the sink's fold and batch write; no broker) before
the stack starts, for the end-to-end / in-process ratio. `--profile S` runs `py-spy record` on
the worker and the sink for S seconds at the start of the last phase and adds a summary (share of
samples per stage, top functions) to the JSON. Workloads: `dense` (`bench/dense_workload.py`'s
raw news, in publication order) and `easy` (the bundled examples shifted over three years with
fresh URLs: no story grows).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from schemas.articles import Article  # noqa: E402
from schemas.codec import encode, envelope  # noqa: E402
from schemas.identity import article_key, canonical_url, version_id  # noqa: E402
from schemas.topics import TOPICS  # noqa: E402


def dense_articles(n: int, seed: int) -> list[dict]:
    """n raw articles of the dense workload, in publication order (copies and updates too)."""
    from bench.dense_workload import raw_pool

    docs = raw_pool(seed, n, weeks=max(8, n // 500), largest=1500)
    return docs[:n]


def easy_articles(n: int, seed: int) -> list[dict]:
    """n raw articles: the bundled examples, each shifted by whole days over three years, with
    a fresh URL (the easy case: the same few stories, never dense on one day)."""
    base = [json.loads(line) for line in (ROOT / "examples/niger-2023.jsonl").open()]
    base.append(json.loads((ROOT / "examples/seed-rtl-2023-09-04.json").read_text()))
    rng = random.Random(seed)
    out = []
    for i in range(n):
        doc = dict(base[i % len(base)])
        shift = timedelta(days=rng.randrange(0, 3 * 365))
        for field in ("published_at", "updated_at"):
            if doc.get(field):
                doc[field] = (datetime.fromisoformat(doc[field]) - shift).isoformat()
        doc["url"] = f"{doc['url']}-e2e{i}"
        out.append(doc)
    out.sort(key=lambda d: d.get("updated_at") or d["published_at"])
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def threads(pid: int) -> list[Path]:
    """A process's threads (/proc/<pid>/task/<tid>); none once it is gone."""
    try:
        return list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a process and of its live descendants (the worker's analysis processes)."""
    total = cpu_seconds(pid)
    for task in threads(pid):
        try:
            kids = (task / "children").read_text().split()
        except OSError:
            continue
        total += sum(tree_cpu_seconds(int(k)) for k in kids)
    return total


def tree_sched_seconds(pid: int) -> dict[str, float]:
    """Seconds the threads of a process tree ran on a CPU and waited, runnable, for one
    (/proc/<tid>/schedstat), and the same for the process's main thread (the worker's event
    loop). A stack that waits for a CPU about as long as it runs is limited by the machine's
    other jobs, not by its own code; time neither running nor runnable is spent waiting for
    I/O, a lock (the GIL) or a timer. Threads that ended are not counted (the worker's threads
    live as long as it does)."""
    out = {"run_s": 0.0, "runnable_s": 0.0, "main_run_s": 0.0, "main_runnable_s": 0.0}
    for task in threads(pid):
        try:
            run_ns, wait_ns = (int(x) for x in (task / "schedstat").read_text().split()[:2])
            kids = (task / "children").read_text().split()
        except (OSError, ValueError):
            continue
        out["run_s"] += run_ns / 1e9
        out["runnable_s"] += wait_ns / 1e9
        if task.name == str(pid):
            out["main_run_s"], out["main_runnable_s"] = run_ns / 1e9, wait_ns / 1e9
        for kid in kids:
            sub = tree_sched_seconds(int(kid))
            out["run_s"] += sub["run_s"]
            out["runnable_s"] += sub["runnable_s"]
    return out


def cpu_pressure_s() -> float | None:
    """The machine's CPU pressure: seconds during which some task waited for a CPU (PSI)."""
    try:
        line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return None
    return int(line.rsplit("total=", 1)[1]) / 1e6


def children(pid: int) -> dict[str, int]:
    """The stack's processes by role: worker, sink, broker (from their command lines)."""
    out = {"api": pid}
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            cmd = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            text = b" ".join(cmd).decode(errors="replace")
            role = ("worker" if " worker " in text else "sink" if " sink " in text else
                    "broker" if "kafka" in text.lower() else None)
            if role:
                out[role] = int(child)
    return out


class Visibility(threading.Thread):
    """Watches `newsline.duckdb`: when a new snapshot is published, notes which awaited
    articles it holds, and when."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path, self.visible_at, self.stop = path, {}, threading.Event()
        self.snapshots = 0

    def run(self) -> None:
        import duckdb

        seen: tuple[int, int] | None = None
        while not self.stop.is_set():
            try:
                st = os.stat(self.path)
            except FileNotFoundError:
                time.sleep(0.05)
                continue
            ident = (st.st_ino, st.st_mtime_ns)
            if ident != seen:
                now = time.time()
                try:
                    con = duckdb.connect(str(self.path), read_only=True)
                    try:
                        rows = con.execute("SELECT version_id FROM articles").fetchall()
                    finally:
                        con.close()
                except duckdb.Error:
                    time.sleep(0.05)
                    continue
                seen = ident
                self.snapshots += 1
                for (vid,) in rows:
                    self.visible_at.setdefault(vid, now)
            time.sleep(0.05)


class Producer:
    """Sends raw article envelopes, Kafka-native or through the API; records accept times."""

    def __init__(self, info: dict, via: str) -> None:
        self.via, self.accepted_at = via, {}
        if via == "kafka":
            from kafka import KafkaProducer

            self.kafka = KafkaProducer(bootstrap_servers=info["bootstrap_servers"], acks="all",
                                       linger_ms=5, max_request_size=20 << 20,
                                       client_id="e2e-bench")
        else:
            from ingest.client import Client

            self.client = Client(info["api_url"], info["token"])

    def send(self, docs: list[dict]) -> list[str]:
        """Send a batch; the version ids sent."""
        if self.via == "api":
            t = time.time()
            result = self.client.post(docs)
            for a in result.accepted:
                self.accepted_at.setdefault(a["id"], t)
            return [a["id"] for a in result.accepted]
        out = []
        for doc in docs:
            art = Article.model_validate(doc)
            canonical = canonical_url(art.url)
            vid = version_id(canonical, art.version_time)
            env = envelope(art, source="bench/e2e", subject=canonical, id=vid)
            self.kafka.send(TOPICS["raw"].name, key=article_key(art.url).encode(),
                            value=encode(env))
            self.accepted_at.setdefault(vid, env.time.timestamp())
            out.append(vid)
        return out

    def flush(self) -> None:
        """Wait for the broker's acknowledgements."""
        if self.via == "kafka":
            self.kafka.flush(timeout=60)


def quantiles(xs: list[float]) -> dict[str, float | None]:
    """p50, p95 and max (nearest rank), in seconds."""
    s = sorted(xs)
    if not s:
        return {"p50": None, "p95": None, "max": None}
    return {"p50": round(s[len(s) // 2], 3), "p95": round(s[min(len(s) - 1, int(len(s) * 0.95))], 3),
            "max": round(s[-1], 3)}


def run_phase(spec: str, docs: list[dict], producer: Producer, vis: Visibility,
              pids: dict[str, int], bootstrap: str, timeout_s: float,
              profile: tuple[float, Path] | None) -> dict[str, Any]:
    """One phase: produce, wait until visible, sample backlog and CPU. `docs` is consumed."""
    from newsline.kafka_admin import consumer_lag

    rate_s, _, amount = spec.partition(":")
    rate = None if rate_s == "max" else float(rate_s)
    n = int(amount) if rate is None else int(rate * float(amount))
    batch = docs[:n]
    del docs[:n]
    cpu0 = {role: tree_cpu_seconds(pid) for role, pid in pids.items() if role != "api"}
    cpu0["api"] = cpu_seconds(pids["api"])  # not its children: they are the other roles
    sched0 = {role: tree_sched_seconds(pid) for role, pid in pids.items() if role != "api"}
    pressure0 = cpu_pressure_s()
    spy = start_profile(pids, *profile) if profile else None
    sent: list[str] = []
    samples: list[dict] = []
    t0 = time.time()
    step = 10 if producer.via == "api" and (rate or 1000) > 50 else 1

    def sample() -> None:
        sent_now = sent[:]
        visible = sum(1 for v in sent_now if v in vis.visible_at)
        try:
            lag: dict[str, Any] = consumer_lag(bootstrap)
        except Exception as exc:  # the broker busy: a gap in the series, not a failure
            lag = {"error": repr(exc)}
        samples.append({"t": round(time.time() - t0, 2), "produced": len(sent_now),
                        "visible": visible, "backlog": len(sent_now) - visible, "lag": lag})

    stop_sampling = threading.Event()

    def sampler() -> None:  # in a thread: a slow answer from the broker must not slow producing
        while not stop_sampling.is_set():
            sample()
            stop_sampling.wait(max(0.0, 1.0 - (time.time() - t0) % 1.0))

    sampling = threading.Thread(target=sampler, daemon=True)
    sampling.start()
    for i in range(0, n, step):
        if rate is not None:
            wait = t0 + i / rate - time.time()
            if wait > 0:
                time.sleep(wait)
        sent.extend(producer.send(batch[i:i + step]))
    producer.flush()
    produced_s = time.time() - t0
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if all(v in vis.visible_at for v in sent):
            break
        time.sleep(0.05)
    stop_sampling.set()
    sampling.join()
    sample()
    sched1 = {role: tree_sched_seconds(pids[role]) for role in sched0}  # until settled
    pressure1, sched_wall_s = cpu_pressure_s(), time.time() - t0
    if spy:
        spy.wait()
    cpu = {role: round((cpu_seconds(pid) if role == "api" else tree_cpu_seconds(pid))
                       - cpu0[role], 2) for role, pid in pids.items()}
    sched = {role: {k: round(v - sched0[role][k], 2) for k, v in sched1[role].items()}
             for role in sched0}
    lat = [vis.visible_at[v] - producer.accepted_at[v] for v in sent if v in vis.visible_at]
    done = [vis.visible_at[v] for v in sent if v in vis.visible_at]
    settled_s = (max(done) - t0) if done else None
    unique = len(set(sent))
    out = {
        "phase": spec, "rate": rate, "articles": unique, "visible": len(lat),
        "produce_s": round(produced_s, 2),
        "produced_per_s": round(unique / produced_s, 1) if produced_s else None,
        "settled_s": round(settled_s, 2) if settled_s else None,
        "settled_per_s": round(len(lat) / settled_s, 1) if settled_s else None,
        "latency_s": quantiles(lat), "cpu_s": cpu,
        "sched_s": {**sched, "wall_s": round(sched_wall_s, 2)},
        "cpu_pressure_s": (round(pressure1 - pressure0, 2)
                           if pressure0 is not None and pressure1 is not None else None),
        "cpu_ms_per_article": {r: round(1000 * c / max(1, len(lat)), 1) for r, c in cpu.items()},
        "cpu_ms_per_article_total": round(1000 * sum(cpu.values()) / max(1, len(lat)), 1),
        "backlog": samples, "load_avg": os.getloadavg(),
    }
    out["backlog_trend"] = trend(samples, produced_s)
    return out


def runnable(row: dict[str, Any]) -> dict[str, str]:
    """Per role, seconds waiting for a CPU / seconds on one, over the phase."""
    return {role: f"{s['runnable_s']} / {s['run_s']}" for role, s in row["sched_s"].items()
            if isinstance(s, dict)}


def trend(samples: list[dict], produced_s: float) -> dict[str, Any]:
    """Backlog at a third and at the end of production: flat, or growing (per second)."""
    during = [s for s in samples if s["t"] <= produced_s + 0.5]
    if len(during) < 3:
        return {"growth_per_s": None}
    a, b = during[len(during) // 3], during[-1]
    growth = (b["backlog"] - a["backlog"]) / max(0.1, b["t"] - a["t"])
    return {"from_t": a["t"], "to_t": b["t"], "backlog_from": a["backlog"],
            "backlog_to": b["backlog"], "growth_per_s": round(growth, 1)}


class Spy:
    """py-spy record of some processes, in the background."""

    def __init__(self, procs: list[tuple[str, subprocess.Popen, Path]]) -> None:
        self.procs = procs

    def wait(self) -> None:
        for _, p, _ in self.procs:
            p.wait()


def start_profile(pids: dict[str, int], seconds: float, out_dir: Path) -> Spy | None:
    """py-spy record (collapsed stacks, all threads, 100 Hz, without pausing the target)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        print("py-spy not installed: no profile", file=sys.stderr)
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    procs = []
    for role in ("worker", "sink"):
        if role in pids:
            path = out_dir / f"{role}.collapsed"
            procs.append((role, subprocess.Popen(
                [spy, "record", "-p", str(pids[role]), "-d", str(int(seconds)), "-r", "100",
                 "--subprocesses",
                 "--nonblocking", "--format", "raw", "-o", str(path)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), path))
    return Spy(procs)


STAGES = (  # stage -> substrings of a frame; the first stage whose pattern a stack holds wins
    ("analysis", ("analyse_article",)),
    ("resolve: fold", ("apply_article",)),
    ("resolve: journal + store", ("resolver_state.py",)),
    ("sink: batch write", ("apply_batch",)),
    ("sink: publish", ("publish (processors/store/replicas.py", "_publish (")),
    ("sink: decode + fold", ("split_changes", "fold_isolating")),
    ("codec (decode/encode)", ("codec.py",)),
    ("kafka client", ("aiokafka", "/kafka/")),
    ("faust", ("/faust/", "/mode/")),
)


def summarise_profile(path: Path) -> dict[str, Any]:
    """Share of samples per stage and the top functions by own samples."""
    stages: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_s = line.rpartition(" ")
        if not count_s.isdigit():
            continue
        count = int(count_s)
        total += count
        frames = stack.split(";")
        own[frames[-1]] += count
        for stage, patterns in STAGES:
            if any(p in stack for p in patterns):
                stages[stage] += count
                break
        else:
            stages["other"] += count
    pct = {k: round(100 * v / total, 1) for k, v in stages.most_common()} if total else {}
    top = [{"frame": f, "pct": round(100 * c / total, 1)} for f, c in own.most_common(15)]
    return {"samples": total, "stages_pct": pct, "top_own_pct": top}


def inprocess(docs: list[dict]) -> dict[str, Any]:
    """The same pipeline in this process: analysis, fold, envelopes, the sink's fold and write."""
    from processors.analysis.analyse import analyse_article
    from processors.resolution.fold import TimelineState, apply_article, change_envelopes
    from processors.store.project import fold
    from processors.store.sink import apply_batch, decode_changes, open_writer

    state = TimelineState()
    cpu = {"analysis": 0.0, "fold": 0.0, "sink": 0.0}
    wall0, records = time.perf_counter(), []
    with tempfile.TemporaryDirectory(prefix="e2e-inprocess-") as tmp:
        con = open_writer(Path(tmp) / "writer.duckdb")
        offset = 0
        for i, doc in enumerate(docs):
            t0 = time.process_time()
            art = Article.model_validate(doc)
            analysed = analyse_article(envelope(art, source="bench/e2e"))
            t1 = time.process_time()
            for env in change_envelopes(apply_article(state, analysed).changes,
                                        analysed.version_id):
                records.append((offset, encode(env)))
                offset += 1
            t2 = time.process_time()
            cpu["analysis"] += t1 - t0
            cpu["fold"] += t2 - t1
            if len(records) >= 2000 or i == len(docs) - 1:
                batch = fold(decode_changes(records))
                batch.next_offset = records[-1][0] + 1
                apply_batch(con, batch, topic=TOPICS["changelog"].name, epoch="e2e")
                cpu["sink"] += time.process_time() - t2
                records = []
        con.close()
    wall = time.perf_counter() - wall0
    total = sum(cpu.values())
    return {"articles": len(docs), "wall_s": round(wall, 2), "cpu_s": round(total, 2),
            "per_s_wall": round(len(docs) / wall, 1), "per_s_cpu": round(len(docs) / total, 1),
            "cpu_ms_per_article": {k: round(1000 * v / len(docs), 2) for k, v in cpu.items()}}


def start_stack(data_dir: Path, log: Path, tree: Path = ROOT,
                variant: dict[str, str] | None = None) -> tuple[subprocess.Popen, dict]:
    """`newsline up` (the code of `tree`, with the environment `variant`) on a fresh data
    folder; its runtime info once the API answers."""
    env = {**os.environ, **(variant or {}), "NEWSLINE_LOG_LEVEL": "WARNING",
           "NEWSLINE_KAFKA_LIBS": str(ROOT / ".kafka" / "libs"), "PYTHONPATH": str(tree)}
    env.pop("NEWSLINE_BOOTSTRAP_SERVERS", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsline.cli", "up", "--data-dir", str(data_dir.resolve()),
         "--api-port", "0"], cwd=tree, env=env, stdout=log.open("ab"),
        stderr=subprocess.STDOUT, start_new_session=True)
    runtime = data_dir / "newsline.json"
    deadline = time.monotonic() + 180
    while not runtime.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"stack did not start; see {log}")
        time.sleep(0.2)
    return proc, json.loads(runtime.read_text())


def machine() -> dict[str, Any]:
    """What ran the bench."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                            capture_output=True, check=False).stdout.strip()
    return {"python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count(), "commit": commit, "load_avg_start": os.getloadavg(),
            "date": datetime.now(UTC).isoformat(timespec="seconds")}


def stack_run(args: argparse.Namespace, phases: list[str], docs: list[dict], tree: Path,
              rows: list[dict], save: Any, variant: dict[str, str] | None = None) -> None:
    """Start a stack from `tree` (environment `variant`), run the warm-up and the phases, append
    a row per phase."""
    data_dir = Path(tempfile.mkdtemp(prefix="newsline-e2e-"))
    started = time.monotonic()
    proc, info = start_stack(data_dir, data_dir / "up.log", tree, variant)
    vis = Visibility(data_dir / "newsline.duckdb")
    vis.start()
    try:
        pids = children(proc.pid)
        producer = Producer(info, args.via)
        queue = list(docs)
        rows.append({"phase": "start", "stack_start_s": round(time.monotonic() - started, 1)})
        if args.warmup:  # the worker's first articles load its tables: not a steady state
            warm = run_phase(f"max:{args.warmup}", queue, producer, vis, pids,
                             info["bootstrap_servers"], args.timeout, None)
            rows[-1]["warmup"] = {k: warm[k] for k in ("articles", "visible", "settled_s")}
        for i, spec in enumerate(phases):
            profile = ((args.profile, data_dir / "profile")
                       if args.profile and i == len(phases) - 1 else None)
            row = run_phase(spec, queue, producer, vis, pids, info["bootstrap_servers"],
                            args.timeout, profile)
            if profile:
                row["profile"] = {role: summarise_profile(path)
                                  for role, path in ((r, profile[1] / f"{r}.collapsed")
                                                     for r in ("worker", "sink")) if path.exists()}
                kept = ROOT / "test-artifacts" / "e2e"  # the stacks themselves, for flame graphs
                label = "-".join([tree.name, *(f"{k}={v}" for k, v in (variant or {}).items())])
                kept.mkdir(parents=True, exist_ok=True)
                for path in profile[1].glob("*.collapsed"):
                    shutil.copy(path, kept / f"{label}-{path.name}")
            metrics = data_dir / ".sink" / "metrics.json"
            row["sink_metrics"] = json.loads(metrics.read_text()) if metrics.exists() else None
            rows.append(row)
            save()
            print(f"{spec}: {row['visible']}/{row['articles']} visible, produced "
                  f"{row['produced_per_s']}/s, settled {row['settled_per_s']}/s, latency "
                  f"{row['latency_s']}, backlog {row['backlog_trend']}, CPU ms/article "
                  f"{row['cpu_ms_per_article']}, runnable / run s {runnable(row)}", flush=True)
    finally:
        vis.stop.set()
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if args.keep:
            print(f"data folder kept: {data_dir}", flush=True)
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the phases on a fresh stack and print and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", choices=("dense", "easy"), default="dense")
    parser.add_argument("--phases", default="20:30,200:10,max:2000",
                        help="RATE:SECONDS or max:ARTICLES, comma-separated")
    parser.add_argument("--via", choices=("kafka", "api"), default="kafka")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--inprocess", type=int, default=0, help="articles run in-process first")
    parser.add_argument("--profile", type=float, default=0, help="py-spy seconds, last phase")
    parser.add_argument("--warmup", type=int, default=20,
                        help="articles produced and awaited before the phases (not reported)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to settle a phase")
    parser.add_argument("--before", metavar="REV[,REV]",
                        help="also run the same phases on stacks of the code at these git revisions")
    parser.add_argument("--rounds", type=int, default=1,
                        help="with --before: rounds of the trees taking turns")
    parser.add_argument("--variants", metavar="NAME=VALUE[ NAME=VALUE][,...]",
                        help="stacks of this tree with these environments, taking turns per "
                             "round (e.g. NEWSLINE_ANALYSE_PROCESSES=0,NEWSLINE_ANALYSE_PROCESSES=2)")
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    phases = [p for p in args.phases.split(",") if p]
    need = args.warmup + sum(int(a) if r == "max" else int(float(r) * float(a))
                             for r, _, a in (p.partition(":") for p in phases))
    make = dense_articles if args.workload == "dense" else easy_articles
    docs = make(max(need, args.inprocess), args.seed)
    out: dict[str, Any] = {"bench": "e2e", "workload": args.workload, "via": args.via,
                           "machine": machine(), "args": {k: str(v) for k, v in vars(args).items()}}

    def save() -> None:
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(out, indent=2) + "\n")

    if args.inprocess:
        out["inprocess"] = inprocess(docs[:args.inprocess])
        print("in-process:", json.dumps(out["inprocess"]), flush=True)
        save()
    trees = [t for t in (args.before or "").split(",") if t] + ["."]
    variants = [dict(a.split("=", 1) for a in v.split()) for v in (args.variants or "").split(",")
                if v.strip()] or [{}]
    out["runs"] = []
    with tempfile.TemporaryDirectory(prefix="newsline-e2e-trees-") as tmp:
        paths = {".": ROOT}
        for rev in trees[:-1]:  # the code as it was at REV, unpacked beside (same venv, broker)
            paths[rev] = Path(tmp) / rev
            paths[rev].mkdir()
            archive = subprocess.run(["git", "archive", rev], cwd=ROOT, check=True,
                                     capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(paths[rev])], input=archive, check=True)
        for round_ in range(args.rounds):  # taking turns, so that the machine's load is shared
            for rev, variant in [(t, {}) for t in trees[:-1]] + [(".", v) for v in variants]:
                rows: list[dict] = []
                out["runs"].append({"tree": rev, "env": variant, "round": round_,
                                    "phases": rows})
                stack_run(args, phases, docs[:need], paths[rev], rows, save, variant)
                if rev == "." and variant == variants[-1]:
                    out["phases"] = rows
                print(f"round {round_}: {rev} {variant or ''} done", flush=True)
    if "inprocess" in out and out.get("phases"):
        best = max((p.get("settled_per_s") or 0) for p in out["phases"])
        out["e2e_over_inprocess"] = round(best / out["inprocess"]["per_s_wall"], 2)
        # The same in CPU per article, which the machine's load moves far less than wall time:
        # in-process CPU per article over the stack's (every process) in its last phase.
        own = 1000 / out["inprocess"]["per_s_cpu"]
        out["inprocess_cpu_over_e2e_cpu"] = round(
            own / out["phases"][-1]["cpu_ms_per_article_total"], 2)
    out["machine"]["load_avg_end"] = os.getloadavg()
    save()
    return out


if __name__ == "__main__":
    main()
