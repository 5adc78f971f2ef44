"""An online run's `files/`: config.yaml (values unwrapped), wandb-summary.json and wandb-metadata.json.

Parses are cached by each file's (path, size, mtime); budgets of `lib.sources.safe_load` apply.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from lib.sources.errors import SourceError
from lib.sources.run_cache import BoundedCache
from lib.sources.safe_load import (
    approx_bytes,
    dropped_note,
    load_json,
    load_yaml,
    read_document,
    without_oversized,
)
from lib.sources.wandb.folders import RunFolder
from lib.sources.wandb.run_log import file_key
from lib.sweep import RunRecord

ONLINE_FILES = ("files/config.yaml", "files/wandb-summary.json", "files/wandb-metadata.json")
ONLINE_CACHE = BoundedCache(5_000, max_bytes=128 * 1024 * 1024)


def read_online_files(folder: RunFolder, cache: bool = True) -> tuple[RunRecord | None, str | None] | None:
    """The run from `files/` (None when there is neither config.yaml nor wandb-summary.json)."""
    paths = [folder.path / name for name in ONLINE_FILES]
    stats = [_stat_key(p) for p in paths]
    if stats[0] is None and stats[1] is None:
        return None
    key = (str(folder.path), folder.run_id, *stats)
    cached = ONLINE_CACHE.get(key) if cache else None
    if cached is None:
        cached = parse_online_files(folder, *paths, present=[s is not None for s in stats])
        if cache:
            ONLINE_CACHE.put(key, cached, _online_bytes(cached[0]))
    return cached


def _stat_key(path: Path) -> tuple[str, int, int] | None:
    try:
        return file_key(path, path.stat())
    except OSError:
        return None


def _online_bytes(record: RunRecord | None) -> int:
    return approx_bytes(record.config) + approx_bytes(record.summary) if record else 0


def parse_online_files(
    folder: RunFolder, config_path: Path, summary_path: Path, meta_path: Path, *, present: list[bool]
) -> tuple[RunRecord | None, str | None]:
    dropped: list[str] = []
    try:
        config = unwrap_config(_load_yaml_mapping(config_path)) if present[0] else {}
        summary = _load_json_mapping(summary_path) if present[1] else {}
    except SourceError as error:
        return None, str(error)
    started = _metadata_start(meta_path) if present[2] else None
    record = RunRecord(
        run_id=folder.run_id or folder.path.name,
        config=without_oversized(config, dropped),
        summary=without_oversized(summary, dropped),
        created=started or folder.started,
        runtime=summary_runtime(summary),
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


def unwrap_config(raw: Mapping[str, Any]) -> dict[str, Any]:
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


def summary_runtime(summary: Mapping[str, Any]) -> float | None:
    """The run's length in seconds as its summary gives it (`_runtime`, else `_wandb.runtime`)."""
    wandb_block = summary.get("_wandb")
    for value in (
        summary.get("_runtime"),
        wandb_block.get("runtime") if isinstance(wandb_block, dict) else None,
    ):
        runtime = _positive_seconds(value)
        if runtime is not None:
            return runtime
    return None


def _positive_seconds(value: object) -> float | None:
    """A finite positive int or float (exactly: a bool is not a runtime)."""
    if not isinstance(value, int | float) or type(value) not in (int, float):
        return None
    return float(value) if math.isfinite(value) and value > 0 else None
