from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP_DIR, page_text

REAL = APP_DIR / "tests" / "fixtures" / "real"
NEVRO_CSV = REAL / "wandb_runs_csv" / "NevroHelios__DeepWaste-Optimization__notebooks__wandb_export.csv"
HISTORY_CSV = REAL / "wandb_history_csv" / "TemplierPaul__pyUCEA__wandb_export.csv"


def open_load_page(app: AppTest) -> AppTest:
    app.run()
    app.switch_page("pages/load.py")
    return app.run()


def choose_source(app: AppTest, label: str) -> AppTest:
    app.segmented_control(key="load.source").set_value(label)
    return app.run()


def sidebar_run_count(app: AppTest) -> int:
    """The run count in the sidebar banner every page shows ("224 runs · ...")."""
    banner = next(c.value for c in app.sidebar.caption if " runs · " in c.value)
    return int(banner.split(" runs")[0].replace(",", ""))


def ui_sweep(app: AppTest):
    return app.session_state["sweep.loaded"]


def test_load_page_describes_the_demo(app: AppTest) -> None:
    open_load_page(app)
    assert not app.exception
    text = page_text(app)
    assert "Load a sweep" in text
    assert "What was loaded" in text
    labels = {m.label: m.value for m in app.metric}
    assert int(labels["Runs"].replace(",", "")) >= 150
    assert labels["Sweeps"] == str(len(ui_sweep(app).sweep_ids)) and len(ui_sweep(app).sweep_ids) >= 2


def test_a_path_inside_the_app_folder_loads(app: AppTest) -> None:
    open_load_page(app)
    choose_source(app, "Path on this server")
    app.text_input(key="load.path").input(str(NEVRO_CSV.relative_to(APP_DIR)))
    app.run()
    app.button[0].click().run()
    assert not app.exception
    assert not app.error, [e.value for e in app.error]
    labels = {m.label: m.value for m in app.metric}
    assert labels["Runs"] == "50"
    assert "NevroHelios" in page_text(app) or "wandb_export" in page_text(app)


def test_a_path_outside_the_allowed_folders_is_refused(app: AppTest, tmp_path: Path) -> None:
    outside = tmp_path / "runs.csv"
    outside.write_text("lr,loss\n0.1,0.5\n0.01,0.4\n")
    open_load_page(app)
    choose_source(app, "Path on this server")
    app.text_input(key="load.path").input(str(outside))
    app.run()
    app.button[0].click().run()
    assert not app.exception
    assert app.error, "expected a refusal"
    assert "Demo" in app.sidebar.markdown[0].value or "demo" in app.sidebar.markdown[0].value.lower()


def test_an_uploaded_line_plot_export_is_refused_with_a_reason(app: AppTest) -> None:
    open_load_page(app)
    choose_source(app, "Upload a runs table")
    app.file_uploader(key="load.table").set_value((HISTORY_CSV.name, HISTORY_CSV.read_bytes(), "text/csv"))
    app.run()
    app.button[0].click().run()
    assert not app.exception
    message = " ".join(e.value for e in app.error)
    assert "line" in message.lower() and "runs table" in message.lower()


def test_an_uploaded_runs_table_becomes_the_current_sweep(app: AppTest) -> None:
    open_load_page(app)
    choose_source(app, "Upload a runs table")
    app.file_uploader(key="load.table").set_value((NEVRO_CSV.name, NEVRO_CSV.read_bytes(), "text/csv"))
    app.run()
    app.button[0].click().run()
    assert not app.exception
    assert {m.label: m.value for m in app.metric}["Runs"] == "50"
    app.switch_page("pages/importance.py").run()
    assert not app.exception
    finished = int((pd.read_csv(NEVRO_CSV)["State"] == "finished").sum())  # 5 crashed, 1 failed
    assert sidebar_run_count(app) == finished == 44


