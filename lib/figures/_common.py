"""Colours and fonts shared by the figures."""

from __future__ import annotations

import plotly.colors

SEQUENTIAL = plotly.colors.sequential.Viridis
QUALITATIVE = plotly.colors.qualitative.Plotly + plotly.colors.qualitative.Dark24
MISSING_COLOUR = "#b8b8b8"
UNSELECTED_COLOUR = "#cfcfcf"
PLAIN_LINE_COLOUR = "#3b6fb6"
FONT = "Inter, 'Source Sans Pro', 'Segoe UI', Helvetica, Arial, sans-serif"
TEXT_COLOUR = "#31333f"
TRANSPARENT = "rgba(0,0,0,0)"


def base_layout(height: int, margin: dict[str, int]) -> dict:
    """What every figure's layout shares: size, font, and a background that follows the page's."""
    return {
        "height": height,
        "margin": margin,
        "font": {"family": FONT, "size": 12, "color": TEXT_COLOUR},
        "paper_bgcolor": TRANSPARENT,
        "plot_bgcolor": TRANSPARENT,
    }
