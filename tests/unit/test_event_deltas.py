"""Event changes v2 (facts, counts and deltas) project to the same tables as v1 (whole states).

A v1 stream is what the code before wrote for the same articles: each event change carried the
event's whole resulting state (`Transition.events`). Both streams, and a log holding v1 rows
then v2 rows, must give the same `events`, `event_mentions`, `articles` and `mentions` rows,
in the writer, in a replay of its `changelog` table and in the analysts' replicas; a change
resent at a later offset must be applied once.
"""

import json

import pytest

from processors.resolution.fold import TimelineState, apply_article, change_envelopes
from processors.store.replay import rebuild_and_compare
from processors.store.replicas import ReplicaPublisher
from processors.store.sink import decode_changes, open_writer, publish_snapshot
from schemas.codec import Rejection, decode, encode
from schemas.timeline import EventCreated, EventFacts, EventMembers, MentionAttached
from tests.reference_projection import envelopes_of, projected, reference_lists, reference_projection
from tests.unit.test_replicas import feed, published
from tests.unit.test_store import project, table

TABLES = (("events", "event_id"), ("event_mentions", "event_id, mention_id"),
          ("articles", "version_id"), ("mentions", "mention_id"))
DELTAS = ("members", "sources_added", "sources_removed")


def as_v1(value: bytes, state) -> bytes:
    """A v2 event change as the code before wrote it: the whole resulting state, no deltas."""
    doc = json.loads(value)
    data = {k: v for k, v in doc["data"].items() if k not in DELTAS}
    if doc["type"] == "org.newsline.event.merged":
        data.pop("mention_ids")
    data["event"] = None if state is None else state.model_dump(mode="json")
    return json.dumps({**doc, "schemaversion": 1, "data": data}).encode()


@pytest.fixture(scope="module")
def streams():
    """(v2 records, v1 records) of the same 100 dense articles, one offset per change (seed 3:
    with the bounded path's merge rules of session 10, seed 7's 100 articles hold no merge)."""
    from bench.e2e_bench import dense_articles
    from processors.analysis.analyse import analyse_article
    from schemas.articles import Article
    from schemas.codec import envelope

    state, v2, v1 = TimelineState(), [], []
    for doc in dense_articles(100, 3):
        art = analyse_article(envelope(Article.model_validate(doc), source="test"))
        t = apply_article(state, art)
        for env in change_envelopes(t.changes, art.version_id):
            value = encode(env)
            v2.append((len(v2), value))
            is_event = env.type.startswith("org.newsline.event.")
            whole = state.events.get(env.subject) if is_event and t.events[env.subject] \
                else None  # the event's whole state after the article (the plain state's)
            v1.append((len(v1), as_v1(value, whole) if is_event else value))
    kinds = {json.loads(v)["type"] for _, v in v2}
    assert {"org.newsline.event.merged", "org.newsline.event.mention-retracted",
            "org.newsline.event.dissolved"} <= kinds, kinds
    assert any(json.loads(v)["data"].get("sources_removed") for _, v in v2)
    return v2, v1


def tables(con):
    return {name: table(con, name, order) for name, order in TABLES} | {
        "changelog": con.execute("SELECT log_offset, change_id, type, known_at, cause, subject "
                                 "FROM changelog ORDER BY log_offset").fetchall()}


def test_a_v1_event_change_is_read_as_v2_with_its_lists_whole(streams):
    v2, v1 = streams
    for (_, new), (_, old) in zip(v2, v1, strict=True):
        if b"org.newsline.event.mention-attached" not in new:
            continue
        was, now = json.loads(old), decode(new)
        env = decode(old)
        assert not isinstance(env, Rejection) and not isinstance(now, Rejection), env
        assert env.schemaversion == 2 and isinstance(env.data, MentionAttached)
        state = was["data"]["event"]
        assert env.data.members == EventMembers(mention_ids=state["mention_ids"],
                                                sources=state["sources"])
        assert env.data.event == now.data.event  # the facts and counts, as v2 says them
        assert env.data.event.mention_count == len(state["mention_ids"])
        assert now.data.members is None and env.data.mention_id == now.data.mention_id
        return
    raise AssertionError("no mention attached in the stream")


def test_v2_changes_carry_no_whole_lists_but_a_new_event_s():
    created = EventCreated(known_at="2024-01-01T00:00:00Z", cause="v", event_id="e", event=None,
                           members=EventMembers(mention_ids=["m"], sources=["u"]))
    assert created.members is not None
    assert "mention_ids" not in EventFacts.model_fields and "sources" not in EventFacts.model_fields


@pytest.mark.parametrize("batch", [30, 400])
def test_v1_and_v2_streams_project_to_the_same_rows(tmp_path, streams, batch):
    v2, v1 = streams
    new = tables(project(tmp_path / "v2.duckdb", v2, batch=batch))
    old = tables(project(tmp_path / "v1.duckdb", v1, batch=batch))
    for name in new:
        assert new[name] == old[name], name
    assert len(new["event_mentions"]) > len(new["events"]) > 10


def test_a_log_of_v1_rows_then_v2_rows_projects_and_replays_to_the_same_rows(tmp_path, streams):
    v2, v1 = streams
    cut = len(v2) // 2
    writer = tmp_path / ".sink" / "writer.duckdb"
    con = project(writer, v1[:cut] + v2[cut:], batch=40)
    assert tables(con) == tables(project(tmp_path / "v2.duckdb", v2, batch=40))
    # The sink stores what it validated (a v1 change upcast); a table the code before wrote
    # holds v1 data: put it back in the first half, as that code wrote it.
    con.executemany("UPDATE changelog SET data = ? WHERE log_offset = ?",
                    [(json.dumps(json.loads(v)["data"]), o) for o, v in v1[:cut]
                     if json.loads(v)["type"].startswith("org.newsline.event.")])
    kinds = {r[0] for r in con.execute(
        "SELECT json_exists(data, '$.members') FROM changelog "
        "WHERE type LIKE 'org.newsline.event.%'").fetchall()}
    assert kinds == {True, False}  # the table holds v1 rows (no members) and v2 rows
    publish_snapshot(con, writer, tmp_path / "newsline.duckdb")
    report = rebuild_and_compare(tmp_path)  # `newsline replay` reads changelog.data: upcasts
    assert report["identical"], report


