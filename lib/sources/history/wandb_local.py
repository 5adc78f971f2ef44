"""A metric's history from a local `wandb/` folder: the history records of the runs' `.wandb`
files (or the rows of their `files/wandb-history.jsonl`), on a step key.

Every file is parsed once into all the numbers it logged (`wandb_local_files.FileHistory`), cached
by (path, size, mtime): choosing another metric or step key reads nothing again. A row counts when
it logs the metric as a finite number and the step key as a finite number. A resumed run's files
are read oldest first and a step logged again wins over the earlier one (W&B continues a resumed
run from its last step), and so within a file. A run's `.wandb` files are used when they hold any
history; its jsonl files only when they do not, since an online run folder holds both with the same
rows. Many uncached files are parsed by forked workers when that is safe, as the load does.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from lib.histories import RUN_ID, STEP, VALUE, LocalRuns, MetricHistory, RunLogFiles, empty_history
from lib.sources import limits
from lib.sources.errors import SourceError
from lib.sources.history.errors import HistoryUnavailable
from lib.sources.history.wandb_local_files import STEP_KEY, FileHistory, read_file_history
from lib.sources.run_cache import BoundedCache

# Parsing this many uncached files pays for forking workers (each parse costs ~0.5 ms).
PARALLEL_MIN_FILES = 400
MAX_WORKERS = 4
MAX_NOTES = 10

CACHE_MAX_ENTRIES = 50_000
CACHE_MAX_BYTES = 256 * 1024 * 1024

# Parsed files by (path, size, mtime_ns): what a file logged, for any metric and step key.
HISTORY_CACHE = BoundedCache(CACHE_MAX_ENTRIES, max_bytes=CACHE_MAX_BYTES)


@dataclass(frozen=True)
class Unreadable:
    """A file that could not be read at all, and why (in words)."""

    reason: str


Parsed = FileHistory | Unreadable


def read_local_history(source: LocalRuns, metric: str, *, step_key: str = STEP_KEY) -> MetricHistory:
    """The logged rows of `metric` on the `step_key` axis for every run of `source`.

    Runs with no row holding both go to `without_history`; `notes` say which files could not be
    read (or only in part) and how many logged values were left out, and why. Raises
    `HistoryUnavailable` when none of the files can be read (the folder moved or was deleted).
    """
    runs = _by_run_id(source.runs)
    if not runs:
        return empty_history(metric, step_key)
    logs = read_files([path for files in runs.values() for path in files.logs])
    jsonl_runs = [files for files in runs.values() if not any(_has_rows(logs[p]) for p in files.logs)]
    jsonl = read_files([path for files in jsonl_runs for path in files.jsonl])
    used = {files.run_id: [*files.logs] for files in runs.values()}
    for files in jsonl_runs:
        used[files.run_id] = [*files.logs, *files.jsonl]
    parsed = {**logs, **jsonl}
    _refuse_if_nothing_read(parsed)
    join = _Join(metric, step_key)
    for run_id, paths in used.items():
        join.add_run(run_id, [h for h in (parsed[p] for p in paths) if isinstance(h, FileHistory)])
    frame = join.frame()
    kept = set(frame[RUN_ID].unique())
    without = [run_id for run_id in runs if run_id not in kept]
    notes = [*_file_notes(parsed, used), *join.notes()]
    return MetricHistory(metric, step_key, frame, without_history=without, notes=_capped(notes))


def _by_run_id(runs: Iterable[RunLogFiles]) -> dict[str, RunLogFiles]:
    """One entry per run id, sorted by it (the frame's order); files of a repeated id joined in order."""
    merged: dict[str, RunLogFiles] = {}
    for files in runs:
        before = merged.get(files.run_id)
        if before is not None:
            files = RunLogFiles(files.run_id, (*before.logs, *files.logs), (*before.jsonl, *files.jsonl))
        merged[files.run_id] = files
    return {run_id: merged[run_id] for run_id in sorted(merged)}


def _has_rows(parsed: Parsed) -> bool:
    return isinstance(parsed, FileHistory) and parsed.n_rows > 0


def _refuse_if_nothing_read(parsed: dict[str, Parsed]) -> None:
    reasons = [p.reason for p in parsed.values() if isinstance(p, Unreadable)]
    if parsed and len(reasons) == len(parsed):
        raise HistoryUnavailable(
            f"None of the {len(parsed):,} run files holding the history could be read ({reasons[0]}). "
            "If the wandb/ folder moved or was deleted, load it again from where it is now."
        )


# ---------------------------------------------------------------- reading files (cached)


def read_files(paths: Sequence[str]) -> dict[str, Parsed]:
    """Each path's parse: from the cache when its size and mtime are unchanged, else read (by
    forked workers when there are many and it is safe)."""
    results: dict[str, Parsed] = {}
    keys: dict[str, tuple[str, int, int]] = {}
    for path in dict.fromkeys(paths):
        try:
            stat = os.stat(path)
        except OSError as error:
            results[path] = Unreadable(_os_reason(error))
            continue
        keys[path] = (path, stat.st_size, stat.st_mtime_ns)  # as run_log.file_key
        cached = HISTORY_CACHE.get(keys[path])
        if cached is not None:
            results[path] = cached
    todo = [p for p in keys if p not in results]
    for path, outcome in zip(todo, _parse_files(todo), strict=True):
        results[path] = outcome
        if isinstance(outcome, FileHistory):
            HISTORY_CACHE.put(keys[path], outcome, outcome.nbytes)
    return results


def _parse_files(paths: Sequence[str]) -> list[Parsed]:
    workers = _fork_workers(len(paths))
    if workers < 2:
        return parse_batch(paths)
    batches = [paths[i::workers] for i in range(workers)]
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            parts = list(pool.map(parse_batch, batches))
    except (OSError, RuntimeError):  # no processes to be had (BrokenProcessPool is a RuntimeError)
        return parse_batch(paths)
    results: list[Parsed] = [Unreadable("not parsed")] * len(paths)
    for offset, part in enumerate(parts):
        results[offset::workers] = part
    return results


def _fork_workers(n_files: int) -> int:
    """How many forked workers to parse `n_files` with; 1 means parse in this process.

    As for the load (`lib.sources.wandb.run_log._fork_workers`): forking is safe only from a
    single-threaded process on Linux, so the app server (threads) parses in-process.
    """
    if n_files < PARALLEL_MIN_FILES or sys.platform != "linux" or threading.active_count() > 1:
        return 1
    return min(len(os.sched_getaffinity(0)), MAX_WORKERS)


def parse_batch(paths: Sequence[str]) -> list[Parsed]:
    return [parse_file(p) for p in paths]


def parse_file(path: str) -> Parsed:
    """One file's history, or why it cannot be read."""
    try:
        return read_file_history(Path(path))
    except SourceError as error:  # not a run log; a pipe, a device, a symlink loop
        return Unreadable(str(error).rstrip("."))
    except OSError as error:
        return Unreadable(_os_reason(error))


def _os_reason(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "the file is no longer there"
    return f"the file cannot be read ({error.strerror or type(error).__name__})"


# ---------------------------------------------------------------- one metric on one step key


@dataclass
class _Join:
    """Each run's rows of `metric` joined with `step_key`, then one frame; counts what was left out."""

    metric: str
    step_key: str
    run_ids: list[str] = field(default_factory=list)
    steps: list[np.ndarray] = field(default_factory=list)
    values: list[np.ndarray] = field(default_factory=list)
    without_step: list[int] = field(default_factory=lambda: [0, 0])  # values, runs
    not_finite: list[int] = field(default_factory=lambda: [0, 0])
    restarted: int = 0  # resumed files whose _step began again at 0

    def add_run(self, run_id: str, files: Sequence[FileHistory]) -> None:
        no_step = bad = 0
        last_step: float | None = None
        for history in files:
            steps, values, n_no_step, n_bad = self._joined(history)
            no_step, bad = no_step + n_no_step, bad + n_bad
            if self.step_key == STEP_KEY and last_step is not None and len(steps) and steps[0] == 0:
                # an offline resume restarts W&B's own counter at 0: its rows continue the run
                steps = steps + last_step + 1
                self.restarted += 1
            if len(steps):
                last_step = float(steps.max()) if last_step is None else max(last_step, float(steps.max()))
            if len(values):
                self.run_ids.append(run_id)
                self.steps.append(steps)
                self.values.append(values)
        _count(self.without_step, no_step)
        _count(self.not_finite, bad)

    def _joined(self, history: FileHistory) -> tuple[np.ndarray, np.ndarray, int, int]:
        """The (step, value) rows of one file, how many values had no step, how many not finite."""
        rows, values = history.column(self.metric)
        if not len(rows):
            return _EMPTY, _EMPTY, 0, 0
        n_bad = 0
        if not (finite := np.isfinite(values)).all():
            n_bad = int(len(values) - finite.sum())
            rows, values = rows[finite], values[finite]
        step_rows, steps = history.column(self.step_key)
        if not (usable := np.isfinite(steps)).all():
            step_rows, steps = step_rows[usable], steps[usable]
        if len(step_rows) == len(rows) and np.array_equal(step_rows, rows):
            return steps, values, 0, n_bad  # every row logs both: the common case
        at = np.minimum(np.searchsorted(step_rows, rows), max(len(step_rows) - 1, 0))
        found = step_rows[at] == rows if len(step_rows) else np.zeros(len(rows), dtype=bool)
        return steps[at[found]], values[found], int(len(rows) - found.sum()), n_bad

    def frame(self) -> pd.DataFrame:
        if not self.values:
            return empty_history(self.metric, self.step_key).frame
        lengths = [len(v) for v in self.values]
        run_of = np.repeat(np.arange(len(lengths)), lengths)  # pieces are in run-id order
        steps, values = np.concatenate(self.steps), np.concatenate(self.values)
        codes = _run_codes(self.run_ids)
        order = np.lexsort((np.arange(len(steps)), steps, codes[run_of]))  # by run, step, log order
        steps, values, run_of = steps[order], values[order], run_of[order]
        runs = codes[run_of]
        last = np.append((runs[1:] != runs[:-1]) | (steps[1:] != steps[:-1]), True)  # of a step
        ids = np.asarray(self.run_ids, dtype=object)[run_of[last]]
        return pd.DataFrame({RUN_ID: ids, STEP: steps[last], VALUE: values[last]})

    def notes(self) -> list[str]:
        notes = []
        if self.restarted:
            notes.append(
                f"{_plural(self.restarted, 'resumed run file')} counted {STEP_KEY} again from 0 (an offline "
                "resume): its rows are placed after the earlier file's last step."
            )
        (n_values, n_runs), (n_bad, n_bad_runs) = self.without_step, self.not_finite
        if n_values:
            notes.append(
                f"{_plural(n_values, 'logged value')} of {self.metric} in {_plural(n_runs, 'run')} "
                f"left out: logged in rows without {self.step_key}, so they have no place on that axis."
            )
        if n_bad:
            notes.append(
                f"{_plural(n_bad, 'value')} of {self.metric} in {_plural(n_bad_runs, 'run')} left out: "
                "NaN or infinite (a diverged run logs these)."
            )
        return notes


_EMPTY = np.zeros(0)


def _run_codes(run_ids: list[str]) -> np.ndarray:
    """Per piece, its run's position in run-id order (pieces of one run are adjacent)."""
    new_run = np.ones(len(run_ids), dtype=bool)
    new_run[1:] = np.asarray(run_ids[1:], dtype=object) != np.asarray(run_ids[:-1], dtype=object)
    return np.cumsum(new_run) - 1


def _count(counter: list[int], n: int) -> None:
    if n:
        counter[0] += n
        counter[1] += 1


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


# ---------------------------------------------------------------- notes


def _file_notes(parsed: dict[str, Parsed], used: dict[str, list[str]]) -> list[str]:
    notes = []
    for path in (p for paths in used.values() for p in paths):
        outcome = parsed[path]
        if isinstance(outcome, Unreadable):
            notes.append(f"{_label(path)}: {outcome.reason}; its history is left out.")
            continue
        if outcome.problem:
            notes.append(f"{_label(path)}: {outcome.problem}; its history is read up to there.")
        if outcome.cut:
            notes.append(
                f"{_label(path)}: only the first {outcome.cut:,} logged numbers are read "
                f"({limits.HISTORY_VALUES.how_to_raise})."
            )
    return notes


def _label(path: str) -> str:
    """The file named from its run folder: `run-<time>-<id>/run-<id>.wandb`."""
    file = Path(path)
    folder = file.parent.parent if file.parent.name == "files" else file.parent
    return file.relative_to(folder.parent).as_posix() if folder.name else file.name


def _capped(notes: list[str]) -> list[str]:
    if len(notes) <= MAX_NOTES:
        return notes
    return [*notes[:MAX_NOTES], f"... and {len(notes) - MAX_NOTES} more notes like these about single files."]
