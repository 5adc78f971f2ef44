"""Search history: did the search converge, and where did each sweep look?"""

from __future__ import annotations

import streamlit as st

from lib import ui
from lib.analysis.history import convergence_summary, sampling_summary, search_history
from lib.figures.history import history_figure, sampling_figure
from lib.safe_text import md_sentence

ui.page_frame()
sweep = ui.current_sweep()
st.title("Search history")
st.caption("How the search explored: did it converge, and where did each sweep look?")
ui.needs_metric_and_params(sweep)

runs = ui.context_header(
    page="history", kept_by_default=False, all_runs_why=", in the order the search ran them"
)
sweep, metric = runs.analysed, runs.metric
direction = sweep.direction(metric)
history = search_history(sweep, metric)
st.markdown(md_sentence(convergence_summary(history, metric, direction)))
ui.chart(history_figure(history, metric, direction), key="history.metric_chart")

st.subheader("What each sweep sampled")
ranked = ui.importance_order(sweep, metric) or sweep.analysable_params
shown = st.multiselect("Parameters", sweep.analysable_params, default=ranked[:4], key="history.params")
for line in sampling_summary(sweep, shown):
    st.markdown(f"- {md_sentence(line)}")
if shown:
    ui.chart(sampling_figure(sweep, shown, metric=metric), key="history.sampling")
    st.caption(
        "Each point is a run, in the order the runs started; ringed points are the best 10% by the metric."
    )
