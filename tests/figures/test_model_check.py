"""The observed-vs-predicted check: its data step against closed-form values."""

from __future__ import annotations

import pandas as pd
import pytest

from lib.figures.model_check import fit_check, fit_check_figure


def test_r2_and_shared_range_of_held_out_predictions() -> None:
    held_out = pd.DataFrame(
        {"observed": [1.0, 2.0, 3.0], "predicted": [1.0, 2.0, 4.0]}, index=["a", "b", "c"]
    )
    check = fit_check(held_out)
    assert check is not None
    assert check.r2 == pytest.approx(1 - (1 / 3) / (2 / 3))  # MSE 1/3 over variance 2/3
    assert check.low < 1.0 and check.high > 4.0  # both axes hold every point
    assert check.run_ids == ["a", "b", "c"]
    figure = fit_check_figure(check, "val_loss")
    assert list(figure.data[1].x) == [1.0, 2.0, 3.0] and list(figure.data[1].y) == [1.0, 2.0, 4.0]
    assert figure.layout.xaxis.range == figure.layout.yaxis.range


def test_no_held_out_runs_no_check() -> None:
    assert fit_check(pd.DataFrame(columns=["observed", "predicted"])) is None
    assert fit_check(pd.DataFrame({"observed": [float("nan")], "predicted": [1.0]})) is None


def test_a_constant_metric_has_no_r2() -> None:
    check = fit_check(pd.DataFrame({"observed": [2.0, 2.0], "predicted": [1.5, 2.5]}))
    assert check is not None and check.r2 is None
