"""Role rules on designed sweeps: echoes, step counters, constants, ranking metrics, settings named like
metrics, the sweep config's word. Expectations are what a person reading the columns would conclude."""

from __future__ import annotations

import pandas as pd

from lib.importance import parameter_importance
from lib.sources.table import load_runs_table_bytes
from lib.sweep import RunRecord, Sweep, finish_sweep, sweep_from_records

EXPORT_FIELDS = "Name,State,Notes,User,Tags,Created,Runtime,Sweep"


def records(summaries: list[dict[str, object]], configs: list[dict[str, object]]) -> list[RunRecord]:
    return [
        RunRecord(run_id=f"r{i}", config=c, summary=s)
        for i, (c, s) in enumerate(zip(configs, summaries, strict=True))
    ]


def folder_sweep() -> Sweep:
    """Five wandb runs: config lr/batch_size/epochs; the script logs outcomes and some bookkeeping."""
    configs = [
        {"lr": lr, "batch_size": bs, "epochs": 10}
        for lr, bs in [(1e-3, 32), (3e-3, 64), (1e-2, 32), (3e-2, 64), (1e-1, 128)]
    ]
    summaries = [
        {
            "val_accuracy": 0.8 + i / 100,
            "train_loss_step": 0.5 - i / 50,
            "batch_size": c["batch_size"],  # the script logged its own setting
            "learning_rate": c["lr"] / (i + 2),  # the scheduler's last value
            "epoch": 9,
            "trainer/global_step": 900 + i,
            "samples_seen": 28_800 + i,
            "gpu_mem_mb": 512.0,
        }
        for i, c in enumerate(configs)
    ]
    return sweep_from_records(records(summaries, configs), source="designed")


def test_what_a_run_logs_beside_its_outcomes_is_bookkeeping() -> None:
    sweep = folder_sweep()
    assert sweep.params == ["lr", "batch_size", "epochs"]
    assert sweep.metrics == ["val_accuracy", "train_loss_step"]
    reasons = sweep.reasons
    assert reasons["summary.batch_size"] == "bookkeeping: echo of config `batch_size`"
    assert reasons["learning_rate"].startswith("bookkeeping: learning rate")
    assert reasons["trainer/global_step"] == reasons["samples_seen"] == "bookkeeping: step counter"
    assert reasons["epoch"] == "bookkeeping: step counter"
    assert reasons["gpu_mem_mb"] == "bookkeeping: same value (512) in every run"
    assert reasons["epochs"].startswith("parameter: config column") and "same value (10)" in reasons["epochs"]
    assert sweep.analysable_params == ["lr", "batch_size"]
    assert sweep.default_metric == "val_accuracy"


def test_every_column_but_the_run_fields_has_a_reason() -> None:
    sweep = folder_sweep()
    assert set(sweep.reasons) == set(sweep.runs.columns) - set(sweep.meta_columns)
    assert all(r.split(":")[0] in {"parameter", "metric", "bookkeeping"} for r in sweep.reasons.values())


def test_equal_values_alone_do_not_make_an_echo() -> None:
    """A loss that grows exactly with a rate is an outcome: names must match for an echo."""
    frame = pd.DataFrame({"rate": [0.1, 0.2, 0.3, 0.4], "loss": [0.1, 0.2, 0.3, 0.4]})
    sweep = finish_sweep(frame, params=["rate"], metrics=["loss"], source="designed")
    assert sweep.metrics == ["loss"] and sweep.reasons["loss"] == "metric: name says so"


def test_one_run_says_nothing_about_constants() -> None:
    sweep = sweep_from_records(records([{"val_loss": 0.3}], [{"lr": 0.1}]), source="one run")
    assert sweep.metrics == ["val_loss"] and sweep.default_metric == "val_loss"


