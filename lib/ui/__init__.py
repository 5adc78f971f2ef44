"""The only Streamlit-aware module in `lib`: the app frame, navigation, and the session's sweep.

Navigation uses `st.navigation` with page files in `pages/`. On a freshly started server a deep
link (`/load`) makes Streamlit run `pages/load.py` on its own, skipping the entry point
(streamlit#9624). Every page therefore starts with `page_frame()`: when the frame is missing it
runs the app's navigation itself, which renders the requested page inside the full frame, and
then stops the bare run. Deep links work on a fresh server and the pages stay plain scripts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from lib.analysis._fit import ForestSettings
from lib.analysis.importance import ImportanceReport, Method, importance_report
from lib.columns import Direction, Kind
from lib.figures.inert import defused
from lib.fingerprint import frame_fingerprint
from lib.safe_text import md, md_sentence
from lib.selection import Choices, Role, apply_choices
from lib.sources import SourceError, load_source
from lib.sweep import Sweep, empty_sweep

APP_DIR = Path(__file__).resolve().parents[2]
PAGES_DIR = APP_DIR / "pages"
LOADED_KEY = "sweep.loaded"
GENERATION_KEY = "sweep.generation"
CHOICES_KEY = "sweep.choices"
CHOICES_VERSION_KEY = "sweep.choices_version"

log = logging.getLogger("sweepscope")
_frame = threading.local()  # one script run per thread: marks runs already inside the frame


def _page(file: str, title: str, icon: str) -> Any:
    return st.Page(PAGES_DIR / f"{file}.py", title=title, icon=f":material/{icon}:", url_path=file)


def _pages(home: Callable[[], None]) -> dict[str, list[Any]]:
    return {
        "": [
            st.Page(home, title="Home", icon=":material/home:", url_path="home", default=True),
            _page("load", "Load", "upload_file"),
        ],
        "Understand": [
            _page("parallel", "Parallel coordinates", "stacked_line_chart"),
            _page("importance", "Parameter importance", "bar_chart"),
            _page("response", "Shape of the response", "show_chart"),
            _page("history", "Search history", "timeline"),
        ],
        "Act": [_page("next_sweep", "Next sweep", "rocket_launch")],
    }


def run_app(home: Callable[[], None]) -> None:
    """The entry point: page config, shared sidebar, navigation, and the chosen page."""
    st.set_page_config(page_title="Sweepscope", page_icon=":material/insights:", layout="wide")
    page = st.navigation(_pages(home))
    _sidebar_banner()
    _frame.active = True
    try:
        page.run()
    except Exception:  # a page must never show a traceback; the log keeps the details
        log.exception("Unexpected error on page %s", page.title)
        st.error(
            "Something went wrong while drawing this page. Try another setting or reload the "
            "sweep; if it keeps happening, the server log has the details."
        )
    finally:
        _frame.active = False


def page_frame() -> None:
    """Call first in every page file: makes a bare deep-link run render the full app."""
    if getattr(_frame, "active", False):
        return
    import streamlit_app

    run_app(streamlit_app.home)
    st.stop()


def _sidebar_banner() -> None:
    sweep = current_sweep()
    with st.sidebar:
        st.caption("Current sweep")
        st.markdown(f"**{md(sweep.source) if sweep.source else 'Unnamed sweep'}**")
        st.caption(
            f"{len(sweep.runs):,} runs · {len(sweep.params)} parameters · {len(sweep.metrics)} metrics"
        )


@st.cache_resource(show_spinner="Loading the demo sweep…")
def _demo_sweep() -> Sweep:
    return load_source("demo")


def loaded_sweep() -> Sweep:
    """The sweep this browser session loaded, the demo until it loads another."""
    if LOADED_KEY not in st.session_state:
        try:
            st.session_state[LOADED_KEY] = _demo_sweep()
        except Exception:  # a broken install must still leave the Load page usable
            log.exception("The demo sweep could not be read")
            st.session_state[LOADED_KEY] = empty_sweep(
                "The demo sweep could not be read: load a sweep instead"
            )
    return st.session_state[LOADED_KEY]


def set_loaded_sweep(sweep: Sweep) -> None:
    st.session_state[LOADED_KEY] = sweep
    st.session_state[GENERATION_KEY] = load_generation() + 1
    set_choices(Choices())


def load_generation() -> int:
    """Counts loads in this session; widget keys include it so a new sweep starts from fresh widgets."""
    return int(st.session_state.get(GENERATION_KEY, 0))


def current_choices() -> Choices:
    return st.session_state.get(CHOICES_KEY, Choices())


def set_choices(choices: Choices) -> None:
    st.session_state[CHOICES_KEY] = choices
    st.session_state[CHOICES_VERSION_KEY] = st.session_state.get(CHOICES_VERSION_KEY, 0) + 1


def current_sweep() -> Sweep:
    """The sweep every page analyses: the loaded one with the user's choices applied."""
    return apply_choices(loaded_sweep(), current_choices())


