"""The headless API of ../shared/docs/architecture.md, exercised on the demo sweep."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import lib
from lib.importance import parameter_importance
from lib.sources import SourceError, load_source
from lib.sweep import Sweep


@pytest.fixture(scope="module")
def demo() -> Sweep:
    return load_source("demo")


def test_the_package_re_exports_the_headless_api() -> None:
    assert lib.load_source is load_source
    assert lib.SourceError is SourceError
    assert lib.Sweep is Sweep
    assert lib.parameter_importance is parameter_importance
    with pytest.raises(AttributeError):
        _ = lib.no_such_name  # type: ignore[attr-defined]


def test_a_sweep_has_runs_params_metrics_skipped_and_a_default_metric(demo: Sweep) -> None:
    assert isinstance(demo.runs, pd.DataFrame) and len(demo.runs) > 0
    assert demo.runs.index.is_unique
    assert demo.params and set(demo.params) <= set(demo.runs.columns)
    assert demo.metrics and set(demo.metrics) <= set(demo.runs.columns)
    assert not set(demo.params) & set(demo.metrics)
    assert isinstance(demo.skipped, list)
    assert all(isinstance(what, str) and isinstance(why, str) for what, why in demo.skipped)
    assert demo.default_metric in demo.metrics


def test_parameter_importance_has_one_row_per_parameter(demo: Sweep) -> None:
    metric = demo.default_metric
    assert metric is not None
    table = parameter_importance(demo.runs, params=demo.params, metric=metric)
    assert {"parameter", "importance", "correlation"} <= set(table.columns)
    assert sorted(table["parameter"]) == sorted(demo.params)
    assert math.isclose(float(table["importance"].sum()), 1.0, rel_tol=1e-9)
    assert (table["importance"] >= 0).all()
    correlations = table["correlation"].dropna()
    assert ((correlations >= -1) & (correlations <= 1)).all()


def test_a_nonsense_spec_raises_a_source_error_that_is_a_value_error() -> None:
    assert issubclass(SourceError, ValueError)
    with pytest.raises(ValueError) as raised:
        load_source("no-such-source:://%%")
    assert isinstance(raised.value, SourceError)
    assert str(raised.value)
