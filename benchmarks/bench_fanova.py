"""fANOVA main effects: Sweepscope's `fanova_report` against Optuna's `FanovaImportanceEvaluator`.

One synthetic Optuna study of 1,000 trials x 10 parameters (log, float, int, log-int and categorical
distributions; every parameter given its own, graded additive effect plus one interacting pair) is
scored by both, in this one process: wall times, the speed-up and the Spearman rank correlation of
the two importance vectors (the goal: ours under 2 s, correlation >= 0.9). Then our time at
10,000 runs x 50 parameters.

Run: OMP_NUM_THREADS=1 python benchmarks/bench_fanova.py
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib.analysis.fanova import fanova_report
from lib.columns import Kind

LEVELS = ("adam", "adamw", "rmsprop", "sgd")
LEVEL_EFFECT = {"adam": 1.0, "adamw": 1.2, "rmsprop": 0.3, "sgd": -0.5}

# Ten parameters; the weights below make the true main-effect shares distinct, so the ranking is
# well defined: lr > optimizer > layers > dropout > width > warmup > decay > beta > batch > workers.
DISTRIBUTIONS: dict[str, BaseDistribution] = {
    "lr": FloatDistribution(1e-5, 1e-1, log=True),
    "optimizer": CategoricalDistribution(LEVELS),
    "layers": IntDistribution(1, 8),
    "dropout": FloatDistribution(0.0, 0.5),
    "width": IntDistribution(16, 1024, log=True),
    "warmup": FloatDistribution(0.0, 1.0),
    "decay": FloatDistribution(1e-6, 1e-2, log=True),
    "beta": FloatDistribution(0.8, 0.999),
    "batch": IntDistribution(8, 64),
    "workers": IntDistribution(0, 8),  # no effect
}


def objective(p: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Additive, with main-effect shares of about .26, .20, .16, .12, .09, .07, .05, .03, .015 and 0
    in the order of DISTRIBUTIONS, plus a small lr x dropout interaction and noise."""
    lr = np.log10(p["lr"].to_numpy(dtype=float))
    dropout = p["dropout"].to_numpy(dtype=float)
    y = -0.95 * (lr + 3) ** 2
    y += 1.5 * p["optimizer"].map(LEVEL_EFFECT).to_numpy(dtype=float)
    y += 0.39 * p["layers"].to_numpy(dtype=float)
    y -= 5.4 * dropout
    y += 0.39 * np.log2(p["width"].to_numpy(dtype=float))
    y += 1.9 * np.sin(np.pi * p["warmup"].to_numpy(dtype=float))
    y -= 0.43 * np.log10(p["decay"].to_numpy(dtype=float))
    y += 6.7 * p["beta"].to_numpy(dtype=float)
    y += 0.0167 * p["batch"].to_numpy(dtype=float)
    y += 1.0 * (dropout - 0.25) * (lr + 3)
    return y + rng.normal(0.0, 0.1, len(p))


def sample_params(n: int, rng: np.random.Generator) -> pd.DataFrame:
    columns = {}
    for name, dist in DISTRIBUTIONS.items():
        if isinstance(dist, CategoricalDistribution):
            columns[name] = rng.choice(np.array(dist.choices, dtype=object), n)
        elif dist.log:
            draws = 10 ** rng.uniform(np.log10(dist.low), np.log10(dist.high), n)
            columns[name] = np.round(draws).astype(int) if isinstance(dist, IntDistribution) else draws
        elif isinstance(dist, IntDistribution):
            columns[name] = rng.integers(dist.low, dist.high + 1, n)
        else:
            columns[name] = rng.uniform(dist.low, dist.high, n)
    return pd.DataFrame(columns)


def kind_of(dist: BaseDistribution) -> Kind:
    if isinstance(dist, CategoricalDistribution):
        return Kind.CATEGORICAL
    if dist.log:
        return Kind.LOG
    return Kind.INTEGER if isinstance(dist, IntDistribution) else Kind.NUMERIC


def true_main_effect_shares(n_samples: int = 200_000, seed: int = 1) -> dict[str, float]:
    """Each parameter's main-effect share of the objective, by Monte Carlo: the variance of the
    metric's mean per value (discrete parameters) or per one of 200 quantile bins (continuous ones)."""
    rng = np.random.default_rng(seed)
    params = sample_params(n_samples, rng)
    y = pd.Series(objective(params, rng))
    shares = {}
    for name, column in params.items():
        groups = (
            column if column.nunique() <= 200 else pd.qcut(column.rank(method="first"), 200, labels=False)
        )
        shares[name] = float(y.groupby(groups.to_numpy()).transform("mean").var() / y.var())
    return shares


