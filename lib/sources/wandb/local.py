"""Local `wandb/` folders into one `Sweep`: each run folder read, resumed runs merged into one row.

An online run folder (`run-<time>-<id>/`) holds `files/config.yaml` and `files/wandb-summary.json`
(and, unless it was committed to git without it, `run-<id>.wandb`); an offline one
(`offline-run-<time>-<id>/`) holds only `run-<id>.wandb`. The `.wandb` transaction log is read
first since only it knows name, group, tags, sweep and exit state; `files/` is the fallback
(`run_files`), and `logs/debug.log` the last resort for a run killed before W&B wrote any record
(`debug_log`). Which folders a path means is `folders`' job.

Run states: an exit record with code 0 is `finished`, another code `failed`; a `.wandb` without an
exit record is `crashed` (it may also be a run still in progress); a run known only from `files/`
is `unknown`.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from lib.histories import LocalRuns, NoHistory, RunLogFiles
from lib.sources.errors import SourceError
from lib.sources.reading import UNGUARDED, Reading
from lib.sources.safe_load import dropped_note, too_many_keys, without_oversized
from lib.sources.wandb import run_log
from lib.sources.wandb.debug_log import DEBUG_LOG, debug_log_config
from lib.sources.wandb.folders import RunFolder, find_run_folders
from lib.sources.wandb.run_files import ONLINE_FILES, read_online_files, summary_runtime
from lib.sources.wandb.run_log import RunLog
from lib.sweep import CRASHED, FAILED, FINISHED, UNKNOWN, RunRecord, Sweep, sweep_from_records

MAX_NOTES = 10
HISTORY_JSONL = "files/wandb-history.jsonl"  # online runs' logged rows, one JSON object a line

log_error = logging.getLogger("sweepscope")


@dataclass(frozen=True)
class FolderRead:
    """One folder's run, or why it could not be read (`record` None, `reason` set)."""

    folder: RunFolder
    record: RunRecord | None = None
    notes: tuple[str, ...] = ()
    reason: str | None = None
    has_log: bool = False  # read from its run-<id>.wandb (which then holds its history too)


# ---------------------------------------------------------------- entry point


def load_wandb_folder(
    path: Path, *, allowed_roots: Sequence[Path] | None = None, cache: bool = True
) -> Sweep:
    """Every run under a `wandb/` folder, the folder holding it, or a single run folder.

    A run resumed into a second folder is one run (later folders' config and summary values win,
    the state is the last folder's). Runs that cannot be read are listed in `Sweep.skipped`; a folder
    with no runs at all, or none readable, raises `SourceError`. With `allowed_roots`, a run folder
    or file that leads outside them (a symlink) is skipped unread; `cache=False` for a temporary
    folder keeps its parses out of the caches.

    `Sweep.history` names each run's `.wandb` and `files/wandb-history.jsonl` files, oldest first
    (nothing of the history is read here); a temporary folder, gone after the load, has none.
    """
    reading = Reading.within(allowed_roots, cache=cache)
    path = Path(path).expanduser()
    if not path.is_dir():
        raise SourceError(
            f"{str(path)!r} is not a folder: give a wandb/ folder, the project folder holding it, "
            "or one run folder."
        )
    with run_log.collector_paused():
        return _load(path, reading)


def _load(path: Path, reading: Reading) -> Sweep:
    found = find_run_folders(path, reading)
    if not found.folders and not found.refused:
        raise SourceError(
            f"No W&B runs in {str(path)!r}: expected a wandb/ folder holding run-<time>-<id>/ or "
            "offline-run-<time>-<id>/ folders, the folder that holds wandb/, or one such run folder."
        )
    reads = read_run_folders(found.folders, reading)
    records, skipped, notes = merge_runs(reads, found.sweep_of_run)
    skipped = [*found.refused, *skipped]
    if not records:
        reasons = "; ".join(f"{what}: {why}" for what, why in skipped[:3])
        raise SourceError(f"None of the {len(skipped)} runs in {str(path)!r} could be read ({reasons}).")
    sweep = sweep_from_records(
        records, source=f"wandb folder {_label(found.wandb_dir)} ({len(records)} runs)", skipped=skipped
    )
    history = history_files(reads, reading) if reading.cache else None
    return sweep.replace(notes=[*notes, *sweep.notes], history=history)


