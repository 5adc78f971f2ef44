"""What a runs table's columns are: its shape (W&B UI export, API table, any table) and each column's origin.

Roles: run metadata (name, state, created, ...), the run id, a copied sweep config, parameters
(config), metrics (summary) and the rest (bookkeeping, unnamed, ids kept aside). How sure the table
is of config vs summary is passed on as `Evidence` (strong for `config.`/`summary.` columns, a
weak order hint in a W&B UI export, none in a tidy table); `lib.roles` makes the final call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd

from lib.columns import is_bookkeeping_key, is_numeric_column
from lib.roles import (
    BY_NAME_ONLY,
    CONFIG,
    CONFIG_BY_ORDER,
    SUMMARY,
    SUMMARY_BY_ORDER,
    Evidence,
    looks_like_metric_name,
)
from lib.sweep import RUN_CREATED, RUN_GROUP, RUN_NAME, RUN_RUNTIME, RUN_STATE, RUN_SWEEP, RUN_TAGS
from lib.sweep_config import EXPORTED_KEY_PREFIXES, EXPORTED_KEYS

# W&B's run fields in its UI export, and the meta column each one fills (None: kept aside).
WANDB_RUN_FIELDS: dict[str, str | None] = {
    "Name": RUN_NAME,
    "State": RUN_STATE,
    "Sweep": RUN_SWEEP,
    "Group": RUN_GROUP,
    "Tags": RUN_TAGS,
    "Created": RUN_CREATED,
    "Runtime": RUN_RUNTIME,
    "ID": None,
    "Agent": None,
    "Stopped": None,
    "Notes": None,
    "User": None,
    "End Time": None,
    "Hostname": None,
    "Updated": None,
    "Job Type": None,
    "Commit": None,
    "Description": None,
    "Heartbeat": None,
    "GPU Type": None,
    "GPU Count": None,
}
MIN_WANDB_FIELDS = 3
# The same fields as people name them in tables they write themselves.
META_ALIASES = {
    "name": RUN_NAME,
    "run_name": RUN_NAME,
    "display_name": RUN_NAME,
    "state": RUN_STATE,
    "status": RUN_STATE,
    "sweep": RUN_SWEEP,
    "sweep_id": RUN_SWEEP,
    "group": RUN_GROUP,
    "tags": RUN_TAGS,
    "created": RUN_CREATED,
    "created_at": RUN_CREATED,
}
ID_ALIASES = ("id", "run_id", "run id", "runid")


class TableShape(StrEnum):
    WANDB_EXPORT = "W&B runs-table export"
    WANDB_API = "W&B API table"
    TIDY = "runs table"


@dataclass
class ColumnRoles:
    """What each source column of a table is; `renames` gives output names that differ."""

    meta: dict[str, str] = field(default_factory=dict)
    id_column: str | None = None
    sweep_keys: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)
    renames: dict[str, str] = field(default_factory=dict)
    evidence: dict[str, Evidence] = field(default_factory=dict)  # by source column
    notes: list[str] = field(default_factory=list)


def is_line_plot_export(columns: Sequence[object]) -> bool:
    """A W&B line-plot export: one column per run and metric over steps (`run - metric`, `__MIN`)."""
    names = [str(c) for c in columns]
    extremes = [n for n in names if n.endswith(("__MIN", "__MAX"))]
    if any(n[: -len("__MIN")] in names for n in extremes):
        return True
    series = [n for n in names[1:] if " - " in n]
    return len(names) > 1 and len(series) == len(names) - 1


def table_shape(frame: pd.DataFrame) -> TableShape:
    columns = [str(c) for c in frame.columns]
    if sum(c in WANDB_RUN_FIELDS for c in columns) >= MIN_WANDB_FIELDS:
        return TableShape.WANDB_EXPORT
    if any(c.startswith(("config.", "summary.")) for c in columns):
        return TableShape.WANDB_API
    return TableShape.TIDY


def column_roles(frame: pd.DataFrame, shape: TableShape) -> ColumnRoles:
    roles = ColumnRoles()
    columns = [str(c) for c in frame.columns]
    if shape is TableShape.WANDB_EXPORT:
        roles.meta = {c: m for c in columns if (m := WANDB_RUN_FIELDS.get(c)) is not None}
        roles.id_column = "ID" if "ID" in columns else None
        fields = [c for c in columns if c in WANDB_RUN_FIELDS and c not in roles.meta]
    else:
        roles.meta = aliased_meta(columns)
        roles.id_column = aliased_id_column(columns)
        fields = [roles.id_column] if roles.id_column else []
    taken = {*roles.meta, *fields}
    candidates = [c for c in columns if c not in taken]
    roles.others = [c for c in fields if c != roles.id_column]
    roles.sweep_keys = _sweep_key_columns(candidates)
    candidates = [c for c in candidates if c not in roles.sweep_keys]
    if shape is TableShape.WANDB_EXPORT:
        _assign_export_columns(frame, candidates, roles)
    elif shape is TableShape.WANDB_API:
        _assign_api_columns(frame, candidates, roles)
    else:
        _assign_tidy_columns(frame, candidates, roles)
    return roles


def aliased_meta(columns: Sequence[str]) -> dict[str, str]:
    """Columns named like a run field (`name`, `status`, `created_at`): the first one per field."""
    meta: dict[str, str] = {}
    for column in columns:
        target = META_ALIASES.get(column.lower())
        if target is not None and target not in meta.values():
            meta[column] = target
    return meta


def aliased_id_column(columns: Sequence[str]) -> str | None:
    return next((c for c in columns if c.lower() in ID_ALIASES), None)


def _sweep_key_columns(candidates: Sequence[str]) -> list[str]:
    """A sweep's own config keys, when the table clearly carries a copied sweep config."""
    keys = [c for c in candidates if c in EXPORTED_KEYS or c.startswith(EXPORTED_KEY_PREFIXES)]
    has_parameters = any(c.startswith("parameters.") for c in keys)
    has_method_and_metric = "method" in keys and any(c.startswith("metric.") for c in keys)
    return keys if has_parameters or has_method_and_metric else []


