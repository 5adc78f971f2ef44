"""Colours, fonts and layout pieces shared by the figures."""

from __future__ import annotations

from typing import Any

import plotly.colors
import plotly.graph_objects as go

# Worst to best: light orange to a dark, saturated indigo (plasma without its pale-yellow end), so
# the best runs, drawn on top, are the darkest lines on a white page.
SEQUENTIAL = plotly.colors.sequential.Plasma[::-1][2:]
QUALITATIVE = plotly.colors.qualitative.Plotly + plotly.colors.qualitative.Dark24
MISSING_COLOUR = "#b8b8b8"
UNSELECTED_COLOUR = "#d9d9d9"
PLAIN_LINE_COLOUR = "#3b6fb6"
FONT = "Inter, 'Source Sans Pro', 'Segoe UI', Helvetica, Arial, sans-serif"
TEXT_COLOUR = "#31333f"
TRANSPARENT = "rgba(0,0,0,0)"
POINT_COLOUR = "rgba(90, 90, 90, 0.35)"  # runs drawn behind a summary
MAX_SVG_POINTS = 3000  # above this, runs are drawn with WebGL


def base_layout(height: int, margin: dict[str, int]) -> dict[str, Any]:
    """What every figure's layout shares: size, font, and a background that follows the page's."""
    return {
        "height": height,
        "margin": margin,
        "font": {"family": FONT, "size": 12, "color": TEXT_COLOUR},
        "paper_bgcolor": TRANSPARENT,
        "plot_bgcolor": TRANSPARENT,
    }


def title(text: str) -> dict[str, Any]:
    """A figure title, left-aligned, in the figures' title size."""
    return {"text": text, "font": {"size": 14}, "x": 0, "xanchor": "left"}


def scatter_class(n_points: int) -> type[go.Scatter] | type[go.Scattergl]:
    """SVG scatter for a few points, WebGL for many."""
    return go.Scattergl if n_points > MAX_SVG_POINTS else go.Scatter


def sweep_colours(sweeps: list[str]) -> dict[str, str]:
    """One qualitative colour per sweep, in the order given."""
    return {name: QUALITATIVE[i % len(QUALITATIVE)] for i, name in enumerate(sweeps)}
