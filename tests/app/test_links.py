"""Links that carry their sweep (`?src=...`), opened in a fresh session as a recipient would.

A probe entry point runs the app, then shows what `linked_view()` returns and, when asked, calls
`write_link(...)` as a page keeping its view in the URL does. W&B runs come from the local stand-in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib.safe_text import WORD_JOINER
from lib.ui import sources
from tests.app.conftest import APP_DIR, assert_drawn, fetch, page_text
from tests.sources.wandb_standin import StandinSweep, WandbStandin, wandb_run

FIXTURES = APP_DIR / "tests" / "fixtures" / "real"
KINGB12 = FIXTURES / "wandb_runs_csv" / "kingb12__text_aug_experiments__wandb_export.csv"
NEVRO = FIXTURES / "wandb_runs_csv" / "NevroHelios__DeepWaste-Optimization__notebooks__wandb_export.csv"
OPTUNA_DB = FIXTURES / "optuna" / "adlane98__koleo-study__optuna_study.db"
KEY = "alice" + "0123456789abcdef" * 3
VIEW = {"m": "val_loss", "q": "10.0"}
PROBE = """
import json
import streamlit as st
from lib.ui.frame import run_app
from lib.ui.links import linked_view, write_link

run_app()
st.text("linked_view=" + json.dumps(linked_view()))
if st.session_state.get("probe.write") is not None:
    write_link(st.session_state["probe.write"])
"""


@pytest.fixture
def probe_entry(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.chdir(APP_DIR)
    entry = tmp_path / "entry.py"
    entry.write_text(PROBE, encoding="utf-8")
    return str(entry)


@pytest.fixture
def probe(probe_entry: str) -> Iterator[AppTest]:
    """A fresh browser session of the app run by the probe entry point."""
    at = AppTest.from_file(probe_entry, default_timeout=60)
    yield at
    assert_drawn(at)


@pytest.fixture(scope="module")
def standin() -> Iterator[WandbStandin]:
    server = WandbStandin({KEY: "alice"})
    private = server.add_project("alice", "private", readers={"alice"})
    private.runs += [
        wandb_run(
            f"run{i}", config={"lr": 10.0 ** (-1 - i / 3)}, summary={"val_loss": 1 / (i + 1)}, sweep="sw1"
        )
        for i in range(9)
    ]
    private.sweeps["sw1"] = StandinSweep(
        "sw1", {"method": "random", "metric": {"name": "val_loss", "goal": "minimize"}, "parameters": {}}
    )
    with server:
        yield server


@pytest.fixture(autouse=True)
def no_key_around(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_BASE_URL", raising=False)
    sources.FETCHED.clear()
    yield
    sources.FETCHED.clear()


def open_link(at: AppTest, query: dict[str, str], page: str = "load") -> AppTest:
    """A fresh session opened on a link. It lands on the Load page: the probe entry is not next to
    `pages/`, so Home's page links (relative to the real entry point) cannot be drawn."""
    for name, value in query.items():
        at.query_params[name] = value
    at.switch_page(str(APP_DIR / "pages" / f"{page}.py"))
    at.run()
    assert_drawn(at)
    return at


def relative(path: Path) -> str:
    return path.relative_to(APP_DIR).as_posix()


def sidebar_sweep(at: AppTest) -> str:
    return str(at.sidebar.markdown[0].value)


def shown_view(at: AppTest) -> dict[str, str] | None:
    line = next(t.value for t in at.text if t.value.startswith("linked_view="))
    view: dict[str, str] | None = json.loads(line.removeprefix("linked_view="))
    return view


def notices(at: AppTest) -> str:
    """The warnings as the visitor reads them (bold marks dropped, Markdown escapes undone)."""
    text = " ".join(w.value for w in at.warning).replace("**", "")
    return re.sub(r"\\(.)", r"\1", text).replace(WORD_JOINER, "")


def loaded_source(at: AppTest) -> str:
    return str(at.session_state["sweep.loaded"].source)


def load_path(at: AppTest, path: str) -> AppTest:
    """On the Load page (where every probe session starts), load a path."""
    at.segmented_control(key="load.source").set_value("Path on this server").run()
    at.text_input(key="load.path").input(path).run()
    next(b for b in at.button if b.label == "Load path").click()
    return at.run()


