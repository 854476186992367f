"""Restart with many articles in the log: how long until the stack is caught up again?

    .venv/bin/python bench/restart_bench.py --articles 500 --seed kafka \
        --out bench/results/restart-kafka-500.json

Starts `newsline up` (this checkout, a temporary data folder), puts `--articles` articles in the
raw topic, waits until the stack has caught up once (every article in DuckDB, `newsline status`
lag 0; `fill_s` from the first record written, `fill_per_s` the articles over it), stops it
with SIGINT to its process group (a terminal's Ctrl-C), starts it again and measures, from the
start of the second `newsline up`:

- `restart_to_ready_s`: until `DATA_DIR/newsline.json` is written (the API answers);
- `restart_to_caught_up_s`: until `newsline status --json` first reports lag 0 on every topic
  it lists (raw and analysed for the faust group, changelog for the sink) with every article
  still in DuckDB. Polled: one `newsline status` takes 1-3 s here, so this is a bound. The
  resolver opens its state on the first record after a restart (it used to rebuild its indexes
  from every stored version there; now it makes the index pages that record touches), so with
  no record waiting, lag reads 0 before that: the next figure includes it;
- `restart_to_fresh_article_visible_s`: a new article posted once ready, until `newsline post
  --wait` returns (visible to analysts).

With `--steps 10000,30000,100000` one stack is filled to each size in turn and a restart
measured at each (`steps` in the JSON, written after every step, so a run stopped part way keeps
what it measured; the top level repeats the largest size measured); each step's fresh article
stays in the log.

    .venv/bin/python bench/restart_bench.py --articles 100000 --steps 10000,30000,100000 \
        --seed kafka --out bench/results/restart-kafka-steps.json

How they get in: `--seed kafka` writes envelopes of `org.newsline.article.submitted` straight
to `newsline.articles.raw` with kafka-python, keyed by article id, as a Kafka-native producer
does (README, Producers); `--seed api` posts them through the HTTP API with `newsline post` (the
only way an article reached the previous broker's archive, so the one to use for it).

What they are (`--workload`):

- `distinct` (the default): the originals of `bench/dense_workload.py`'s news (`raw_pool`,
  deterministic by `--workload-seed`): English and French articles of 3 to 10 sentences, dated
  happenings in every date form the tagger reads, a cast of one to three people, an
  organisation and a place drawn with Zipf weights, 80 outlets. Its syndicated copies and
  same-URL updates are left out, so no article is a copy of another; stories have at most
  `STORY_MAX` articles and the pool spreads over `n // 500` weeks (at least 8), about 70
  articles a day, as in `bench/e2e_bench.py`. Cheap enough per article that a large log can be
  filled, realistic enough that analysis, coreference and the sink all do their usual work;
- `examples`: the example stories (`examples/niger-2023.jsonl`) under distinct URLs, so most of
  them are syndicated copies of one another (the first runs of this bench; one copy group grows
  with the log, and its cost with it: `bench/copies_bench.py`).

Run the same script from another checkout (`git archive REV | tar -x -C DIR`, with DIR's own
`make setup`) to measure that version; the script needs only the checkout's `newsline` CLI and,
for `--seed kafka`, its `schemas` package. A tree without `bench/dense_workload.py` takes the
articles from a file written by this checkout: `--dump-articles FILE` here, `--articles-file
FILE` there, so that both trees can be given the same articles.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class Stack:
    """`newsline up` of this checkout in its own process group."""

    def __init__(self, data: Path, lag_at_rest: int = 0) -> None:
        self.data, self.runtime = data, data / "newsline.json"
        self.lag_at_rest = lag_at_rest

    def cli(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "newsline.cli", *args, "--data-dir",
                               str(self.data)], cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout)

    def start(self) -> float:
        env = {k: v for k, v in os.environ.items() if k != "NEWSLINE_BOOTSTRAP_SERVERS"}
        self.runtime.unlink(missing_ok=True)
        self.log = (self.data / "up.log").open("ab")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "newsline.cli", "up", "--data-dir", str(self.data),
             "--api-port", "0"], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        while not self.runtime.exists():
            if self.proc.poll() is not None or time.monotonic() - self.started > 600:
                raise RuntimeError(f"newsline up did not start; see {self.data}/logs")
            time.sleep(0.05)
        return time.monotonic() - self.started

    def status(self) -> dict[str, Any]:
        out = self.cli("status", "--json", timeout=120).stdout
        return json.loads(out) if out.strip() else {}

    def caught_up(self, articles: int) -> tuple[bool, dict[str, Any]]:
        st = self.status()
        lag, counts = st.get("lag"), st.get("counts")
        ok = (isinstance(lag, dict) and len(lag) >= 3 and all(v <= self.lag_at_rest for v in lag.values())
              and isinstance(counts, dict) and counts.get("articles", 0) >= articles)
        return ok, st

    def wait_caught_up(self, articles: int, timeout: float,
                       since: float | None = None) -> tuple[float | None, dict[str, Any]]:
        """Seconds since `since` (default: this start) until caught up (None: not within
        timeout), last status. self.progress: [seconds, articles in DuckDB], about every 30 s."""
        st: dict[str, Any] = {}
        since = self.started if since is None else since
        self.progress: list[list[float]] = []
        while time.monotonic() - since < timeout:
            ok, st = self.caught_up(articles)
            now = time.monotonic() - since
            if ok:
                return now, st
            if not self.progress or now - self.progress[-1][0] >= 30:
                counts = st.get("counts")  # a message instead while DuckDB is not readable
                self.progress.append([round(now, 1), counts.get("articles", 0)
                                      if isinstance(counts, dict) else None])
            time.sleep(0.5)
        return None, st

    def interrupt(self) -> float:
        began = time.monotonic()
        os.killpg(self.proc.pid, signal.SIGINT)
        self.proc.wait(timeout=300)
        self.log.close()
        return time.monotonic() - began


STORY_MAX = 20  # articles per story at most in the distinct workload


def article(i: int, lines: list[str]) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(lines[i % len(lines)])
    doc["url"] = f"https://restart.example/{i}/{doc['url'].split('//', 1)[1]}"
    doc.pop("idempotency_key", None)
    return doc


def distinct_articles(n: int, seed: int) -> list[dict[str, Any]]:
    """n articles of the dense workload's news, none a copy or an update of another, in
    publication order (raw_pool's `articles` counts exactly its originals)."""
    from bench.dense_workload import raw_pool

    pool = raw_pool(seed, n, weeks=max(8, n // 500), largest=STORY_MAX)
    docs = [d for d in pool if "updated_at" not in d and "/wire/" not in d["url"]]
    if len(docs) != n:
        raise RuntimeError(f"raw_pool gave {len(docs)} originals, not {n}")
    return docs


def workload(name: str, n: int, seed: int, path: Path | None = None) -> list[dict[str, Any]]:
    """The n seed articles: from `path` (JSONL) if given, else the named workload."""
    if path is not None:
        with path.open() as f:
            docs = [json.loads(line) for line, _ in zip(f, range(n), strict=False)]
        if len(docs) != n:
            raise RuntimeError(f"{path} holds {len(docs)} articles, not {n}")
        return docs
    if name == "distinct":
        return distinct_articles(n, seed)
    lines = (ROOT / "examples" / "niger-2023.jsonl").read_text().splitlines()
    return [article(i, lines) for i in range(n)]


def seed_kafka(stack: Stack, docs: list[dict[str, Any]]) -> float:
    """Write the article envelopes straight to the raw topic (acks=all); seconds taken."""
    from kafka import KafkaProducer

    from schemas.articles import Article
    from schemas.codec import encode, envelope
    from schemas.identity import article_key, canonical_url, version_id
    from schemas.topics import TOPICS

    bootstrap = json.loads(stack.runtime.read_text())["bootstrap_servers"]
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20,
                             batch_size=256 * 1024, max_request_size=8 * 1024 * 1024)
    began = time.monotonic()
    for doc in docs:
        art = Article.model_validate(doc)
        canonical = canonical_url(art.url)
        env = envelope(art, source="bench/restart_bench", subject=canonical,
                       id=version_id(canonical, art.version_time))
        producer.send(TOPICS["raw"].name, key=article_key(art.url).encode(), value=encode(env))
    producer.flush()
    producer.close()
    return time.monotonic() - began


def seed_api(stack: Stack, docs: list[dict[str, Any]], folder: Path) -> float:
    path = folder / f"articles-{len(docs)}.jsonl"
    path.write_text("".join(json.dumps(doc) + "\n" for doc in docs))
    began = time.monotonic()
    done = stack.cli("post", str(path))
    if done.returncode != 0:
        raise RuntimeError(f"post failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")
    return time.monotonic() - began


def fresh(folder: Path, tag: str) -> Path:
    doc = json.loads((ROOT / "examples" / "seed-rtl-2023-09-04.json").read_text())
    doc["url"] = f"https://restart.example/fresh/{tag}"
    out = folder / f"fresh-{tag}.json"
    out.write_text(json.dumps(doc))
    return out


def post_wait(stack: Stack, path: Path) -> float:
    began = time.monotonic()
    done = stack.cli("post", str(path), "--wait", "--timeout", "1800", timeout=2000)
    if done.returncode != 0:
        raise RuntimeError(f"post --wait failed: {done.stdout[-2000:]}")
    return time.monotonic() - began


def measure_restart(stack: Stack, expect: int, timeout: float, folder: Path,
                    tag: str) -> dict[str, Any]:
    """Stop the caught-up stack with SIGINT, start it again; the restart figures."""
    out: dict[str, Any] = {"sigint_to_exit_s": stack.interrupt(),
                           "restart_to_ready_s": stack.start()}
    took, st = stack.wait_caught_up(expect, timeout)
    out["restart_to_caught_up_s"], out["status_at_restart_caught_up"] = took, st
    if took is not None:
        out["restart_to_fresh_article_visible_s"] = (time.monotonic() - stack.started
                                                     + post_wait(stack, fresh(folder, tag)))
    return out


def run(docs: list[dict[str, Any]], steps: list[int], seed: str, folder: Path, timeout: float,
        lag_at_rest: int, save: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """One stack; for each size in `steps`, fill the log up to it (the articles not seeded yet),
    wait until caught up, then measure a restart. The stack stays up between steps (the restart
    of one step is the start of the next fill); each step's fresh article counts in the next."""
    data = folder / "stack"
    data.mkdir()
    stack = Stack(data, lag_at_rest)
    doc: dict[str, Any] = {"seed": seed, "lag_at_rest": lag_at_rest,
                           "start_to_ready_s": stack.start(), "steps": []}
    seeded, fresh_posted = 0, 0
    try:
        for n in steps:
            step: dict[str, Any] = {"articles": n}
            doc["steps"].append(step)
            batch, began = docs[seeded:n], time.monotonic()
            step["seed_s"] = (seed_kafka(stack, batch) if seed == "kafka"
                              else seed_api(stack, batch, folder))
            seeded = n
            took, st = stack.wait_caught_up(n + fresh_posted, timeout, since=began)
            step["fill_s"], step["status_at_fill_caught_up"] = took, st
            step["fill_progress"] = stack.progress  # [s since the seed began, articles in DuckDB]
            if took is None:
                break
            step["fill_per_s"] = round(len(batch) / took, 2)  # seeded until caught up
            step.update(measure_restart(stack, n + fresh_posted, timeout, folder, f"s{n}"))
            fresh_posted += "restart_to_fresh_article_visible_s" in step
            save(doc)
            if step.get("restart_to_fresh_article_visible_s") is None:
                break
    finally:
        doc["last_sigint_to_exit_s"] = stack.interrupt()
    done = [s for s in doc["steps"] if s.get("restart_to_fresh_article_visible_s") is not None]
    if done:  # the largest size measured, at the top level as in one-size runs
        doc.update({k: v for k, v in done[-1].items() if not k.startswith("status")})
        doc["status_at_first_catch_up"] = done[-1]["status_at_fill_caught_up"]
        doc["status_at_restart_caught_up"] = done[-1]["status_at_restart_caught_up"]
    return doc


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--articles", type=int, default=10_000)
    p.add_argument("--steps", default=None,
                   help="comma-separated sizes up to --articles, each measured in turn in one "
                        "stack (e.g. 10000,30000,100000); default: --articles alone")
    p.add_argument("--seed", choices=["kafka", "api"], default="kafka")
    p.add_argument("--workload", choices=["distinct", "examples"], default="distinct")
    p.add_argument("--workload-seed", type=int, default=1)
    p.add_argument("--articles-file", type=Path,
                   help="take the first --articles articles of this JSONL file instead")
    p.add_argument("--dump-articles", type=Path,
                   help="write the workload's articles to this JSONL file and exit")
    p.add_argument("--timeout", type=float, default=7200.0,
                   help="give up waiting for a catch-up after this many seconds")
    p.add_argument("--lag-at-rest", type=int, default=0,
                   help="lag per topic that counts as caught up (the previous broker read 1)")
    p.add_argument("--label", default=None)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    docs = workload(args.workload, args.articles, args.workload_seed, args.articles_file)
    if args.dump_articles:
        args.dump_articles.write_text("".join(json.dumps(d) + "\n" for d in docs))
        return 0
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                         text=True).stdout.strip() or None
    doc: dict[str, Any] = {"label": args.label, "commit": rev,
                           "workload": ("file " + args.articles_file.name if args.articles_file
                                        else f"{args.workload} (seed {args.workload_seed})"),
                           "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                       "load_avg_at_start": os.getloadavg()}}
    steps = sorted({int(x) for x in args.steps.split(",")}) if args.steps else [args.articles]
    if steps[-1] > args.articles:
        p.error("--steps go up to --articles at most")

    def save(part: dict[str, Any]) -> None:  # after every step: a long run keeps what it measured
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps({**doc, **part}, indent=2) + "\n")

    with tempfile.TemporaryDirectory(prefix="restart-bench-") as tmp:
        doc.update(run(docs, steps, args.seed, Path(tmp), args.timeout, args.lag_at_rest, save))
    doc["machine"]["load_avg_at_end"] = os.getloadavg()
    print(json.dumps(doc, indent=2))
    save({})
    return 0 if doc.get("restart_to_fresh_article_visible_s") is not None else 1


if __name__ == "__main__":
    sys.exit(main())
