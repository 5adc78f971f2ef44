"""The next sweep's config as commented YAML for `wandb sweep`, and its decisions table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from lib.analysis.next_sweep.describe import describe_spec
from lib.analysis.next_sweep.plan import ParameterPlan
from lib.analysis.next_sweep.quoting import comment_lines, yaml_block, yaml_key
from lib.analysis.next_sweep.space import CARRIED_KEYS
from lib.sweep_config import is_nested_spec

DECISION_COLUMNS = ["parameter", "kind", "was", "now", "why"]
LEFT_OUT = "(left out)"


def _nested_node(tree: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any] | None:
    node = tree
    for key in path:
        child = node.setdefault(key, {"parameters": {}})
        if not is_nested_spec(child):
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
        if is_nested_spec(spec) and set(spec) == {"parameters"}:
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


def yaml_header(origin: str, config: Mapping[str, Any]) -> str:
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


def decisions_table(plans: Sequence[ParameterPlan]) -> pd.DataFrame:
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
