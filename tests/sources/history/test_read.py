"""Which values can be chosen per source, and the histories that need no reader of their own:
Optuna's reported values (Optuna's own API is the oracle) and a runs table's best-value columns."""

from __future__ import annotations

from pathlib import Path

import optuna
import pandas as pd
import pytest

from lib.analysis.metric_value import chosen_values
from lib.columns import Direction
from lib.histories import ALL_CHOICES, RUN_ID, STEP, VALUE, MetricValue, ValueChoice
from lib.sources import load_source
from lib.sources.history.errors import HistoryUnavailable
from lib.sources.history.read import (
    history_choices,
    history_step_keys,
    read_history,
    summary_forms,
    why_summary_only,
)
from lib.sweep import RunRecord, sweep_from_records

optuna.logging.set_verbosity(optuna.logging.ERROR)
REAL = Path(__file__).parents[2] / "fixtures" / "real"


def curve_objective(trial: optuna.Trial) -> float:
    """Reports a loss that falls then rises (so best and last differ), stopping at a trial's own step."""
    width = trial.suggest_float("width", 0.0, 1.0)
    steps = 4 + trial.number % 4
    loss = 0.0
    for step in range(steps):
        loss = (step - 2) ** 2 * 0.1 + width
        trial.report(loss, step * 10)  # steps 0, 10, 20: the study's own step axis
    if trial.number == 5:
        raise optuna.TrialPruned()
    return loss


@pytest.fixture(scope="module")
def study_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("study") / "curves.db"
    study = optuna.create_study(
        study_name="curves", storage=f"sqlite:///{path}", sampler=optuna.samplers.RandomSampler(seed=3)
    )
    study.optimize(curve_objective, n_trials=9)
    return path


def test_an_optuna_studys_reports_are_the_history_of_its_objective(study_path: Path) -> None:
    sweep = load_source(f"sqlite:///{study_path}")
    trials = optuna.load_study(study_name="curves", storage=f"sqlite:///{study_path}").get_trials()
    assert history_choices(sweep, "value") == ALL_CHOICES
    assert history_step_keys(sweep) == ["trial step"]
    history = read_history(sweep, "value", step_key="trial step")
    for trial in trials:
        rows = history.frame[history.frame[RUN_ID] == f"trial-{trial.number}"]
        assert dict(zip(rows[STEP], rows[VALUE], strict=True)) == {
            float(step): value for step, value in trial.intermediate_values.items()
        }
    best = chosen_values(
        history, MetricValue(ValueChoice.BEST), direction=Direction.MINIMIZE, run_ids=sweep.runs.index
    )
    for trial in trials:
        assert best[f"trial-{trial.number}"] == min(trial.intermediate_values.values())
    pruned = trials[5]
    assert pruned.state == optuna.trial.TrialState.PRUNED
    assert best[f"trial-{pruned.number}"] == min(pruned.intermediate_values.values())


def test_the_real_optuna_study_offers_every_value_of_its_objective() -> None:
    sweep = load_source(f"sqlite:///{REAL / 'optuna' / 'adlane98__koleo-study__optuna_study.db'}")
    history = read_history(sweep, "value", step_key="trial step")
    assert set(history.run_ids) <= set(sweep.runs.index)
    assert len(history.frame) > len(history.run_ids)  # several reports per trial
    last_reported = history.frame.groupby(RUN_ID)[VALUE].last()
    logged = sweep.runs["last_intermediate_value"].dropna()
    pd.testing.assert_series_equal(
        last_reported.reindex(logged.index), logged, check_names=False, check_index_type=False
    )


def records_with(columns: dict[str, list[float]]) -> list[RunRecord]:
    n = len(next(iter(columns.values())))
    return [
        RunRecord(f"r{i}", config={"lr": 0.1 * (i + 1)}, summary={k: v[i] for k, v in columns.items()})
        for i in range(n)
    ]


def test_a_table_with_a_best_value_column_offers_best_from_it() -> None:
    sweep = sweep_from_records(
        records_with({"val_loss": [0.5, 0.4, 0.9], "val_loss.min": [0.3, 0.35, 0.2]}), source="t"
    )
    assert "val_loss" in sweep.metrics
    assert history_choices(sweep, "val_loss") == (ValueChoice.LAST, ValueChoice.BEST)
    assert history_step_keys(sweep) == []
    reason = why_summary_only(sweep, "val_loss")
    assert reason is not None and "`val_loss.min`" in reason
    history = read_history(sweep, "val_loss", step_key="_step")
    best = chosen_values(
        history, MetricValue(ValueChoice.BEST), direction=Direction.MINIMIZE, run_ids=["r0", "r1", "r2"]
    )
    assert best.tolist() == [0.3, 0.35, 0.2]


def test_a_table_without_history_offers_only_the_summary_and_says_why() -> None:
    sweep = sweep_from_records(records_with({"val_loss": [0.5, 0.4, 0.9]}), source="t")
    assert history_choices(sweep, "val_loss") == (ValueChoice.LAST,)
    reason = why_summary_only(sweep, "val_loss")
    assert reason is not None and "no history of val_loss" in reason
    assert read_history(sweep, "val_loss", step_key="_step").frame.empty


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["val_loss", "val_loss.min"], {"val_loss": ("val_loss.min", None)}),
        (["acc", "acc (Max)"], {"acc": (None, "acc (Max)")}),
        (["acc", "best_acc"], {"acc": ("best_acc", "best_acc")}),
        (["acc", "max_acc", "min_acc"], {"acc": ("min_acc", "max_acc")}),
        (["loss", "max_epochs", "min_lr", "lr"], {}),  # forms of parameters, not of a metric
    ],
)
def test_best_value_columns_are_paired_only_with_a_metric_they_name(
    columns: list[str], expected: dict[str, tuple[str | None, str | None]]
) -> None:
    metrics = [c for c in columns if c in ("val_loss", "acc", "loss")]
    assert dict(summary_forms(columns, metrics).best) == expected


def test_the_real_exports_offer_what_their_columns_hold() -> None:
    """The real CSV exports have no best-value columns: only the summary, never a false pairing."""
    for path in sorted((REAL / "wandb_runs_csv").glob("*.csv")):
        sweep = load_source(str(path))
        for metric in sweep.metrics:
            assert history_choices(sweep, metric) == (ValueChoice.LAST,), (path.name, metric)


def test_a_wandb_source_without_a_key_says_how_to_give_one() -> None:
    from lib.histories import WandbRuns

    sweep = sweep_from_records(records_with({"loss": [1.0, 2.0]}), source="t")
    sweep = sweep.replace(history=WandbRuns("wandb://a/b", "https://api.wandb.ai", ("r0", "r1")))
    with pytest.raises(HistoryUnavailable, match="API key"):
        read_history(sweep, "loss", step_key="_step")
    assert history_step_keys(sweep) == ["_step"]
