"""Colours and fonts shared by the figures."""

from __future__ import annotations

import plotly.colors

SEQUENTIAL = plotly.colors.sequential.Viridis
QUALITATIVE = plotly.colors.qualitative.Plotly + plotly.colors.qualitative.Dark24
MISSING_COLOUR = "#b8b8b8"
UNSELECTED_COLOUR = "#cfcfcf"
PLAIN_LINE_COLOUR = "#3b6fb6"
FONT = "Inter, 'Source Sans Pro', 'Segoe UI', Helvetica, Arial, sans-serif"