def history_files(reads: Iterable[FolderRead], reading: Reading = UNGUARDED) -> LocalRuns | NoHistory:
    """Per run id (resumed folders merged, in `merge_runs`' order), the files its history is in:
    the `.wandb` files the runs were read from, and `files/wandb-history.jsonl` where a folder was
    read without one (a jsonl repeats the rows of the `.wandb` beside it; offline runs write none).
    `NoHistory` when no run has either (a folder committed with `files/` only: summaries alone)."""
    folders: dict[str, list[FolderRead]] = {}
    for read in sorted(reads, key=_folder_order):
        if read.record is not None:
            folders.setdefault(read.record.run_id, []).append(read)
    runs = []
    for run_id, parts in folders.items():
        logs = tuple(_absolute(r.folder.log_path) for r in parts if r.has_log and r.folder.log_path)
        jsonl = tuple(
            p
            for r in parts
            if not r.has_log and _is_allowed_file(p := f"{_absolute(r.folder.path)}/{HISTORY_JSONL}", reading)
        )
        runs.append(RunLogFiles(run_id, logs, jsonl))
    return LocalRuns(tuple(runs)) if any(r.logs or r.jsonl for r in runs) else NoHistory(SUMMARIES_ONLY)


SUMMARIES_ONLY = (
    "its run folders hold their config and summary but no run-<id>.wandb or "
    "files/wandb-history.jsonl (often left out when a wandb/ folder is committed), so the logged "
    "steps are not there to choose best, a step or a mean"
)


def _absolute(path: Path) -> str:
    """As a string (5,000 runs' files are found in ~30 ms this way), and absolute: the history is
    read later, perhaps after the working folder changed."""
    text = str(path)
    return text if os.path.isabs(text) else os.path.abspath(text)


def _is_allowed_file(path: str, reading: Reading) -> bool:
    return os.path.isfile(path) and reading.allows(Path(path))


def _label(wandb_dir: Path) -> str:
    if wandb_dir.name == "wandb" and wandb_dir.parent.name:
        return f"{wandb_dir.parent.name}/wandb"
    return wandb_dir.name


# ---------------------------------------------------------------- reading one run folder


def read_run_folders(folders: Sequence[RunFolder], reading: Reading = UNGUARDED) -> list[FolderRead]:
    """Read every folder: its `.wandb` log (parses cached by size and mtime), then `files/` where the
    log does not do. Many folders to parse are read by forked workers (`run_log.map_forked`), each
    doing all of a folder's checks, reading and parsing.

    A folder that, or one of the files read from it, leads outside what `reading` allows is not
    read at all. Its `files/` and `logs/debug.log` are checked only when they are to be read: when
    the log is missing or has no run record.
    """
    real_parents: dict[str, str] = {}  # the wandb/ folder resolved once, not once per run folder
    looked_up = reading.cache and run_log.cache_holds_any()
    done = _from_cache(folders, reading, real_parents) if looked_up else {}
    todo = [f for f in folders if id(f) not in done]
    outcomes = run_log.map_forked(partial(_read_log_folder, reading, real_parents), todo)
    for folder, outcome in zip(todo, outcomes, strict=True):
        done[id(folder)] = _finish_read(folder, outcome, reading.cache)
    return [done[id(f)] for f in folders]


class _LogFolderRead(NamedTuple):
    """One folder as a worker read it, sent back without its paths (the parent has the folder)."""

    refusal: str | None = None
    key: tuple[str, int, int] | None = None  # the parse's cache key
    log: RunLog | SourceError | None = None
    nbytes: int = 0
    read: tuple[RunRecord | None, tuple[str, ...], str | None, bool] | None = None  # a FolderRead's


def _read_log_folder(reading: Reading, real_parents: dict[str, str], folder: RunFolder) -> _LogFolderRead:
    """The checks, and the run log read and parsed; the whole read when the log alone makes it."""
    modes = {} if folder.linked is None else {os.fspath(folder.path): _LISTED_MODE[folder.linked]}
    first_read = _log_file(folder) or _fallback_files(folder)
    refusal = reading.folder_refusal(folder.path, first_read, real_parents, modes)
    if refusal is not None or folder.log_path is None:
        return _LogFolderRead(refusal)
    key, log, nbytes = run_log.read_and_parse(folder.log_path, modes.get(os.fspath(folder.log_path)))
    if not isinstance(log, RunLog) or not log.has_run_record:
        refusal = reading.folder_refusal(folder.path, _fallback_files(folder), real_parents, modes)
        return _LogFolderRead(refusal, key, log, nbytes)  # files/ and logs/debug.log: read by the parent
    read = _read_folder(folder, log, reading.cache)
    return _LogFolderRead(None, key, log, nbytes, (read.record, read.notes, read.reason, read.has_log))


