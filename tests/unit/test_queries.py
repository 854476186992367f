"""Every analysts' query in queries/ runs as-is in the real DuckDB CLI and answers its question.

The dev set (examples/) is projected once per module with the real analysis, fold and sink code
(processors.store.devdb); a small crafted story adds what the dev set lacks: an event whose date
is pinned down by a later article, and an earlier report that merges two events.
"""

import csv
import hashlib
import io
import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from processors.store.devdb import build_database
from processors.store.overlay import OVERLAID
from tests.conftest import EXAMPLES, ROOT

QUERIES = ROOT / "queries"
CLI = Path(sys.executable).parent / "duckdb"
FILES = sorted(QUERIES.glob("*.sql"))

# Outlet A says « earlier this month »; Outlet B, later, says « 10 August » (the date narrows);
# Outlet C, published before both but submitted last, founds the event anew (a merge).
STORY = [
    {"url": "https://a.example/ecowas-standby", "source": "Outlet A", "language": "en",
     "title": "West Africa weighs intervention in Niger", "published_at": "2023-08-31T10:00:00Z",
     "text": "Earlier this month, ECOWAS leaders ordered the activation of their standby force to "
             "restore constitutional order in Niger.\n\nDiplomats in Dakar and Accra say the bloc "
             "remains divided over a military option, and the junta has warned that any "
             "intervention would be met with force. Several neighbouring governments have closed "
             "their borders."},
    {"url": "https://b.example/ecowas-abuja-summit", "source": "Outlet B", "language": "en",
     "title": "Abuja summit: what was decided", "published_at": "2023-09-01T10:00:00Z",
     "text": "On 10 August, ECOWAS leaders gathered in Abuja ordered the activation of their "
             "standby force, saying they wanted constitutional order restored in Niger.\n\nThe "
             "summit communique listed new sanctions, including a freeze of state assets held in "
             "the regional central bank, and asked the African Union to back the plan."},
    {"url": "https://c.example/abuja-summit-live", "source": "Outlet C", "language": "en",
     "title": "Abuja summit ends with standby force order", "published_at": "2023-08-11T08:00:00Z",
     "text": "On Thursday, ECOWAS heads of state meeting in Abuja ordered the activation of their "
             "standby force to restore constitutional order in Niger.\n\nNigeria's president, who "
             "chairs the bloc, said all options remained on the table, while Mali and Burkina Faso "
             "repeated that they would stand by Niamey."},
]
STORY_SUBMITTED = [datetime(2023, 9, 2, 8, 0, tzinfo=UTC) + timedelta(hours=i) for i in range(3)]


def dev_articles():
    docs = [json.loads(line) for line in (EXAMPLES / "niger-2023.jsonl").open(encoding="utf-8")]
    docs.append(json.loads((EXAMPLES / "seed-rtl-2023-09-04.json").read_text(encoding="utf-8")))
    return docs


@pytest.fixture(scope="module")
def dev_db(tmp_path_factory):
    return build_database(tmp_path_factory.mktemp("dev") / "newsline.duckdb", dev_articles())


@pytest.fixture(scope="module")
def story_db(tmp_path_factory):
    return build_database(tmp_path_factory.mktemp("story") / "newsline.duckdb", STORY,
                          STORY_SUBMITTED)


def run_cli(query: str, db: Path, *, readonly: bool = False, stdin: bool = False,
            **variables: str) -> str:
    """Run one query file through the CLI (`-f` or stdin); variables are set first via -cmd."""
    args = [str(CLI), "-csv"] + (["-readonly"] if readonly else [])
    for name, sql_value in variables.items():
        args += ["-cmd", f"SET VARIABLE {name} = {sql_value}"]
    path = QUERIES / query
    if stdin:
        proc = subprocess.run([*args, str(db)], stdin=path.open("rb"), capture_output=True,
                              timeout=60)
    else:
        proc = subprocess.run([*args, "-f", str(path), str(db)], capture_output=True, timeout=60)
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode == 0, err
    assert err == "", err  # no errors, and no warnings such as deprecated syntax either
    return out


