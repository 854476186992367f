"""faust's exactly_once on the real stack, kill -9 included (`bench/eos_check.py`; not adopted:
docs/resolver-state.md, *Kafka transactions*). Behind the `reliability` marker: it documents the
measured state of the mode that is not the default, and takes minutes."""

import os

import pytest

from tests.bench_modules import load_bench

pytestmark = [pytest.mark.integration, pytest.mark.reliability]


def test_exactly_once_loses_and_doubles_nothing_through_two_kills(tmp_path, monkeypatch):
    """With the analyse agent's sends in their source partition's transaction, every article
    is visible once, and no record is doubled under read_committed. Without that routing
    (faust's own), the analysed records stay in an uncommitted transaction and none is."""
    eos_check = load_bench("eos_check")
    # run() sets both in os.environ for the stack it starts; monkeypatch puts them back after.
    monkeypatch.setenv("NEWSLINE_PROCESSING_GUARANTEE", "exactly_once")
    monkeypatch.setenv("NEWSLINE_WORKER_LOG_LEVEL", os.environ.get("NEWSLINE_WORKER_LOG_LEVEL",
                                                                   "info"))
    doc = eos_check.run("exactly_once", articles=30, kills=2, kill_every=8.0, timeout=400,
                        folder=tmp_path)
    topics = doc["topics"]
    assert doc["kills"] >= 2, doc
    assert doc["articles_visible"] == 30, doc
    assert topics["analysed"]["read_committed"] == 30, doc
    assert topics["analysed_ids_more_than_once"] == 0, doc
    assert topics["journal_source_offsets_more_than_once"] == 0, doc
    assert topics["change_ids_with_two_contents"] == 0, doc