def ranking_export() -> Sweep:
    """A W&B UI export of a link-prediction sweep: ranking metrics sorted into the config block."""
    config = [
        "batch_size",
        "Hit@1",
        "Hit@10",
        "loss_weight",
        "lr",
        "Mean Rank",
        "MRR",
        "reward_scale",
        "score_threshold",
    ]
    summary = ["epoch", "train_loss", "val_loss"]
    rows = []
    for i in range(6):
        fields = f"run-{i},finished,-,,,2024-05-0{i + 1}T10:00:00.000Z,60,"
        settings = [
            64 * (1 + i % 2),
            None,
            None,
            0.5 + i % 3,
            10.0 ** -(1 + i % 3),
            None,
            None,
            0.1 * (i + 1),
            0.25 * (1 + i % 2),
        ]
        mrr = 0.2 + i / 20
        settings[1], settings[2], settings[5], settings[6] = mrr - 0.1, mrr + 0.2, 120 - 10 * i, mrr
        logged = [20, 0.9 - i / 30, 1.1 - i / 25]
        rows.append(fields + "," + ",".join(f"{v:g}" for v in [*settings, *logged]))
    text = "\n".join([f"{EXPORT_FIELDS},{','.join([*config, *summary])}", *rows]) + "\n"
    return load_runs_table_bytes(text.encode(), "ranking.csv")


def test_ranking_metrics_among_export_config_columns_are_metrics() -> None:
    sweep = ranking_export()
    assert {"Hit@1", "Hit@10", "Mean Rank", "MRR"} <= set(sweep.metrics)
    assert {"batch_size", "loss_weight", "lr", "reward_scale", "score_threshold"} == set(sweep.params)
    assert sweep.reasons["MRR"].startswith("metric: name says so (mrr)")
    assert sweep.reasons["score_threshold"] == "parameter: among the config columns"
    assert sweep.reasons["epoch"].endswith("step counter")
    assert sweep.direction("Mean Rank").value == "minimize" and sweep.direction("MRR").value == "maximize"


def test_importance_no_longer_predicts_the_metric_from_other_metrics() -> None:
    sweep = ranking_export()
    table = parameter_importance(sweep.runs, params=sweep.analysable_params, metric="MRR")
    assert not {"Hit@1", "Hit@10", "Mean Rank"} & set(table["parameter"])


def test_settings_named_like_metrics_stay_parameters_in_a_tidy_table() -> None:
    text = (
        "loss_weight,score_threshold,reward_scale,top_k,epoch,val_reward,test_reward\n"
        "0.5,0.2,1.0,5,3,10.5,9.0\n"
        "1.0,0.4,2.0,10,3,12.5,11.0\n"
        "2.0,0.6,4.0,20,3,11.0,10.5\n"
    )
    sweep = load_runs_table_bytes(text.encode(), "tidy.csv")
    assert sweep.params == ["loss_weight", "score_threshold", "reward_scale", "top_k"]
    assert sweep.metrics == ["val_reward", "test_reward"]
    assert sweep.reasons["epoch"] == "bookkeeping: step counter"
    assert sweep.reasons["loss_weight"] == "parameter: not named like a metric"
    assert sweep.default_metric == "val_reward"


def test_the_sweep_config_outranks_names_and_order() -> None:
    """The sweep config's `parameters` and `metric` win, even over an export's column order."""
    configs = [{"lr": 10.0**-i, "val_accuracy_target": 0.9} for i in range(1, 5)]
    summaries = [{"val_accuracy": 0.7 + i / 20, "train_loss": 1 - i / 10, "epoch": 3} for i in range(4)]
    sweep_config = {
        "metric": {"name": "train_loss", "goal": "minimize"},
        "parameters": {"lr": {"min": 1e-4, "max": 0.1}, "epoch": {"values": [3]}},
    }
    sweep = sweep_from_records(records(summaries, configs), source="t", sweep_configs={"s": sweep_config})
    assert sweep.default_metric == "train_loss" and sweep.primary_reason == "the sweep config's metric"
    assert sweep.reasons["lr"].startswith("parameter: in the sweep config")
    assert sweep.reasons["epoch"].startswith("parameter: in the sweep config")  # swept, so not bookkeeping
    assert sweep.reasons["val_accuracy_target"].startswith("parameter: config column")


def test_metrics_moved_by_the_user_get_a_fresh_opening_metric() -> None:
    sweep = folder_sweep()
    without = sweep.replace(metrics=["train_loss_step"])
    assert without.default_metric == "train_loss_step"
