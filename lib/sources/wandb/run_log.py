"""Reader of W&B's binary transaction log, `run-<id>.wandb`: the only record of an offline run.

The file is a 7-byte header (`:W&B`, uint16 magic 0xBEE1, uint8 version 0) followed by LevelDB log
framing: 32 KiB blocks of chunks `crc32 (uint32) | length (uint16) | type (uint8) | payload`, where
a block's last < 7 bytes are zero padding and a record larger than what is left of a block spans
FIRST, MIDDLE..., LAST chunks. Every reassembled payload is one protobuf `Record`.

Reading stops at the first thing that is wrong (a bad CRC, impossible framing, a record protobuf
cannot parse, the end of the file inside a record) and keeps what came before: a run killed
mid-write still shows its config and the metrics it had flushed. `RunLog.problem` says why reading
stopped early.

This module imports neither pandas nor the wandb package (see `record_class`).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import multiprocessing
import os
import re
import struct
import sys
import threading
import zlib
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lib.sources.errors import SourceError
from lib.sources.reading import UNGUARDED, Reading
from lib.sources.run_cache import BoundedCache
from lib.sources.safe_load import MAX_VALUE_BYTES, approx_bytes, load_json

# Parsing this many uncached files pays for forking workers (each parse costs ~0.15 ms).
PARALLEL_MIN_FILES = 1000
MAX_WORKERS = 4

HEADER = b":W&B" + struct.pack("<HB", 0xBEE1, 0)
BLOCK_SIZE = 32 * 1024
CHUNK_HEADER = struct.Struct("<IHB")  # crc, length, type
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4
_TYPE_CRC = {kind: zlib.crc32(bytes((kind,))) for kind in (FULL, FIRST, MIDDLE, LAST)}  # CRC seeds

CACHE_MAX_ENTRIES = 20_000
CACHE_MAX_BYTES = 256 * 1024 * 1024

_RECORD_CLASS: type | None = None
_RECORD_LOCK = threading.Lock()


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


# ---------------------------------------------------------------- the Record class


def record_class() -> type:
    """wandb's protobuf `Record` class, loaded without importing the wandb package when possible.

    `import wandb` costs 0.3 s and wraps sys.stdout/sys.stderr for good. The generated
    `wandb/proto/v<N>/*_pb2.py` modules only register serialized descriptors, so those bytes are
    read from the installed files (as literals, nothing is executed) into a private descriptor
    pool; anything unexpected falls back to the ordinary import.
    """
    global _RECORD_CLASS
    with _RECORD_LOCK:
        if _RECORD_CLASS is None:
            try:
                _RECORD_CLASS = _record_class_from_descriptors()
            except Exception:  # any surprise in wandb's layout: the ordinary import is always right
                _RECORD_CLASS = _record_class_from_wandb()
        return _RECORD_CLASS


def _record_class_from_wandb() -> type:
    try:
        from wandb.proto.wandb_internal_pb2 import Record
    except ImportError as error:
        raise SourceError(
            "Reading offline W&B runs (run-<id>.wandb files) needs the wandb package: "
            f"`pip install wandb` ({error})."
        ) from error
    return Record


_SERIALIZED_FILE = re.compile(rb"AddSerializedFile\((b'(?:[^'\\]|\\.)*')\)", re.DOTALL)
_WANDB_PROTO_FILES = ("wandb_base", "wandb_telemetry", "wandb_internal")


def _record_class_from_descriptors() -> type:
    import google.protobuf
    from google.protobuf import descriptor_pool, empty_pb2, message_factory, struct_pb2, timestamp_pb2

    spec = importlib.util.find_spec("wandb")  # locates the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("wandb is not installed")
    major = google.protobuf.__version__.split(".")[0]
    proto_dir = Path(next(iter(spec.submodule_search_locations))) / "proto" / f"v{major}"
    pool = descriptor_pool.DescriptorPool()
    for module in (empty_pb2, struct_pb2, timestamp_pb2):
        pool.AddSerializedFile(module.DESCRIPTOR.serialized_pb)
    for name in _WANDB_PROTO_FILES:
        source = (proto_dir / f"{name}_pb2.py").read_bytes()
        found = _SERIALIZED_FILE.search(source)
        if found is None:
            raise ImportError(f"no serialized descriptor in {name}_pb2.py")
        pool.AddSerializedFile(ast.literal_eval(found.group(1).decode("ascii")))
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("wandb_internal.Record"))


# ---------------------------------------------------------------- framing


def read_payloads(data: bytes) -> tuple[list[bytes], str | None]:
    """The record payloads of a whole file, and why reading stopped early (None if it did not).

    A file of 0 bytes or only (part of) its header has no payloads and no problem: that is what a
    run killed in its first seconds leaves. Raises `SourceError` for bytes that are not a run log.
    """
    if HEADER.startswith(data[: len(HEADER)]) and len(data) <= len(HEADER):
        return [], None
    if data[: len(HEADER)] != HEADER:
        raise SourceError("not a W&B run log: the file does not start with the ':W&B' header")
    payloads: list[bytes] = []
    problem = _split_chunks(data, len(HEADER), payloads)
    return payloads, problem


def _split_chunks(data: bytes, pos: int, payloads: list[bytes]) -> str | None:
    """Appends each reassembled payload to `payloads`; returns why it stopped early, if it did."""
    end = len(data)
    pending: list[bytes] | None = None  # chunks of a record split across blocks
    while pos < end:
        left_in_block = BLOCK_SIZE - pos % BLOCK_SIZE
        if left_in_block < CHUNK_HEADER.size:
            pos += left_in_block  # zero padding at the end of a block
            continue
        if end - pos < CHUNK_HEADER.size:
            return f"the file ends inside a chunk header at byte {pos} (cut while being written)"
        crc, length, kind = CHUNK_HEADER.unpack_from(data, pos)
        if length > left_in_block - CHUNK_HEADER.size or not FULL <= kind <= LAST:
            if not data[pos:].strip(b"\0"):
                return f"the file ends in zero bytes from byte {pos} (cut while being written)"
            return f"damaged framing at byte {pos} (chunk type {kind}, length {length})"
        start = pos + CHUNK_HEADER.size
        stop = start + length
        if stop > end:
            return f"the file ends inside a record at byte {pos} (cut while being written)"
        payload = data[start:stop]
        if zlib.crc32(payload, _TYPE_CRC[kind]) != crc:
            return f"checksum mismatch at byte {pos}: the file is damaged from there on"
        pos = stop
        if kind == FULL:
            if pending is not None:
                return f"a record split across blocks is never finished (at byte {pos})"
            payloads.append(payload)
        elif kind == FIRST:
            if pending is not None:
                return f"a record split across blocks is never finished (at byte {pos})"
            pending = [payload]
        elif pending is None:
            return f"damaged framing at byte {pos}: a continuation chunk without its start"
        else:
            pending.append(payload)
            if kind == LAST:
                payloads.append(b"".join(pending))
                pending = None
    if pending is not None:
        return "the file ends inside a record (cut while being written)"
    return None


# ---------------------------------------------------------------- replaying records
# Config and summary are replayed into trees whose leaves stay JSON text until the end: most keys
# are overwritten at every logged step, so only the last value of each is ever decoded.


def parse_run_log(data: bytes) -> RunLog:
    """Replay the records of a `.wandb` file's bytes into one `RunLog`.

    Config is the run record's `config.update[]`, then later `config` records in order (a
    top-level key is replaced, not merged). The summary is the replay of `summary` records in order;
    history rows are never applied to it. Raises `SourceError` for bytes that are not a run log.
    """
    payloads, problem = read_payloads(data)
    from_string = record_class().FromString
    replay = _Replay()
    summaries = _SummaryBatch(replay.summary, from_string)
    for index, payload in enumerate(payloads):
        field = _record_field(payload)
        if field == HISTORY_FIELD:
            continue  # never applied: not worth decoding
        if field == SUMMARY_FIELD:
            summaries.add(index, payload)
            continue
        try:
            record = from_string(payload)
        except Exception:  # protobuf's DecodeError: the payload passed its CRC yet does not parse
            problem = _undecodable(index)
            break
        kind = record.WhichOneof("record_type")
        if kind == "summary":
            summaries.add(index, payload)
        elif kind != "history":
            replay.apply(kind, record)
    damaged_at = summaries.flush()
    if damaged_at is not None and (problem is None or "cannot be decoded" not in problem):
        problem = _undecodable(damaged_at)
    return replay.result(record_count=len(payloads), problem=problem)


HISTORY_FIELD, SUMMARY_FIELD = 2, 3  # `Record.history`, `Record.summary` (wandb_internal.proto)


def _record_field(payload: bytes) -> int | None:
    """The number of a record's first field after `num`, read from its first bytes without decoding
    it (protobuf writes fields in number order; `num` is field 1). None when it is not plain."""
    i = 0
    if payload[:1] == b"\x08":  # Record.num, a varint
        i = 1
        while i < len(payload) and payload[i] & 0x80:
            i += 1
        i += 1
    if i >= len(payload) or payload[i] & 0x80:
        return None
    tag = payload[i]
    return tag >> 3 if tag & 0x7 == 2 else None  # only length-delimited (message) fields


def _undecodable(index: int) -> str:
    return f"record {index + 1} cannot be decoded: the file is damaged from there on"


class _SummaryBatch:
    """Summary records decoded together: protobuf merges concatenated messages field by field and
    appends repeated fields, so one decode of the joined records yields their updates in order."""

    def __init__(self, tree: dict[str, Any], from_string: Any) -> None:
        self.tree, self.from_string = tree, from_string
        self.payloads: list[bytes] = []
        self.indexes: list[int] = []

    def add(self, index: int, payload: bytes) -> None:
        self.payloads.append(payload)
        self.indexes.append(index)

    def flush(self) -> int | None:
        """Apply every summary record; the index of the first undecodable one, if any."""
        try:
            _apply_changes(self.tree, self.from_string(b"".join(self.payloads)).summary)
            return None
        except Exception:  # a damaged record: apply one by one up to it
            pass
        for index, payload in zip(self.indexes, self.payloads, strict=True):
            try:
                record = self.from_string(payload)
            except Exception:
                return index
            _apply_changes(self.tree, record.summary)
        return None


class _Replay:
    def __init__(self) -> None:
        self.run: dict[str, Any] = {}
        self.config: dict[str, Any] = {}
        self.summary: dict[str, Any] = {}
        self.exit_code: int | None = None
        self.exit_runtime: float | None = None

    def apply(self, kind: str | None, record: Any) -> None:
        if kind == "run":
            self._apply_run(record.run)
        elif kind == "config":
            _apply_changes(self.config, record.config)
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
        _apply_changes(self.config, run.config)

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
        return RunLog(
            **self.run,
            config=config,
            summary=summary,
            exit_code=self.exit_code,
            exit_runtime=self.exit_runtime,
            record_count=record_count,
            problem=problem,
        )


def _apply_changes(tree: dict[str, Any], changes: Any) -> None:
    """A config or summary record: its updates, then its removes, as W&B applies them.

    Each item names its key as `nested_key` (a path) or `key` (top level).
    """
    for update in changes.update:
        nested = update.nested_key
        if len(nested) == 1:  # the common case, kept cheap: this runs for every logged value
            tree[nested[0]] = update.value_json
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
            out[key] = json.loads(value) if len(value) <= _SHORT_JSON else load_json(value, "a value")
        except ValueError:  # OverBudget too
            bad.append(f"{prefix}{key}")
    return out


_SHORT_JSON = 200  # two characters per level of nesting: within safe_load.MAX_DEPTH


# ---------------------------------------------------------------- files, cache, workers


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
    try:
        data = path.read_bytes()
    except OSError as error:
        return SourceError(f"cannot read {path.name}: {error.strerror or error}")
    try:
        return parse_run_log(data)
    except SourceError as error:
        return error
