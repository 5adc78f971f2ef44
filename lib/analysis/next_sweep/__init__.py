"""The next sweep: the promising region as a W&B sweep configuration and an Optuna search space.

Each parameter becomes one entry of a `method: bayes` sweep (rules, in order):
- fixed by the caller, shared by every kept run, or less important than `min_importance`:
  `value:` (the caller's value, else the best kept run's);
- numbers the original sweep listed as `values:` (or, with no sweep config, that took at most
  `DISCRETE_MAX_LEVELS` distinct values), categoricals and booleans: `values:` the kept runs used;
- other numbers: the kept runs' range widened on each side by `margin` (a share of that range,
  taken on the log10 scale for log-scaled parameters), rounded outward to 3 significant digits and
  clipped to the original sweep's bounds when its config gives them: `log_uniform_values` for
  log-scaled numbers, `int_uniform` for integers (log-scaled ones too: W&B has no integer log
  distribution), `uniform` otherwise;
- conditional parameters (set for only some runs, e.g. momentum only for sgd): W&B sweeps have no
  conditionals, so the kept runs' range is included with a comment (runs that do not use it ignore
  it), and the Optuna snippet sets it under an `if`; one that no kept run has is left out.
When the sweep's own config is known, its parameters are the ones written (other varying config
keys are listed as left out), its `program`/`command` are carried over, and dotted names keep its
nesting; otherwise `model.hidden` is written as W&B's nested `parameters:` block.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import yaml

from lib.analysis.next_sweep.quoting import comment_lines, python_literal, yaml_block, yaml_key
from lib.columns import Direction, Kind, scalar_for_cell
from lib.filters import best_first_positions
from lib.sweep import RUN_SWEEP, Sweep
from lib.values import compact_number, reads_as_numbers, real_numbers

DEFAULT_MARGIN = 0.1
DEFAULT_MIN_IMPORTANCE = 0.02
DISCRETE_MAX_LEVELS = 8  # with no sweep config, numbers with this few distinct values stay a list
SIGNIFICANT_DIGITS = 3
METHODS = ("bayes", "random")
CARRIED_KEYS = ("program", "command")
DECISION_COLUMNS = ["parameter", "kind", "was", "now", "why"]
LEFT_OUT = "(left out)"

# What W&B documents for a sweep configuration (docs.wandb.ai, "Sweep configuration options").
TOP_LEVEL_KEYS = frozenset(
    {
        "program",
        "entity",
        "project",
        "description",
        "name",
        "method",
        "metric",
        "parameters",
        "early_terminate",
        "command",
        "run_cap",
    }
)
SWEEP_METHODS = ("grid", "random", "bayes")
METRIC_KEYS = frozenset({"name", "goal", "target"})
GOALS = ("minimize", "maximize")
HYPERBAND_KEYS = frozenset({"type", "min_iter", "max_iter", "s", "eta", "strict"})
PARAMETER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
BOUNDS = frozenset({"min", "max"})
# distribution -> (keys it needs, keys it may have); `distribution` itself is always allowed
DISTRIBUTIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "constant": (frozenset({"value"}), frozenset()),
    "categorical": (frozenset({"values"}), frozenset({"probabilities"})),
    "int_uniform": (BOUNDS, frozenset()),
    "uniform": (BOUNDS, frozenset()),
    "q_uniform": (BOUNDS, frozenset({"q"})),
    "log_uniform": (BOUNDS, frozenset()),
    "log_uniform_values": (BOUNDS, frozenset()),
    "q_log_uniform": (BOUNDS, frozenset({"q"})),
    "q_log_uniform_values": (BOUNDS, frozenset({"q"})),
    "inv_log_uniform": (BOUNDS, frozenset()),
    "inv_log_uniform_values": (BOUNDS, frozenset()),
    "normal": (frozenset(), frozenset({"mu", "sigma"})),
    "q_normal": (frozenset(), frozenset({"mu", "sigma", "q"})),
    "log_normal": (frozenset(), frozenset({"mu", "sigma"})),
    "q_log_normal": (frozenset(), frozenset({"mu", "sigma", "q"})),
    "beta": (frozenset(), frozenset({"a", "b"})),
    "q_beta": (frozenset(), frozenset({"a", "b", "q"})),
}
POSITIVE_MIN_DISTRIBUTIONS = frozenset(
    {"log_uniform_values", "q_log_uniform_values", "inv_log_uniform_values"}
)
EXPONENT_DISTRIBUTIONS = frozenset({"log_uniform", "q_log_uniform", "inv_log_uniform"})  # min/max are ln(x)
LOG_DISTRIBUTIONS = POSITIVE_MIN_DISTRIBUTIONS | EXPONENT_DISTRIBUTIONS
GRID_DISTRIBUTIONS = frozenset({"constant", "categorical", "int_uniform", "q_uniform"})
PLAIN_TYPES = (str, int, float, bool, type(None))
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


@dataclass(frozen=True)
class OriginalSpec:
    """A parameter as the original sweep config searched it: its nesting path and spec."""

    path: tuple[str, ...]
    spec: dict[str, Any]


@dataclass(frozen=True)
class _Context:
    sweep: Sweep
    kept: np.ndarray  # bool per run
    best_first: pd.Index  # kept run ids, best first by the metric
    originals: dict[str, OriginalSpec]
    importance: dict[str, float]
    min_importance: float
    fixed: Mapping[str, Any]
    margin: float


_BEST = object()  # "fix this parameter at the best kept run's value"


# ---------------------------------------------------------------------------------------------
# Plain values and text


def plain_value(value: Any) -> Any:
    """A config value as a plain Python value YAML can write: numpy scalars unwrapped, NaN as None,
    lists that a source stored as JSON text (`"[64, 64]"`) back to lists."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str) and value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return parsed if isinstance(parsed, list) else value
    if isinstance(value, list):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain_value(v) for k, v in value.items()}
    return value if isinstance(value, PLAIN_TYPES) else str(value)


