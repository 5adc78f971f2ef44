"""The analysis context every page shares, kept in the session and in the URL.

One `ViewState` per loaded sweep holds the metric, the thresholds and the best q% (and the
parallel chart's layout). Every page starts from it, shows it at the top (`context_header`) and
writes it back to the URL, so a copied link from any page reopens the same view. A run starts
from the URL when it holds a view this session did not write itself (a shared link), else from the
session. Widget keys carry a token that changes when a link is applied, so fresh widgets start
from the link's values instead of keeping their old ones.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import streamlit as st

from lib.analysis.metric_value import step_name
from lib.histories import MetricValue, ValueChoice
from lib.safe_text import md, md_sentence
from lib.sources.history.read import history_choices, history_step_keys, why_summary_only
from lib.sweep import Sweep
from lib.ui.links import linked_view, write_link
from lib.ui.metric_value import DEFAULT_K, step_key_of, valued_sweep
from lib.ui.session import current_choices, current_sweep, load_generation, loaded_sweep
from lib.views.context import Context, build_context, context_metric, kept_runs, metric_alternatives
from lib.views.parallel_state import ViewState, from_query, to_query

VIEW_KEY = "context.view"
WRITTEN_KEY = "context.written_query"
TOKEN_KEY = "context.token"
USE_KEPT_KEY = "context.use_kept"


@dataclass(frozen=True)
class PageRuns:
    """What a page analyses: the included runs, the shared context, and the runs it uses."""

    included: Sweep
    context: Context
    analysed: Sweep  # the kept runs, or every included run when the page uses all of them
    uses_kept: bool

    @property
    def metric(self) -> str:
        assert self.context.metric is not None, "pages check for a metric before the header"
        return self.context.metric


def view_token() -> int:
    """Changes when a shared link's view is applied: part of every widget key built from the view."""
    return int(st.session_state.get(TOKEN_KEY, 0))


def shared_view(sweep: Sweep) -> ViewState:
    """A shared link's view when the URL holds one this session did not write, else the session's."""
    query = linked_view()
    if query and query != st.session_state.get(WRITTEN_KEY):
        st.session_state[TOKEN_KEY] = view_token() + 1
        view = from_query(query, sweep)
        _save(view)
        return view
    saved: tuple[int, ViewState] | None = st.session_state.get(VIEW_KEY)
    if saved is not None and saved[0] == load_generation():
        return saved[1]
    return ViewState()


def remember_view(view: ViewState) -> None:
    """Keep the view for this session and write it to the URL."""
    _save(view)
    query = to_query(view)
    write_link(query)
    st.session_state[WRITTEN_KEY] = query


def _save(view: ViewState) -> None:
    st.session_state[VIEW_KEY] = (load_generation(), view)


def analysis_context() -> tuple[Sweep, Context, ViewState]:
    """The included runs (their metric column holding the chosen value), the shared context on
    them, and the view it comes from."""
    included = current_sweep()
    view = shared_view(included)
    sweep, value = valued_sweep(included, view)
    return sweep, build_context(loaded_sweep(), sweep, current_choices(), view, value=value), view


def _set_metric(widget_key: str) -> None:
    view = shared_view(current_sweep())
    _save(dataclasses.replace(view, metric=st.session_state[widget_key]))


def shared_metric_picker(sweep: Sweep, context: Context, *, key: str, label: str = "Metric") -> str:
    """The shared metric: picking one here changes it on every page (the widget mirrors the context)."""
    st.session_state[key] = context.metric
    chosen: str = st.selectbox(
        label,
        sweep.metrics,
        key=key,
        on_change=_set_metric,
        args=(key,),
        format_func=lambda m: f"{m} ({sweep.direction(m).value})",
        help="The same metric on every page; its direction is set on the Load page's column table.",
    )
    return chosen


CHOICE_LABELS = {
    ValueChoice.LAST: "last (the summary)",
    ValueChoice.BEST: "best over training",
    ValueChoice.AT_STEP: "at a step",
    ValueChoice.MEAN_LAST: "mean of the last k",
}


def _set_value(key: str) -> None:
    """The value widgets under `key` changed: save them into the shared view before the rerun."""
    state = st.session_state
    choice = ValueChoice(state[f"{key}.choice"])
    view = shared_view(current_sweep())
    step_key = state.get(f"{key}.step_key", view.step_key)
    step = state.get(f"{key}.step") if choice is ValueChoice.AT_STEP else None
    k = state.get(f"{key}.k") if choice is ValueChoice.MEAN_LAST else None
    value = MetricValue(choice, step=None if step is None else float(step), k=None if k is None else int(k))
    _save(dataclasses.replace(view, value=value, step_key=step_key))