_LISTED_MODE: dict[bool, int | None] = {True: stat.S_IFLNK, False: stat.S_IFDIR}  # by RunFolder.linked


def _finish_read(folder: RunFolder, outcome: _LogFolderRead, cache: bool) -> FolderRead:
    if cache:
        run_log.keep_parse(outcome.key, outcome.log, outcome.nbytes)
    if outcome.refusal is not None:
        return FolderRead(folder, reason=outcome.refusal)
    if outcome.read is not None:
        return FolderRead(folder, *outcome.read)
    return _read_folder(folder, outcome.log, cache)


def _from_cache(
    folders: Sequence[RunFolder], reading: Reading, real_parents: dict[str, str]
) -> dict[int, FolderRead]:
    """Every folder checked, and read where that needs no parse: refused ones, and those whose log
    is cached or missing (by `id` of the folder)."""
    done: dict[int, FolderRead] = {}
    for folder in folders:
        if folder.log_path is None:
            continue  # the worker checks and reads it: nothing there to parse
        refusal = reading.folder_refusal(folder.path, _log_file(folder), real_parents)
        found, log = (False, None) if refusal else run_log.cached_run_log(folder.log_path)
        if found and not (isinstance(log, RunLog) and log.has_run_record):
            refusal = reading.folder_refusal(folder.path, _fallback_files(folder), real_parents)
        if refusal is not None:
            done[id(folder)] = FolderRead(folder, reason=refusal)
        elif found:
            done[id(folder)] = _read_folder(folder, log, reading.cache)
    return done


def _log_file(folder: RunFolder) -> list[str]:
    """The run log, read first (none for a folder without one)."""
    return [os.fspath(folder.log_path)] if folder.log_path else []


def _fallback_files(folder: RunFolder) -> list[str]:
    """The files read when the run log cannot tell the run: `files/`, then `logs/debug.log`."""
    base = os.fspath(folder.path)
    return [f"{base}{os.sep}{name}" for name in (*ONLINE_FILES, DEBUG_LOG)]


def _read_folder(folder: RunFolder, log: RunLog | SourceError | None, cache: bool) -> FolderRead:
    try:
        read = _read_folder_unchecked(folder, log, cache)
    except Exception as error:  # whatever one run's files hold, the other runs still load
        log_error.exception("Unexpected error while reading the run folder %s", folder.path.name)
        why = f"could not be read: an unexpected {type(error).__name__} (the server log has the details)"
        return FolderRead(folder, reason=why)
    too_big = too_many_keys(read.record.config, read.record.summary) if read.record else None
    return FolderRead(folder, reason=too_big) if too_big else read


def _read_folder_unchecked(folder: RunFolder, log: RunLog | SourceError | None, cache: bool) -> FolderRead:
    log_name = f"run-{folder.run_id}.wandb"
    if isinstance(log, RunLog) and log.has_run_record:
        return _from_run_log(folder, log)
    why_not_log = _why_log_unusable(log_name, log)
    online = read_online_files(folder, cache)
    if online is not None:
        record, reason = online  # with a record, the reason is a note on values left out
        if record is None:
            return FolderRead(folder, reason=reason)
        killed_early = why_not_log is not None and _looks_killed_early(log)
        state = CRASHED if killed_early else UNKNOWN
        notes = (f"{folder.path.name}: {why_not_log}; read from files/ instead.",) if why_not_log else ()
        return FolderRead(folder, replace(record, state=state), (*notes, *filter(None, [reason])))
    if log is None:
        return FolderRead(
            folder, reason="no run-<id>.wandb and no files/config.yaml or files/wandb-summary.json"
        )
    if _looks_killed_early(log):
        return _from_debug_log(folder, why_not_log or "no records")
    return FolderRead(folder, reason=why_not_log)


def _why_log_unusable(log_name: str, log: RunLog | SourceError | None) -> str | None:
    if log is None:
        return None
    if isinstance(log, SourceError):
        return f"{log_name}: {log}"
    if _looks_killed_early(log):
        return f"{log_name} holds no records (0 bytes or only its header): the run was killed early"
    return f"{log_name} has no run record ({log.problem or 'it was never written'})"


def _looks_killed_early(log: RunLog | SourceError | None) -> bool:
    """A 0-byte or header-only file: W&B had not flushed a single record yet."""
    return isinstance(log, RunLog) and log.record_count == 0 and log.problem is None


