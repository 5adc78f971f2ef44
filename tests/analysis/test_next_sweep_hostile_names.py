"""Hostile names (a CSV header, a W&B summary key, an Optuna metric name, a level, the sweep's source)
never become code or structure in the downloadable `next_study.py` or `next_sweep.yaml`."""

from __future__ import annotations

import ast
import itertools
import math

import numpy as np
import optuna
import pandas as pd
import pytest
import yaml

from lib.analysis.next_sweep import (
    NextSweep,
    next_sweep_config,
    optuna_snippet,
    to_yaml,
)
from lib.analysis.next_sweep.quoting import python_literal
from lib.columns import Kind
from lib.sweep import RUN_SWEEP, Sweep, finish_sweep
from lib.sweep_config import flat_parameter_specs

N_RUNS = 24
PAYLOAD = "__import__('os').system('echo pwned')"
HOSTILE = [
    f"\nimport os; {PAYLOAD}\n#",
    f"'''\n{PAYLOAD}\n'''",
    f'"""\n{PAYLOAD}\n"""',
    f"\\\n{PAYLOAD}",
    f"\r{PAYLOAD}",
    f"\r\n{PAYLOAD}",
    f"\u2028{PAYLOAD}",
    f"\u2029{PAYLOAD}",
    f"\x85{PAYLOAD}",
    f"\x0c{PAYLOAD}",
    f"\x0b{PAYLOAD}",
    f"\x1c{PAYLOAD}",
    "\x00 nul \x07 bell \x1b[31m escape",
    "\u202e reversed \u2066 isolate \u202c",
    "\t# tab",
    ": {evil: 1}\n- item",
    "\n  evil: 1\n",
    " &anchor *anchor !!python/object/apply:os.system ['echo pwned']",
    "? key\n: value",
    "'single' \"double\" \\back",
    "\n---\nmethod: grid\n...\n",
    "é€😀",
    "x" * 1100,
]
IDS = [f"hostile{i}" for i in range(len(HOSTILE))]


def names(h: str, metric: str | None = None) -> dict[str, str]:
    return {
        "metric": f"loss{h}" if metric is None else metric,
        "lr": f"lr{h}",
        "depth": f"depth{h}",
        "opt": f"opt{h}",
        "momentum": f"mom{h}",
        "noise": f"noise{h}",
        "tag": f"tag{h}",
        "hidden_key": f"hidden{h}",
        "hidden": f"model.hidden{h}",
    }


def levels(h: str) -> list[str]:
    return [f"adam{h}", f"sgd{h}", f"rms{h}"]


def hostile_sweep(h: str, metric: str | None = None) -> Sweep:
    """Every name, level, the program, the command and the source carry `h`; momentum is set only
    for the sgd level, noise only exists in the original config (a normal distribution)."""
    n = names(h, metric)
    rng = np.random.default_rng(3)
    optimizer = np.array(levels(h), dtype=object)[np.arange(N_RUNS) % 3]
    is_sgd = optimizer == levels(h)[1]
    frame = pd.DataFrame(
        {
            n["lr"]: 10 ** rng.uniform(-4, -1, N_RUNS),
            n["depth"]: rng.integers(1, 13, N_RUNS),
            n["opt"]: optimizer,
            n["momentum"]: np.where(is_sgd, rng.uniform(0.5, 0.99, N_RUNS), np.nan),
            n["hidden"]: rng.integers(8, 257, N_RUNS),
            n["metric"]: rng.uniform(0, 1, N_RUNS) + (optimizer == levels(h)[2]),
            RUN_SWEEP: "s1",
        },
        index=pd.Index([f"r{i:02d}" for i in range(N_RUNS)], name="run_id"),
    )
    original = {
        "program": f"train{h}.py",
        "command": ["python", f"arg{h}"],
        "method": "random",
        "metric": {"name": n["metric"], "goal": "minimize"},
        "parameters": {
            n["lr"]: {"distribution": "log_uniform_values", "min": 1e-5, "max": 1.0},
            n["depth"]: {"distribution": "int_uniform", "min": 1, "max": 16},
            n["opt"]: {"values": levels(h)},
            n["momentum"]: {"distribution": "uniform", "min": 0.5, "max": 0.99},
            n["noise"]: {"distribution": "normal", "mu": 0, "sigma": 1},
            "model": {"parameters": {n["hidden_key"]: {"distribution": "int_uniform", "min": 8, "max": 256}}},
        },
    }
    params = [n[k] for k in ("lr", "depth", "opt", "momentum", "hidden")]
    sweep = finish_sweep(
        frame, params=params, metrics=[n["metric"]], source=f"src{h}", sweep_configs={"s1": original}
    )
    return sweep.replace(kinds={**sweep.kinds, n["opt"]: Kind.CATEGORICAL})  # long levels read as ids


