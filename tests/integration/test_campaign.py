"""The fault campaign (issue 16): kill -9 anywhere, a broker outage, extra workers, with an analyst
holding the DuckDB file open throughout. Nothing that got a 2xx is lost or doubled, and every
projection equals a fault-free run over the same log (`campaign.py` says why that reference).

Short versions run in `make test`; the long ones are marked `reliability` (`make
test-reliability`). The seed of the fault schedule is printed, so a failure can be replayed.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time

import duckdb
import pytest
from kafka import KafkaProducer

from newsline.health import read_dead_letters
from newsline.kafka_admin import consumer_lag
from processors.worker.stall import GIVE_UP_LINE
from schemas.codec import Rejection, decode
from schemas.topics import TOPICS
from tests.conftest import ROOT
from tests.integration.campaign import (
    Analyst,
    ApiProcess,
    Faults,
    Poster,
    check_against_reference,
    http_post_once,
    pids_of,
    read_topic,
    wait_caught_up,
    workload,
)
from tests.integration.conftest import RunningStack

pytestmark = pytest.mark.integration

SEED = int(os.environ.get("NEWSLINE_CAMPAIGN_SEED", time.time_ns() % 10_000))
CRASHES = ("worker", "sink", "api_process", "broker", "whole_stack")
SOAK_WARM = 600  # articles before the soak's samples: the sink's warm-up (the soak's docstring)
SOAK_CACHE_SCALE = 0.05  # of the resolver's caps in the soak: full within its warm-up


class Campaign:
    """A stack, its own API process, an analyst session; stopped in `close`."""

    def __init__(self, tmp_path, *extra: str, env: dict[str, str] | None = None) -> None:
        (tmp_path / "stack").mkdir()
        (tmp_path / "api").mkdir()
        self.tmp = tmp_path
        self.stack = RunningStack(tmp_path / "stack", *extra, env=env).start()
        self.api = ApiProcess(tmp_path / "api").start(self.stack.info["bootstrap_servers"])
        self.analyst = Analyst(self.stack.data_dir / "newsline.duckdb")
        self.rng = random.Random(SEED)
        print(f"campaign seed {SEED} (NEWSLINE_CAMPAIGN_SEED replays it)")

    def finish(self, poster: Poster) -> dict:
        poster.join(timeout=900)
        assert not poster.is_alive(), "the producer never got every batch through"
        took = wait_caught_up(self.stack, timeout=600)
        report = check_against_reference(self.stack, poster.accepted, self.tmp)
        analyst = self.analyst.finish()
        assert not analyst["errors"], analyst["errors"][:3]
        assert analyst["queries"] > 0
        assert not self.stack.alarms(), self.stack.logs()
        report.update(caught_up_s=round(took, 1), analyst_queries=analyst["queries"],
                      producer_retries=len(poster.failures),
                      group_watch_exits=sum(  # processors/worker/stall.py, GroupWatch
                          p.read_text(errors="replace").count(GIVE_UP_LINE)
                          for p in (self.stack.data_dir / "logs").glob("*.log")))
        print("campaign report:", report)
        return report

    def close(self) -> None:
        if self.analyst.proc.poll() is None:
            self.analyst.proc.kill()
        self.api.kill(signal.SIGTERM)
        self.stack.stop()


@pytest.fixture
def campaign(tmp_path):
    c = Campaign(tmp_path)
    yield c
    c.close()


def crash_anywhere(c: Campaign, articles: int, rounds: int) -> dict:
    docs = workload(articles)
    schedule = [name for _ in range(rounds) for name in c.rng.sample(CRASHES, len(CRASHES))]
    # Posting lasts about as long as the faults, so every fault lands while articles flow.
    poster = Poster(c.api, docs, batch=10, pause_s=max(0.2, 12.0 * len(schedule) * 10 / len(docs)))
    poster.start()
    faults = Faults(c.stack, c.api, c.rng)
    for name in schedule:
        time.sleep(c.rng.uniform(4, 14))  # at least 12 s apart: `newsline up` restarts 5 a minute
        faults.run(name)
        print(f"fault: kill -9 of {name} at {len(poster.accepted)} accepted")
    return c.finish(poster)


def test_crash_anywhere_short(campaign):
    """kill -9 of the worker, the sink, the API, the broker and the whole stack, once each, in a
    random order at random moments while about 140 articles flow."""
    crash_anywhere(campaign, articles=120, rounds=1)


@pytest.mark.reliability
def test_crash_anywhere_long(campaign):
    """The same, five rounds (25 kills) while about 2,400 articles flow."""
    crash_anywhere(campaign, articles=2000, rounds=5)


def broker_outage(c: Campaign, articles: int, outage_s: float) -> dict:
    """The broker frozen (SIGSTOP) under load: a producer's POST gets 503 with Retry-After, never
    a 2xx; the client retries through it; the processors reconnect; nothing is lost."""
    poster = Poster(c.api, workload(articles), batch=10, pause_s=0.5)
    poster.start()
    time.sleep(5)
    [broker] = pids_of(f"{c.stack.data_dir}/kafka/log4j2.properties")
    os.kill(broker, signal.SIGSTOP)
    try:
        probe = [dict(d, url=d["url"] + "?outage-probe") for d in workload(3, seed=99)]
        answer = http_post_once(c.api, probe)
        assert answer.status_code == 503, (answer.status_code, answer.text)
        assert answer.headers.get("retry-after", "").isdigit(), answer.headers
        time.sleep(max(0.0, outage_s - 10))
    finally:
        os.kill(broker, signal.SIGCONT)
    report = c.finish(poster)
    con = duckdb.connect(str(c.stack.data_dir / "newsline.duckdb"), read_only=True)
    try:
        refused = con.execute("SELECT count(*) FROM articles WHERE url LIKE '%outage-probe%'"
                              ).fetchone()
    finally:
        con.close()
    report["refused_yet_stored"] = refused[0] if refused else 0
    print("outage report:", report)
    return report


# Not in `make test` until its defect is fixed: in 1 of 5 short runs the faust worker did not
# come back after the 20 s freeze ("Heartbeat session expired - marking coordinator dead", then
# nothing; raw lag 52 for minutes, the stall alarm every 40 s), and in another the stall alarm
# fired while it recovered. A flaky test in `make test` is a defect; this one is a real one.
@pytest.mark.reliability
def test_broker_outage_short(campaign):
    broker_outage(campaign, articles=60, outage_s=20)


@pytest.mark.reliability
def test_broker_outage_long(campaign):
    broker_outage(campaign, articles=600, outage_s=90)


def extra_worker(c: Campaign, name: str) -> subprocess.Popen:
    env = {**os.environ, "NEWSLINE_WORKER_INSTANCE": name}
    (c.tmp / name).mkdir(exist_ok=True)
    log = (c.tmp / name / "worker.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "newsline.cli", "worker", "--data-dir", str(c.tmp / name),
         "--bootstrap-servers", c.stack.info["bootstrap_servers"]],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def rebalance(c: Campaign, articles: int, moves: int) -> dict:
    """Extra workers join and leave (SIGTERM or kill -9) under load: the partitions move between
    workers, and the tables still equal the reference."""
    poster = Poster(c.api, workload(articles), batch=10, pause_s=0.5)
    poster.start()
    for i in range(moves):
        time.sleep(c.rng.uniform(5, 12))
        extra = extra_worker(c, f"extra-{i}")
        time.sleep(c.rng.uniform(10, 20))
        extra.send_signal(c.rng.choice((signal.SIGTERM, signal.SIGKILL)))
        extra.wait(timeout=60)
    return c.finish(poster)


def test_rebalance_short(campaign):
    rebalance(campaign, articles=60, moves=2)


@pytest.mark.reliability
def test_rebalance_long(campaign):
    rebalance(campaign, articles=1000, moves=10)


def poison_messages(rng: random.Random, valid_raw: bytes, valid_analysed: bytes | None,
                    valid_change: bytes | None, huge_chars: int) -> dict[str, list[bytes]]:
    """Bad records for every topic the processors read: random bytes, truncated JSON, valid
    envelopes with absurd content, huge fields."""
    def truncated(value: bytes) -> bytes:
        return value[: len(value) // 2]

    raw_env = json.loads(valid_raw)
    absurd = dict(raw_env, id=f"poison-{rng.random()}", data=dict(
        raw_env["data"], url="https://poison.example/absurd", title="x" * 2000,
        published_at="9999-12-31T23:59:59+00:00",
        text=" ".join(["lundi 4 septembre 1066,"] * 2000)))
    huge = dict(raw_env, id=f"poison-{rng.random()}", data=dict(
        raw_env["data"], url="https://poison.example/huge",
        text=" ".join(rng.choice(("Niamey", "mardi", "le", "29", "juillet", "coup", "Bazoum."))
                      for _ in range(huge_chars // 6))))
    out = {TOPICS["raw"].name: [rng.randbytes(300), truncated(valid_raw),
                                json.dumps(absurd).encode(), json.dumps(huge).encode()]}
    if valid_analysed is not None:
        env = json.loads(valid_analysed)
        data = env["data"]
        nonsense = dict(env, id=f"poison-{rng.random()}", data=dict(
            data, version_id="poison-absurd", signature=[], clean_chars=0,
            mentions=[dict(m, start="9999-12-31", end="0001-01-01") for m in data["mentions"]]))
        out[TOPICS["analysed"].name] = [rng.randbytes(300), truncated(valid_analysed),
                                        json.dumps(nonsense).encode()]
    if valid_change is not None:
        out[TOPICS["changelog"].name] = [rng.randbytes(300), truncated(valid_change)]
    return out


def first_value(bootstrap: str, topic: str) -> bytes | None:
    records = read_topic(bootstrap, topic)
    return records[0][2] if records else None


def poison(c: Campaign, articles: int, huge_chars: int) -> dict:
    """Poison on the raw, analysed and changelog topics while valid articles flow: every
    undecodable record ends as a dead letter with its error, valid articles keep flowing, no
    process is restarted."""
    bootstrap = c.stack.info["bootstrap_servers"]
    docs = workload(articles)
    first = Poster(c.api, docs[: len(docs) // 2], batch=10)
    first.start()
    first.join(timeout=600)
    wait_caught_up(c.stack)
    bad = poison_messages(c.rng, first_value(bootstrap, TOPICS["raw"].name),
                          first_value(bootstrap, TOPICS["analysed"].name),
                          first_value(bootstrap, TOPICS["changelog"].name), huge_chars)
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all",
                             max_request_size=20 << 20)
    sent = []
    for topic, values in bad.items():
        for value in values:
            meta = producer.send(topic, key=b"poison", value=value).get(timeout=30)
            sent.append((topic, meta.partition, meta.offset))
    producer.close()
    second = Poster(c.api, docs[len(docs) // 2:], batch=10)
    second.start()
    second.join(timeout=600)
    wait_caught_up(c.stack, timeout=600)
    letters = {(d["source_topic"], d["source_partition"], d["source_offset"]): d
               for d in read_dead_letters(bootstrap)}
    report = {"poison_sent": len(sent), "dead_letters": len(letters)}
    values = [v for vs in bad.values() for v in vs]
    for (topic, part, offset), value in zip(sent, values, strict=True):
        if topic == TOPICS["raw"].name and not isinstance(decode(value), Rejection):
            continue  # a valid article with absurd content may be analysed, not parked
        assert (topic, part, offset) in letters, f"no dead letter for {topic}:{part}:{offset}"
        assert letters[(topic, part, offset)]["error"]
    got = duckdb.connect(str(c.stack.data_dir / "newsline.duckdb"), read_only=True)
    try:
        present = {r[0] for r in got.execute("SELECT version_id FROM articles").fetchall()}
    finally:
        got.close()
    missing = {a["id"] for a in first.accepted + second.accepted} - present
    assert not missing, f"{len(missing)} valid articles missing after the poison"
    up_log = (c.stack.data_dir / "up.log").read_text()
    assert "exited with" not in up_log, "a process died on poison:\n" + c.stack.logs()
    assert not c.stack.alarms(), c.stack.logs()
    analyst = c.analyst.finish()
    assert not analyst["errors"], analyst["errors"][:3]
    report["valid_accepted"] = len(first.accepted) + len(second.accepted)
    report["errors"] = sorted(f"{t}: {d['error'][:70]}" for (t, _, _), d in letters.items())
    print("poison report:", report)
    return report


def test_poison_short(campaign):
    poison(campaign, articles=20, huge_chars=100_000)


@pytest.mark.reliability
def test_poison_long(campaign):
    poison(campaign, articles=400, huge_chars=7_000_000)


def process_figures(pid: int) -> tuple[float, int]:
    """RSS in MB and open file descriptors of a process (Linux /proc)."""
    rss_kb = next(int(line.split()[1]) for line in open(f"/proc/{pid}/status")
                  if line.startswith("VmRSS:"))
    return rss_kb / 1024, len(os.listdir(f"/proc/{pid}/fd"))


@pytest.fixture
def soak_campaign(tmp_path):
    c = Campaign(tmp_path, env={"NEWSLINE_RESOLVER_CACHE_SCALE": str(SOAK_CACHE_SCALE)})
    yield c
    c.close()


@pytest.mark.reliability
def test_soak_ten_minutes_at_a_steady_rate(soak_campaign, tmp_path):
    """Ten minutes at about 2 articles a second, after a warm-up: lag, RSS and open descriptors
    of every process sampled every 15 s; descriptors, lag and the RSS of every process stay
    flat.

    The warm-up (`SOAK_WARM` articles as fast as the API takes them, then caught up) is what
    memory needs before it is flat: the sink's DuckDB buffer pool fills over its first few
    hundred articles, then follows its files slowly (`bench/sink_memory.py`); the worker's
    resolver caches fill up to their caps, which at their defaults takes 10,000-20,000 dense
    articles (`bench/resolver_state_bench.py` measures it past them), so the soak's worker runs
    with every cap at `SOAK_CACHE_SCALE` of its default (`resolver_state.cache_caps`: the same
    timeline, more store reads), reached within the warm-up."""
    c = soak_campaign
    d = c.stack.data_dir
    procs = {"up": c.stack.proc.pid, "api": c.api.proc.pid,
             "worker": pids_of(f"newsline.cli worker --data-dir {d} ")[0],
             "sink": pids_of(f"newsline.cli sink --data-dir {d} ")[0],
             "broker": pids_of(f"{d}/kafka/log4j2.properties")[0]}
    docs = workload(SOAK_WARM + 1200)
    warm = Poster(c.api, docs[:SOAK_WARM], batch=10)
    warm.start()
    warm.join(timeout=600)
    assert not warm.is_alive(), "the warm-up never got every batch through"
    print(f"soak: warmed with {len(warm.accepted)} articles, caught up in "
          f"{wait_caught_up(c.stack):.1f} s")
    # the warm-up's articles are checked at the end with the soak's
    poster = Poster(c.api, docs[SOAK_WARM:], batch=2, pause_s=0.9,
                    accepted=list(warm.accepted))
    poster.start()
    samples = []
    started = time.monotonic()
    while time.monotonic() - started < 600:
        time.sleep(15)
        lag = consumer_lag(c.stack.info["bootstrap_servers"])
        row = {"t": round(time.monotonic() - started), "lag": sum(lag.values())}
        for name, pid in procs.items():
            row[f"{name}_rss_mb"], row[f"{name}_fds"] = process_figures(pid)
        samples.append(row)
        print("soak:", row)
    report = c.finish(poster)
    out = ROOT / "test-artifacts" / "soak.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"samples": samples, "report": report}, indent=1))
    third = len(samples) // 3
    early, late = samples[1:third + 1], samples[-third:]
    for name in procs:
        assert max(s[f"{name}_fds"] for s in late) <= max(s[f"{name}_fds"] for s in early) + 10
    assert max(s["lag"] for s in late) <= max(50, 2 * max(s["lag"] for s in early))
    for name in ("broker", "sink", "api", "up", "worker"):
        grow = max(s[f"{name}_rss_mb"] for s in late) / max(s[f"{name}_rss_mb"] for s in early)
        assert grow < 1.5, (name, grow)
