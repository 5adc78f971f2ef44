"""The metric a sweep opens on, on designed tables: what a person reading the columns would open on."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lib.roles import choose_opening_metric, disqualification
from lib.sweep import finish_sweep


def runs(**columns: list[float | None]) -> pd.DataFrame:
    return pd.DataFrame({k: pd.Series(v, dtype=float) for k, v in columns.items()})


VARIED = [0.1, 0.4, 0.2, 0.3, 0.5, 0.6]


def pick(frame: pd.DataFrame, params: tuple[str, ...] = ()) -> tuple[str | None, str | None]:
    metrics = [c for c in frame.columns if c not in params]
    chosen = choose_opening_metric(frame, metrics, params)
    return chosen.metric, chosen.reason


def test_validation_over_test_over_train() -> None:
    assert pick(runs(train_accuracy=VARIED, test_accuracy=VARIED, val_accuracy=VARIED))[0] == "val_accuracy"
    assert pick(runs(train_accuracy=VARIED, test_accuracy=VARIED))[0] == "test_accuracy"
    assert pick(runs(train_loss=VARIED, loss=VARIED))[0] == "loss"  # no split said: more likely held out


def test_accuracy_over_loss_on_the_same_split_and_the_best_form_over_the_last() -> None:
    chosen, reason = pick(runs(val_loss=VARIED, val_accuracy=VARIED))
    assert chosen == "val_accuracy" and reason == "validation accuracy, logged by all 6 runs"
    chosen, reason = pick(runs(val_acc=VARIED, max_val_acc=VARIED, val_loss=VARIED))
    assert chosen == "max_val_acc" and reason == "best validation accuracy, logged by all 6 runs"


def test_headline_outcomes_over_incidental_statistics() -> None:
    frame = runs(
        val_f1_class_cat=VARIED,
        val_runtime=VARIED,
        val_samples_per_second=VARIED,
        grad_norm=VARIED,
        gpu_memory=VARIED,
        train_accuracy=VARIED,
    )
    assert pick(frame)[0] == "train_accuracy"


def test_ranking_metrics_are_headline_outcomes() -> None:
    chosen, reason = pick(runs(epoch_time_sec=VARIED, MRR=VARIED))
    assert chosen == "MRR" and reason == "mrr, logged by all 6 runs"


def test_a_sparse_metric_loses_to_one_most_runs_logged() -> None:
    sparse = [0.9, None, None, None, None, None]
    chosen, reason = pick(runs(val_accuracy=sparse, train_loss=VARIED))
    assert chosen == "train_loss" and reason == "train loss, logged by all 6 runs"
    partly = [0.1, 0.2, 0.3, 0.4, None, None]
    assert (
        pick(runs(val_accuracy=partly, train_loss=VARIED))[1] == "validation accuracy, logged by 4 of 6 runs"
    )


def test_never_a_step_counter_constant_echo_learning_rate_or_model_size() -> None:
    frame = runs(
        epoch=VARIED,
        lr=VARIED,
        n_params=VARIED,
        flops=VARIED,
        val_accuracy=[0.5] * 6,
        final_dropout=[0.1, 0.2, 0.1, 0.2, 0.3, 0.3],
        dropout=[0.1, 0.2, 0.1, 0.2, 0.3, 0.3],
        objective=VARIED,
    )
    chosen, reason = pick(frame, params=("dropout",))
    assert chosen == "objective"
    assert (
        reason == "no column is named like a headline outcome; objective varies and is logged by all 6 runs"
    )
    assert disqualification(frame["epoch"], "epoch") == "a step counter"
    assert disqualification(frame["val_accuracy"], "val_accuracy") == "the same value in every run"
    assert disqualification(frame["n_params"], "n_params") == "a model size or compute count"


def test_nothing_to_open_on() -> None:
    assert pick(runs(epoch=VARIED, val_accuracy=[np.nan] * 6)) == (None, None)


def test_the_sweep_config_metric_wins_over_the_scored_choice() -> None:
    frame = runs(val_accuracy=VARIED, train_loss=VARIED, lr=VARIED)
    config = {"s1": {"metric": {"name": "train_loss", "goal": "minimize"}}}
    sweep = finish_sweep(
        frame, params=["lr"], metrics=["val_accuracy", "train_loss"], source="t", sweep_configs=config
    )
    assert sweep.default_metric == "train_loss" and sweep.primary_reason == "the sweep config's metric"
    plain = finish_sweep(frame, params=["lr"], metrics=["val_accuracy", "train_loss"], source="t")
    assert plain.default_metric == "val_accuracy"
    assert plain.primary_reason == "validation accuracy, logged by all 6 runs"
