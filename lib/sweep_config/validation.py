"""Whether a W&B sweep config is valid: W&B's JSON schema, plus the rules the schema cannot state."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from lib.sweep_config.schema import schema_problems
from lib.sweep_config.specs import GRID_DISTRIBUTIONS, PLAIN_TYPES, is_number, spec_distribution


def validate_sweep_config(config: Any) -> list[str]:
    """What is wrong with a W&B sweep configuration; empty when valid. Only plain YAML types pass
    (no numpy scalars): the config is written as YAML for `wandb sweep`."""
    if not isinstance(config, Mapping):
        return ["the sweep configuration must be a mapping"]
    plain = dict(config)
    problems = _non_plain(plain, "config") + schema_problems(plain) + _semantic_problems(plain)
    return list(dict.fromkeys(problems))


def _semantic_problems(config: Mapping[str, Any]) -> list[str]:
    """The rules W&B's schema lacks. W&B checks min < max and probabilities' length in Python
    (`sweeps.config.cfg`), a bayes search without a metric and a grid over a continuous
    distribution fail when the sweep runs; a command of non-text items or an empty metric name
    cannot mean anything."""
    method = config.get("method")
    problems = _command_problems(config.get("command"))
    metric = config.get("metric")
    if isinstance(metric, Mapping) and metric.get("name") == "":
        problems.append("metric: needs a name")
    if method == "bayes" and "metric" not in config:
        problems.append("metric: bayes search needs a metric to optimize")
    for where, spec in _parameter_specs(config.get("parameters"), "parameters"):
        problems += _bounds_problems(spec, where)
        problems += _probabilities_problems(spec, where)
        distribution = spec_distribution(spec)
        if method == "grid" and distribution is not None and distribution not in GRID_DISTRIBUTIONS:
            problems.append(f"{where}: grid search cannot enumerate a {distribution} distribution")
    return problems


def _parameter_specs(parameters: Any, where: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every parameter spec (nested ones unfolded) with where it is."""
    if not isinstance(parameters, Mapping):
        return
    for name, spec in parameters.items():
        if not isinstance(spec, Mapping):
            continue
        if "parameters" in spec:
            yield from _parameter_specs(spec["parameters"], f"{where}.{name}.parameters")
        else:
            yield f"{where}.{name}", spec


def _bounds_problems(spec: Mapping[str, Any], where: str) -> list[str]:
    low, high = spec.get("min"), spec.get("max")
    if is_number(low) and is_number(high) and not low < high:
        return [f"{where}: min ({low}) must be below max ({high})"]
    return []


def _probabilities_problems(spec: Mapping[str, Any], where: str) -> list[str]:
    values, probabilities = spec.get("values"), spec.get("probabilities")
    if isinstance(values, list) and isinstance(probabilities, list) and len(values) != len(probabilities):
        return [f"{where}: probabilities must be a list as long as values"]
    return []


def _command_problems(command: Any) -> list[str]:
    if isinstance(command, list) and not all(isinstance(part, str) for part in command):
        return ["command: must be a list of strings"]
    return []


def _non_plain(value: Any, where: str) -> list[str]:
    """Values YAML would not write as plain scalars, and non-finite numbers (the schema's `number`
    takes numpy floats, NaN and infinity)."""
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
