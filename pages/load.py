"""Load: where the sweep comes from, what was read, which runs count, and how columns are read."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from lib import ui
from lib.load_summary import skipped_table, source_facts
from lib.paths import allowed_roots, resolve_allowed
from lib.selection import Choices, choices_from_column_table, column_table
from lib.sources import load_source
from lib.sources.archive import load_wandb_zip
from lib.sources.runs_table import load_runs_table_bytes

ui.page_frame()

st.title("Load a sweep")

SOURCES = ["Demo sweep", "Path on this server", "Upload a runs table", "Upload a zipped wandb/ folder"]
source = st.segmented_control("Source", SOURCES, default=SOURCES[0], key="load.source") or SOURCES[0]

if source == "Demo sweep":
    st.caption("A real scikit-learn sweep of 200 runs in two W&B sweeps, shipped with Sweepscope.")
    if st.button("Load the demo", type="primary"):
        ui.load_into_session(lambda: load_source("demo"), "the demo sweep")
elif source == "Path on this server":
    roots = allowed_roots(os.environ, ui.secrets_mapping(), Path.cwd())
    st.caption(
        "A wandb/ folder (or the folder holding it), a runs table (.csv, .tsv, .parquet) or a .zip. "
        f"Readable folders: {', '.join(str(r) for r in roots)}."
    )
    text = st.text_input("Path", placeholder="wandb  or  exports/runs.csv", key="load.path")
    if st.button("Load path", type="primary", disabled=not text):
        ui.load_into_session(lambda: load_source(resolve_allowed(text, roots)), text)
elif source == "Upload a runs table":
    st.caption(
        "A W&B runs-table export (Runs tab → table → Export CSV), an API-made table, or any runs table."
    )
    upload = st.file_uploader("Runs table", type=["csv", "tsv", "txt", "parquet", "pq"], key="load.table")
    if upload is not None and st.button("Load table", type="primary"):
        ui.load_into_session(lambda: load_runs_table_bytes(upload.getvalue(), upload.name), upload.name)
else:
    st.caption("Zip your wandb/ folder (online and offline runs) and upload it; nothing in it is executed.")
    upload = st.file_uploader("Zipped wandb/ folder", type=["zip"], key="load.zip")
    if upload is not None and st.button("Load zip", type="primary"):
        ui.load_into_session(lambda: load_wandb_zip(upload.getvalue(), name=upload.name), upload.name)

loaded = ui.loaded_sweep()
choices = ui.current_choices()
generation = ui.load_generation()

st.header("What was loaded")
st.caption(loaded.source)
facts = source_facts(loaded)
for column, (label, value) in zip(st.columns(len(facts)), facts.items(), strict=True):
    column.metric(label, value)
for note in loaded.notes:
    st.info(note, icon=":material/info:")
if loaded.skipped:
    with st.expander(f"{len(loaded.skipped)} item(s) not loaded, with the reason", expanded=True):
        st.dataframe(skipped_table(loaded), hide_index=True, width="stretch")

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
updated = choices_from_column_table(edited, loaded, Choices(**picked, primary_metric=primary_override))
if updated != choices:
    ui.set_choices(updated)
    st.rerun()

st.header("Runs")
st.caption(f"{len(sweep.runs):,} of {len(loaded.runs):,} runs included.")
st.dataframe(sweep.runs, width="stretch")
