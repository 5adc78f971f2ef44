"""Reading `run-<id>.wandb` files: the entry point, the parse cache, and forked workers for many files.

One file's bytes are split into records by `run_log_frames`, decoded with `run_log_proto`'s
`Record` class and replayed into a `RunLog` by `run_log_replay`. This module imports neither pandas
nor the wandb package.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from lib.sources.errors import SourceError
from lib.sources.reading import UNGUARDED, Reading, regular_file_refusal
from lib.sources.run_cache import BoundedCache
from lib.sources.safe_load import approx_bytes
from lib.sources.wandb.run_log_proto import record_class
from lib.sources.wandb.run_log_replay import RunLog, parse_run_log

# The reader's public face; `record_class` is re-exported for warming it up (benchmarks).
__all__ = [
    "RUN_LOG_CACHE",
    "RunLog",
    "file_key",
    "parse_run_log",
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
    keys: dict[int, tuple[str, int, int]] = {}
    for i, path in enumerate(paths):
        try:
            reading.check(path)
            keys[i] = file_key(path, path.stat())
        except FileNotFoundError:
            continue
        except SourceError as error:
            results[i] = error
            continue
        except OSError as error:
            results[i] = SourceError(f"cannot read {path.name}: {error.strerror or error}")
            continue
        results[i] = RUN_LOG_CACHE.get(keys[i]) if reading.cache else None
    todo = [i for i in keys if results[i] is None]
    for i, outcome in zip(todo, _parse_files([paths[i] for i in todo]), strict=True):
        results[i] = outcome
        if isinstance(outcome, RunLog) and reading.cache:
            RUN_LOG_CACHE.put(keys[i], outcome, run_log_bytes(outcome))
    return results


def run_log_bytes(log: RunLog) -> int:
    """About the memory a parsed log holds: its config and summary."""
    return approx_bytes(log.config) + approx_bytes(log.summary)


def read_run_log(path: Path) -> RunLog:
    """Parse one `.wandb` file (cached like `read_run_logs`); `SourceError` if it cannot be read."""
    (outcome,) = read_run_logs([path])
    if outcome is None:
        raise SourceError(f"{path.name} does not exist")
    if isinstance(outcome, SourceError):
        raise outcome
    return outcome


def _parse_files(paths: Sequence[Path]) -> list[RunLog | SourceError]:
    workers = _fork_workers(len(paths))
    if workers < 2:
        return _parse_batch(paths)
    batches = [paths[i::workers] for i in range(workers)]
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            parts = list(pool.map(_parse_batch, batches))
    except (OSError, RuntimeError):  # no processes to be had (BrokenProcessPool is a RuntimeError)
        return _parse_batch(paths)
    results: list[RunLog | SourceError] = [SourceError("not parsed")] * len(paths)
    for offset, part in enumerate(parts):
        results[offset::workers] = part
    return results


def _fork_workers(n_files: int) -> int:
    """How many forked workers to parse `n_files` with; 1 means parse in this process.

    Measured on 5,000 runs (benchmarks/bench_wandb_folder.py): 2 forked workers parse in 0.43 s
    what one process parses in 0.73 s, while spawned workers (0.83 s) lose to their start-up.
    Forking is safe only from a single-threaded process, so the app server (threads) and other
    systems than Linux parse in-process.
    """
    if n_files < PARALLEL_MIN_FILES or sys.platform != "linux" or threading.active_count() > 1:
        return 1
    return min(len(os.sched_getaffinity(0)), MAX_WORKERS)


def _parse_batch(paths: Sequence[Path]) -> list[RunLog | SourceError]:
    return [_parse_file(p) for p in paths]


def _parse_file(path: Path) -> RunLog | SourceError:
    refusal = regular_file_refusal(path, path.name)
    if refusal is not None:  # a pipe or a device would block or never end
        return SourceError(refusal)
    try:
        data = path.read_bytes()
    except OSError as error:
        return SourceError(f"cannot read {path.name}: {error.strerror or error}")
    try:
        return parse_run_log(data)
    except SourceError as error:
        return error
    except Exception as error:  # a file no rule foresaw: that run is listed, the others load
        return SourceError(f"{path.name} could not be read: an unexpected {type(error).__name__}")
