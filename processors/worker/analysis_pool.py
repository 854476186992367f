"""The `analyse` agent's work on other cores: raw record bytes in, an outcome out.

`analyse_value` is the whole per-record step (decode, analyse, envelope, encode) as one pure
function of the record's bytes, so it can run in a worker thread or in another process. With
`processes` > 0 an `AnalysisPool` runs it in that many processes (spawned, each killed with the
worker), which takes the stage off the worker's GIL: the worker's own thread then only moves
records and resolves (bench/e2e_bench.py measures both settings). With 0 it runs in a thread,
as before.

A pool process that dies (a crash in native code, the OOM killer) breaks the pool: the pool is
made anew and the record in hand is analysed once in a thread, so a record that kills its
process also kills the worker, as it did before the pool, and is never silently dropped.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import signal
import traceback
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from processors.analysis.analyse import TooLarge, analyse_article
from schemas.articles import ARTICLE_SUBMITTED
from schemas.codec import Rejection, decode, encode, envelope

log = logging.getLogger(__name__)
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one raw record: analysed (key, value) or why not (a dead letter)."""

    key: bytes | None = None
    value: bytes | None = None
    reason: str | None = None  # set when the record is to be dead-lettered
    errors: tuple[tuple[str, str], ...] = ()
    trace: str | None = None  # the analysis' traceback, when it raised


def analyse_value(raw: bytes | None) -> Outcome:
    """Decode a raw record and analyse it; a bad record or a failed analysis is an outcome."""
    env = decode(raw, expected=ARTICLE_SUBMITTED)
    if isinstance(env, Rejection):
        return Outcome(reason=env.reason,
                       errors=tuple((e["path"], e["message"]) for e in env.errors))
    try:
        result = analyse_article(env)
    except TooLarge as exc:  # not a bug: no traceback
        return Outcome(reason=f"too large to analyse: {exc}", errors=(("data.text", str(exc)),))
    except Exception as exc:  # a bug must not stall the stream: the record is parked
        return Outcome(reason=f"analysis failed: {exc!r}", errors=(("(processing)", repr(exc)),),
                       trace=traceback.format_exc())
    out = envelope(result, source="newsline/analyse", subject=result.canonical_url,
                   id=result.version_id)
    return Outcome(key=result.article_key.encode(), value=encode(out))


def _in_child(worker_pid: int) -> None:
    """A pool process dies with the worker (kill -9 included) and leaves Ctrl-C to it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux
        pass
    # A worker killed while this process was still starting (seconds, under load) sent no
    # signal: this process would wait for work forever (its queue's pipe has writers left in
    # its siblings). Seen in the rebalance campaign test, which kills workers that just joined.
    if os.getppid() != worker_pid:
        os._exit(0)


class AnalysisPool:
    """Runs `analyse_value` in `processes` processes (0: in a thread of this process)."""

    def __init__(self, processes: int) -> None:
        """Nothing starts before the first record."""
        self.processes = processes
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self.processes, mp_context=multiprocessing.get_context("spawn"),
                initializer=_in_child, initargs=(os.getpid(),))
        return self._executor

    async def analyse(self, raw: bytes | None) -> Outcome:
        """The outcome of one raw record."""
        if self.processes <= 0:
            return await asyncio.to_thread(analyse_value, raw)
        pool = self._pool()
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, analyse_value, raw)
        except BrokenProcessPool:
            log.error("an analysis process died; starting the pool again and analysing the "
                      "record in hand in the worker")
            if self._executor is pool:
                self._executor = None
                pool.shutdown(wait=False, cancel_futures=True)
            return await asyncio.to_thread(analyse_value, raw)

    async def analyse_many(self, raws: list[bytes | None]) -> list[Outcome]:
        """The outcomes of several raw records, in their order: in a thread, one hand-off for
        them all (a hand-off per record cost the worker's loop a wake-up and a GIL switch
        each); in the processes, all at once (each record as `analyse` does it)."""
        if self.processes <= 0:
            return await asyncio.to_thread(lambda: [analyse_value(raw) for raw in raws])
        return list(await asyncio.gather(*(self.analyse(raw) for raw in raws)))

    def close(self) -> None:
        """Stop the processes (they also die with the worker)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
