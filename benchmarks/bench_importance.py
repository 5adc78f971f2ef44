"""Parameter importance speed: cold fits, warm (cached) recomputes, and Optuna's MDI side by side.

Run: OMP_NUM_THREADS=1 python benchmarks/bench_importance.py [--side-by-side]
(--side-by-side: only the 10,000 x 50 comparison with Optuna's MDI.)
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _timing import best_of

from lib.analysis.importance import importance_report
from lib.columns import Direction, infer_kind


def synthetic_sweep(n_runs: int, n_params: int, seed: int = 0) -> tuple[pd.DataFrame, list[str]]:
    """A tenth of the parameters log-scaled, a fifth 4-level categoricals, the rest uniform; the
    metric is driven by five (`DRIVERS`: a log-scaled one with an inner optimum, a categorical, an
    interacting pair, a linear one), the rest have no effect."""
    rng = np.random.default_rng(seed)
    n_log, n_cat = max(1, n_params // 10), max(1, n_params // 5)
    names = [f"p{i:02d}" for i in range(n_params)]
    runs = pd.DataFrame(index=pd.RangeIndex(n_runs, name="run_id"))
    for i, name in enumerate(names):
        if i < n_log:
            runs[name] = 10 ** rng.uniform(-5, -1, n_runs)
        elif i < n_log + n_cat:
            runs[name] = rng.choice(["adam", "sgd", "rmsprop", "adamw"], n_runs)
        else:
            runs[name] = rng.uniform(0, 1, n_runs)
    log, cat, a, b, lin = drivers(n_params)
    y = -((np.log10(runs[log]) + 3) ** 2)
    y += runs[cat].map({"adam": 1.0, "sgd": 0.0, "rmsprop": 0.4, "adamw": 1.2})
    y += 2 * np.sign((runs[a] - 0.5) * (runs[b] - 0.5)) + 1.5 * runs[lin]
    runs["metric"] = y + rng.normal(0, 0.3, n_runs)
    return runs, names


def drivers(n_params: int) -> list[str]:
    n_log, n_cat = max(1, n_params // 10), max(1, n_params // 5)
    first_uniform = n_log + n_cat
    return [f"p{i:02d}" for i in (0, n_log, first_uniform, first_uniform + 1, first_uniform + 2)]


def timed(label: str, fn, repeat: int = 1):
    result, best = best_of(fn, repeat)
    print(f"{label:<58} {best * 1000:9.0f} ms")
    return result, best


def ours(runs: pd.DataFrame, params: list[str]):
    kinds = {p: infer_kind(runs[p], p) for p in params}
    return importance_report(runs, params, "metric", kinds=kinds)


def optuna_mdi(runs: pd.DataFrame, params: list[str]) -> tuple[dict[str, float], float]:
    import optuna
    from optuna.distributions import CategoricalDistribution, FloatDistribution

    optuna.logging.set_verbosity(logging.WARNING)
    distributions = {
        p: CategoricalDistribution(sorted(runs[p].unique()))
        if runs[p].dtype == object or str(runs[p].dtype).startswith("str")
        else FloatDistribution(1e-5, 1e-1, log=True)
        if runs[p].max() < 0.2
        else FloatDistribution(0.0, 1.0)
        for p in params
    }
    study = optuna.create_study()
    records = runs[params].to_dict("records")
    study.add_trials(
        optuna.trial.create_trial(params=r, distributions=distributions, value=float(v))
        for r, v in zip(records, runs["metric"], strict=True)
    )
    evaluator = optuna.importance.MeanDecreaseImpurityImportanceEvaluator(n_trees=64, seed=0)
    start = time.perf_counter()
    result = optuna.importance.get_param_importances(study, evaluator=evaluator, normalize=True)
    return result, time.perf_counter() - start


def top(names_scores: dict[str, float], k: int = 5) -> list[str]:
    return [n for n, _ in sorted(names_scores.items(), key=lambda kv: -kv[1])[:k]]


def main() -> None:
    if "--side-by-side" not in sys.argv:
        cold_and_warm()
    side_by_side()


def cold_and_warm() -> None:
    print("Cold fits (held-out permutation, the default)")
    for n_runs, n_params in [(200, 9), (1_000, 10), (10_000, 50)]:
        runs, params = synthetic_sweep(n_runs, n_params)
        timed(f"  {n_runs:>6,} runs x {n_params:>2} params", lambda r=runs, p=params: ours(r, p), repeat=3)

    print("\nWarm: a cached recompute (st.cache_data hit, keyed on a full fingerprint)")
    import streamlit as st  # noqa: F401  (the cache works without a running app)

    from lib.analysis._fit import ForestSettings
    from lib.analysis.importance import Method
    from lib.ui.cache import _importance

    runs, params = synthetic_sweep(10_000, 50)
    kinds = {p: infer_kind(runs[p], p) for p in params}
    frame = runs[[*params, "metric"]]
    args = (tuple(params), "metric", kinds, Method.HELD_OUT_PERMUTATION, ForestSettings(), Direction.MAXIMIZE)
    _importance(frame, *args)
    timed("  10,000 x 50: fingerprint + cache hit", lambda: _importance(frame, *args), 5)


def side_by_side() -> None:
    runs, params = synthetic_sweep(10_000, 50)
    print("\nSide by side at 10,000 runs x 50 params: 5 log-scaled, 10 4-level categoricals, 5 drivers")
    (report, ours_s) = timed("  Sweepscope held-out permutation", lambda: ours(runs, params))
    optuna_scores, optuna_s = optuna_mdi(runs, params)
    print(f"  {'Optuna MeanDecreaseImpurityImportanceEvaluator (64 trees)':<58} {optuna_s * 1000:9.0f} ms")
    print(f"  speed-up: {optuna_s / ours_s:.1f}x")
    ours_scores = dict(zip(report.table["parameter"], report.table["importance"], strict=True))
    print(f"  top 5, Sweepscope: {top(ours_scores)}")
    print(f"  top 5, Optuna:     {top(optuna_scores)}")
    print(f"  same top-5 set: {set(top(ours_scores)) == set(top(optuna_scores))}")
    print(f"  drivers: {drivers(len(params))}; fitted on {report.n_fit_rows:,} runs per forest")
    for note in report.notes:
        print(f"  note: {note}")
    noise = [p for p in params if p not in drivers(len(params))]
    ours_noise = sum(ours_scores[p] for p in noise)
    optuna_noise = sum(optuna_scores[p] for p in noise)
    print(
        f"  share given to the {len(noise)} no-effect params: "
        f"Sweepscope {ours_noise:.3f}, Optuna {optuna_noise:.3f}"
    )


if __name__ == "__main__":
    main()
