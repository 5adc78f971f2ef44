"""Sweepscope: entry point and home page. Run with `streamlit run streamlit_app.py`."""

from __future__ import annotations

import streamlit as st

from lib import ui
from lib.overview import best_run_summary, state_table


def home() -> None:
    sweep = ui.current_sweep()
    st.title("Sweepscope")
    st.markdown(
        "Sweepscope loads the runs of a hyperparameter sweep and answers two questions fast and "
        "honestly: **which hyperparameters matter** for your metric, and **where in the search space** "
        "the good runs are. It reads W&B folders and exports and runs tables, and opens on a real "
        "demo sweep so you can try it with no account and no network."
    )
    st.caption(f"Current sweep: {sweep.source}")

    left, right = st.columns([1, 2], gap="large")
    with left:
        st.subheader("Runs by state")
        st.dataframe(state_table(sweep), hide_index=True, width="stretch")
        if sweep.sweep_ids:
            st.caption(f"Sweeps: {', '.join(sweep.sweep_ids)}")
    with right:
        st.subheader("Best run")
        if not sweep.metrics:
            st.info("This sweep has no metric columns. Assign one on the Load page.")
        else:
            metric = st.selectbox(
                "Metric",
                sweep.metrics,
                index=sweep.metrics.index(sweep.default_metric or sweep.metrics[0]),
                key="home.metric",
            )
            summary = best_run_summary(sweep, metric)
            if summary is None:
                st.warning(f"No run has a value for {metric}.")
            else:
                st.metric(summary.headline, summary.value_text, help=summary.help)
                st.dataframe(summary.params, hide_index=True, width="stretch")

    st.divider()
    st.page_link(
        "pages/load.py", label="Load another sweep or fix column roles", icon=":material/upload_file:"
    )


if __name__ == "__main__":
    ui.run_app(home)
