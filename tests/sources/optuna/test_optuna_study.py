from __future__ import annotations

import json
import math
import shutil
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import optuna
import pandas as pd
import pytest
import sqlalchemy as sa

from lib.columns import Direction, Kind
from lib.sources.errors import SourceError
from lib.sources.optuna import (
    LAST_INTERMEDIATE_STEP,
    LAST_INTERMEDIATE_VALUE,
    is_storage_url,
    list_studies,
    list_studies_in_bytes,
    load_optuna_bytes,
    load_optuna_study,
    split_study_spec,
)
from lib.sources.optuna.storage import sqlite_storage
from lib.sweep import (
    FAILED,
    FINISHED,
    PRUNED,
    RUN_CREATED,
    RUN_NAME,
    RUN_RUNTIME,
    RUN_STATE,
    RUN_SWEEP,
    RUNNING,
)

REAL_DB = (
    Path(__file__).resolve().parents[2]
    / "fixtures"
    / "real"
    / "optuna"
    / "adlane98__koleo-study__optuna_study.db"
)
REAL_STUDY = "koleo_gradacc"
REAL_PARAMS = {
    "triplet_loss_margin",
    "use_koleo",
    "koleo_weight",
    "grad_accum_steps",
    "batch_size",
    "learning_rate",
    "embedding_size",
    "optimizer",
}
OPTUNA_STATES = {
    optuna.trial.TrialState.COMPLETE: FINISHED,
    optuna.trial.TrialState.PRUNED: PRUNED,
    optuna.trial.TrialState.FAIL: FAILED,
    optuna.trial.TrialState.RUNNING: RUNNING,
    optuna.trial.TrialState.WAITING: RUNNING,
}

optuna.logging.set_verbosity(optuna.logging.ERROR)
pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")


def url_of(path: Path) -> str:
    return f"sqlite:///{path}"


def real_rows(sql: str, *args: object) -> list[tuple]:
    """Rows read straight from the real fixture, independently of the module under test."""
    with sqlite3.connect(f"file:{REAL_DB}?mode=ro", uri=True) as connection:
        return connection.execute(sql, args).fetchall()


