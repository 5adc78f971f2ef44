"""Parallel-coordinates build time and spec size on large synthetic sweeps.

Run: python benchmarks/bench_parcoords.py
Prints, per case, the best build time of a few repeats (`parallel_chart`: spec, data step and
figure) and the size of the JSON spec Streamlit sends (`fig.to_json()`).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib.columns import Direction
from lib.figures.parcoords_data import DEFAULT_MAX_LINES
from lib.filters import Threshold
from lib.sweep import RUN_CREATED, Sweep, finish_sweep
from lib.views.parallel_chart import parallel_chart
from lib.views.parallel_state import RUN_ORDER, ViewState

N_PARAMS = 11  # plus the metric: 12 axes


def synthetic_sweep(n_runs: int, seed: int = 0) -> Sweep:
    """Log, linear, integer, categorical (40 levels), boolean and conditional parameters."""
    rng = np.random.default_rng(seed)
    optimizer = rng.choice(["adam", "sgd", "rmsprop", "adamw"], n_runs)
    frame = pd.DataFrame(
        {
            RUN_CREATED: pd.Timestamp("2024-01-01", tz="UTC")
            + pd.to_timedelta(rng.uniform(0, 9e5, n_runs), "s"),
            "optimizer.lr": 10 ** rng.uniform(-5, -1, n_runs),
            "optimizer.weight_decay": 10 ** rng.uniform(-6, -2, n_runs),
            "optimizer.name": optimizer,
            "optimizer.momentum": np.where(optimizer == "sgd", rng.uniform(0.5, 0.99, n_runs), np.nan),
            "model.dropout": rng.uniform(0, 0.5, n_runs),
            "model.layers": rng.integers(1, 9, n_runs),
            "model.hidden": rng.choice([64, 128, 256, 512, 1024], n_runs),
            "model.architecture.block_type": rng.choice([f"block_{i:02d}" for i in range(40)], n_runs),
            "data.augment": rng.choice([True, False], n_runs),
            "batch_size": rng.choice([16, 32, 64, 128, 256], n_runs),
            "warmup_steps": rng.integers(0, 5000, n_runs),
        }
    )
    loss = (np.log10(frame["optimizer.lr"]) + 3) ** 2 + frame["model.dropout"] + rng.normal(0, 0.2, n_runs)
    frame["val/loss"] = np.where(rng.uniform(size=n_runs) < 0.02, np.nan, loss)
    frame.index = pd.Index([f"run{i:06d}" for i in range(n_runs)], name="run_id")
    params = [c for c in frame.columns if c not in (RUN_CREATED, "val/loss")]
    assert len(params) == N_PARAMS
    return finish_sweep(
        frame,
        params=params,
        metrics=["val/loss"],
        source="synthetic",
        directions={"val/loss": Direction.MINIMIZE},
    )


def timed_build(sweep: Sweep, state: ViewState, max_lines: int, repeat: int = 5):
    parallel_chart(sweep, state, max_lines=max_lines)  # warm-up: imports and first-call costs
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        view = parallel_chart(sweep, state, max_lines=max_lines)
        best = min(best, time.perf_counter() - start)
    return view, best


def report(label: str, sweep: Sweep, state: ViewState, max_lines: int = DEFAULT_MAX_LINES) -> None:
    view, seconds = timed_build(sweep, state, max_lines)
    start = time.perf_counter()
    spec = view.figure.to_json()
    json_ms = (time.perf_counter() - start) * 1000
    print(
        f"{label:<44} {len(view.axes):>4} {view.n_drawn:>7,} {seconds * 1000:>9.1f} "
        f"{json_ms:>8.1f} {len(spec) / 1e6:>8.2f}"
    )


def main() -> None:
    print(f"{'case':<44} {'axes':>4} {'drawn':>7} {'build ms':>9} {'json ms':>8} {'spec MB':>8}")
    for n_runs in (10_000, 50_000):
        sweep = synthetic_sweep(n_runs)
        all_axes = tuple([*sweep.params, "val/loss"])
        plain = ViewState(metric="val/loss", axes=all_axes)
        report(f"{n_runs:,} runs, all 12 axes, colour by metric", sweep, plain)
        report(f"{n_runs:,} runs, 12 axes, no line cap", sweep, plain, max_lines=n_runs)
        filtered = ViewState(
            metric="val/loss",
            axes=all_axes,
            thresholds=(
                Threshold("optimizer.lr", ranges=((1e-4, 1e-2),)),
                Threshold("optimizer.name", levels=("adam", "adamw")),
            ),
            best_percent=20,
            colour="optimizer.name",
        )
        report(f"{n_runs:,} runs, 12 axes, 2 filters + best 20%", sweep, filtered)
        report(
            f"{n_runs:,} runs, 12 axes, colour by run order",
            sweep,
            ViewState(metric="val/loss", axes=all_axes, colour=RUN_ORDER),
        )
        report(f"{n_runs:,} runs, default axes (8)", sweep, ViewState(metric="val/loss"))


if __name__ == "__main__":
    main()
