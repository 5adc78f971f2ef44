"""In a real Chromium, text from data never becomes a link, an image, maths, an icon or an emoji
(issue 9, item 7): md() on its own, and the whole app with a hostile runs table loaded."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lib.safe_text import WORD_JOINER
from lib.ui.importance_sections import TABS
from tests.e2e.conftest import APP_DIR, streamlit_server, wait_for_idle
from tests.hostile_table import hostile_file_name, hostile_runs_csv

pytestmark = pytest.mark.e2e

CASES = [
    "[a](http://x.test/a)",
    "![x](http://127.0.0.1:9/pixel.png)",
    "https://x.test/a",
    "www.x.test",
    "x@y.test",
    ":material/key:",
    ":red[text]",
    ":smile:",
    "$x^2$",
    "$$x$$",
    "<img src=http://127.0.0.1:9/p.png>",
    "# x",
    "- x",
    "---",
    "_it_ *it* ~~s~~ `c`",
    "&lt;b&gt;",
    "\\[a](http://x.test)",
]
CASES_PAGE = """
import sys
sys.path.insert(0, {app_dir!r})
import streamlit as st
from lib.safe_text import md
for i, text in enumerate({cases!r}):
    st.markdown(md(text))
    st.caption(f"**{{md(text)}}**")
    st.info(md(text))
    st.metric(md(text), i)
    st.selectbox(md(text), [text], key=f"s{{i}}")
    st.multiselect("options", [text], default=[text], key=f"m{{i}}")
"""
# Anything Markdown could have made of the cases, inside the page's content.
ACTIVE_SELECTOR = ", ".join(
    f'[data-testid="stMain"] {s}'
    for s in [
        "a",
        "img",
        ".katex",
        "[role=img]",
        "h1",
        "hr",
        "em",
        "del",
        "code",
        "ul",
        "li",
        "span[style*=color]",
    ]
)
PAGES = ["Load a sweep", "Parallel coordinates", "Parameter importance", "Shape of the response"]
PAGES += ["Learning curves", "Search history", "Next sweep", "Home"]
IMPORTANCE_TABS = list(TABS)[1:]  # the first is open on arrival


@pytest.fixture
def cases_url(tmp_path: Path) -> Iterator[str]:
    script = tmp_path / "cases.py"
    script.write_text(CASES_PAGE.format(app_dir=str(APP_DIR), cases=CASES))
    with streamlit_server(script, cwd=tmp_path) as url:
        yield url


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def image_host() -> Iterator[tuple[str, list[str]]]:
    """A listener on 127.0.0.1 standing in for a foreign host: its address and the paths it was asked."""
    requests: list[str] = []
    handler = type("Recorder", (_Recorder,), {"requests": requests})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def test_md_output_renders_as_literal_text(cases_url: str, page: Page) -> None:
    page.goto(cases_url)
    wait_for_idle(page)
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(len(CASES))
    assert page.locator(ACTIVE_SELECTOR).count() == 0
    shown = page.locator('[data-testid="stMain"] [data-testid="stMarkdownContainer"]').all_inner_texts()
    shown = [text.replace(WORD_JOINER, "").strip() for text in shown]
    for text in CASES:
        assert shown.count(text) >= 3, text  # markdown, caption and info
    expect(page.get_by_text(":smile:").first).to_be_visible()  # the option text, shown raw
    expect(page.get_by_text("😄")).to_have_count(0)


def foreign_elements(page: Page, host: str) -> list[str]:
    """Images from, and links to, a foreign host anywhere in the page (SVG links in charts too)."""
    return page.evaluate(
        """(host) => [...document.querySelectorAll('img[src], a, image, [srcset]')]
            .map(e => e.getAttribute('src') || e.getAttribute('href') || e.getAttribute('srcset')
                      || e.getAttribute('xlink:href') || '')
            .filter(u => u.includes(host) || u.includes('evil.test'))""",
        host,
    )


def test_a_hostile_table_makes_no_link_and_fetches_nothing(
    app_url: str, page: Page, image_host: tuple[str, list[str]], tmp_path: Path
) -> None:
    host, requests = image_host
    table = tmp_path / hostile_file_name(host).replace("/", "_")
    table.write_bytes(hostile_runs_csv(host))
    page.goto(f"{app_url}/load")
    wait_for_idle(page)
    main = page.locator('[data-testid="stMain"]')
    main.get_by_role("radio", name="Upload a runs table").or_(
        main.get_by_role("button", name="Upload a runs table")
    ).first.click()
    wait_for_idle(page)
    page.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(str(table))
    wait_for_idle(page)
    main.get_by_role("button", name="Load table").click()
    wait_for_idle(page)
    expect(main.get_by_text("W&B runs-table export, 40 runs", exact=False).first).to_be_visible()
    for name in PAGES:
        page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=name, exact=True).click()
        wait_for_idle(page)
        page.wait_for_timeout(1_000)  # charts and images that would load
        assert not foreign_elements(page, host), name
        expect(main.get_by_text("Something went wrong")).to_have_count(0)
        if name == "Parameter importance":  # its tabs draw only when opened: open each one
            for tab in IMPORTANCE_TABS:
                page.get_by_role("tab", name=tab).click()
                wait_for_idle(page)
                page.wait_for_timeout(1_000)
                assert not foreign_elements(page, host), f"{name}: {tab}"
                expect(main.get_by_text("Something went wrong")).to_have_count(0)
    assert requests == []
