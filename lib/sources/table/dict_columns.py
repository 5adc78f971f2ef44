"""Runs tables whose `config` and `summary` columns hold one dict per run (the W&B docs' export snippet)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from lib.sources.table.cells import parse_literal
from lib.sources.table.read import RawTable
from lib.sources.table.run_fields import run_index, run_state, tags, timestamp
from lib.sources.table.shape import ColumnRoles, TableShape, aliased_id_column, aliased_meta
from lib.sweep import (
    RUN_CREATED,
    RUN_GROUP,
    RUN_NAME,
    RUN_STATE,
    RUN_SWEEP,
    RUN_TAGS,
    RunRecord,
    Sweep,
    sweep_from_records,
)

DICT_COLUMNS = ("config", "summary")


def has_dict_columns(frame: pd.DataFrame) -> bool:
    """True when a `config` or `summary` column holds dict text in every row that has a value."""
    for column in DICT_COLUMNS:
        if column in frame.columns:
            present = frame[column].dropna()
            if not present.empty and present.map(lambda v: isinstance(v, str) and v.startswith("{")).all():
                return True
    return False


def sweep_from_dict_columns(raw: RawTable, name: str) -> Sweep:
    frame = raw.frame
    columns = [str(c) for c in frame.columns]
    meta = aliased_meta(columns)
    index, index_note, _ = run_index(frame, ColumnRoles(meta=meta, id_column=aliased_id_column(columns)))
    skipped = list(raw.skipped)
    records = [
        _record_from_row(frame.loc[i], run_id, meta, skipped)
        for i, run_id in zip(frame.index, index, strict=True)
    ]
    sweep = sweep_from_records(
        records, source=f"{name} ({TableShape.WANDB_API.value}, {len(records)} runs)", skipped=skipped
    )
    notes = [*raw.notes, "Config and summary were read from dict columns, one dict per run."]
    return sweep.replace(notes=[*notes, *([index_note] if index_note else []), *sweep.notes])


def _record_from_row(
    row: pd.Series, run_id: str, meta: Mapping[str, str], skipped: list[tuple[str, str]]
) -> RunRecord:
    fields = {m: row[c] for c, m in meta.items() if pd.notna(row[c])}
    return RunRecord(
        run_id=run_id,
        config=_unwrapped_config(_dict_cell(row, "config", run_id, skipped)),
        summary=_dict_cell(row, "summary", run_id, skipped),
        name=str(fields[RUN_NAME]) if RUN_NAME in fields else None,
        state=run_state(fields.get(RUN_STATE)),
        sweep_id=str(fields[RUN_SWEEP]) if RUN_SWEEP in fields else None,
        group=str(fields[RUN_GROUP]) if RUN_GROUP in fields else None,
        tags=tags(fields.get(RUN_TAGS)),
        created=timestamp(fields.get(RUN_CREATED)),
        runtime=None,
    )


def _dict_cell(row: pd.Series, column: str, run_id: str, skipped: list[tuple[str, str]]) -> dict[str, Any]:
    if column not in row.index or pd.isna(row[column]):
        return {}
    parsed = parse_literal(str(row[column]))
    if isinstance(parsed, dict):
        return parsed
    skipped.append((f"{column} of run {run_id}", "not a readable dict; left empty"))
    return {}


def _unwrapped_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """Raw config.yaml style `{key: {value: ..., desc: ...}}` becomes `{key: value}`."""
    wrapped = config and all(isinstance(v, Mapping) and "value" in v for v in config.values())
    return {k: v["value"] for k, v in config.items()} if wrapped else dict(config)
