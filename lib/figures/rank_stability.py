"""Rank stability, drawn: Spearman with the final ranking at each step, the share of the final top q%
that keeping the top q% at that step would have kept, the threshold, and the step from which the
ranking agrees. The data is `lib.analysis.rank_stability.RankStability`; this module only draws it.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lib.analysis.metric_value import step_name, step_text
from lib.analysis.rank_stability import RankStability
from lib.figures._common import (
    MISSING_COLOUR,
    PLAIN_LINE_COLOUR,
    QUALITATIVE,
    TEXT_COLOUR,
    base_layout,
    title,
)

SPEARMAN_COLOUR = PLAIN_LINE_COLOUR
KEPT_COLOUR = QUALITATIVE[1]
FIGURE_HEIGHT = 380
Y_RANGE = (-1.05, 1.05)


def spearman_trace(result: RankStability) -> go.Scatter:
    return go.Scatter(
        x=result.steps,
        y=result.spearman,
        mode="lines+markers",
        line={"color": SPEARMAN_COLOUR, "width": 2.5},
        marker={"size": 6},
        name="Spearman with the final ranking",
        customdata=result.n_runs_reporting,
        hovertemplate="Spearman %{y:.2f} over %{customdata} runs<extra></extra>",
    )


def kept_trace(result: RankStability) -> go.Scatter:
    q = f"{result.top_percent:g}%"
    return go.Scatter(
        x=result.steps,
        y=result.top_kept_share,
        mode="lines",
        line={"color": KEPT_COLOUR, "width": 2, "dash": "dot"},
        name=f"share of the final top {q} kept by the top {q} here",
        hovertemplate=f"the top {q} here keeps %{{y:.0%}} of the final top {q}<extra></extra>",
    )


def _marks(figure: go.Figure, result: RankStability) -> None:
    """The threshold line, and the step from which the ranking agrees."""
    figure.add_hline(
        y=result.threshold,
        line={"color": MISSING_COLOUR, "width": 1.5, "dash": "dash"},
        annotation={"text": f"agreement {result.threshold:g}", "font": {"size": 11}},
        annotation_position="bottom right",
    )
    if result.stable_from is not None:
        where = f"{step_name(result.step_key)} {step_text(result.stable_from)}"
        figure.add_vline(
            x=result.stable_from,
            line={"color": TEXT_COLOUR, "width": 1.5, "dash": "dot"},
            annotation={"text": f"agrees from {where}", "font": {"size": 11}},
            annotation_position="top left",
        )


def rank_stability_figure(result: RankStability) -> go.Figure:
    """Spearman by step (solid), the top-q% kept share (dotted, 0 to 1 on the same axis), the
    threshold and the step it holds from; when there are too few runs or steps, an empty chart
    that says so."""
    figure = go.Figure()
    layout = {
        **base_layout(FIGURE_HEIGHT, {"l": 64, "r": 24, "t": 60, "b": 84}),
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0.0},
        "hovermode": "x unified",
    }
    figure.update_layout(**layout, title=title(f"Could the sweep have stopped early? ({result.metric})"))
    figure.update_xaxes(title={"text": step_name(result.step_key)})
    figure.update_yaxes(title={"text": "agreement with the final ranking"}, range=list(Y_RANGE))
    if not result.enough or bool(np.isnan(result.spearman).all()):
        figure.add_annotation(text=result.sentence, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
        return figure
    figure.add_traces([spearman_trace(result), kept_trace(result)])
    _marks(figure, result)
    return figure