# ------------------------------------------------------------------------------ links that open


def test_a_link_to_a_path_below_the_allowed_folders_opens_that_sweep_in_a_fresh_session(
    probe: AppTest,
) -> None:
    open_link(probe, {"src": f"path:{relative(KINGB12)}", **VIEW})
    assert "kingb12" in loaded_source(probe) and len(probe.session_state["sweep.loaded"].runs) == 5
    assert "kingb12" in sidebar_sweep(probe)
    assert "5 runs" in " ".join(c.value for c in probe.sidebar.caption)
    assert not probe.warning
    assert shown_view(probe) == VIEW


def test_a_path_written_another_way_opens_the_same_file_and_keeps_its_view(probe: AppTest) -> None:
    roundabout = f"./tests/../{relative(KINGB12)}"
    open_link(probe, {"src": f"path:{roundabout}", **VIEW})
    assert "kingb12" in sidebar_sweep(probe)
    assert shown_view(probe) == VIEW


def test_a_demo_link_opens_the_demo_with_its_view(probe: AppTest) -> None:
    open_link(probe, {"src": "demo", **VIEW})
    assert sidebar_sweep(probe).startswith("**Demo")
    assert not probe.warning
    assert shown_view(probe) == VIEW


def test_a_demo_link_in_a_session_on_another_sweep_goes_back_to_the_demo(probe: AppTest) -> None:
    open_link(probe, {"src": f"path:{relative(KINGB12)}"})
    assert "kingb12" in sidebar_sweep(probe)
    probe.query_params["src"] = "demo"
    probe.run()
    assert sidebar_sweep(probe).startswith("**Demo")


def test_an_optuna_link_to_a_sqlite_file_opens_the_study(probe: AppTest) -> None:
    open_link(probe, {"src": f"optuna:sqlite:///{relative(OPTUNA_DB)}#koleo_gradacc"})
    assert not probe.warning
    assert len(probe.session_state["sweep.loaded"].runs) == 100
    assert "koleo_gradacc" in sidebar_sweep(probe)


