"""Fetched W&B runs as one `Sweep`: the sweep config's parameters and metric first, fetch notes and time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lib.columns import Direction, Kind, infer_kind
from lib.sources.wandb.fetch import RunsFetch
from lib.sources.wandb.snapshot import stamp_fetched_at
from lib.sources.wandb.spec import WandbSpec
from lib.sweep import Sweep, finish_sweep, sweep_from_records
from lib.sweep_config import config_metric, metric_column, swept_parameters
from lib.values import counted


def build_sweep(
    spec: WandbSpec,
    fetch: RunsFetch,
    configs: dict[str, dict[str, Any]],
    skipped: list[tuple[str, str]],
    notes: list[str],
    fetched_at: datetime,
) -> Sweep:
    """The sweep of the runs that arrived, with the sweep configs read and what the fetch noticed."""
    sweep = sweep_from_records(
        fetch.records.values(), source=f"W&B {spec.label}", skipped=skipped, sweep_configs=configs
    )
    sweep = _focused_on_sweep_config(sweep, spec)
    notes = [*notes, *sweep.notes]
    if fetch.total is not None and fetch.failure is None and len(fetch.records) != fetch.total:
        notes.append(f"W&B counted {fetch.total} runs; {len(fetch.records)} distinct runs arrived.")
    if fetch.duplicates:
        runs, verb = counted(fetch.duplicates, "run"), "was" if fetch.duplicates == 1 else "were"
        notes.append(f"{runs} arrived twice while paging and {verb} counted once.")
    sweep = sweep.replace(notes=notes)
    return stamp_fetched_at(sweep, fetched_at)


def _focused_on_sweep_config(sweep: Sweep, spec: WandbSpec) -> Sweep:
    """Swept parameters as the params (one sweep) and the config's metric as the primary one."""
    config = sweep.sweep_configs.get(spec.sweep_id or "", {}) if spec.sweep_id else {}
    swept = [p for p in swept_parameters(config) if p in sweep.params]
    params = swept if swept else sweep.params
    primary, goal = _metric_in_configs(sweep)
    if params == sweep.params and (primary is None or primary == sweep.primary_metric):
        return sweep
    left_out = [p for p in sweep.params if p not in params]
    not_swept = f"bookkeeping: a config key sweep {spec.sweep_id} does not vary"
    focused = finish_sweep(
        sweep.runs,
        params=params,
        metrics=sweep.metrics,
        source=sweep.source,
        skipped=sweep.skipped,
        sweep_configs=sweep.sweep_configs,
        primary_metric=primary,
        directions={primary: goal} if primary and goal else None,
        set_aside={**sweep.reasons, **dict.fromkeys(left_out, not_swept)},
        primary_reason="the sweep config's metric" if primary else None,
    )
    notes = list(sweep.notes)
    focused = _swept_kinds(focused, swept)
    if left_out:
        notes.append(
            f"Parameters are the {len(params)} that sweep {spec.sweep_id} varies; {len(left_out)} other "
            "config keys are kept as extra columns."
        )
    return focused.replace(notes=notes)


def _swept_kinds(sweep: Sweep, swept: list[str]) -> Sweep:
    """A swept parameter is analysed even when its name reads like an identifier (`opt.name`)."""
    kinds = dict(sweep.kinds)
    for param in swept:
        if kinds.get(param) == Kind.IDENTIFIER:
            kinds[param] = infer_kind(sweep.runs[param], "")
    return sweep.replace(kinds=kinds)


def _metric_in_configs(sweep: Sweep) -> tuple[str | None, Direction | None]:
    """The first sweep config's metric that is a column, with the config's goal (None if unstated)."""
    for config in sweep.sweep_configs.values():
        named = config_metric(config)
        column = metric_column(named.name, sweep.metrics, named.goal) if named else None
        if named is not None and column is not None:
            return column, named.goal
    return None, None
