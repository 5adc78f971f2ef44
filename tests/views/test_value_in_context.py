"""The chosen value of the metric in the shared context: its URL round trip, the column every page
reads, and the headline that names it."""

from __future__ import annotations

import pandas as pd
import pytest

from lib.columns import Direction
from lib.histories import MetricValue, ValueChoice
from lib.selection import Choices
from lib.sweep import Sweep
from lib.views.context import build_context, value_in_use, with_metric_values
from lib.views.parallel_state import ViewState, from_query, parse_value, to_query


def small_sweep() -> Sweep:
    runs = pd.DataFrame(
        {"lr": [0.1, 0.01, 0.001, 0.0001], "val_loss": [0.9, 0.5, 0.7, 0.8]},
        index=pd.Index(["a", "b", "c", "d"], name="run_id"),
    )
    return Sweep(runs=runs, params=["lr"], metrics=["val_loss"], directions={"val_loss": Direction.MINIMIZE})


@pytest.mark.parametrize(
    "value",
    [
        MetricValue(ValueChoice.BEST),
        MetricValue(ValueChoice.AT_STEP, step=3.0),
        MetricValue(ValueChoice.AT_STEP, step=2.5),
        MetricValue(ValueChoice.MEAN_LAST, k=5),
    ],
)
def test_a_chosen_value_survives_the_url(value: MetricValue) -> None:
    sweep = small_sweep()
    view = ViewState(metric="val_loss", value=value, step_key="epoch")
    query = to_query(view)
    back = from_query(query, sweep)
    assert back.value == value
    assert back.step_key == "epoch"


def test_the_summary_leaves_the_url_unchanged_and_bad_values_read_as_the_summary() -> None:
    assert "v" not in to_query(ViewState(metric="val_loss"))
    for text in ["", "worst", "step:", "step:abc", "last:0", "last:-2", None]:
        assert parse_value(text) == MetricValue()


def test_every_page_reads_the_chosen_value_from_the_metric_column() -> None:
    sweep = small_sweep()
    best = pd.Series({"a": 0.3, "b": 0.45, "d": 0.2})  # c has no history
    valued = with_metric_values(sweep, "val_loss", best)
    assert valued.runs["val_loss"].tolist()[:2] == [0.3, 0.45]
    assert pd.isna(valued.runs.loc["c", "val_loss"])
    assert sweep.runs.loc["c", "val_loss"] == 0.7  # the loaded sweep is untouched
    view = ViewState(metric="val_loss", best_percent=50)
    chosen = value_in_use("val_loss", MetricValue(ValueChoice.BEST), Direction.MINIMIZE)
    context = build_context(sweep, valued, Choices(), view, value=chosen)
    # best 50% by the best-over-training value: d (0.2) and a (0.3); by the summary it would be b and c
    assert sorted(context.kept[context.kept].index) == ["a", "d"]
    assert context.headline().startswith("val_loss, best (lowest) over training, minimize")


def test_the_headline_of_the_summary_reads_as_before() -> None:
    sweep = small_sweep()
    context = build_context(sweep, sweep, Choices(), ViewState(metric="val_loss"))
    assert context.headline().startswith("val_loss, minimize · 4 of 4 runs")
