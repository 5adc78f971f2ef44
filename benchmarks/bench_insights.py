"""Speed of the analyses beside the importance table and of the next-sweep builder: what separates
the best runs, seed noise (repeat groups, pooled spread, effects), search history and the next
sweep, on the demo and on a 10,000-run synthetic sweep with seed repeats.

Run: OMP_NUM_THREADS=1 python benchmarks/bench_insights.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _timing import timed

from lib.analysis.history import search_history
from lib.analysis.next_sweep import next_sweep_config
from lib.analysis.noise import config_means, effect_sizes, repeat_groups, seed_columns, seed_noise
from lib.analysis.separation import best_runs_separation
from lib.columns import Direction
from lib.filters import best_percent_mask
from lib.sources.demo import load_demo
from lib.sweep import Sweep, finish_sweep


def synthetic_sweep(n_configs: int, seeds: int = 3, seed: int = 0) -> Sweep:
    """`n_configs` configurations, each run with `seeds` seeds: a log-scaled learning rate with a
    sweet spot, an optimizer, a width, and two parameters with no effect."""
    rng = np.random.default_rng(seed)
    configs = pd.DataFrame(
        {
            "lr": 10 ** rng.uniform(-5, -1, n_configs),
            "optimizer": rng.choice(["adam", "sgd", "adamw"], n_configs),
            "width": rng.integers(16, 512, n_configs),
            "workers": rng.choice([0, 2, 4, 8], n_configs),
            "jitter": rng.uniform(0, 1, n_configs),
        }
    )
    runs = configs.loc[configs.index.repeat(seeds)].reset_index(drop=True)
    runs["seed"] = np.tile(np.arange(seeds), n_configs)
    score = -((np.log10(runs["lr"]) + 3) ** 2) / 4 + runs["optimizer"].map(
        {"adam": 0.3, "sgd": 0.0, "adamw": 0.35}
    )
    runs["score"] = score + np.log(runs["width"]) / 10 + rng.normal(0, 0.05, len(runs))
    runs.index = pd.Index([f"r{i}" for i in range(len(runs))], name="run_id")
    params = ["lr", "optimizer", "width", "workers", "jitter", "seed"]
    return finish_sweep(
        runs, params=params, metrics=["score"], source="synthetic", skipped=[], sweep_configs={}
    )


def bench(name: str, sweep: Sweep, metric: str) -> None:
    print(f"{name}: {len(sweep.runs):,} runs x {len(sweep.analysable_params)} parameters")
    direction: Direction = sweep.direction(metric)
    seeds = seed_columns(sweep)
    params = [p for p in sweep.analysable_params if p not in seeds]
    kinds = {p: sweep.kind(p) for p in params}
    groups = timed("repeat groups", lambda: repeat_groups(sweep.runs, params, seeds))
    timed("seed noise", lambda: seed_noise(sweep.runs, params, metric, seed_cols=seeds, direction=direction))
    means = timed("per-configuration means", lambda: config_means(sweep.runs, params, metric, seeds))
    timed("effect sizes (forest, on means)", lambda: effect_sizes(means, params, metric, kinds), repeat=1)
    timed(
        "best 10% vs all (separation)",
        lambda: best_runs_separation(
            sweep.runs, params, metric, direction=direction, kinds=kinds, percent=10.0, groups=groups
        ),
    )
    timed("search history", lambda: search_history(sweep, metric))
    kept = best_percent_mask(sweep.runs[metric], direction, 10.0)
    timed("next sweep (W&B config + checks)", lambda: next_sweep_config(sweep, kept, metric))


def main() -> None:
    bench("demo", load_demo(), "val_accuracy")
    bench("synthetic", synthetic_sweep(3_334), "score")


if __name__ == "__main__":
    main()
