"""Everything Sweepscope knows about W&B sweep configurations, with one meaning for each field.

A sweep config (`method`, `metric: {name, goal}`, `parameters`, ...) reaches us from the W&B API,
from the `wandb.sweep` copy inside a runs-table export, or as the config we generate for the next
sweep. Reading it happens here only:
- `config_metric(config)`: the metric a config names and its goal. A config without a `goal` states
  no direction (W&B's controller then minimizes; we do not guess the user's intent from that and
  fall back to the metric's name, as for any other metric).
- `metric_column(name, metrics)`: the column that holds that metric (`val_acc`, or `val_acc.max`
  when the runs table was exported under `define_metric`).
- `swept_parameters(config)`: the column names of the parameters a config sweeps, nested dotted.
Parameter specs (distributions, bounds, nesting) are read in `specs`; `validate_sweep_config`
checks a config against W&B's own JSON schema (`schema`, vendored in `wandb_schema/`) and the rules
the schema cannot state (`validation`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from lib.columns import Direction, guess_direction
from lib.sweep_config.specs import (
    EXPONENT_DISTRIBUTIONS,
    GRID_DISTRIBUTIONS,
    LOG_DISTRIBUTIONS,
    PLAIN_TYPES,
    POSITIVE_MIN_DISTRIBUTIONS,
    ParameterSpec,
    flat_parameter_specs,
    is_nested_spec,
    is_number,
    range_bounds,
    spec_distribution,
)
from lib.sweep_config.validation import validate_sweep_config

__all__ = [
    "EXPONENT_DISTRIBUTIONS",
    "EXPORTED_KEYS",
    "EXPORTED_KEY_PREFIXES",
    "GOALS",
    "GRID_DISTRIBUTIONS",
    "LOG_DISTRIBUTIONS",
    "PLAIN_TYPES",
    "POSITIVE_MIN_DISTRIBUTIONS",
    "ConfigMetric",
    "ParameterSpec",
    "config_metric",
    "first_config_metric",
    "flat_parameter_specs",
    "is_nested_spec",
    "is_number",
    "metric_column",
    "metric_entry",
    "range_bounds",
    "spec_distribution",
    "swept_parameters",
    "validate_sweep_config",
]

GOALS = {"minimize": Direction.MINIMIZE, "maximize": Direction.MAXIMIZE}
# Keys of a sweep's own config that some training scripts copy into the run config, as they appear
# flattened in a runs table; nested ones are recognised by their prefix.
EXPORTED_KEYS = frozenset({"method", "program", "run_cap", "command", "metric.name", "metric.goal"})
EXPORTED_KEY_PREFIXES = ("parameters.", "early_terminate.", "metric.", "command.")


@dataclass(frozen=True)
class ConfigMetric:
    name: str
    goal: Direction | None  # None when the config gives no (or no readable) goal


def config_metric(config: Any) -> ConfigMetric | None:
    """The `metric: {name, goal}` of one sweep config; None when it names no metric."""
    metric = config.get("metric") if isinstance(config, Mapping) else None
    if not isinstance(metric, Mapping) or not isinstance(metric.get("name"), str):
        return None
    return ConfigMetric(metric["name"], GOALS.get(str(metric.get("goal", "")).strip().lower()))


def metric_entry(name: str, goal: Direction | None) -> dict[str, str]:
    """A config's `metric` mapping; without a known goal, only the name."""
    return {"name": name, "goal": goal.value} if goal else {"name": name}


def first_config_metric(configs: Mapping[str, Any]) -> ConfigMetric | None:
    """The metric of the first sweep config (in the given order) that names one."""
    for config in configs.values():
        found = config_metric(config)
        if found is not None:
            return found
    return None


def metric_column(name: str, metrics: list[str], goal: Direction | None = None) -> str | None:
    """The column holding the config's metric: the name itself, or a summary form of it."""
    best = "max" if (goal or guess_direction(name)) is Direction.MAXIMIZE else "min"
    for candidate in (
        name,
        f"summary.{name}",
        f"{name}.{best}",
        f"{name}.last",
        f"{name}.mean",
        f"{name}.best",
    ):
        if candidate in metrics:
            return candidate
    return None


def swept_parameters(config: Mapping[str, Any]) -> list[str]:
    """Column names of the parameters a sweep config sweeps (nested ones dotted)."""

    def walk(parameters: Mapping[str, Any], prefix: str) -> Iterator[str]:
        for name, spec in parameters.items():
            nested = spec.get("parameters") if isinstance(spec, Mapping) else None
            if isinstance(nested, Mapping):
                yield from walk(nested, f"{prefix}{name}.")
            else:
                yield f"{prefix}{name}"

    parameters = config.get("parameters")
    return list(walk(parameters, "")) if isinstance(parameters, Mapping) else []
