"""The app frame: page config, the navigation, the shared sidebar, and the guard that turns a page's
exception into a message instead of a traceback.

Pages are the files in `pages/`. On a freshly started server a deep link (`/load`) makes Streamlit
run `pages/load.py` on its own, skipping the entry point (streamlit#9624). Every page therefore
starts with `page_frame()`, which runs the whole app around it when the frame is missing.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from lib.safe_text import md
from lib.ui.links import link_notice, open_linked_source
from lib.ui.run_times import timed_run
from lib.ui.session import current_sweep

PAGES_DIR = Path(__file__).resolve().parents[2] / "pages"
FAVICON = Path(__file__).resolve().parent / "assets" / "favicon.png"

log = logging.getLogger("sweepscope")
# One script run per thread: marks runs already inside the frame, and holds the sidebar's banner slot.
_frame = threading.local()


def _page(file: str, title: str, icon: str, *, default: bool = False) -> StreamlitPage:
    return st.Page(
        PAGES_DIR / f"{file}.py", title=title, icon=f":material/{icon}:", url_path=file, default=default
    )


def navigation() -> dict[str, list[StreamlitPage]]:
    """The app's pages, in the sidebar's sections."""
    return {
        "": [_page("home", "Home", "home", default=True), _page("load", "Load a sweep", "upload_file")],
        "Understand": [
            _page("parallel", "Parallel coordinates", "stacked_line_chart"),
            _page("importance", "Parameter importance", "bar_chart"),
            _page("response", "Shape of the response", "show_chart"),
            _page("curves", "Learning curves", "ssid_chart"),
            _page("history", "Search history", "timeline"),
        ],
        "Act": [_page("next_sweep", "Next sweep", "rocket_launch")],
    }


def run_app() -> None:
    """The whole app: page config, navigation, the linked sweep, the shared sidebar, the chosen page."""
    with timed_run() as run:
        # A local image: a Material icon as page_icon makes the browser fetch it from fonts.gstatic.com
        st.set_page_config(page_title="Sweepscope", page_icon=str(FAVICON), layout="wide")
        page = st.navigation(navigation())
        run.page = page.title
        _run_in_frame(page)


def _run_in_frame(page: StreamlitPage) -> None:
    open_linked_source()
    _frame.banner = st.sidebar.empty()
    _frame.notice = st.empty()
    show_current_sweep()
    _frame.active = True
    page_ran = False
    try:
        _run_guarded(page)
        page_ran = True
    finally:
        _frame.active = False
        if page_ran:  # after st.stop() or st.rerun() nothing more can be drawn
            show_current_sweep()
        _frame.banner = _frame.notice = None


def page_frame() -> None:
    """Call first in every page file. Inside the app it does nothing; in a bare deep-link run it
    runs the app (which draws this page inside the full frame) and ends the bare run."""
    if getattr(_frame, "active", False):
        return
    run_app()
    st.stop()


def _run_guarded(page: StreamlitPage) -> None:
    try:
        page.run()
    except Exception:  # a page must never show a traceback; the log keeps the details
        log.exception("Unexpected error on page %s", page.title)
        st.error(
            "Something went wrong while drawing this page. Try another setting or reload the "
            "sweep; if it keeps happening, the server log has the details."
        )


def show_current_sweep() -> None:
    """Draw (or redraw) what the frame says of the current sweep: its name in the sidebar and, at
    the top, why a link's (or the start) sweep is not the one shown. The frame draws them before
    the page and again after it; a load calls it at once, so even a page that stops afterwards
    names the new sweep and drops a notice the load made stale."""
    notice = getattr(_frame, "notice", None)
    if notice is not None:
        link_notice(notice)
    slot = getattr(_frame, "banner", None)
    if slot is None:
        return
    sweep = current_sweep()
    with slot.container():
        st.caption("Current sweep")
        st.markdown(f"**{md(sweep.source) if sweep.source else 'Unnamed sweep'}**")
        st.caption(
            f"{len(sweep.runs):,} runs · {len(sweep.params)} parameters · {len(sweep.metrics)} metrics"
        )
