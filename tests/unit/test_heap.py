"""The worker trims malloc's free heap every N resolved records (processors/worker/heap.py): the
resolver calls the hook, the production configuration trims, and without glibc it is a no-op; the
worker sets its garbage collector's thresholds from its settings."""

import asyncio
import gc
import logging

import pytest
from pydantic import ValidationError

import processors.app
from newsline import commands
from newsline.settings import Settings
from processors.worker import heap
from processors.worker.heap import PROCESS_HEAP, TRIM_EVERY, HeapTrim, glibc_malloc_trim
from processors.worker.resolver_state import MemoryJournal, Resolver, Store
from tests.unit.test_resolver_state import Sink, articles


class Counted:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return 1


def test_the_resolver_trims_the_heap_every_n_records_it_resolves(tmp_path):
    trim = Counted()
    arts = articles()  # the dev set, then one redelivery (not resolved again: no record)

    async def main() -> HeapTrim:
        store = Store(tmp_path / "s.sqlite")
        r = Resolver(store, MemoryJournal(), Sink().publish, heap=HeapTrim(every=3, trim=trim))
        await r.recover()
        for offset, art in enumerate(arts):
            await r.handle(offset, art)
        await r.handle(0, arts[0])  # at or before the position: skipped, not counted
        store.close()
        return r.heap

    h = asyncio.run(main())
    assert h.records == len(arts)
    assert trim.calls == h.trims == len(arts) // 3 > 0


def test_the_worker_trims_with_glibc_by_default():
    """What production runs: every resolver shares the process's trim, every 1,000 records,
    with glibc's malloc_trim (the worker's image is Debian, glibc)."""
    default = Resolver.__dataclass_fields__["heap"].default_factory()  # type: ignore[misc]
    assert default is PROCESS_HEAP
    assert PROCESS_HEAP.every == TRIM_EVERY == 1000
    assert PROCESS_HEAP._trim is not None
    assert glibc_malloc_trim()() in (0, 1)  # the real call


def test_without_glibc_trimming_is_a_logged_no_op(monkeypatch, caplog):
    monkeypatch.setattr(heap.platform, "libc_ver", lambda: ("", ""))
    assert glibc_malloc_trim() is None
    h = HeapTrim(every=2)
    with caplog.at_level(logging.INFO, logger="processors.worker.heap"):
        for _ in range(6):
            h.record_resolved()
    assert h.trims == 0 and h.records == 6
    assert [r.message for r in caplog.records] == [
        "no glibc malloc_trim in this process: the heap is not trimmed"]


def test_every_zero_never_trims():
    trim = Counted()
    h = HeapTrim(every=0, trim=trim)
    for _ in range(5000):
        h.record_resolved()
    assert trim.calls == 0
    h.trim_now()
    assert trim.calls == 1


def test_the_worker_sets_its_collectors_thresholds_before_it_builds_its_app(monkeypatch):
    class Built(Exception):
        pass

    seen: list[tuple[int, int, int]] = []

    def create_app(*args, **kwargs):
        seen.append(gc.get_threshold())
        raise Built

    before = gc.get_threshold()
    monkeypatch.setattr(processors.app, "create_app", create_app)
    try:
        with pytest.raises(Built):
            commands.worker(Settings(bootstrap_servers="localhost:1"))
        assert seen == [(10000, 50, 100)]  # the default
        gc.set_threshold(*before)
        with pytest.raises(Built):
            commands.worker(Settings(bootstrap_servers="localhost:1", gc_thresholds=""))
        assert seen[-1] == before  # "" keeps what Python had
    finally:
        gc.set_threshold(*before)


def test_gc_thresholds_must_be_three_integers():
    for wrong in ("10000,50", "a,b,c", "10000 50 100"):
        with pytest.raises(ValidationError):
            Settings(gc_thresholds=wrong)
    assert Settings(gc_thresholds="700,10,10").gc_thresholds == "700,10,10"
