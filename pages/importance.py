"""Parameter importance: which hyperparameters matter for a metric, and how far to trust that."""

from __future__ import annotations

import streamlit as st

from lib import ui
from lib.analysis._fit import ForestSettings
from lib.ui import importance_sections as sections
from lib.ui.cache import sweep_noise

ui.page_frame()
sweep = ui.current_sweep()
st.title("Parameter importance")

if not sweep.metrics or not sweep.params:
    st.info("This sweep needs at least one parameter and one metric. Assign column roles on the Load page.")
    st.stop()

runs = ui.context_header(page="importance")
sweep, metric = runs.analysed, runs.metric
method, seed = sections.analysis_controls()
params = sections.parameter_manager(sweep)
if not params:
    st.warning("Choose at least one parameter to analyse.")
    st.stop()
noise = sweep_noise(sweep, metric)
fitted = sections.fitted_sweep(sweep, params, metric, noise)
analysis = sections.Analysis(
    sweep=sweep,
    fitted=fitted,
    params=params,
    metric=metric,
    method=method,
    settings=ForestSettings(seed=seed),
    noise=noise,
    included=runs.included,
    best_percent=runs.context.best_percent if runs.uses_kept else None,
)
ui.lazy_tabs(sections.TABS, analysis, key="importance.tab")  # only the tab shown computes
