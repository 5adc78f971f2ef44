import math
from datetime import UTC, datetime

import pandas as pd

from lib.columns import Direction, Kind
from lib.sweep import (
    RUN_CREATED,
    RUN_NAME,
    RUN_STATE,
    RUN_SWEEP,
    RUN_TAGS,
    RunRecord,
    sweep_from_records,
)


def records() -> list[RunRecord]:
    return [
        RunRecord(
            run_id="a1",
            name="bright-sun-1",
            state="finished",
            sweep_id="sw1",
            tags=("baseline", "v2"),
            created=datetime(2025, 1, 1, tzinfo=UTC),
            config={"lr": 1e-3, "model": {"hidden": 64}, "_wandb": {"t": 1}, "optimizer": "adam"},
            summary={
                "val_loss": 0.5,
                "acc": {"max": 0.9},
                "_step": 10,
                "_runtime": 12.0,
                "img": {"_type": "image-file", "path": "x.png"},
                "lr": 0.0005,
            },
        ),
        RunRecord(
            run_id="b2",
            state="failed",
            sweep_id="sw1",
            config={"lr": 1e-1, "model": {"hidden": 128}, "optimizer": "sgd", "momentum": 0.9},
            summary={"val_loss": math.inf},
        ),
        RunRecord(
            run_id="c3",
            config={"lr": 1e-4, "model": {"hidden": 64}, "optimizer": "adam"},
            summary={"val_loss": 0.7, "acc": {"max": 0.8}, "note": "text"},
        ),
    ]


def test_records_become_one_row_per_run_with_flat_columns() -> None:
    sweep = sweep_from_records(records(), source="test")
    assert list(sweep.runs.index) == ["a1", "b2", "c3"]
    assert sweep.params == ["lr", "model.hidden", "optimizer", "momentum"]
    assert set(sweep.metrics) == {"val_loss", "acc.max"}
    assert "summary.lr" in sweep.other_columns  # a learning rate logged by the run is not an outcome
    assert sweep.runs.loc["a1", RUN_NAME] == "bright-sun-1"
    assert sweep.runs.loc["a1", RUN_TAGS] == "baseline, v2"
    assert sweep.runs.loc["a1", RUN_CREATED] == pd.Timestamp("2025-01-01", tz="UTC")
    assert sweep.runs.loc["c3", RUN_STATE] == "unknown"
    assert sweep.sweep_ids == ["sw1"]


def test_bookkeeping_media_and_text_summaries_are_not_metrics() -> None:
    sweep = sweep_from_records(records(), source="test")
    columns = set(sweep.runs.columns)
    assert not {"_wandb.t", "_step", "_runtime", "img.path", "img._type"} & columns
    assert "note" in sweep.other_columns


def test_conditional_parameter_is_missing_where_absent() -> None:
    sweep = sweep_from_records(records(), source="test")
    assert sweep.runs["momentum"].isna().sum() == 2


def test_infinite_metric_becomes_missing_with_a_note() -> None:
    sweep = sweep_from_records(records(), source="test")
    assert pd.isna(sweep.runs.loc["b2", "val_loss"])
    assert any("val_loss" in note and "infinite" in note for note in sweep.notes)


def test_kinds_and_directions_are_inferred() -> None:
    sweep = sweep_from_records(records(), source="test")
    assert sweep.kinds["lr"] is Kind.LOG
    assert sweep.kinds["optimizer"] is Kind.CATEGORICAL
    assert sweep.directions["val_loss"] is Direction.MINIMIZE
    assert sweep.directions["acc.max"] is Direction.MAXIMIZE
    assert sweep.analysable_params == ["lr", "model.hidden", "optimizer"]  # momentum is constant


def test_sweep_config_metric_sets_primary_metric_and_goal() -> None:
    config = {"metric": {"name": "acc.max", "goal": "minimize"}, "method": "random"}
    sweep = sweep_from_records(records(), source="test", sweep_configs={"sw1": config})
    assert sweep.primary_metric == "acc.max"
    assert sweep.default_metric == "acc.max"
    assert sweep.directions["acc.max"] is Direction.MINIMIZE


def test_sweep_without_sweep_ids_drops_the_empty_column() -> None:
    sweep = sweep_from_records([RunRecord(run_id="x", config={"a": 1}, summary={"m": 1.0})], source="t")
    assert RUN_SWEEP not in sweep.runs
    assert sweep.sweep_ids == []


def test_a_sweep_is_named_by_its_configs_name_with_its_id_beside_it() -> None:
    from lib.sources import load_source

    demo = load_source("demo")
    named = {demo.sweep_label(s) for s in demo.sweep_ids}
    by_id = {s: (demo.sweep_configs.get(s) or {}).get("name") for s in demo.sweep_ids}
    assert named == {f"{name} ({s})" for s, name in by_id.items()}  # every demo sweep has a name
    assert demo.sweep_label("not-a-sweep") == "not-a-sweep"
