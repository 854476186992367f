"""The sink's writer bounds DuckDB's memory: a `memory_limit` on its buffer pool, and a reopen
after `reopen_changes` changes, which gives back what DuckDB keeps until a connection closes
(`Sink._reopen_if_due`; bench/sink_memory.py measures the effect). No broker."""

from processors.store.sink import Sink, stored_position

TOPIC = "newsline.timeline.changelog"


def memory_limit(con) -> str:
    return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]


def test_the_writer_reopens_after_reopen_changes_with_every_commit_and_its_settings(tmp_path):
    sink = Sink(tmp_path, "127.0.0.1:1", TOPIC, "kafka-test", memory_limit="100MB",
                reopen_changes=10)
    con = sink._open()
    assert memory_limit(con) == "95.3 MiB"  # 100 MB in DuckDB's units
    con.execute("INSERT INTO sink_offsets VALUES (?, 0, ?, ?)", [TOPIC, 4242, "kafka-test"])
    assert sink._reopen_if_due(con, 4) is con
    assert sink._reopen_if_due(con, 5) is con  # 9 changes: not yet
    reopened = sink._reopen_if_due(con, 1)
    try:
        assert reopened is not con and sink.reopened == 1 and sink.changes_since_open == 0
        assert stored_position(reopened, TOPIC) == (4242, "kafka-test")
        assert memory_limit(reopened) == "95.3 MiB"
        assert sink._reopen_if_due(reopened, 9) is reopened
    finally:
        reopened.close()


def test_reopen_changes_zero_never_reopens_and_no_limit_keeps_duckdbs_default(tmp_path):
    sink = Sink(tmp_path, "127.0.0.1:1", TOPIC, "kafka-test")
    con = sink._open()
    try:
        default = memory_limit(con)
        assert default != "95.3 MiB" and default.endswith("GiB")
        assert sink._reopen_if_due(con, 10**9) is con and sink.reopened == 0
    finally:
        con.close()
