"""Reading `run-<id>.wandb` files: the entry point, the parse cache, and forked workers for many files
(`map_forked`, which local folders use for whole run folders).

One file's bytes are split into records by `run_log_frames`, decoded with `run_log_proto`'s
`Record` class and replayed into a `RunLog` by `run_log_replay`. This module imports neither pandas
nor the wandb package.
"""

from __future__ import annotations

import errno
import gc
import itertools
import multiprocessing
import os
import stat
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from lib.sources.errors import SourceError
from lib.sources.reading import UNGUARDED, Reading, not_regular_reason
from lib.sources.run_cache import BoundedCache
from lib.sources.safe_load import approx_bytes
from lib.sources.wandb.run_log_proto import record_class
from lib.sources.wandb.run_log_replay import RunLog, parse_run_log

# The reader's public face; `record_class` is re-exported for warming it up (benchmarks).
__all__ = [
    "RUN_LOG_CACHE",
    "RunLog",
    "cache_holds_any",
    "cached_run_log",
    "collector_paused",
    "file_key",
    "keep_parse",
    "map_forked",
    "parse_run_log",
    "read_and_parse",
    "read_run_log",
    "read_run_logs",
    "record_class",
]

# Parsing this many uncached files pays for forking workers (each parse costs ~0.15 ms).
PARALLEL_MIN_FILES = 1000
MAX_WORKERS = 4

CACHE_MAX_ENTRIES = 20_000
CACHE_MAX_BYTES = 256 * 1024 * 1024

# Parsed files by (path, size, mtime_ns): a warm reload re-reads only files that changed.
RUN_LOG_CACHE = BoundedCache(CACHE_MAX_ENTRIES, max_bytes=CACHE_MAX_BYTES)


def file_key(path: Path, stat: os.stat_result) -> tuple[str, int, int]:
    return (str(path), stat.st_size, stat.st_mtime_ns)


def read_run_logs(paths: Sequence[Path], reading: Reading = UNGUARDED) -> list[RunLog | SourceError | None]:
    """Parse many `.wandb` files, reusing the parse of each file whose size and mtime are unchanged.

    In place of each path: its `RunLog`, the `SourceError` saying why it cannot be read, or None
    when there is no such file. A path `reading` does not allow is not opened (an error in its
    place); with `reading.cache` False nothing is cached. Many uncached files are parsed by forked
    workers when that is safe (see `_fork_workers`).
    """
    results: list[RunLog | SourceError | None] = [None] * len(paths)
    todo = []
    look_up = reading.cache and cache_holds_any()
    for i, path in enumerate(paths):
        try:
            reading.check(path)
        except SourceError as error:
            results[i] = error
            continue
        found, results[i] = cached_run_log(path) if look_up else (False, None)
        if not found:
            todo.append(i)
    for i, (key, outcome, nbytes) in zip(todo, _parse_files([paths[i] for i in todo]), strict=True):
        results[i] = outcome
        if reading.cache:
            keep_parse(key, outcome, nbytes)
    return results


def cache_holds_any() -> bool:
    """False when there is nothing to look up (a cold load): the files need not even be stat'ed."""
    return len(RUN_LOG_CACHE) > 0


def cached_run_log(path: Path) -> tuple[bool, RunLog | SourceError | None]:
    """(True, what `read_run_logs` gives for `path`) when that is known without reading it: its
    cached parse, None for no such file, the error of a file that cannot be looked at; else False."""
    try:
        cached = RUN_LOG_CACHE.get(file_key(path, path.stat()))
    except FileNotFoundError:
        return True, None
    except OSError as error:
        return True, SourceError(f"cannot read {path.name}: {error.strerror or error}")
    return cached is not None, cached


def keep_parse(key: tuple[str, int, int] | None, outcome: RunLog | SourceError | None, nbytes: int) -> None:
    """Cache a fresh parse (from `read_and_parse`) under the key of the file it was read from."""
    if isinstance(outcome, RunLog) and key is not None:
        RUN_LOG_CACHE.put(key, outcome, nbytes)


