"""Per-column decisions: flattening configs, inferring a column's kind, guessing metric direction.

Kinds follow HiPlot's idea: decide from the data, let the user override.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd


class Kind(StrEnum):
    NUMERIC = "numeric"
    INTEGER = "integer"
    LOG = "log"  # positive numeric spanning >= 2 decades, best read on a log axis
    BOOLEAN = "boolean"
    CATEGORICAL = "categorical"
    CONSTANT = "constant"
    IDENTIFIER = "identifier"  # names, seeds, paths, timestamps: not analysed by default


class Direction(StrEnum):
    MINIMIZE = "minimize"
    MAXIMIZE = "maximize"


ANALYSABLE_KINDS = frozenset({Kind.NUMERIC, Kind.INTEGER, Kind.LOG, Kind.BOOLEAN, Kind.CATEGORICAL})
NUMERIC_KINDS = frozenset({Kind.NUMERIC, Kind.INTEGER, Kind.LOG})

BOOKKEEPING_KEYS = frozenset({"_wandb", "_step", "_runtime", "_timestamp", "wandb_version"})

_IDENTIFIER_TOKENS = frozenset(
    {
        "seed",
        "seeds",
        "random_state",
        "randomstate",
        "id",
        "uuid",
        "name",
        "path",
        "dir",
        "folder",
        "file",
        "filename",
        "timestamp",
        "date",
        "datetime",
        "host",
        "hostname",
        "user",
        "username",
        "email",
        "commit",
        "url",
        "notes",
    }
)
_MINIMIZE_TOKENS = frozenset(
    {
        "loss",
        "error",
        "err",
        "mse",
        "mae",
        "rmse",
        "nll",
        "perplexity",
        "ppl",
        "regret",
        "cost",
        "wer",
        "cer",
        "bpb",
        "bpc",
        "fid",
        "time",
        "runtime",
        "duration",
        "latency",
        "seconds",
        "sec",
        "memory",
        "distance",
        "divergence",
        "kl",
        "rank",  # mean rank of the right answer: lower is better
    }
)
_MAXIMIZE_TOKENS = frozenset(
    {
        "acc",
        "accuracy",
        "top1",
        "top5",
        "f1",
        "auc",
        "auroc",
        "roc",
        "ap",
        "map",
        "reward",
        "return",
        "score",
        "precision",
        "recall",
        "iou",
        "miou",
        "dice",
        "bleu",
        "rouge",
        "r2",
        "psnr",
        "ssim",
        "success",
        "fitness",
        "throughput",
        "mcc",
        "kappa",
        "mrr",
        "hit",
        "hits",
        "ndcg",
        "auprc",
    }
)
_TOKEN_SPLIT = re.compile(r"[^0-9a-z]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?.*)?$")

MIN_LOG_DECADES = 2.0


def name_tokens(name: str) -> list[str]:
    """Lower-case word tokens of a column name: `val/Loss_epoch` -> [val, loss, epoch]."""
    spaced = _CAMEL.sub(" ", name).lower()
    return [t for t in _TOKEN_SPLIT.split(spaced) if t]


def guess_direction(name: str) -> Direction:
    """Minimize for losses and errors, maximize for accuracies and rewards.

    The last matching token wins (`loss_improvement_score` is a score); a name with no hint is
    minimized, as W&B sweeps do by default.
    """
    for token in reversed(name_tokens(name)):
        if token in _MAXIMIZE_TOKENS:
            return Direction.MAXIMIZE
        if token in _MINIMIZE_TOKENS:
            return Direction.MINIMIZE
    return Direction.MINIMIZE


def looks_like_identifier_name(name: str) -> bool:
    tokens = name_tokens(name)
    return bool(tokens) and (tokens[-1] in _IDENTIFIER_TOKENS or "seed" in tokens)


def scalar_for_cell(value: Any) -> Any:
    """A value a DataFrame cell can hold and hash: lists and dicts become compact JSON text."""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, sort_keys=True, separators=(", ", ": "), default=str)
    return value


_PLAIN_SCALARS = frozenset({int, float, str, bool, type(None)})


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts become dotted keys: {"opt": {"lr": 1}} -> {"opt.lr": 1}."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        full = f"{prefix}{key}"
        if type(value) in _PLAIN_SCALARS:  # most values: skip the slower checks below
            flat[full] = value
        elif isinstance(value, Mapping) and value:
            flat.update(flatten(value, prefix=f"{full}."))
        else:
            flat[full] = scalar_for_cell(value)
    return flat


def is_bookkeeping_key(key: str) -> bool:
    return key in BOOKKEEPING_KEYS or key.startswith("_")


def _as_float_array(values: pd.Series) -> np.ndarray | None:
    """Values as floats when every non-missing value is a real number (not a bool), else None."""
    if pd.api.types.is_bool_dtype(values):
        return None
    if pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(dtype=float, na_value=np.nan)
    out = np.empty(len(values), dtype=float)
    for i, v in enumerate(values):
        if isinstance(v, bool | np.bool_) or not isinstance(v, int | float | np.integer | np.floating):
            return None
        out[i] = float(v)
    return out


def _is_boolean(values: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(values):
        return True
    if pd.api.types.is_numeric_dtype(values):
        return False  # 0/1 integers stay numbers; only true/false values are booleans
    return all(isinstance(v, bool | np.bool_) for v in values) or set(map(str, values)) <= {
        "true",
        "false",
        "True",
        "False",
    }


def _is_log_scaled(finite: np.ndarray) -> bool:
    """Positive, spanning >= 2 decades, and spread like a log-uniform sample.

    The spread test (a fair share of values below the geometric midpoint) keeps a linearly
    sampled range such as epochs 1..100 on a linear axis.
    """
    lo, hi = finite.min(), finite.max()
    if lo <= 0 or math.log10(hi / lo) < MIN_LOG_DECADES:
        return False
    geometric_mid = math.sqrt(lo * hi)
    return float(np.mean(finite < geometric_mid)) >= 0.2


def _looks_like_free_text_ids(texts: pd.Series) -> bool:
    sample = texts.head(200)
    if sample.map(lambda s: "/" in s or "\\" in s).mean() > 0.5:
        return True  # paths
    if sample.map(lambda s: bool(_ISO_DATE.match(s))).mean() > 0.5:
        return True  # timestamps
    return len(texts) >= 10 and texts.nunique() == len(texts)


def _is_plain_dtype(values: pd.Series) -> bool:
    """Numbers, booleans or strings: values compare equal exactly when their text does."""
    return bool(
        pd.api.types.is_numeric_dtype(values)
        or pd.api.types.is_bool_dtype(values)
        or (pd.api.types.is_string_dtype(values) and values.map(lambda v: type(v) is str).all())
    )


def infer_kind(series: pd.Series, name: str | None = None) -> Kind:
    """Decide how a column should be read: see `Kind`."""
    present = series.dropna()
    if present.empty:
        return Kind.CONSTANT
    distinct = present.nunique() if _is_plain_dtype(present) else present.map(str).nunique()
    if distinct == 1:
        return Kind.CONSTANT
    column_name = name if name is not None else str(series.name)
    if looks_like_identifier_name(column_name):
        return Kind.IDENTIFIER
    if _is_boolean(present):
        return Kind.BOOLEAN
    floats = _as_float_array(present)
    if floats is None:
        texts = present.map(str)
        return Kind.IDENTIFIER if _looks_like_free_text_ids(texts) else Kind.CATEGORICAL
    finite = floats[np.isfinite(floats)]
    if finite.size == 0:
        return Kind.CONSTANT
    if _is_log_scaled(finite):
        return Kind.LOG
    if np.all(finite == np.round(finite)):
        return Kind.INTEGER
    return Kind.NUMERIC


def infer_kinds(frame: pd.DataFrame, columns: Iterable[str]) -> dict[str, Kind]:
    return {col: infer_kind(frame[col], col) for col in columns}


def is_numeric_column(series: pd.Series) -> bool:
    """True when every present value is a real number (bools excluded)."""
    present = series.dropna()
    return not present.empty and _as_float_array(present) is not None
