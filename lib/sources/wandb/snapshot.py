"""A fetched sweep's fetch time, and the Parquet snapshot that keeps a fetched sweep for offline use.

`save_snapshot` writes the runs as Parquet with the sweep's meaning (params, metrics, kinds,
directions, sweep configs, the spec it was fetched with) in the file's key-value metadata;
`load_snapshot` reads it back. What a snapshot file says about itself is a claim, never a trusted
fact: see `lib.sources.snapshot`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from lib.columns import Direction, Kind
from lib.histories import WandbRuns
from lib.sources.errors import SourceError
from lib.sources.history.wandb_api import wandb_runs
from lib.sources.safe_load import load_json
from lib.sources.scratch import scratch_folder
from lib.sources.snapshot import (
    CLAIM_NOTE,
    FROM_SNAPSHOT,
    decode_json_cell,
    snapshot_source,
    spec_fields,
    well_shaped_meta,
    with_text_run_ids,
)
from lib.sources.wandb.hosts import may_be_named
from lib.sources.wandb.plain import json_default, json_safe, parse_time
from lib.sources.wandb.spec import WandbSpec
from lib.sweep import Sweep

FETCHED_AT = "sweepscope.fetched_at"  # key in Sweep.runs.attrs


def stamp_fetched_at(sweep: Sweep, when: datetime) -> Sweep:
    """Record when the data left W&B (kept in `sweep.runs.attrs`, which pickling keeps)."""
    runs = sweep.runs.copy()
    runs.attrs[FETCHED_AT] = when.astimezone(UTC).isoformat()
    return sweep.replace(runs=runs)


def fetched_at(sweep: Sweep) -> datetime | None:
    """When this sweep was fetched from W&B, if it was."""
    return parse_time(sweep.runs.attrs.get(FETCHED_AT))


SNAPSHOT_KEY = b"sweepscope.snapshot"
SNAPSHOT_VERSION = 1
_KIND_VALUES = frozenset(k.value for k in Kind)
_DIRECTION_VALUES = frozenset(d.value for d in Direction)


@dataclass(frozen=True)
class SnapshotInfo:
    """What a snapshot file says it holds, read from its footer only (a claim: see `lib.sources.snapshot`)."""

    source: str
    fetched_at: datetime | None
    n_runs: int
    spec: WandbSpec | None


def save_snapshot(sweep: Sweep, path: str | Path, spec: WandbSpec | None = None) -> Path:
    """Write `sweep` as Parquet, its meaning and fetch time in the file's key-value metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame, json_columns = _arrow_ready(sweep.runs)
    table = pa.Table.from_pandas(frame, preserve_index=True)
    meta = _snapshot_meta(sweep, json_columns, spec, frame.attrs.get(FETCHED_AT))
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), SNAPSHOT_KEY: meta})
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    pq.write_table(table, partial)
    partial.replace(target)  # never a half-written snapshot under the real name
    return target


