"""The next sweep on designed sweeps whose good region is known, and on the demo."""

from __future__ import annotations

import math

import numpy as np
import optuna
import pandas as pd
import pytest
import yaml

from lib.analysis.next_sweep import (
    LEFT_OUT,
    NextSweepError,
    NoKeptRunsError,
    nest_parameters,
    next_sweep_config,
    optuna_snippet,
    to_yaml,
)
from lib.columns import Direction
from lib.filters import best_first_positions, kept_mask
from lib.sweep import RUN_SWEEP, finish_sweep
from lib.sweep_config import validate_sweep_config
from tests.sweep_config.test_sweep_config import schema_errors

N_RUNS = 90
LR_GOOD = (1e-3, 1e-2)
COMMAND = ["${env}", "python", "${program}", "${args}"]
ORIGINAL = {
    "program": "train.py",
    "command": COMMAND,
    "method": "random",
    "metric": {"name": "loss", "goal": "minimize"},
    "parameters": {
        "lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-1},
        "optimizer": {"values": ["adam", "sgd", "rmsprop"]},
        "momentum": {"distribution": "uniform", "min": 0.5, "max": 0.99},
        "model": {"parameters": {"hidden": {"distribution": "int_uniform", "min": 8, "max": 256}}},
        "workers": {"values": [0, 2, 4, 8]},
        "dropout": {"distribution": "uniform", "min": 0.0, "max": 0.5},
        "use_bn": {"values": [True, False]},
    },
}


def designed_frame() -> pd.DataFrame:
    """Good runs: lr in [1e-3, 1e-2] with adam or sgd; rmsprop and other lrs are worse. Momentum
    exists only for sgd; workers has no effect; every good run uses batch norm; `steps` is derived
    from hidden (a config key, not a searched parameter)."""
    rng = np.random.default_rng(7)
    lr = 10 ** rng.uniform(-5, -1, N_RUNS)
    optimizer = np.array(["adam", "sgd", "rmsprop"])[np.arange(N_RUNS) % 3]
    good = (lr >= LR_GOOD[0]) & (lr <= LR_GOOD[1]) & (optimizer != "rmsprop")
    hidden = rng.integers(8, 257, N_RUNS)
    return pd.DataFrame(
        {
            "lr": lr,
            "optimizer": optimizer,
            "momentum": np.where(optimizer == "sgd", rng.uniform(0.5, 0.99, N_RUNS), np.nan),
            "model.hidden": hidden,
            "workers": np.array([0, 2, 4, 8])[np.arange(N_RUNS) % 4],
            "dropout": rng.uniform(0.0, 0.5, N_RUNS),
            "use_bn": np.where(good, True, np.arange(N_RUNS) % 2 == 0),
            "steps": 10_000 // hidden,
            "seed": rng.permutation(N_RUNS) * 7919,
            "loss": np.abs(np.log10(lr) + 2.5)
            + (optimizer == "rmsprop")
            + 2.0 * ~good
            + rng.uniform(0, 0.1, N_RUNS),
            RUN_SWEEP: "s1",
        },
        index=pd.Index([f"r{i:03d}" for i in range(N_RUNS)], name="run_id"),
    )


PARAMS = ["lr", "optimizer", "momentum", "model.hidden", "workers", "dropout", "use_bn", "steps", "seed"]


def designed_sweep(with_config: bool = True):
    frame = designed_frame()
    return finish_sweep(
        frame,
        params=PARAMS,
        metrics=["loss"],
        source="designed",
        sweep_configs={"s1": ORIGINAL} if with_config else {},
    )


@pytest.fixture(scope="module")
def sweep():
    return designed_sweep()


def good_mask(sweep) -> pd.Series:
    runs = sweep.runs
    good = runs["lr"].between(*LR_GOOD) & (runs["optimizer"] != "rmsprop")
    assert good.sum() >= 8 and (runs.loc[good, "optimizer"] == "sgd").any()
    return good


def best_kept(sweep, kept: pd.Series, column: str):
    runs = sweep.runs[kept]
    return runs.iloc[best_first_positions(runs["loss"], Direction.MINIMIZE)][column].iloc[0]


def spec_at(config: dict, *path: str) -> dict:
    node = config["parameters"]
    for key in path[:-1]:
        node = node[key]["parameters"]
    return node[path[-1]]


