"""bench/tls_eval.py and bench/mlcrisis_layout.py: the layout, the two timelines, and a run.

A tiny synthetic topic runs always; the ML-Crisis run needs the layout (``NEWSLINE_MLCRISIS``,
made by ``bench/mlcrisis_layout.py``) and skips without it.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from schemas.timeline import EventState
from tests.bench_modules import load_bench

tls_eval = load_bench("tls_eval")
layout = load_bench("mlcrisis_layout")

# `NEWSLINE_MLCRISIS=<folder> python bench/tls_eval.py --topics yemen` (deterministic): F1 x100 of
# (date, align+ m:1 R1) for Newsline and the baseline. Updated by the commit that moves it.
PINNED_YEMEN = {"newsline": (16.9, 5.9), "baseline": (7.6, 4.9)}

REFERENCE = """2011-02-03
des milliers de manifestants défilent au Caire contre Hosni Moubarak .
--------------------------------
2011-02-11
Hosni Moubarak démissionne--------------------------------
2011-02-11
le vice-président Omar Souleimane l' annonce .
- -------------------------------
"""
ARTICLES = {
    "2011-02-03/a.txt": "Des milliers de manifestants ont défilé jeudi 3 février 2011 au Caire contre "
                        "le président Hosni Moubarak.\nLa police a dispersé la foule.",
    "2011-02-03/b.txt": "La place Tahrir était encore pleine ce soir.\nLes manifestants restent.",
    "2011-02-12/c.txt": "Le président Hosni Moubarak a démissionné vendredi 11 février 2011, a annoncé "
                        "le vice-président Omar Souleimane.",
}


def write_topic(root: Path, name: str = "caire") -> Path:
    for relative, text in ARTICLES.items():
        path = root / "fr" / name / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "fr" / "reference").mkdir(parents=True, exist_ok=True)
    (root / "fr" / "reference" / f"{name}.txt").write_text(REFERENCE, encoding="utf-8")
    return root


def test_reference_read_leniently():
    days = tls_eval.read_reference(REFERENCE)
    assert days == {
        date(2011, 2, 3): ["des milliers de manifestants défilent au Caire contre Hosni Moubarak ."],
        # dashes glued to the text end the day; a day given twice keeps both parts
        date(2011, 2, 11): ["Hosni Moubarak démissionne", "le vice-président Omar Souleimane l' annonce ."],
    }


def test_budget_is_the_references_days_and_mean_sentences_a_day(tmp_path):
    topic = tls_eval.read_topic(write_topic(tmp_path), "caire")
    assert topic.budget() == (2, 2)  # 3 sentences over 2 days: 1.5 rounds to 2
    assert [d.name for d in topic.documents] == ["a.txt", "b.txt", "c.txt"]


def event(eid: str, day: date, sources: int, mentions: int, summary: str, *,
          granularity: str = "day", anchor: str = "explicit") -> EventState:
    at = datetime(2011, 2, 1, tzinfo=UTC)
    return EventState(
        event_id=eid, start=day, end=day, granularity=granularity, summary=summary, entities=[],
        mention_ids=[f"{eid}-{i}" for i in range(mentions)],
        sources=[f"https://x.example/{eid}/{i}" for i in range(sources)], languages=["fr"],
        first_reported_at=at, last_reported_at=at, anchor=anchor)


def test_newsline_days_ranked_by_independent_sources_then_mentions():
    d1, d2, d3 = date(2011, 2, 1), date(2011, 2, 2), date(2011, 2, 3)
    events = [
        event("a", d1, 1, 5, "un"), event("b", d2, 2, 1, "deux"), event("c", d2, 1, 1, "deux bis"),
        event("d", d3, 1, 1, "trois"), event("e", d3, 1, 1, "trois"),  # one sentence, shown once
        event("f", d1, 9, 9, "mois", granularity="month"),  # no day to give
        event("g", d1, 9, 9, "publication", anchor="publication"),  # not shown by default
    ]
    assert tls_eval.newsline_timeline(events, 2, 5) == {d2: ["deux", "deux bis"], d3: ["trois"]}
    assert tls_eval.newsline_timeline(events, 3, 1)[d1] == ["un"]
    assert tls_eval.newsline_timeline(events, 1, 1, ("explicit", "publication")) == {d1: ["publication"]}


def test_baseline_takes_the_busiest_publication_days_first_sentences_in_turn(tmp_path):
    topic = tls_eval.read_topic(write_topic(tmp_path), "caire")
    assert tls_eval.baseline_timeline(topic.documents, 1, 3) == {date(2011, 2, 3): [
        "Des milliers de manifestants ont défilé jeudi 3 février 2011 au Caire contre le président "
        "Hosni Moubarak.", "La place Tahrir était encore pleine ce soir.", "La police a dispersé la foule."]}


def test_a_synthetic_topic_end_to_end(tmp_path):
    found = tls_eval.evaluate(write_topic(tmp_path), ["caire"])
    row = found["topics"]["caire"]
    # Newsline dates the resignation on the 11th from an article of the 12th; the publication
    # baseline picks the 3rd and the 12th.
    assert row["newsline chosen days"] == ["2011-02-03", "2011-02-11"]
    assert row["newsline"]["dates"]["F1"] == 1.0
    assert row["baseline"]["dates"]["F1"] == 0.5
    assert row["newsline"]["agreement R1"]["F1"] > row["baseline"]["agreement R1"]["F1"] > 0
    assert found["mean"]["newsline"]["dates"] == 1.0


def test_layout_from_a_checkout_and_from_a_bare_repository(tmp_path):
    source = write_topic(tmp_path / "checkout")
    for extra in ("fr/caire/2011-02-03/a.tokenized", "fr/.DS_Store", "en/reference/caire.txt"):
        (source / extra).parent.mkdir(parents=True, exist_ok=True)
        (source / extra).write_text("x", encoding="utf-8")
    expected = {f"fr/caire/{r}" for r in ARTICLES} | {"fr/reference/caire.txt"}

    def laid_out(dest: Path) -> set[str]:
        return {p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()}

    assert layout.lay_out(source, tmp_path / "a") == 4
    assert laid_out(tmp_path / "a") == expected
    git = ["git", "-C", str(source), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "data"], check=True)
    bare = tmp_path / "mirror.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(source), str(bare)], check=True)
    assert layout.lay_out(bare, tmp_path / "b") == 4
    assert laid_out(tmp_path / "b") == expected
    assert (tmp_path / "b" / "fr/reference/caire.txt").read_text(encoding="utf-8") == REFERENCE


def test_newsline_on_ml_crisis_yemen():
    root = os.environ.get(tls_eval.ENV)
    if not root or not (Path(root) / "fr" / "reference" / "yemen.txt").is_file():
        pytest.skip(f"no ML-Crisis layout (${tls_eval.ENV}): see bench/mlcrisis_layout.py")
    row = tls_eval.evaluate(Path(root), ["yemen"])["topics"]["yemen"]
    for system, pinned in PINNED_YEMEN.items():
        got = (row[system]["dates"]["F1"], row[system]["align+ m:1 R1"]["F1"])
        assert tuple(round(100 * f, 1) for f in got) == pinned
