"""Links from the parallel-coordinates page: its URL names the sweep, and a link's view is drawn
only on the sweep it was made for. These need the page's view to go through `lib.ui.links`
(`linked_view()` / `write_link()`)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP_DIR
from tests.app.test_links import KINGB12, load_path, notices, relative, sidebar_sweep
from tests.app.test_parallel_page import dimensions, sidebar_widget

LINK_AXES = "optimizer,learning_rate,val_loss,val_accuracy"


def open_parallel_link(at: AppTest, query: dict[str, str]) -> AppTest:
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    at.switch_page("pages/parallel.py")
    return at.run()


def test_the_parallel_pages_url_names_the_demo(app: AppTest) -> None:
    open_parallel_link(app, {})
    assert app.query_params["src"] == "demo"
    assert app.query_params["axes"].split(",")[-1] == "val_accuracy"


def test_a_demo_link_draws_its_view(app: AppTest) -> None:
    open_parallel_link(app, {"src": "demo", "axes": LINK_AXES, "c": "val_loss"})
    assert list(dimensions(app)) == LINK_AXES.split(",")
    assert app.query_params["src"] == "demo"


def test_a_link_to_an_upload_does_not_draw_its_view_on_the_demo(app: AppTest) -> None:
    open_parallel_link(app, {"src": "upload:runs.csv", "axes": LINK_AXES, "c": "val_loss"})
    assert "This link is to runs.csv, a file uploaded in another session" in notices(app)
    assert list(dimensions(app)) != LINK_AXES.split(",")  # the demo's own default view
    assert list(dimensions(app))[-1] == "val_accuracy"
    assert app.query_params["src"] == "upload:runs.csv"  # the link stays, to copy or reload later


def test_a_link_written_by_the_parallel_page_reopens_the_same_sweep_and_view(app: AppTest) -> None:
    app.run()
    app.switch_page(str(APP_DIR / "pages" / "load.py")).run()
    load_path(app, relative(KINGB12))
    app.switch_page("pages/parallel.py").run()
    sidebar_widget(app, "slider", "Keep the best q%").set_value(40).run()
    link = dict(app.query_params)
    assert link["src"] == f"path:{relative(KINGB12)}" and link["q"] == "40.0"

    recipient = AppTest.from_file(str(APP_DIR / "streamlit_app.py"), default_timeout=60)
    open_parallel_link(recipient, link)
    assert not recipient.exception and not recipient.warning
    assert "kingb12" in sidebar_sweep(recipient)
    assert dimensions(recipient) == dimensions(app)  # same axes, ranges and best-40% band
    assert "constraintrange" in list(dimensions(recipient).values())[-1]
    assert dict(recipient.query_params) == link