def decision(result, parameter: str) -> pd.Series:
    rows = result.decisions[result.decisions["parameter"] == parameter]
    assert len(rows) == 1
    return rows.iloc[0]


def comment_above(text: str, key_line: str) -> str:
    """The comment lines right above `key_line` in YAML text, joined into one line."""
    lines = text.splitlines()
    block = []
    for line in reversed(lines[: lines.index(key_line)]):
        if not line.lstrip().startswith("#"):
            break
        block.insert(0, line.lstrip()[2:])
    return " ".join(block)


def plain_types_only(value) -> bool:
    if type(value) is dict:
        return all(type(k) is str and plain_types_only(v) for k, v in value.items())
    if type(value) is list:
        return all(plain_types_only(v) for v in value)
    return type(value) in (str, int, float, bool, type(None))


# ---------------------------------------------------------------------------------------------
# Narrowing


def test_log_parameter_is_narrowed_to_the_kept_range_on_the_log_scale(sweep) -> None:
    kept = good_mask(sweep)
    result = next_sweep_config(sweep, kept, "loss", margin=0.1)
    spec = spec_at(result.config, "lr")
    kept_lr = sweep.runs.loc[kept, "lr"]
    assert spec["distribution"] == "log_uniform_values"
    assert 0 < spec["min"] <= kept_lr.min() and spec["max"] >= kept_lr.max()
    assert spec["min"] >= 1e-5 and spec["max"] <= 1e-1
    kept_span = math.log10(kept_lr.max() / kept_lr.min())
    # 10% each side, plus outward rounding to 3 significant digits (< 0.005 decades per bound)
    assert math.log10(spec["max"] / spec["min"]) <= 1.2 * kept_span + 0.01
    assert math.log10(spec["max"] / spec["min"]) > kept_span
    assert "log scale" in decision(result, "lr")["why"]


def test_margin_zero_keeps_the_kept_range_up_to_rounding(sweep) -> None:
    kept = good_mask(sweep)
    spec = spec_at(next_sweep_config(sweep, kept, "loss", margin=0.0).config, "dropout")
    kept_dropout = sweep.runs.loc[kept, "dropout"]
    assert spec["distribution"] == "uniform"
    assert spec["min"] <= kept_dropout.min() and spec["max"] >= kept_dropout.max()
    span = kept_dropout.max() - kept_dropout.min()
    assert kept_dropout.min() - spec["min"] < 0.01 * span and spec["max"] - kept_dropout.max() < 0.01 * span


def test_range_is_clipped_to_the_original_bounds(sweep) -> None:
    kept = good_mask(sweep)
    top = float(sweep.runs.loc[kept, "lr"].max())
    config = {**ORIGINAL, "parameters": {**ORIGINAL["parameters"], "lr": {**ORIGINAL["parameters"]["lr"]}}}
    config["parameters"]["lr"]["max"] = top
    result = next_sweep_config(sweep.replace(sweep_configs={"s1": config}), kept, "loss")
    assert spec_at(result.config, "lr")["max"] == top
    assert "clipped to the original range" in decision(result, "lr")["why"]


def test_kept_runs_outside_the_original_bounds_are_not_clipped_away(sweep) -> None:
    kept = good_mask(sweep)
    config = {**ORIGINAL, "parameters": {**ORIGINAL["parameters"], "lr": {"min": 1e-5, "max": 1e-4}}}
    config["parameters"]["lr"]["distribution"] = "log_uniform_values"
    result = next_sweep_config(sweep.replace(sweep_configs={"s1": config}), kept, "loss")
    spec = spec_at(result.config, "lr")
    assert spec["min"] < spec["max"] and spec["max"] >= sweep.runs.loc[kept, "lr"].max()
    assert "not clipped" in decision(result, "lr")["why"]


def test_categorical_keeps_only_the_levels_the_kept_runs_used(sweep) -> None:
    kept = good_mask(sweep)
    result = next_sweep_config(sweep, kept, "loss")
    values = spec_at(result.config, "optimizer")["values"]
    assert set(values) == set(sweep.runs.loc[kept, "optimizer"]) == {"adam", "sgd"}
    assert "dropped rmsprop" in decision(result, "optimizer")["why"]


def test_listed_numbers_stay_a_list_of_the_values_used(sweep) -> None:
    kept = good_mask(sweep) & sweep.runs["workers"].isin([2, 8])
    values = spec_at(next_sweep_config(sweep, kept, "loss").config, "workers")["values"]
    assert values == [2, 8] and all(type(v) is int for v in values)


