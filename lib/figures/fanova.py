"""The fANOVA variance-share chart: data step (`variance_bars`) and drawing step (`variance_share_figure`)."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

from lib.analysis.fanova import FanovaReport

INTERACTIONS_LABEL = "(interactions)"
PARAMETER_COLOUR = "#2563eb"
INTERACTIONS_COLOUR = "#9ca3af"


@dataclass(frozen=True)
class VarianceBars:
    """One bar per parameter with a share (largest first), then the interactions bar; `above` and
    `below` are the whiskers' lengths to the 10th and 90th percentile across trees."""

    names: list[str]
    shares: list[float]
    above: list[float]
    below: list[float]
    colours: list[str]


def variance_bars(report: FanovaReport) -> VarianceBars:
    """The report's shares as bars: parameters without a share are left out."""
    table = report.table.dropna(subset=["variance_share"])
    n = len(table)
    return VarianceBars(
        names=[*table["parameter"], INTERACTIONS_LABEL],
        shares=[*table["variance_share"], report.interaction_share],
        above=[*(table["high"] - table["variance_share"]).clip(lower=0), 0.0],
        below=[*(table["variance_share"] - table["low"]).clip(lower=0), 0.0],
        colours=[PARAMETER_COLOUR] * n + [INTERACTIONS_COLOUR],
    )


def variance_share_figure(report: FanovaReport, *, height_per_bar: int = 26) -> go.Figure:
    """Horizontal bars: each parameter's share of the variance with its 10–90% spread across trees,
    largest on top, then one grey bar for what only parameters acting together explain."""
    bars = variance_bars(report)
    figure = go.Figure(
        go.Bar(
            x=bars.shares,
            y=bars.names,
            orientation="h",
            marker_color=bars.colours,
            error_x={
                "type": "data",
                "symmetric": False,
                "array": bars.above,
                "arrayminus": bars.below,
                "thickness": 1,
                "width": 3,
            },
            hovertemplate="%{y}: %{x:.1%} of the variance<extra></extra>",
        )
    )
    figure.update_layout(
        height=80 + height_per_bar * len(bars.names),
        margin={"l": 10, "r": 20, "t": 10, "b": 40},
        xaxis={"title": "share of the metric's variance", "tickformat": ".0%", "rangemode": "tozero"},
        yaxis={"autorange": "reversed"},
        showlegend=False,
    )
    return figure
