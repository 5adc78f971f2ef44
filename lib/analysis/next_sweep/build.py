"""Building the next sweep from a selection of runs: checking the request, planning, writing."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lib.analysis.next_sweep.describe import describe_runs
from lib.analysis.next_sweep.plan import (
    BEST,
    NextSweepError,
    NoKeptRunsError,
    ParameterPlan,
    PlanContext,
    plan_parameter,
)
from lib.analysis.next_sweep.space import carried_over, original_configs, original_space
from lib.analysis.next_sweep.sweep_yaml import decisions_table, nest_parameters, to_yaml, yaml_header
from lib.columns import Direction
from lib.filters import best_first_positions
from lib.sweep import Sweep
from lib.sweep_config import ParameterSpec, metric_entry, validate_sweep_config

DEFAULT_MARGIN = 0.1
DEFAULT_MIN_IMPORTANCE = 0.02
METHODS = ("bayes", "random")


@dataclass(frozen=True)
class NextSweep:
    """`config` is the W&B sweep configuration (plain Python types), `yaml` the same with comments,
    `decisions` one row per parameter (parameter, kind, was, now, why), `problems` what
    `validate_sweep_config` found (empty when valid)."""

    config: dict[str, Any]
    yaml: str
    decisions: pd.DataFrame
    plans: tuple[ParameterPlan, ...]
    metric: str
    direction: Direction
    n_kept: int
    n_runs: int
    origin: str
    problems: tuple[str, ...] = ()


def _kept_array(sweep: Sweep, kept: pd.Series) -> np.ndarray:
    return kept.reindex(sweep.runs.index).fillna(False).astype(bool).to_numpy()


def _importance_map(importance: pd.DataFrame | None) -> dict[str, float]:
    if importance is None or not {"parameter", "importance"} <= set(importance.columns):
        return {}
    values = pd.to_numeric(importance["importance"], errors="coerce")
    return {
        str(p): float(v) for p, v in zip(importance["parameter"], values, strict=True) if math.isfinite(v)
    }


def _fixed_map(fixed: Mapping[str, Any] | Sequence[str]) -> dict[str, Any]:
    if isinstance(fixed, Mapping):
        return {str(k): v for k, v in fixed.items()}
    if isinstance(fixed, str):
        return {fixed: BEST}
    return dict.fromkeys(map(str, fixed), BEST)


def _check_request(sweep: Sweep, metric: str, method: str, margin: float, n_kept: int) -> None:
    if metric not in sweep.metrics or metric not in sweep.runs:
        known = ", ".join(sweep.metrics) or "none"
        raise NextSweepError(f"{metric!r} is not a metric of this sweep; choose one of: {known}.")
    if method not in METHODS:
        raise NextSweepError(
            f"method must be one of {', '.join(METHODS)}, not {method!r}: a grid sweep needs every "
            "parameter as a list of values, which narrowed ranges are not."
        )
    if not (math.isfinite(margin) and margin >= 0):
        raise NextSweepError(f"margin must be a share of the kept range (0 or more), not {margin}.")
    if n_kept == 0:
        raise NoKeptRunsError(
            "No runs are kept, so there is no promising region to narrow the next sweep to: loosen the "
            "thresholds or raise the best-% cut-off until some runs are kept."
        )


def _chosen_params(
    sweep: Sweep,
    params: Sequence[str] | None,
    originals: Mapping[str, ParameterSpec],
    fixed: Mapping[str, Any],
) -> tuple[list[str], list[str]]:
    """(parameters to write, varying config keys left out because the original sweep lacks them)."""
    unknown_fixed = [p for p, value in fixed.items() if value is BEST and p not in sweep.runs]
    if unknown_fixed:
        raise NextSweepError(
            f"No run has {', '.join(unknown_fixed)}, so there is no best run's value to fix it at: "
            "give the value instead (fixed={name: value})."
        )
    if params is not None:
        unknown = [p for p in params if p not in sweep.runs and p not in originals]
        if unknown:
            raise NextSweepError(
                f"Not parameters of this sweep: {', '.join(unknown)}. Known: {', '.join(sweep.params)}."
            )
        chosen, left_out = list(params), []
    elif any(name in sweep.runs for name in originals):
        chosen = list(originals)
        left_out = [p for p in sweep.analysable_params if p not in originals and p not in fixed]
    else:
        chosen, left_out = list(sweep.analysable_params), []
    return chosen + [p for p in fixed if p not in chosen], left_out


def _left_out_plan(sweep: Sweep, name: str) -> ParameterPlan:
    why = "not a parameter of the original sweep (a config key it did not search): left out"
    return ParameterPlan(
        name, tuple(name.split(".")), sweep.kind(name), None, describe_runs(sweep, name), why
    )


def _origin(sweep: Sweep, n_kept: int, metric: str, direction: Direction, selection: str) -> str:
    source = " ".join((sweep.source or "a sweep").split())
    how = f" ({selection})" if selection else ""
    return (
        f"From {source}: {n_kept} of {len(sweep.runs)} runs kept{how}; metric {metric} ({direction.value})."
    )


def next_sweep_config(
    sweep: Sweep,
    kept: pd.Series,
    metric: str,
    *,
    params: Sequence[str] | None = None,
    fixed: Mapping[str, Any] | Sequence[str] = (),
    importance: pd.DataFrame | None = None,
    min_importance: float = DEFAULT_MIN_IMPORTANCE,
    margin: float = DEFAULT_MARGIN,
    method: str = "bayes",
    selection: str = "",
    signs_of_effect: Mapping[str, str] | None = None,
) -> NextSweep:
    """A W&B sweep over the region of the runs in `kept` (a bool mask over `sweep.runs`).

    `params`: the parameters to write (default: the original sweep config's, else the analysable
    ones); `fixed`: names to fix at the best kept run's value, or a mapping name -> value;
    `importance`: a table with `parameter` and `importance` columns; parameters below
    `min_importance` are fixed; `margin`: share of the kept range added on each side; `selection`:
    how the runs were kept, for the YAML header (e.g. "best 10% by val_accuracy");
    `signs_of_effect`: parameter -> why it may matter after all (its importance is above the noise
    floor, or its effect above the seed noise); such a parameter is never fixed for low importance.
    Raises `NoKeptRunsError` when no run is kept and `NextSweepError` for an unknown metric,
    parameter or method.
    """
    mask = _kept_array(sweep, kept)
    _check_request(sweep, metric, method, margin, int(mask.sum()))
    direction = sweep.direction(metric)
    kept_runs = sweep.runs.loc[mask]
    configs = original_configs(sweep)
    originals = original_space(sweep)
    fixed_map = _fixed_map(fixed)
    ctx = PlanContext(
        sweep=sweep,
        kept=mask,
        best_first=kept_runs.index[best_first_positions(kept_runs[metric], direction)],
        originals=originals,
        importance=_importance_map(importance),
        min_importance=min_importance,
        signs_of_effect=dict(signs_of_effect or {}),
        fixed=fixed_map,
        margin=margin,
    )
    chosen, left_out = _chosen_params(sweep, params, originals, fixed_map)
    plans = [plan_parameter(ctx, name) for name in chosen] + [_left_out_plan(sweep, n) for n in left_out]
    written = [(p.path, p.spec) for p in plans if p.spec is not None]
    if not written:
        raise NextSweepError(
            "No parameter can be written: no kept run has a value for any of them. Keep other runs, or "
            "name the parameters to use."
        )
    config: dict[str, Any] = {
        **carried_over(configs),
        "method": method,
        "metric": metric_entry(metric, direction),
        "parameters": nest_parameters(written),
    }
    origin = _origin(sweep, int(mask.sum()), metric, direction, selection)
    text = to_yaml(
        config,
        header=yaml_header(origin, config),
        comments={p.name: p.why for p in plans if p.spec is not None},
    )
    return NextSweep(
        config=config,
        yaml=text,
        decisions=decisions_table(plans),
        plans=tuple(plans),
        metric=metric,
        direction=direction,
        n_kept=int(mask.sum()),
        n_runs=len(sweep.runs),
        origin=origin,
        problems=tuple(validate_sweep_config(config)),
    )