def test_parameter_every_kept_run_shares_is_fixed(sweep) -> None:
    result = next_sweep_config(sweep, good_mask(sweep), "loss")
    assert spec_at(result.config, "use_bn") == {"value": True}
    assert "every kept run" in decision(result, "use_bn")["why"]


def test_unimportant_parameter_is_fixed_at_the_best_kept_runs_value(sweep) -> None:
    kept = good_mask(sweep)
    importance = pd.DataFrame({"parameter": ["workers", "lr", "dropout"], "importance": [0.004, 0.8, 0.05]})
    result = next_sweep_config(sweep, kept, "loss", importance=importance, min_importance=0.02)
    assert spec_at(result.config, "workers") == {"value": int(best_kept(sweep, kept, "workers"))}
    assert "importance 0.004" in decision(result, "workers")["why"]
    assert "distribution" in spec_at(result.config, "dropout")  # 0.05 is above the threshold


def test_a_float_fixed_for_not_mattering_is_written_to_four_significant_digits(sweep) -> None:
    kept = good_mask(sweep)
    importance = pd.DataFrame({"parameter": ["lr", "dropout"], "importance": [0.004, 0.8]})
    result = next_sweep_config(sweep, kept, "loss", importance=importance, min_importance=0.02)
    best = float(best_kept(sweep, kept, "lr"))
    fixed = spec_at(result.config, "lr")["value"]
    assert fixed == pytest.approx(best, rel=5e-4) and fixed == float(f"{best:.4g}")
    assert len(repr(fixed).replace("e-0", "e-").lstrip("0.")) <= 8  # never 0.00010339404017959436
    assert repr(fixed) in optuna_snippet(result)


def test_a_low_importance_is_not_enough_to_fix_a_parameter_with_signs_of_an_effect(sweep) -> None:
    kept = good_mask(sweep)
    importance = pd.DataFrame({"parameter": ["workers", "lr", "dropout"], "importance": [0.004, 0.8, 0.05]})
    signs = {"workers": "its effect is larger than the seed noise"}
    result = next_sweep_config(
        sweep, kept, "loss", importance=importance, min_importance=0.02, signs_of_effect=signs
    )
    assert "value" not in spec_at(result.config, "workers")  # still searched
    why = decision(result, "workers")["why"]
    assert "importance 0.004 is below 0.02" in why and "larger than the seed noise" in why


def test_caller_can_fix_parameters_by_name_or_value(sweep) -> None:
    kept = good_mask(sweep)
    by_name = next_sweep_config(sweep, kept, "loss", fixed=["dropout"])
    best = float(best_kept(sweep, kept, "dropout"))
    assert spec_at(by_name.config, "dropout") == {"value": float(f"{best:.4g}")}  # its noise digits dropped
    by_value = next_sweep_config(sweep, kept, "loss", fixed={"dropout": 0.25, "seed": 3})
    assert spec_at(by_value.config, "dropout") == {"value": 0.25}
    assert spec_at(by_value.config, "seed") == {"value": 3}
    assert decision(by_value, "dropout")["why"] == "fixed by you"


def test_caller_can_fix_a_parameter_no_run_has_by_value(sweep) -> None:
    result = next_sweep_config(sweep, good_mask(sweep), "loss", fixed={"warmup": 5})
    assert spec_at(result.config, "warmup") == {"value": 5}
    assert decision(result, "warmup")["was"] == "no run has a value"


def test_dotted_names_are_written_nested(sweep) -> None:
    result = next_sweep_config(sweep, good_mask(sweep), "loss")
    spec = spec_at(result.config, "model", "hidden")
    assert spec["distribution"] == "int_uniform"
    assert type(spec["min"]) is int and type(spec["max"]) is int
    assert spec["min"] >= 8 and spec["max"] <= 256
    assert "model.hidden" not in result.config["parameters"]


def test_conditional_parameter_keeps_its_range_with_a_comment(sweep) -> None:
    kept = good_mask(sweep)
    result = next_sweep_config(sweep, kept, "loss")
    spec = spec_at(result.config, "momentum")
    kept_momentum = sweep.runs.loc[kept, "momentum"].dropna()
    assert spec["min"] <= kept_momentum.min() and spec["max"] >= kept_momentum.max()
    why = decision(result, "momentum")["why"]
    assert f"set in {len(kept_momentum)} of {int(kept.sum())} kept runs" in why
    assert "only when optimizer is sgd" in why
    assert "only when optimizer is sgd" in comment_above(result.yaml, "  momentum:")


