"""Load: where the sweep comes from, what was read, which runs count, and how columns are read."""

from __future__ import annotations

import streamlit as st

from lib import ui
from lib.safe_text import md, md_sentence
from lib.selection import Choices, choices_from_column_table, column_table
from lib.ui.sources import SOURCE_PANELS, fetched_data_facts
from lib.views.display_limits import capped_table
from lib.views.load import skipped_table, source_facts

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
        label, options, default=list(current or options), key=f"load.{field}.{generation}"
    )
    picked[field] = None if set(chosen) == set(options) else tuple(chosen)

sweep = ui.current_sweep()
st.header("How each column is read")
st.caption(
    "Parameters are what the sweep varied, metrics what it measured. Constant and identifier columns "
    "(names, seeds, paths) stay out of the analysis unless you give them another kind."
)
primary = choices.primary_metric
if sweep.metrics:
    default = sweep.default_metric or sweep.metrics[0]
    primary = st.selectbox(
        "Main metric", sweep.metrics, index=sweep.metrics.index(default), key=f"load.primary.{generation}"
    )
edited = st.data_editor(
    column_table(sweep),
    hide_index=True,
    width="stretch",
    disabled=["column", "distinct", "missing"],
    column_config=ui.column_table_config(),
    key=f"load.columns.{generation}",
)
primary_override = primary if primary != loaded.default_metric else None
included = Choices(
    sweeps=picked["sweeps"], groups=picked["groups"], states=picked["states"], primary_metric=primary_override
)
updated = choices_from_column_table(edited, loaded, included)
if updated != choices:
    ui.set_choices(updated)
    st.rerun()

st.header("Runs")
st.caption(f"{len(sweep.runs):,} of {len(loaded.runs):,} runs included.")
shown = capped_table(sweep.runs)
if shown.note():
    st.caption(shown.note())
st.dataframe(shown.frame, width="stretch")
