"""README promises with no test before: as-of (CLI and API), replay finding a difference,
GET /articles/{id}, dead-letter replay reaching the timeline, a non-Python producer's envelope.

One stack for the file; the dev set is posted in two rounds by a fixture, so that "as of" the
instant between them has a hand-computed answer. Tests that post more use September 2023
articles and read the timeline only up to 31 August, so their order does not matter.
"""

import base64
import json
import shutil
import time
from datetime import UTC, datetime

import duckdb
import httpx
import pytest
from jsonschema import Draft202012Validator
from kafka import KafkaProducer

from schemas.export import JSON_DIR
from schemas.identity import canonical_url
from tests.conftest import EXAMPLES, ROOT, SHARED

pytestmark = pytest.mark.integration
DEV = [json.loads(line) for line in (EXAMPLES / "niger-2023.jsonl").read_text().splitlines()]
GOLD = json.loads((SHARED / "examples" / "niger-2023.gold.json").read_text())
URLS = [canonical_url(a["url"]) for a in DEV]
FIRST_ROUND = [0, 1, 2, 3, 4]  # coup, ultimatum, embassy (+ its copy), 7 Aug wire before its update
SUMMER = ("--since", "2023-07-01", "--until", "2023-08-31")


def day_events(events):
    """{day: set of source URLs} of the events one day long."""
    out = {}
    for e in events:
        if e["start"] == e["end"]:
            out.setdefault(e["start"], set()).update(e["sources"])
    return out


def post(stack, path, items):
    path.write_text("\n".join(json.dumps(a) for a in items) + "\n")
    out = stack.cli("post", str(path), "--data-dir", str(stack.data_dir), "--wait", "--timeout", "240")
    return json.loads(out.stdout.splitlines()[-1])["ids"]


@pytest.fixture(scope="module")
def dev_set(stack, tmp_path_factory):
    """Post the dev set in two rounds; return (before, between, ids) with ids in DEV order."""
    tmp = tmp_path_factory.mktemp("dev")
    before = datetime.now(UTC)
    ids = post(stack, tmp / "first.jsonl", [DEV[i] for i in FIRST_ROUND])
    time.sleep(1.0)
    between = datetime.now(UTC)
    time.sleep(1.0)
    ids += post(stack, tmp / "second.jsonl", [DEV[i] for i in range(len(DEV)) if i not in FIRST_ROUND])
    return before, between, ids


def api_timeline(stack, **params):
    r = httpx.get(f"{stack.info['api_url']}/timeline", params={"since": "2023-07-01",
                                                              "until": "2023-08-31", **params})
    assert r.status_code == 200, r.text
    return r.json()


def test_timeline_as_of_gives_what_was_known_then_in_the_cli_and_the_api(stack, dev_set):
    before, between, _ = dev_set
    cli_before = stack.timeline(*SUMMER, "--as-of", before.isoformat())
    cli_between = stack.timeline(*SUMMER, "--as-of", between.isoformat())
    cli_now = stack.timeline(*SUMMER)
    assert cli_before == [] and api_timeline(stack, as_of=before.isoformat()) == []
    assert api_timeline(stack, as_of=between.isoformat()) == cli_between
    assert api_timeline(stack) == cli_now
    # Hand-computed from the dev set and its gold file: what the first round reports ...
    known = day_events(cli_between)
    assert {"2023-07-26", "2023-07-27", "2023-07-28", "2023-07-30", "2023-08-06"} <= set(known)
    assert URLS[0] in known["2023-07-26"] and URLS[4] in known["2023-08-06"]
    # ... and not what only the second round brings: Zeine named PM (only in the 7 Aug update),
    # the standby force (11 Aug article), the ambassador's expulsion (26 Aug article).
    assert not {"2023-08-07", "2023-08-10", "2023-08-25"} & set(known), sorted(known)
    now = day_events(cli_now)
    assert {g["date"] for g in GOLD["events"]} <= set(now)
    assert URLS[6] in now["2023-08-07"] and URLS[5] in now["2023-08-10"] and URLS[7] in now["2023-08-25"]
    assert URLS[3] not in {u for e in cli_now for u in e["sources"]}  # the copy never is a source


def test_get_article_for_an_unknown_id_a_superseded_version_and_a_copy(stack, dev_set):
    _, _, ids = dev_set
    by_dev = dict(zip(FIRST_ROUND + [i for i in range(len(DEV)) if i not in FIRST_ROUND], ids, strict=True))
    api = stack.info["api_url"]
    r = httpx.get(f"{api}/articles/no-such-article")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    old = httpx.get(f"{api}/articles/{by_dev[4]}").json()  # the 7 Aug wire, before its update
    assert old["status"] == "superseded" and old["superseded_by"] == by_dev[6], old
    new = httpx.get(f"{api}/articles/{by_dev[6]}").json()
    assert new["status"] == "current" and new["article_key"] == old["article_key"]
    assert httpx.get(f"{api}/articles/{old['article_key']}").json()["version_id"] == by_dev[6]
    copy = httpx.get(f"{api}/articles/{by_dev[3]}").json()  # syndicated copy of the embassy story
    assert copy["status"] == "duplicate" and copy["duplicate_of"] == by_dev[2], copy


