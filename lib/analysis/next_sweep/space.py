"""The original search space: the sweep configs behind the runs, united over sweeps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lib.analysis.next_sweep.describe import level_label, plain_value
from lib.sweep import RUN_SWEEP, Sweep
from lib.sweep_config import ParameterSpec, flat_parameter_specs, range_bounds, spec_distribution

CARRIED_KEYS = ("program", "command")  # how the original sweep ran its training, carried over


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


def _union(first: Iterable[Any], second: Iterable[Any]) -> list[Any]:
    merged: dict[str, Any] = {}
    for value in [*first, *second]:
        merged.setdefault(level_label(value), value)
    return list(merged.values())


def _merged_spec(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Two sweeps' specs of one parameter as one space: values united, same-kind ranges widened."""
    if isinstance(first.get("values"), list) and isinstance(second.get("values"), list):
        return {**first, "values": _union(first["values"], second["values"])}
    same_kind = spec_distribution(first) == spec_distribution(second)
    if same_kind and range_bounds(first) is not None and range_bounds(second) is not None:
        return {**first, "min": min(first["min"], second["min"]), "max": max(first["max"], second["max"])}
    return first


def original_space(sweep: Sweep) -> dict[str, ParameterSpec]:
    """The original search space by dotted name, united over the sweeps behind the runs."""
    merged: dict[str, ParameterSpec] = {}
    for config in original_configs(sweep):
        for name, original in flat_parameter_specs(config).items():
            if name in merged:
                original = ParameterSpec(merged[name].path, _merged_spec(merged[name].spec, original.spec))
            merged[name] = original
    return merged


def carried_over(configs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """`program` and `command` from the first original config that has them."""
    for config in configs:
        carried = {key: plain_value(config[key]) for key in CARRIED_KEYS if key in config}
        if carried:
            return carried
    return {}