def test_the_tables_equal_the_reference_fold_of_the_deltas(tmp_path, streams):
    v2, _ = streams
    con = project(tmp_path / "w.duckdb", v2, batch=60)
    assert projected(con) == reference_projection(envelopes_of(v2))


def resent(records):
    """`records` with one change resent at the end (same id, later offset) whose delta a later
    change undid: applied again, it would bring back a mention or a source that left."""
    changes = decode_changes(records)
    for i, (_, env) in enumerate(changes):
        data = env.data
        entered = {data.mention_id} if isinstance(data, MentionAttached) else set()
        came = set(getattr(data, "sources_added", []))
        for _, later in changes[i + 1:]:
            d = later.data
            if later.subject == env.subject and (
                    (getattr(d, "mention_id", None) in entered and "retracted" in later.type)
                    or came & set(getattr(d, "sources_removed", []))):
                return records + [(len(records), records[i][1])]
    raise AssertionError("no delta undone later in the stream")


def test_a_resent_change_is_applied_once_by_the_writer(tmp_path, streams):
    v2, _ = streams
    once = tables(project(tmp_path / "a.duckdb", v2, batch=400))
    again = tables(project(tmp_path / "b.duckdb", resent(v2), batch=400))
    assert {k: v for k, v in again.items() if k != "changelog"} == \
        {k: v for k, v in once.items() if k != "changelog"}
    assert again["changelog"] == once["changelog"]  # the resend is not stored


def test_a_resent_change_is_applied_once_by_a_writer_that_folds_often(tmp_path, streams,
                                                                      monkeypatch):
    """The writer folds every few batches (thresholds lowered), so events changed again stand
    on base rows whose sources it does not read (partial rows, `events_pending`), and the
    resent change comes after its first copy was folded: the tables are the reference fold."""
    from processors.store import overlay

    monkeypatch.setattr(overlay, "FOLD_MIN_ROWS", 300)
    monkeypatch.setattr(overlay, "FOLD_SHARE", 0.0)
    folds = []
    fold_overlay = overlay.fold_overlay
    monkeypatch.setattr(overlay, "fold_overlay", lambda *a: folds.append(a) or fold_overlay(*a))
    v2, _ = streams
    con = project(tmp_path / "w.duckdb", resent(v2), batch=60)
    assert len(folds) > 3
    assert con.execute("SELECT count(*) FROM newsline_sink.events_pending").fetchone()[0] > 0
    assert projected(con) == reference_projection(envelopes_of(v2))


def test_a_resent_change_is_applied_once_in_the_replicas(tmp_path, streams):
    v2, _ = streams
    records = resent(v2)
    writer, target = tmp_path / ".sink" / "writer.duckdb", tmp_path / "newsline.duckdb"
    con = open_writer(writer)
    publisher = ReplicaPublisher(writer.parent, target)
    assert "catch-up" in list(feed(con, publisher, writer, target, records, batch=97))
    reference = tables(project(tmp_path / "once.duckdb", v2, batch=400))
    seen = published(target)
    for name, _ in TABLES:
        assert sorted(seen[name]) == sorted(reference[name]), name


def test_the_as_of_readers_fold_the_deltas_known_then(tmp_path, streams):
    """`timeline_as_of` and the reports' mentions as of T, on v2 rows, on v1 rows (whole states,
    as the code before stored them) and on both, equal the reference fold of the changes known
    at T, at every instant an article arrived."""
    from readmodel.reports import _MENTIONS_AS_OF

    v2, v1 = streams
    cut = len(v2) // 2
    envs = envelopes_of(v2)
    instants = sorted({e["data"]["known_at"] for e in envs})
    cons = {}
    for name, (records, raw) in {"v2": (v2, []), "v1": (v1, v1), "v1+v2": (
            v1[:cut] + v2[cut:], v1[:cut])}.items():
        con = cons[name] = project(tmp_path / f"{name}.duckdb", records, batch=200)
        if raw:
            con.executemany("UPDATE changelog SET data = ? WHERE log_offset = ?",
                            [(json.dumps(json.loads(v)["data"]), o) for o, v in raw
                             if json.loads(v)["type"].startswith("org.newsline.event.")])
    anchors = ["explicit", "narrative", "publication", "none"]
    checked = 0
    for at in instants[::7] + instants[-1:]:
        known = [e for e in envs if e["data"]["known_at"] <= at]
        expected = reference_lists(known)
        for name, con in cons.items():
            rows = con.execute("SELECT event_id, mention_count, source_count, sources "
                               "FROM timeline_as_of($1, anchors := $2)", [at, anchors]).fetchall()
            assert {r[0]: r[3] for r in rows} == {e: s for e, (_, s) in expected.items()}, name
            assert all(r[1] == len(expected[r[0]][0]) and r[2] == len(r[3]) for r in rows), name
            mentions: dict[str, list[str]] = {}
            for eid, mid in con.execute(_MENTIONS_AS_OF, {"ids": sorted(expected),
                                                          "as_of": at}).fetchall():
                mentions.setdefault(eid, []).append(mid)
            assert {e: sorted(m) for e, m in mentions.items()} == \
                {e: m for e, (m, _) in expected.items()}, name
        checked += 1
    assert checked > 5
