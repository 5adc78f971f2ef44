"""Local `wandb/` folders: online run folders, offline ones, or both, into one `Sweep`.

An online run folder (`run-<time>-<id>/`) holds `files/config.yaml` and `files/wandb-summary.json`
(and, unless it was committed to git without it, `run-<id>.wandb`); an offline one
(`offline-run-<time>-<id>/`) holds only `run-<id>.wandb`. The `.wandb` transaction log is read
first since only it knows name, group, tags, sweep and exit state; `files/` is the fallback, and
`logs/debug.log` the last resort for a run killed before W&B wrote any record.

Run states: an exit record with code 0 is `finished`, another code `failed`; a `.wandb` without an
exit record is `crashed` (it may also be a run still in progress); a run known only from `files/`
is `unknown`.
"""

from __future__ import annotations

import ast
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from lib.sources.errors import SourceError
from lib.sources.reading import LINK_OUTSIDE, UNGUARDED, Reading
from lib.sources.run_cache import BoundedCache
from lib.sources.safe_load import (
    approx_bytes,
    dropped_note,
    load_json,
    load_yaml,
    read_document,
    too_many_keys,
    without_oversized,
)
from lib.sources.wandb.run_log import RunLog, file_key, read_run_logs
from lib.sweep import CRASHED, FAILED, FINISHED, UNKNOWN, RunRecord, Sweep, sweep_from_records

RUN_FOLDER = re.compile(r"(?P<offline>offline-)?run-(?P<stamp>\d{8}_\d{6})-(?P<id>[^/\\]+)")
SWEEP_FOLDER = re.compile(r"sweep-(?P<id>[^/\\]+)")
SWEEP_RUN_CONFIG = re.compile(r"config-(?P<run>.+)\.yaml")
LATEST_RUN = "latest-run"
DEBUG_LOG_CONFIG_PREFIX = "config: "
DEBUG_LOG_SWEEP_MARKER = "wandb.init called with sweep_config: "
MAX_DEBUG_LOG_BYTES = 20_000_000
MAX_NOTES = 10

ONLINE_FILES = ("files/config.yaml", "files/wandb-summary.json", "files/wandb-metadata.json")
DEBUG_LOG = "logs/debug.log"
_ONLINE_CACHE = BoundedCache(5_000, max_bytes=128 * 1024 * 1024)


@dataclass(frozen=True)
class RunFolder:
    """One run folder on disk; `run_id` None for a `latest-run` copy whose id is not in its name."""

    path: Path
    run_id: str | None
    stamp: str | None = None  # YYYYMMDD_HHMMSS from the folder name
    log_path: Path | None = field(init=False)  # where its run-<id>.wandb would be

    def __post_init__(self) -> None:
        log_path = self.path / f"run-{self.run_id}.wandb" if self.run_id else None
        object.__setattr__(self, "log_path", log_path)

    @property
    def started(self) -> datetime | None:
        """The folder name's time, read as this machine's local time (W&B writes the local time of
        the machine that ran it)."""
        if self.stamp is None:
            return None
        try:
            return datetime.strptime(self.stamp, "%Y%m%d_%H%M%S").astimezone(UTC)
        except ValueError:
            return None


@dataclass(frozen=True)
class FolderRead:
    """One folder's run, or why it could not be read (`record` None, `reason` set)."""

    folder: RunFolder
    record: RunRecord | None = None
    notes: tuple[str, ...] = ()
    reason: str | None = None


