"""The worker's heap: its free memory given back to the system (glibc's `malloc_trim(0)` every N
records), and how often its garbage collector runs (`collect_less_often`).

The resolver churns objects (block heads and mention refs of the active-mention index dropped
and read back, event summaries and cache entries replaced). glibc's malloc keeps the memory
they free: on the dense stream, past the index's cap (of its 7-day pages, then), live
objects, malloc's bytes in use and SQLite's allocations stayed flat while malloc's
free-but-kept memory (`mallinfo2().fordblks`) and RSS grew by about 1.25 MB per 1,000 articles.
`malloc_trim(0)` releases the free pages inside the heap (not only its top), so the worker
calls it every `TRIM_EVERY` records it resolves and when it drops a resolver's state.
Measured choice and its cost: `docs/durability.md`, *Memory*.

Where the C library has no `malloc_trim` (musl, macOS), trimming is a no-op, said once in the log.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import platform
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

TRIM_EVERY = 1000  # records resolved between two trims (a trim costs a few ms: see the docs)


def glibc_malloc_trim() -> Callable[[], int] | None:
    """glibc's `malloc_trim(0)` (returns 1 if memory was released), None without glibc."""
    if platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: int(trim(0))


class HeapTrim:
    """Counts the records resolved in this process and trims the heap every `every` of them
    (0: never). One per process: the resolvers of all its partitions share it."""

    def __init__(self, every: int = TRIM_EVERY,
                 trim: Callable[[], int] | None | bool = True) -> None:
        self.every = every
        self._trim: Callable[[], int] | None = (
            glibc_malloc_trim() if trim is True else None if trim is False else trim)
        self.records = 0
        self.trims = 0
        self.cpu_s = 0.0  # spent in malloc_trim
        self._said = False

    def record_resolved(self) -> None:
        """One more record resolved: trim if it is the `every`-th."""
        self.records += 1
        if self.every > 0 and self.records % self.every == 0:
            self.trim_now()

    def trim_now(self) -> None:
        """Give malloc's free pages back now (a resolver's state was dropped, say)."""
        if self._trim is None:
            if not self._said:
                log.info("no glibc malloc_trim in this process: the heap is not trimmed")
                self._said = True
            return
        if not self._said:
            log.info("trimming the heap with malloc_trim(0) every %d records", self.every)
            self._said = True
        t0 = time.process_time()
        self._trim()
        self.cpu_s += time.process_time() - t0
        self.trims += 1


PROCESS_HEAP = HeapTrim()


def collect_less_often(thresholds: str) -> None:
    """Set the garbage collector's thresholds ("a,b,c" as `gc.set_threshold` takes them; "" keeps
    Python's 700,10,10).

    A full pass walks every container object alive, and the resolver keeps hundreds of thousands
    of them (its caches, the active-mention index's heads). At Python's thresholds the production
    resolver over its store ran a full pass every 330-345 articles of the dense stream, 0.55-0.68 s
    each by 10,000-20,000 articles: 12% of its CPU, each a pause of the worker's loop. Python
    3.11 also waits for the objects that survived into the oldest generation since the last full
    pass to be a quarter of those there before it runs one, so raising the first thresholds spaces
    the passes without letting garbage grow unboundedly. Measured in `docs/measurements.md`, *One
    article's fold*, and *The collector, less often*."""
    if not thresholds:
        return
    first, second, third = (int(x) for x in thresholds.split(","))
    gc.set_threshold(first, second, third)
    log.info("garbage collector thresholds %d,%d,%d", first, second, third)
