"""Load: where the sweep comes from, what was read, which runs count, and how columns are read."""

from __future__ import annotations

import streamlit as st

from lib import ui
from lib.safe_text import md, md_sentence
from lib.selection import Choices, choices_from_column_table, column_table
from lib.ui.sources import SOURCE_PANELS, fetched_data_facts
from lib.views.display_limits import capped_table
from lib.views.load import runs_with_inclusion, skipped_table, source_facts

ui.page_frame()

st.title("Load a sweep")
names = list(SOURCE_PANELS)
source = st.segmented_control("Source", names, default=names[0], key="load.source") or names[0]
SOURCE_PANELS[source]()

loaded = ui.loaded_sweep()
choices = ui.current_choices()
generation = ui.load_generation()

st.header("What was loaded")
st.caption(md(loaded.source))
fetched_data_facts(loaded)
facts = source_facts(loaded)
for column, (label, value) in zip(st.columns(len(facts)), facts.items(), strict=True):
    column.metric(label, value)
for note in loaded.notes:
    st.info(md_sentence(note), icon=":material/info:")
if loaded.skipped:
    with st.expander(f"{len(loaded.skipped)} item(s) not loaded, with the reason", expanded=True):
        st.dataframe(capped_table(skipped_table(loaded)).frame, hide_index=True, width="stretch")

st.header("Which runs to include")
st.caption(
    "Rankings, importance and the next sweep use finished runs unless you add other states here: "
    "pruned, failed and crashed runs stop early, so their last values are not comparable."
)
filters = st.columns(3)
picked: dict[str, tuple[str, ...] | None] = {}
for column, (field, label, options) in zip(
    filters,
    [
        ("sweeps", "Sweeps", loaded.sweep_ids),
        ("groups", "Groups", loaded.groups),
        ("states", "States", loaded.states),
    ],
    strict=True,
):
    if not options:
        column.caption(f"{label}: none recorded")
        picked[field] = None
        continue
    current = getattr(choices, field)
    chosen = column.multiselect(
        label,
        options,
        default=list(current or options),
        key=f"load.{field}.{generation}",
        format_func=loaded.sweep_label if field == "sweeps" else str,
    )
    picked[field] = None if set(chosen) == set(options) else tuple(chosen)

sweep = ui.current_sweep()
st.header("How each column is read")
st.caption(
    "Parameters are what the sweep varied, metrics what it measured, bookkeeping what a run records "
    "about itself (step counters, learning-rate schedules, echoes of a setting). The Why column says "
    "what each guess rests on: change a role or kind if it is wrong. Constant and identifier columns "
    "(names, seeds, paths) stay out of the analysis unless you give them another kind."
)
if sweep.metrics:
    _, context, _ = ui.analysis_context()
    ui.shared_metric_picker(sweep, context, key="load.primary", label="Main metric (every page uses it)")
    if loaded.primary_reason and context.metric == loaded.default_metric:
        st.caption(f"Sweepscope opened on {md(context.metric)}: {md_sentence(loaded.primary_reason)}")
edited = st.data_editor(
    column_table(sweep, choices.roles),
    hide_index=True,
    width="stretch",
    disabled=["column", "why", "distinct", "missing"],
    column_config=ui.column_table_config(),
    key=f"load.columns.{generation}",
)
included = Choices(sweeps=picked["sweeps"], groups=picked["groups"], states=picked["states"])
updated = choices_from_column_table(edited, loaded, included)
if updated != choices:
    ui.set_choices(updated)
    st.rerun()

st.header("Runs")
st.caption(
    f"{len(sweep.runs):,} of {len(loaded.runs):,} runs included; every loaded run is listed, "
    "included ones first."
)
shown = capped_table(runs_with_inclusion(loaded, sweep))
if shown.note():
    st.caption(shown.note())
st.dataframe(
    shown.frame,
    width="stretch",
    height=ui.whole_rows_height(len(shown.frame)),
    column_config=ui.runs_column_config(shown.frame),
)