@dataclass
class FoundRuns:
    """The run folders a path leads to, and which sweep each online sweep run belongs to."""

    wandb_dir: Path
    folders: list[RunFolder] = field(default_factory=list)
    sweep_of_run: dict[str, str] = field(default_factory=dict)
    refused: list[tuple[str, str]] = field(default_factory=list)  # folders `Reading` does not allow


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
    """
    reading = Reading.within(allowed_roots, cache=cache)
    path = Path(path).expanduser()
    if not path.is_dir():
        raise SourceError(
            f"{str(path)!r} is not a folder: give a wandb/ folder, the project folder holding it, "
            "or one run folder."
        )
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
    return sweep.replace(notes=[*notes, *sweep.notes])


def _label(wandb_dir: Path) -> str:
    if wandb_dir.name == "wandb" and wandb_dir.parent.name:
        return f"{wandb_dir.parent.name}/wandb"
    return wandb_dir.name


# ---------------------------------------------------------------- finding run folders


def find_run_folders(path: Path, reading: Reading = UNGUARDED) -> FoundRuns:
    """The run folders `path` means: itself if it is a run folder, else the runs in it or in its wandb/."""
    if RUN_FOLDER.fullmatch(path.name):
        return _single_run(path)
    found = _scan(path, reading)
    if not found.folders and (path / "wandb").is_dir():
        if not reading.allows(path / "wandb"):
            return FoundRuns(wandb_dir=path, refused=[("wandb", f"the folder is {LINK_OUTSIDE}")])
        found = _scan(path / "wandb", reading)
    if not found.folders and _looks_like_run_folder(path):
        return _single_run(path)  # a renamed run folder, or a latest-run copy given on its own
    return found


def _single_run(path: Path) -> FoundRuns:
    found = FoundRuns(wandb_dir=path)
    found.folders.append(_single_run_folder(path))
    found.sweep_of_run.update(_scan(path.parent, with_runs=False).sweep_of_run)
    return found


def _looks_like_run_folder(path: Path) -> bool:
    files = path / "files"
    return (
        (files / "config.yaml").is_file()
        or (files / "wandb-summary.json").is_file()
        or any(path.glob("run-*.wandb"))
    )


def _single_run_folder(path: Path) -> RunFolder:
    matched = RUN_FOLDER.fullmatch(path.name)
    if matched:
        return RunFolder(path, matched["id"], matched["stamp"])
    return RunFolder(path, _run_id_from_log_name(path))


def _scan(wandb_dir: Path, reading: Reading = UNGUARDED, *, with_runs: bool = True) -> FoundRuns:
    found = FoundRuns(wandb_dir=wandb_dir)
    latest_copy: Path | None = None
    try:
        with os.scandir(wandb_dir) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError:
        return found
    for entry in entries:
        if not entry.is_dir():
            continue
        run = RUN_FOLDER.fullmatch(entry.name)
        sweep = SWEEP_FOLDER.fullmatch(entry.name)
        if run and with_runs:
            found.folders.append(RunFolder(Path(entry.path), run["id"], run["stamp"]))
        elif sweep and not reading.allows(Path(entry.path)):
            found.refused.append((entry.name, f"the folder is {LINK_OUTSIDE}"))
        elif sweep:
            found.sweep_of_run.update(_sweep_members(Path(entry.path), sweep["id"]))
        elif entry.name == LATEST_RUN and with_runs and not entry.is_symlink():
            latest_copy = Path(entry.path)  # a real copy of one run (committed to git): count it once
    if latest_copy is not None:
        _add_latest_copy(found, latest_copy)
    return found


def _add_latest_copy(found: FoundRuns, latest: Path) -> None:
    """Keep a `latest-run` copy only when it is not a copy of a run folder that is also here."""
    run_id = _run_id_from_log_name(latest)
    known = {f.run_id for f in found.folders}
    if (run_id is None and not found.folders) or (run_id is not None and run_id not in known):
        found.folders.append(RunFolder(latest, run_id))


def _run_id_from_log_name(folder: Path) -> str | None:
    names = sorted(p.name for p in folder.glob("run-*.wandb"))
    return names[0][len("run-") : -len(".wandb")] if names else None


def _sweep_members(sweep_dir: Path, sweep_id: str) -> dict[str, str]:
    """`sweep-<id>/config-<run_id>.yaml`: the runs an online sweep agent started."""
    members = {}
    for name in os.listdir(sweep_dir):
        matched = SWEEP_RUN_CONFIG.fullmatch(name)
        if matched:
            members[matched["run"]] = sweep_id
    return members


# ---------------------------------------------------------------- reading one run folder


def read_run_folders(folders: Sequence[RunFolder], reading: Reading = UNGUARDED) -> list[FolderRead]:
    """Read every folder: the `.wandb` logs in one batch (cached), then `files/` where needed.

    A folder that, or one of whose files, leads outside what `reading` allows is not read at all.
    """
    refusals = [reading.folder_refusal(f.path, _files_read(f)) for f in folders]
    readable = [f for f, refusal in zip(folders, refusals, strict=True) if refusal is None]
    checked = Reading(None, reading.cache)  # the logs' paths were just checked with their folders
    logs = iter(read_run_logs([f.log_path for f in readable if f.log_path is not None], checked))
    reads = {id(f): _read_folder(f, next(logs) if f.log_path else None, reading.cache) for f in readable}
    return [
        reads[id(f)] if refusal is None else FolderRead(f, reason=refusal)
        for f, refusal in zip(folders, refusals, strict=True)
    ]


def _files_read(folder: RunFolder) -> list[Path]:
    """Every file the readers below may open in `folder`."""
    files = [folder.path / name for name in (*ONLINE_FILES, DEBUG_LOG)]
    return [folder.log_path, *files] if folder.log_path else files


def _read_folder(folder: RunFolder, log: RunLog | SourceError | None, cache: bool) -> FolderRead:
    read = _read_folder_unchecked(folder, log, cache)
    too_big = too_many_keys(read.record.config, read.record.summary) if read.record else None
    return FolderRead(folder, reason=too_big) if too_big else read


def _read_folder_unchecked(folder: RunFolder, log: RunLog | SourceError | None, cache: bool) -> FolderRead:
    log_name = f"run-{folder.run_id}.wandb"
    if isinstance(log, RunLog) and log.has_run_record:
        return _from_run_log(folder, log)
    why_not_log = _why_log_unusable(log_name, log)
    online = _read_online_files(folder, cache)
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
        runtime=log.exit_runtime or _summary_runtime(summary),
    )
    return FolderRead(folder, record, _run_log_notes(folder, log))


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


def _summary_runtime(summary: Mapping[str, Any]) -> float | None:
    wandb_block = summary.get("_wandb")
    for value in (
        summary.get("_runtime"),
        wandb_block.get("runtime") if isinstance(wandb_block, dict) else None,
    ):
        if type(value) in (int, float) and math.isfinite(value) and value > 0:  # bools are not runtimes
            return float(value)
    return None


# ---------------------------------------------------------------- online runs: files/


def _read_online_files(folder: RunFolder, cache: bool = True) -> tuple[RunRecord | None, str | None] | None:
    """The run from `files/` (None when there is neither config.yaml nor wandb-summary.json)."""
    paths = [folder.path / name for name in ONLINE_FILES]
    stats = []
    for p in paths:
        try:
            stats.append(file_key(p, p.stat()))
        except OSError:
            stats.append(None)
    if stats[0] is None and stats[1] is None:
        return None
    key = (str(folder.path), folder.run_id, *stats)
    cached = _ONLINE_CACHE.get(key) if cache else None
    if cached is None:
        cached = _parse_online_files(folder, *paths, present=[s is not None for s in stats])
        if cache:
            _ONLINE_CACHE.put(key, cached, _online_bytes(cached[0]))
    return cached


def _online_bytes(record: RunRecord | None) -> int:
    return approx_bytes(record.config) + approx_bytes(record.summary) if record else 0


def _parse_online_files(
    folder: RunFolder, config_path: Path, summary_path: Path, meta_path: Path, *, present: list[bool]
) -> tuple[RunRecord | None, str | None]:
    dropped: list[str] = []
    try:
        config = _unwrap_config(_load_yaml_mapping(config_path)) if present[0] else {}
        summary = _load_json_mapping(summary_path) if present[1] else {}
    except SourceError as error:
        return None, str(error)
    started = _metadata_start(meta_path) if present[2] else None
    record = RunRecord(
        run_id=folder.run_id or folder.path.name,
        config=without_oversized(config, dropped),
        summary=without_oversized(summary, dropped),
        created=started or folder.started,
        runtime=_summary_runtime(summary),
    )
    return record, dropped_note(f"{folder.path.name}/files", dropped) if dropped else None


def _load_yaml_mapping(path: Path) -> dict[str, Any]:
    try:
        data = load_yaml(read_document(path, what := f"files/{path.name}"), what)  # safe and budgeted
    except SourceError:
        raise
    except (OSError, yaml.YAMLError) as error:
        raise SourceError(f"files/{path.name} is not readable YAML ({_first_line(error)})") from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SourceError(
            f"files/{path.name} should map config keys to values, not hold a {type(data).__name__}"
        )
    return {str(k): v for k, v in data.items()}


def _load_json_mapping(path: Path) -> dict[str, Any]:
    try:
        data = load_json(read_document(path, what := f"files/{path.name}"), what)
    except SourceError:
        raise
    except (OSError, ValueError) as error:
        raise SourceError(f"files/{path.name} is not readable JSON ({_first_line(error)})") from error
    if not isinstance(data, dict):
        raise SourceError(
            f"files/{path.name} should map summary keys to values, not hold a {type(data).__name__}"
        )
    return data


def _unwrap_config(raw: Mapping[str, Any]) -> dict[str, Any]:
    """config.yaml wraps each key as `{value: ...}` (older clients add `desc`); unwrap, drop `_wandb`."""
    config = {}
    for key, item in raw.items():
        if key in ("_wandb", "wandb_version"):
            continue
        if isinstance(item, dict) and "value" in item and set(item) <= {"value", "desc"}:
            config[key] = item["value"]
        else:
            config[key] = item
    return config


def _metadata_start(path: Path) -> datetime | None:
    try:
        started = load_json(read_document(path, what := f"files/{path.name}"), what).get("startedAt")
        parsed = datetime.fromisoformat(str(started).replace("Z", "+00:00"))
    except (OSError, ValueError, AttributeError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


# ---------------------------------------------------------------- killed runs: logs/debug.log


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


def debug_log_config(path: Path) -> dict[str, Any]:
    """The config `wandb.init` logged (`config: {...}`, a Python dict repr), sweep values on top.

    Read as Python literals without evaluating anything; values that are not literals (objects,
    paths) are kept as their text. {} when the file or the line is missing or unreadable.
    """
    try:
        if path.stat().st_size > MAX_DEBUG_LOG_BYTES:
            return {}
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return {}
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith(DEBUG_LOG_CONFIG_PREFIX):
            config = _python_literal(lines[i][len(DEBUG_LOG_CONFIG_PREFIX) :])
            sweep = _sweep_values(lines[i - 1]) if i > 0 else {}
            if isinstance(config, dict):
                merged = {str(k): v for k, v in config.items() if str(k) != "_wandb"}
                return {**merged, **sweep}
            return sweep
    return {}


def _sweep_values(line: str) -> dict[str, Any]:
    at = line.find(DEBUG_LOG_SWEEP_MARKER)
    if at < 0:
        return {}
    values = _python_literal(line[at + len(DEBUG_LOG_SWEEP_MARKER) :])
    if not isinstance(values, dict):
        return {}
    return _unwrap_config({str(k): v for k, v in values.items()})


_FLOAT_NAMES = {"nan": math.nan, "inf": math.inf}


def _python_literal(text: str) -> Any:
    """A Python literal from its repr, with `nan`/`inf` and non-literal parts kept as text."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
        return _literal(tree.body, text.strip())
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _literal(node: ast.AST, text: str) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Dict):
        return {
            _hashable(_literal(k, text)): _literal(v, text)
            for k, v in zip(node.keys, node.values, strict=True)
            if k is not None
        }
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [_literal(e, text) for e in node.elts]
    if isinstance(node, ast.Name) and node.id in _FLOAT_NAMES:
        return _FLOAT_NAMES[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _literal(node.operand, text)
        if isinstance(operand, int | float) and not isinstance(operand, bool):
            return -operand if isinstance(node.op, ast.USub) else operand
    return ast.get_source_segment(text, node)


def _hashable(key: Any) -> Any:
    return key if isinstance(key, str | int | float | bool | type(None)) else str(key)


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
