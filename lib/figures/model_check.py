"""The model behind the importances, checked: observed vs predicted metric on held-out runs (as Ax's
cross-validation plot shows), with the diagonal a perfect model would sit on.

Data step `fit_check` returns a small structure; `fit_check_figure` draws it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lib.figures._common import PLAIN_LINE_COLOUR, POINT_COLOUR, base_layout, scatter_class, title


@dataclass(frozen=True)
class FitCheck:
    """Held-out runs as (observed, predicted) pairs, the range both axes share, and the R²."""

    run_ids: list[str]
    observed: np.ndarray
    predicted: np.ndarray
    low: float
    high: float
    r2: float | None


def fit_check(held_out: pd.DataFrame) -> FitCheck | None:
    """`held_out`: index run id, columns `observed` and `predicted`; None when no run was held out."""
    if held_out.empty or not {"observed", "predicted"} <= set(held_out.columns):
        return None
    both = held_out[["observed", "predicted"]].astype(float).dropna()
    if both.empty:
        return None
    observed, predicted = both["observed"].to_numpy(), both["predicted"].to_numpy()
    low = float(min(observed.min(), predicted.min()))
    high = float(max(observed.max(), predicted.max()))
    pad = (high - low) * 0.05 or abs(high) * 0.05 or 1.0
    variance = float(np.var(observed))
    r2 = 1 - float(np.mean((observed - predicted) ** 2)) / variance if variance > 0 else None
    return FitCheck(
        run_ids=[str(i) for i in both.index],
        observed=observed,
        predicted=predicted,
        low=low - pad,
        high=high + pad,
        r2=r2,
    )


def fit_check_figure(check: FitCheck, metric: str, *, height: int = 300) -> go.Figure:
    """Each held-out run as a point (observed across, predicted up) and the diagonal."""
    scatter = scatter_class(len(check.observed))
    figure = go.Figure(
        [
            go.Scatter(
                x=[check.low, check.high],
                y=[check.low, check.high],
                mode="lines",
                line={"color": PLAIN_LINE_COLOUR, "dash": "dot", "width": 1},
                name="perfect prediction",
                hoverinfo="skip",
            ),
            scatter(
                x=check.observed,
                y=check.predicted,
                mode="markers",
                marker={"color": POINT_COLOUR, "size": 6},
                name="held-out run",
                text=check.run_ids,
                hovertemplate="run %{text}<br>observed %{x:.4g}<br>predicted %{y:.4g}<extra></extra>",
            ),
        ]
    )
    r2 = f" (R² {check.r2:.2f})" if check.r2 is not None else ""
    figure.update_layout(
        **base_layout(height, {"l": 50, "r": 10, "t": 40, "b": 45}),
        title=title(f"Held-out runs: observed vs predicted{r2}"),
        showlegend=False,
    )
    axis = {"range": [check.low, check.high], "zeroline": False}
    figure.update_xaxes(title_text=f"observed {metric}", **axis)
    figure.update_yaxes(title_text=f"predicted {metric}", scaleanchor="x", **axis)
    return figure
