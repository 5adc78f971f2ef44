"""Home: what Sweepscope does, the current sweep's runs by state, what matters most and the best run."""

from __future__ import annotations

import streamlit as st

from lib import ui
from lib.safe_text import md
from lib.ui.brief import brief_download_button
from lib.views.display_limits import capped_table
from lib.views.home import best_run_summary, state_table, what_matters

PAGE_CARDS = [
    (
        "pages/parallel.py",
        "Where are the good runs?",
        ":material/stacked_line_chart:",
        "Parallel coordinates with metric thresholds and the best q%, and the region the best runs share.",
    ),
    (
        "pages/importance.py",
        "Which parameters matter?",
        ":material/bar_chart:",
        "Importance and correlation per parameter, with how far the numbers can be trusted.",
    ),
    (
        "pages/next_sweep.py",
        "What should I run next?",
        ":material/rocket_launch:",
        "A narrower W&B sweep (or Optuna search space) around the best runs, ready to download.",
    ),
    (
        "pages/load.py",
        "Load your own sweep",
        ":material/upload_file:",
        "A W&B project or sweep, a wandb/ folder, a runs table or an Optuna study.",
    ),
]

ui.page_frame()
sweep = ui.current_sweep()
st.title("Sweepscope")
st.markdown(
    "Sweepscope loads the runs of a hyperparameter sweep and answers two questions fast and "
    "honestly: **which hyperparameters matter** for your metric, and **where in the search space** "
    "the good runs are. It reads W&B projects, sweeps, folders and exports, runs tables and Optuna "
    "studies, and opens on a real demo sweep so you can try it with no account and no network."
)
st.caption(f"Current sweep: {md(sweep.source)}")
CARDS_PER_ROW = 2  # four in a row cut the questions short ("Which parameters m...") below ~1500 px
for start in range(0, len(PAGE_CARDS), CARDS_PER_ROW):
    row = PAGE_CARDS[start : start + CARDS_PER_ROW]
    for column, (page, label, icon, blurb) in zip(st.columns(CARDS_PER_ROW), row, strict=False):
        with column.container(border=True):
            st.page_link(page, label=label, icon=icon)
            st.caption(blurb)

if not sweep.metrics:
    st.info("This sweep has no metric columns. Assign one on the Load page.")
    st.stop()
runs = ui.context_header(page="home")
brief_download_button(runs)
metric = runs.metric
left, right = st.columns([1, 2], gap="large")
with left:
    st.subheader("Runs by state")
    loaded = ui.loaded_sweep()
    st.dataframe(capped_table(state_table(loaded)).frame, hide_index=True, width="stretch")
    if loaded.sweep_ids:
        st.caption(f"Sweeps: {', '.join(md(loaded.sweep_label(s)) for s in loaded.sweep_ids)}")
with right:
    st.subheader("At a glance")
    ui.why_this_metric(loaded, runs)
    if runs.analysed.analysable_params:
        st.markdown(what_matters(ui.default_importance(runs.analysed, metric)))
    summary = best_run_summary(runs.analysed, metric)
    if summary is None:
        st.warning(f"No run has a value for {md(metric)}.")
    else:
        st.metric(summary.headline, summary.value_text, help=summary.help)
        st.dataframe(capped_table(summary.params).frame, hide_index=True, width="stretch")
