"""The DuckDB sink: batched projection, exactly-once effect, replay, as-of, the CLI can read it."""

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import duckdb

from processors.resolution.fold import TimelineState, apply_article, change_envelopes
from processors.store.project import fold
from processors.store.replay import rebuild_and_compare
from processors.store.sink import apply_batch, decode_changes, open_writer, publish_snapshot
from schemas.codec import encode
from tests.reference_projection import envelopes_of, projected, reference_projection
from tests.unit.test_timeline import ARTICLES, T0

TOPIC = "newsline.timeline.changelog"


def changelog_records(articles=ARTICLES):
    state = TimelineState()
    envs = [env for a in articles for env in change_envelopes(apply_article(state, a).changes,
                                                             a.version_id)]
    return [(i, encode(env)) for i, env in enumerate(envs)]


def project(path: Path, records, batch=4):
    con = open_writer(path)
    for i in range(0, len(records), batch):
        part = records[i:i + batch]
        b = fold(decode_changes(part))
        b.next_offset = part[-1][0] + 1
        apply_batch(con, b, topic=TOPIC, epoch="e1")
    return con


def table(con, name, order):
    return con.execute(f"SELECT * FROM {name} ORDER BY {order}").fetchall()


def test_batches_and_redelivery_give_the_same_tables(tmp_path):
    records = changelog_records()
    once = project(tmp_path / "a.duckdb", records, batch=100)
    twice = project(tmp_path / "b.duckdb", records[:7] + records[3:], batch=3)  # overlap
    for name, order in (("events", "event_id"), ("articles", "version_id"),
                        ("mentions", "mention_id"), ("event_mentions", "event_id, mention_id")):
        assert table(once, name, order) == table(twice, name, order), name
    assert once.execute("SELECT count(*) FROM events").fetchone()[0] == 4
    assert once.execute("SELECT next_offset FROM sink_offsets").fetchone()[0] == len(records)



def test_rows_recorded_again_under_new_change_ids_are_replaced_not_doubled(tmp_path):
    """The writer's tables have no keys; a row a batch meets again under a new change id (not a
    resend: those are skipped) hides the stored one (`overlay`: `_moved`, `event_mentions_gone`)
    and replaces it, so the tables are those of one projection."""
    records = changelog_records()
    once = project(tmp_path / "a.duckdb", records, batch=100)
    twice = project(tmp_path / "b.duckdb", records, batch=100)
    again = []
    for offset, env in decode_changes(records):
        again.append((len(records) + offset, encode(env.model_copy(update={"id": f"again-{env.id}"}))))
    b = fold(decode_changes(again))
    apply_batch(twice, b, topic=TOPIC, epoch="e1")
    for name, order in (("events", "event_id"), ("articles", "version_id"),
                        ("mentions", "mention_id"), ("event_mentions", "event_id, mention_id")):
        assert table(once, name, order) == table(twice, name, order), name
    assert twice.execute("SELECT count(*) FROM changelog").fetchone()[0] == 2 * len(records)

def test_timeline_view_order_and_as_of(tmp_path):
    con = project(tmp_path / "w.duckdb", changelog_records())
    rows = con.execute("SELECT start_date, end_date FROM timeline").fetchall()
    assert rows == sorted(rows)
    before = con.execute("SELECT count(*) FROM timeline_as_of($1)",
                         [T0 + timedelta(minutes=30)]).fetchone()[0]
    after = con.execute("SELECT count(*) FROM timeline_as_of($1)",
                        [T0 + timedelta(days=1)]).fetchone()[0]
    assert before == 2 and after == 4


def test_replay_rebuilds_identical_tables(tmp_path):
    con = project(tmp_path / ".sink" / "writer.duckdb", changelog_records())
    publish_snapshot(con, tmp_path / ".sink" / "writer.duckdb", tmp_path / "newsline.duckdb")
    report = rebuild_and_compare(tmp_path)
    assert report["identical"], report


