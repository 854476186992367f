"""What a DuckDB CHECKPOINT costs after a small batch, with and without PRIMARY KEY indexes.

    .venv/bin/python bench/checkpoint_keys.py 100000
    .venv/bin/python bench/checkpoint_keys.py 1000000

Two tables shaped like `events` and `event_mentions` are filled with N rows, with and without
their keys; three rounds then delete 200 rows, append 1,000, commit and time CHECKPOINT (wall
and CPU). Why the analysts' replicas carry no keys (processors/store/replicas.py).
"""

import sys
import tempfile
import time
from pathlib import Path

import duckdb

EVENT_ID = "printf('ev-%012x', i)"


def main() -> None:
    """Time CHECKPOINT after small batches, keyed tables first, then the same without keys."""
    size = int(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        run(Path(tmp), size)


def run(d: Path, size: int) -> None:
    """Both schemas, in folder `d`."""
    for keyed in (True, False):
        con = duckdb.connect(str(d / f"{keyed}.duckdb"))
        key = "PRIMARY KEY" if keyed else ""
        pair_key = ", PRIMARY KEY (event_id, mention_id)" if keyed else ""
        con.execute(f"CREATE TABLE ev (event_id VARCHAR {key}, a INT, s VARCHAR)")
        con.execute(f"CREATE TABLE em (event_id VARCHAR, mention_id VARCHAR{pair_key})")
        con.execute(f"INSERT INTO ev SELECT {EVENT_ID}, i, 'summary ' || i FROM range({size}) t(i)")
        con.execute(f"INSERT INTO em SELECT {EVENT_ID}, printf('m%d', i) FROM range({size}) t(i)")
        con.execute("CHECKPOINT")
        for round_ in range(3):
            lo = size + round_ * 1000
            con.execute("BEGIN")
            con.execute(f"DELETE FROM ev WHERE event_id IN (SELECT printf('ev-%012x', i * 7919 % {size}) "
                        "FROM range(200) t(i))")
            con.execute(f"INSERT INTO ev SELECT {EVENT_ID}, i, 'x' FROM range({lo}, {lo + 1000}) t(i)")
            con.execute(f"INSERT INTO em SELECT {EVENT_ID}, printf('m%d', i) "
                        f"FROM range({lo}, {lo + 1000}) t(i)")
            con.execute("COMMIT")
            wall, cpu = time.perf_counter(), time.process_time()
            con.execute("CHECKPOINT")
            print(f"keys={keyed} rows={size:,} checkpoint {time.perf_counter() - wall:.3f} s "
                  f"(CPU {time.process_time() - cpu:.3f} s)")
        con.close()


if __name__ == "__main__":
    main()