def test_conditional_parameter_no_kept_run_has_is_left_out(sweep) -> None:
    kept = good_mask(sweep) & (sweep.runs["optimizer"] == "adam")
    result = next_sweep_config(sweep, kept, "loss")
    assert "momentum" not in result.config["parameters"]
    assert decision(result, "momentum")["now"] == LEFT_OUT
    assert "only when optimizer is sgd" in decision(result, "momentum")["why"]
    assert spec_at(result.config, "optimizer") == {"value": "adam"}


def test_config_keys_the_original_sweep_did_not_search_and_identifiers_are_left_out(sweep) -> None:
    result = next_sweep_config(sweep, good_mask(sweep), "loss")
    assert "steps" not in result.config["parameters"] and "seed" not in result.config["parameters"]
    assert "not a parameter of the original sweep" in decision(result, "steps")["why"]


def test_original_parameters_no_run_recorded_are_copied(sweep) -> None:
    config = {**ORIGINAL, "parameters": {**ORIGINAL["parameters"], "warmup": {"values": [0, 100]}}}
    result = next_sweep_config(sweep.replace(sweep_configs={"s1": config}), good_mask(sweep), "loss")
    assert spec_at(result.config, "warmup") == {"values": [0, 100]}
    assert "no run recorded it" in decision(result, "warmup")["why"]


def test_program_and_command_are_carried_over(sweep) -> None:
    config = next_sweep_config(sweep, good_mask(sweep), "loss").config
    assert config["program"] == "train.py" and config["command"] == COMMAND
    assert config["method"] == "bayes" and config["metric"] == {"name": "loss", "goal": "minimize"}


def test_without_a_sweep_config_the_analysable_parameters_are_used() -> None:
    sweep = designed_sweep(with_config=False)
    result = next_sweep_config(sweep, good_mask(sweep), "loss", method="random")
    parameters = result.config["parameters"]
    assert "program" not in result.config and "program: train.py" in result.yaml
    assert spec_at(result.config, "model", "hidden")["distribution"] == "int_uniform"
    assert set(parameters["workers"]["values"]) <= {0, 2, 4, 8}  # 4 distinct values: kept as a list
    assert parameters["steps"]["distribution"] == "int_uniform"
    assert "seed" not in parameters  # an identifier, not analysed
    assert result.problems == ()
    assert schema_errors(result.config) == []


def test_without_bounds_a_non_negative_range_stays_non_negative() -> None:
    frame = pd.DataFrame({"rate": np.linspace(0.0, 1.0, 21), "loss": np.linspace(0.0, 1.0, 21)})
    sweep = finish_sweep(frame, params=["rate"], metrics=["loss"], source="designed")
    result = next_sweep_config(sweep, frame["rate"] <= 0.5, "loss")
    spec = spec_at(result.config, "rate")
    assert spec == {"distribution": "uniform", "min": 0.0, "max": 0.55}
    assert type(spec["min"]) is float and "0 or more" in decision(result, "rate")["why"]


# ---------------------------------------------------------------------------------------------
# YAML, validation, Optuna


def test_yaml_round_trips_to_the_config_and_validates(sweep) -> None:
    result = next_sweep_config(sweep, good_mask(sweep), "loss", selection="lr between 1e-3 and 1e-2")
    assert yaml.safe_load(result.yaml) == result.config
    assert result.yaml.startswith("# ") and "lr between 1e-3 and 1e-2" in result.yaml
    assert "!!" not in result.yaml
    assert plain_types_only(result.config)
    assert validate_sweep_config(result.config) == [] and result.problems == ()
    assert schema_errors(result.config) == []


def test_to_yaml_quotes_keys_yaml_would_misread_and_places_nested_comments() -> None:
    config = {
        "method": "random",
        "parameters": {
            "true": {"values": ["yes", "no", "null", 1.5]},
            "model": {"parameters": {"hidden": {"value": [64, 64]}}},
        },
    }
    text = to_yaml(config, header="line one\nline two", comments={"model.hidden": "why\nhere"})
    assert yaml.safe_load(text) == config
    lines = text.splitlines()
    assert lines[:2] == ["# line one", "# line two"]
    assert lines[lines.index("      hidden:") - 1] == "      # why here"


