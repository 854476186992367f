"""Replica publication: the analysts' file follows the writer batch by batch, without whole copies."""

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from processors.store.project import fold
from processors.store.replicas import ReplicaPublisher
from processors.store.sink import apply_batch, decode_changes, open_writer, stored_position
from tests.unit.test_store import TOPIC, changelog_records

TABLES = (("events", "event_id"), ("articles", "version_id"), ("mentions", "mention_id"),
          ("event_mentions", "event_id, mention_id"), ("changelog", "log_offset"),
          ("sink_offsets", "topic"))
CLI = Path(sys.executable).parent / "duckdb"


def tables(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
    return {name: con.execute(f"SELECT * FROM {name} ORDER BY {order}").fetchall()
            for name, order in TABLES}


def published(target: Path) -> dict[str, list]:
    con = duckdb.connect(str(target), read_only=True)
    try:
        return tables(con)
    finally:
        con.close()


def feed(con, publisher, writer, target, records, batch, epoch="e1"):
    """Project records batch by batch, publishing after each; yield how each publish went."""
    for i in range(0, len(records), batch):
        part = records[i:i + batch]
        changes = decode_changes(part)
        b = fold(changes)
        b.next_offset = part[-1][0] + 1
        start, _ = stored_position(con, TOPIC)
        apply_batch(con, b, topic=TOPIC, epoch=epoch)
        publisher.record(changes, start)
        yield publisher.publish(con, writer, topic=TOPIC, epoch=epoch, next_offset=b.next_offset)


@pytest.fixture
def stack(tmp_path):
    writer = tmp_path / ".sink" / "writer.duckdb"
    con = open_writer(writer)
    target = tmp_path / "newsline.duckdb"
    yield con, ReplicaPublisher(writer.parent, target), writer, target
    con.close()


def test_every_publish_equals_the_writer_and_only_new_replicas_are_copied(stack):
    con, publisher, writer, target = stack
    hows = []
    for how in feed(con, publisher, writer, target, changelog_records(), batch=2):
        hows.append(how)
        assert published(target) == tables(con)
    assert hows[:2] == ["copy", "copy"]  # two replicas come into being, then take turns
    assert set(hows[2:]) == {"catch-up"} and len(hows) > 4
    assert target.stat().st_ino in {p.stat().st_ino for p in publisher.paths if p.exists()}


def test_the_sink_keeps_only_the_changes_the_next_publish_needs(stack):
    """Kept decoded changes cost about 4.5 KB each: after each publish only those after the
    replica the next publish catches up stay in memory (while the replicas take turns, one
    publish's worth), and every catch-up still reads them from memory, not from the table."""
    con, publisher, writer, target = stack
    records = changelog_records()
    for _how in feed(con, publisher, writer, target, records, batch=2):
        assert len(publisher.changes) <= 2  # one batch of two at most
        assert published(target) == tables(con)
    assert publisher.catch_ups > 2 and publisher.from_table == 0
    assert len(records) > 3 * len(publisher.changes)


def test_an_analyst_holding_a_replica_does_not_make_the_sink_keep_every_change(stack):
    """An analyst session opened on the published file holds that replica for as long as it
    stays open; the sink kept every change since it (the soak's sink grew by about 15 MB a
    minute). Now the kept changes stay one publish's worth, and the released replica, far
    behind, catches up from the writer's table."""
    con, publisher, writer, target = stack
    records = changelog_records()
    list(feed(con, publisher, writer, target, records[:2], batch=2))
    session = hold(target)  # the analyst's session, from here on
    try:
        held_path = next(p for p in publisher.paths
                         if p.exists() and p.stat().st_ino == target.stat().st_ino)
        for _how in feed(con, publisher, writer, target, records[2:-4], batch=1):
            assert len(publisher.changes) <= 1
        assert held_path in publisher.held
    finally:
        session.kill()
        session.wait()
    # Released, it is the replica furthest behind; with the one ahead of it held in turn, the
    # next publish catches it up, from the writer's table.
    ahead = next(p for p in publisher.paths
                 if p != held_path and p.stat().st_ino != target.stat().st_ino)
    session = hold(ahead)
    try:
        hows = list(feed(con, publisher, writer, target, records[-4:], batch=1))
    finally:
        session.kill()
        session.wait()
    assert published(target) == tables(con)
    assert set(hows) == {"catch-up"} and publisher.full_copies == 3
    assert publisher.from_table == 1 and ahead in publisher.held


def test_a_replica_missing_more_than_the_kept_changes_catches_up_from_the_table(tmp_path):
    writer = tmp_path / ".sink" / "writer.duckdb"
    con = open_writer(writer)
    target = tmp_path / "newsline.duckdb"
    publisher = ReplicaPublisher(writer.parent, target, keep_changes=1)
    for _how in feed(con, publisher, writer, target, changelog_records(), batch=3):
        assert published(target) == tables(con)
    assert publisher.full_copies == 2 and publisher.catch_ups > 0
    assert publisher.from_table == publisher.catch_ups  # memory held too little every time
    con.close()


def test_a_restarted_sink_catches_its_replicas_up_instead_of_copying(tmp_path):
    writer = tmp_path / ".sink" / "writer.duckdb"
    target = tmp_path / "newsline.duckdb"
    records = changelog_records()
    con = open_writer(writer)
    list(feed(con, ReplicaPublisher(writer.parent, target), writer, target, records[:6], batch=2))
    con.close()
    con = open_writer(writer)  # the sink restarts: nothing in memory, replicas on disk
    restarted = ReplicaPublisher(writer.parent, target)
    hows = list(feed(con, restarted, writer, target, records[6:], batch=2))
    assert hows and set(hows) == {"catch-up"} and restarted.full_copies == 0
    assert restarted.from_table >= 1
    assert published(target) == tables(con)
    # Written by someone else while the sink was down: the next sink copies that replica.
    con.close()
    subprocess.run([str(CLI), str(target), "-c", "DELETE FROM changelog"], check=True, timeout=60)
    con = open_writer(writer)
    again = ReplicaPublisher(writer.parent, target)
    next_offset, _ = stored_position(con, TOPIC)
    again.publish(con, writer, topic=TOPIC, epoch="e1", next_offset=next_offset)
    again.publish(con, writer, topic=TOPIC, epoch="e1", next_offset=next_offset)
    assert published(target) == tables(con)
    assert again.full_copies == 1
    con.close()


def hold(target: Path) -> subprocess.Popen:
    """An analyst's session in the installed CLI, another process, open on `target` (its lock
    taken: it has answered a query) until killed."""
    session = subprocess.Popen([str(CLI), "-readonly", "-csv", str(target)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    assert session.stdin is not None and session.stdout is not None
    session.stdin.write("SELECT 'held' AS tag, count(*) AS n FROM changelog;\n")
    session.stdin.flush()
    while "held" not in (line := session.stdout.readline()):
        assert line, "the CLI closed"
    session.held_count = int(line.strip().split(",")[1])  # type: ignore[attr-defined]
    return session


def test_a_held_session_keeps_its_snapshot_and_never_blocks_publishing(stack):
    con, publisher, writer, target = stack
    records = changelog_records()
    list(feed(con, publisher, writer, target, records[:4], batch=4))
    # An analyst opens the published file in the installed CLI and keeps the session open.
    session = hold(target)
    try:
        assert session.stdin is not None and session.stdout is not None
        held_count = session.held_count
        held = next(p for p in publisher.paths if p.exists() and
                    p.stat().st_ino == target.stat().st_ino)
        before = held.stat().st_mtime_ns
        started = time.monotonic()
        hows = list(feed(con, publisher, writer, target, records[4:], batch=2))
        assert time.monotonic() - started < 60
        assert held.stat().st_mtime_ns == before  # the held replica was left alone
        assert published(target) == tables(con)
        assert "catch-up" in hows
        session.stdin.write("SELECT 'again' AS tag, count(*) AS n FROM changelog;\n")
        session.stdin.flush()
        while "again" not in (line := session.stdout.readline()):
            assert line, "the CLI closed"
        assert int(line.strip().split(",")[1]) == held_count == 4
    finally:
        session.kill()
        session.wait()


def test_a_replica_written_by_someone_else_is_replaced_by_a_copy(stack):
    con, publisher, writer, target = stack
    records = changelog_records()
    list(feed(con, publisher, writer, target, records[:6], batch=2))
    # An analyst's read-write session deletes rows in the published replica.
    subprocess.run([str(CLI), str(target), "-c", "DELETE FROM changelog"], check=True, timeout=60)
    hows = list(feed(con, publisher, writer, target, records[6:], batch=2))
    assert "copy" in hows
    assert published(target) == tables(con)


def test_the_published_file_opens_in_the_installed_cli(stack):
    con, publisher, writer, target = stack
    list(feed(con, publisher, writer, target, changelog_records(), batch=5))
    out = subprocess.run([str(CLI), str(target), "-csv", "-c", "SELECT count(*) FROM timeline"],
                         capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip().splitlines()[-1] == "4"


def test_neither_replicas_nor_the_writer_carry_keys_so_a_checkpoint_writes_no_index(stack):
    con, publisher, writer, target = stack
    list(feed(con, publisher, writer, target, changelog_records(), batch=3))
    reader = duckdb.connect(str(target), read_only=True)
    try:
        assert reader.execute("SELECT count(*) FROM duckdb_indexes()").fetchone()[0] == 0
        assert reader.execute("SELECT count(*) FROM duckdb_constraints() WHERE constraint_type "
                              "IN ('PRIMARY KEY', 'UNIQUE')").fetchone()[0] == 0
        comments = reader.execute("SELECT count(*) FROM duckdb_columns() WHERE comment IS NOT NULL "
                                  "AND table_name = 'events'").fetchone()[0]
    finally:
        reader.close()
    assert comments == 13  # the analysts' schema is otherwise the same, comments included
    assert con.execute("SELECT count(*) FROM duckdb_indexes()").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM duckdb_constraints() WHERE constraint_type "
                       "IN ('PRIMARY KEY', 'UNIQUE')").fetchone()[0] == 0  # nor the writer


def test_changes_emitted_again_at_later_offsets_are_stored_once_in_replicas(stack):
    con, publisher, writer, target = stack
    records = changelog_records()
    again = [(len(records) + i, value) for i, (_, value) in enumerate(records[2:9])]
    hows = list(feed(con, publisher, writer, target, records + again, batch=3))
    assert "catch-up" in hows
    assert published(target) == tables(con)


def test_replay_of_a_published_replica_gives_identical_tables(stack):
    from processors.store.replay import rebuild_and_compare

    con, publisher, writer, target = stack
    list(feed(con, publisher, writer, target, changelog_records(), batch=3))
    report = rebuild_and_compare(target.parent)
    assert report["identical"], report


@pytest.fixture(scope="module")
def news_records():
    """The changes of 80 articles of the dense workload: copies and updates change statuses."""
    from bench.sink_costs import changes

    records = [r for article in changes(80, 15) for r in article]
    kinds = {env.type for _, env in decode_changes(records)}
    assert {"org.newsline.article.status-changed", "org.newsline.event.mention-attached",
            "org.newsline.event.dissolved"} <= kinds
    return records


def base_rows(target: Path) -> int:
    from processors.store.overlay import overlay_rows

    con = duckdb.connect(str(target), read_only=True)
    try:
        return overlay_rows(con, db=con.execute("SELECT current_database()").fetchone()[0])[1]
    finally:
        con.close()


def test_catch_ups_never_write_the_base_tables_until_a_fold(tmp_path, news_records):
    writer = tmp_path / ".sink" / "writer.duckdb"
    con = open_writer(writer)
    target = tmp_path / "newsline.duckdb"
    publisher = ReplicaPublisher(writer.parent, target)  # folds only past 100,000 rows
    bases: dict[int, int] = {}
    for how in feed(con, publisher, writer, target, news_records, batch=40):
        assert published(target) == tables(con)
        inode = target.stat().st_ino
        if how == "catch-up":  # the rows it carried went to the small tables only
            assert base_rows(target) == bases[inode]
        bases[inode] = base_rows(target)
    assert publisher.catch_ups > 3 and publisher.folds == 0
    con.close()


def test_folding_at_every_catch_up_gives_the_same_tables(tmp_path, news_records):
    writer = tmp_path / ".sink" / "writer.duckdb"
    con = open_writer(writer)
    target = tmp_path / "newsline.duckdb"
    publisher = ReplicaPublisher(writer.parent, target, fold_share=0.0, fold_min_rows=0)
    hows = []
    for how in feed(con, publisher, writer, target, news_records, batch=40):
        hows.append(how)
        assert published(target) == tables(con)
    assert publisher.folds == hows.count("catch-up") > 3
    con.close()


def test_analysts_see_the_same_relations_and_columns_as_in_the_writer(stack):
    con, publisher, writer, target = stack
    list(feed(con, publisher, writer, target, changelog_records(), batch=3))
    query = ("SELECT table_name, column_name, data_type, comment FROM duckdb_columns() "
             "WHERE schema_name = 'main' AND database_name = current_database() "
             "ORDER BY table_name, column_index")
    reader = duckdb.connect(str(target), read_only=True)
    try:
        got = reader.execute(query).fetchall()
    finally:
        reader.close()
    assert got == con.execute(query).fetchall()


KILLED_MID_CATCH_UP = """
import os, sys
from pathlib import Path
from processors.store import replicas
from processors.store.sink import open_writer
from tests.unit.test_replicas import feed
from tests.unit.test_store import changelog_records

tmp = Path(sys.argv[1])
writer, target = tmp / ".sink" / "writer.duckdb", tmp / "newsline.duckdb"
con = open_writer(writer)
publisher = replicas.ReplicaPublisher(writer.parent, target)
records = changelog_records()
list(feed(con, publisher, writer, target, records[:4], batch=2))  # two replicas, copied
# The next catch-up is killed right after its transaction committed: the replica's WAL holds
# the batch, its file and its sidecar (replica-N.json) do not yet.
replicas.due_for_fold = lambda *a, **k: os._exit(9)
list(feed(con, publisher, writer, target, records[4:6], batch=2))
"""


def test_a_sink_killed_after_a_catch_up_committed_does_not_apply_it_again(tmp_path):
    """kill -9 between a catch-up's commit and its checkpoint and sidecar: the replica's own
    `sink_offsets` (written in that transaction) says where it is, not the sidecar, so the
    restarted sink does not append the same changes to its changelog again (the whole fault
    campaign found 7,067 changelog rows twice in the analysts' file after 25 kills)."""
    out = subprocess.run([sys.executable, "-c", KILLED_MID_CATCH_UP, str(tmp_path)],
                         cwd=Path(__file__).parents[2], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 9, out.stderr
    writer = tmp_path / ".sink" / "writer.duckdb"
    target = tmp_path / "newsline.duckdb"
    assert any(Path(f"{p}.wal").exists() for p in writer.parent.glob("replica-*.duckdb"))
    con = open_writer(writer)
    restarted = ReplicaPublisher(writer.parent, target)
    list(feed(con, restarted, writer, target, changelog_records()[6:], batch=2))
    assert published(target) == tables(con)
    con.close()


def test_a_catch_up_copies_the_writers_changelog_rows_and_encodes_no_change_again(
        stack, monkeypatch):
    """A change's data is encoded once, by the writer's batch write: a replica's catch-up
    copies the writer's changelog rows (the same values) instead of staging the changes it
    missed from Python again, so its publish encodes none of them, and the replica still
    equals the writer."""
    from processors.store import overlay

    con, publisher, writer, target = stack
    encoded = []
    real = overlay.jsonable
    monkeypatch.setattr(overlay, "jsonable", lambda value: encoded.append(value) or real(value))
    records, catch_ups = changelog_records(), 0
    for i in range(0, len(records), 2):
        part = records[i:i + 2]
        changes = decode_changes(part)
        b = fold(changes)
        b.next_offset = part[-1][0] + 1
        start, _ = stored_position(con, TOPIC)
        apply_batch(con, b, topic=TOPIC, epoch="e1")
        assert len(encoded) >= len(b.changelog)  # the writer encodes each change's data
        publisher.record(changes, start)
        before = len(encoded)
        if publisher.publish(con, writer, topic=TOPIC, epoch="e1",
                             next_offset=b.next_offset) == "catch-up":
            catch_ups += 1
            assert len(encoded) == before
        assert published(target) == tables(con)
    assert catch_ups >= 2
