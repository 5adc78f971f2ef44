"""Parameter importance: which hyperparameters matter for a metric, and how far to trust that."""

from __future__ import annotations

import streamlit as st

from lib import ui
from lib.importance import ForestSettings, Method, level_breakdown
from lib.importance_view import (
    INTERPRETATION,
    correlation_colour,
    display_table,
    excluded_params,
    settings_text,
    trust_summary,
)
from lib.ui.parallel import kept_by_saved_view

ui.page_frame()
sweep = ui.current_sweep()
st.title("Parameter importance")

if not sweep.metrics or not sweep.params:
    st.info("This sweep needs at least one parameter and one metric. Assign column roles on the Load page.")
    st.stop()

top = st.columns([2, 2, 1])
metric = top[0].selectbox(
    "With respect to",
    sweep.metrics,
    index=sweep.metrics.index(sweep.default_metric or sweep.metrics[0]),
    key="importance.metric",
    format_func=lambda m: f"{m} ({sweep.direction(m).value})",
)
method = top[1].selectbox(
    "Method", list(Method), format_func=lambda m: m.value[:1].upper() + m.value[1:], key="importance.method"
)
seed = int(top[2].number_input("Seed", min_value=0, value=0, step=1, key="importance.seed"))

excluded = excluded_params(sweep)
with st.expander(f"Parameters analysed ({len(sweep.analysable_params)} of {len(sweep.params)})"):
    if not excluded.empty:
        st.caption("Left out by default, with the reason. Put any back below.")
        st.dataframe(excluded, hide_index=True, width="stretch")
    params = st.multiselect(
        "Parameters in the model", sweep.params, default=sweep.analysable_params, key="importance.params"
    )
if not params:
    st.warning("Choose at least one parameter to analyse.")
    st.stop()

kept = kept_by_saved_view(sweep, metric)
if kept is None:
    st.caption(
        f"Runs used: all {len(sweep.runs):,} included runs. Filters set on the Parallel coordinates page "
        "can narrow this to the runs they keep."
    )
elif st.toggle(
    f"Only the {int(kept.sum()):,} runs kept by the parallel-coordinates filters (of {len(kept):,})",
    key="importance.only_kept",
):
    sweep = sweep.replace(runs=sweep.runs[kept])

settings = ForestSettings(seed=seed)
report = ui.cached_importance(sweep, params, metric, method, settings)

left, right = st.columns([3, 1], gap="large")
with right:
    st.subheader("Can I trust this?")
    st.markdown(trust_summary(report))
    for warning in report.warnings:
        st.warning(warning, icon=":material/warning:")
    if not report.warnings:
        st.success(
            "The forest predicts unseen runs well enough to rank the parameters.", icon=":material/check:"
        )
    st.caption(settings_text(method, settings))
with left:
    hidden = st.multiselect(
        "Hide rows", params, key="importance.hidden", placeholder="Hide parameters from the table"
    )
    table = display_table(report, hidden)
    direction = sweep.direction(metric)
    styled = table.style.map(lambda v: correlation_colour(v, direction), subset=["correlation", "spearman"])
    styled = styled.format("{:.2f}", na_rep="–", subset=["correlation", "spearman"])
    st.dataframe(
        styled,
        hide_index=True,
        height=min(36 * (len(table) + 1) + 4, 640),
        width="stretch",
        column_config={
            "importance": st.column_config.ProgressColumn(
                "Importance", min_value=0.0, max_value=1.0, format="%.2f"
            ),
            "correlation": st.column_config.Column("Correlation", help="Pearson; – for categoricals"),
            "spearman": st.column_config.Column("Spearman", help="Rank correlation; – for categoricals"),
        },
        key="importance.table",
    )
    st.caption("Green: raising the parameter moves the metric the good way; red: the bad way.")

with st.expander("What correlation and importance each tell you"):
    st.markdown(INTERPRETATION)

categoricals = [p for p in params if sweep.kind(p).value in ("categorical", "boolean")]
if categoricals:
    st.subheader("Levels of a categorical parameter")
    chosen = st.selectbox("Parameter", categoricals, key="importance.levels")
    st.dataframe(level_breakdown(sweep.runs, chosen, metric), hide_index=True, width="stretch")