def test_nesting_under_a_plain_parameter_falls_back_to_a_dotted_name() -> None:
    tree = nest_parameters([(("a",), {"value": 1}), (("a", "b"), {"value": 2})])
    assert tree == {"a": {"value": 1}, "a.b": {"value": 2}}


VALID_CONFIGS = [
    {
        "program": "train.py",
        "name": "sweepdemo",
        "method": "bayes",
        "metric": {"goal": "minimize", "name": "validation_loss", "target": 0.1},
        "parameters": {
            "learning_rate": {"min": 0.0001, "max": 0.1},
            "batch_size": {"values": [16, 32, 64]},
            "epochs": {"min": 5, "max": 15},
            "optimizer": {"values": ["adam", "sgd"], "probabilities": [0.7, 0.3]},
            "wd": {"distribution": "q_log_uniform_values", "min": 1e-6, "max": 1e-2, "q": 1e-6},
            "noise": {"distribution": "normal", "mu": 0, "sigma": 1},
            "model": {"parameters": {"depth": {"value": 3}}},
        },
        "early_terminate": {"type": "hyperband", "min_iter": 3},
        "command": ["${env}", "python3", "${program}", "${args}"],
        "run_cap": 20,
    },
    {"method": "grid", "parameters": {"lr": {"values": [0.1, 0.01]}, "depth": {"value": 3}}},
]


@pytest.mark.parametrize("config", VALID_CONFIGS)
def test_documented_configs_validate(config) -> None:
    assert validate_sweep_config(config) == []
    assert schema_errors(config) == []


def _with_parameter(spec) -> dict:
    return {"method": "random", "parameters": {"x": spec}}


BROKEN_CONFIGS = [
    (_with_parameter({"distribution": "log_uniform_values", "min": 0.0, "max": 1.0}), "min > 0"),
    (_with_parameter({"distribution": "uniform", "min": 2.0, "max": 1.0}), "below max"),
    (_with_parameter({"distribution": "int_uniform", "min": 1.5, "max": 4}), "integer min and max"),
    (_with_parameter({"values": []}), "non-empty"),
    (_with_parameter({"values": [1, 2], "probabilities": [1.0]}), "as long as values"),
    (_with_parameter({"distribution": "uniform", "min": 0.0, "max": 1.0, "step": 0.1}), "unknown key 'step'"),
    (_with_parameter({"distribution": "gaussian", "mu": 0}), "unknown distribution"),
    (_with_parameter({"distribution": "uniform", "min": np.float64(0.1), "max": 1.0}), "float64"),
    (_with_parameter({"distribution": "uniform", "min": True, "max": 2.0}), "finite number"),
    (_with_parameter({"parameters": {"y": {"value": 1}}, "value": 2}), "only `parameters`"),
    (_with_parameter({"min": "a", "max": "b"}), "give value"),
    ({"method": "random", "parameters": {"2x": {"value": 1}}}, "not a valid parameter name"),
    ({"method": "random", "parameters": {}}, "non-empty mapping"),
    ({"parameters": {"x": {"value": 1}}}, "method"),
    ({"method": "bayes", "parameters": {"x": {"value": 1}}}, "bayes search needs a metric"),
    ({**_with_parameter({"value": 1}), "metric": {"name": "loss", "goal": "lower"}}, "goal"),
    ({**_with_parameter({"value": 1}), "metrics": "loss"}, "unknown top-level key 'metrics'"),
    ({**_with_parameter({"value": 1}), "run_cap": 0}, "run_cap"),
    ({**_with_parameter({"value": 1}), "command": "python train.py"}, "command"),
    ({"method": "grid", "parameters": {"x": {"distribution": "uniform", "min": 0, "max": 1}}}, "grid"),
]


@pytest.mark.parametrize(("config", "expected"), BROKEN_CONFIGS)
def test_validator_names_what_is_wrong(config, expected) -> None:
    problems = validate_sweep_config(config)
    assert any(expected in p for p in problems), problems