def _typed_number(value: Any, integer: bool) -> Any:
    value = plain_value(value)
    if integer and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return compact_number(value, SIGNIFICANT_DIGITS)
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def _level_label(value: Any) -> str:
    return str(scalar_for_cell(plain_value(value)))


def level_table(values: pd.Series) -> tuple[np.ndarray, dict[str, Any]]:
    """Each value's level label (None when missing) and each label's first value as a plain value;
    labels are worked out once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = [_level_label(u) for u in uniques]
    labels = np.array([*distinct, None], dtype=object)[codes]  # code -1 (missing) picks None
    first: dict[str, Any] = {}
    for label, value in zip(distinct, uniques, strict=True):
        first.setdefault(label, plain_value(value))
    return labels, first


def spec_distribution(spec: Mapping[str, Any]) -> str | None:
    """The distribution a parameter spec names, or the one W&B infers from its keys."""
    if "distribution" in spec:
        return str(spec["distribution"])
    if "value" in spec:
        return "constant"
    if "values" in spec:
        return "categorical"
    low, high = spec.get("min"), spec.get("max")
    if _is_number(low) and _is_number(high):
        return "int_uniform" if isinstance(low, int) and isinstance(high, int) else "uniform"
    return None


def describe_spec(spec: Mapping[str, Any], max_levels: int = 8) -> str:
    """A parameter spec in a few words: `fixed at 2`, `one of adam, sgd`, `uniform 0.5 – 0.9`."""
    if "value" in spec:
        return f"fixed at {format_value(spec['value'])}"
    if "values" in spec and isinstance(spec["values"], list):
        shown = ", ".join(format_value(v) for v in spec["values"][:max_levels])
        return f"one of {shown}{', …' if len(spec['values']) > max_levels else ''}"
    distribution = spec_distribution(spec)
    if {"min", "max"} <= set(spec):
        return f"{distribution} {format_value(spec['min'])} – {format_value(spec['max'])}"
    return yaml.safe_dump(dict(spec), default_flow_style=True, sort_keys=False).strip()


def _describe_runs(sweep: Sweep, name: str) -> str:
    values = sweep.runs[name].dropna() if name in sweep.runs else pd.Series(dtype=object)
    if values.empty:
        return "no run has a value"
    if reads_as_numbers(sweep, name):
        numbers = real_numbers(values)
        return (
            f"runs used {format_value(float(np.nanmin(numbers)))} – {format_value(float(np.nanmax(numbers)))}"
        )
    return describe_spec({"values": list(level_table(values)[1])}).replace("one of", "runs used", 1)


# ---------------------------------------------------------------------------------------------
# The original sweep's search space


def _is_nested_spec(spec: Any) -> bool:
    return isinstance(spec, Mapping) and isinstance(spec.get("parameters"), Mapping)


def flat_parameter_specs(config: Mapping[str, Any]) -> dict[str, OriginalSpec]:
    """A sweep config's parameters by dotted name, nested `parameters:` blocks unfolded."""
    found: dict[str, OriginalSpec] = {}

    def walk(parameters: Any, path: tuple[str, ...]) -> None:
        if not isinstance(parameters, Mapping):
            return
        for key, spec in parameters.items():
            full = (*path, str(key))
            if _is_nested_spec(spec):
                walk(spec["parameters"], full)
            elif isinstance(spec, Mapping):
                found[".".join(full)] = OriginalSpec(full, dict(spec))

    walk(config.get("parameters"), ())
    return found


