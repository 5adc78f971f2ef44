"""Sweepscope's library. The headless API is re-exported here and loaded on first use, so that
importing one small module (`lib.columns`) does not pull in every source and scikit-learn.

    from lib import load_source, parameter_importance
    sweep = load_source("demo")
    table = parameter_importance(sweep.runs, params=sweep.params, metric=sweep.default_metric)

No Streamlit here but `lib.ui`.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_API = {
    "load_source": "lib.sources",
    "SourceError": "lib.sources",
    "Sweep": "lib.sweep",
    "parameter_importance": "lib.analysis.importance",
}
__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'lib' has no attribute {name!r}")
    return getattr(import_module(_API[name]), name)