def hostile_next_sweep(h: str, metric: str | None = None) -> NextSweep:
    sweep = hostile_sweep(h, metric)
    metric = names(h, metric)["metric"]
    kept = sweep.runs[metric] <= sweep.runs[metric].median()
    return next_sweep_config(
        sweep, kept, metric, fixed={names(h)["tag"]: f"value{h}"}, selection=f"best half{h}"
    )


ALLOWED_CALLS = {
    "trial.suggest_float",
    "trial.suggest_int",
    "trial.suggest_categorical",
    "suggest",
    "train_and_evaluate",
    "optuna.create_study",
    "float",  # float("inf") for a non-finite bound or value
}
ALLOWED_ATTRIBUTES = ALLOWED_CALLS | {"optuna.Trial"}
ALLOWED_NAMES = {"optuna", "trial", "params", "suggest", "train_and_evaluate", "study", "dict", "float"}
SUGGESTERS = {"trial.suggest_float", "trial.suggest_int", "trial.suggest_categorical"}


def only_real_line_breaks(text: str) -> bool:
    """Lines end only at "\\n" and hold no other line break or control character: what Python's
    tokenizer, YAML parsers and editors each treat as a line break cannot hide a second line."""
    return all(line.isprintable() for line in text.split("\n"))


def assert_intended_module(code: str) -> set[str]:
    """The snippet is `import optuna`, `def suggest`, `def objective` and `study = create_study(...)`,
    calls only what it should, and returns the names it passes to `trial.suggest_*`."""
    module = ast.parse(code)
    shapes = [type(node).__name__ for node in module.body]
    assert shapes == ["Import", "FunctionDef", "FunctionDef", "Assign"], shapes
    assert [alias.name for alias in module.body[0].names] == ["optuna"]
    assert [f.name for f in module.body[1:3]] == ["suggest", "objective"]
    suggested: set[str] = set()
    for node in ast.walk(module):
        assert not isinstance(node, ast.ImportFrom | ast.Lambda | ast.ClassDef | ast.Global)
        assert not isinstance(node, ast.Import) or node is module.body[0]
        if isinstance(node, ast.Call):
            called = ast.unparse(node.func)
            assert called in ALLOWED_CALLS, called
            if called in SUGGESTERS:
                assert isinstance(node.args[0], ast.Constant)
                suggested.add(node.args[0].value)
        elif isinstance(node, ast.Attribute):
            assert ast.unparse(node) in ALLOWED_ATTRIBUTES, ast.unparse(node)
        elif isinstance(node, ast.Name):
            assert node.id in ALLOWED_NAMES, node.id
    return suggested


