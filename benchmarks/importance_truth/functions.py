"""The designed sweeps, each probing one way importance goes wrong (see each `tests=`)."""

from __future__ import annotations

import numpy as np

from benchmarks.importance_truth.space import (
    Boolean,
    Branch,
    Categorical,
    DesignedFunction,
    IntUniform,
    LogUniform,
    Uniform,
    Values,
    level_effect,
    numbered_levels,
)
from lib.columns import Direction

SGD = Branch("optimizer", ("sgd",))
ADAM = Branch("optimizer", ("adam",))


def _decades_from(lr: np.ndarray, best: float) -> np.ndarray:
    return np.asarray(np.log10(lr) - np.log10(best))


# --- a realistic training sweep -------------------------------------------------------------
def _training_mean(x: Values) -> np.ndarray:
    sgd = x["optimizer"] == "sgd"
    loss = 0.2 * _decades_from(x["lr"], 1e-3) ** 2
    loss += level_effect(x["optimizer"], {"adam": 0.0, "sgd": 0.0, "rmsprop": 0.12})
    loss += np.where(sgd, 0.6 * (1 - np.nan_to_num(x["momentum"])), 0.0)
    loss += 0.4 * x["batch_size"] / 256 + 0.6 * np.abs(x["dropout"] - 0.2)
    return np.asarray(loss - 0.15 * x["use_bn"])


def _training_noise(x: Values) -> np.ndarray:
    return np.asarray(0.03 + 0.05 * (np.log10(x["lr"]) + 5))  # louder at high learning rates


def _training_failure(x: Values) -> np.ndarray:
    diverged = (x["optimizer"] == "sgd") & (x["lr"] > 10**-1.5)
    return np.where(diverged, 1.0, 0.05)


TRAINING = DesignedFunction(
    name="training",
    tests="a realistic mix: log lr with an optimum at 1e-3, optimizer levels, sgd-only momentum, "
    "int batch size, dropout, a flag; dead log/int/12-level categorical/bool/float; noise grows with "
    "lr; sgd diverges (fails) above lr 0.03, 5% fail at random",
    params=(
        LogUniform("lr", 1e-5, 1e-1),
        Categorical("optimizer", levels=("adam", "sgd", "rmsprop")),
        Uniform("momentum", 0.0, 0.99, when=SGD),
        IntUniform("batch_size", 16, 256),
        Uniform("dropout", 0.0, 0.5),
        Boolean("use_bn"),
        LogUniform("weight_decay", 1e-6, 1e-2),
        IntUniform("num_workers", 0, 8),
        Categorical("init_scheme", levels=numbered_levels("init", 12)),
        Boolean("pin_memory"),
        Uniform("warmup_frac", 0.0, 0.2),
    ),
    mean=_training_mean,
    noise_sd=_training_noise,
    direction=Direction.MINIMIZE,
    failure=_training_failure,
)


# --- a pure interaction ----------------------------------------------------------------------
INTERACTION = DesignedFunction(
    name="interaction",
    tests="y = 2ab + c: a and b matter only together (first-order 0); dead float, int, bool, log",
    params=(
        Uniform("a", -1.0, 1.0),
        Uniform("b", -1.0, 1.0),
        Uniform("c", -1.0, 1.0),
        Uniform("d", -1.0, 1.0),
        IntUniform("e", 0, 10),
        Boolean("f"),
        LogUniform("g", 1e-4, 1.0),
    ),
    mean=lambda x: np.asarray(2 * x["a"] * x["b"] + x["c"]),
    noise_sd=lambda x: np.full(len(x["a"]), 0.3),
    direction=Direction.MAXIMIZE,
)


# --- conditional branches --------------------------------------------------------------------
def _branches_mean(x: Values) -> np.ndarray:
    sgd, adam = x["optimizer"] == "sgd", x["optimizer"] == "adam"
    score = level_effect(x["optimizer"], {"sgd": 0.0, "adam": 0.9})
    score += np.where(sgd, 0.8 * np.nan_to_num(x["momentum"]), 0.0)
    score += np.where(adam, 3.0 * (np.nan_to_num(x["beta1"], nan=0.9) - 0.9), 0.0)
    return np.asarray(score + 0.3 * x["width"])


