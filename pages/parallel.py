"""Parallel coordinates: where in the search space are the good runs?"""

from __future__ import annotations

import streamlit as st

from lib import ui
from lib.analysis.region import promising_region
from lib.filters import kept_runs_table
from lib.safe_text import md, md_sentence
from lib.ui.context import remember_view, shared_view
from lib.ui.parallel import sidebar_controls
from lib.ui.parcoords_component import apply_chart_brush, parcoords_chart
from lib.views.context import build_context
from lib.views.display_limits import capped_table
from lib.views.parallel_chart import parallel_chart
from lib.views.spreadsheet import to_safe_csv

ui.page_frame()
included = ui.current_sweep()
st.title("Parallel coordinates")

if not included.metrics or included.runs.empty:
    st.info(
        "This sweep needs runs and at least one metric. Load a sweep or assign column roles on the Load page."
    )
    st.stop()

start = apply_chart_brush(shared_view(included))  # a brush or an axis drag on the chart
sweep, value = ui.valued_sweep(included, start)
order = ui.importance_order(sweep, start.metric or sweep.default_metric)
state = sidebar_controls(sweep, start, order)
if state.metric != start.metric:  # the metric was changed in the sidebar this run
    sweep, value = ui.valued_sweep(included, state)
remember_view(state)
view = parallel_chart(sweep, state, importance_order=order)
context = build_context(ui.loaded_sweep(), sweep, ui.current_choices(), state, value=value)

st.markdown(f"**{md(context.headline())}** · {view.drawn_text}")
if value.note:
    st.caption(md_sentence(value.note))
parcoords_chart(sweep, view)
st.caption(
    "One line per run; the best runs are drawn on top. Drag along an axis to keep only the runs in that "
    "range (drag again for more ranges, click the axis to clear them); drag an axis by its name to move "
    "it. The sidebar, the tables below and the other pages follow, and filters set in the sidebar are "
    "drawn on the axes. This view is in the address bar: copy the link to share it."
)
for note in view.notes:
    st.caption(md_sentence(note))
if view.abbreviated:
    with st.expander("Full axis names"):
        # st.table renders its cells as Markdown; a data frame shows names as text.
        full_names = {"axis": list(view.abbreviated), "column": list(view.abbreviated.values())}
        st.dataframe(full_names, hide_index=True, width="stretch")

kept_table = kept_runs_table(sweep, view.kept, state.metric, view.axes)
st.subheader(f"Kept runs, best first ({len(kept_table):,})")
shown_kept = capped_table(kept_table)
st.dataframe(
    shown_kept.frame,
    width="stretch",
    height=ui.whole_rows_height(len(shown_kept.frame)),
    column_config=ui.runs_column_config(shown_kept.frame),
)
if left_out := shown_kept.note():
    st.caption(f"{left_out} The download has every kept run in full.")
st.download_button(
    "Download kept runs (CSV)",
    data=lambda: to_safe_csv(kept_table),
    file_name="kept_runs.csv",
    mime="text/csv",
    icon=":material/download:",
)

st.subheader("Promising region")
if view.n_kept == 0 or view.n_kept == view.n_runs:
    st.caption("Set a filter or a best q% in the sidebar to compare the kept runs with all runs.")
else:
    region = promising_region(sweep, view.kept, [a for a in view.axes if a in sweep.params], state.scales)
    st.markdown("\n".join(f"- {md_sentence(line)}" for line in region.summaries.values()))
    numeric, levels = st.columns(2, gap="large")
    numeric.caption("Numeric parameters: quantiles of the kept runs vs all runs (real units)")
    numeric.dataframe(region.numeric, hide_index=True, width="stretch")
    levels.caption("Categorical parameters: share of runs using each level, kept vs all")
    levels.dataframe(region.levels, hide_index=True, width="stretch")