@pytest.mark.parametrize("h", HOSTILE, ids=IDS)
def test_optuna_snippet_holds_only_the_intended_statements(h: str) -> None:
    result = hostile_next_sweep(h)
    code = optuna_snippet(result)
    assert only_real_line_breaks(code)
    n = names(h)
    suggested = assert_intended_module(code)
    assert suggested == {n["lr"], n["depth"], n["opt"], n["momentum"], n["hidden"]}
    namespace: dict = {}
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    exec(compile(code, "<next_study.py>", "exec"), namespace)  # checked above: defines, creates a study
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(10):
        params = namespace["suggest"](study.ask())
        assert set(params) - {n["momentum"]} == {n["lr"], n["depth"], n["opt"], n["hidden"], n["tag"]}
        assert params[n["opt"]] in levels(h)[:2] and params[n["tag"]] == f"value{h}"
        assert (n["momentum"] in params) == (params[n["opt"]] == levels(h)[1])
    comments = " ".join(line.strip()[2:] for line in code.split("\n") if line.strip().startswith("# "))
    assert comments.startswith("From src") and "has no Optuna equivalent here; set it" in comments


@pytest.mark.parametrize("h", HOSTILE, ids=IDS)
def test_yaml_keeps_hostile_names_as_data_and_comments_on_single_lines(h: str) -> None:
    result = hostile_next_sweep(h)
    text = result.yaml
    assert only_real_line_breaks(text)
    loaded = yaml.safe_load(text)
    assert loaded == result.config
    n = names(h)
    assert loaded["metric"] == {"name": n["metric"], "goal": "minimize"}
    assert loaded["program"] == f"train{h}.py" and loaded["command"] == ["python", f"arg{h}"]
    parameters = {name: original.spec for name, original in flat_parameter_specs(loaded).items()}
    expected = {n[k] for k in ("lr", "depth", "opt", "momentum", "noise", "tag", "hidden")}
    assert set(parameters) == expected  # a dot in a name nests it, as for any dotted name
    assert parameters[n["opt"]] == {"values": levels(h)[:2]}
    assert parameters[n["tag"]] == {"value": f"value{h}"}
    lines = text.split("\n")
    header = list(itertools.takewhile(lambda line: line.startswith("#"), lines))
    assert lines[len(header)].startswith("program: ")
    said = " ".join(line[2:] for line in header)
    assert "From src" in said and "(best half" in said and "metric loss" in said


def test_the_reported_metric_name_does_not_run_when_the_snippet_is_run() -> None:
    """The issue's reproduction: only the metric is hostile, so the old snippet was valid Python
    with an extra `import os` and a call to `os.system` after the comment line it broke out of."""
    metric = "val_loss\nimport os; os.system('echo pwned')\n#"
    code = optuna_snippet(hostile_next_sweep("", metric))
    assert only_real_line_breaks(code)
    assert assert_intended_module(code) == {"lr", "depth", "opt", "mom", "model.hidden"}
    assert "# your training: return val_loss import os; os.system('echo pwned') #" in code


def test_to_yaml_keeps_hostile_keys_header_and_comments_as_data() -> None:
    key, long_key = "k\u2028: 1", "x" * 1100
    config = {
        "method": "random",
        "parameters": {key: {"values": ["\x85", "a\u202eb"]}, "m": {"parameters": {long_key: {"value": 1}}}},
    }
    text = to_yaml(
        config, header="one\u2028import: evil\x00", comments={key: "why\nnot: this", f"m.{long_key}": "l"}
    )
    assert only_real_line_breaks(text) and yaml.safe_load(text) == config
    comments = [line for line in text.split("\n") if line.lstrip().startswith("#")]
    assert comments == ["# one", "# import: evil", "  # why not: this", "      # l"]
    assert "\\u202E" in text  # an invisible character shows as its escape


@pytest.mark.parametrize(
    "value", [math.inf, -math.inf, -0.0, [1.5, None, True, 'a\u2028\'"\\"""'], {"k\n": (1,), 2: ()}]
)
def test_python_literals_evaluate_back_to_the_value(value: object) -> None:
    text = python_literal(value)
    assert only_real_line_breaks(text)
    assert eval(text, {"__builtins__": {"float": float}}) == value


def test_python_literal_of_other_values_is_their_text() -> None:
    assert python_literal(object) == repr(str(object))
    assert math.isnan(eval(python_literal(math.nan), {"__builtins__": {"float": float}}))
