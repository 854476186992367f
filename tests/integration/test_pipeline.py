"""End to end through the embedded broker, real faust workers and a real DuckDB file."""

import json
import re
import time

import duckdb
import httpx
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from newsline.kafka_admin import high_watermarks
from processors.worker.stall import GIVE_UP_LINE
from schemas.identity import canonical_url
from tests.conftest import EXAMPLES, SHARED
from tests.reference_projection import projected, reference_projection

pytestmark = pytest.mark.integration
NIGER_RECALL_MIN = 1.0  # measured: every gold event, with its sources (see the unit test)
# Each test posts what it reads (a repost is a no-op duplicate), so none depends on another's.
SEED = EXAMPLES / "seed-rtl-2023-09-04.json"


def post_seed(stack):
    stack.cli("post", str(SEED), "--data-dir", str(stack.data_dir), "--wait", "--timeout", "240")


def caught_up(stack, timeout=90):
    """`newsline status` once every consumer has caught up (lag 0 everywhere); fail otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        report = json.loads(stack.cli("status", "--data-dir", str(stack.data_dir), "--json").stdout)
        if isinstance(report["lag"], dict) and set(report["lag"].values()) == {0}:
            return report
        if time.monotonic() > deadline:
            raise AssertionError(f"still lagging after {timeout} s: {report}")
        time.sleep(0.5)


def test_seed_article_gives_its_timeline_in_order(stack):
    post_seed(stack)
    seed_url = canonical_url(json.loads(SEED.read_text())["url"])
    events = [e for e in stack.timeline() if seed_url in e["sources"]]  # other tests post too
    mid_aug = [i for i, e in enumerate(events) if e["start"] >= "2023-08-10"
               and e["end"] <= "2023-08-21" and e["start"] != e["end"]]
    aug30 = [i for i, e in enumerate(events) if e["start"] == e["end"] == "2023-08-30"]
    sep4 = [i for i, e in enumerate(events) if e["start"] == e["end"] == "2023-09-04"]
    assert len(mid_aug) == 1 and len(aug30) == 1 and len(sep4) == 1, events
    assert mid_aug[0] < aug30[0] < sep4[0]
    assert events[sep4[0]]["mentions"] == 3  # the White House statement, reported three times
    assert "2019" not in json.dumps(events) and not any(e["start"].startswith("2022")
                                                        for e in events)


def test_an_idle_stack_keeps_its_worker(stack):
    """After the seed alone, most raw partitions hold no record and were never committed; the
    worker's commit watch must not take them for a stall (it gave up on the worker every 35 s
    in `make run` so, until 0cf0dea). 40 s idle covers its 20 s patience and 5 s timer twice."""
    post_seed(stack)
    ends = high_watermarks(stack.info["bootstrap_servers"], stack.info["topics"]["raw"])
    time.sleep(40)
    logs = "".join(p.read_text(errors="replace") for p in (stack.data_dir / "logs").glob("*.log"))
    assert GIVE_UP_LINE not in logs, (ends, stack.logs())


def gold_recall(events, gold):
    urls = [canonical_url(u) for u in gold["articles"]]
    found = 0
    for g in gold["events"]:
        want = {urls[i] for i in g["articles"]}
        day = g["date"]
        if any(e["start"] == e["end"] == day and want & set(e["sources"]) for e in events):
            found += 1
    return found / len(gold["events"])


def test_dev_set_story_recall_against_gold(stack):
    stack.cli("post", str(EXAMPLES / "niger-2023.jsonl"), "--data-dir", str(stack.data_dir),
              "--wait", "--timeout", "240")
    gold = json.loads((SHARED / "examples" / "niger-2023.gold.json").read_text())
    events = stack.timeline("--until", "2023-08-31", "--since", "2023-07-01")
    recall = gold_recall(events, gold)
    print(f"niger-2023 gold recall through the stack: {recall:.3f}")
    assert recall >= NIGER_RECALL_MIN, events
    copy_url = canonical_url(gold["articles"][3])
    assert not any(copy_url in e["sources"] for e in events), "the copy must collapse"


def test_bad_raw_messages_go_to_dead_letters_and_the_stream_goes_on(stack):
    producer = KafkaProducer(bootstrap_servers=stack.info["bootstrap_servers"], acks="all")
    topic = stack.info["topics"]["raw"]
    for junk in (b"\xff\xfe not json", b"{}", b'{"type": "org.newsline.article.submitted"}'):
        producer.send(topic, key=b"junk", value=junk)
    producer.flush()
    producer.close()
    article = {"url": "https://example.org/after-junk", "published_at": "2023-09-05T10:00:00Z",
               "language": "en", "text": "On Monday, the Niger junta met ECOWAS envoys in Niamey."}
    path = stack.data_dir / "after.json"
    path.write_text(json.dumps(article))
    stack.cli("post", str(path), "--data-dir", str(stack.data_dir), "--wait", "--timeout", "240")
    letters = json.loads(stack.cli("dlq", "--data-dir", str(stack.data_dir), "--format",
                                   "json").stdout)
    assert len(letters) >= 3
    assert any("not UTF-8" in d["error"] or "invalid JSON" in d["error"] for d in letters)
    assert all(d["value_b64"] and d["source_topic"] == topic for d in letters)


def test_api_rejects_bad_input_with_problem_details(stack):
    api, token = stack.info["api_url"], stack.info["token"]
    auth = {"Authorization": f"Bearer {token}"}
    good = {"url": "https://e.example/x", "published_at": "2023-09-04T10:00:00Z", "text": "t"}
    assert httpx.post(f"{api}/articles", json=good).status_code == 401
    assert httpx.post(f"{api}/articles", json=good, headers={"Authorization": "Bearer no"}
                      ).status_code == 401
    r = httpx.post(f"{api}/articles", content=b"{", headers={**auth,
                   "Content-Type": "application/json"})
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    assert httpx.post(f"{api}/articles", content=b"x", headers={**auth,
                      "Content-Type": "text/plain"}).status_code == 415
    r = httpx.post(f"{api}/articles", json=[good, {**good, "url": "javascript:alert(1)"},
                                           {**good, "published_at": "yesterday"}], headers=auth)
    assert r.status_code == 422
    paths = {e["path"] for e in r.json()["errors"]}
    assert {"1.url", "2.published_at"} <= paths
    big = b"[" + b" " * (11 * 1024 * 1024) + b"]"
    assert httpx.post(f"{api}/articles", content=big, headers={
        **auth, "Content-Type": "application/json"}).status_code == 413
    assert httpx.get(f"{api}/healthz").json()["status"] == "ok"
    docs = httpx.get(f"{api}/docs")
    assert docs.status_code == 200 and "cdn" not in docs.text  # served locally, works offline
    assert httpx.get(f"{api}/static-offline-docs/swagger-ui-bundle.js").status_code == 200
    assert httpx.get(f"{api}/openapi.json").json()["paths"]["/articles"]


def test_idempotent_retries_store_once(stack):
    api, token = stack.info["api_url"], stack.info["token"]
    auth = {"Authorization": f"Bearer {token}"}
    art = {"url": "https://e.example/idem?utm_source=x", "published_at": "2023-09-04T10:00:00Z",
           "text": "Le 3 septembre, rien."}
    first = httpx.post(f"{api}/articles", json=art, headers=auth).json()["accepted"][0]
    again = httpx.post(f"{api}/articles", json={**art, "url": "https://www.e.example/idem"},
                       headers=auth).json()["accepted"][0]
    assert first["id"] == again["id"] and again["duplicate"] and not first["duplicate"]


def test_status_reports_the_stack(stack):
    post_seed(stack)
    out = caught_up(stack)
    con = duckdb.connect(str(stack.data_dir / "newsline.duckdb"), read_only=True)
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("articles", "mentions", "events", "changelog")}
    offset, epoch = con.execute("SELECT next_offset, epoch FROM sink_offsets").fetchone()
    con.close()
    assert out["api"] == "ok" and out["counts"] == counts and counts["articles"] >= 1
    assert out["log_epoch"] == epoch and epoch.startswith("kafka-")
    # Every change once, none missing, and the sink past the log's last record. The log may hold
    # a change twice (a resolver resends its last group's changes when a rebalance assigns it
    # its partition again), so its offsets can outnumber the distinct changes.
    records = changelog_records(stack)
    assert counts["changelog"] == len({e["id"] for _, e in records})
    assert offset >= records[-1][0] + 1


def changelog_records(stack):
    """(offset, envelope) of every record of the changelog topic, in log order."""
    topic = stack.info["topics"]["changelog"]
    consumer = KafkaConsumer(bootstrap_servers=stack.info["bootstrap_servers"],
                             enable_auto_commit=False, consumer_timeout_ms=5000)
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    records = [(m.offset, json.loads(m.value)) for m in consumer]
    consumer.close()
    return records


def changelog_from_kafka(stack):
    return [envelope for _, envelope in changelog_records(stack)]


def test_projections_equal_an_independent_fold_of_the_changelog_and_replay(stack):
    post_seed(stack)
    caught_up(stack)
    # The changelog as Kafka holds it, folded by a simple reference: not the sink's code.
    events, articles = reference_projection(changelog_from_kafka(stack))
    con = duckdb.connect(str(stack.data_dir / "newsline.duckdb"), read_only=True)
    assert projected(con) == (events, articles)
    con.close()
    assert len(events) >= 3 and all(a[0] in ("current", "superseded", "duplicate")
                                    for a in articles.values())
    report = json.loads(stack.cli("replay", "--data-dir", str(stack.data_dir)).stdout)
    assert report["identical"] and report["tables"]["events"]["rows"] == len(events), report
    out = stack.data_dir / "export"
    stack.cli("export", "--data-dir", str(stack.data_dir), "--format", "parquet", str(out))
    exported = duckdb.connect().execute(
        f"SELECT count(*) FROM read_parquet('{out / 'events.parquet'}')").fetchone()[0]
    assert exported == len(events) and (out / "timeline.parquet").exists()


def test_status_reports_lag_zero_per_topic_once_caught_up(stack):
    post_seed(stack)
    report = caught_up(stack)
    assert report["lag"] == {"raw (newsline)": 0, "analysed (newsline)": 0, "changelog (sink)": 0}


def test_cli_posts_text_files_with_flags_and_reports_rejections(stack, tmp_path):
    ok = stack.cli("post", str(EXAMPLES / "seed-rtl-2023-09-04.txt"), "--data-dir",
                   str(stack.data_dir), "--url", "https://www.rtl.fr/seed-as-text?utm_source=x",
                   "--published-at", "2023-09-04T19:40:00+02:00", "--language", "fr",
                   "--source", "RTL", "--wait", "--timeout", "240")
    assert json.loads(ok.stdout.splitlines()[-1])["accepted"] == 1
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text("\n".join([
        json.dumps({"url": "https://e.example/good", "published_at": "2023-09-01T10:00:00Z",
                    "text": "Hier, rien."}),
        json.dumps({"url": "ftp://e.example/bad", "published_at": "2023-09-01T10:00:00Z",
                    "text": "x"}),
        json.dumps({"url": "https://e.example/nodate", "text": "x"}),
        "{not json",
    ]) + "\n")
    out = stack.cli("post", str(mixed), "--data-dir", str(stack.data_dir), check=False)
    assert out.returncode == 1
    summary = json.loads(out.stdout.splitlines()[-1])
    assert summary["accepted"] == 1 and summary["rejected"] == 3
    assert "url" in out.stderr and "published_at" in out.stderr and "invalid JSON" in out.stderr


def metric(text, name):
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def test_metrics_count_what_was_posted_and_rejected_lag_and_latency(stack):
    api, auth = stack.info["api_url"], {"Authorization": f"Bearer {stack.info['token']}"}
    names = ("newsline_articles_accepted_total", "newsline_articles_duplicates_total",
             'newsline_articles_rejected_total{reason="invalid"}',
             'newsline_articles_rejected_total{reason="unauthorised"}')
    before = httpx.get(f"{api}/metrics").text
    stamp = time.time_ns()
    new = [{"url": f"https://e.example/metrics-{stamp}-{i}", "published_at": "2023-09-03T10:00:00Z",
            "text": "Samedi, rien."} for i in range(2)]
    accepted = httpx.post(f"{api}/articles", json=new, headers=auth).json()["accepted"]
    httpx.post(f"{api}/articles", json=new[0], headers=auth)  # the same article: a duplicate
    httpx.post(f"{api}/articles", json={**new[0], "url": "nope"}, headers=auth)
    httpx.post(f"{api}/articles", json=new[0])  # no token
    after = httpx.get(f"{api}/metrics").text
    assert [metric(after, n) - metric(before, n) for n in names] == [2, 1, 1, 1]
    stack.cli("post", str(SEED), "--data-dir", str(stack.data_dir), "--wait")
    caught_up(stack)
    for a in accepted:  # visible, so the sink has measured their latency
        assert httpx.get(f"{api}/articles/{a['id']}").status_code == 200
    text = httpx.get(f"{api}/metrics").text
    assert metric(text, 'newsline_consumer_lag{topic="newsline.articles.raw"}') == 0
    latency_count = "newsline_processing_latency_seconds_count"
    assert metric(text, latency_count) - metric(before, latency_count) >= 2  # one per new article
    assert metric(text, 'newsline_processing_latency_seconds{quantile="0.5"}') > 0
    stages = {stage: f'newsline_processing_latency_stage_seconds{{stage="{stage}",quantile="0.5"}}'
              for stage in ("upstream", "transport", "sink")}  # where the latency went
    assert all(re.search(rf"^{re.escape(line)} ", text, re.M) for line in stages.values())
    assert metric(text, stages["upstream"]) > 0 and metric(text, stages["sink"]) > 0