def load_into_session(loader: Callable[[], Sweep], what: str) -> bool:
    """Run a loader; on success make its sweep current, on failure say why. Returns success."""
    try:
        with st.spinner(f"Reading {md(what)}…"):
            sweep = loader()
    except SourceError as error:
        st.error(md_sentence(str(error)), icon=":material/error:")
        return False
    except Exception as error:
        log.exception("Unexpected error while reading %s", what)
        st.error(
            f"Sweepscope could not read {md(what)}: an unexpected {type(error).__name__}. "
            "Check that it is a W&B folder, a runs table or a zip of a wandb/ folder.",
            icon=":material/error:",
        )
        return False
    set_loaded_sweep(sweep)
    return True


def column_table_config() -> dict[str, Any]:
    """Editors for the load page's column table: role, kind and direction as drop-downs."""
    return {
        "column": st.column_config.TextColumn("Column", width="medium"),
        "role": st.column_config.SelectboxColumn("Role", options=[r.value for r in Role], required=True),
        "kind": st.column_config.SelectboxColumn("Kind", options=[k.value for k in Kind], required=True),
        "direction": st.column_config.SelectboxColumn(
            "Direction", options=[d.value for d in Direction], help="Metrics only: is lower or higher better?"
        ),
        "distinct": st.column_config.NumberColumn("Distinct values"),
        "missing": st.column_config.NumberColumn("Missing"),
    }


def secrets_mapping() -> dict[str, Any]:
    """`st.secrets` as a plain dict; empty when the app has no secrets file."""
    try:
        return dict(st.secrets)
    except Exception:  # no secrets.toml: Streamlit raises even on .get()
        return {}


@st.cache_data(max_entries=32, show_spinner=False)
def _importance_cached(
    fingerprint: str,
    params: tuple[str, ...],
    metric: str,
    kinds: tuple[tuple[str, Kind], ...],
    method: Method,
    settings: ForestSettings,
    _runs: Any,
) -> ImportanceReport:
    return importance_report(_runs, list(params), metric, kinds=dict(kinds), method=method, settings=settings)


def cached_importance(
    sweep: Sweep, params: list[str], metric: str, method: Method, settings: ForestSettings
) -> ImportanceReport:
    """Importance, refitted only when the data or the settings change (keyed on every cell)."""
    runs = sweep.runs[[*params, metric]]
    kinds = tuple((p, sweep.kind(p)) for p in params)
    with st.spinner("Fitting the forest…"):
        return _importance_cached(
            frame_fingerprint(runs), tuple(params), metric, kinds, method, settings, _runs=runs
        )


def default_importance(sweep: Sweep, metric: str) -> ImportanceReport:
    """The importance page's default fit of the analysable parameters (one shared cached result)."""
    return cached_importance(
        sweep, sweep.analysable_params, metric, Method.HELD_OUT_PERMUTATION, ForestSettings()
    )


def importance_order(sweep: Sweep, metric: str | None) -> list[str]:
    """The analysable parameters, most important for `metric` first; empty when there is nothing
    to fit."""
    if metric is None or metric not in sweep.runs or not sweep.analysable_params:
        return []
    try:
        report = default_importance(sweep, metric)
    except Exception:  # ordering is a nicety: never let it break the page
        log.exception("Importance order for %s could not be computed", metric)
        return []
    return list(report.table["parameter"])


def metric_picker(sweep: Sweep, key: str, label: str = "Metric") -> str:
    """A metric selectbox naming each metric's direction, starting on the sweep's main metric."""
    return st.selectbox(
        label,
        sweep.metrics,
        index=sweep.metrics.index(sweep.default_metric or sweep.metrics[0]),
        key=key,
        format_func=lambda m: f"{m} ({sweep.direction(m).value})",
    )


def needs_metric_and_params(sweep: Sweep) -> None:
    """Stop the page with a pointer to the Load page when there is nothing to analyse."""
    if not sweep.metrics or not sweep.analysable_params or sweep.runs.empty:
        st.info(
            "This page needs runs, at least one metric and one parameter that varies. Load a sweep or "
            "assign column roles on the Load page."
        )
        st.stop()


def chart(figure: go.Figure, *, key: str, **options: Any) -> None:
    """Every Plotly chart goes out this way: names from data drawn as text, never as Plotly's HTML."""
    st.plotly_chart(defused(figure), width="stretch", key=key, **options)
