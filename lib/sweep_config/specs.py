"""What a W&B sweep parameter spec means: its distribution, its bounds, and where it sits in the config."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

PLAIN_TYPES = (str, int, float, bool, type(None))
# `min`/`max` of these are values of the parameter, so they must be positive ...
POSITIVE_MIN_DISTRIBUTIONS = frozenset(
    {"log_uniform_values", "q_log_uniform_values", "inv_log_uniform_values"}
)
# ... while these take ln(value) as `min`/`max`
EXPONENT_DISTRIBUTIONS = frozenset({"log_uniform", "q_log_uniform", "inv_log_uniform"})
LOG_DISTRIBUTIONS = POSITIVE_MIN_DISTRIBUTIONS | EXPONENT_DISTRIBUTIONS
# what W&B's grid search can enumerate (sweeps' grid_search.py)
GRID_DISTRIBUTIONS = frozenset({"constant", "categorical", "int_uniform", "q_uniform"})


@dataclass(frozen=True)
class ParameterSpec:
    """A parameter as a sweep config searches it: its nesting path and its spec."""

    path: tuple[str, ...]
    spec: dict[str, Any]


def is_number(value: Any) -> TypeGuard[float]:
    """A finite int or float (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def is_nested_spec(spec: Any) -> bool:
    """The spec is a nested `parameters:` block rather than one parameter."""
    return isinstance(spec, Mapping) and isinstance(spec.get("parameters"), Mapping)


def spec_distribution(spec: Mapping[str, Any]) -> str | None:
    """The distribution a parameter spec names, or the one W&B infers from its keys."""
    if "distribution" in spec:
        return str(spec["distribution"])
    if "value" in spec:
        return "constant"
    if "values" in spec:
        return "categorical"
    low, high = spec.get("min"), spec.get("max")
    if is_number(low) and is_number(high):
        return "int_uniform" if isinstance(low, int) and isinstance(high, int) else "uniform"
    return None


def range_bounds(spec: Mapping[str, Any]) -> tuple[float, float] | None:
    """A range spec's bounds in the parameter's own units (exponent forms converted); else None."""
    distribution = spec_distribution(spec)
    low, high = spec.get("min"), spec.get("max")
    if distribution in ("categorical", "constant") or not (is_number(low) and is_number(high)):
        return None
    if distribution in EXPONENT_DISTRIBUTIONS:
        return math.exp(low), math.exp(high)
    return float(low), float(high)


def flat_parameter_specs(config: Mapping[str, Any]) -> dict[str, ParameterSpec]:
    """A sweep config's parameters by dotted name, nested `parameters:` blocks unfolded."""
    found: dict[str, ParameterSpec] = {}

    def walk(parameters: Any, path: tuple[str, ...]) -> None:
        if not isinstance(parameters, Mapping):
            return
        for key, spec in parameters.items():
            full = (*path, str(key))
            if is_nested_spec(spec):
                walk(spec["parameters"], full)
            elif isinstance(spec, Mapping):
                found[".".join(full)] = ParameterSpec(full, dict(spec))

    walk(config.get("parameters"), ())
    return found
