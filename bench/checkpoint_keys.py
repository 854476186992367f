"""What a DuckDB CHECKPOINT costs after a small batch, with and without PRIMARY KEY indexes.

    .venv/bin/python bench/checkpoint_keys.py 100000
    .venv/bin/python bench/checkpoint_keys.py 1000000
    .venv/bin/python bench/checkpoint_keys.py 4000000 random   # keys that are hashes

Two tables shaped like `events` and `event_mentions` are filled with N rows, with and without
their keys; three rounds then delete 200 rows, append 1,000, commit and time CHECKPOINT (wall
and CPU). Why the analysts' replicas carry no keys (processors/store/replicas.py). With `random`
the keys are hashes, in no order, as the resolver's ids are (the writer's case: its tables keep
their keys, `docs/measurements.md`, *The writer's batch*).
"""

import sys
import tempfile
import time
from pathlib import Path

import duckdb


def event_id(n: str, hashed: bool) -> str:
    """The SQL of the id of event number `n` (an SQL expression): in order, or a hash."""
    return f"'ev-' || md5(({n})::VARCHAR)" if hashed else f"printf('ev-%012x', {n})"


def main() -> None:
    """Time CHECKPOINT after small batches, keyed tables first, then the same without keys."""
    size = int(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        run(Path(tmp), size, hashed=sys.argv[2:] == ["random"])


def run(d: Path, size: int, hashed: bool = False) -> None:
    """Both schemas, in folder `d`; `hashed`: keys that are hashes (no order)."""
    ids = event_id("i", hashed)
    for keyed in (True, False):
        con = duckdb.connect(str(d / f"{keyed}.duckdb"))
        key = "PRIMARY KEY" if keyed else ""
        pair_key = ", PRIMARY KEY (event_id, mention_id)" if keyed else ""
        con.execute(f"CREATE TABLE ev (event_id VARCHAR {key}, a INT, s VARCHAR)")
        con.execute(f"CREATE TABLE em (event_id VARCHAR, mention_id VARCHAR{pair_key})")
        con.execute(f"INSERT INTO ev SELECT {ids}, i, 'summary ' || i FROM range({size}) t(i)")
        con.execute(f"INSERT INTO em SELECT {ids}, printf('m%d', i) FROM range({size}) t(i)")
        con.execute("CHECKPOINT")
        for round_ in range(3):
            lo = size + round_ * 1000
            con.execute("BEGIN")
            gone = event_id(f"i * 7919 % {size}", hashed)
            con.execute(f"DELETE FROM ev WHERE event_id IN (SELECT {gone} FROM range(200) t(i))")
            con.execute(f"INSERT INTO ev SELECT {ids}, i, 'x' FROM range({lo}, {lo + 1000}) t(i)")
            con.execute(f"INSERT INTO em SELECT {ids}, printf('m%d', i) "
                        f"FROM range({lo}, {lo + 1000}) t(i)")
            con.execute("COMMIT")
            wall, cpu = time.perf_counter(), time.process_time()
            con.execute("CHECKPOINT")
            print(f"keys={keyed} rows={size:,} checkpoint {time.perf_counter() - wall:.3f} s "
                  f"(CPU {time.process_time() - cpu:.3f} s)")
        con.close()


if __name__ == "__main__":
    main()