def value_picker(sweep: Sweep, view: ViewState, *, key: str) -> None:
    """Which value of the metric stands for each run (with its step or k, and the step axis when
    there are several). The widgets mirror the shared view; a change saves it at once."""
    metric = context_metric(sweep, view)
    choices = history_choices(sweep, metric) if metric else (ValueChoice.LAST,)
    key = f"{key}.{load_generation()}.{view_token()}"
    state = st.session_state
    state[f"{key}.choice"] = view.value.choice if view.value.choice in choices else ValueChoice.LAST
    st.selectbox(
        "Value",
        choices,
        format_func=lambda c: CHOICE_LABELS[ValueChoice(c)],
        key=f"{key}.choice",
        on_change=_set_value,
        args=(key,),
        disabled=len(choices) == 1,
        help=_value_help(sweep, metric),
    )
    if view.value.choice is ValueChoice.AT_STEP:
        _step_widgets(sweep, view, key)
    elif view.value.choice is ValueChoice.MEAN_LAST:
        state[f"{key}.k"] = view.value.k or DEFAULT_K
        st.number_input(
            "k (last logged values)", 1, 100_000, key=f"{key}.k", on_change=_set_value, args=(key,)
        )


def _step_widgets(sweep: Sweep, view: ViewState, key: str) -> None:
    keys = history_step_keys(sweep)
    step_key = step_key_of(sweep, view)
    if len(keys) > 1:
        st.session_state[f"{key}.step_key"] = step_key
        st.selectbox("Step axis", keys, key=f"{key}.step_key", on_change=_set_value, args=(key,))
    st.session_state[f"{key}.step"] = view.value.step
    st.number_input(
        f"At {md(step_name(step_key))}",
        value=None,
        placeholder="the step half the runs reached",
        key=f"{key}.step",
        on_change=_set_value,
        args=(key,),
        help="The value at the last logged step at or before this one, for runs that reached it.",
    )


def _value_help(sweep: Sweep, metric: str | None) -> str:
    why = why_summary_only(sweep, metric) if metric else None
    base = (
        "Which value of the metric stands for each run, on every page: the run's summary (what W&B "
        "shows), its best over training, its value at a step, or the mean of its last k values."
    )
    return f"{base} {md_sentence(why)}" if why else base  # names in it are the sweep's: escaped


def context_header(*, page: str, kept_by_default: bool = True, all_runs_why: str = "") -> PageRuns:
    """The top of an analysis page: the shared metric, the runs it keeps and the switch between
    the kept runs and all included runs. Pages call it after checking the sweep has a metric."""
    sweep, context, view = analysis_context()
    left, middle, right = st.columns([1, 1, 2], vertical_alignment="bottom")
    with left:
        shared_metric_picker(sweep, context, key=f"{page}.metric")
    with middle:
        value_picker(sweep, view, key=f"{page}.value")
    uses_kept = True
    with right:
        st.markdown(f"**{md(context.headline())}**")
        if context.value.note:
            st.caption(md_sentence(context.value.note))
        if context.narrowed:
            preference = f"{USE_KEPT_KEY}.{page}"  # outlives the widget, which a page switch forgets
            uses_kept = st.toggle(
                f"Use only the {context.n_kept:,} kept runs (of {context.n_included:,} included)",
                value=bool(st.session_state.get(preference, kept_by_default)),
                key=f"{preference}.widget.{load_generation()}",
            )
            st.session_state[preference] = uses_kept
            if not uses_kept:
                st.caption(
                    f"This page uses all {context.n_included:,} included runs{all_runs_why}. The filters "
                    "are set on the Parallel coordinates page."
                )
    remember_view(view)
    analysed = kept_runs(sweep, context) if uses_kept and context.narrowed else sweep
    return PageRuns(included=sweep, context=context, analysed=analysed, uses_kept=uses_kept)


def why_this_metric(loaded: Sweep, runs: PageRuns) -> None:
    """Why the sweep opened on its metric, and the other likely metrics one click away."""
    metric = runs.metric
    if metric == loaded.default_metric and loaded.primary_reason:
        st.caption(f"Opened on **{md(metric)}**: {md(loaded.primary_reason)}.")
    options = metric_alternatives(runs.included, metric)
    if not options:
        return
    picked = st.pills("Or look at", options, key=f"home.switch.{load_generation()}.{metric}", format_func=md)
    if picked:
        view = shared_view(runs.included)
        _save(dataclasses.replace(view, metric=picked))
        st.rerun()