def test_optuna_snippet_compiles_and_draws_inside_the_region(sweep) -> None:
    result = next_sweep_config(sweep, good_mask(sweep), "loss", fixed={"dropout": 0.25})
    code = optuna_snippet(result)
    compile(code, "<next_sweep>", "exec")
    assert "suggest_float('lr'" in code and "log=True" in code
    assert "suggest_int('model.hidden'" in code and "suggest_categorical('optimizer'" in code
    namespace: dict = {}
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    exec(code, namespace)  # defines suggest/objective and creates an in-memory study
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    lr, hidden = spec_at(result.config, "lr"), spec_at(result.config, "model", "hidden")
    seen = set()
    for _ in range(40):
        params = namespace["suggest"](study.ask())
        assert lr["min"] <= params["lr"] <= lr["max"]
        assert hidden["min"] <= params["model.hidden"] <= hidden["max"]
        assert params["dropout"] == 0.25 and params["use_bn"] is True
        assert ("momentum" in params) == (params["optimizer"] == "sgd")
        seen.add(params["optimizer"])
    assert seen == {"adam", "sgd"}


# ---------------------------------------------------------------------------------------------
# Errors


def test_no_kept_runs_is_a_clear_error(sweep) -> None:
    with pytest.raises(NoKeptRunsError, match="No runs are kept") as caught:
        next_sweep_config(sweep, pd.Series(False, index=sweep.runs.index), "loss")
    assert isinstance(caught.value, ValueError)


def test_unknown_metric_is_an_error_naming_the_known_ones(sweep) -> None:
    with pytest.raises(NextSweepError, match=r"'accuracy' is not a metric.*loss"):
        next_sweep_config(sweep, good_mask(sweep), "accuracy")


def test_unknown_parameter_and_grid_method_are_errors(sweep) -> None:
    with pytest.raises(NextSweepError, match="Not parameters of this sweep: depth"):
        next_sweep_config(sweep, good_mask(sweep), "loss", params=["lr", "depth"])
    with pytest.raises(NextSweepError, match="No run has depth"):
        next_sweep_config(sweep, good_mask(sweep), "loss", fixed=["depth"])
    with pytest.raises(NextSweepError, match="grid"):
        next_sweep_config(sweep, good_mask(sweep), "loss", method="grid")


# ---------------------------------------------------------------------------------------------
# The demo


@pytest.fixture(scope="module")
def demo():
    from lib.sources.demo import load_demo

    return load_demo()


def _original_bounds(sweep, name: str) -> tuple[float, float]:
    specs = [c["parameters"][name] for c in sweep.sweep_configs.values() if name in c.get("parameters", {})]
    return min(s["min"] for s in specs), max(s["max"] for s in specs)


def test_demo_best_ten_percent_becomes_a_valid_narrowed_sweep(demo) -> None:
    kept = kept_mask(demo, best_percent=10, metric="val_accuracy")
    importance = pd.DataFrame(
        {"parameter": demo.analysable_params, "importance": [0.1] * len(demo.analysable_params)}
    )
    importance.loc[importance["parameter"] == "dataloader_workers", "importance"] = 0.001
    result = next_sweep_config(demo, kept, "val_accuracy", importance=importance, selection="best 10%")
    config = result.config
    assert config["metric"] == {"name": "val_accuracy", "goal": "maximize"}

    lr = spec_at(config, "learning_rate")
    low, high = _original_bounds(demo, "learning_rate")
    kept_lr = demo.runs.loc[kept, "learning_rate"]
    assert lr["distribution"] == "log_uniform_values"
    assert low <= lr["min"] <= kept_lr.min() and kept_lr.max() <= lr["max"] <= high and lr["min"] > 0
    assert lr["max"] / lr["min"] < high / low

    used = set(demo.runs.loc[kept, "optimizer"])
    assert (
        set(spec_at(config, "optimizer").get("values", [spec_at(config, "optimizer").get("value")])) == used
    )

    best = demo.runs[kept].sort_values("val_accuracy", ascending=False, kind="stable").iloc[0]
    assert spec_at(config, "dataloader_workers") == {"value": int(best["dataloader_workers"])}
    hidden = spec_at(config, "model", "hidden")
    assert hidden["distribution"] == "int_uniform" and type(hidden["min"]) is int

    assert yaml.safe_load(result.yaml) == config
    assert validate_sweep_config(config) == [] and plain_types_only(config)
    assert schema_errors(config) == []
    compile(optuna_snippet(result), "<demo next sweep>", "exec")