def original_configs(sweep: Sweep) -> list[dict[str, Any]]:
    """The sweep configs behind these runs, the sweep with the most runs first (all configs when
    the runs do not say which sweep they belong to)."""
    configs = {str(k): v for k, v in sweep.sweep_configs.items() if isinstance(v, Mapping)}
    if RUN_SWEEP in sweep.runs:
        counts = sweep.runs[RUN_SWEEP].dropna().astype(str).value_counts()
        used = [dict(configs[s]) for s in counts.index if s in configs]
        if used:
            return used
    return [dict(c) for c in configs.values()]


def range_bounds(spec: Mapping[str, Any]) -> tuple[float, float] | None:
    """A range spec's bounds in the parameter's own units (exponent forms converted); else None."""
    distribution = spec_distribution(spec)
    low, high = spec.get("min"), spec.get("max")
    if distribution in ("categorical", "constant") or not (_is_number(low) and _is_number(high)):
        return None
    if distribution in EXPONENT_DISTRIBUTIONS:
        return math.exp(low), math.exp(high)
    return float(low), float(high)


def _union(first: Iterable[Any], second: Iterable[Any]) -> list[Any]:
    merged: dict[str, Any] = {}
    for value in [*first, *second]:
        merged.setdefault(_level_label(value), value)
    return list(merged.values())


