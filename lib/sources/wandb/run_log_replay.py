"""W&B run-log records replayed into one `RunLog`: the run's names, config, summary and exit.

Config and summary are replayed into trees whose leaves stay JSON text until the end: most keys
are overwritten at every logged step, so only the last value of each is ever decoded. Records of
kinds the replay has no use for (history, stats, telemetry, output, ...: most of a file) are known
by their field number and never decoded. A record protobuf cannot parse ends the replay; what came
before is kept and `RunLog.problem` says why.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lib.sources import limits
from lib.sources.safe_load import MAX_DEPTH, MAX_VALUE_BYTES, load_json
from lib.sources.wandb.run_log_frames import read_payloads, read_payloads_except
from lib.sources.wandb.run_log_proto import (
    SUMMARY_FIELD,
    record_class,
    record_field,
    unread_kind_tags,
    unreplayed_fields,
)


@dataclass(frozen=True)
class RunLog:
    """What one `.wandb` file says about its run (plain data; `config`/`summary` are nested dicts,
    `config` without W&B's own `_wandb` block).

    Shared with the parse cache: treat `config` and `summary` as read-only.
    `exit_code` is None when the file has no exit record: the run crashed, was killed, or is still
    running. `run_id` is None when no `run` record was read (a header-only file of a run killed in
    its first seconds, or a file damaged before the run record).
    """

    run_id: str | None = None
    project: str | None = None
    name: str | None = None
    group: str | None = None
    job_type: str | None = None
    tags: tuple[str, ...] = ()
    sweep_id: str | None = None
    start_time: float | None = None  # seconds since the epoch (UTC)
    resumed: bool = False
    config: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    exit_code: int | None = None
    exit_runtime: float | None = None  # seconds, from the exit record
    record_count: int = 0
    problem: str | None = None  # why reading stopped before the end, if it did

    @property
    def has_run_record(self) -> bool:
        return self.run_id is not None


def parse_run_log(data: bytes) -> RunLog:
    """Replay the records of a `.wandb` file's bytes into one `RunLog`.

    Config is the run record's `config.update[]`, then later `config` records in order (a
    top-level key is replaced, not merged). The summary is the replay of `summary` records in order;
    history rows are never applied to it. Raises `SourceError` for bytes that are not a run log.
    """
    record_type = record_class()
    unreplayed, unread_tags = _unreplayed(record_type)
    payloads, record_count, problem = read_payloads_except(data, unread_tags)
    from_string = record_type.FromString
    replay = _Replay()
    summaries = _SummaryBatch(replay.summary, from_string, replay.too_deep)
    for index, payload in enumerate(payloads):
        field = record_field(payload)
        if field in unreplayed:
            continue  # never applied: not worth decoding
        if field == SUMMARY_FIELD:
            summaries.add(index, payload)
            continue
        try:
            record = from_string(payload)
        except Exception:  # protobuf's DecodeError: the payload passed its CRC yet does not parse
            problem = _undecodable(data, payloads, index)
            break
        kind = record.WhichOneof("record_type")
        if kind == "summary":
            summaries.add(index, payload)
        elif kind != "history":
            replay.apply(kind, record)
    damaged_at = summaries.flush()
    if damaged_at is not None and (problem is None or "cannot be decoded" not in problem):
        problem = _undecodable(data, payloads, damaged_at)
    return replay.result(record_count=record_count, problem=problem)


_UNREPLAYED: dict[type[Any], tuple[frozenset[int], frozenset[int]]] = {}


def _unreplayed(record: type[Any]) -> tuple[frozenset[int], frozenset[int]]:
    """The kinds of record never replayed, and their tags as the framing steps over them."""
    if record not in _UNREPLAYED:
        fields = unreplayed_fields(record)
        _UNREPLAYED[record] = fields, unread_kind_tags(fields)
    return _UNREPLAYED[record]


def _undecodable(data: bytes, read: list[bytes], index: int) -> str:
    return f"record {_record_number(data, read, index)} cannot be decoded: the file is damaged from there on"


def _record_number(data: bytes, read: list[bytes], index: int) -> int:
    """Where `read[index]` is among all the file's records (from 1), the ones stepped over counted:
    `read` is an in-order subsequence of them. Only for a message, so the file is split again."""
    every, _ = read_payloads(data)
    matched = 0
    for number, payload in enumerate(every, start=1):
        if matched < len(read) and payload == read[matched]:
            if matched == index:
                return number
            matched += 1
    return index + 1


class _SummaryBatch:
    """Summary records decoded together: protobuf merges concatenated messages field by field and
    appends repeated fields, so one decode of the joined records yields their updates in order."""

    def __init__(self, tree: dict[str, Any], from_string: Any, too_deep: list[str]) -> None:
        self.tree, self.from_string, self.too_deep = tree, from_string, too_deep
        self.payloads: list[bytes] = []
        self.indexes: list[int] = []

    def add(self, index: int, payload: bytes) -> None:
        self.payloads.append(payload)
        self.indexes.append(index)

    def flush(self) -> int | None:
        """Apply every summary record; the index of the first undecodable one, if any."""
        try:
            _apply_changes(self.tree, self.from_string(b"".join(self.payloads)).summary, self.too_deep)
            return None
        except Exception:  # a damaged record: apply one by one up to it
            pass
        for index, payload in zip(self.indexes, self.payloads, strict=True):
            try:
                record = self.from_string(payload)
            except Exception:
                return index
            _apply_changes(self.tree, record.summary, self.too_deep)
        return None


class _Replay:
    def __init__(self) -> None:
        self.run: dict[str, Any] = {}
        self.config: dict[str, Any] = {}
        self.summary: dict[str, Any] = {}
        self.exit_code: int | None = None
        self.exit_runtime: float | None = None
        self.too_deep: list[str] = []  # keys nested past the depth budget, left out

    def apply(self, kind: str | None, record: Any) -> None:
        if kind == "run":
            self._apply_run(record.run)
        elif kind == "config":
            _apply_changes(self.config, record.config, self.too_deep)
        elif kind == "exit":
            self.exit_code = int(record.exit.exit_code)
            self.exit_runtime = float(record.exit.runtime) if record.exit.runtime else None

    def _apply_run(self, run: Any) -> None:
        """The first run record starts the run; later ones (a rename, new tags) update it."""
        fields = {
            "run_id": run.run_id,
            "project": run.project,
            "name": run.display_name,
            "group": run.run_group,
            "job_type": run.job_type,
            "sweep_id": run.sweep_id,
            "tags": tuple(run.tags),
        }
        self.run.update({k: v for k, v in fields.items() if v})
        if "start_time" not in self.run and run.HasField("start_time"):
            self.run["start_time"] = run.start_time.seconds + run.start_time.nanos / 1e9
        self.run["resumed"] = self.run.get("resumed", False) or bool(run.resume)
        _apply_changes(self.config, run.config, self.too_deep)

    def result(self, *, record_count: int, problem: str | None) -> RunLog:
        self.config.pop("_wandb", None)  # W&B's bookkeeping (telemetry, machine details)
        bad: list[str] = []
        too_big: list[str] = []
        config = _decoded(self.config, "", bad, too_big)
        summary = _decoded(self.summary, "", bad, too_big)
        if bad and problem is None:
            problem = f"values that are not JSON were left out: {', '.join(bad[:5])}"
        if too_big and problem is None:
            limit = f"{MAX_VALUE_BYTES // 2**20} MB"
            problem = f"values over {limit} were left out: {', '.join(too_big[:5])}"
        if self.too_deep and problem is None:
            problem = (
                f"keys nested more than {MAX_DEPTH} levels deep were left out ({limits.DEPTH.how_to_raise}): "
                + ", ".join(self.too_deep[:3])
            )
        return RunLog(
            **self.run,
            config=config,
            summary=summary,
            exit_code=self.exit_code,
            exit_runtime=self.exit_runtime,
            record_count=record_count,
            problem=problem,
        )


def _apply_changes(tree: dict[str, Any], changes: Any, too_deep: list[str]) -> None:
    """A config or summary record: its updates, then its removes, as W&B applies them.

    Each item names its key as `nested_key` (a path) or `key` (top level). A path deeper than the
    nesting budget is left out (named in `too_deep`): every later walk of the tree stays shallow.
    """
    for update in changes.update:
        nested = update.nested_key
        depth = len(nested)
        if depth == 1:  # the common case, kept cheap: this runs for every logged value
            tree[nested[0]] = update.value_json
        elif depth > MAX_DEPTH:
            too_deep.append(".".join(nested[:3]) + "...")
        elif depth == 2 and type(child := tree.get(nested[0])) is dict:  # `_wandb.runtime` each step
            child[nested[1]] = update.value_json
        elif nested:
            _set_path(tree, tuple(nested), update.value_json)
        else:
            tree[update.key] = update.value_json
    if changes.remove:
        for remove in changes.remove:
            _remove_path(tree, tuple(remove.nested_key) or (remove.key,))


def _set_path(tree: dict[str, Any], path: tuple[str, ...], value_json: str) -> None:
    node = tree
    for key in path[:-1]:
        node = _subtree(node, key)
    node[path[-1]] = value_json


def _remove_path(tree: dict[str, Any], path: tuple[str, ...]) -> None:
    node = tree
    for key in path[:-1]:
        if key not in node:
            return
        node = _subtree(node, key)
    node.pop(path[-1], None)


def _subtree(node: dict[str, Any], key: str) -> dict[str, Any]:
    """`node[key]` as a subtree: a dict set whole as JSON becomes one, anything else is replaced."""
    child = node.get(key)
    if isinstance(child, str):
        try:
            child = _as_tree(load_json(child, "a logged value"))
        except ValueError:
            child = None
    if not isinstance(child, dict):
        child = {}
    node[key] = child
    return child


def _as_tree(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _as_tree(v) for k, v in value.items()}
    return json.dumps(value)


def _decoded(tree: dict[str, Any], prefix: str, bad: list[str], too_big: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out[key] = _decoded(value, f"{prefix}{key}.", bad, too_big)
            continue
        if len(value) > MAX_VALUE_BYTES:
            too_big.append(f"{prefix}{key}")
            continue
        try:
            # NaN and Infinity are accepted; short text cannot nest past the budget: no checks needed
            out[key] = _short_json(value) if len(value) <= _SHORT_JSON else load_json(value, "a value")
        except ValueError:  # OverBudget too
            bad.append(f"{prefix}{key}")
    return out


_SHORT_JSON = 200  # two characters per level of nesting: within safe_load.MAX_DEPTH
# json.loads' own C scanner, without its wrappers
_SCAN_ONE_VALUE: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _short_json(text: str) -> Any:
    """`json.loads(text)`: the scanner alone when it reads the whole text (the usual case, half
    the cost), else `json.loads` itself (spaces around the value, a BOM, an error to raise)."""
    try:
        value, end = _SCAN_ONE_VALUE(text, 0)
    except StopIteration:
        return json.loads(text)
    return value if end == len(text) else json.loads(text)