def test_replay_reports_a_tampered_projection(stack, dev_set, tmp_path):
    shutil.copy(stack.data_dir / "newsline.duckdb", tmp_path / "newsline.duckdb")
    clean = stack.cli("replay", "--data-dir", str(tmp_path))
    assert json.loads(clean.stdout)["identical"]
    con = duckdb.connect(str(tmp_path / "newsline.duckdb"))
    # `events` is a view in the published replica (processors/store/replicas.py): change the
    # row it shows, wherever it is stored.
    for stored in ("newsline_sink.events_base", "newsline_sink.events_recent"):
        con.execute(f"UPDATE {stored} SET end_date = end_date + 1 WHERE event_id = "
                    "(SELECT min(event_id) FROM events)")
    con.close()
    out = stack.cli("replay", "--data-dir", str(tmp_path), check=False)
    assert out.returncode == 1, out.stdout + out.stderr
    report = json.loads(out.stdout)
    assert not report["identical"] and not report["tables"]["events"]["identical"]
    assert all(t["identical"] for name, t in report["tables"].items() if name != "events"), report


def wait_for_letter(stack, url, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        letters = json.loads(stack.cli("dlq", "--data-dir", str(stack.data_dir), "--format",
                                       "json").stdout)
        mine = [d for d in letters
                if url.encode() in base64.b64decode(d["value_b64"])]
        if mine:
            return mine
        time.sleep(1.0)
    raise AssertionError(f"no dead letter for {url} after {timeout} s\n{stack.logs()}")


def visible(stack, version_id, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if httpx.get(f"{stack.info['api_url']}/articles/{version_id}").status_code == 200:
            return True
        time.sleep(0.5)
    return False


def test_a_dead_letter_replayed_with_corrected_content_reaches_the_timeline(stack, tmp_path):
    url = "https://example.org/replayed-letter"
    article = {"url": url, "published_at": "2023-09-07 09:00", "language": "en",  # no offset
               "text": "On 6 September 2023, the Replay Council met in Zinder."}
    envelope = {"specversion": "1.0", "id": "bad-1", "source": "urn:test", "schemaversion": 1,
                "type": "org.newsline.article.submitted", "time": "2023-09-07T09:00:00Z",
                "data": article}
    producer = KafkaProducer(bootstrap_servers=stack.info["bootstrap_servers"], acks="all")
    producer.send(stack.info["topics"]["raw"], key=b"bad-1", value=json.dumps(envelope).encode())
    producer.flush()
    producer.close()
    (letter,) = wait_for_letter(stack, url)
    assert "published_at" in letter["error"]
    # Replayed as it is, it would fail again: refused, nothing sent.
    again = stack.cli("dlq", "--data-dir", str(stack.data_dir), "--replay", letter["id"], check=False)
    assert again.returncode == 1 and "still fails" in again.stderr and "--with" in again.stderr
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps({**article, "published_at": "2023-09-07T09:00:00+01:00"}))
    out = stack.cli("dlq", "--data-dir", str(stack.data_dir), "--replay", letter["id"],
                    "--with", str(fixed))
    (version_id,) = json.loads(out.stdout)["accepted"]
    assert visible(stack, version_id), stack.logs()
    events = stack.timeline("--since", "2023-09-06", "--until", "2023-09-06")
    assert any(canonical_url(url) in e["sources"] for e in events), events
    assert len(wait_for_letter(stack, url)) == 1  # and it did not dead-letter again


def test_a_hand_written_envelope_valid_for_the_json_schema_reaches_the_timeline(stack):
    schema = json.loads((JSON_DIR / "article.submitted.v1.schema.json").read_text())
    envelope = json.loads((ROOT / "tests" / "data" / "kafka-producer-envelope.json").read_text())
    Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(envelope)
    producer = KafkaProducer(bootstrap_servers=stack.info["bootstrap_servers"], acks="all")
    producer.send(stack.info["topics"]["raw"], key=b"hand-written",
                  value=json.dumps(envelope).encode())
    producer.flush()
    producer.close()
    url = canonical_url(envelope["data"]["url"])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        events = stack.timeline("--since", "2023-09-05", "--until", "2023-09-05")
        if any(url in e["sources"] for e in events):
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"the hand-written article never reached the timeline\n{stack.logs()}")
    assert any("Hand Written Union" in " ".join(e["entities"]) or "envoys" in e["summary"].lower()
               for e in events if url in e["sources"]), events
