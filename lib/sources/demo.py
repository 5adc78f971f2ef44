"""The built-in demo: a real two-stage random search over an MLP on scikit-learn's digits, plus seed
repeats of its best configurations.

`scripts/make_demo_sweep.py` made `data/demo/` (its README says how); it is read like any local
`wandb/` folder, then labelled and given the metric the sweeps optimized.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from lib.columns import Direction
from lib.sources.errors import SourceError
from lib.sweep import Sweep

DEMO_DIR = Path(__file__).resolve().parents[2] / "data" / "demo"
PRIMARY_METRIC = "val_accuracy"
DIRECTIONS = {
    "val_accuracy": Direction.MAXIMIZE,
    "val_loss": Direction.MINIMIZE,
    "fit_time": Direction.MINIMIZE,
}


def load_demo() -> Sweep:
    """The demo sweep; `SourceError` if its files are missing from this copy of Sweepscope."""
    from lib.sources.wandb.local import load_wandb_folder

    folder = DEMO_DIR / "wandb"
    if not folder.is_dir():
        raise SourceError(
            f"The demo sweep is missing ({folder} does not exist). Restore data/demo/ from the "
            "repository, or make it again with `python scripts/make_demo_sweep.py`."
        )
    sweep = load_wandb_folder(folder)
    chosen = PRIMARY_METRIC in sweep.metrics
    return sweep.replace(
        source=(
            f"Demo: an MLP on scikit-learn's digits, two random searches and seed repeats "
            f"({len(sweep.runs)} runs)"
        ),
        primary_metric=PRIMARY_METRIC if chosen else sweep.primary_metric,
        primary_reason="the metric the demo's sweeps optimized" if chosen else sweep.primary_reason,
        directions={**sweep.directions, **{m: d for m, d in DIRECTIONS.items() if m in sweep.metrics}},
        sweep_configs={**demo_sweep_configs(), **sweep.sweep_configs},
    )


def demo_sweep_configs() -> dict[str, dict[str, Any]]:
    """The sweep definitions by sweep id, as `make_demo_sweep.py` wrote them ({} if absent)."""
    path = DEMO_DIR / "sweeps.yaml"
    if not path.is_file():
        return {}
    configs = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(configs, dict):
        return {}
    return {str(k): v for k, v in configs.items() if isinstance(v, dict)}