BRANCHES = DesignedFunction(
    name="branches",
    tests="conditional parameters: momentum only under sgd, beta1 only under adam, a dead sgd-only "
    "child (dampening); the optimizer itself matters most; dead float and 6-level categorical",
    params=(
        Categorical("optimizer", levels=("sgd", "adam")),
        Uniform("momentum", 0.0, 1.0, when=SGD),
        Uniform("beta1", 0.8, 1.0, when=ADAM),
        Uniform("dampening", 0.0, 1.0, when=SGD),
        Uniform("width", 0.0, 1.0),
        Uniform("label_smoothing", 0.0, 0.3),
        Categorical("scheduler", levels=numbered_levels("sched", 6)),
    ),
    mean=_branches_mean,
    noise_sd=lambda x: np.full(len(x["width"]), 0.1),
    direction=Direction.MAXIMIZE,
)


# --- a few drivers among many dead parameters ------------------------------------------------
def _many_dead_mean(x: Values) -> np.ndarray:
    loss = 0.15 * _decades_from(x["lr"], 3e-3) ** 2
    loss += 0.06 * np.abs(x["depth"] - 6)
    return np.asarray(loss + level_effect(x["activation"], {"relu": 0.0, "gelu": -0.1, "tanh": 0.4}))


MANY_DEAD = DesignedFunction(
    name="many_dead",
    tests="3 drivers (log lr, int depth with an inner optimum, 3-level categorical) among 11 dead "
    "parameters of every kind, a 40-level categorical among them; noise grows with depth",
    params=(
        LogUniform("lr", 1e-5, 1e-1),
        IntUniform("depth", 2, 12),
        Categorical("activation", levels=("relu", "gelu", "tanh")),
        Categorical("data_shard", levels=numbered_levels("shard", 40)),
        *(Uniform(f"junk{i}") for i in range(4)),
        IntUniform("seed_offset", 0, 1000),
        LogUniform("eps", 1e-10, 1e-6),
        Boolean("amp"),
        Boolean("compile"),
        Categorical("precision", levels=("fp32", "bf16", "fp16")),
    ),
    mean=_many_dead_mean,
    noise_sd=lambda x: np.asarray(0.05 + 0.02 * x["depth"]),
    direction=Direction.MINIMIZE,
)


# --- level effects, flags and a flag-switched slope ------------------------------------------
def _levels_mean(x: Values) -> np.ndarray:
    score = level_effect(x["augment"], {"none": 0.0, "flip": 0.4, "crop": 0.6, "mixup": 1.0})
    score += 0.5 * x["ema"] - 0.04 * (x["layers"] - 5) ** 2
    return np.asarray(score + np.where(x["ema"], 0.8, 0.2) * x["scale"])


LEVELS = DesignedFunction(
    name="levels",
    tests="categorical level effects, a flag with a main effect that also switches another "
    "parameter's slope, an int with an inner optimum; dead 20-level categorical, bool, int, log; "
    "heteroscedastic noise; 10% of runs fail at random",
    params=(
        Categorical("augment", levels=("none", "flip", "crop", "mixup")),
        Boolean("ema"),
        IntUniform("layers", 1, 9),
        Uniform("scale", 0.0, 1.0),
        Categorical("tokenizer", levels=numbered_levels("tok", 20)),
        Boolean("shuffle_buffer"),
        IntUniform("log_every", 10, 500),
        LogUniform("grad_clip", 1e-2, 1e2),
    ),
    mean=_levels_mean,
    noise_sd=lambda x: np.asarray(0.1 + 0.3 * x["scale"]),
    direction=Direction.MAXIMIZE,
    failure=lambda x: np.full(len(x["scale"]), 0.10),
)

FUNCTIONS: tuple[DesignedFunction, ...] = (TRAINING, INTERACTION, BRANCHES, MANY_DEAD, LEVELS)
QUICK_FUNCTIONS: tuple[str, ...] = ("training", "interaction", "branches")


def function_named(name: str) -> DesignedFunction:
    for function in FUNCTIONS:
        if function.name == name:
            return function
    raise KeyError(f"no designed function {name!r}; known: {[f.name for f in FUNCTIONS]}")