def optuna_study(runs: pd.DataFrame) -> optuna.Study:
    study = optuna.create_study()
    records = runs[list(DISTRIBUTIONS)].to_dict("records")
    study.add_trials(
        optuna.trial.create_trial(
            params={k: v.item() if isinstance(v, np.generic) else v for k, v in record.items()},
            distributions=DISTRIBUTIONS,
            value=float(value),
        )
        for record, value in zip(records, runs["metric"], strict=True)
    )
    return study


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def side_by_side(n_runs: int = 1_000, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    runs = sample_params(n_runs, rng)
    runs["metric"] = objective(runs, rng)
    params = list(DISTRIBUTIONS)
    kinds = {p: kind_of(d) for p, d in DISTRIBUTIONS.items()}
    study = optuna_study(runs)

    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
    theirs, theirs_s = timed(lambda: optuna.importance.get_param_importances(study, evaluator=evaluator))
    fanova_report(runs.head(50), params, "metric", kinds=kinds)  # imports and thread pool warmed
    report, ours_s = timed(lambda: fanova_report(runs, params, "metric", kinds=kinds))

    ours = dict(zip(report.table["parameter"], report.table["variance_share"], strict=True))
    truth = true_main_effect_shares()
    rho = spearmanr([ours[p] for p in params], [theirs[p] for p in params]).statistic
    rho_ours, rho_theirs = (
        spearmanr([s[p] for p in params], [truth[p] for p in params]).statistic for s in (ours, theirs)
    )
    print(f"{n_runs:,} trials x {len(params)} parameters, same data, this process")
    print(f"  Optuna FanovaImportanceEvaluator(seed=0)  {theirs_s:8.2f} s")
    print(f"  Sweepscope fanova_report (defaults)       {ours_s:8.2f} s   goal < 2 s")
    print(f"  speed-up                                  {theirs_s / ours_s:8.0f}x")
    print(f"  Spearman rank correlation of importances  {rho:8.3f}   goal >= 0.9")
    print(f"  ... with the true shares: ours {rho_ours:.3f}, Optuna {rho_theirs:.3f}")
    print(f"  interaction share (ours)                  {report.interaction_share:8.3f}")
    print(f"  out-of-bag R² of our forest               {report.r2:8.3f}")
    print(
        f"\n  {'parameter':<10} {'true':>7} {'ours':>7} {'(10–90%)':>13} {'Optuna':>8}  (Optuna's sum to 1)"
    )
    for row in report.table.itertuples():
        spread = f"{row.low:.3f}–{row.high:.3f}"
        print(
            f"  {row.parameter:<10} {truth[row.parameter]:7.3f} {row.variance_share:7.3f} {spread:>13} "
            f"{theirs[row.parameter]:8.3f}"
        )


def large(n_runs: int = 10_000, n_params: int = 50, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    base = sample_params(n_runs, rng)
    extra = {f"noise{i:02d}": rng.uniform(0, 1, n_runs) for i in range(n_params - len(DISTRIBUTIONS))}
    runs = pd.concat([base, pd.DataFrame(extra)], axis=1)
    runs["metric"] = objective(base, rng)
    params = [c for c in runs.columns if c != "metric"]
    kinds = {p: kind_of(DISTRIBUTIONS[p]) if p in DISTRIBUTIONS else Kind.NUMERIC for p in params}
    report, seconds = timed(lambda: fanova_report(runs, params, "metric", kinds=kinds))
    top = ", ".join(report.table["parameter"].head(5))
    noise = report.table.loc[report.table["parameter"].str.startswith("noise"), "variance_share"].sum()
    print(f"\n{n_runs:,} runs x {n_params} parameters (40 without effect)")
    print(f"  Sweepscope fanova_report (defaults)       {seconds:8.2f} s")
    print(f"  top 5: {top}; share given to the 40 no-effect parameters: {noise:.3f}")


def main() -> None:
    optuna.logging.set_verbosity(logging.WARNING)
    side_by_side()
    large()


if __name__ == "__main__":
    main()
