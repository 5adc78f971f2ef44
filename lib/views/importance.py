"""How the importance page presents a report: plain pandas, no Streamlit."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lib.analysis._fit import ForestSettings
from lib.analysis.importance import ImportanceReport, Method
from lib.columns import Direction, Kind
from lib.sweep import Sweep

EXCLUSION_REASONS = {
    Kind.CONSTANT: "constant: the same value in every run",
    Kind.IDENTIFIER: "identifier: a name, seed, path or timestamp",
}


def excluded_params(sweep: Sweep) -> pd.DataFrame:
    """Parameters left out of the analysis by default, each with the reason."""
    rows = [
        {"parameter": p, "reason": EXCLUSION_REASONS[sweep.kind(p)]}
        for p in sweep.params
        if sweep.kind(p) in EXCLUSION_REASONS
    ]
    return pd.DataFrame(rows, columns=["parameter", "reason"])


def display_table(report: ImportanceReport, hidden: Sequence[str] = ()) -> pd.DataFrame:
    """The table a user reads: importance with its spread, Pearson and Spearman, minus hidden rows."""
    table = report.table
    shown = table[~table["parameter"].isin(hidden)]
    spread = [
        f"{lo:.2f} – {hi:.2f}" if np.isfinite(lo) else ""
        for lo, hi in zip(
            shown.get("importance_low", pd.Series(np.nan, index=shown.index)),
            shown.get("importance_high", pd.Series(np.nan, index=shown.index)),
            strict=True,
        )
    ]
    return pd.DataFrame(
        {
            "parameter": shown["parameter"],
            "importance": shown["importance"],
            "spread (10–90%)": spread,
            "correlation": shown["correlation"],
            "spearman": shown.get("spearman", np.nan),
        }
    ).reset_index(drop=True)


def correlation_colour(value: float, direction: Direction) -> str:
    """Green where raising the parameter moves the metric the good way, red where the bad way."""
    if value is None or not np.isfinite(value):
        return ""
    good = value < 0 if direction is Direction.MINIMIZE else value > 0
    alpha = min(abs(value), 1.0) * 0.55
    rgb = "22, 163, 74" if good else "220, 38, 38"
    return f"background-color: rgba({rgb}, {alpha:.2f})"


def trust_summary(report: ImportanceReport, unit: str = "runs") -> str:
    """One line on how well the forest predicts unseen runs (`unit`: what one row is)."""
    if report.r2 is None:
        return f"{report.n_runs} {unit} used; no model fitted."
    left_out = (
        f", {report.n_without_metric} without {report.metric} left out" if report.n_without_metric else ""
    )
    return f"{report.r2_kind.capitalize()} R² = {report.r2:.2f} on {report.n_runs} {unit}{left_out}."


def settings_text(method: Method, settings: ForestSettings) -> str:
    return (
        f"Method: {method.value}. Random forest of {settings.n_trees} trees, "
        f"min {settings.min_samples_leaf} runs per leaf, {settings.max_features:.0%} of the parameters "
        f"tried per split, seed {settings.seed}; "
        f"shuffles repeated {settings.n_repeats}x per fold; at most {settings.max_fit_rows:,} runs per fit."
    )


INTERPRETATION = """
**Correlation** (Pearson, and Spearman on ranks) says whether the metric tends to rise or fall as a
parameter rises, one parameter at a time. It misses effects that are not monotone (a learning rate
with a sweet spot) and effects that exist only together with another parameter.
**Importance** asks a random forest, fitted on all parameters at once, how much worse it predicts
runs it has not seen when this parameter's values are shuffled. It catches sweet spots and
interactions, but says nothing about direction. A parameter with high importance and low
correlation usually has a sweet spot or an interaction: look at it on the parallel-coordinates page.
Log-scaled parameters are correlated on the log scale; a categorical has no order, so it gets no
correlation: open its levels below instead.
"""