def _is_set_aside(column: str) -> bool:
    """Bookkeeping keys (`_step`, `_runtime`) and columns with no name are neither params nor metrics."""
    return is_bookkeeping_key(column) or column.startswith("Unnamed: ")


def _assign_export_columns(frame: pd.DataFrame, candidates: list[str], roles: ColumnRoles) -> None:
    """Config columns, then summary columns: W&B sorts each block, so a reset marks the border."""
    resets = [i for i in range(1, len(candidates)) if _sort_key(candidates[i]) < _sort_key(candidates[i - 1])]
    if len(resets) == 1:
        border = resets[0]
        roles.notes.append(
            f"Config and summary columns told apart by W&B's alphabetical order: summary columns "
            f"start at {candidates[border]!r}."
        )
    elif not resets:
        border = _border_by_names(frame, candidates)
    else:
        roles.notes.append(
            "The columns are not in W&B's order (config then summary, each sorted), so numeric "
            "columns named like metrics are metrics and the rest parameters."
        )
        _assign_tidy_columns(frame, candidates, roles)
        return
    for column in candidates[:border]:
        _assign_by_order(column, roles.params, CONFIG_BY_ORDER, roles)
    for column in candidates[border:]:
        _assign_by_order(column, roles.metrics, SUMMARY_BY_ORDER, roles)


def _assign_by_order(column: str, block: list[str], evidence: Evidence, roles: ColumnRoles) -> None:
    if _is_set_aside(column):
        roles.others.append(column)
    else:
        block.append(column)
        roles.evidence[column] = evidence


def _sort_key(name: str) -> str:
    return name.casefold()


def _border_by_names(frame: pd.DataFrame, candidates: Sequence[str]) -> int:
    """Where the summary block starts when no reset shows it: the split that best fits the names."""
    metric_like = [
        _is_set_aside(c) or (looks_like_metric_name(c) and is_numeric_column(frame[c])) for c in candidates
    ]
    costs = [
        sum(metric_like[:k]) + (len(candidates) - k - sum(metric_like[k:]))
        for k in range(len(candidates) + 1)
    ]
    return costs.index(min(costs))


def _assign_api_columns(frame: pd.DataFrame, candidates: list[str], roles: ColumnRoles) -> None:
    config_names = {c.removeprefix("config.") for c in candidates if c.startswith("config.")}
    for column in candidates:
        if column.startswith("config.") and not _is_set_aside(column.removeprefix("config.")):
            roles.params.append(column)
            roles.renames[column] = column.removeprefix("config.")
            roles.evidence[column] = CONFIG
        elif column.startswith("summary.") and _is_summary_metric(frame[column], column):
            bare = column.removeprefix("summary.")
            roles.metrics.append(column)
            roles.evidence[column] = SUMMARY
            if bare not in config_names:
                roles.renames[column] = bare
        else:
            roles.others.append(column)


def _is_summary_metric(values: pd.Series, column: str) -> bool:
    last_part = column.removeprefix("summary.").split(".")[-1]
    return not _is_set_aside(last_part) and is_numeric_column(values)


def _assign_tidy_columns(frame: pd.DataFrame, candidates: list[str], roles: ColumnRoles) -> None:
    """Names only: a first reading that orders the columns; `lib.roles` decides from the same names."""
    for column in candidates:
        if _is_set_aside(column):
            roles.others.append(column)
            continue
        named = looks_like_metric_name(column) and is_numeric_column(frame[column])
        (roles.metrics if named else roles.params).append(column)
        roles.evidence[column] = BY_NAME_ONLY
