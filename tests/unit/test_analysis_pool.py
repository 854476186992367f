"""The `analyse` agent's per-record step and its processes, without a broker."""

import asyncio
import json
import subprocess
import sys

from processors.worker.analysis_pool import AnalysisPool, analyse_value
from schemas.articles import Article
from schemas.codec import decode, encode, envelope
from tests.conftest import EXAMPLES, ROOT


def _raw_seed() -> bytes:
    doc = json.loads((EXAMPLES / "seed-rtl-2023-09-04.json").read_text())
    return encode(envelope(Article.model_validate(doc), source="test"))


def test_an_article_is_analysed_and_bad_bytes_become_a_dead_letter_outcome():
    good = analyse_value(_raw_seed())
    assert good.reason is None and good.key
    assert decode(good.value).data.mentions  # an analysed envelope, with its mentions
    bad = analyse_value(b"not json")
    assert bad.key is None and bad.reason.startswith("invalid JSON")


def test_an_article_too_long_to_analyse_is_a_dead_letter_outcome_at_once():
    """The long poison test's 7 MB article held the `analyse` agent (one record at a time) for
    over 10 minutes. Over the limit, the
    article is parked with its reason, in about the time its cleaning takes."""
    import time

    doc = json.loads((EXAMPLES / "seed-rtl-2023-09-04.json").read_text())
    words = ("Niamey", "mardi", "le", "29", "juillet", "coup", "Bazoum.")
    doc["text"] = " ".join(words[i % len(words)] for i in range(100_000))
    doc.pop("html", None)
    assert len(doc["text"]) > 500_000  # the limit (MAX_ANALYSED_CHARS) is 400,000
    started = time.process_time()
    out = analyse_value(encode(envelope(Article.model_validate(doc), source="test")))
    assert out.key is None and out.reason.startswith("too large to analyse"), out.reason
    assert out.errors[0][0] == "data.text" and out.trace is None
    assert time.process_time() - started < 5


def test_the_pool_gives_the_same_article_as_the_thread():
    raw = _raw_seed()

    async def both() -> tuple:
        pool = AnalysisPool(1)
        try:
            return await pool.analyse(raw), await AnalysisPool(0).analyse(raw)
        finally:
            pool.close()

    in_process, in_thread = asyncio.run(both())
    # The same analysed article (the envelopes differ only by the instant they were made).
    assert decode(in_process.value).data == decode(in_thread.value).data
    assert in_process.key == in_thread.key


def test_a_pool_process_whose_worker_is_gone_exits_at_once():
    # `_in_child(pid)` runs first in each pool process: if its parent is not the worker that
    # made the pool (killed while the process was starting), it must exit, not wait forever.
    code = ("import os, sys; from processors.worker.analysis_pool import _in_child; "
            "_in_child(int(sys.argv[1])); print('waiting for work')")
    orphan = subprocess.run([sys.executable, "-c", code, "1"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert orphan.returncode == 0 and "waiting" not in orphan.stdout
    import os
    child = subprocess.run([sys.executable, "-c", code, str(os.getpid())], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert "waiting for work" in child.stdout


def test_a_group_is_analysed_in_one_hand_off_with_the_outcomes_in_order(monkeypatch):
    """The `analyse` agent hands the records of a group to the analysis thread at once (one
    wake-up of the worker's loop for the group, not one per record); the outcomes are those of
    each record on its own, in the records' order, in the thread and in the processes."""
    seed = _raw_seed()
    doc = json.loads((EXAMPLES / "seed-rtl-2023-09-04.json").read_text())
    doc["url"] += "-other"
    other = encode(envelope(Article.model_validate(doc), source="test"))
    raws = [seed, b"not json", other, None]
    hand_offs = []
    to_thread = asyncio.to_thread

    async def counted(fn, *args):
        hand_offs.append(fn)
        return await to_thread(fn, *args)

    monkeypatch.setattr(asyncio, "to_thread", counted)

    async def both() -> tuple:
        pool = AnalysisPool(1)
        try:
            return await AnalysisPool(0).analyse_many(raws), await pool.analyse_many(raws)
        finally:
            pool.close()

    in_thread, in_processes = asyncio.run(both())
    assert len(hand_offs) == 1
    alone = [analyse_value(raw) for raw in raws]
    for outcomes in (in_thread, in_processes):
        assert [o.key for o in outcomes] == [o.key for o in alone]
        assert [o.reason for o in outcomes] == [o.reason for o in alone]
        assert [decode(o.value).data for o in outcomes if o.value] == [
            decode(o.value).data for o in alone if o.value]
