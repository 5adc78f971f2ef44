"""Shape of the response: how the metric moves along each important parameter, and which pair interacts."""

from __future__ import annotations

import streamlit as st

from lib import ui
from lib.analysis.response import curve_summary, interaction_summary
from lib.figures.response import interaction_figure, response_figure
from lib.safe_text import md_sentence
from lib.ui.cache import cached_response
from lib.views.display_limits import capped_table

ui.page_frame()
sweep = ui.current_sweep()
st.title("Shape of the response")
ui.needs_metric_and_params(sweep)

runs = ui.context_header(page="response")
sweep, metric = runs.analysed, runs.metric
params = sweep.analysable_params
ranked = ui.importance_order(sweep, metric) or params
n_top = (
    st.slider("Parameters shown", 1, min(8, len(ranked)), min(4, len(ranked)), key="response.top")
    if len(ranked) > 1
    else 1
)
shape = cached_response(sweep, params, metric, ranked[:n_top])
direction = sweep.direction(metric)

st.caption(
    f"Partial dependence from a random forest fitted on the {len(sweep.runs):,} runs used: "
    "the line is the metric the forest "
    "expects along one parameter with the others as the runs had them; the band holds 80% of the "
    "individual runs' curves, the grey points are the runs themselves. Most important parameters first."
    + (f" Out-of-bag R² {shape.r2:.2f}." if shape.r2 is not None else "")
)
for note in shape.notes:
    st.caption(md_sentence(note))
columns = st.columns(2)
for i, curve in enumerate(shape.curves):
    with columns[i % 2]:
        ui.chart(response_figure(curve, sweep.runs, metric, direction), key=f"response.{i}")
        st.caption(md_sentence(curve_summary(curve, metric, direction)))

st.subheader("The pair that interacts most")
if shape.interaction is None:
    st.caption("Too few parameters or runs to look for interactions.")
else:
    st.markdown(md_sentence(interaction_summary(shape.interaction, metric)))
    figure = interaction_figure(shape.interaction, metric, direction, sweep.runs)
    ui.chart(figure, key="response.interaction")
    with st.expander("Every pair, strongest first"):
        st.dataframe(
            capped_table(shape.interactions).frame,
            hide_index=True,
            width="stretch",
            column_order=["first", "second", "h_squared", "strength", "joint"],  # `ranked` is internal
            column_config={
                "first": "parameter",
                "second": "with",
                "h_squared": st.column_config.ProgressColumn(
                    "interaction share (H²)", format="percent", min_value=0.0, max_value=1.0,
                    help="How much of the pair's joint effect is interaction, not the sum of the two alone.",
                ),
                "strength": st.column_config.NumberColumn(
                    f"interaction size ({metric})", format="%.3g",
                    help="RMS of the part of the pair's effect neither parameter has alone, in metric units.",
                ),
                "joint": st.column_config.NumberColumn(
                    f"joint effect ({metric})", format="%.3g", help="RMS of the pair's 2-D effect.",
                ),
            },
        )  # fmt: skip
