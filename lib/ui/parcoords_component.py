"""The parallel-coordinates chart as a two-way component: brushing an axis filters, dragging one reorders.

`st.plotly_chart` never tells Python about a brush on a `go.Parcoords` axis, so the chart is a
`st.components.v2` component (`parcoords_assets/parcoords.js`) drawing the figure with the plotly.js
the plotly package ships. Nothing is fetched from the network: a second component, mounted after
the chart, carries plotly.js (4.8 MB) inline, once per session: the browser page keeps it, and
should a page not have it (reloaded into the same session), the chart asks and it is sent again.

The chart reports, as its `brush` state, the constraint ranges of the axes the user changed (encoded
units) and the axis order. `apply_chart_brush` reads that at the top of the page, once per report,
turns it into the shared view (`lib.views.parallel_brush`) and changes the view token so the
sidebar's widgets start again from the brushed filters.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import plotly
import streamlit as st

from lib.figures.inert import defused
from lib.figures.parcoords import brushable
from lib.sweep import Sweep
from lib.ui.context import TOKEN_KEY, remember_view, view_token
from lib.ui.session import load_generation
from lib.views.parallel_brush import DrawnChart, brushed_view, drawn_chart, parse_brush
from lib.views.parallel_chart import ParcoordsView
from lib.views.parallel_state import ViewState

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
CHART_JS = Path(__file__).parent / "parcoords_assets" / "parcoords.js"
CHART_CSS = ".sweepscope-parcoords { width: 100%; }"
CHART_KEY = "parallel.chart"
DRAWN_KEY = "parallel.chart.drawn"  # revision -> DrawnChart, the last few charts sent
APPLIED_KEY = "parallel.chart.applied"  # the id of the last report applied
PLOTLY_SENT_KEY = "parallel.plotly_js.sent"  # plotly.js went to this session's browser page
MISSING_KEY = "parallel.plotly_js.missing"  # the chart's last "plotly.js is missing" handled
KEEP_DRAWN = 8  # a report can come from a chart a rerun or two old
# No Plotly logo, and no "Share chart" button (plotly.js 4 would upload the chart to Plotly Cloud).
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "showSendToCloud": False, "showLink": False}


@functools.cache
def _plotly_loader() -> Callable[..., Any]:
    # The module runs once per page; its default function on each mount puts plotly.js back.
    script = PLOTLY_JS.read_text(encoding="utf-8") + (
        "\nconst plotlyJs = window.Plotly;\n"
        "export default function () { if (!window.Plotly) window.Plotly = plotlyJs; }\n"
    )
    marker = '<span class="sweepscope-plotly-js"></span>'  # tells the chart plotly.js is on its way
    return st.components.v2.component("sweepscope.plotly_js", html=marker, js=script, isolate_styles=False)


@functools.cache
def _chart_component() -> Callable[..., Any]:
    # Not in a shadow root: plotly.js puts the styles its charts need in the page's <head>.
    return st.components.v2.component(
        "sweepscope.parcoords",
        js=CHART_JS.read_text(encoding="utf-8"),
        css=CHART_CSS,
        isolate_styles=False,
    )


def _chart_key() -> str:
    return f"{CHART_KEY}.{load_generation()}"


def chart_data(view: ParcoordsView) -> tuple[dict[str, Any], str]:
    """What the component is sent (the figure made inert and brushable) and its revision."""
    figure_json = brushable(defused(view.figure)).to_json()
    revision = hashlib.blake2b(figure_json.encode("utf-8"), digest_size=8).hexdigest()
    return {"figure": json.loads(figure_json), "revision": revision, "config": PLOTLY_CONFIG}, revision


def _remember_drawn(drawn: DrawnChart) -> None:
    charts: dict[str, DrawnChart] = dict(st.session_state.get(DRAWN_KEY, {}))
    charts.pop(drawn.revision, None)
    charts[drawn.revision] = drawn
    st.session_state[DRAWN_KEY] = dict(list(charts.items())[-KEEP_DRAWN:])


def _chart_state() -> dict[str, Any]:
    state = st.session_state.get(_chart_key())
    return state if isinstance(state, dict) else {}


def _plotly_js_needed() -> bool:
    """Whether this run sends plotly.js: the session's first chart, or the chart said it has none."""
    missing = _chart_state().get("plotly_missing")
    if isinstance(missing, str) and missing != st.session_state.get(MISSING_KEY):
        st.session_state[MISSING_KEY] = missing
        st.session_state[PLOTLY_SENT_KEY] = False
    return not st.session_state.get(PLOTLY_SENT_KEY, False)


def parcoords_chart(sweep: Sweep, view: ParcoordsView) -> None:
    """Draw `view`'s chart; what the user brushes or drags on it comes back through `apply_chart_brush`.
    The browser redraws it only when the figure changed (same figure, same message: not resent)."""
    data, revision = chart_data(view)
    _remember_drawn(drawn_chart(sweep, view.spec, view.axes, revision))
    send_plotly_js = _plotly_js_needed()
    with st.container(gap=None):
        _chart_component()(
            key=_chart_key(),
            data=data,
            width="stretch",
            height="content",
            on_brush_change=lambda: None,  # read at the top of the next run, see apply_chart_brush
            on_plotly_missing_change=lambda: None,
        )
        if send_plotly_js:  # after the chart, so the chart's place on the page never changes
            _plotly_loader()(key="parallel.plotly_js", width="stretch", height="content")
            st.session_state[PLOTLY_SENT_KEY] = True


def apply_chart_brush(view: ViewState) -> ViewState:
    """`view` with the chart's newest report applied (each report once). A report from a chart this
    session did not draw, or about another figure than those lately sent, is ignored."""
    brush = parse_brush(_chart_state().get("brush"))
    if brush is None or brush.id == st.session_state.get(APPLIED_KEY):
        return view
    st.session_state[APPLIED_KEY] = brush.id
    drawn = st.session_state.get(DRAWN_KEY, {}).get(brush.revision)
    if drawn is None:
        return view
    brushed = brushed_view(view, brush, drawn)
    if brushed != view:
        remember_view(brushed)
        st.session_state[TOKEN_KEY] = view_token() + 1  # sidebar widgets start from the brushed view
    return brushed
