"""Response-shape speed: one forest, five partial-dependence curves with ICE bands, the interaction
search among the top five and the 2-D surface of the strongest pair.

Run: OMP_NUM_THREADS=1 python benchmarks/bench_response.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _timing import timed

from lib.analysis.response import (
    interaction_strengths,
    interaction_surface,
    response_curves,
    response_shape,
)
from lib.analysis.response_model import fit_response_model
from lib.columns import infer_kind

TOP = ["p00", "p01", "p02", "p03", "p04"]


def synthetic_sweep(n_runs: int, n_params: int, seed: int = 0) -> tuple[pd.DataFrame, list[str]]:
    """A log-scaled sweet spot (p00), a categorical (p01), an interacting pair (p02 x p03), a linear
    effect (p04); the other parameters are noise."""
    rng = np.random.default_rng(seed)
    runs = pd.DataFrame({f"p{i:02d}": rng.uniform(0, 1, n_runs) for i in range(n_params)})
    runs["p00"] = 10 ** rng.uniform(-5, -1, n_runs)
    runs["p01"] = rng.choice(["adam", "sgd", "rmsprop", "adamw"], n_runs)
    y = -((np.log10(runs["p00"]) + 3) ** 2)
    y += runs["p01"].map({"adam": 1.0, "sgd": 0.0, "rmsprop": 0.4, "adamw": 1.2})
    y += 4 * (runs["p02"] - 0.5) * (runs["p03"] - 0.5) * 4 + 1.5 * runs["p04"]
    runs["metric"] = y + rng.normal(0, 0.3, n_runs)
    return runs, [c for c in runs.columns if c != "metric"]


def bench(n_runs: int, n_params: int) -> None:
    runs, params = synthetic_sweep(n_runs, n_params)
    kinds = {p: infer_kind(runs[p], p) for p in params}
    print(f"{n_runs:,} runs x {n_params} params")
    model = timed(
        "fit the forest (out-of-bag R² included)",
        lambda: fit_response_model(runs, params, "metric", kinds=kinds),
    )
    timed("5 curves with ICE bands", lambda: response_curves(model, TOP))
    table = timed("interaction search (10 pairs, H²)", lambda: interaction_strengths(model, TOP))
    timed("2-D surface of the strongest pair", lambda: interaction_surface(model, table.iloc[0].to_dict()))
    shape = timed(
        "all of it: response_shape(...)", lambda: response_shape(runs, params, "metric", top=TOP, kinds=kinds)
    )
    pair = shape.interaction
    found = f"{pair.pair}, H² = {pair.h_squared:.2f}" if pair else "none"
    print(f"  strongest pair: {found}; out-of-bag R² = {shape.r2:.2f}\n")


def main() -> None:
    bench(1_000, 10)
    bench(10_000, 50)


if __name__ == "__main__":
    main()
