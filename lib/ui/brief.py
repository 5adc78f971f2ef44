"""The Home page's "Download the brief" button.

Opening the page only notes what the brief is about (the sweep, the shared context and view, the
link back); the brief is built when the button is clicked, by Streamlit on another thread with no
session, from the pages' own cached analyses, so it shows the numbers the pages show.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import pandas as pd
import streamlit as st

from lib.analysis.next_sweep import NextSweep, NextSweepError, next_sweep_config
from lib.analysis.response import ResponseShape
from lib.sweep import Sweep
from lib.ui.cache import (
    cached_response,
    default_importance,
    effects_against_noise,
    importance_order,
    sweep_noise,
)
from lib.ui.context import PageRuns, shared_view
from lib.ui.links import SOURCE_PARAM
from lib.ui.references import parse_reference
from lib.ui.session import current_sweep, loaded_reference, loaded_sweep
from lib.views.brief import (
    BriefResults,
    NextSweepSettings,
    Unavailable,
    brief_html,
    build_brief,
    next_sweep_selection,
)
from lib.views.importance import signs_of_effect
from lib.views.parallel_chart import ParcoordsView, parallel_chart
from lib.views.parallel_state import ViewState

log = logging.getLogger("sweepscope")
T = TypeVar("T")

HOME_PATH = "home"
LIVE_PAGE = "parallel"  # the view: the parallel coordinates as filtered
RESPONSE_TOP = 4  # the Shape of the response page's default number of curves
FILE_NAME = "sweep_brief.html"


@dataclass(frozen=True)
class BriefRequest:
    """What the brief is about, taken from the session when the page runs (cheap: no analysis)."""

    loaded: Sweep
    runs: PageRuns
    view: ViewState
    link: str | None
    link_note: str


def brief_download_button(runs: PageRuns) -> None:
    """The button; the brief is computed only when it is clicked."""
    request = BriefRequest(loaded_sweep(), runs, shared_view(current_sweep()), *live_view_link())
    st.download_button(
        "Download the brief",
        data=lambda: brief_file(request),
        file_name=FILE_NAME,
        mime="text/html",
        icon=":material/summarize:",
        on_click="ignore",
        help="One HTML file to e-mail: this sweep at a glance, the analysis context, the parallel "
        "coordinates as filtered, what matters and how far to trust it, the response curves and the next "
        "sweep's YAML. It opens in any browser, offline.",
    )


def brief_file(request: BriefRequest) -> str:
    return brief_html(build_brief(brief_results(request)))


def brief_results(request: BriefRequest) -> BriefResults:
    """Each page's analysis, computed as the page computes it (from the same caches)."""
    runs = request.runs
    included, analysed, metric = runs.included, runs.analysed, runs.metric
    settings = NextSweepSettings()
    kept, selection = next_sweep_selection(included, runs.context, runs.uses_kept, settings)
    return BriefResults(
        loaded=request.loaded,
        included=included,
        analysed=analysed,
        context=runs.context,
        parallel=_attempt(lambda: _parallel(included, request.view), "The parallel coordinates"),
        importance=_needs_params(analysed, lambda: default_importance(analysed, metric), "The importance"),
        response=_needs_params(analysed, lambda: _response(analysed, metric), "The response curves"),
        next_sweep=_needs_params(
            included, lambda: _next_sweep(included, kept, metric, selection, settings), "The next sweep"
        ),
        next_selection=selection,
        next_settings=settings,
        seed_noise=_optional(lambda: _seed_noise(analysed, metric)),
        link=request.link,
        link_note=request.link_note,
        made_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def _parallel(included: Sweep, view: ViewState) -> ParcoordsView | Unavailable:
    if included.runs.empty:
        return Unavailable("No run is included, so there is nothing to draw.")
    order = importance_order(included, view.metric or included.default_metric)
    return parallel_chart(included, view, importance_order=order)


def _response(analysed: Sweep, metric: str) -> ResponseShape:
    params = analysed.analysable_params
    ranked = importance_order(analysed, metric) or params
    return cached_response(analysed, params, metric, ranked[:RESPONSE_TOP])


def _seed_noise(sweep: Sweep, metric: str) -> pd.DataFrame | None:
    noise = sweep_noise(sweep, metric)
    return effects_against_noise(sweep, sweep.analysable_params, metric, noise) if noise.known else None


def _next_sweep(
    included: Sweep, kept: pd.Series, metric: str, selection: str, settings: NextSweepSettings
) -> NextSweep | Unavailable:
    importance = default_importance(included, metric).table
    signs = signs_of_effect(importance, _seed_noise(included, metric))  # as the Next sweep page does
    try:
        return next_sweep_config(
            included, kept, metric, importance=importance, min_importance=settings.min_importance,
            margin=settings.margin, method=settings.method, selection=selection, signs_of_effect=signs,
        )  # fmt: skip
    except NextSweepError as error:
        return Unavailable(str(error))


def _needs_params(sweep: Sweep, compute: Callable[[], T], what: str) -> T | Unavailable:
    if not sweep.analysable_params or sweep.runs.empty:
        return Unavailable(f"{what}: no parameter varies across these runs, so there is nothing to analyse.")
    return _attempt(compute, what)


def _attempt(compute: Callable[[], T], what: str) -> T | Unavailable:
    try:
        return compute()
    except Exception:  # one analysis failing must not cost the reader the rest of the brief
        log.exception("%s could not be computed for the brief", what)
        return Unavailable(f"{what} could not be computed for this brief; the app's page shows why.")


def _optional(compute: Callable[[], T]) -> T | None:
    result = _attempt(compute, "The seed noise")
    return None if isinstance(result, Unavailable) else result


# ---------------------------------------------------------------------------------- the link


def live_view_link() -> tuple[str | None, str]:
    """The address of this view in the app and a note for the reader (see `link_for`)."""
    return link_for(st.query_params.to_dict(), loaded_reference(), st.context.url)


def link_for(query: Mapping[str, str], reference: str | None, app_url: str | None) -> tuple[str | None, str]:
    """The address bar's link (`write_link` put the loaded sweep's reference and the view in it)
    on the parallel-coordinates page of the app at `app_url`, relative when that is unknown; no link
    when the URL's sweep is not the loaded one or cannot be reopened from a link."""
    src = query.get(SOURCE_PARAM)
    if not src or src != reference or not parse_reference(src).reopenable:
        return None, _why_no_link(reference)
    base = app_base_url(app_url)
    address = f"{base}/{LIVE_PAGE}?" if base else "?"
    note = "It opens this view in Sweepscope" + ("." if base else " when opened from the app's address.")
    return address + urlencode(dict(query), quote_via=quote), note


def app_base_url(url: str | None, page: str = HOME_PATH) -> str | None:
    """The app's address without the page, query or any user name; None unless it is http(s)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc.rpartition("@")[2]
    path = parts.path.rstrip("/").removesuffix(f"/{page}")
    return urlunsplit((parts.scheme, host, path, "", ""))


def _why_no_link(reference: str | None) -> str:
    kind = parse_reference(reference).kind if reference else "unlinked"
    if kind == "upload":
        return "The sweep was uploaded, so no link can reopen it: upload the same file to see it live."
    if kind == "private":
        return "The sweep was opened with a password, which links never carry, so there is no link to it."
    return "This sweep cannot be reopened from a link, so the brief has none."