def _merged_spec(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Two sweeps' specs of one parameter as one space: values united, same-kind ranges widened."""
    if isinstance(first.get("values"), list) and isinstance(second.get("values"), list):
        return {**first, "values": _union(first["values"], second["values"])}
    same_kind = spec_distribution(first) == spec_distribution(second)
    if same_kind and range_bounds(first) is not None and range_bounds(second) is not None:
        return {**first, "min": min(first["min"], second["min"]), "max": max(first["max"], second["max"])}
    return first


def original_space(sweep: Sweep) -> dict[str, OriginalSpec]:
    """The original search space by dotted name, united over the sweeps behind the runs."""
    merged: dict[str, OriginalSpec] = {}
    for config in original_configs(sweep):
        for name, original in flat_parameter_specs(config).items():
            if name in merged:
                original = OriginalSpec(merged[name].path, _merged_spec(merged[name].spec, original.spec))
            merged[name] = original
    return merged


def _carried_over(configs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """`program` and `command` from the first original config that has them."""
    for config in configs:
        carried = {key: plain_value(config[key]) for key in CARRIED_KEYS if key in config}
        if carried:
            return carried
    return {}


# ---------------------------------------------------------------------------------------------
# Conditional parameters and the best run


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


def _best_value(ctx: _Context, name: str) -> Any:
    """The best kept run's value (the first kept run's in row order when none has the metric)."""
    values = ctx.sweep.runs.loc[ctx.best_first, name].dropna()
    return None if values.empty else values.iloc[0]


# ---------------------------------------------------------------------------------------------
# Narrowing


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _floor_to(x: float, quantum: float) -> float:
    return round(math.floor(x / quantum) * quantum, max(0, -math.floor(math.log10(quantum))))


def _ceil_to(x: float, quantum: float) -> float:
    return round(math.ceil(x / quantum) * quantum, max(0, -math.floor(math.log10(quantum))))


def _significant_quantum(x: float) -> float:
    return 10.0 ** (math.floor(math.log10(abs(x))) - (SIGNIFICANT_DIGITS - 1))


def widened_range(low: float, high: float, margin: float, log: bool) -> tuple[float, float]:
    """`[low, high]` widened by `margin` of its span on each side (on the log10 scale when `log`),
    then rounded outward to `SIGNIFICANT_DIGITS` (of each bound when `log`, of the span if not)."""
    if log:
        a, b = math.log10(low), math.log10(high)
        pad = margin * (b - a)
        lo, hi = 10.0 ** (a - pad), 10.0 ** (b + pad)
        return _floor_to(lo, _significant_quantum(lo)), _ceil_to(hi, _significant_quantum(hi))
    pad = margin * (high - low)
    lo, hi = low - pad, high + pad
    quantum = _significant_quantum(hi - lo)
    return _floor_to(lo, quantum), _ceil_to(hi, quantum)


def _integer_range(low: float, high: float, widened: tuple[float, float]) -> tuple[int, int]:
    """Integer bounds of a widened range that still hold every kept value."""
    lo = min(int(low), math.floor(widened[0] + 0.5))
    hi = max(int(high), math.floor(widened[1] + 0.5))
    return (max(lo, 1) if low >= 1 else lo), hi


def _clipped(
    lo: float, hi: float, bounds: tuple[float, float] | None, integer: bool
) -> tuple[float, float, str]:
    """The range clipped to the original sweep's bounds, with a note of what happened."""
    if bounds is None:
        return lo, hi, ""
    low_bound, high_bound = bounds
    if integer:
        low_bound, high_bound = math.ceil(low_bound), math.floor(high_bound)
    new_lo, new_hi = max(lo, low_bound), min(hi, high_bound)
    if new_lo >= new_hi:
        return lo, hi, "; the kept runs lie outside the original range, so it is not clipped"
    if (new_lo, new_hi) == (lo, hi):
        return lo, hi, ""
    return new_lo, new_hi, ", clipped to the original range"


def _integer_valued(values: pd.Series) -> bool:
    """Every present value is a whole number (a column with gaps holds them as floats)."""
    numbers = real_numbers(values.dropna())
    return numbers.size > 0 and bool(np.all(numbers == np.round(numbers)))


def _original_is_integer(spec: Mapping[str, Any]) -> bool:
    return spec_distribution(spec) == "int_uniform"


def _numbers_form(
    ctx: _Context, name: str, original: OriginalSpec | None, numbers: np.ndarray
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


def _values_spec(values: Sequence[Any], original: OriginalSpec | None) -> list[Any]:
    """`values` as the original sweep wrote them where it lists them (keeping its types)."""
    listed = original.spec.get("values") if original is not None else None
    if not isinstance(listed, list):
        return list(values)
    by_label = {_level_label(v): v for v in listed}
    return [by_label.get(_level_label(v), v) for v in values]


def _numeric_plan(
    ctx: _Context, name: str, present: pd.Series, original: OriginalSpec | None
) -> tuple[dict[str, Any], bool, str]:
    numbers = real_numbers(present)
    numbers = numbers[~np.isnan(numbers)]
    as_values, integer, log = _numbers_form(ctx, name, original, numbers)
    if as_values:
        used = [_typed_number(v, integer) for v in np.unique(numbers)]
        listed = "the original sweep listed values" if original is not None else "few distinct values"
        return {"values": _values_spec(used, original)}, False, f"the values the kept runs used ({listed})"
    low, high = float(numbers.min()), float(numbers.max())
    log = log and low > 0
    lo, hi = widened_range(low, high, ctx.margin, log)
    if integer:
        lo, hi = _integer_range(low, high, (lo, hi))
    bounds = range_bounds(original.spec) if original is not None else None
    lo, hi, clip_note = _clipped(lo, hi, bounds, integer)
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
    ctx: _Context, name: str, present: pd.Series, original: OriginalSpec | None
) -> tuple[dict[str, Any], bool, str]:
    labels_of_runs, first_value = level_table(present)
    counts = pd.Series(labels_of_runs).value_counts(sort=True)
    listed = original.spec.get("values") if original is not None else None
    if isinstance(listed, list):
        order = {_level_label(v): i for i, v in enumerate(listed)}
        labels = sorted(counts.index, key=lambda label: order.get(label, len(order)))
        every = [_level_label(v) for v in listed]
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


def _fixed_plan(ctx: _Context, name: str, integer: bool) -> tuple[dict[str, Any], str]:
    requested = ctx.fixed[name]
    if requested is not _BEST:
        return {"value": plain_value(requested)}, "fixed by you"
    value = _best_value(ctx, name)
    if value is None:
        raise NextSweepError(
            f"No kept run has a value for {name!r}, so it cannot be fixed at the best run's value: "
            "give the value to fix it at (fixed={name: value})."
        )
    return {"value": _typed_number(value, integer)}, "fixed by you at the best kept run's value"


def plan_parameter(ctx: _Context, name: str) -> ParameterPlan:
    """The next sweep's entry for one parameter, with the reason (rules in the module docstring)."""
    original = ctx.originals.get(name)
    path = original.path if original is not None else tuple(name.split("."))
    in_runs = name in ctx.sweep.runs
    kind = ctx.sweep.kind(name) if in_runs else None
    was = describe_spec(original.spec) if original is not None else _describe_runs(ctx.sweep, name)

    def plan(
        spec: dict[str, Any] | None, why: str, log: bool = False, condition: Condition | None = None
    ) -> ParameterPlan:
        return ParameterPlan(name, path, kind, spec, was, why, log, condition)

    integer = (original is not None and _original_is_integer(original.spec)) or (
        in_runs and kind in INTEGER_CANDIDATES and _integer_valued(ctx.sweep.runs[name])
    )
    if name in ctx.fixed and (in_runs or ctx.fixed[name] is not _BEST):
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
    if importance is not None and importance < ctx.min_importance:
        value = _typed_number(_best_value(ctx, name), integer)
        why = (
            f"fixed at the best kept run's value: importance {importance:.3f} is below {ctx.min_importance:g}"
        )
        return plan({"value": value}, why + note, condition=condition)
    if len(level_table(present)[1]) == 1:
        value = _typed_number(present.iloc[0], integer)
        who = "the only kept run" if len(kept_values) == 1 else "every kept run"
        who += " with a value" if len(present) < len(kept_values) else ""
        return plan({"value": value}, f"{who} used {format_value(value)}{note}", condition=condition)
    if reads_as_numbers(ctx.sweep, name):
        spec, log, why = _numeric_plan(ctx, name, present, original)
    else:
        spec, log, why = _levels_plan(ctx, name, present, original)
    return plan(spec, why + note, log, condition)


# ---------------------------------------------------------------------------------------------
# The config and its YAML


def _nested_node(tree: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any] | None:
    node = tree
    for key in path:
        child = node.setdefault(key, {"parameters": {}})
        if not _is_nested_spec(child):
            return None
        node = child["parameters"]
    return node


def nest_parameters(entries: Iterable[tuple[tuple[str, ...], dict[str, Any]]]) -> dict[str, Any]:
    """Specs at nested paths as W&B's `parameters:` tree: ("model", "hidden") goes to
    `{model: {parameters: {hidden: spec}}}`. A path that would nest under a plain parameter is
    written as one dotted name instead."""
    tree: dict[str, Any] = {}
    for path, spec in entries:
        node = _nested_node(tree, path[:-1])
        if node is None:
            tree[".".join(path)] = spec
        else:
            node[path[-1]] = spec
    return tree


def _parameter_lines(
    tree: Mapping[str, Any], comments: Mapping[str, str], indent: int, prefix: str
) -> list[str]:
    lines: list[str] = []
    for key, spec in tree.items():
        name = f"{prefix}{key}"
        if comments.get(name):
            lines += comment_lines(comments[name], indent)
        lines += yaml_key(key, indent)
        if _is_nested_spec(spec) and set(spec) == {"parameters"}:
            lines.append(f"{' ' * (indent + 2)}parameters:")
            lines += _parameter_lines(spec["parameters"], comments, indent + 4, f"{name}.")
        else:
            lines += yaml_block(spec, indent + 2)
    return lines


def to_yaml(config: Mapping[str, Any], *, header: str = "", comments: Mapping[str, str] | None = None) -> str:
    """The config as YAML for `wandb sweep`, `header` as leading comment lines and `comments[name]`
    above parameter `name` (dotted for nested ones). `yaml.safe_load` gives `config` back."""
    lines = [line for text in header.splitlines() for line in comment_lines(text) or ["#"]]
    for key, value in config.items():
        if key == "parameters" and isinstance(value, Mapping):
            lines.append("parameters:")
            lines += _parameter_lines(value, comments or {}, 2, "")
        else:
            lines += yaml_block({key: value}, 0)
    return "\n".join(lines) + "\n"


def _header(origin: str, config: Mapping[str, Any]) -> str:
    lines = [
        "Next W&B sweep, narrowed by Sweepscope to the promising region.",
        origin,
        "Start it with `wandb sweep next_sweep.yaml`, then run the `wandb agent` line it prints.",
    ]
    if not any(key in config for key in CARRIED_KEYS):
        lines.append(
            "The original sweep's program is unknown: add `program: train.py` (your training script), "
            "or pass this config to wandb.sweep() and run wandb.agent(sweep_id, function=train)."
        )
    return "\n".join(lines)


def _decisions(plans: Sequence[ParameterPlan]) -> pd.DataFrame:
    rows = [
        {
            "parameter": p.name,
            "kind": p.kind.value if p.kind is not None else "",
            "was": p.was,
            "now": describe_spec(p.spec) if p.spec is not None else LEFT_OUT,
            "why": p.why,
        }
        for p in plans
    ]
    return pd.DataFrame(rows, columns=DECISION_COLUMNS)


# ---------------------------------------------------------------------------------------------
# Building the next sweep


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
        return {fixed: _BEST}
    return dict.fromkeys(map(str, fixed), _BEST)


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
    originals: Mapping[str, OriginalSpec],
    fixed: Mapping[str, Any],
) -> tuple[list[str], list[str]]:
    """(parameters to write, varying config keys left out because the original sweep lacks them)."""
    unknown_fixed = [p for p, value in fixed.items() if value is _BEST and p not in sweep.runs]
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
        name, tuple(name.split(".")), sweep.kind(name), None, _describe_runs(sweep, name), why
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
) -> NextSweep:
    """A W&B sweep over the region of the runs in `kept` (a bool mask over `sweep.runs`).

    `params`: the parameters to write (default: the original sweep config's, else the analysable
    ones); `fixed`: names to fix at the best kept run's value, or a mapping name -> value;
    `importance`: a table with `parameter` and `importance` columns; parameters below
    `min_importance` are fixed; `margin`: share of the kept range added on each side; `selection`:
    how the runs were kept, for the YAML header (e.g. "best 10% by val_accuracy").
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
    ctx = _Context(
        sweep=sweep,
        kept=mask,
        best_first=kept_runs.index[best_first_positions(kept_runs[metric], direction)],
        originals=originals,
        importance=_importance_map(importance),
        min_importance=min_importance,
        fixed=fixed_map,
        margin=margin,
    )
    chosen, left_out = _chosen_params(sweep, params, originals, fixed_map)
    plans = [plan_parameter(ctx, name) for name in chosen] + [_left_out_plan(sweep, n) for n in left_out]
    written = [p for p in plans if p.spec is not None]
    if not written:
        raise NextSweepError(
            "No parameter can be written: no kept run has a value for any of them. Keep other runs, or "
            "name the parameters to use."
        )
    config: dict[str, Any] = {
        **_carried_over(configs),
        "method": method,
        "metric": {"name": metric, "goal": direction.value},
        "parameters": nest_parameters((p.path, p.spec) for p in written),
    }
    origin = _origin(sweep, int(mask.sum()), metric, direction, selection)
    text = to_yaml(config, header=_header(origin, config), comments={p.name: p.why for p in written})
    return NextSweep(
        config=config,
        yaml=text,
        decisions=_decisions(plans),
        plans=tuple(plans),
        metric=metric,
        direction=direction,
        n_kept=int(mask.sum()),
        n_runs=len(sweep.runs),
        origin=origin,
        problems=tuple(validate_sweep_config(config)),
    )


# ---------------------------------------------------------------------------------------------
# Optuna


def _optuna_suggestion(plan: ParameterPlan) -> str | None:
    """The right-hand side that draws `plan`'s value in Optuna, or None if it has no equivalent."""
    spec, name = plan.spec or {}, python_literal(plan.name)
    distribution = spec_distribution(spec)
    if distribution == "constant":
        return python_literal(spec["value"])
    if distribution == "categorical":
        values = spec["values"]
        if all(isinstance(v, PLAIN_TYPES) for v in values):
            return f"trial.suggest_categorical({name}, {python_literal(values)})"
        by_text = {json.dumps(v): v for v in values}
        return (
            f"{python_literal(by_text)}[trial.suggest_categorical({name}, {python_literal(list(by_text))})]"
        )
    bounds = range_bounds(spec)
    if bounds is None:
        return None
    low, high = bounds
    if distribution == "int_uniform":
        return f"trial.suggest_int({name}, {int(low)}, {int(high)}{', log=True' if plan.log else ''})"
    log = ", log=True" if distribution in LOG_DISTRIBUTIONS else ""
    return f"trial.suggest_float({name}, {python_literal(low)}, {python_literal(high)}{log})"


