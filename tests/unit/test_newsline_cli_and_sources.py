"""The command line's parsing and settings, and how article files are read."""

import argparse
import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from newsline.cli import _day, _instant, _parser, _settings
from newsline.serve import parse_tokens
from newsline.settings import Settings
from newsline.sources import SourceError, expand, read_articles


def test_instants_need_an_offset_and_days_a_calendar_date():
    assert _instant("2023-09-05T00:00Z") == datetime(2023, 9, 5, tzinfo=UTC)
    assert _instant("2023-09-05T02:00+02:00").utcoffset() == timedelta(hours=2)
    for bad in ("2023-09-05T00:00", "yesterday"):
        with pytest.raises(argparse.ArgumentTypeError):
            _instant(bad)
    assert _day("2023-09-04") == date(2023, 9, 4)
    with pytest.raises(argparse.ArgumentTypeError):
        _day("4 Sept")


def test_timeline_flags_parse_to_typed_values():
    args = _parser().parse_args(["timeline", "--since", "2023-07-01", "--as-of",
                                 "2023-09-05T00:00+01:00", "--format", "json"])
    assert args.since == date(2023, 7, 1) and args.until is None and args.format == "json"
    assert args.as_of == datetime(2023, 9, 5, tzinfo=timezone(timedelta(hours=1)))
    with pytest.raises(SystemExit):
        _parser().parse_args(["timeline", "--format", "xml"])
    assert args.anchor is None  # explicit events only, as the `timeline` view
    assert _parser().parse_args(["timeline", "--anchor", "all"]).anchor == (
        "explicit", "narrative", "publication", "none")
    assert _parser().parse_args(["timeline", "--anchor", "explicit, publication"]).anchor == (
        "explicit", "publication")
    for bad in ("dated", ","):
        with pytest.raises(SystemExit):
            _parser().parse_args(["timeline", "--anchor", bad])


def test_flags_override_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("NEWSLINE_DATA_DIR", "/from/env")
    monkeypatch.setenv("NEWSLINE_API_PORT", "9000")
    monkeypatch.setenv("NEWSLINE_MAX_BODY_BYTES", "2048")
    s = _settings(_parser().parse_args(["up", "--data-dir", str(tmp_path)]))
    assert s.data_dir == tmp_path and s.api_port == 9000 and s.max_body_bytes == 2048
    assert s.embedded and s.duckdb_path == tmp_path / "newsline.duckdb"
    assert not Settings(bootstrap_servers="k:9092").embedded


def test_tokens_are_a_comma_separated_list():
    assert parse_tokens(" a, b ,,c ") == ["a", "b", "c"] and parse_tokens("") == []


def test_article_files_of_each_kind(tmp_path):
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"url": "u1"}))
    many = tmp_path / "d" / "many.json"
    many.parent.mkdir()
    many.write_text(json.dumps([{"url": "u2"}, {"url": "u3"}]))
    lines = tmp_path / "d" / "lines.jsonl"
    lines.write_text('{"url": "u4"}\n\n{not json\n{"url": "u5"}\n')
    text = tmp_path / "d" / "a.txt"
    text.write_text("Lundi.")
    (tmp_path / "d" / "notes.md").write_text("ignored in folders")
    assert expand([one, tmp_path / "d"]) == [one, text, lines, many]
    assert list(read_articles(one, {})) == [{"url": "u1"}]
    assert list(read_articles(many, {})) == [{"url": "u2"}, {"url": "u3"}]
    got = list(read_articles(lines, {}))
    assert got[0] == {"url": "u4"} and got[2] == {"url": "u5"}
    assert isinstance(got[1], SourceError) and "lines.jsonl:3: invalid JSON" in str(got[1])
    meta = {"url": "https://e.example/t", "published_at": "2023-09-04T10:00:00Z", "title": None}
    assert list(read_articles(text, meta)) == [{"url": "https://e.example/t",
                                               "published_at": "2023-09-04T10:00:00Z",
                                               "text": "Lundi."}]


def test_unreadable_files_raise_a_source_error(tmp_path):
    for name, content in (("x.pdf", b"%PDF"), ("bad.json", b"{"), ("latin.txt", b"\xe9t\xe9")):
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(SourceError):
            list(read_articles(path, {}))
    with pytest.raises(SourceError):
        list(read_articles(tmp_path / "missing.json", {}))
