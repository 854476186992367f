"""Parquet export: every table and the timeline view round-trip, read from the snapshot read-only."""

import json

import duckdb
import pytest

from processors.store.devdb import build_database
from readmodel.export import EXPORTED, export_parquet
from tests.conftest import EXAMPLES


@pytest.fixture(scope="module")
def dev_db(tmp_path_factory):
    docs = [json.loads(line) for line in (EXAMPLES / "niger-2023.jsonl").open(encoding="utf-8")]
    return build_database(tmp_path_factory.mktemp("dev") / "newsline.duckdb", docs)


def test_every_relation_round_trips(dev_db, tmp_path):
    reader = duckdb.connect(str(dev_db), read_only=True)  # an analyst's session stays open
    paths = export_parquet(dev_db, tmp_path / "out")
    assert [p.name for p in paths] == [f"{name}.parquet" for name in EXPORTED]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths)
    con = duckdb.connect()
    for name, path in zip(EXPORTED, paths, strict=True):
        exported = con.execute(f"SELECT * FROM read_parquet('{path}')").fetchall()
        original = reader.execute(f"SELECT * FROM {name} ORDER BY {EXPORTED[name]}").fetchall()
        assert len(exported) == len(original) > 0, name
        if name != "changelog":  # its JSON column comes back as text
            assert exported == original, name
    timeline = con.execute(f"SELECT start_date FROM read_parquet('{paths[-1]}')").fetchall()
    assert timeline == sorted(timeline)
    reader.close()


def test_export_overwrites_and_refuses_a_missing_file(dev_db, tmp_path):
    first = export_parquet(dev_db, tmp_path)
    again = export_parquet(dev_db, tmp_path)
    assert first == again and not list(tmp_path.glob(".*partial"))
    with pytest.raises(FileNotFoundError):
        export_parquet(tmp_path / "absent.duckdb", tmp_path)
