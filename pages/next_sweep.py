"""Next sweep: the promising region as a W&B sweep configuration and an Optuna search space."""

from __future__ import annotations

import streamlit as st

from lib import ui
from lib.analysis.next_sweep import NextSweepError, next_sweep_config, optuna_snippet
from lib.filters import best_percent_mask
from lib.safe_text import md, md_sentence
from lib.ui.cache import effects_against_noise, sweep_noise
from lib.views.importance import signs_of_effect

ui.page_frame()
sweep = ui.current_sweep()
st.title("Next sweep")
ui.needs_metric_and_params(sweep)

st.caption(
    "A narrower W&B sweep around the runs you keep: ranges from where they sit, categorical values "
    "they used, parameters that do not matter fixed. Run it with `wandb sweep next_sweep.yaml`."
)
runs = ui.context_header(page="next_sweep")
sweep, metric = runs.included, runs.metric  # the metric column holds the chosen value
if runs.context.narrowed and runs.uses_kept:
    kept = runs.context.kept
    selection = f"the {runs.context.n_kept:,} kept runs ({', '.join(runs.context.filters)})"
else:
    st.caption(
        "No filter narrows the runs yet, so the proposal centres on the best runs picked here. "
        "Set thresholds or a best q% on the Parallel coordinates page to use those instead."
    )
    percent = st.slider(f"Keep the best q% by {md(metric)}", 1, 50, 10, key="next.percent")
    kept = best_percent_mask(sweep.runs[metric], sweep.direction(metric), percent)
    selection = f"best {percent}% by {runs.context.value.text or metric}"

if runs.context.narrowed and runs.uses_kept and not runs.context.value.is_summary:
    selection += f"; ranked by {runs.context.value.text}"  # the YAML says which value chose its runs

left, middle, right = st.columns(3)
margin = left.slider("Widen each range by", 0, 50, 10, format="%d%%", key="next.margin") / 100
min_importance = middle.number_input(
    "Fix parameters with importance below", 0.0, 0.5, 0.02, step=0.01, key="next.min_importance"
)
method = right.radio("Search method", ["bayes", "random"], horizontal=True, key="next.method")
fixed = st.multiselect("Also fix", sweep.analysable_params, key="next.fixed")
importance = ui.default_importance(sweep, metric).table
noise = sweep_noise(sweep, metric)
seed_flags = effects_against_noise(sweep, sweep.analysable_params, metric, noise) if noise.known else None
signs = signs_of_effect(importance, seed_flags)  # never fixed for a low importance alone

try:
    proposal = next_sweep_config(
        sweep, kept, metric, fixed=fixed, importance=importance, min_importance=min_importance,
        margin=margin, method=method, selection=selection, signs_of_effect=signs,
    )  # fmt: skip
except NextSweepError as error:
    st.info(md_sentence(str(error)), icon=":material/info:")
    st.stop()

for problem in proposal.problems:
    st.warning(md_sentence(problem), icon=":material/warning:")
wandb_tab, optuna_tab, why_tab = st.tabs(["W&B sweep (YAML)", "Optuna search space", "Why each parameter"])
with wandb_tab:
    st.code(proposal.yaml, language="yaml")
    st.download_button(
        "Download next_sweep.yaml", proposal.yaml, "next_sweep.yaml", "text/yaml", key="next.yaml"
    )
with optuna_tab:
    snippet = optuna_snippet(proposal)
    st.code(snippet, language="python")
    st.download_button("Download next_study.py", snippet, "next_study.py", "text/x-python", key="next.py")
with why_tab:
    st.dataframe(proposal.decisions, hide_index=True, width="stretch")
