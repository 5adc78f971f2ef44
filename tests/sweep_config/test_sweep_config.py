"""W&B sweep configs: the oracle is W&B's own JSON schema (wandb/sweeps, vendored), read here with
jsonschema directly and W&B's two format checks, not through `validate_sweep_config`."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from jsonschema.validators import validator_for

from lib.analysis.next_sweep import NextSweepError, next_sweep_config
from lib.columns import Direction
from lib.filters import kept_mask
from lib.sources import load_source
from lib.sources.demo import load_demo
from lib.sweep import RUN_SWEEP, finish_sweep
from lib.sweep_config import config_metric, metric_column, swept_parameters, validate_sweep_config

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "lib" / "sweep_config" / "wandb_schema" / "schema.json").read_text())
REAL = ROOT / "tests" / "fixtures" / "real"
REAL_SOURCES = [
    *sorted((REAL / "wandb_runs_csv").glob("*.csv")),
    *sorted((REAL / "wandb_api_csv").glob("*.csv")),
    *sorted((REAL / "wandb_dirs").glob("*/wandb")),
    *sorted((REAL / "optuna").glob("*.db")),
]


def wandb_checker() -> jsonschema.FormatChecker:
    """As in wandb/sweeps src/sweeps/config/schema.py: `float` is a Python float, `integer` an int."""
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("float")(lambda value: isinstance(value, float))
    checker.checks("integer")(lambda value: isinstance(value, int))
    return checker


def schema_errors(config: dict) -> list[str]:
    validator = validator_for(SCHEMA)(SCHEMA, format_checker=wandb_checker())
    return [error.message for error in validator.iter_errors(config)]


def test_the_vendored_schema_is_a_valid_draft_7_schema() -> None:
    cls = validator_for(SCHEMA)
    assert cls is jsonschema.Draft7Validator
    cls.check_schema(SCHEMA)


# ---------------------------------------------------------------------------------------------
# (a) every config the app generates is one W&B's schema accepts


@pytest.fixture(scope="module")
def demo():
    return load_demo()


@pytest.mark.parametrize("margin", [0.0, 0.1, 0.5])
@pytest.mark.parametrize("method", ["bayes", "random"])
def test_demo_next_sweeps_pass_wandbs_schema(demo, margin: float, method: str) -> None:
    kept = kept_mask(demo, best_percent=10, metric="val_accuracy")
    for fixed in ((), [demo.analysable_params[0]], {demo.analysable_params[-1]: 3}):
        result = next_sweep_config(demo, kept, "val_accuracy", margin=margin, method=method, fixed=fixed)
        assert schema_errors(result.config) == [], result.config
        assert validate_sweep_config(result.config) == []


@pytest.mark.parametrize(
    "source", REAL_SOURCES, ids=lambda p: p.parent.name if p.name == "wandb" else p.stem[:40]
)
def test_next_sweeps_of_real_sweeps_pass_wandbs_schema(source: Path) -> None:
    sweep = load_source(source)
    metric = next(m for m in sweep.metrics if m in sweep.runs and sweep.runs[m].notna().any())
    written = 0
    for margin, method, percent in ((0.1, "bayes", 20), (0.5, "random", 50), (0.0, "bayes", 100)):
        kept = kept_mask(sweep, best_percent=percent, metric=metric)
        try:
            result = next_sweep_config(sweep, kept, metric, margin=margin, method=method)
        except NextSweepError as error:  # a sweep with nothing to narrow says so; never a bad config
            assert "No parameter can be written" in str(error)
            continue
        written += 1
        assert schema_errors(result.config) == [], result.config
        assert validate_sweep_config(result.config) == []
    assert written or not sweep.analysable_params


def _kinds_frame() -> pd.DataFrame:
    """Every kind the planner treats apart: a log-scaled float, log-scaled integers (batch 2^k), an
    exponent-form log range, integers, a categorical, a boolean, a q_uniform, a parameter set only
    for sgd (conditional) and a nested one (`model.hidden`)."""
    rng = np.random.default_rng(3)
    n = 60
    opt = np.array(["adam", "sgd", "rmsprop"])[np.arange(n) % 3]
    return pd.DataFrame(
        {
            "lr": 10 ** rng.uniform(-5, -1, n),
            "batch": 2 ** rng.integers(3, 10, n),
            "wd": np.exp(rng.uniform(-12, -3, n)),
            "layers": rng.integers(1, 9, n),
            "opt": opt,
            "amp": rng.integers(0, 2, n).astype(bool),
            "clip": np.round(rng.uniform(0, 2, n) / 0.25) * 0.25,
            "momentum": np.where(opt == "sgd", rng.uniform(0.5, 0.99, n), np.nan),
            "model.hidden": rng.integers(8, 257, n),
            "loss": rng.uniform(0, 1, n),
            RUN_SWEEP: "k1",
        },
        index=pd.Index([f"k{i:02d}" for i in range(n)], name="run_id"),
    )


KINDS_CONFIG = {
    "program": "train.py",
    "method": "random",
    "metric": {"name": "loss"},
    "parameters": {
        "lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-1},
        "batch": {"values": [8, 16, 32, 64, 128, 256, 512]},
        "wd": {"distribution": "log_uniform", "min": -12, "max": -3},
        "layers": {"min": 1, "max": 8},
        "opt": {"values": ["adam", "sgd", "rmsprop"]},
        "amp": {"values": [True, False]},
        "clip": {"distribution": "q_uniform", "min": 0.0, "max": 2.0, "q": 0.25},
        "momentum": {"distribution": "uniform", "min": 0.5, "max": 0.99},
        "model": {"parameters": {"hidden": {"distribution": "int_uniform", "min": 8, "max": 256}}},
    },
}
KINDS = ["lr", "batch", "wd", "layers", "opt", "amp", "clip", "momentum", "model.hidden"]


@pytest.mark.parametrize("with_config", [True, False])
@pytest.mark.parametrize("margin", [0.0, 0.2, 1.0])
def test_designed_next_sweeps_pass_wandbs_schema(with_config: bool, margin: float) -> None:
    frame = _kinds_frame()
    sweep = finish_sweep(
        frame,
        params=KINDS,
        metrics=["loss"],
        source="kinds",
        sweep_configs={"k1": KINDS_CONFIG} if with_config else {},
    )
    kept = frame["loss"] < 0.5
    for method in ("bayes", "random"):
        for fixed in ((), ["opt"], {"lr": 0.01, "model.hidden": 64}):
            result = next_sweep_config(sweep, kept, "loss", margin=margin, method=method, fixed=fixed)
            assert schema_errors(result.config) == [], result.config
            assert validate_sweep_config(result.config) == []
    narrow = next_sweep_config(sweep, kept & (frame["opt"] != "rmsprop"), "loss", margin=margin)
    assert any(p.condition is not None for p in narrow.plans)  # momentum: only for sgd
    assert "parameters" in narrow.config["parameters"]["model"]  # nested, as W&B writes it
    assert schema_errors(narrow.config) == []


# ---------------------------------------------------------------------------------------------
# (b) what W&B's schema rejects, we reject; and each rule of ours the schema lacks is tested

BASE = {
    "program": "train.py",
    "method": "bayes",
    "metric": {"name": "loss", "goal": "minimize"},
    "parameters": {
        "lr": {"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-1},
        "layers": {"min": 1, "max": 4},
        "opt": {"values": ["adam", "sgd"], "probabilities": [0.5, 0.5]},
        "model": {"parameters": {"hidden": {"value": 64}}},
    },
    "early_terminate": {"type": "hyperband", "min_iter": 3},
}


def _broken(change) -> dict:
    config = copy.deepcopy(BASE)
    change(config)
    return config


def _set(path: str, value):
    def change(config: dict) -> None:
        *parents, last = path.split("/")
        node = config
        for key in parents:
            node = node[key]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value

    return change


_DELETE = object()
SCHEMA_REJECTS = {
    "method missing": _set("method", _DELETE),
    "parameters missing": _set("parameters", _DELETE),
    "method unknown": _set("method", "hill_climb"),
    "unknown top-level key": _set("metrics", "loss"),
    "program not text": _set("program", 3),
    "run_cap zero": _set("run_cap", 0),
    "command not a list": _set("command", "python train.py"),
    "metric not a mapping": _set("metric", "loss"),
    "metric without name": _set("metric/name", _DELETE),
    "goal unknown": _set("metric/goal", "lower"),
    "metric key unknown": _set("metric/direction", "up"),
    "target not a number": _set("metric/target", "high"),
    "no parameters": _set("parameters", {}),
    "bad parameter name": _set("parameters/2x", {"value": 1}),
    "parameter not a mapping": _set("parameters/lr", 0.1),
    "log values min 0": _set("parameters/lr/min", 0.0),
    "unknown distribution": _set("parameters/lr/distribution", "gaussian"),
    "range key missing": _set("parameters/lr/max", _DELETE),
    "unknown parameter key": _set("parameters/lr/step", 0.1),
    "int_uniform float bound": _set(
        "parameters/layers", {"distribution": "int_uniform", "min": 1.5, "max": 4}
    ),
    "bool bound": _set("parameters/layers/min", True),
    "empty values": _set("parameters/opt/values", []),
    "negative probability": _set("parameters/opt/probabilities", [1.5, -0.5]),
    "q not positive": _set("parameters/layers", {"distribution": "q_uniform", "min": 0, "max": 4, "q": 0}),
    "sigma negative": _set("parameters/lr", {"distribution": "normal", "mu": 0, "sigma": -1}),
    "nested with a value": _set("parameters/model/value", 3),
    "nested bad name": _set("parameters/model/parameters/-h", {"value": 1}),
    "no spec keys": _set("parameters/lr", {"min": "a", "max": "b"}),
    "hyperband without iters": _set("early_terminate", {"type": "hyperband", "eta": 3}),
    "early_terminate not hyperband": _set("early_terminate/type", "median"),
    "hyperband eta 1": _set("early_terminate/eta", 1),
}


def test_the_base_config_passes_both() -> None:
    assert schema_errors(BASE) == [] and validate_sweep_config(BASE) == []


@pytest.mark.parametrize("name", SCHEMA_REJECTS)
def test_what_wandbs_schema_rejects_we_reject(name: str) -> None:
    config = _broken(SCHEMA_REJECTS[name])
    assert schema_errors(config), f"{name}: the schema accepts it, so it is no test of the schema"
    problems = validate_sweep_config(config)
    assert problems, name
    assert all(len(p.splitlines()) == 1 and len(p) < 200 for p in problems), problems


# one config per rule of ours; the schema accepts each, so each rule is tested on its own
OUR_RULES = {
    "min below max": (_set("parameters/lr/min", 0.5), "min (0.5) must be below max (0.1)"),
    "nested min below max": (
        _set("parameters/model/parameters/hidden", {"min": 9, "max": 2}),
        "parameters.model.parameters.hidden: min (9) must be below max (2)",
    ),
    "probabilities as long as values": (
        _set("parameters/opt/probabilities", [1.0]),
        "parameters.opt: probabilities must be a list as long as values",
    ),
    "bayes needs a metric": (_set("metric", _DELETE), "metric: bayes search needs a metric to optimize"),
    "grid is discrete": (
        lambda c: c.update(method="grid"),
        "parameters.lr: grid search cannot enumerate a log_uniform_values distribution",
    ),
    "command of text": (_set("command", ["python", 3]), "command: must be a list of strings"),
    "metric name not empty": (_set("metric/name", ""), "metric: needs a name"),
    "numpy scalars": (_set("parameters/lr/max", np.float64(0.1)), "float64 is not a plain YAML value"),
    "finite numbers": (_set("parameters/lr/max", float("inf")), "inf is not a finite number"),
}


@pytest.mark.parametrize("name", OUR_RULES)
def test_each_rule_wandbs_schema_lacks_is_ours(name: str) -> None:
    change, expected = OUR_RULES[name]
    config = _broken(change)
    assert schema_errors(config) == [], f"{name}: the schema rejects it already"
    problems = validate_sweep_config(config)
    assert any(expected in p for p in problems), problems


def test_messages_say_where_and_what() -> None:
    config = _broken(_set("parameters/lr/min", 0.0))
    assert validate_sweep_config(config) == ["parameters.lr: log_uniform_values needs min > 0 (got 0.0)"]
    config = _broken(_set("early_terminate", {"type": "hyperband"}))
    assert validate_sweep_config(config) == ["early_terminate: needs max_iter and s, or min_iter"]
    config = _broken(_set("parameters/model/parameters/hidden/distribution", "gaussian"))
    assert validate_sweep_config(config) == [
        "parameters.model.parameters.hidden: unknown distribution 'gaussian'"
    ]
    assert validate_sweep_config(["method", "grid"]) == ["the sweep configuration must be a mapping"]


# ---------------------------------------------------------------------------------------------
# (c) reading a config: metric, its column, the swept parameters


def test_a_missing_goal_states_no_direction() -> None:
    found = config_metric({"metric": {"name": "val_acc"}})
    assert found is not None and found.name == "val_acc" and found.goal is None
    assert config_metric({"metric": {"name": "loss", "goal": " Maximize "}}).goal is Direction.MAXIMIZE
    assert config_metric({"metric": {"name": "loss", "goal": "upwards"}}).goal is None
    assert config_metric({"metric": {"goal": "minimize"}}) is None
    assert config_metric("not a config") is None


def test_metric_column_finds_the_summary_form_of_the_goal() -> None:
    columns = ["val_acc.min", "val_acc.max", "loss"]
    assert metric_column("val_acc", columns, Direction.MAXIMIZE) == "val_acc.max"
    assert metric_column("val_acc", columns, Direction.MINIMIZE) == "val_acc.min"
    assert metric_column("loss", columns, None) == "loss"
    assert metric_column("val_loss", ["val_loss.last"], None) == "val_loss.last"
    assert metric_column("f1", columns, None) is None


def test_swept_parameters_are_dotted_when_nested() -> None:
    assert swept_parameters(BASE) == ["lr", "layers", "opt", "model.hidden"]
    deep = {
        "parameters": {"a": {"parameters": {"b": {"parameters": {"c": {"value": 1}}}}}, "d": {"values": [1]}}
    }
    assert swept_parameters(deep) == ["a.b.c", "d"]
    assert swept_parameters({"method": "grid"}) == []
