"""Widgets the pages share: charts, lazy tabs, and the load page's column-table config."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import plotly.graph_objects as go
import streamlit as st

from lib.columns import Direction, Kind
from lib.figures.inert import defused
from lib.selection import Role
from lib.sweep import Sweep

T = TypeVar("T")


def chart(figure: go.Figure, *, key: str, **options: Any) -> None:
    """Every Plotly chart goes out this way: names from data drawn as text, never as Plotly's HTML."""
    st.plotly_chart(defused(figure), width="stretch", key=key, **options)


def needs_metric_and_params(sweep: Sweep) -> None:
    """Stop the page with a pointer to the Load page when there is nothing to analyse."""
    if not sweep.metrics or not sweep.analysable_params or sweep.runs.empty:
        st.info(
            "This page needs runs, at least one metric and one parameter that varies. Load a sweep or "
            "assign column roles on the Load page."
        )
        st.stop()


def lazy_tabs(sections: Mapping[str, Callable[[T], None]], subject: T, *, key: str) -> None:
    """Tabs of which only the shown one runs (`draw(subject)`); switching tabs reruns the page.
    A run forgets the widgets it does not draw: give those in a tab `persist_state="page"`."""
    tabs = st.tabs(list(sections), key=key, on_change="rerun")
    for tab, draw in zip(tabs, sections.values(), strict=True):
        if tab.open:
            with tab:
                draw(subject)


def column_table_config() -> dict[str, Any]:
    """Editors for the load page's column table: role, kind and direction as drop-downs."""
    return {
        "column": st.column_config.TextColumn("Column", width="medium"),
        "role": st.column_config.SelectboxColumn("Role", options=[r.value for r in Role], required=True),
        "why": st.column_config.TextColumn(
            "Why", width="large", help="What the role was decided from; change the role if it is wrong."
        ),
        "kind": st.column_config.SelectboxColumn("Kind", options=[k.value for k in Kind], required=True),
        "direction": st.column_config.SelectboxColumn(
            "Direction", options=[d.value for d in Direction], help="Metrics only: is lower or higher better?"
        ),
        "distinct": st.column_config.NumberColumn("Distinct values"),
        "missing": st.column_config.NumberColumn("Missing"),
    }