def rows(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


def as_list(cell: str) -> list[str]:
    """A DuckDB list as the CLI prints it in CSV: [a, b] (strings unquoted)."""
    inner = cell.strip()[1:-1]
    return [x.strip().strip("'") for x in inner.split(", ")] if inner else []


def test_every_query_starts_with_a_header_documenting_its_parameters():
    assert len(FILES) >= 8
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("-- Question: "), path.name
        header = re.match(r"(?:--.*\n)+", text).group(0)
        assert "Example:" in header and "Parameters:" in header, path.name
        for name in re.findall(r"^SET VARIABLE (\w+) =", text, re.M):
            assert re.search(rf"^SET VARIABLE {name} = coalesce\(getvariable\('{name}'\)", text,
                             re.M), (path.name, name)
            assert re.search(rf"^--\s+{name}\s", header, re.M), (path.name, name)


def test_the_schema_page_describes_every_query_file():
    page = (QUERIES / "README.md").read_text(encoding="utf-8")
    for path in FILES:
        assert f"`{path.name}`" in page, path.name


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_query_runs_as_is_with_f_and_stdin_and_leaves_the_file_alone(path, dev_db):
    digest = hashlib.sha256(dev_db.read_bytes()).hexdigest()
    with_f = run_cli(path.name, dev_db)
    via_stdin = run_cli(path.name, dev_db, readonly=True, stdin=True)
    assert with_f == via_stdin
    assert with_f.strip(), "no header printed"
    assert hashlib.sha256(dev_db.read_bytes()).hexdigest() == digest


def test_entity_timeline_is_alias_and_accent_insensitive(dev_db):
    got = rows(run_cli("entity_timeline.sql", dev_db))
    # The coup and the ultimatum to reinstate him; not the airspace closure of 6 August, whose
    # sentence names him only in its deadline's clause ("as a deadline ... to reinstate ousted
    # President Mohamed Bazoum expired": participants end at the next predicate).
    assert [r["start_date"] for r in got] == ["2023-07-26", "2023-07-30"]
    assert all(as_list(r["matched"]) == ["Mohamed Bazoum"] for r in got)
    same = rows(run_cli("entity_timeline.sql", dev_db, entity="'MOHAMED-BAZOUM'"))
    assert [r["event_id"] for r in same] == [r["event_id"] for r in got]
    kim = rows(run_cli("entity_timeline.sql", dev_db, entity="'kim jong-un'"))
    assert [r["start_date"] for r in kim] == ["2023-09-04"]
    assert rows(run_cli("entity_timeline.sql", dev_db, entity="'Baz'")) == []  # whole words only


def test_events_between_two_dates(dev_db):
    day = rows(run_cli("events_between.sql", dev_db, since="'2023-07-30'", until="'2023-07-30'"))
    assert len(day) == 2 and {r["start_date"] for r in day} == {"2023-07-30"}
    august = rows(run_cli("events_between.sql", dev_db, since="DATE '2023-08-01'",
                          until="DATE '2023-08-31'"))
    assert "2023-07-31" in [r["start_date"] for r in august]  # the week of 31 Jul overlaps
    assert all(r["end_date"] >= "2023-08-01" and r["start_date"] <= "2023-08-31" for r in august)
    assert {r["within"] for r in august if r["start_date"] == "2023-07-31"} == {"false"}


def test_corroborated_events(dev_db):
    got = rows(run_cli("corroborated_events.sql", dev_db))
    assert sorted((r["start_date"], r["source_count"]) for r in got) == [
        ("2023-07-26", "4"), ("2023-07-30", "2")]
    outlets = rows(run_cli("corroborated_events.sql", dev_db, min_sources="3", by_outlet="true"))
    assert [(r["start_date"], as_list(r["outlets"])) for r in outlets] == [
        ("2023-07-26", ["Example Wire", "Infos Monde", "Journal Afrique"])]
    # The ultimatum has two articles, both from Example Wire: one outlet.
    assert rows(run_cli("corroborated_events.sql", dev_db, by_outlet="true")) == outlets


def test_reporting_lag_per_event_and_summary(dev_db):
    out = run_cli("reporting_lag.sql", dev_db)
    per_event, summary = out.split("\nevents,")
    events = rows(per_event)
    stats = rows("events," + summary)[0]
    assert int(stats["events"]) == len(events) == 11  # day-precise events only
    coup = next(r for r in events if r["start_date"] == "2023-07-26")
    assert float(coup["report_lag_hours"]) == 33.5  # first report 27 Jul 09:30 UTC
    lags = sorted(float(r["report_lag_hours"]) for r in events)
    assert float(stats["min_report_lag_hours"]) == lags[0]
    assert float(stats["max_report_lag_hours"]) == lags[-1]
    assert float(stats["median_report_lag_hours"]) == lags[len(lags) // 2]
    coarse = run_cli("reporting_lag.sql", dev_db, max_granularity="'month'")
    assert len(rows(coarse.split("\nevents,")[0])) == 15


def test_known_as_of_before_the_last_article_lacks_its_events(dev_db):
    con = duckdb.connect(str(dev_db), read_only=True)
    last = con.execute("SELECT max(known_at), count(*) FILTER (WHERE source = 'RTL') "
                       "FROM articles").fetchone()
    con.close()
    assert last[1] == 1
    now = rows(run_cli("known_as_of.sql", dev_db))
    assert len(now) == 15 and {r["now"] for r in now} == {"unchanged"}
    instant = (last[0] - timedelta(seconds=1)).astimezone(UTC).isoformat(sep=" ")
    before = rows(run_cli("known_as_of.sql", dev_db, as_of=f"'{instant}'"))
    assert len(before) == 11
    assert "2023-09-04" not in [r["start_date"] for r in before]  # the RTL article's events
    early = rows(run_cli("known_as_of.sql", dev_db, as_of="'2023-08-10 00:00:00+00'"))
    states = {r["event_id"]: r["now"] for r in early}
    assert states[coup_event_id(dev_db)] == "more reports"  # 26 Jul: 3 sources then, 4 now
    # The update of the Wire article kept its sentences, so its events kept their ids.
    assert list(states.values()).count("gone") == 0


def coup_event_id(db):
    con = duckdb.connect(str(db), read_only=True)
    ((eid,),) = con.execute("SELECT event_id FROM events WHERE start_date = DATE '2023-07-26' "
                         "AND anchor = 'explicit'").fetchall()  # one; others are dated from elsewhere
    con.close()
    return eid


def test_syndication_shows_actu_regions_copying_infos_monde(dev_db):
    got = rows(run_cli("syndication.sql", dev_db))
    assert [(r["copier"], r["original_outlet"], r["copies"]) for r in got] == [
        ("Actu Régions", "Infos Monde", "1")]
    assert float(got[0]["median_delay_minutes"]) == 99.0
    assert rows(run_cli("syndication.sql", dev_db, outlet="'actu regions'")) == got
    assert rows(run_cli("syndication.sql", dev_db, outlet="'RTL'")) == []


def test_most_active_entities_per_iso_week(dev_db):
    got = rows(run_cli("weekly_entities.sql", dev_db))
    w30 = [r for r in got if r["iso_week"] == "2023-W30"]
    assert (w30[0]["rank"], w30[0]["entity"], w30[0]["events"]) == ("1", "Mohamed Bazoum", "2")
    assert max(int(r["rank"]) for r in got) == 5
    top = rows(run_cli("weekly_entities.sql", dev_db, top_n="1"))
    assert len(top) == len({r["iso_week"] for r in got}) and {r["rank"] for r in top} == {"1"}


def test_date_revisions_and_merges(dev_db, story_db):
    assert rows(run_cli("date_revisions.sql", dev_db)) == []  # no dev-set event changed date
    got = rows(run_cli("date_revisions.sql", story_db))
    assert [(r["change"], r["old_start_date"], r["old_end_date"], r["new_start_date"],
             r["new_end_date"], r["date_changed"], r["cause_source"]) for r in got] == [
        ("date revised", "2023-08-01", "2023-08-30", "2023-08-10", "2023-08-10", "true",
         "Outlet B"),
        ("merged", "2023-08-10", "2023-08-10", "2023-08-10", "2023-08-10", "false", "Outlet C"),
        # Outlet C's undated words "ordered" and "restore" join Outlet B's: the same event word,
        # dated by the same day, strong evidence (docs/evaluation-ecbplus.md, "8 December 2026")
        ("merged", "2023-08-10", "2023-08-10", "2023-08-10", "2023-08-10", "false", "Outlet C"),
        ("merged", "2023-08-10", "2023-08-10", "2023-08-10", "2023-08-10", "false", "Outlet C"),
    ]
    assert got[1]["merged_event_id"] == got[0]["event_id"]
    assert (got[0]["still_on_timeline"], got[1]["still_on_timeline"]) == ("false", "true")
    only = rows(run_cli("date_revisions.sql", story_db, only_date_changes="true"))
    assert [r["change"] for r in only] == ["date revised"]


def test_event_sources_of_the_coup(dev_db):
    on_date = rows(run_cli("event_sources.sql", dev_db, on_date="DATE '2023-07-26'"))
    coup = coup_event_id(dev_db)
    got = [r for r in on_date if r["event_id"] == coup]
    assert sorted(r["outlet"] for r in got) == [
        "Example Wire", "Infos Monde", "Journal Afrique", "Journal Afrique"]
    # The day's other events are undated sentences of the story, dated by its day (issue 12).
    con = duckdb.connect(str(dev_db), read_only=True)
    anchors = dict(con.execute("SELECT event_id, anchor FROM events").fetchall())
    con.close()
    assert {anchors[r["event_id"]] for r in on_date if r["event_id"] != coup} <= {"narrative"}
    infos = next(r for r in got if r["outlet"] == "Infos Monde")
    assert as_list(infos["copied_by"]) == ["Actu Régions"]
    one = rows(run_cli("event_sources.sql", dev_db, event_id=f"'{coup}'"))
    assert one == got


def test_article_versions_no_longer_on_the_timeline(dev_db):
    got = rows(run_cli("article_versions.sql", dev_db))
    assert [(r["status"], r["outlet"], r["replaced_by_outlet"], r["mentions_on_timeline"])
            for r in got] == [("duplicate", "Actu Régions", "Infos Monde", "0"),
                              ("superseded", "Example Wire", "Example Wire", "0")]
    assert got[1]["replaced_by_title"].startswith("UPDATE 2-")
    assert len(rows(run_cli("article_versions.sql", dev_db, include_current="true"))) == 9


def test_event_lineage_finds_what_retired_ids_became(dev_db, story_db):
    con = duckdb.connect(str(dev_db), read_only=True)
    alive = {r[0] for r in con.execute("SELECT event_id FROM events").fetchall()}
    con.close()
    got = rows(run_cli("event_lineage.sql", dev_db))
    # Event ids come from the founding mention's URL, sentence and expression: the Wire update
    # kept its sentences, so no dev-set event id was retired.
    assert got == [] and alive
    story = rows(run_cli("event_lineage.sql", story_db))
    assert [(r["fate"], r["last_start_date"], r["retired_by_outlet"]) for r in story] == [
        ("merged", "2023-08-10", "Outlet C")] * 3  # the founding report and two undated words


def test_the_schema_page_matches_the_comments_in_the_file(dev_db):
    page = (QUERIES / "README.md").read_text(encoding="utf-8")
    con = duckdb.connect(str(dev_db), read_only=True)
    # The file has the sink's layout (processors/store/overlay.py): four of the tables are
    # views over tables of the schema `newsline_sink`, which the page describes in prose.
    columns = con.execute("SELECT c.table_name, c.column_name, c.data_type, c.comment "
                          "FROM duckdb_columns() c WHERE c.schema_name = 'main' AND "
                          "(c.table_name IN (SELECT table_name FROM duckdb_tables() WHERE "
                          "schema_name = 'main') OR c.table_name IN ?)", [list(OVERLAID)]
                          ).fetchall()
    assert {t for t, *_ in columns} >= set(OVERLAID)
    relations = con.execute("SELECT table_name, comment FROM duckdb_tables() "
                            "WHERE schema_name = 'main' UNION ALL "
                            "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal "
                            "UNION ALL SELECT function_name, NULL FROM duckdb_functions() "
                            "WHERE function_type = 'table_macro' AND NOT internal").fetchall()
    con.close()
    for name, comment in relations:
        assert re.search(rf"^### `{name}[`(]", page, re.M), name
        if comment:
            assert comment in page, name
    for table, column, data_type, comment in columns:
        data_type = data_type.replace("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ")
        assert f"| `{column}` | {data_type} | {comment} |" in page, (table, column)
