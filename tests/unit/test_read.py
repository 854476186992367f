"""The read model: `--entity` resolves aliases in SQL through `entity_aliases`, and the read side
(ingest, readmodel) imports nothing from the processors."""

import ast
import json
from pathlib import Path

import duckdb
import pytest

from processors.store.devdb import build_database
from readmodel.read import ANCHORS, read_timeline
from tests.conftest import EXAMPLES

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dev_db(tmp_path_factory):
    docs = [json.loads(line) for line in (EXAMPLES / "niger-2023.jsonl").open(encoding="utf-8")]
    return build_database(tmp_path_factory.mktemp("dev") / "newsline.duckdb", docs)


def ids(db, entity):
    return [e["event_id"] for e in read_timeline(db, entity=entity)]


def test_entity_resolves_aliases_in_any_language(dev_db):
    ecowas = ids(dev_db, "ECOWAS")
    assert len(ecowas) == 3
    for alias in ("Cédéao", "cedeao", "CEDEAO", "Communauté économique des États de l'Afrique de l'Ouest"):
        assert ids(dev_db, alias) == ecowas, alias
    assert ids(dev_db, "ambassade de France") == ids(dev_db, "French embassy") != []


def test_entity_ignores_case_accents_and_punctuation_but_not_words(dev_db):
    bazoum = ids(dev_db, "Mohamed Bazoum")
    # The coup and the ultimatum to reinstate him; not the airspace closure of 6 August, whose
    # sentence names him only in its deadline's clause (tests/unit/test_queries.py says so too).
    assert len(bazoum) == 2
    assert ids(dev_db, "MOHAMED-BAZOUM") == ids(dev_db, "Mohammed Bazoum") == ids(dev_db, "Bazoum") == bazoum
    assert ids(dev_db, "Baz") == []
    assert ids(dev_db, "Poutine") == []  # an alias of someone the dev set does not name


def test_explicit_events_by_default_the_others_on_request(dev_db):
    default = read_timeline(dev_db)
    every = read_timeline(dev_db, anchors=ANCHORS)
    assert default and {e["anchor"] for e in default} == {"explicit"}
    others = [e for e in every if e["anchor"] != "explicit"]
    assert others and {e["anchor"] for e in others} <= {"narrative", "publication"}
    assert [e for e in every if e["anchor"] == "explicit"] == default
    assert read_timeline(dev_db, anchors=("publication",)) == [
        e for e in every if e["anchor"] == "publication"]
    con = duckdb.connect(str(dev_db), read_only=True)
    try:
        view = [r[0] for r in con.execute("SELECT event_id FROM timeline").fetchall()]
        known = con.execute("SELECT max(known_at) FROM changelog").fetchone()[0]
        then = [r[0] for r in con.execute("SELECT event_id FROM timeline_as_of(?)", [known]).fetchall()]
        all_then = con.execute("SELECT count(*) FROM timeline_as_of(?, anchors := ?)",
                               [known, list(ANCHORS)]).fetchone()[0]
    finally:
        con.close()
    assert view == then == [e["event_id"] for e in default]
    assert all_then == len(every)


def test_every_alias_finds_the_events_of_its_canonical_name(dev_db):
    con = duckdb.connect(str(dev_db), read_only=True)
    rows = con.execute("SELECT alias, name FROM entity_aliases WHERE name IN (SELECT name FROM entities) "
                       "ORDER BY alias").fetchall()
    con.close()
    assert len(rows) > 20
    for alias, name in rows:
        assert ids(dev_db, alias) == ids(dev_db, name), (alias, name)


def first_party_imports(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
    return found


@pytest.mark.parametrize(("package", "forbidden"), [
    ("ingest", {"processors", "newsline"}),
    ("readmodel", {"processors", "ingest", "newsline"}),
    ("schemas", {"processors", "ingest", "newsline", "readmodel"}),
])
def test_read_and_write_sides_do_not_reach_into_each_other(package, forbidden):
    assert first_party_imports(package) & forbidden == set()


def test_the_python_key_is_the_sql_key():
    from readmodel.read import _name_key, name_key

    con = duckdb.connect()
    for name in ("Maison-Blanche", "  Cédéao ", "Kim Jong‑un", "l’Élysée", "U.S. Federal Reserve", "S&P 500"):
        assert con.execute(f"SELECT {_name_key('$n')}", {"n": name}).fetchone()[0] == name_key(name), name