def run_log_bytes(log: RunLog) -> int:
    """About the memory a parsed log holds: its config and summary (`approx_bytes` of each)."""
    return _tree_bytes(log.config) + _tree_bytes(log.summary)


_ATOMS = frozenset({str, int, float, bool, type(None)})


def _tree_bytes(tree: dict[str, Any]) -> int:
    """`approx_bytes(tree)` for the plain dicts of a replay, without its generic type checks."""
    total = sys.getsizeof(tree)
    for key, value in tree.items():
        kind = type(value)
        if kind is dict:
            part = _tree_bytes(value)
        elif kind in _ATOMS:
            part = sys.getsizeof(value)
        else:
            part = approx_bytes(value)
        total += sys.getsizeof(key) + part
    return total


def read_run_log(path: Path) -> RunLog:
    """Parse one `.wandb` file (cached like `read_run_logs`); `SourceError` if it cannot be read."""
    (outcome,) = read_run_logs([path])
    if outcome is None:
        raise SourceError(f"{path.name} does not exist")
    if isinstance(outcome, SourceError):
        raise outcome
    return outcome


Parsed = tuple[tuple[str, int, int] | None, RunLog | SourceError | None, int]  # key, outcome, bytes held


def _parse_files(paths: Sequence[Path]) -> list[Parsed]:
    return map_forked(read_and_parse, paths)


