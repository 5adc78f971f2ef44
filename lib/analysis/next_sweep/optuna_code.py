"""The next sweep's region as Optuna code (`suggest(trial)` and an objective to fill in)."""

from __future__ import annotations

import json

from lib.analysis.next_sweep.build import NextSweep
from lib.analysis.next_sweep.describe import describe_spec
from lib.analysis.next_sweep.plan import ParameterPlan
from lib.analysis.next_sweep.quoting import comment_lines, python_literal
from lib.sweep_config import LOG_DISTRIBUTIONS, PLAIN_TYPES, range_bounds, spec_distribution


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