def file_state(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


# ---------------------------------------------------------------- studies made with Optuna


def single_objective(trial: optuna.Trial) -> float:
    optimizer = trial.suggest_categorical("optimizer", ["adam", "sgd", None])
    lr = trial.suggest_float("lr", 1e-3, 5e-3, log=True)  # under 2 decades: only the distribution says log
    layers = trial.suggest_int("layers", 1, 4)
    dropout = trial.suggest_float("dropout", 0.0, 0.5, step=0.1)
    if optimizer == "sgd":
        trial.suggest_float("momentum", 0.5, 0.99)
    trial.set_user_attr("note", f"run {trial.number}")
    trial.set_user_attr("extra", {"depth": layers})
    loss = lr * 100 + dropout + layers / 10
    for step in range(3):
        trial.report(loss + 1.0 / (step + 1), step)
    if trial.number == 3:
        raise optuna.TrialPruned()
    if trial.number == 4:
        raise ValueError("diverged")
    if trial.number == 5:
        return float("inf")
    return loss


def multi_objective(trial: optuna.Trial) -> tuple[float, float]:
    x = trial.suggest_float("x", -1.0, 1.0)
    return x**2, 1.0 - abs(x)


@pytest.fixture(scope="module")
def made_storage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One storage with several studies, written by Optuna itself."""
    path = tmp_path_factory.mktemp("optuna") / "studies.db"
    storage = url_of(path)
    single = optuna.create_study(
        study_name="single", storage=storage, sampler=optuna.samplers.RandomSampler(seed=0)
    )
    single.optimize(single_objective, n_trials=12, catch=(ValueError,))
    single.ask()  # left running
    single.enqueue_trial({"optimizer": "adam", "lr": 2e-3, "layers": 2, "dropout": 0.1})  # waiting
    single.set_user_attr("owner", "tests")
    multi = optuna.create_study(
        study_name="multi",
        storage=storage,
        directions=["minimize", "maximize"],
        sampler=optuna.samplers.RandomSampler(seed=1),
    )
    multi.set_metric_names(["loss", "accuracy"])
    multi.optimize(multi_objective, n_trials=6)
    unnamed = optuna.create_study(study_name="unnamed", storage=storage, directions=["maximize", "minimize"])
    unnamed.optimize(multi_objective, n_trials=3)
    optuna.create_study(study_name="empty", storage=storage)
    return path


@pytest.fixture
def storage_copy(made_storage: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy.db"
    shutil.copyfile(made_storage, copy)
    return copy


@pytest.fixture
def real_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "real.db"
    shutil.copyfile(REAL_DB, copy)
    return copy


def edit(path: Path, *statements: str) -> None:
    with sqlite3.connect(path) as connection:
        for statement in statements:
            connection.execute(statement)


def optuna_trials(path: Path, study_name: str) -> list[optuna.trial.FrozenTrial]:
    return optuna.load_study(study_name=study_name, storage=url_of(path)).get_trials(deepcopy=False)


# ---------------------------------------------------------------- the real study


def test_real_study_is_listed_with_its_trial_states() -> None:
    [info] = list_studies(url_of(REAL_DB))
    states = dict(real_rows("SELECT state, COUNT(*) FROM trials GROUP BY state"))
    assert info.name == REAL_STUDY
    assert info.n_trials == 100
    assert (
        info.state_counts
        == {FINISHED: states["COMPLETE"], PRUNED: states["PRUNED"]}
        == {
            FINISHED: 15,
            PRUNED: 85,
        }
    )
    assert info.directions == (Direction.MAXIMIZE,)
    assert info.objectives == ("value",)
    assert info.metric_names is None
    [(first,)] = real_rows("SELECT MIN(datetime_start) FROM trials")
    assert info.first_trial_at == datetime.fromisoformat(first)
    assert REAL_STUDY in info.label and "85 pruned" in info.label


def test_real_study_loads_with_its_trial_states() -> None:
    sweep = load_optuna_study(url_of(REAL_DB))
    assert len(sweep.runs) == 100
    assert Counter(sweep.runs[RUN_STATE]) == {PRUNED: 85, FINISHED: 15}
    assert set(sweep.params) == REAL_PARAMS
    assert sweep.metrics == ["value", LAST_INTERMEDIATE_VALUE]
    assert sweep.primary_metric == "value"
    assert sweep.directions["value"] == Direction.MAXIMIZE
    assert sweep.directions[LAST_INTERMEDIATE_VALUE] == Direction.MAXIMIZE
    assert set(sweep.sweep_ids) == {REAL_STUDY}
    assert sweep.skipped == []
    assert sweep.runs[LAST_INTERMEDIATE_VALUE].notna().all()
    stored = dict(real_rows("SELECT t.number, v.value FROM trial_values v JOIN trials t USING (trial_id)"))
    assert sweep.runs["value"].to_dict() == pytest.approx({f"trial-{n}": v for n, v in stored.items()})
    # Optuna stores a pruned trial's last report as its value: kept, and said in a note
    pruned = sweep.runs[sweep.runs[RUN_STATE] == PRUNED]
    assert (pruned["value"] == pruned[LAST_INTERMEDIATE_VALUE]).all()
    assert any("85 pruned trial(s)" in note for note in sweep.notes)


def test_real_study_params_have_their_real_values_and_types() -> None:
    sweep = load_optuna_study(url_of(REAL_DB))
    runs = sweep.runs
    for name, internal, distribution_json in real_rows(
        "SELECT p.param_name, p.param_value, p.distribution_json FROM trial_params p "
        "JOIN trials t ON t.trial_id = p.trial_id WHERE t.number = 0"
    ):
        distribution = json.loads(distribution_json)
        if distribution["name"] == "CategoricalDistribution":
            expected = distribution["attributes"]["choices"][int(internal)]
            assert runs.loc["trial-0", name] == expected
            assert type(runs.loc["trial-0", name]) is type(expected) or isinstance(expected, int)
        else:
            assert runs.loc["trial-0", name] == pytest.approx(internal)
    assert set(runs["optimizer"]) == {"Adam", "RMSprop"}
    assert set(runs["batch_size"]) <= {64, 128}
    assert set(runs["use_koleo"]) == {True, False}
    assert sweep.kinds["use_koleo"] == Kind.BOOLEAN
    assert sweep.kinds["optimizer"] == Kind.CATEGORICAL
    assert sweep.kinds["learning_rate"] == Kind.LOG
    assert sweep.kinds["koleo_weight"] == Kind.LOG
    assert sweep.kinds["triplet_loss_margin"] == Kind.NUMERIC


def test_real_study_conditional_param_is_missing_where_not_sampled() -> None:
    runs = load_optuna_study(url_of(REAL_DB)).runs
    [(sampled,)] = real_rows("SELECT COUNT(*) FROM trial_params WHERE param_name = 'koleo_weight'")
    assert runs["koleo_weight"].notna().sum() == sampled
    assert runs.loc[runs["use_koleo"] == False, "koleo_weight"].isna().all()  # noqa: E712


def test_real_study_run_fields() -> None:
    runs = load_optuna_study(url_of(REAL_DB)).runs
    [(start, complete)] = real_rows("SELECT datetime_start, datetime_complete FROM trials WHERE number = 7")
    row = runs.loc["trial-7"]
    assert row[RUN_NAME] == "trial 7"
    assert row[RUN_SWEEP] == REAL_STUDY
    assert row[RUN_CREATED] == pd.Timestamp(start)
    expected = (datetime.fromisoformat(complete) - datetime.fromisoformat(start)).total_seconds()
    assert row[RUN_RUNTIME] == pytest.approx(expected)
    [(step, value)] = real_rows(
        "SELECT step, intermediate_value FROM trial_intermediate_values v JOIN trials t "
        "ON t.trial_id = v.trial_id WHERE t.number = 7 ORDER BY step DESC LIMIT 1"
    )
    assert row[LAST_INTERMEDIATE_STEP] == step
    assert row[LAST_INTERMEDIATE_VALUE] == pytest.approx(value)


def test_real_study_keeps_its_search_space() -> None:
    config = load_optuna_study(url_of(REAL_DB)).sweep_configs[REAL_STUDY]
    assert config["method"] == "optuna"
    assert config["metric"] == {"name": "value", "goal": "maximize"}
    assert set(config["parameters"]) == REAL_PARAMS
    assert config["parameters"]["optimizer"]["values"] == ["Adam", "RMSprop"]
    lr = config["parameters"]["learning_rate"]
    assert (lr["distribution"], lr["min"], lr["max"]) == ("log_uniform_values", 1e-4, 1e-2)
    margin = config["parameters"]["triplet_loss_margin"]
    assert (margin["distribution"], margin["min"], margin["max"]) == ("uniform", 0.2, 0.6)


def test_loading_never_changes_the_file(real_copy: Path) -> None:
    before = file_state(real_copy)
    list_studies(url_of(real_copy))
    load_optuna_study(url_of(real_copy))
    assert file_state(real_copy) == before
    assert sorted(p.name for p in real_copy.parent.iterdir()) == ["real.db"]  # no journal left behind


def test_sqlite_storages_are_opened_read_only(real_copy: Path) -> None:
    before = file_state(real_copy)
    engine = sqlite_storage(real_copy, label="real.db").engine
    with engine.connect() as connection, pytest.raises(sa.exc.OperationalError, match="readonly"):
        connection.execute(sa.text("DELETE FROM trials"))
    engine.dispose()
    assert file_state(real_copy) == before


def test_user_attrs_are_extra_columns() -> None:
    sweep = load_optuna_study(url_of(REAL_DB))
    attr = "user_attrs.koleo_weight"
    assert attr in sweep.other_columns
    assert attr not in sweep.params and attr not in sweep.metrics
    assert sweep.runs.loc["trial-0", attr] == pytest.approx(sweep.runs.loc["trial-0", "koleo_weight"])


# ---------------------------------------------------------------- studies made in the tests


def test_made_study_matches_what_optuna_reads(made_storage: Path) -> None:
    sweep = load_optuna_study(url_of(made_storage), "single")
    trials = optuna_trials(made_storage, "single")
    assert list(sweep.runs.index) == [f"trial-{t.number}" for t in trials]
    for trial in trials:
        row = sweep.runs.loc[f"trial-{trial.number}"]
        assert row[RUN_STATE] == OPTUNA_STATES[trial.state]
        for name in sweep.params:
            if name in trial.params:
                expected = "None" if trial.params[name] is None else trial.params[name]
                assert row[name] == expected, (trial.number, name)
            else:
                assert pd.isna(row[name]), (trial.number, name)
        if trial.value is not None and math.isfinite(trial.value):
            assert row["value"] == pytest.approx(trial.value)
        else:
            assert pd.isna(row["value"])
        if trial.intermediate_values:
            last = max(trial.intermediate_values)
            assert row[LAST_INTERMEDIATE_STEP] == last
            assert row[LAST_INTERMEDIATE_VALUE] == pytest.approx(trial.intermediate_values[last])
        for key, value in trial.user_attrs.items():
            if isinstance(value, dict):
                assert row[f"user_attrs.{key}.depth"] == value["depth"]
            else:
                assert row[f"user_attrs.{key}"] == value


def test_made_study_states_kinds_and_conditional_param(made_storage: Path) -> None:
    sweep = load_optuna_study(url_of(made_storage), "single")
    runs = sweep.runs
    assert Counter(runs[RUN_STATE]) == {FINISHED: 10, PRUNED: 1, FAILED: 1, RUNNING: 2}
    assert runs.loc["trial-4", RUN_STATE] == FAILED and pd.isna(runs.loc["trial-4", "value"])
    assert runs.loc["trial-3", RUN_STATE] == PRUNED
    assert runs.loc["trial-3", "value"] == runs.loc["trial-3", LAST_INTERMEDIATE_VALUE]
    assert pd.isna(runs.loc["trial-13", RUN_RUNTIME])  # waiting: never started
    assert sweep.params == ["optimizer", "lr", "layers", "dropout", "momentum"]
    assert sweep.kinds["lr"] == Kind.LOG  # from the distribution: the values span under 2 decades
    assert sweep.kinds["layers"] == Kind.INTEGER
    assert sweep.kinds["optimizer"] == Kind.CATEGORICAL
    assert runs["momentum"].notna().eq(runs["optimizer"] == "sgd").all()
    assert sweep.directions["value"] == Direction.MINIMIZE
    assert any("infinite" in note for note in sweep.notes)  # trial 5 returned inf
    assert any("enqueued" in note for note in sweep.notes)
    assert sweep.sweep_configs["single"]["user_attrs"] == {"owner": "tests"}


def test_made_study_search_space(made_storage: Path) -> None:
    space = load_optuna_study(url_of(made_storage), "single").sweep_configs["single"]["parameters"]
    assert space["optimizer"]["values"] == ["adam", "sgd", None]
    assert space["lr"]["distribution"] == "log_uniform_values"
    assert (space["layers"]["distribution"], space["layers"]["min"], space["layers"]["max"]) == (
        "int_uniform",
        1,
        4,
    )
    assert (space["dropout"]["distribution"], space["dropout"]["q"]) == ("q_uniform", 0.1)
    assert space["momentum"]["optuna"]["name"] == "FloatDistribution"


def test_multi_objective_study_keeps_every_objective_by_name(made_storage: Path) -> None:
    sweep = load_optuna_study(url_of(made_storage), "multi")
    trials = optuna_trials(made_storage, "multi")
    assert sweep.metrics == ["loss", "accuracy"]
    assert sweep.primary_metric == "loss"
    assert sweep.directions == {"loss": Direction.MINIMIZE, "accuracy": Direction.MAXIMIZE}
    for trial in trials:
        row = sweep.runs.loc[f"trial-{trial.number}"]
        assert [row["loss"], row["accuracy"]] == pytest.approx(trial.values)
    config = sweep.sweep_configs["multi"]
    assert config["metric"] == {"name": "loss", "goal": "minimize"}
    assert config["metrics"] == [
        {"name": "loss", "goal": "minimize"},
        {"name": "accuracy", "goal": "maximize"},
    ]


def test_multi_objective_without_names_numbers_its_values(made_storage: Path) -> None:
    sweep = load_optuna_study(url_of(made_storage), "unnamed")
    assert sweep.metrics == ["value_0", "value_1"]
    assert sweep.directions == {"value_0": Direction.MAXIMIZE, "value_1": Direction.MINIMIZE}


def test_every_study_of_a_storage_is_listed(made_storage: Path) -> None:
    infos = {info.name: info for info in list_studies(url_of(made_storage))}
    assert list(infos) == ["single", "multi", "unnamed", "empty"]
    assert infos["multi"].metric_names == ("loss", "accuracy")
    assert infos["multi"].is_multi_objective
    assert infos["single"].state_counts == {FINISHED: 10, PRUNED: 1, FAILED: 1, RUNNING: 2}
    assert infos["empty"].n_trials == 0 and infos["empty"].first_trial_at is None


def test_study_is_chosen_by_name_or_by_hash_suffix(made_storage: Path) -> None:
    by_suffix = load_optuna_study(f"{url_of(made_storage)}#multi")
    by_name = load_optuna_study(url_of(made_storage), "multi")
    pd.testing.assert_frame_equal(by_suffix.runs, by_name.runs)
    assert "multi" in by_suffix.source


def test_several_studies_and_no_name_lists_them(made_storage: Path) -> None:
    with pytest.raises(SourceError, match=r"4 studies: 'single', 'multi', 'unnamed', 'empty'.*#study_name"):
        load_optuna_study(url_of(made_storage))


def test_unknown_study_name(made_storage: Path) -> None:
    with pytest.raises(SourceError, match=r"No study named 'nope'.*'single'"):
        load_optuna_study(url_of(made_storage), "nope")


def test_study_without_trials(made_storage: Path) -> None:
    with pytest.raises(SourceError, match="no trials yet"):
        load_optuna_study(url_of(made_storage), "empty")


def test_storage_without_studies(tmp_path: Path) -> None:
    path = tmp_path / "bare.db"
    optuna.storages.RDBStorage(url_of(path))
    assert list_studies(url_of(path)) == []
    with pytest.raises(SourceError, match="no studies"):
        load_optuna_study(url_of(path))


def test_objective_named_like_a_param_is_renamed(tmp_path: Path) -> None:
    study = optuna.create_study(study_name="clash", storage=url_of(tmp_path / "clash.db"))
    study.set_metric_names(["x"])
    study.optimize(lambda t: t.suggest_float("x", 0, 1) * 2, n_trials=3)
    sweep = load_optuna_study(url_of(tmp_path / "clash.db"))
    assert sweep.params == ["x"]
    assert sweep.metrics == ["objective.x"]
    assert (sweep.runs["objective.x"] == sweep.runs["x"] * 2).all()


# ---------------------------------------------------------------- damaged and foreign input


def test_undecodable_param_is_skipped_and_the_rest_loads(storage_copy: Path) -> None:
    edit(
        storage_copy,
        'UPDATE trial_params SET distribution_json = \'{"name": "Nope", "attributes": {}}\' '
        "WHERE param_name = 'layers' AND trial_id IN (SELECT trial_id FROM trials WHERE number < 2)",
    )
    sweep = load_optuna_study(url_of(storage_copy), "single")
    assert [what for what, _ in sweep.skipped] == ["parameter 'layers' in 2 trial(s)"]
    assert "Unknown distribution" in sweep.skipped[0][1]
    assert sweep.runs.loc[["trial-0", "trial-1"], "layers"].isna().all()
    assert sweep.runs.loc[["trial-2", "trial-6"], "layers"].notna().all()
    assert sweep.runs["lr"].notna().sum() == 12  # all but the running and the waiting trial


def test_values_without_a_type_column_load(storage_copy: Path) -> None:
    edit(storage_copy, "ALTER TABLE trial_values DROP COLUMN value_type")
    sweep = load_optuna_study(url_of(storage_copy), "multi")
    assert sweep.runs["loss"].notna().all()


def test_nonexistent_path_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "sub" / "missing.db"
    with pytest.raises(SourceError, match=r"No file at .*nothing was created"):
        load_optuna_study(url_of(missing))
    with pytest.raises(SourceError):
        list_studies(url_of(missing))
    assert list(tmp_path.iterdir()) == []


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="is a folder"):
        load_optuna_study(url_of(tmp_path))


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "noise.db"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(SourceError, match="not a SQLite database"):
        load_optuna_study(url_of(path))
    path.write_bytes(b"")
    with pytest.raises(SourceError, match="is empty"):
        list_studies(url_of(path))


def test_damaged_database(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    path.write_bytes(REAL_DB.read_bytes()[:16] + b"\xff" * 4096)
    with pytest.raises(SourceError, match="damaged or not a SQLite database"):
        load_optuna_study(url_of(path))


def test_unreadable_file(real_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(SourceError, match=r"Cannot read .*Permission denied.*may read"):
        load_optuna_study(url_of(real_copy))


def test_not_an_optuna_schema(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    edit(path, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    with pytest.raises(SourceError, match=r"not an Optuna storage.*customers"):
        load_optuna_study(url_of(path))
    with pytest.raises(SourceError, match="not an Optuna storage"):
        list_studies(url_of(path))


def test_newer_schema_version(real_copy: Path) -> None:
    edit(real_copy, "UPDATE version_info SET schema_version = schema_version + 1, library_version = '9.0.0'")
    with pytest.raises(SourceError, match=r"newer Optuna \(library 9.0.0.*pip install -U optuna"):
        load_optuna_study(url_of(real_copy))


def test_newer_alembic_revision(real_copy: Path) -> None:
    edit(real_copy, "UPDATE alembic_version SET version_num = 'v9.0.0.a'")
    with pytest.raises(SourceError, match=r"newer Optuna.*v9.0.0.a"):
        list_studies(url_of(real_copy))


def test_old_schema_asks_for_an_upgrade(real_copy: Path) -> None:
    edit(real_copy, "DROP TABLE trial_values")
    with pytest.raises(SourceError, match=r"old Optuna.*optuna storage upgrade"):
        load_optuna_study(url_of(real_copy))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite://", "in-memory"),
        ("sqlite:///:memory:", "in-memory"),
        ("postgresql+psycopg2://user:secret@localhost/optuna", "driver"),
        ("nosuchdb://host/db", "not a database URL"),
        ("postgresql://user:secret@host:notaport/db", "SQLAlchemy can parse"),
    ],
)
def test_urls_that_cannot_be_read(url: str, message: str) -> None:
    with pytest.raises(SourceError, match=message) as raised:
        load_optuna_study(url)
    assert "secret" not in str(raised.value)


# ---------------------------------------------------------------- uploads


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    yield scratch


def test_uploaded_bytes_load_like_the_file_and_leave_nothing(private_tmp: Path) -> None:
    uploaded = load_optuna_bytes(REAL_DB.read_bytes(), "study.db")
    pd.testing.assert_frame_equal(uploaded.runs, load_optuna_study(url_of(REAL_DB)).runs)
    assert "study.db" in uploaded.source and "scratch" not in uploaded.source
    assert [info.name for info in list_studies_in_bytes(REAL_DB.read_bytes(), "study.db")] == [REAL_STUDY]
    assert list(private_tmp.iterdir()) == []


def test_uploaded_bytes_choose_a_study(made_storage: Path, private_tmp: Path) -> None:
    sweep = load_optuna_bytes(made_storage.read_bytes(), "studies.db", study_name="multi")
    assert sweep.metrics == ["loss", "accuracy"]
    with pytest.raises(SourceError, match=r"'studies.db' holds 4 studies"):
        load_optuna_bytes(made_storage.read_bytes(), "studies.db")
    assert list(private_tmp.iterdir()) == []


def test_uploaded_noise_is_refused_before_writing(private_tmp: Path) -> None:
    with pytest.raises(SourceError, match=r"'upload.db' is not a SQLite database"):
        load_optuna_bytes(b"PK\x03\x04 not a database", "upload.db")
    assert list(private_tmp.iterdir()) == []


# ---------------------------------------------------------------- specs


def test_split_study_spec() -> None:
    assert split_study_spec("sqlite:///a.db") == ("sqlite:///a.db", None)
    assert split_study_spec("sqlite:///a.db#my%20study") == ("sqlite:///a.db", "my study")
    assert split_study_spec("sqlite:///a.db#") == ("sqlite:///a.db", None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sqlite:///a.db", True),
        ("postgresql+psycopg2://u@h/db", True),
        ("MySQL://u@h/db", True),
        ("wandb://entity/project", False),
        ("https://wandb.ai/e/p", False),
        ("runs.csv", False),
    ],
)
def test_is_storage_url(text: str, expected: bool) -> None:
    assert is_storage_url(text) is expected


@pytest.mark.parametrize(
    "backend", ["sqlite", "postgresql+psycopg2", "mysql+pymysql", "mariadb", "oracle", "mssql"]
)
def test_every_database_the_url_reader_knows_is_a_storage_url(backend: str) -> None:
    from lib.sources.optuna.sqlite_url import SERVER_BACKENDS, parse_storage_url

    url = f"{backend}://user@host/db"
    assert is_storage_url(url)
    assert parse_storage_url(url).get_backend_name() in {"sqlite", *SERVER_BACKENDS}