def test_a_wandb_link_opens_the_sweep_with_the_deployments_key(
    probe: AppTest, standin: WandbStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_BASE_URL", standin.url)
    probe.secrets["WANDB_API_KEY"] = KEY
    open_link(probe, {"src": "wandb:alice/private/sw1", **VIEW})
    assert not probe.warning
    assert sorted(probe.session_state["sweep.loaded"].runs.index) == [f"run{i}" for i in range(9)]
    assert shown_view(probe) == VIEW


def test_a_link_is_acted_on_once_so_a_later_load_on_the_load_page_wins(probe: AppTest) -> None:
    open_link(probe, {"src": f"path:{relative(KINGB12)}", **VIEW})
    load_path(probe, relative(NEVRO))
    assert "NevroHelios" in loaded_source(probe)
    probe.run()  # the address bar may still hold the old link: it must not reopen kingb12
    assert "NevroHelios" in loaded_source(probe) and "NevroHelios" in sidebar_sweep(probe)


# ------------------------------------------------------------------------ links that cannot open


def test_a_link_to_an_upload_says_so_plainly_and_gives_no_view(probe: AppTest) -> None:
    open_link(probe, {"src": "upload:runs.csv", **VIEW})
    assert notices(probe) == (
        "This link is to runs.csv, a file uploaded in another session; files cannot be reopened "
        "from a link. Upload it on the Load page to see this view."
    )
    assert shown_view(probe) is None
    assert sidebar_sweep(probe).startswith("**Demo")


def test_uploading_the_linked_file_then_shows_the_links_view(probe: AppTest) -> None:
    open_link(probe, {"src": f"upload:{KINGB12.name}", **VIEW})
    probe.query_params.clear()  # a browser drops the query when the page changes
    probe.run()
    probe.segmented_control(key="load.source").set_value("Upload a runs table").run()
    probe.file_uploader(key="load.table").set_value((KINGB12.name, KINGB12.read_bytes(), "text/csv")).run()
    next(b for b in probe.button if b.label == "Load table").click()
    probe.run()
    assert "kingb12" in sidebar_sweep(probe)
    assert shown_view(probe) == VIEW


@pytest.mark.parametrize("outside", ["/etc/hosts", "/etc/no-such-file.csv", "../elsewhere/runs.csv"])
def test_a_link_to_a_path_outside_the_allowed_folders_says_so_and_gives_no_view(
    probe: AppTest, outside: str
) -> None:
    open_link(probe, {"src": f"path:{outside}", **VIEW})
    text = notices(probe)
    assert text.startswith(f"This link is to {outside}, which could not be opened here:")
    assert "outside the folders Sweepscope may read" in text
    assert "Its view is not applied to the sweep shown instead." in text
    assert shown_view(probe) is None
    assert sidebar_sweep(probe).startswith("**Demo")


def test_outside_paths_get_one_answer_whether_the_file_exists_or_not(
    probe: AppTest, probe_entry: str
) -> None:
    open_link(probe, {"src": "path:/etc/hosts"})
    exists = notices(probe).replace("/etc/hosts", "X")
    other = AppTest.from_file(probe_entry, default_timeout=60)
    open_link(other, {"src": "path:/etc/no-such-file"})
    assert notices(other).replace("/etc/no-such-file", "X") == exists


def test_a_link_to_a_missing_file_says_so_and_gives_no_view(probe: AppTest) -> None:
    open_link(probe, {"src": "path:exports/gone.csv", **VIEW})
    text = notices(probe)
    assert text.startswith("This link is to exports/gone.csv, which could not be opened here:")
    assert "Nothing found" in text
    assert shown_view(probe) is None


def test_a_failed_link_stays_in_the_url_and_is_not_overwritten_by_the_page(probe: AppTest) -> None:
    open_link(probe, {"src": "upload:runs.csv", **VIEW})
    probe.session_state["probe.write"] = {"m": "val_accuracy"}
    probe.run()
    assert probe.query_params["src"] == "upload:runs.csv" and probe.query_params["m"] == "val_loss"
    assert "runs.csv" in notices(probe)


def test_a_hostile_name_in_a_link_is_shown_as_text(probe: AppTest) -> None:
    open_link(probe, {"src": "upload:[click](https://evil.example)![](https://evil.example/p.png)"})
    raw = " ".join(w.value for w in probe.warning)
    assert "](https://" not in raw and "\\[click\\]" in raw
    assert shown_view(probe) is None


def test_a_wandb_link_without_a_key_says_one_is_needed_and_fills_in_the_load_page(
    probe: AppTest, standin: WandbStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_BASE_URL", standin.url)
    standin.clear_requests()
    open_link(probe, {"src": "wandb:alice/private/sw1", **VIEW})
    text = notices(probe)
    assert "alice/private sweep sw1" in text and "needs a W&B API key" in text
    assert standin.operations("private") == []
    assert shown_view(probe) is None

    assert probe.segmented_control(key="load.source").value == "W&B project or sweep"
    assert probe.text_input(key="load.wandb.spec").value == "alice/private/sw1"
    probe.query_params.clear()
    fetch(probe, "alice/private/sw1", KEY)
    assert len(probe.session_state["sweep.loaded"].runs) == 9
    assert shown_view(probe) == VIEW  # the link's view, now that its sweep is loaded


def test_a_wandb_link_to_another_server_never_sends_the_deployments_key(
    probe: AppTest, standin: WandbStandin
) -> None:
    probe.secrets["WANDB_API_KEY"] = KEY  # configured for W&B's cloud, not the stand-in
    standin.clear_requests()
    open_link(probe, {"src": f"wandb:{standin.url}/alice/private/sweeps/sw1"})
    text = notices(probe)
    assert "Type your W&B API key for that server" in text
    assert "127.0.0.1" not in text
    assert standin.operations("private") == []


# ------------------------------------------------------------------------ what links carry


def test_a_written_link_names_the_loaded_sweep_and_never_a_key(
    probe: AppTest, standin: WandbStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_BASE_URL", standin.url)
    open_link(probe, {})
    probe.segmented_control(key="load.source").set_value("W&B project or sweep").run()
    fetch(probe, f"{standin.url}/alice/private/sweeps/sw1", KEY)
    assert len(probe.session_state["sweep.loaded"].runs) == 9
    probe.session_state["probe.write"] = {"m": "val_loss", "note": f"x{KEY}x"}
    probe.run()
    assert dict(probe.query_params) == {"src": "wandb:alice/private/sw1", "m": "val_loss"}
    assert all(KEY not in value for value in probe.query_params.values())
    probe.run()
    assert shown_view(probe) == {"m": "val_loss"}  # the link this session wrote is its own


def test_a_written_link_for_the_demo_and_for_a_path(probe: AppTest) -> None:
    probe.session_state["probe.write"] = VIEW
    open_link(probe, {})
    assert dict(probe.query_params) == {"src": "demo", **VIEW}
    load_path(probe, relative(KINGB12))
    probe.run()
    assert probe.query_params["src"] == f"path:{relative(KINGB12)}"


def test_a_study_loaded_by_its_url_is_written_so_that_a_recipient_reopens_it(
    probe: AppTest, probe_entry: str
) -> None:
    open_link(probe, {})
    probe.segmented_control(key="load.source").set_value("Optuna study").run()
    probe.radio(key="load.optuna.how").set_value("Database URL").run()
    probe.text_input(key="load.optuna.url").input(f"sqlite:///{OPTUNA_DB}").run()  # absolute
    next(b for b in probe.button if b.label == "Load study").click()
    probe.session_state["probe.write"] = VIEW
    probe.run()
    link = dict(probe.query_params)
    assert link == {"src": f"optuna:sqlite:///{relative(OPTUNA_DB)}#koleo_gradacc", **VIEW}

    recipient = AppTest.from_file(probe_entry, default_timeout=60)
    open_link(recipient, link)
    assert not recipient.warning
    assert len(recipient.session_state["sweep.loaded"].runs) == 100
    assert shown_view(recipient) == VIEW


def test_a_written_link_for_an_upload_names_the_file(probe: AppTest) -> None:
    open_link(probe, {})
    probe.segmented_control(key="load.source").set_value("Upload a runs table").run()
    probe.file_uploader(key="load.table").set_value((KINGB12.name, KINGB12.read_bytes(), "text/csv")).run()
    next(b for b in probe.button if b.label == "Load table").click()
    probe.session_state["probe.write"] = VIEW
    probe.run()
    assert probe.query_params["src"] == f"upload:{KINGB12.name}"


# ---------------------------------------------------------------------------------- the sidebar


def test_after_a_load_the_sidebar_names_the_new_sweep_in_the_same_run(app: AppTest) -> None:
    app.run()
    app.switch_page("pages/load.py").run()
    app.segmented_control(key="load.source").set_value("Path on this server").run()
    app.text_input(key="load.path").input(relative(KINGB12)).run()
    assert sidebar_sweep(app).startswith("**Demo")
    next(b for b in app.button if b.label == "Load path").click()
    app.run()  # one run: the click loads, and the sidebar drawn before it is redrawn
    assert "kingb12" in sidebar_sweep(app)
    assert "5 runs" in " ".join(c.value for c in app.sidebar.caption)
    assert "kingb12" in page_text(app)  # "What was loaded" agrees with the sidebar


def test_a_start_sweep_that_cannot_be_read_says_why_on_every_page(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`bash scripts/run.sh <a W&B line-plot export>`: the demo opens, and says why, until another loads."""
    export = APP_DIR / "tests/fixtures/real/wandb_history_csv/TemplierPaul__pyUCEA__wandb_export.csv"
    monkeypatch.setenv("SWEEPSCOPE_SOURCE", str(export))
    monkeypatch.setenv("SWEEPSCOPE_ALLOWED_DIRS", str(export.parent))
    app.run()
    for page in (None, "pages/parallel.py"):
        if page is not None:
            app.switch_page(page).run()
        (warning,) = [w.value for w in app.warning if "Sweepscope was started on" in w.value]
        assert "line-plot (history) export" in warning and "It shows the demo sweep" in warning
        assert app.session_state["sweep.loaded"].source.startswith("Demo")
    app.switch_page("pages/load.py").run()
    good = (
        APP_DIR
        / "tests/fixtures/real/wandb_runs_csv"
        / "NevroHelios__DeepWaste-Optimization__notebooks__wandb_export.csv"
    )
    monkeypatch.setenv("SWEEPSCOPE_ALLOWED_DIRS", f"{export.parent}:{good.parent}")
    load_path(app, str(good))
    assert "NevroHelios" in loaded_source(app)
    assert not [w.value for w in app.warning if "Sweepscope was started on" in w.value]
