"""Which value of the metric stands for each run: the picker beside the metric, and the sweep whose
metric column holds the chosen value.

The history is read only when a value other than the summary is chosen, once per session, sweep,
metric and step axis (`metric_history`), and kept in this browser session alone: a W&B history
was fetched with this visitor's key.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import OrderedDict

import streamlit as st

from lib.analysis.metric_value import chosen_values, default_step, step_name, value_gaps
from lib.histories import MetricHistory, MetricValue, ValueChoice, WandbRuns
from lib.safe_text import md_sentence
from lib.sources.history.errors import HistoryUnavailable
from lib.sources.history.read import history_choices, history_step_keys, read_history, why_summary_only
from lib.sweep import Sweep
from lib.ui.session import load_generation, loaded_sweep
from lib.views.context import ValueInUse, context_metric, value_in_use, with_metric_values
from lib.views.parallel_state import ViewState

log = logging.getLogger("sweepscope")

HISTORIES_KEY = "history.read"
WANDB_KEY = "history.wandb_key"  # the key the session's W&B sweep was fetched with
MAX_HISTORIES = 6  # per session: a few metrics and step axes switched between

DEFAULT_K = 5


def remember_wandb_key(key: str) -> None:
    """Keep the key a W&B sweep was fetched with, in this session only, to read its history later."""
    st.session_state[WANDB_KEY] = key


def metric_history(metric: str, step_key: str) -> MetricHistory:
    """The loaded sweep's history of `metric` on `step_key`, read once per session and load."""
    store: OrderedDict[tuple[int, str, str], MetricHistory] = st.session_state.setdefault(
        HISTORIES_KEY, OrderedDict()
    )
    slot = (load_generation(), metric, step_key)
    if slot in store:
        store.move_to_end(slot)
        return store[slot]
    loaded = loaded_sweep()
    key = st.session_state.get(WANDB_KEY) if isinstance(loaded.history, WandbRuns) else None
    with st.spinner(f"Reading the history of {metric}…"):
        history = read_history(loaded, metric, step_key=step_key, key=key)
    store[slot] = history
    while len(store) > MAX_HISTORIES:
        store.popitem(last=False)
    return history


def step_key_of(sweep: Sweep, view: ViewState) -> str:
    keys = history_step_keys(sweep)
    if view.step_key in keys:
        return str(view.step_key)
    return keys[0] if keys else "_step"


def valued_sweep(sweep: Sweep, view: ViewState) -> tuple[Sweep, ValueInUse]:
    """`sweep` with its metric column holding the view's chosen value, and what that value is.

    The summary stands when the source has no history of the metric or it cannot be read; the
    returned note then says why, so a page never analyses another value than it names.
    """
    metric = context_metric(sweep, view)
    if metric is None or view.value.choice is ValueChoice.LAST:
        return sweep, ValueInUse()
    if view.value.choice not in history_choices(sweep, metric):
        return sweep, ValueInUse(note=why_summary_only(sweep, metric) or "")
    step_key = step_key_of(sweep, view)
    try:
        history = metric_history(metric, step_key)
    except HistoryUnavailable as error:
        return sweep, ValueInUse(note=f"{error} The summary value is used meanwhile.")
    except Exception:  # a reader's surprise must not take the page down
        log.exception("Reading the history of %s failed", metric)
        return sweep, ValueInUse(
            note=f"The history of {metric} could not be read: the summary value is used."
        )
    return _with_chosen_values(sweep, metric, history, view.value)


def _with_chosen_values(
    sweep: Sweep, metric: str, history: MetricHistory, value: MetricValue
) -> tuple[Sweep, ValueInUse]:
    if value.choice is ValueChoice.AT_STEP and value.step is None:
        value = dataclasses.replace(value, step=default_step(history, list(sweep.runs.index)))
    if value.choice is ValueChoice.MEAN_LAST and value.k is None:
        value = dataclasses.replace(value, k=DEFAULT_K)
    direction = sweep.direction(metric)
    values = chosen_values(history, value, direction=direction, run_ids=list(sweep.runs.index))
    if not values.notna().any():
        note = f"No run has logged {metric} on {step_name(history.step_key)}: the summary value is used."
        return sweep, ValueInUse(note=note)
    gaps = value_gaps(history, value, run_ids=list(sweep.runs.index)).sentence(
        metric, value, step_key=history.step_key
    )
    note = " ".join(n for n in (gaps, *history.notes) if n)
    return with_metric_values(sweep, metric, values), value_in_use(
        metric, value, direction, step_key=history.step_key, note=note
    )


def show_value_note(value: ValueInUse) -> None:
    if value.note:
        st.caption(md_sentence(value.note))
