"""Seed noise: how much the metric moves when only the seed changes, and which effects are smaller.

Many sweeps train some configurations several times with different seeds. Runs that share every
hyperparameter but the seed form one configuration (`repeat_groups`); the spread of the metric
within configurations, pooled over all repeated ones, is the seed noise (`seed_noise`).
`config_means` averages each configuration's runs, so importance can be fitted on one row per
configuration.

Effect sizes (`effect_sizes`) are ranges of a random forest's partial dependence: the forest is
fitted on all parameters, then each parameter is set in turn to every value of a grid for all runs
that have it (the others left as they are) and the predictions are averaged; the effect is the
highest average minus the lowest, in the metric's units. Unlike the spread of raw group means, it
is not inflated by what the other parameters happen to do in each group (in the demo, the raw means
of a knob with no effect differ by ~0.18 in accuracy; its partial dependence by ~0.01).

`flag_noise` marks an effect as "within seed noise" when it is smaller than the least significant
difference between two single runs, 1.96·√2·σ ≈ 2.8σ: seed noise alone makes two runs of one
configuration differ by more than that only 5% of the time, so comparing one run of the best
setting with one of the worst could not tell an effect this small from luck.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor

from lib.analysis._fit import (
    MIN_RUNS,
    ForestSettings,
    forest_for,
    model_kinds,
    runs_with_metric,
    subsample_rows,
)
from lib.analysis.encoding import design_matrix
from lib.columns import Direction, Kind, is_numeric_column, name_tokens
from lib.sweep import Sweep
from lib.values import MISSING_LEVEL, cell_texts, compact_number, parsed_numbers, real_numbers

CONFIG = "config"
RUNS = "runs"
WITHIN_NOISE = "within seed noise"
LEAST_SIGNIFICANT_FACTOR = 1.96 * math.sqrt(2)
FLOAT_RTOL = 1e-6  # floats this close (relative) are the same value: logs and CSVs round differently
FLOAT_ATOL = 1e-12
GRID_POINTS = 10
MAX_FIT_ROWS = 2000  # larger sweeps are subsampled for the forest: effects are coarse, speed matters
MAX_PD_ROWS = 500  # runs the partial dependence averages over
ROUGH_BELOW_DOF = 10
SEED_TOKENS = frozenset({"seed", "seeds", "rng", "randomstate"})
NO_REPEATS = "No repeated configurations: run some configurations with several seeds to measure noise."
EFFECT_COLUMNS = ["parameter", "effect", "how"]


# ---------------------------------------------------------------- which columns are seeds


def looks_like_seed_name(name: str) -> bool:
    """`seed`, `data.seed`, `seed_value`, `random_state`, `randomState`, `rng`, ..."""
    tokens = name_tokens(name)
    pairs = {f"{a}{b}" for a, b in itertools.pairwise(tokens)}
    return bool(SEED_TOKENS & (set(tokens) | pairs))


def _holds_integers(values: pd.Series) -> bool:
    if not is_numeric_column(values):
        return False
    numbers = real_numbers(values.dropna())
    return bool(np.all(np.isfinite(numbers)) and np.all(numbers == np.round(numbers)))


def seed_columns(sweep: Sweep) -> list[str]:
    """Parameters that look like seeds: by name, or integer parameters read as identifiers."""
    return [
        p
        for p in sweep.params
        if looks_like_seed_name(p) or (sweep.kind(p) is Kind.IDENTIFIER and _holds_integers(sweep.runs[p]))
    ]


# ---------------------------------------------------------------- configurations


def _snapped(numbers: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """Each number replaced by the smallest value of its run of near-equal values: sorted distinct
    values closer than the tolerance to their predecessor join its cluster."""
    present = ~np.isnan(numbers)
    distinct = np.unique(numbers[present])
    if distinct.size == 0:
        return numbers.copy()
    starts = np.ones(distinct.size, dtype=bool)
    starts[1:] = np.diff(distinct) > atol + rtol * np.abs(distinct[:-1])
    first_of_cluster = np.maximum.accumulate(np.where(starts, np.arange(distinct.size), 0))
    snapped = np.full(numbers.shape, np.nan)
    snapped[present] = distinct[first_of_cluster][np.searchsorted(distinct, numbers[present])]
    return snapped


def _canonical_codes(values: pd.Series, rtol: float, atol: float) -> tuple[np.ndarray, list[str]]:
    """A code per run and, per code, the value as JSON text: equal codes for values that count as
    equal (numbers within the tolerance; a missing value equals only a missing one)."""
    if is_numeric_column(values):
        numbers = parsed_numbers(values).to_numpy(dtype=float, na_value=np.nan)
        codes, uniques = pd.factorize(_snapped(numbers, rtol, atol), use_na_sentinel=False)
        return codes, ["null" if math.isnan(u) else repr(float(u)) for u in uniques]
    texts = cell_texts(values)
    codes, uniques = pd.factorize(texts.to_numpy(dtype=object), use_na_sentinel=False)
    return codes, [json.dumps(u) for u in uniques]


def _config_ids(keys: list[str]) -> list[str]:
    """A short id per key, derived from the key alone (so it does not change when runs are filtered)."""
    for length in (8, 16, 40):
        ids = [f"cfg-{hashlib.sha1(k.encode()).hexdigest()[:length]}" for k in keys]
        if len(set(ids)) == len(set(keys)):
            return ids
    raise RuntimeError("SHA-1 collision between configurations")  # pragma: no cover


def repeat_groups(
    runs: pd.DataFrame,
    params: Sequence[str],
    seed_cols: Sequence[str],
    *,
    rtol: float = FLOAT_RTOL,
    atol: float = FLOAT_ATOL,
) -> pd.Series:
    """A configuration id per run (Series named `config`, indexed like `runs`): runs with equal
    values for every parameter in `params` except `seed_cols` share one. Numbers within `rtol`
    (relative) or `atol` of each other count as equal; a missing value equals only a missing one.
    The id hashes the configuration ({"name": value} in JSON, names sorted), so it stays the same
    whichever other runs are loaded."""
    compared = sorted(p for p in params if p not in set(seed_cols) and p in runs)
    if not compared:
        return pd.Series(_config_ids(["{}"])[0], index=runs.index, name=CONFIG, dtype=object)
    columns = [_canonical_codes(runs[p], rtol, atol) for p in compared]
    codes = np.column_stack([c for c, _ in columns]) if len(runs) else np.empty((0, len(compared)), int)
    distinct, which = np.unique(codes, axis=0, return_inverse=True)
    names = [json.dumps(p) for p in compared]
    keys = [
        "{"
        + ", ".join(f"{n}: {texts[c]}" for n, (_, texts), c in zip(names, columns, row, strict=True))
        + "}"
        for row in distinct
    ]
    ids = np.asarray(_config_ids(keys), dtype=object)
    return pd.Series(ids[which.reshape(-1)], index=runs.index, name=CONFIG, dtype=object)


def _metric_values(runs: pd.DataFrame, metric: str) -> pd.Series:
    """`metric` per run as floats, NaN where it is not a finite number."""
    return pd.Series(real_numbers(runs[metric]), index=runs.index, dtype=float)


def config_means(
    runs: pd.DataFrame, params: Sequence[str], metric: str, seed_cols: Sequence[str]
) -> pd.DataFrame:
    """One row per configuration (index: its id, in order of first appearance): the parameters
    except the seeds (the first run's values), `metric` averaged over the runs that have it, and
    `runs`, how many did. Pass it to `importance_report` to count each configuration once."""
    kept_params = [p for p in params if p not in set(seed_cols) and p in runs]
    groups = repeat_groups(runs, params, seed_cols)
    values = _metric_values(runs, metric)
    first = runs[kept_params].groupby(groups, sort=False).first()
    stats = values.groupby(groups, sort=False).agg(["mean", "count"])
    table = first.assign(**{metric: stats["mean"], RUNS: stats["count"].astype(int)})
    table.index.name = CONFIG
    return table


# ---------------------------------------------------------------- noise


@dataclass(frozen=True)
class NoiseReport:
    """Seed noise of `metric`. `table`: one row per repeated configuration (two or more runs with a
    value), with `runs`, `mean`, `std` (sample standard deviation), `min`, `max` and the parameter
    values; `pooled_std` pools the within-configuration variances (weighted by runs - 1, so
    `degrees_of_freedom` says how firm it is); None when nothing is repeated. `spread_std` is the
    standard deviation of the configuration means, for scale. `message` says it in a sentence."""

    metric: str
    seed_columns: list[str]
    n_configs: int
    n_repeated: int
    n_runs_repeated: int
    pooled_std: float | None
    degrees_of_freedom: int
    spread_std: float | None
    table: pd.DataFrame
    message: str
    notes: list[str] = field(default_factory=list)


def pooled_std(stds: pd.Series, counts: pd.Series) -> float | None:
    """sqrt(Σ (n_i - 1) s_i² / Σ (n_i - 1)) over groups with n_i >= 2; None if there are none."""
    repeated = counts >= 2
    dof = float((counts[repeated] - 1).sum())
    if dof == 0:
        return None
    return float(math.sqrt(((counts[repeated] - 1) * stds[repeated] ** 2).sum() / dof))


def _noise_message(
    metric: str, n_repeated: int, n_runs: int, noise: float | None, spread: float | None
) -> str:
    if noise is None:
        return NO_REPEATS
    text = (
        f"{n_repeated} configuration(s) were run more than once ({n_runs} runs): between seeds, "
        f"{metric} varies by {compact_number(noise, 2)} (pooled standard deviation)"
    )
    if spread:
        text += f", {noise / spread:.0%} of its spread across configurations ({compact_number(spread, 2)})"
    return text + "."


def seed_noise(
    runs: pd.DataFrame,
    params: Sequence[str],
    metric: str,
    *,
    seed_cols: Sequence[str],
    direction: Direction | None = None,
) -> NoiseReport:
    """How much `metric` varies between runs of one configuration (see `NoiseReport`); runs without
    a value for it are left out. With a `direction` the table lists the best configurations first."""
    scored, y = runs_with_metric(runs, metric)
    groups = repeat_groups(scored, params, seed_cols)
    values = pd.Series(y, index=scored.index)
    stats = values.groupby(groups, sort=False).agg(["count", "mean", "std", "min", "max"])
    stats = stats.rename(columns={"count": RUNS})
    repeated = stats[stats[RUNS] >= 2]
    kept_params = [p for p in params if p not in set(seed_cols) and p in runs]
    table = repeated.join(scored[kept_params].groupby(groups, sort=False).first())
    if direction is not None:
        table = table.sort_values("mean", ascending=direction is Direction.MINIMIZE, kind="stable")
    table.index.name = CONFIG
    noise = pooled_std(stats["std"].fillna(0.0), stats[RUNS])
    spread = float(stats["mean"].std()) if len(stats) >= 2 else None
    dof = int((repeated[RUNS] - 1).sum())
    notes = []
    if not seed_cols:
        notes.append("No seed column found: runs with identical hyperparameters count as repeats.")
    if noise is not None and dof < ROUGH_BELOW_DOF:
        notes.append(
            f"The noise rests on {dof} degree(s) of freedom: repeat more configurations to firm it up."
        )
    return NoiseReport(
        metric=metric,
        seed_columns=list(seed_cols),
        n_configs=len(stats),
        n_repeated=len(repeated),
        n_runs_repeated=int(repeated[RUNS].sum()),
        pooled_std=noise,
        degrees_of_freedom=dof,
        spread_std=spread,
        table=table.reset_index(),
        message=_noise_message(metric, len(repeated), int(repeated[RUNS].sum()), noise, spread),
        notes=notes,
    )


# ---------------------------------------------------------------- effects


def _grid(column: np.ndarray, grid_points: int) -> tuple[np.ndarray, str]:
    distinct = np.unique(column)
    if distinct.size <= grid_points:
        return distinct[:, None], f"over its {distinct.size} values"
    return np.quantile(column, np.linspace(0.05, 0.95, grid_points))[
        :, None
    ], "between its 5th and 95th percentiles"


def _level_grid(columns: list[str], param: str) -> tuple[np.ndarray, str]:
    """One one-hot row per level; a categorical's "(missing)" is not a value anyone can set."""
    levels = [i for i, c in enumerate(columns) if c != f"{param}={MISSING_LEVEL}"]
    return np.eye(len(columns))[levels], f"over its {len(levels)} levels"


def _partial_dependence_range(
    forest: RandomForestRegressor, matrix: np.ndarray, cols: list[int], grid: np.ndarray
) -> float:
    stacked = np.tile(matrix, (len(grid), 1))
    for g, values in enumerate(grid):
        stacked[g * len(matrix) : (g + 1) * len(matrix), cols] = values
    averages = forest.predict(stacked).reshape(len(grid), len(matrix)).mean(axis=1)
    return float(averages.max() - averages.min())


def effect_sizes(
    runs: pd.DataFrame,
    params: Sequence[str],
    metric: str,
    kinds: Mapping[str, Kind] | None = None,
    *,
    settings: ForestSettings | None = None,
    grid_points: int = GRID_POINTS,
) -> pd.DataFrame:
    """Per parameter, `effect`: the range of a random forest's partial dependence for `metric`, in
    its units (see the module docstring), and `how` it was taken. Runs without the metric are left
    out; a conditional parameter is varied only in the runs that have it. Pass `config_means(...)`
    to count each configuration once. The forest is `forest_for(settings, ...)`, fitted on at most
    `MAX_FIT_ROWS` runs and averaged over at most `MAX_PD_ROWS`.
    Randomness: `settings.seed`."""
    settings = settings or ForestSettings()
    used, y = runs_with_metric(runs, metric)
    names = [p for p in params if p in runs]
    if len(used) < MIN_RUNS or not names:
        why = f"needs at least {MIN_RUNS} runs with {metric}"
        return pd.DataFrame({"parameter": names, "effect": np.nan, "how": why}, columns=EFFECT_COLUMNS)
    kinds_in_model = model_kinds(used, names, kinds)
    design = design_matrix(used, names, kinds_in_model)
    rng = np.random.default_rng(settings.seed)
    fit_rows = subsample_rows(len(used), MAX_FIT_ROWS, rng)
    forest = forest_for(settings, len(fit_rows)).fit(design.matrix[fit_rows], y[fit_rows])
    rows = []
    for p in names:
        cols = design.groups[p]
        present = np.flatnonzero(design.present[p])
        if len(cols) > 1:
            grid, over = _level_grid([design.columns[c] for c in cols], p)
        else:
            grid, over = _grid(design.matrix[present, cols[0]], grid_points)
        eval_rows = subsample_rows(len(used), MAX_PD_ROWS, rng, present)
        if len(eval_rows) == 0 or len(grid) < 2:
            rows.append({"parameter": p, "effect": 0.0, "how": "takes a single value"})
            continue
        effect = _partial_dependence_range(forest, design.matrix[eval_rows], cols, grid)
        among = "" if len(present) == len(used) else f", among the {len(present)} runs that have it"
        rows.append({"parameter": p, "effect": effect, "how": f"forest partial dependence {over}{among}"})
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)


def flag_noise(
    effects: pd.DataFrame, noise_std: float | None, *, factor: float = LEAST_SIGNIFICANT_FACTOR
) -> pd.DataFrame:
    """`effects` with `noise_threshold` (factor × noise_std) and `within seed noise`: True when the
    effect is below the threshold; missing (pd.NA) when the noise is unknown (nothing repeated) or
    the effect is."""
    flagged = effects.copy()
    noise = noise_std if noise_std is not None and math.isfinite(noise_std) else None
    threshold = factor * noise if noise is not None else np.nan
    flagged["noise_threshold"] = threshold
    within = pd.array([pd.NA] * len(flagged), dtype="boolean")
    if noise is not None:
        effect = parsed_numbers(flagged["effect"])
        within = pd.array((effect < threshold).to_numpy(), dtype="boolean")
        within[effect.isna().to_numpy()] = pd.NA
    flagged[WITHIN_NOISE] = within
    return flagged
