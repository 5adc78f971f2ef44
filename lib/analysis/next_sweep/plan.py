"""One parameter of the next sweep: the planning rules of the package docstring, with the reason."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lib.analysis.next_sweep.describe import (
    FIXED_DIGITS,
    LISTED_DIGITS,
    describe_runs,
    describe_spec,
    format_value,
    level_label,
    level_table,
    plain_value,
    rounded_number,
    typed_number,
)
from lib.analysis.next_sweep.ranges import clipped, integer_range, widened_range
from lib.columns import Kind
from lib.sweep import Sweep
from lib.sweep_config import LOG_DISTRIBUTIONS, ParameterSpec, range_bounds, spec_distribution
from lib.values import reads_as_numbers, real_numbers

DISCRETE_MAX_LEVELS = 8  # with no sweep config, numbers with this few distinct values stay a list
INTEGER_CANDIDATES = frozenset({Kind.INTEGER, Kind.LOG, Kind.IDENTIFIER, Kind.CONSTANT})


class NextSweepError(ValueError):
    """The next sweep cannot be built from this selection; the message says what to change."""


class NoKeptRunsError(NextSweepError):
    """No run is kept, so there is no region to narrow the sweep to."""


@dataclass(frozen=True)
class Condition:
    """A parameter is set only for runs whose `parameter` takes one of `levels`."""

    parameter: str
    levels: tuple[Any, ...]

    def text(self) -> str:
        return f"{self.parameter} is {' or '.join(format_value(v) for v in self.levels)}"


@dataclass(frozen=True)
class ParameterPlan:
    """One parameter of the next sweep: its W&B spec (None when left out) at `path` in the nested
    config, how it was searched before (`was`), why it is what it is now, whether it is searched on
    a log scale, and when it applies (`condition`, for conditional parameters)."""

    name: str
    path: tuple[str, ...]
    kind: Kind | None
    spec: dict[str, Any] | None
    was: str
    why: str
    log: bool = False
    condition: Condition | None = None


@dataclass(frozen=True)
class PlanContext:
    sweep: Sweep
    kept: np.ndarray  # bool per run
    best_first: pd.Index  # kept run ids, best first by the metric
    originals: dict[str, ParameterSpec]
    importance: dict[str, float]
    min_importance: float
    signs_of_effect: Mapping[str, str]  # parameter -> why it may matter despite low importance
    fixed: Mapping[str, Any]
    margin: float


BEST = object()  # "fix this parameter at the best kept run's value"


def presence_condition(sweep: Sweep, name: str) -> Condition | None:
    """When `name` is set for only some runs and a categorical or boolean parameter separates them
    (momentum is set exactly when optimizer is sgd), that parameter and the levels that set it."""
    present = sweep.runs[name].notna().to_numpy()
    if present.all() or not present.any():
        return None
    for other in sweep.params:
        if (
            other == name
            or other not in sweep.runs
            or sweep.kind(other) not in (Kind.CATEGORICAL, Kind.BOOLEAN)
        ):
            continue
        column = sweep.runs[other]
        if column.isna().any():
            continue
        labels, first = level_table(column)
        setting = set(labels[present])
        if setting.isdisjoint(labels[~present]):
            return Condition(other, tuple(first[label] for label in sorted(setting)))
    return None


def best_value(ctx: PlanContext, name: str) -> Any:
    """The best kept run's value (the first kept run's in row order when none has the metric)."""
    values = ctx.sweep.runs.loc[ctx.best_first, name].dropna()
    return None if values.empty else values.iloc[0]


def _integer_valued(values: pd.Series) -> bool:
    """Every present value is a whole number (a column with gaps holds them as floats)."""
    numbers = real_numbers(values.dropna())
    return numbers.size > 0 and bool(np.all(numbers == np.round(numbers)))


def _original_is_integer(spec: Mapping[str, Any]) -> bool:
    return spec_distribution(spec) == "int_uniform"


def _numbers_form(
    ctx: PlanContext, name: str, original: ParameterSpec | None, numbers: np.ndarray
) -> tuple[bool, bool, bool]:
    """How to write a numeric parameter: (as a list of values, as integers, on a log scale)."""
    integer_valued = bool(np.all(numbers == np.round(numbers)))
    if original is not None and isinstance(original.spec.get("values"), list):
        return True, integer_valued, False
    if original is not None and range_bounds(original.spec) is not None:
        distribution = spec_distribution(original.spec)
        return False, _original_is_integer(original.spec), distribution in LOG_DISTRIBUTIONS
    kind = ctx.sweep.kind(name)
    all_numbers = real_numbers(ctx.sweep.runs[name])
    if original is None and np.unique(all_numbers[~np.isnan(all_numbers)]).size <= DISCRETE_MAX_LEVELS:
        return True, integer_valued, False
    return False, kind is Kind.INTEGER or (kind is Kind.LOG and integer_valued), kind is Kind.LOG


def _values_spec(values: Sequence[Any], original: ParameterSpec | None) -> list[Any]:
    """`values` as the original sweep wrote them where it lists them (keeping its types)."""
    listed = original.spec.get("values") if original is not None else None
    if not isinstance(listed, list):
        return list(values)
    by_label = {level_label(v): v for v in listed}
    return [by_label.get(level_label(v), v) for v in values]


def _numeric_plan(
    ctx: PlanContext, name: str, present: pd.Series, original: ParameterSpec | None
) -> tuple[dict[str, Any], bool, str]:
    numbers = real_numbers(present)
    numbers = numbers[~np.isnan(numbers)]
    as_values, integer, log = _numbers_form(ctx, name, original, numbers)
    if as_values:
        used = [rounded_number(v, integer, LISTED_DIGITS) for v in np.unique(numbers)]
        listed = "the original sweep listed values" if original is not None else "few distinct values"
        return {"values": _values_spec(used, original)}, False, f"the values the kept runs used ({listed})"
    low, high = float(numbers.min()), float(numbers.max())
    log = log and low > 0
    lo, hi = widened_range(low, high, ctx.margin, log)
    if integer:
        lo, hi = integer_range(low, high, (lo, hi))
    bounds = range_bounds(original.spec) if original is not None else None
    lo, hi, clip_note = clipped(lo, hi, bounds, integer)
    if bounds is None and low >= 0 > lo:
        lo, clip_note = 0, ", kept at 0 or more like every kept value"
    distribution = "int_uniform" if integer else "log_uniform_values" if log else "uniform"
    spec = {"distribution": distribution, "min": int(lo) if integer else float(lo)}
    spec["max"] = int(hi) if integer else float(hi)
    scale = " on the log scale" if log else ""
    why = (
        f"narrowed to the kept runs' range ({format_value(low)} – {format_value(high)}) "
        f"widened by {ctx.margin:.0%} on each side{scale}{clip_note}"
    )
    if integer and log:
        why += "; integers, so int_uniform (W&B has no integer log distribution)"
    return spec, log and (not integer or lo >= 1), why


def _levels_plan(
    ctx: PlanContext, name: str, present: pd.Series, original: ParameterSpec | None
) -> tuple[dict[str, Any], bool, str]:
    labels_of_runs, first_value = level_table(present)
    counts = pd.Series(labels_of_runs).value_counts(sort=True)
    listed = original.spec.get("values") if original is not None else None
    if isinstance(listed, list):
        order = {level_label(v): i for i, v in enumerate(listed)}
        labels = sorted(counts.index, key=lambda label: order.get(label, len(order)))
        every = [level_label(v) for v in listed]
    else:
        labels = list(counts.index)
        every = list(level_table(ctx.sweep.runs[name])[1])
    values = _values_spec([first_value[label] for label in labels], original)
    dropped = [label for label in every if label not in counts.index]
    why = f"the levels the kept runs used ({len(labels)} of {len(set(every) | set(labels))})"
    if dropped:
        why += f"; dropped {', '.join(dropped)}"
    return {"values": values}, False, why


def _conditional_note(n_present: int, n_kept: int, condition: Condition | None) -> str:
    if n_present == n_kept:
        return ""
    when = f", only when {condition.text()}" if condition else ""
    return (
        f"; set in {n_present} of {n_kept} kept runs{when}: W&B sweeps have no conditional "
        "parameters, so runs that do not use it ignore it"
    )


def _fixed_plan(ctx: PlanContext, name: str, integer: bool) -> tuple[dict[str, Any], str]:
    requested = ctx.fixed[name]
    if requested is not BEST:
        return {"value": plain_value(requested)}, "fixed by you"
    value = best_value(ctx, name)
    if value is None:
        raise NextSweepError(
            f"No kept run has a value for {name!r}, so it cannot be fixed at the best run's value: "
            "give the value to fix it at (fixed={name: value})."
        )
    fixed = rounded_number(value, integer, FIXED_DIGITS)
    return {"value": fixed}, "fixed by you at the best kept run's value"


def plan_parameter(ctx: PlanContext, name: str) -> ParameterPlan:
    """The next sweep's entry for one parameter, with the reason (rules in the module docstring)."""
    original = ctx.originals.get(name)
    path = original.path if original is not None else tuple(name.split("."))
    in_runs = name in ctx.sweep.runs
    kind = ctx.sweep.kind(name) if in_runs else None
    was = describe_spec(original.spec) if original is not None else describe_runs(ctx.sweep, name)

    def plan(
        spec: dict[str, Any] | None, why: str, log: bool = False, condition: Condition | None = None
    ) -> ParameterPlan:
        return ParameterPlan(name, path, kind, spec, was, why, log, condition)

    integer = (original is not None and _original_is_integer(original.spec)) or (
        in_runs and kind in INTEGER_CANDIDATES and _integer_valued(ctx.sweep.runs[name])
    )
    if name in ctx.fixed and (in_runs or ctx.fixed[name] is not BEST):
        return plan(*_fixed_plan(ctx, name, integer))
    if not in_runs:
        assert original is not None  # _chosen_params only lets known names through
        return plan(dict(original.spec), "copied from the original sweep: no run recorded it")
    kept_values = ctx.sweep.runs.loc[ctx.kept, name]
    present = kept_values.dropna()
    condition = presence_condition(ctx.sweep, name)
    if present.empty:
        when = f" (it is set only when {condition.text()})" if condition else ""
        return plan(None, f"no kept run has a value{when}: left out", condition=condition)
    if kind is Kind.IDENTIFIER:
        why = (
            "an identifier (e.g. a seed), not a hyperparameter to search: left out, so the training script "
            "sets it as before (fix it with `fixed` to give every run the same one)"
        )
        return plan(None, why, condition=condition)
    note = _conditional_note(len(present), len(kept_values), condition)
    importance = ctx.importance.get(name)
    low_importance = importance is not None and importance < ctx.min_importance
    if low_importance and name in ctx.signs_of_effect:
        note += (
            f"; searched although its importance {importance:.3f} is below {ctx.min_importance:g}: "
            f"{ctx.signs_of_effect[name]}"
        )
    elif low_importance and importance is not None:
        value = rounded_number(best_value(ctx, name), integer, FIXED_DIGITS)
        why = (
            f"fixed at the best kept run's value: importance {importance:.3f} is below {ctx.min_importance:g}"
        )
        return plan({"value": value}, why + note, condition=condition)
    if len(level_table(present)[1]) == 1:
        value = typed_number(present.iloc[0], integer)
        who = "the only kept run" if len(kept_values) == 1 else "every kept run"
        who += " with a value" if len(present) < len(kept_values) else ""
        return plan({"value": value}, f"{who} used {format_value(value)}{note}", condition=condition)
    if reads_as_numbers(ctx.sweep, name):
        spec, log, why = _numeric_plan(ctx, name, present, original)
    else:
        spec, log, why = _levels_plan(ctx, name, present, original)
    return plan(spec, why + note, log, condition)
