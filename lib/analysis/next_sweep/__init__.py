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

Modules: `space` (the original search space), `plan` (these rules, per parameter), `ranges`
(widening and rounding), `describe` (values and texts), `sweep_yaml` (the commented YAML), `build`
(`next_sweep_config`), `optuna_code` (`optuna_snippet`), `quoting` (names inside generated files).
What a W&B sweep config means and whether it is valid lives in `lib.sweep_config`.
"""

from __future__ import annotations

from lib.analysis.next_sweep.build import (
    DEFAULT_MARGIN,
    DEFAULT_MIN_IMPORTANCE,
    METHODS,
    NextSweep,
    next_sweep_config,
)
from lib.analysis.next_sweep.describe import describe_spec, format_value, level_table, plain_value
from lib.analysis.next_sweep.optuna_code import optuna_snippet
from lib.analysis.next_sweep.plan import (
    Condition,
    NextSweepError,
    NoKeptRunsError,
    ParameterPlan,
    plan_parameter,
    presence_condition,
)
from lib.analysis.next_sweep.ranges import widened_range
from lib.analysis.next_sweep.space import original_configs, original_space
from lib.analysis.next_sweep.sweep_yaml import DECISION_COLUMNS, LEFT_OUT, nest_parameters, to_yaml

__all__ = [
    "DECISION_COLUMNS",
    "DEFAULT_MARGIN",
    "DEFAULT_MIN_IMPORTANCE",
    "LEFT_OUT",
    "METHODS",
    "Condition",
    "NextSweep",
    "NextSweepError",
    "NoKeptRunsError",
    "ParameterPlan",
    "describe_spec",
    "format_value",
    "level_table",
    "nest_parameters",
    "next_sweep_config",
    "optuna_snippet",
    "original_configs",
    "original_space",
    "plain_value",
    "plan_parameter",
    "presence_condition",
    "to_yaml",
    "widened_range",
]
