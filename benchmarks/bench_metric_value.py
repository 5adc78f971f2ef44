"""Changing the metric value chooser on cached history: 10,000 runs x 50 logged steps.

Run: OMP_NUM_THREADS=1 python benchmarks/bench_metric_value.py
Prints, per choice, the best time of a few repeats of `chosen_values` (grouping the rows by run,
the choice, and the Series indexed by the asked run ids) beside a bare numpy floor: the same
reduction on arrays already grouped and reshaped (runs x steps), which no pandas-facing code can
beat. Issue 13 asks for under 300 ms of server time per change of the chooser. Also times the rank
stability and learning-curve data steps on the same history, and the learning-curve figure
(build time and the size of the JSON spec Streamlit sends).
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._timing import best_of
from lib.analysis.learning_curves import learning_curves
from lib.analysis.metric_value import chosen_values
from lib.analysis.rank_stability import rank_stability
from lib.columns import Direction
from lib.figures.learning_curves import learning_curves_figure
from lib.histories import RUN_ID, STEP, VALUE, MetricHistory, MetricValue, ValueChoice

N_RUNS, N_STEPS = 10_000, 50
BUDGET_MS = 300


def synthetic_history(n_runs: int = N_RUNS, n_steps: int = N_STEPS, seed: int = 0) -> MetricHistory:
    """Losses that fall then overfit around a run-specific step, with noise; rows sorted by run, step."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"run{i:06d}" for i in range(n_runs)], dtype=object)
    steps = np.tile(np.arange(n_steps, dtype=float), n_runs)
    best_at = rng.uniform(5, 45, n_runs)
    level = rng.uniform(0.1, 1.0, n_runs)
    t = steps.reshape(n_runs, n_steps)
    loss = level[:, None] + 0.001 * (t - best_at[:, None]) ** 2 + rng.normal(0, 0.01, t.shape)
    frame = pd.DataFrame({RUN_ID: np.repeat(ids, n_steps), STEP: steps, VALUE: loss.ravel()})
    return MetricHistory("val_loss", "_step", frame)


def numpy_floor(matrix: np.ndarray, value: MetricValue) -> np.ndarray:
    """The reduction alone, on a runs x steps matrix (every run logs the same steps)."""
    if value.choice is ValueChoice.BEST:
        return matrix.min(axis=1)
    if value.choice is ValueChoice.AT_STEP:
        return matrix[:, int(value.step or 0)].copy()
    if value.choice is ValueChoice.MEAN_LAST:
        return matrix[:, -int(value.k or 1) :].mean(axis=1)
    return matrix[:, -1].copy()


def main() -> None:
    history = synthetic_history()
    run_ids = [f"run{i:06d}" for i in range(N_RUNS)]
    matrix = history.frame[VALUE].to_numpy().reshape(N_RUNS, N_STEPS)
    print(
        f"{N_RUNS:,} runs x {N_STEPS} steps ({len(history.frame):,} rows), budget {BUDGET_MS} ms per change"
    )
    print(f"  {'choice':<24} {'chosen_values':>14} {'numpy floor':>12}")
    choices = [
        MetricValue(ValueChoice.LAST),
        MetricValue(ValueChoice.BEST),
        MetricValue(ValueChoice.AT_STEP, step=25),
        MetricValue(ValueChoice.MEAN_LAST, k=5),
    ]
    for value in choices:
        label = value.choice.value + (f" {value.step:g}" if value.step is not None else "")
        label += f" {value.k}" if value.k is not None else ""
        choose = partial(chosen_values, history, value, direction=Direction.MINIMIZE, run_ids=run_ids)
        _, ours = best_of(choose, 5)
        _, floor = best_of(partial(numpy_floor, matrix, value), 5)
        print(f"  {label:<24} {ours * 1000:11.1f} ms {floor * 1000:9.2f} ms")
    final = chosen_values(history, MetricValue(), direction=Direction.MINIMIZE, run_ids=run_ids)
    _, stability = best_of(lambda: rank_stability(history, direction=Direction.MINIMIZE, final=final), 3)
    _, curves = best_of(lambda: learning_curves(history, run_ids=run_ids, direction=Direction.MINIMIZE), 3)
    print(f"  {'rank_stability (50 steps)':<24} {stability * 1000:11.1f} ms")
    print(f"  {'learning_curves (2,000)':<24} {curves * 1000:11.1f} ms")
    drawn = learning_curves(history, run_ids=run_ids, direction=Direction.MINIMIZE)
    figure, draw = best_of(lambda: learning_curves_figure(drawn), 3)
    size = len(figure.to_json())
    print(f"  {'learning_curves_figure':<24} {draw * 1000:11.1f} ms   ({size / 1e6:.1f} MB of JSON)")
    context_change(history, run_ids)


def context_change(history: MetricHistory, run_ids: list[str]) -> None:
    """Server time of a chooser change outside the analyses it feeds: the chosen values, their gaps,
    the sweep whose metric column holds them, and the shared context (filters, kept runs) on it."""
    from lib.analysis.metric_value import value_gaps
    from lib.filters import Threshold
    from lib.selection import default_choices
    from lib.sweep import RunRecord, sweep_from_records
    from lib.views.context import build_context, value_in_use, with_metric_values
    from lib.views.parallel_state import ViewState

    rng = np.random.default_rng(1)
    records = [
        RunRecord(
            rid,
            config={"lr": float(rng.uniform()), "depth": int(rng.integers(1, 8))},
            summary={"val_loss": 1.0},
        )
        for rid in run_ids
    ]
    sweep = sweep_from_records(records, source="bench")
    view = ViewState(
        metric="val_loss", value=MetricValue(ValueChoice.BEST), best_percent=10.0,
        thresholds=(Threshold("lr", ranges=((0.1, 0.9),)),),
    )  # fmt: skip

    def change() -> None:
        values = chosen_values(history, view.value, direction=Direction.MINIMIZE, run_ids=run_ids)
        note = value_gaps(history, view.value, run_ids=run_ids).sentence("val_loss", view.value)
        valued = with_metric_values(sweep, "val_loss", values)
        used = value_in_use("val_loss", view.value, Direction.MINIMIZE, note=note)
        build_context(sweep, valued, default_choices(sweep), view, value=used)

    _, seconds = best_of(change, 5)
    verdict = "within" if seconds * 1000 < BUDGET_MS else "OVER"
    print(
        f"  {'context after a change':<24} {seconds * 1000:11.1f} ms   ({verdict} the {BUDGET_MS} ms budget)"
    )


if __name__ == "__main__":
    main()
