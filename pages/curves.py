"""Learning curves: how each run reached its value, and could the sweep have stopped early?"""

from __future__ import annotations

import streamlit as st

from lib import ui
from lib.analysis.learning_curves import learning_curves
from lib.analysis.metric_value import step_name
from lib.analysis.rank_stability import rank_stability
from lib.figures.learning_curves import learning_curves_figure
from lib.figures.rank_stability import rank_stability_figure
from lib.histories import ValueChoice
from lib.safe_text import md, md_sentence
from lib.sources.history.errors import HistoryUnavailable
from lib.sources.history.read import history_choices, history_step_keys, why_summary_only

ui.page_frame()
sweep = ui.current_sweep()
st.title("Learning curves")
if not sweep.metrics or sweep.runs.empty:
    st.info(
        "This sweep needs runs and at least one metric. Load a sweep or assign column roles on the Load page."
    )
    st.stop()

runs = ui.context_header(page="curves")
metric, analysed = runs.metric, runs.analysed
if ValueChoice.AT_STEP not in history_choices(analysed, metric):
    st.info(md_sentence(why_summary_only(analysed, metric) or f"This source has no history of {metric}."))
    st.stop()

steps = history_step_keys(analysed)
left, right = st.columns(2)
step_key = left.selectbox("Step axis", steps, key="curves.step_key", format_func=step_name)
colour = right.selectbox(
    "Colour by",
    [None, *dict.fromkeys([*ui.importance_order(analysed, metric), *analysed.params])],
    format_func=lambda c: "rank by the metric" if c is None else c,
    key="curves.colour",
)
try:
    history = ui.metric_history(metric, step_key)
except HistoryUnavailable as error:
    st.warning(md_sentence(str(error)), icon=":material/cloud_off:")
    st.stop()

run_ids = list(analysed.runs.index)
direction = analysed.direction(metric)
curves = learning_curves(history, run_ids=run_ids, direction=direction, rank_by=analysed.runs[metric])
if curves.n_total == 0:
    st.info(
        f"None of these runs logged {md(metric)} against {md(step_name(step_key))}: try another step axis."
    )
    st.stop()
ui.chart(learning_curves_figure(curves, sweep=analysed, colour=colour), key="curves.chart")
st.caption(
    f"{md(metric)} against {md(step_name(step_key))}, {curves.caption}; the best runs by "
    f"{md(runs.context.value.text or metric)} are drawn on top, over the median and 25–75% band."
)
for note in [*curves.notes, *history.notes]:
    st.caption(md_sentence(note))

st.subheader("Could the sweep have stopped early?")
top = st.slider("Top share that must survive (%)", 5, 50, 25, step=5, key="curves.top")
final = analysed.runs[metric]
stability = rank_stability(history, direction=direction, final=final, run_ids=run_ids, top_percent=float(top))
st.markdown(md_sentence(stability.sentence))
ui.chart(rank_stability_figure(stability), key="curves.stability")
st.caption(
    "For each step: how well the ranking of the runs there agrees with their final ranking (Spearman), "
    f"and the share of the final top {top}% that were already in the top {top}% at that step."
)