def _from_run_log(folder: RunFolder, log: RunLog) -> FolderRead:
    summary = log.summary
    record = RunRecord(
        run_id=log.run_id or folder.run_id or folder.path.name,
        config=log.config,
        summary=summary,
        name=log.name,
        state=_state(log.exit_code),
        sweep_id=log.sweep_id,
        group=log.group,
        tags=log.tags,
        created=datetime.fromtimestamp(log.start_time, UTC) if log.start_time else folder.started,
        runtime=log.exit_runtime or summary_runtime(summary),
    )
    return FolderRead(folder, record, _run_log_notes(folder, log), has_log=True)


def _run_log_notes(folder: RunFolder, log: RunLog) -> tuple[str, ...]:
    no_exit = "no exit record, so it counts as crashed (or it is still running)"
    if log.problem:
        ending = "" if log.exit_code is not None else f"; {no_exit}"
        loaded = f"loaded the {log.record_count} records before that"
        return (f"{folder.path.name}: {log.problem}; {loaded}{ending}.",)
    if log.exit_code is None:
        return (f"{folder.path.name}: {no_exit}.",)
    return ()


def _state(exit_code: int | None) -> str:
    if exit_code is None:
        return CRASHED  # or still running: the file cannot tell
    return FINISHED if exit_code == 0 else FAILED


def _from_debug_log(folder: RunFolder, why: str) -> FolderRead:
    """A run killed in its first seconds: config from `logs/debug.log`, id and time from the folder name."""
    dropped: list[str] = []
    config = without_oversized(debug_log_config(folder.path / DEBUG_LOG), dropped)
    if not config or folder.run_id is None:
        return FolderRead(folder, reason=f"{why}, and logs/debug.log does not hold its config either")
    record = RunRecord(run_id=folder.run_id, config=config, state=CRASHED, created=folder.started)
    note = f"{folder.path.name}: {why}; config recovered from logs/debug.log, no metrics."
    left_out = (dropped_note(f"{folder.path.name}/logs/debug.log", dropped),) if dropped else ()
    return FolderRead(folder, record, (note, *left_out))


# ---------------------------------------------------------------- one row per run id


def merge_runs(
    reads: Iterable[FolderRead], sweep_of_run: Mapping[str, str]
) -> tuple[list[RunRecord], list[tuple[str, str]], list[str]]:
    """Records (one per run id, resumed folders merged in time order), skipped folders, and notes."""
    by_id: dict[str, list[RunRecord]] = {}
    skipped: list[tuple[str, str]] = []
    notes: list[str] = []
    for read in sorted(reads, key=_folder_order):
        notes.extend(read.notes)
        if read.record is None:
            skipped.append((read.folder.path.name, read.reason or "unreadable"))
            continue
        by_id.setdefault(read.record.run_id, []).append(read.record)
    records = [_merge_parts(parts) for parts in by_id.values()]
    records = [
        r if r.sweep_id or r.run_id not in sweep_of_run else replace(r, sweep_id=sweep_of_run[r.run_id])
        for r in records
    ]
    return records, skipped, _capped(notes)


def _folder_order(read: FolderRead) -> tuple[str, str]:
    return (read.folder.stamp or "~", read.folder.path.name)  # "~" sorts after every digit


def _merge_parts(parts: list[RunRecord]) -> RunRecord:
    """A resumed run: later parts' config and summary keys win; state from the last part."""
    if len(parts) == 1:
        return parts[0]
    config: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    for part in parts:
        config.update(part.config)
        summary.update(part.summary)
    last = parts[-1]
    runtimes = [p.runtime for p in parts if p.runtime is not None]
    return RunRecord(
        run_id=last.run_id,
        config=config,
        summary=summary,
        name=_last_set(p.name for p in parts),
        state=last.state,
        sweep_id=_last_set(p.sweep_id for p in parts),
        group=_last_set(p.group for p in parts),
        tags=_last_set(p.tags for p in parts) or (),
        created=min((p.created for p in parts if p.created), default=None),
        runtime=max(runtimes) if runtimes else None,
    )


def _last_set(values: Iterable[Any]) -> Any:
    chosen = None
    for value in values:
        if value:
            chosen = value
    return chosen


def _capped(notes: list[str]) -> list[str]:
    if len(notes) <= MAX_NOTES:
        return notes
    return [
        *notes[:MAX_NOTES],
        f"... and {len(notes) - MAX_NOTES} more notes like these about single runs.",
    ]
