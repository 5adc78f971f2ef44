"""Names and values from an uploaded table are shown as text on every page: Markdown in them (images,
links, bare URLs, icons, HTML) reaches the browser escaped, never as Markdown (issue 9, item 7)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from lib.safe_text import WORD_JOINER
from tests.app.conftest import APP_DIR, assert_drawn, each_importance_tab
from tests.hostile_table import hostile_file_name, hostile_runs_csv

HOST = "127.0.0.1:9"
PAGES = ["pages/load.py", "pages/parallel.py", "pages/importance.py", "pages/response.py"]
PAGES += ["pages/history.py", "pages/next_sweep.py"]
# What an unescaped name from the table would leave in a Markdown body. Escaped, `[`, `]` and `<` carry a
# backslash and URLs, icons and emoji a word joiner (`https:\u2060//`, `:\u2060material/key:`).
ACTIVE = re.compile(r"(?<!\\)\]\(|(?<!\\)\[|https?://|www\.|(?<!\\)<img|:material/|:red")
# Fields of an element's proto that Streamlit renders as Markdown.
MARKDOWN_FIELDS = ("body", "label", "help")


def load_hostile_table(app: AppTest) -> AppTest:
    app.run()
    app.switch_page("pages/load.py").run()
    app.segmented_control(key="load.source").set_value("Upload a runs table").run()
    upload = (hostile_file_name(HOST), hostile_runs_csv(HOST), "text/csv")
    app.file_uploader(key="load.table").set_value(upload).run()
    app.button[0].click().run()
    app.run()  # the sidebar banner was drawn before the click loaded the table
    assert_drawn(app)
    assert HOST in app.session_state["sweep.loaded"].source, "the hostile table did not load"
    return app


def markdown_texts(node: object) -> Iterator[str]:
    """Every string of the page that Streamlit renders as Markdown: bodies, labels, helps, and the
    labels of expanders and tabs."""
    proto = getattr(node, "proto", None)
    if proto is not None:
        yield from _proto_markdown(proto)
    for child in getattr(node, "children", {}).values():
        yield from markdown_texts(child)


def _proto_markdown(proto: object) -> Iterator[str]:
    fields = getattr(proto, "DESCRIPTOR", None)
    if fields is None:
        return
    for name in MARKDOWN_FIELDS:
        if name in fields.fields_by_name and isinstance(getattr(proto, name), str):
            yield getattr(proto, name)
    for block in ("expandable", "tab"):
        if block in fields.fields_by_name and proto.HasField(block):
            yield getattr(proto, block).label


def active_markdown(app: AppTest) -> list[str]:
    texts = [*markdown_texts(app._tree)]
    return [t for t in texts if ACTIVE.search(t)]


def test_the_hostile_table_reaches_the_pages(app: AppTest) -> None:
    load_hostile_table(app)
    sweep = app.session_state["sweep.loaded"]
    assert any("](" in p for p in sweep.params) and any("https://" in p for p in sweep.params)
    shown = "\n".join(markdown_texts(app._tree))
    assert f"\\[key\\](http:{WORD_JOINER}//127.0.0.1:{WORD_JOINER}9/k)" in shown


@pytest.mark.parametrize("page", PAGES)
def test_no_page_renders_markdown_from_the_data(app: AppTest, page: str) -> None:
    load_hostile_table(app)
    if page != "pages/load.py":
        app.switch_page(page).run()
        assert_drawn(app)
    assert not active_markdown(app), page
    if page == "pages/importance.py":  # only the open tab is drawn: check each one
        clean = [label for label in each_importance_tab(app) if not active_markdown(app)]
        assert len(clean) == 4 and clean == [t.label for t in app.tabs]


def test_home_renders_no_markdown_from_the_data(app: AppTest) -> None:
    # AppTest cannot switch back to a page given as a function: open the app afresh on the loaded sweep.
    sweep = load_hostile_table(app).session_state["sweep.loaded"]
    home = AppTest.from_file(str(APP_DIR / "streamlit_app.py"), default_timeout=60)
    home.session_state["sweep.loaded"] = sweep
    home.run()
    assert_drawn(home)
    assert "Sweepscope" in home.title[0].value and home.metric
    assert not active_markdown(home)
