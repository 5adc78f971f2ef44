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

metric, method, seed = sections.analysis_controls(sweep)
params = sections.parameter_manager(sweep)
if not params:
    st.warning("Choose at least one parameter to analyse.")
    st.stop()
sweep = sections.runs_used(sweep, metric)
noise = sweep_noise(sweep, metric)
fitted = sections.fitted_sweep(sweep, params, metric, noise)
settings = ForestSettings(seed=seed)
report = ui.cached_importance(fitted, [p for p in params if p in fitted.params], metric, method, settings)
flags = sections.noise_flags_for(sweep, params, metric, noise)

forest, best, variance, seeds = st.tabs(
    ["Forest importance", "What separates the best runs", "Variance decomposition", "Seed noise"]
)
with forest:
    unit = "configurations" if fitted is not sweep else "runs"
    sections.forest_tab(sweep, report, params, method, settings, flags, unit)
with best:
    sections.best_runs_tab(sweep, params, metric, report, noise)
with variance:
    sections.fanova_tab(sweep, params, metric, seed)
with seeds:
    sections.noise_tab(sweep, noise, flags)