def test_the_tables_equal_an_independent_reference_fold(tmp_path):
    # `replay` reuses the sink's fold, so it cannot see a bug in it; this reference can.
    records = changelog_records()
    con = project(tmp_path / "w.duckdb", records, batch=3)
    events, articles = reference_projection(envelopes_of(records))
    assert projected(con) == (events, articles)
    assert len(events) == 4 and set(articles.values()) >= {("current", None, None)}


def test_snapshot_opens_in_the_duckdb_cli_while_the_writer_is_open(tmp_path):
    writer = tmp_path / ".sink" / "writer.duckdb"
    con = project(writer, changelog_records())
    target = tmp_path / "newsline.duckdb"
    publish_snapshot(con, writer, target)
    cli = Path(sys.executable).parent / "duckdb"
    out = subprocess.run([str(cli), str(target), "-csv", "-c",
                          "SELECT count(*) FROM timeline"], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip().splitlines()[-1] == "4"
    reader = duckdb.connect(str(target), read_only=True)
    publish_snapshot(con, writer, target)  # a held-open analyst session never blocks publishing
    assert reader.execute("SELECT count(*) FROM events").fetchone()[0] == 4


def test_a_change_re_emitted_at_a_later_offset_is_stored_once(tmp_path):
    records = changelog_records()
    replayed = [(len(records) + i, value) for i, (_, value) in enumerate(records[-3:])]
    con = project(tmp_path / "r.duckdb", records + replayed, batch=5)
    assert con.execute("SELECT count(*) FROM changelog").fetchone()[0] == len(records)
    assert con.execute("SELECT next_offset FROM sink_offsets").fetchone()[0] == len(records) + 3


def test_a_writer_of_the_keyed_layout_is_upgraded_with_every_row(tmp_path):
    """A data folder of an older version: its writer holds the analysts' tables with their
    keys, its last commits still in the WAL (the sink closes without a checkpoint). Opened, it
    is copied into the key-less layout with every row and goes on from its offset."""
    from readmodel import SCHEMA_SQL

    records = changelog_records()
    project(tmp_path / "now.duckdb", records[:8], batch=3).close()
    old_path = tmp_path / ".sink" / "writer.duckdb"
    old_path.parent.mkdir()
    old = duckdb.connect(str(old_path))
    old.execute("SET TimeZone = 'UTC'")
    old.execute(SCHEMA_SQL)
    old.execute("PRAGMA disable_checkpoint_on_shutdown")
    old.execute(f"ATTACH '{tmp_path / 'now.duckdb'}' AS now")
    for name in ("changelog", "articles", "mentions", "events", "event_mentions", "sink_offsets"):
        old.execute(f"INSERT INTO {name} SELECT * FROM now.main.{name}")
    old.execute("DETACH now")
    old.close()
    assert Path(f"{old_path}.wal").exists()
    upgraded = project(old_path, records[8:], batch=3)
    assert upgraded.execute("SELECT count(*) FROM duckdb_constraints() WHERE constraint_type "
                            "= 'PRIMARY KEY'").fetchone()[0] == 0
    once = project(tmp_path / "once.duckdb", records, batch=3)
    for name, order in (("events", "event_id"), ("articles", "version_id"),
                        ("mentions", "mention_id"), ("event_mentions", "event_id, mention_id"),
                        ("changelog", "log_offset"), ("sink_offsets", "topic")):
        assert table(once, name, order) == table(upgraded, name, order), name


def test_a_change_re_emitted_after_a_fold_is_still_stored_once(tmp_path):
    """Stored change ids are found by the change's `known_at` (its first copy has the same),
    not in a window of recent offsets: a copy sent again long after, its first already folded
    into the base tables, is dropped too, and the tables are those of one projection."""
    from processors.store.overlay import fold_overlay

    records = changelog_records()
    con = project(tmp_path / "r.duckdb", records, batch=5)
    fold_overlay(con)
    once = {name: table(con, name, order) for name, order in
            (("events", "event_id"), ("articles", "version_id"),
             ("event_mentions", "event_id, mention_id"))}
    again = [(len(records) + i, value) for i, (_, value) in enumerate(records[:4] + records[-3:])]
    b = fold(decode_changes(again))
    apply_batch(con, b, topic=TOPIC, epoch="e1")
    assert con.execute("SELECT count(*) FROM changelog").fetchone()[0] == len(records)
    assert {name: table(con, name, order) for name, order in
            (("events", "event_id"), ("articles", "version_id"),
             ("event_mentions", "event_id, mention_id"))} == once


def test_a_fold_leaves_the_small_tables_empty_in_the_catalogs_estimates(tmp_path, monkeypatch):
    """The writer decides to fold by DuckDB's estimates of the tables' rows, which count rows
    deleted since the last checkpoint: a fold without one would be found due again at every
    batch until DuckDB's next automatic checkpoint, each a scan of the base tables."""
    from processors.store import overlay

    records = changelog_records()
    con = project(tmp_path / "w.duckdb", records[:6], batch=3)
    folds = []
    monkeypatch.setattr(overlay, "FOLD_MIN_ROWS", 0)
    monkeypatch.setattr(overlay, "FOLD_SHARE", 0.0)
    fold_overlay = overlay.fold_overlay
    monkeypatch.setattr(overlay, "fold_overlay", lambda *a: folds.append(a) or fold_overlay(*a))
    b = fold(decode_changes(records[6:9]))
    apply_batch(con, b, topic=TOPIC, epoch="e1")
    assert len(folds) == 1
    assert not overlay.due_for_fold(con, min_rows=0, share=0.0)


def worded_articles():
    """`ARTICLES` with the seed-like first mention carrying who takes part and a later word of
    the article for the same event (`Mention.references`)."""
    from schemas.articles import Reference

    first, *rest = ARTICLES
    m = first.mentions[0]
    word = Reference(sentence="The talks went on.", sentence_start=200, expression="talks",
                     start_char=204, end_char=209)
    worded = m.model_copy(update={"participants": m.entities[:1], "references": [word]})
    return [first.model_copy(update={"mentions": [worded, *first.mentions[1:]]}), *rest]


def test_a_mentions_participants_and_same_event_words_reach_the_analysts(tmp_path):
    records = changelog_records(worded_articles())
    con = project(tmp_path / "w.duckdb", records, batch=3)
    m = worded_articles()[0].mentions[0]
    row = con.execute("SELECT participants, same_event_words FROM mentions WHERE mention_id = ?",
                      [m.mention_id]).fetchone()
    assert row == (m.entities[:1], [{"expression": "talks", "start_char": 204, "end_char": 209,
                                     "sentence": "The talks went on.", "sentence_start": 200}])
    others = con.execute("SELECT DISTINCT participants, same_event_words FROM mentions WHERE "
                         "mention_id <> ?", [m.mention_id]).fetchall()
    assert others == [(None, [])]  # None: every entity takes part; no other word


def test_a_writer_from_before_the_mention_words_gets_them_from_its_changelog(tmp_path):
    """A data folder of the layout before `participants` and `same_event_words` (8 December
    2026): opened, both columns are added to its stored mentions and filled from the changelog
    table, so its tables equal one projection of the whole log (what `newsline replay` checks)."""
    records = changelog_records(worded_articles())
    path = tmp_path / ".sink" / "writer.duckdb"
    old = project(path, records[:8], batch=3)
    for part in ("base", "recent"):
        for column in ("participants", "same_event_words"):
            old.execute(f"ALTER TABLE newsline_sink.mentions_{part} DROP COLUMN {column}")
    old.execute("CREATE OR REPLACE VIEW mentions AS SELECT * FROM newsline_sink.mentions_base "
                "UNION ALL SELECT * FROM newsline_sink.mentions_recent")
    old.close()
    upgraded = project(path, records[8:], batch=3)
    once = project(tmp_path / "once.duckdb", records, batch=3)
    assert table(once, "mentions", "mention_id") == table(upgraded, "mentions", "mention_id")
    assert upgraded.execute("SELECT count(*) FROM mentions WHERE len(same_event_words) = 1"
                            ).fetchone()[0] == 1