def test_rankings_use_finished_runs_until_the_user_adds_other_states(app: AppTest) -> None:
    open_load_page(app)
    states = app.multiselect(key="load.states.0")
    loaded = ui_sweep(app).runs
    assert states.value == ["finished"]
    assert set(states.options) == {"failed", "finished"}
    app.switch_page("pages/importance.py").run()
    assert sidebar_run_count(app) == int((loaded["run.state"] == "finished").sum())
    assert "5 failed left out" in page_text(app)
    app.switch_page("pages/load.py").run()
    app.multiselect(key="load.states.0").set_value(["failed", "finished"]).run()
    assert not app.exception
    app.switch_page("pages/importance.py").run()
    assert sidebar_run_count(app) == len(loaded)


def test_changing_a_column_kind_is_kept(app: AppTest) -> None:
    open_load_page(app)
    table = app.data_editor(key="load.columns.0").value
    row = int((table["role"] == "parameter").to_numpy().argmax())
    column = table.loc[row, "column"]
    app.session_state["load.columns.0"] = {
        "edited_rows": {row: {"kind": "identifier"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    app.run()
    assert not app.exception
    choices = app.session_state["sweep.choices"]
    assert choices.kinds[column].value == "identifier"


def test_a_run_folder_linked_from_outside_is_listed_not_read(
    app: AppTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 9, item 3 through the page: the path is allowed, one run folder in it links outside."""
    import shutil

    runs = sorted(
        p for p in (REAL / "wandb_dirs" / "Yogesh0arya__da6401_assignment1" / "wandb").glob("run-*")
    )
    allowed, outside = tmp_path / "allowed" / "wandb", tmp_path / "outside"
    for run in runs[1:]:
        shutil.copytree(run, allowed / run.name)
    shutil.copytree(runs[0], outside / runs[0].name)
    (allowed / runs[0].name).symlink_to(outside / runs[0].name, target_is_directory=True)
    monkeypatch.setenv("SWEEPSCOPE_ALLOWED_DIRS", str(tmp_path / "allowed"))

    open_load_page(app)
    choose_source(app, "Path on this server")
    app.text_input(key="load.path").input(str(allowed))
    app.run()
    app.button[0].click().run()

    assert not app.exception and not app.error, [e.value for e in app.error]
    loaded = ui_sweep(app)
    assert len(loaded.runs) == len(runs) - 1
    assert not any(runs[0].name.split("-")[-1] == str(run_id) for run_id in loaded.runs.index)
    assert any(runs[0].name in what for what, _ in loaded.skipped)
    assert str(outside) not in page_text(app)


def test_a_folder_with_bad_runs_loads_the_good_ones_and_lists_the_bad_through_the_page(
    app: AppTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15 through the Load page: runs that crashed the load before (a summary nested 100,000
    deep, a run folder that is a link to itself) are listed with their reasons, and the real runs
    beside them load."""
    import shutil

    from tests.sources.hostile.cases import STAMP, nested_json

    real = REAL / "wandb_dirs" / "Yogesh0arya__da6401_assignment1" / "wandb"
    wandb = tmp_path / "allowed" / "wandb"
    shutil.copytree(real, wandb)
    deep = wandb / f"run-{STAMP}-deep0001" / "files"
    deep.mkdir(parents=True)
    (deep / "config.yaml").write_text("lr:\n  value: 0.1\n")
    (deep / "wandb-summary.json").write_bytes(nested_json(100_000))
    loop = wandb / f"run-{STAMP}-loop0001"
    loop.symlink_to(loop.name)
    monkeypatch.setenv("SWEEPSCOPE_ALLOWED_DIRS", str(tmp_path / "allowed"))

    open_load_page(app)
    choose_source(app, "Path on this server")
    app.text_input(key="load.path").input(str(wandb))
    app.run()
    app.button[0].click().run()

    assert not app.exception and not app.error, [e.value for e in app.error]
    loaded = ui_sweep(app)
    assert len(loaded.runs) == 5  # the five real runs
    assert sidebar_run_count(app) == 5
    reasons = dict(loaded.skipped)
    assert "leads back to itself" in reasons[loop.name]
    assert any("nested more than" in why for what, why in loaded.skipped if "deep0001" in what)
    listed = next(f.value for f in app.dataframe if len(f.value) == len(loaded.skipped))
    assert loop.name in " ".join(map(str, listed.to_numpy().ravel()))
    assert f"{len(loaded.skipped)} item(s) not loaded, with the reason" in [e.label for e in app.expander]
