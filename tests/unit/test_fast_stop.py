"""What a Ctrl-C of the stack waits for, piece by piece (no broker): the sink's DuckDB writer
closes without a checkpoint and loses nothing, the resolver's stores are closed before the
worker exits, and the worker and sink exit without the interpreter's teardown."""

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb

from processors.store.sink import Sink, stored_position
from processors.worker.resolver_state import Store, close_open_stores

ROOT = Path(__file__).resolve().parents[2]


def test_sink_writer_closes_without_a_checkpoint_and_reopens_with_every_commit(tmp_path):
    sink = Sink(tmp_path, "127.0.0.1:1", "newsline.timeline.changelog", "kafka-test")
    con = sink._open()
    con.execute("INSERT INTO sink_offsets VALUES (?, 0, ?, ?)",
                ["newsline.timeline.changelog", 4242, "kafka-test"])
    wal = Path(str(sink.writer_path) + ".wal")
    assert wal.exists()
    con.close()
    # A checkpoint at close would have folded the WAL into the file and deleted it (the 5-10 s
    # that made Ctrl-C after a big fill slow): it is still there, and replayed on open.
    assert wal.exists() and wal.stat().st_size > 0
    con = duckdb.connect(str(sink.writer_path))
    try:
        assert stored_position(con, "newsline.timeline.changelog") == (4242, "kafka-test")
    finally:
        con.close()


def test_close_open_stores_closes_every_store_of_the_process(tmp_path):
    first, second = Store(tmp_path / "a.sqlite"), Store(tmp_path / "b.sqlite")
    second.close()  # closed already: not closed twice
    assert Path(str(first.path) + "-wal").exists()
    assert close_open_stores() == 1
    assert not Path(str(first.path) + "-wal").exists()  # SQLite's last close folds the WAL in
    assert close_open_stores() == 0


def test_exit_without_teardown_flushes_logs_and_output_and_keeps_the_status(tmp_path):
    log_file, marker = tmp_path / "child.log", tmp_path / "teardown-ran"
    child = textwrap.dedent(f"""
        import atexit, logging, sys
        from newsline.commands import exit_without_teardown
        logging.basicConfig(filename={str(log_file)!r}, level=logging.INFO)
        atexit.register(lambda: open({str(marker)!r}, "w").close())
        print("buffered output")  # stdout is a pipe: block-buffered, unflushed so far
        logging.getLogger("child").info("logged before the exit")
        exit_without_teardown(3)
    """)
    done = subprocess.run([sys.executable, "-c", child], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert done.stdout == "buffered output\n"
    assert "logged before the exit" in log_file.read_text()
    assert not marker.exists()  # the interpreter's teardown (atexit, GC, frees) did not run
