"""The restart benchmark's seed articles (bench/restart_bench.py, workload `distinct`): as many as
asked, the same for a seed, none a copy or an update of another, dated news sentences."""

import sys
from collections import Counter
from datetime import datetime

from processors.analysis.temporal import extract_dates
from processors.resolution.copies import estimate_jaccard, minhash_signature
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT))
from bench.restart_bench import STORY_MAX, distinct_articles, workload  # noqa: E402


def test_distinct_workload_is_deterministic_and_sized():
    a, b = distinct_articles(600, 3), distinct_articles(600, 3)
    assert a == b and len(a) == 600
    assert distinct_articles(600, 4) != a
    assert workload("distinct", 600, 3) == a


def test_distinct_workload_has_no_copies_or_updates():
    docs = distinct_articles(1000, 1)
    assert len({d["url"] for d in docs}) == 1000  # no update of a URL
    assert len({d["text"] for d in docs}) == 1000  # no verbatim copy
    assert not any("updated_at" in d or "/wire/" in d["url"] for d in docs)
    stamps = [d["published_at"] for d in docs]
    assert stamps == sorted(stamps)
    # stories of at most STORY_MAX articles (url .../<story>-<n>), so a near-copy group (two
    # rewrites of one story's sentences) can never grow with the log
    stories = Counter(d["url"].rsplit("/", 1)[1].split("-")[0] for d in docs)
    assert max(stories.values()) <= STORY_MAX
    # near-copies by the copy detector's own estimate (the same story retold): rare
    sigs = [minhash_signature(d["text"]) for d in docs[:300]]
    near = sum(estimate_jaccard(sigs[i], sigs[j]) >= 0.5
               for i in range(len(sigs)) for j in range(i + 1, len(sigs)))
    assert near <= 3


def test_distinct_workload_reads_like_news():
    docs = distinct_articles(200, 1)
    assert {d["language"] for d in docs} == {"en", "fr"}
    for d in docs:
        sentences = [s for s in d["text"].split("\n\n") if s]
        assert 3 <= len(sentences) <= 10
        assert d["title"] and d["source"]
        dates = extract_dates(d["text"], published_at=datetime.fromisoformat(d["published_at"]),
                              language=d["language"])
        assert dates  # every article dates what it reports