def _optuna_lines(plan: ParameterPlan, indent: int) -> list[str]:
    pad = " " * indent
    suggestion = _optuna_suggestion(plan)
    if suggestion is None:
        return comment_lines(
            f"{plan.name}: {describe_spec(plan.spec or {})} has no Optuna equivalent here; set it", indent
        )
    return [f"{pad}params[{python_literal(plan.name)}] = {suggestion}"]


def optuna_snippet(next_sweep: NextSweep) -> str:
    """The same region as Optuna code: `suggest(trial)` returns the parameters by dotted name
    (conditional ones set under an `if`, as Optuna allows) and `objective` calls your training."""
    written = [p for p in next_sweep.plans if p.spec is not None]
    names = {p.name for p in written}
    lines = [
        *comment_lines(next_sweep.origin),
        "import optuna",
        "",
        "",
        "def suggest(trial: optuna.Trial) -> dict:",
    ]
    lines += ['    """Parameters by config name; dotted names are nested config keys."""', "    params = {}"]
    conditional = [p for p in written if p.condition is not None and p.condition.parameter in names]
    for plan in written:
        if plan not in conditional:
            lines += _optuna_lines(plan, 4)
    for plan in conditional:
        assert plan.condition is not None
        levels = python_literal(list(plan.condition.levels))
        lines.append(f"    if params[{python_literal(plan.condition.parameter)}] in {levels}:")
        lines += _optuna_lines(plan, 8)
    lines += [
        "    return params",
        "",
        "",
        "def objective(trial: optuna.Trial) -> float:",
        "    params = suggest(trial)",
        *comment_lines(f"your training: return {next_sweep.metric}", 4),
        "    return train_and_evaluate(params)",
        "",
        "",
        f"study = optuna.create_study(direction={python_literal(next_sweep.direction.value)})",
        "# study.optimize(objective, n_trials=50)",
    ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Validation against W&B's documented sweep keys


def _non_plain(value: Any, where: str) -> list[str]:
    if isinstance(value, Mapping):
        if type(value) is not dict:
            return [f"{where}: {type(value).__name__} is not a plain dict"]
        return [p for k, v in value.items() for p in _non_plain(v, f"{where}.{k}")]
    if isinstance(value, list | tuple):
        if type(value) is not list:
            return [f"{where}: {type(value).__name__} is not a plain list"]
        return [p for i, v in enumerate(value) for p in _non_plain(v, f"{where}[{i}]")]
    if type(value) not in PLAIN_TYPES:
        return [f"{where}: {type(value).__name__} is not a plain YAML value (str, int, float, bool, null)"]
    if isinstance(value, float) and not math.isfinite(value):
        return [f"{where}: {value} is not a finite number"]
    return []


def _check_numbers(spec: Mapping[str, Any], where: str, distribution: str) -> list[str]:
    problems = [
        f"{where}: {key} must be a finite number (got {spec[key]!r})"
        for key in ("min", "max", "q", "mu", "sigma", "a", "b")
        if key in spec and not _is_number(spec[key])
    ]
    if problems:
        return problems
    if distribution == "int_uniform" and not all(type(spec[k]) is int for k in ("min", "max")):
        problems.append(
            f"{where}: int_uniform needs integer min and max (got {spec['min']!r}, {spec['max']!r})"
        )
    if {"min", "max"} <= set(spec) and not spec["min"] < spec["max"]:
        problems.append(f"{where}: min ({spec['min']}) must be below max ({spec['max']})")
    if distribution in POSITIVE_MIN_DISTRIBUTIONS and "min" in spec and not spec["min"] > 0:
        problems.append(f"{where}: {distribution} needs min > 0 (got {spec['min']})")
    problems += [f"{where}: {k} must be > 0" for k in ("q",) if k in spec and not spec[k] > 0]
    problems += [f"{where}: {k} must be >= 0" for k in ("sigma", "a", "b") if k in spec and spec[k] < 0]
    return problems


def _check_values(spec: Mapping[str, Any], where: str) -> list[str]:
    values = spec.get("values")
    if not isinstance(values, list) or not values:
        return [f"{where}: values must be a non-empty list"]
    probabilities = spec.get("probabilities")
    if probabilities is None:
        return []
    if not isinstance(probabilities, list) or len(probabilities) != len(values):
        return [f"{where}: probabilities must be a list as long as values"]
    if not all(_is_number(p) and p >= 0 for p in probabilities):
        return [f"{where}: probabilities must be numbers >= 0"]
    return []


def _check_parameter(spec: Any, where: str, method: Any) -> list[str]:
    if not isinstance(spec, Mapping):
        return [f"{where}: a parameter must be a mapping (value, values, distribution, ...)"]
    if "parameters" in spec:
        if set(spec) != {"parameters"}:
            return [f"{where}: a nested parameter holds only `parameters` (got {', '.join(map(str, spec))})"]
        return _check_parameters(spec["parameters"], f"{where}.parameters", method)
    distribution = spec_distribution(spec)
    if distribution is None:
        return [f"{where}: give value, values, min/max or a distribution"]
    if distribution not in DISTRIBUTIONS:
        return [f"{where}: unknown distribution {distribution!r}"]
    needed, optional = DISTRIBUTIONS[distribution]
    problems = [f"{where}: {distribution} needs {key}" for key in sorted(needed - set(spec))]
    extra = set(map(str, spec)) - needed - optional - {"distribution"}
    problems += [f"{where}: unknown key {key!r} for {distribution}" for key in sorted(extra)]
    if problems:
        return problems
    if distribution == "categorical":
        problems += _check_values(spec, where)
    problems += _check_numbers(spec, where, distribution)
    if method == "grid" and distribution not in GRID_DISTRIBUTIONS:
        problems.append(f"{where}: grid search cannot enumerate a {distribution} distribution")
    return problems


def _check_parameters(parameters: Any, where: str, method: Any) -> list[str]:
    if not isinstance(parameters, Mapping) or not parameters:
        return [f"{where}: must be a non-empty mapping of parameter names to specs"]
    problems = []
    for name, spec in parameters.items():
        if not isinstance(name, str) or not PARAMETER_NAME.match(name):
            problems.append(f"{where}: {name!r} is not a valid parameter name (letters, digits, _ . -)")
        problems += _check_parameter(spec, f"{where}.{name}", method)
    return problems


def _check_metric(metric: Any) -> list[str]:
    if not isinstance(metric, Mapping):
        return ["metric: must be a mapping with name (and goal, target)"]
    problems = [f"metric: unknown key {k!r}" for k in sorted(set(map(str, metric)) - METRIC_KEYS)]
    if not isinstance(metric.get("name"), str) or not metric.get("name"):
        problems.append("metric: needs a name")
    if "goal" in metric and metric["goal"] not in GOALS:
        problems.append(f"metric: goal must be minimize or maximize (got {metric['goal']!r})")
    if "target" in metric and not _is_number(metric["target"]):
        problems.append("metric: target must be a number")
    return problems


def _check_early_terminate(value: Any) -> list[str]:
    if not isinstance(value, Mapping) or value.get("type") != "hyperband":
        return ["early_terminate: must be a mapping with type: hyperband"]
    problems = [f"early_terminate: unknown key {k!r}" for k in sorted(set(map(str, value)) - HYPERBAND_KEYS)]
    if "min_iter" not in value and not {"max_iter", "s"} <= set(value):
        problems.append("early_terminate: needs min_iter, or max_iter and s")
    return problems


def _check_top_level(config: Mapping[str, Any]) -> list[str]:
    problems = [f"unknown top-level key {k!r}" for k in config if k not in TOP_LEVEL_KEYS]
    problems += [
        f"{key}: must be text"
        for key in ("program", "entity", "project", "description", "name")
        if key in config and not isinstance(config[key], str)
    ]
    command = config.get("command")
    if command is not None and (
        not isinstance(command, list) or not all(isinstance(c, str) for c in command)
    ):
        problems.append("command: must be a list of strings")
    run_cap = config.get("run_cap")
    if run_cap is not None and not (type(run_cap) is int and run_cap > 0):
        problems.append("run_cap: must be a positive integer")
    return problems


def validate_sweep_config(config: Any) -> list[str]:
    """What is wrong with a W&B sweep configuration, checked against the keys, distributions and
    bounds W&B documents (its JSON schema does not ship with the wandb package); empty when valid.
    Only plain YAML types pass (no numpy scalars)."""
    if not isinstance(config, Mapping):
        return ["the sweep configuration must be a mapping"]
    problems = _non_plain(dict(config), "config")
    problems += _check_top_level(config)
    method = config.get("method")
    if method not in SWEEP_METHODS:
        problems.append(f"method: must be one of {', '.join(SWEEP_METHODS)} (got {method!r})")
    if "metric" in config:
        problems += _check_metric(config["metric"])
    elif method == "bayes":
        problems.append("metric: bayes search needs a metric to optimize")
    if "early_terminate" in config:
        problems += _check_early_terminate(config["early_terminate"])
    problems += _check_parameters(config.get("parameters"), "parameters", method)
    return problems