def _arrow_ready(frame: Any) -> tuple[Any, list[str]]:
    """Columns Arrow cannot store as they are (mixed types) become JSON text, and are listed."""
    import pyarrow as pa

    out = frame.copy()
    out.attrs = {}
    json_columns: list[str] = []
    for column in out.columns:
        if out[column].dtype != object:
            continue
        try:
            pa.array(out[column], from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            out[column] = out[column].map(
                lambda v: None if _is_missing(v) else json.dumps(v, default=json_default)
            )
            json_columns.append(str(column))
    out.attrs = dict(frame.attrs)
    return out, json_columns


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _snapshot_meta(sweep: Sweep, json_columns: list[str], spec: WandbSpec | None, when: Any) -> bytes:
    meta = {
        "version": SNAPSHOT_VERSION,
        "source": sweep.source,
        "params": sweep.params,
        "metrics": sweep.metrics,
        "kinds": {k: str(v) for k, v in sweep.kinds.items()},
        "directions": {k: str(v) for k, v in sweep.directions.items()},
        "primary_metric": sweep.primary_metric,
        "primary_reason": sweep.primary_reason,
        "reasons": sweep.reasons,
        "sweep_configs": json_safe(sweep.sweep_configs),
        "skipped": [list(item) for item in sweep.skipped],
        "notes": sweep.notes,
        "fetched_at": when,
        "json_columns": json_columns,
        "spec": None if spec is None else _spec_dict(spec),
    }
    return json.dumps(meta).encode()


def _spec_dict(spec: WandbSpec) -> dict[str, str | None]:
    return {
        "entity": spec.entity,
        "project": spec.project,
        "sweep_id": spec.sweep_id,
        "run_id": spec.run_id,
        "group": spec.group,
        "base_url": spec.base_url,
    }


def _read_snapshot_meta(path: Path) -> dict[str, Any]:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except FileNotFoundError:
        raise SourceError(f"No snapshot at {str(path)!r}: check the path.") from None
    except Exception as exc:
        raise SourceError(f"{path.name!r} is not a readable Parquet file ({exc}).") from None
    raw = (schema.metadata or {}).get(SNAPSHOT_KEY)
    if raw is None:
        raise SourceError(
            f"{path.name!r} is a Parquet file but not a Sweepscope snapshot: open it as a runs table instead."
        )
    try:
        meta = load_json(raw, "the snapshot's metadata")
    except ValueError:  # SourceError (over a budget) is a ValueError too
        raise SourceError(f"The snapshot {path.name!r} is damaged: fetch the sweep again.") from None
    if not isinstance(meta, dict) or meta.get("version") != SNAPSHOT_VERSION:
        raise SourceError(
            f"{path.name!r} was written by another Sweepscope version: fetch the sweep again to refresh it."
        )
    return meta


def is_snapshot(path: str | Path) -> bool:
    """True for a Parquet file written by `save_snapshot` (reads only the file's footer)."""
    try:
        _read_snapshot_meta(Path(path))
    except SourceError:
        return False
    return True


def snapshot_info(path: str | Path) -> SnapshotInfo:
    """The snapshot's description without reading its runs."""
    meta = _read_snapshot_meta(Path(path))
    import pyarrow.parquet as pq

    fields = spec_fields(meta.get("spec"))
    return SnapshotInfo(
        source=snapshot_source(fields),
        fetched_at=parse_time(meta.get("fetched_at")),
        n_runs=pq.ParquetFile(path).metadata.num_rows,
        spec=_claimed_spec(fields) if fields else None,  # what the file says: never fetched with a key
    )


def _claimed_spec(fields: dict[str, str | None]) -> WandbSpec:
    """The spec of `spec_fields`, which checked that entity, project and base_url are non-empty text."""
    return WandbSpec(
        entity=str(fields["entity"]),
        project=str(fields["project"]),
        sweep_id=fields["sweep_id"],
        run_id=fields["run_id"],
        group=fields["group"],
        base_url=str(fields["base_url"]),
    )


def load_snapshot(path: str | Path) -> Sweep:
    """A sweep saved by `save_snapshot`, with its fetch time (see `fetched_at`)."""
    import pyarrow.parquet as pq

    source = Path(path)
    meta = well_shaped_meta(_read_snapshot_meta(source))
    try:
        frame = pq.read_table(source).to_pandas()
    except Exception as exc:
        raise SourceError(f"The snapshot {source.name!r} could not be read ({exc}): fetch again.") from None
    for column in meta.get("json_columns", []):
        if column in frame:
            frame[column] = frame[column].map(decode_json_cell).astype(object)
    frame = with_text_run_ids(frame)
    frame.attrs = {FROM_SNAPSHOT: True}
    if meta.get("fetched_at"):
        frame.attrs[FETCHED_AT] = meta["fetched_at"]
    fields = spec_fields(meta.get("spec"))
    return Sweep(
        runs=frame,
        params=[p for p in meta.get("params", []) if p in frame],
        metrics=[m for m in meta.get("metrics", []) if m in frame],
        skipped=[(str(a), str(b)) for a, b in meta.get("skipped", [])],
        source=snapshot_source(fields),
        kinds={k: Kind(v) for k, v in meta.get("kinds", {}).items() if v in _KIND_VALUES},
        directions={k: Direction(v) for k, v in meta.get("directions", {}).items() if v in _DIRECTION_VALUES},
        primary_metric=meta.get("primary_metric") if meta.get("primary_metric") in frame else None,
        sweep_configs=meta.get("sweep_configs", {}),
        notes=[CLAIM_NOTE, *(str(n) for n in meta.get("notes", []) if isinstance(n, str))],
        reasons=_text_mapping(meta.get("reasons"), frame),
        primary_reason=meta["primary_reason"] if isinstance(meta.get("primary_reason"), str) else None,
        history=_claimed_history(fields, frame),
    )


def _claimed_history(fields: dict[str, str | None] | None, frame: pd.DataFrame) -> WandbRuns | None:
    """Where the snapshot's runs' history is, asked of W&B with the user's key: only when the file
    names W&B's own or the configured server (a crafted file must not steer a typed key elsewhere)."""
    if fields is None or not may_be_named(str(fields["base_url"])):
        return None
    return wandb_runs(_claimed_spec(fields), frame.index)


def _text_mapping(value: Any, frame: pd.DataFrame) -> dict[str, str]:
    """The stored role reasons, only text about columns the snapshot holds (a file may say anything)."""
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str) and k in frame}


def snapshot_bytes(sweep: Sweep, spec: WandbSpec | None = None) -> bytes:
    """The snapshot `save_snapshot` writes, as bytes for a download button."""
    with scratch_folder("snapshot") as folder:
        return save_snapshot(sweep, Path(folder) / "snapshot.parquet", spec).read_bytes()


def load_snapshot_bytes(data: bytes, name: str) -> Sweep:
    """An uploaded snapshot, read from a private temporary copy deleted after."""
    with scratch_folder("snapshot") as folder:
        path = Path(folder) / "snapshot.parquet"
        path.write_bytes(data)
        try:
            return load_snapshot(path)
        except SourceError as error:
            raise SourceError(str(error).replace("'snapshot.parquet'", repr(name))) from None


def is_snapshot_bytes(data: bytes) -> bool:
    """True for the bytes of a file `is_snapshot` accepts."""
    with scratch_folder("snapshot") as folder:
        path = Path(folder) / "snapshot.parquet"
        path.write_bytes(data)
        return is_snapshot(path)