T = TypeVar("T")
R = TypeVar("R")
# What forked workers map, set just before they are forked: they inherit it with the rest of the
# parent's memory, so neither the function nor the items are pickled (only the results travel).
_FORKED_JOB: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def map_forked(work: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """`[work(item) for item in items]`, shared between this process and forked workers when that
    pays and is safe (`_fork_workers`); all in this process when it is not, or no process can be had.

    The items are cut into chunks: the workers take chunks from the front, this process from the
    back, until they meet. So this process never waits idle, and on a machine so busy that the
    workers hardly run it simply does most of the work itself.
    """
    workers = _fork_workers(len(items))
    if workers < 2:
        return [work(item) for item in items]
    global _FORKED_JOB
    _FORKED_JOB = (work, items)  # no other thread to see it: `_fork_workers` saw to that
    bounds = _chunk_bounds(len(items), CHUNKS_PER_WORKER * workers)
    try:
        with ProcessPoolExecutor(workers - 1, mp_context=multiprocessing.get_context("fork")) as pool:
            chunks = [pool.submit(_work_chunk, bound) for bound in bounds]
            results: list[list[Any] | None] = [None] * len(chunks)
            for i in reversed(range(len(chunks))):
                if not chunks[i].cancel():
                    break  # a worker has this chunk, and every one before it
                results[i] = _work_chunk(bounds[i])
            parts = [
                part if part is not None else chunk.result()
                for part, chunk in zip(results, chunks, strict=True)
            ]
    except (OSError, RuntimeError):  # no processes to be had (BrokenProcessPool is a RuntimeError)
        return [work(item) for item in items]
    finally:
        _FORKED_JOB = None
    return [result for part in parts for result in part]


CHUNKS_PER_WORKER = 16  # a worker holds at most 3 chunks this process cannot take back


def _chunk_bounds(n_items: int, n_chunks: int) -> list[tuple[int, int]]:
    cuts = [n_items * i // n_chunks for i in range(n_chunks + 1)]
    return [(start, stop) for start, stop in itertools.pairwise(cuts) if stop > start]


def _work_chunk(bounds: tuple[int, int]) -> list[Any]:
    """The job's items from `start` to `stop` (in a forked worker: the job it inherited)."""
    assert _FORKED_JOB is not None, "only called while map_forked runs"
    work, items = _FORKED_JOB
    start, stop = bounds
    return [work(item) for item in items[start:stop]]


class _CollectorPause:
    """Python's cyclic garbage collector paused while any bulk read is under way.

    Reading thousands of runs makes few reference cycles but many objects that live on, and every
    full collection walks them all again: ~15% of a 5,000-run load. Reference counting still frees
    everything else at once. The last read to end turns it back on, unless it was off already.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reads = 0
        self._was_enabled = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            self._reads += 1
            if self._reads == 1:
                self._was_enabled = gc.isenabled()
                gc.disable()
        try:
            yield
        finally:
            with self._lock:
                self._reads -= 1
                if self._reads == 0 and self._was_enabled:
                    gc.enable()


collector_paused = _CollectorPause()


def _fork_workers(n_files: int) -> int:
    """How many processes share `n_files` (this one and forked workers); 1 means this one alone.

    Spawned workers lose to their start-up (benchmarks/bench_wandb_folder.py); forked ones start
    in ~10 ms. Forking is safe only from a single-threaded process, so the app server (threads)
    and other systems than Linux read in-process.
    """
    if n_files < PARALLEL_MIN_FILES or sys.platform != "linux" or threading.active_count() > 1:
        return 1
    return min(len(os.sched_getaffinity(0)), MAX_WORKERS)


def _parse_batch(paths: Sequence[Path]) -> list[Parsed]:
    return [read_and_parse(p) for p in paths]


def _parse_file(path: Path) -> RunLog | SourceError:
    _, outcome, _ = read_and_parse(path)
    if outcome is None:
        return SourceError(f"cannot read {path.name}: {os.strerror(errno.ENOENT)}")
    return outcome


def read_and_parse(path: Path, lstat_mode: int | None = None) -> Parsed:
    """One file read and parsed: its cache key (from the opened file), the outcome (None: no such
    file), and about the memory the parse holds. `lstat_mode` as `read_log_bytes` takes it."""
    key, data = read_log_bytes(path, lstat_mode)
    if not isinstance(data, bytes):
        return None, data, 0
    try:
        log = parse_run_log(data)
    except SourceError as error:
        return None, error, 0
    except Exception as error:  # a file no rule foresaw: that run is listed, the others load
        return None, SourceError(f"{path.name} could not be read: an unexpected {type(error).__name__}"), 0
    return key, log, run_log_bytes(log)


def read_log_bytes(
    path: Path, lstat_mode: int | None = None
) -> tuple[tuple[str, int, int] | None, bytes | SourceError | None]:
    """A run log's cache key and bytes, or why it cannot be read (None: there is no such file).

    Only a regular file is opened (a pipe would block, a device never end), and it is opened
    non-blocking and checked again once open, in case it was swapped in between. `lstat_mode`,
    when a check just looked the path up, saves looking again if it was a regular file."""
    if lstat_mode is not None and stat.S_ISREG(lstat_mode):
        mode = lstat_mode  # not a link, so what `stat` would say
    else:
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            return None, None
        except OSError as error:
            return None, SourceError(f"cannot read {path.name}: {error.strerror or error}")
    why = not_regular_reason(mode)
    if why is not None:
        return None, SourceError(f"{path.name} is {why}")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        try:
            opened = os.fstat(fd)
            why = not_regular_reason(opened.st_mode)
            if why is not None:
                return None, SourceError(f"{path.name} is {why}")
            return file_key(path, opened), _read_all(fd, opened.st_size)
        finally:
            os.close(fd)
    except OSError as error:
        return None, SourceError(f"cannot read {path.name}: {error.strerror or error}")


_ONE_READ = 0x7FFFF000  # the most Linux reads in one call


def _read_all(fd: int, size: int) -> bytes:
    """The file's bytes to its end: one read when it did not grow since its size was taken."""
    first = os.read(fd, min(size + 1, _ONE_READ))
    if len(first) <= size and size < _ONE_READ:
        return first  # a short read of a regular file is its end
    chunks = [first]
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)
