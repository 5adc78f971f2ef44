"""A runs table as a Sweep: the entry points, the runs frame, and the sweep configs the table carries."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lib.sources.errors import SourceError
from lib.sources.table.cells import parse_literal
from lib.sources.table.dict_columns import has_dict_columns, sweep_from_dict_columns
from lib.sources.table.read import RawTable, free_name, read_raw_table
from lib.sources.table.run_fields import drop_repeated_runs, meta_values, run_index
from lib.sources.table.shape import (
    WANDB_RUN_FIELDS,
    ColumnRoles,
    TableShape,
    column_roles,
    is_line_plot_export,
    table_shape,
)
from lib.sweep import RUN_STATE, RUN_SWEEP, UNKNOWN, Sweep, finish_sweep


def load_runs_table(path: Path) -> Sweep:
    """A runs table on disk (.csv, .tsv, .txt, .parquet); `SourceError` when it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(
            f"Could not read {path.name!r} ({error.strerror or error}). Check that the file exists "
            "and that the user running Sweepscope may read it."
        ) from error
    return load_runs_table_bytes(data, path.name)


def load_runs_table_bytes(data: bytes, name: str) -> Sweep:
    """A runs table from its bytes; `name`'s suffix says the format unless the content says otherwise."""
    raw = read_raw_table(data, name)
    if raw.frame.empty:
        raise SourceError(
            f"{name!r} has column names but no rows. Export the table again with its runs included."
        )
    return sweep_from_raw_table(raw, name)


def sweep_from_raw_table(raw: RawTable, name: str) -> Sweep:
    frame = raw.frame
    if is_line_plot_export(list(frame.columns)):
        raise SourceError(
            f"{name!r} is a W&B line-plot (history) export: one column per run and metric over "
            "steps, not a runs table. Export the runs table instead: in the W&B project open the "
            "Runs tab, switch to the table view and use Export -> CSV; or write one row per run "
            "with the W&B API (config.* and summary.* columns)."
        )
    if has_dict_columns(frame):
        return sweep_from_dict_columns(raw, name)
    shape = table_shape(frame)
    roles = column_roles(frame, shape)
    frame, skipped = drop_repeated_runs(frame, roles.id_column)
    index, index_note, index_column = run_index(frame, roles)
    if roles.id_column is not None and roles.id_column != index_column:
        roles.others.insert(0, roles.id_column)  # ids that repeat are still worth seeing
    sweep_configs = _sweep_configs(frame, roles)
    runs = _runs_frame(frame, roles, index)
    params = [roles.renames[p] for p in roles.params if p in roles.renames]
    metrics = [roles.renames[m] for m in roles.metrics if m in roles.renames]
    sweep = finish_sweep(
        runs,
        params=params,
        metrics=metrics,
        source=f"{name} ({shape.value}, {len(runs)} runs)",
        skipped=[*raw.skipped, *skipped],
        sweep_configs=sweep_configs,
        evidence={roles.renames[c]: e for c, e in roles.evidence.items() if c in roles.renames},
        set_aside=_set_aside_reasons(roles, shape),
    )
    notes = [*raw.notes, *roles.notes, *([index_note] if index_note else []), *sweep.notes]
    return sweep.replace(notes=notes)


def _set_aside_reasons(roles: ColumnRoles, shape: TableShape) -> dict[str, str]:
    """Why the run fields a table keeps aside (`ID`, `Notes`, `End Time`) are bookkeeping."""
    kept = [c for c in roles.others if c in roles.renames]
    field = "a W&B run field" if shape is TableShape.WANDB_EXPORT else "a run field"
    return {
        roles.renames[c]: f"bookkeeping: {field}"
        for c in kept
        if c in WANDB_RUN_FIELDS or c == roles.id_column
    }


def _runs_frame(frame: pd.DataFrame, roles: ColumnRoles, index: pd.Index) -> pd.DataFrame:
    """Meta columns first, then parameters, metrics and the rest; columns with no value are left out.

    `roles.renames` is replaced by the output name of every source column kept."""
    columns: dict[str, pd.Series] = {}
    for source, meta in roles.meta.items():
        if meta == RUN_STATE or frame[source].notna().any():
            columns[meta] = meta_values(frame[source], meta)
    if RUN_STATE not in columns:
        columns[RUN_STATE] = pd.Series(UNKNOWN, index=frame.index, dtype=object)
    output_names: dict[str, str] = {}
    for source in [*roles.params, *roles.metrics, *roles.others]:
        if frame[source].notna().any():
            output_names[source] = free_name(roles.renames.get(source, source), columns)
            columns[output_names[source]] = frame[source]
    roles.renames = output_names
    runs = pd.DataFrame(columns)
    runs.index = index
    return runs


def _sweep_configs(frame: pd.DataFrame, roles: ColumnRoles) -> dict[str, dict[str, Any]]:
    """The sweep config copied into the run config, per sweep: its `metric` names the goal."""
    if not roles.sweep_keys:
        return {}
    sweep_column = next((c for c, m in roles.meta.items() if m == RUN_SWEEP), None)
    sweep_ids = frame[sweep_column].astype(object) if sweep_column else pd.Series(None, index=frame.index)
    configs: dict[str, dict[str, Any]] = {}
    for sweep_id, rows in frame.groupby(sweep_ids.fillna("").astype(str), sort=True):
        flat = {key: _first_present(rows[key]) for key in roles.sweep_keys}
        config = unflatten({k: v for k, v in flat.items() if v is not None})
        if config:
            configs[str(sweep_id) or "unknown"] = config
    roles.notes.append(
        f"{len(roles.sweep_keys)} column(s) hold the sweep's own config (method, metric, "
        "parameters.*) and are not read as parameters."
    )
    return configs


def _first_present(values: pd.Series) -> Any:
    present = values.dropna()
    if present.empty:
        return None
    value = present.iloc[0]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str) and value[:1] in "[{":
        parsed = parse_literal(value)
        return value if parsed is None else parsed
    return value


def unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    """{"a.b": 1, "a.c": 2} -> {"a": {"b": 1, "c": 2}}; a key both leaf and branch keeps the branch."""
    nested: dict[str, Any] = {}
    for key in sorted(flat, key=lambda k: k.count(".")):
        *parents, leaf = key.split(".")
        node = nested
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        if not isinstance(node.get(leaf), dict):
            node[leaf] = flat[key]
    return nested
